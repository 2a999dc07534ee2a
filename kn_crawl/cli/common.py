"""What every command shares: settings, the database, one-line errors, tables, dates."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from kn_crawl.dates import BERLIN, parse_date
from kn_crawl.settings import ConfigError, Settings, redact_secrets

EXIT_USAGE = 2
EXIT_FAILURE = 1

# Ids and counts that reach the database: both take 64-bit integers, and a larger one is a
# driver OverflowError (a traceback), not an empty answer.
MAX_DB_INT = 2**63 - 1
DB_ID = click.IntRange(1, MAX_DB_INT)
DB_COUNT = click.IntRange(0, MAX_DB_INT)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    # One line, always: driver messages may hold newlines and tabs. And no secret: they may
    # also quote what they were given.
    message = redact_secrets(" ".join(message.split()), os.environ)
    click.echo(f"kn-crawl: error: {message}", err=True)
    sys.exit(code)


def load_settings() -> Settings:
    try:
        return Settings.from_env()
    except ConfigError as exc:
        fail(f"bad configuration: {exc}")


def command_logging(settings: Settings) -> None:
    """Log set-up of the commands that log as they work (``kn_crawl.logs``)."""
    from kn_crawl.logs import setup_command_logging

    try:
        setup_command_logging(settings)
    except OSError as exc:
        fail(f"cannot write the log file {settings.log_file}: {exc.strerror or exc}")


def check_vocabulary(settings: Settings) -> None:
    """For the commands that tag articles: a bad ``KN_VOCABULARY_FILE`` ends them at once,
    in one line naming the file and line, not in the middle of a crawl."""
    from kn_crawl.vocabulary import check_vocabulary as check

    try:
        check(settings.vocabulary_file)
    except ConfigError as exc:
        fail(f"bad configuration: {exc}")


def open_engine(
    settings: Settings,
    *,
    migrate: bool = True,
    sync: bool = False,
    schedule_file: Path | None = None,
    only: Sequence[str] | None = None,
    create: bool = False,
) -> Engine:
    """The configured database, migrated to the current schema, with the runs left ``running``
    by dead processes closed (finish_reason ``stale``): every command that opens the database
    does both, so no reader sees a dead run as running (the web UI, which opens the database
    read-only, shows such runs as "stale").

    ``sync``: also write the source catalogue into ``sources`` (the commands that crawl or
    schedule; readers leave it, so they work on a read-only database), with each source's
    effective schedule (``schedule_file``: the schedule file, default KN_CONFIG_FILE or
    ./kn-crawl.toml). ``only``: a crawl by hand of these sources, which writes their rows
    alone and never the schedule or enabled state (``kn_crawl.catalog.refresh``).

    ``create``: a missing SQLite file (and its folder) is made — the commands that collect or
    administer data (``sync`` implies it). Every other command ends with one line naming the
    path and how to create it, instead of leaving an empty database behind."""
    from kn_crawl.db.engine import get_engine
    from kn_crawl.db.migrate import upgrade

    check_sqlite_path(settings, create=create or sync)
    try:
        engine = get_engine(settings.database_url)
        if migrate:
            upgrade(engine)
        _close_stale_runs(engine, settings)
    except OSError as exc:
        fail(f"cannot open database {settings.safe_database_url}: {exc}", EXIT_FAILURE)
    except OperationalError as exc:
        fail(f"cannot open database {settings.safe_database_url}: {exc.orig}", EXIT_FAILURE)
    if sync:
        _sync_catalog(engine, settings, schedule_file, only)
    return engine


def sqlite_file(settings: Settings) -> Path | None:
    """The SQLite file of the configured URL (None: PostgreSQL, in memory, a ``file:`` URI)."""
    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    database = url.database or ""
    if url.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    return None if database.startswith("file:") else Path(database)


def check_sqlite_path(settings: Settings, *, create: bool) -> None:
    """A SQLite URL's file must exist unless this command creates it, and a relative path's
    folder must exist in any case: ``sqlite:///tmp/x`` (three slashes) is ``./tmp/x``, and a
    command that quietly made ``./tmp/`` in the current folder hid the missing fourth slash."""
    path = sqlite_file(settings)
    if path is None:
        return
    database = str(path)
    # kn-crawl's own data folder (KN_DATA_DIR, by default ./data, where the default database
    # lives) is no typo: a command that collects makes it, as on a fresh checkout.
    own_folder = path.parent.resolve() == settings.data_dir.resolve()
    if not path.is_absolute() and not path.resolve().parent.is_dir() and not own_folder:
        fail(
            f"KN_DATABASE_URL {settings.safe_database_url} names the relative path {database} "
            f"but the folder {path.parent} does not exist here ({Path.cwd()}); for the "
            f"absolute path /{database} write four slashes: sqlite:////{database}"
        )
    if not create and not path.exists():
        fail(
            f"no database at {path.resolve()} (KN_DATABASE_URL {settings.safe_database_url}); "
            "create it with `kn-crawl db upgrade` or a crawl (`kn-crawl crawl`, `kn-crawl demo`)",
            EXIT_FAILURE,
        )
    if create and own_folder:
        path.parent.mkdir(parents=True, exist_ok=True)


def _sync_catalog(
    engine: Engine, settings: Settings, schedule_file: Path | None, only: Sequence[str] | None
) -> None:
    """The catalogue into ``sources``. A bad catalogue is a ConfigError (one line, exit 2); a
    database that cannot be written ends the command as the crawl's own check would."""
    from kn_crawl.catalog.refresh import write_catalog
    from kn_crawl.db.errors import db_error_line

    try:
        write_catalog(engine, settings, schedule_file, only=only)
    except SQLAlchemyError as exc:
        fail(
            f"cannot write to the database: {db_error_line(exc)} ({settings.safe_database_url})",
            EXIT_FAILURE,
        )


def _close_stale_runs(engine: Engine, settings: Settings) -> None:
    """Close the runs dead processes left ``running``. A database this command may only read
    (a read-only file or role) still serves it: the runs stay as they are, with a warning."""
    from datetime import UTC

    from kn_crawl.db.errors import db_error_line
    from kn_crawl.db.runs import close_stale_runs, stale_after_for

    try:
        close_stale_runs(
            engine,
            now=datetime.now(UTC),
            here=settings.node or None,
            # PostgreSQL: a run silent for KN_LEASE is stale, by the database's clock.
            stale_after=stale_after_for(engine, settings.lease),
        )
    except SQLAlchemyError as exc:
        click.echo(
            f"kn-crawl: warning: runs left running by dead processes not closed: "
            f"{redact_secrets(db_error_line(exc), os.environ)}",
            err=True,
        )


def parse_since(value: str | None) -> datetime | None:
    if value is None:
        return None
    parsed = parse_date(value, now=datetime.now(BERLIN))
    if parsed is None:
        raise click.BadParameter(
            f"{value!r} is not a date (try 2025-01-31 or 31.01.2025)", param_hint="--since"
        )
    return parsed


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str]) -> str:
    """A plain fixed-width table."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line.rstrip(), "  ".join("-" * w for w in widths)]
    out += [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    ]
    return "\n".join(out)


def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return dt.astimezone(BERLIN).strftime(fmt) if dt else "-"


class QueryCommand(click.Command):
    """A command whose QUERY words may start with ``-``: ``search -OZG`` is a query that
    excludes OZG, not the unknown option ``-O``. Every argument that is not one of the
    command's options (or an option's value) is a word of the query; after ``--`` all are.
    A short option's value is its own argument (``-o out.csv``): ``-offenbach`` is a word."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        with_value: set[str] = set()
        known: set[str] = set(ctx.help_option_names)
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                names = [*param.opts, *param.secondary_opts]
                known.update(names)
                if not param.is_flag and not param.count:
                    with_value.update(names)
        options: list[str] = []
        words: list[str] = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                words.extend(rest)
                break
            if arg in with_value:
                options.append(arg)
                value = next(rest, None)
                if value is not None:
                    options.append(value)
                continue
            if arg in known or (arg.startswith("--") and arg.split("=", 1)[0] in with_value):
                options.append(arg)
            else:
                words.append(arg)
        return super().parse_args(ctx, [*options, "--", *words])


class KnGroup(click.Group):
    """Turns our expected errors into one-line messages instead of tracebacks."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(str(exc))
        except OperationalError as exc:
            fail(f"database error: {exc.orig}", EXIT_FAILURE)
        except SQLAlchemyError as exc:
            fail(f"database error: {exc}", EXIT_FAILURE)
