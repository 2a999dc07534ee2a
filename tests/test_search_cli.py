"""The analysts' commands (search, tags, export, stats, serve) through click's CliRunner on a
real SQLite database; errors are one line and a non-zero exit."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from kn_crawl.cli import main
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from tests.test_search import fill

COMMANDS = ("search", "tags", "export", "stats", "serve")


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('cli') / 'kn.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine)
    engine.dispose()
    return url


def run(db: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KN_DATABASE_URL": db})


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output
    assert len(result.output.splitlines()) > 4


def test_search_table(db: str) -> None:
    result = run(db, "search", "Buergerbuero OR portal")
    assert result.exit_code == 0, result.output
    assert "Dortmund eröffnet neues Bürgerbüro" in result.stdout
    assert "Serviceportal für alle Kommunen" in result.stdout
    assert "1–2 of 2 articles" in result.stderr


@pytest.mark.parametrize("fmt", ["json", "jsonl", "csv"])
def test_search_formats(db: str, fmt: str) -> None:
    result = run(db, "search", "tag:OZG", "--format", fmt, "--order", "date", "--limit", "1")
    assert result.exit_code == 0, result.output
    if fmt == "json":
        body = json.loads(result.stdout)
        assert body["total"] == 2 and len(body["results"]) == 1
        rows = body["results"]
    elif fmt == "jsonl":
        rows = [json.loads(line) for line in result.stdout.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["title"] == "Buergeramt Kassel digitalisiert Anträge"  # the newest


def test_search_reports_what_matched(db: str) -> None:
    result = run(db, "search", "büro", "--format", "jsonl")
    row = json.loads(result.stdout)
    assert row["matched"] == ["büro"]
    assert "Bürgerbüro" in row["snippet"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", '"OZG'], "bad query: unclosed quotation mark (at character 1"),
        (["search", "OZG foo:bar"], "unknown filter 'foo:'"),
        (["search", "since:gestrig"], "is not a date"),
        (["export", "OR", "--format", "csv", "-o", "-"], "OR must stand between"),
        (["export", "--format", "parquet", "-o", "-"], "parquet needs a file"),
        (["export", "--format", "csv", "-o", "/nonexistent/dir/x.csv"], "no such folder"),
        (["tags", "--new-since", "bald"], "is not a date"),
        (["tags", "--trend", "--new-since", "2025-01-01"], "only one of --new-since, --new and"),
        (["tags", "--trend", "--new"], "only one of --new-since, --new and --trend"),
        (["tags", "--until", "2025-01-01"], "--until needs --trend or --new"),
        (["tags", "--trend", "--until", "bald"], "is not a date"),
    ],
)
def test_errors_are_one_line(db: str, args: list[str], message: str) -> None:
    result = run(db, *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_tags(db: str) -> None:
    top = run(db, "tags", "--top", "3", "--json")
    assert top.exit_code == 0, top.output
    rows = [json.loads(line) for line in top.stdout.splitlines()]
    assert rows[0] == {"key": "ozg", "name": "OZG", "articles": 2}
    new = run(db, "tags", "--new-since", "2025-05-01")
    assert "Smart City" in new.stdout and "KI" in new.stdout and "OZG" not in new.stdout
    trend = run(db, "tags", "--trend", "--days", "3650")
    assert trend.exit_code == 0 and "growth" in trend.stdout
    since = run(db, "tags", "--since", "2025-05-01", "--json")
    assert {json.loads(line)["name"] for line in since.stdout.splitlines()} == {
        "Smart City", "Ulm", "KI"}  # fmt: skip


def test_stats(db: str) -> None:
    result = run(db, "stats")
    assert result.exit_code == 0, result.output
    assert "2025-05" in result.stdout and "stadtundwerk" in result.stdout
    assert "5 articles" in result.stdout
    body = json.loads(run(db, "stats", "--json").stdout)
    assert body["articles"] == 5
    assert {"source": "move", "month": "2024-11", "articles": 1} in body["per_source_month"]


def test_export_csv_jsonl_parquet(db: str, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    result = run(db, "export", "--format", "csv", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "5 articles written" in result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == 5 and rows[0]["published_at"] >= rows[-1]["published_at"]
    assert "body" in rows[0]

    lines = run(db, "export", "tag:OZG", "--format", "jsonl", "-o", "-", "--no-body").stdout
    records = [json.loads(line) for line in lines.splitlines()]
    assert len(records) == 2 and "body" not in records[0] and "OZG" in records[0]["tags"]

    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "ozg.parquet"
    assert run(db, "export", "tag:OZG", "--format", "parquet", "-o", str(target)).exit_code == 0
    table = pq.read_table(target)
    assert table.num_rows == 2
    assert set(table.column("source").to_pylist()) == {"kommune21", "move"}
    assert table.schema.field("tags").type.value_type == "string"


def test_serve_rejects_a_port_in_use(db: str) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = run(db, "serve", "--port", str(port))
    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1" in result.stderr
