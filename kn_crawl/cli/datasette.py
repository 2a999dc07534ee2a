"""``kn-crawl datasette``: the SQLite database in Datasette, with the schema's descriptions
and canned queries (``kn_crawl.datasette_app``)."""

from __future__ import annotations

import importlib.util
import json
import socket
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import click
from sqlalchemy.engine import make_url

from kn_crawl.cli.common import EXIT_FAILURE, fail, load_settings


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8001,
    show_default=True,
    help="Port on 127.0.0.1 (0: any free port).",
)
def datasette(port: int) -> None:
    """Browse the SQLite database in Datasette (read-only, on 127.0.0.1), with table and
    column descriptions and canned queries such as "Stichwörter der letzten 30 Tage".

    Needs the datasette extra: pip install -e '.[datasette]'. Ctrl-C stops it.
    """
    from kn_crawl.datasette_app import database_name, metadata

    settings = load_settings()
    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        fail(
            f"Datasette reads SQLite files; KN_DATABASE_URL is {settings.safe_database_url} "
            "(for PostgreSQL use its own tools, or export with 'kn-crawl export')"
        )
    path = Path(url.database)
    if not path.is_file():
        fail(f"no database at {path}: crawl first (kn-crawl demo or kn-crawl crawl)")
    problem = check_database(path)
    if problem:
        fail(problem, EXIT_FAILURE)
    if importlib.util.find_spec("datasette") is None:
        fail("Datasette is not installed: pip install -e '.[datasette]'", EXIT_FAILURE)
    from datasette.cli import cli as datasette_cli

    if port == 0:
        port = free_port()

    with tempfile.TemporaryDirectory(prefix="kn-datasette-") as folder:
        meta = Path(folder) / "metadata.json"
        meta.write_text(json.dumps(metadata(database_name(path)), ensure_ascii=False), "utf-8")
        # Not --immutable: Datasette opens the file read-only (mode=ro) and so also sees what a
        # running crawler has in its write-ahead log, which an immutable open would skip.
        args = ["serve", str(path), "--metadata", str(meta), "--host", "127.0.0.1"]
        args += ["--port", str(port), "--setting", "sql_time_limit_ms", "5000"]
        # The whole file would carry the tables the metadata denies (kn_crawl.datasette_app).
        args += ["--setting", "allow_download", "off"]
        click.echo(f"Datasette on http://127.0.0.1:{port}/ (Ctrl-C stops)", err=True)
        try:
            datasette_cli.main(args, prog_name="kn-crawl datasette", standalone_mode=False)
        except click.ClickException as exc:
            fail(f"datasette: {exc.format_message()}", EXIT_FAILURE)
        except sqlite3.Error as exc:  # the file changed since the check above
            fail(f"datasette: cannot read {path}: {exc}", EXIT_FAILURE)
        except KeyboardInterrupt:
            pass


def free_port() -> int:
    """A free port on 127.0.0.1, so the printed URL is the real one (Datasette's own port 0
    would not say which it took)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def check_database(path: Path) -> str | None:
    """Why ``path`` is no kn-crawl database Datasette could open (one line), or None. Opened
    read-only: nothing is created or changed."""
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    except sqlite3.Error as exc:
        return f"cannot read {path}: {exc}"
    if "articles" not in tables:
        return f"{path} is no kn-crawl database (it has no articles table)"
    return None
