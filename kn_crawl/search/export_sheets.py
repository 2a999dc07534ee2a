"""Exports analysts open directly in a spreadsheet: an Excel workbook (``xlsx``) and a CSV
for German Excel (``csv-excel``). Both stream: the workbook through xlsxwriter's
``constant_memory`` mode (each row goes to disk as it is written), the CSV row by row.

Formula injection is guarded in both: the CSV variant neutralises text like the plain CSV
(``csv_safe``); the workbook writes every text as a string cell, never a formula, and marks
a text that starts like a formula with Excel's "quote prefix" style, so the cell shows the
exact scraped text and stays text when an analyst edits it."""

from __future__ import annotations

import csv
import os
import stat
import sys
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Any

import xlsxwriter

from kn_crawl.dates import BERLIN
from kn_crawl.search.export import FORMULA_START, ExportError, csv_safe

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel sheet, the header included."""
EXCEL_MAX_TEXT = 32_767
"""Characters of one Excel cell; a longer body is cut there (with an ellipsis) rather than
left to xlsxwriter, which would drop the rest without a sign."""

GERMAN_DATETIME = "%d.%m.%Y %H:%M"
XLSX_DATETIME = "dd.mm.yyyy hh:mm"

WIDTHS = {
    "id": 8,
    "source": 14,
    "published_at": 17,
    "url": 50,
    "kicker": 20,
    "title": 60,
    "teaser": 60,
    "section": 16,
    "type_label": 14,
    "tags": 40,
    "body": 80,
    "tag_origins": 20,
}
"""Column widths in characters; unknown columns get 20."""


def german_cell(value: object) -> object:
    """One value as a cell of the CSV for German Excel: dates as ``29.11.2026 14:05``
    (Berlin time, which Excel reads as a date), lists joined with ``; ``, text neutralised."""
    if isinstance(value, datetime):
        return value.astimezone(BERLIN).strftime(GERMAN_DATETIME)
    if isinstance(value, list):
        return csv_safe("; ".join(map(str, value)))
    if isinstance(value, str):
        return csv_safe(value)
    return value


def excel_csv_writer(out: IO[str]) -> Any:
    """German Excel's CSV dialect: ``;`` between cells (``,`` is the decimal mark), CRLF."""
    return csv.writer(out, delimiter=";", lineterminator="\r\n")


def write_csv_excel(rows: Iterable[dict[str, Any]], out: IO[str], columns: tuple[str, ...]) -> int:
    """CSV for German Excel: a UTF-8 byte order mark first (without it Excel reads UTF-8 as
    Windows-1252 and shows "BÃ¼rgerbÃ¼ro"), ``;``, CRLF, German dates."""
    out.write("\ufeff")
    writer = excel_csv_writer(out)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([german_cell(row[c]) for c in columns])
        n += 1
    return n


def excel_local(value: datetime) -> datetime:
    """Excel dates have no time zone: the Berlin wall-clock time, as analysts read it."""
    return value.astimezone(BERLIN).replace(tzinfo=None)


def excel_text(value: str) -> str:
    return value if len(value) <= EXCEL_MAX_TEXT else value[: EXCEL_MAX_TEXT - 1] + "…"


def write_xlsx(
    rows: Iterable[dict[str, Any]],
    path: str,
    columns: tuple[str, ...],
    *,
    max_rows: int = EXCEL_MAX_ROWS,
) -> int:
    """An Excel workbook at ``path`` (see ``_write_workbook``), moved there only when
    complete. ``max_rows``: the sheet's rows, the header included (smaller in tests)."""
    with replacing(path) as partial:
        return _write_workbook(rows, partial, columns, max_rows)


def write_sheet(
    fmt: str, rows: Iterable[dict[str, Any]], output: str, columns: tuple[str, ...]
) -> int:
    """``export --format xlsx|csv-excel``: to ``output``, a file (``-``: standard output,
    for csv-excel only)."""
    if fmt == "xlsx":
        return write_xlsx(rows, output, columns)
    if output == "-":
        return write_csv_excel(rows, sys.stdout, columns)
    with replacing(output) as partial, open(partial, "w", encoding="utf-8", newline="") as out:
        return write_csv_excel(rows, out, columns)


SHEET_WRITERS = ("xlsx", "csv-excel")


@contextmanager
def replacing(path: str) -> Iterator[str]:
    """A temporary path next to ``path``, moved onto it when the block ends without error:
    a failed export leaves neither a partial file nor a damaged earlier one."""
    target = Path(path)
    fd, partial = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    try:
        yield partial
        # mkstemp's file is 0600: give it the mode a plain open() would (an existing file's
        # own, else what the umask allows), so colleagues read an export as they read a csv.
        os.chmod(partial, file_mode(target))
        os.replace(partial, target)
    finally:
        Path(partial).unlink(missing_ok=True)


def file_mode(target: Path) -> int:
    """The permissions ``target`` keeps (it exists) or gets from the umask (it is new)."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _write_workbook(
    rows: Iterable[dict[str, Any]], path: str, columns: tuple[str, ...], max_rows: int
) -> int:
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            # Text stays text: xlsxwriter would otherwise turn "=..." into formulas and
            # "https://..." into links (and "123" into numbers with the last option).
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "tmpdir": str(Path(path).parent),
        },
    )
    bold = workbook.add_format({"bold": True})
    date = workbook.add_format({"num_format": XLSX_DATETIME})
    quoted = workbook.add_format({"quote_prefix": True})
    sheet = workbook.add_worksheet("Artikel")
    for i, column in enumerate(columns):
        sheet.set_column(i, i, WIDTHS.get(column, 20))
        sheet.write_string(0, i, column, bold)
    sheet.freeze_panes(1, 0)
    n = 0
    try:
        for n, row in enumerate(rows, start=1):
            if n >= max_rows:
                raise ExportError(
                    f"an Excel sheet holds at most {max_rows - 1:,} articles: "
                    "narrow the query or choose csv/jsonl/parquet"
                )
            for i, column in enumerate(columns):
                value = row[column]
                if value is None or value == []:
                    continue
                if isinstance(value, datetime):
                    sheet.write_datetime(n, i, excel_local(value), date)
                elif isinstance(value, int):
                    sheet.write_number(n, i, value)
                else:
                    text = excel_text(
                        "; ".join(map(str, value)) if isinstance(value, list) else str(value)
                    )
                    sheet.write_string(
                        n, i, text, quoted if text.startswith(FORMULA_START) else None
                    )
        sheet.autofilter(0, 0, n, len(columns) - 1)
    finally:
        workbook.close()
    return n
