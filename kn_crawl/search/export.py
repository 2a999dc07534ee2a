"""Writing matching articles to CSV, JSON lines or Parquet, streaming: rows go out in batches
as they come from the database cursor, so memory stays flat for any number of rows."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import islice
from typing import IO, Any, Literal

Format = Literal["csv", "jsonl", "json", "parquet"]
FORMATS: tuple[str, ...] = ("csv", "jsonl", "parquet")


class ExportError(RuntimeError):
    """The export cannot be written (e.g. Parquet without pyarrow)."""


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet (Excel, LibreOffice) reads a cell starting with one of these as a formula,
so a scraped title like ``=HYPERLINK(...)`` would run when an analyst opens the export."""


def csv_safe(text: str) -> str:
    """A text cell neutralised against formula injection as OWASP recommends: a leading
    apostrophe, which spreadsheets take as "this is text" and do not show."""
    return f"'{text}" if text.startswith(FORMULA_START) else text


def csv_cell(value: object) -> object:
    """One value as a CSV cell: dates in ISO 8601, lists joined with ``; ``, text made safe
    for spreadsheets; numbers and empty values as they are."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return csv_safe("; ".join(map(str, value)))
    if isinstance(value, str):
        return csv_safe(value)
    return value


def csv_cells(row: dict[str, Any], columns: Iterable[str]) -> list[object]:
    """The CSV row of every CSV this project writes (``export``, ``search --format csv``,
    the web UI's download). JSON lines and Parquet stay raw: no spreadsheet evaluates them."""
    return [csv_cell(row[c]) for c in columns]


def write_csv(rows: Iterable[dict[str, Any]], out: IO[str], columns: tuple[str, ...]) -> int:
    writer = csv.writer(out)
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow(csv_cells(row, columns))
        n += 1
    return n


def json_ready(row: dict[str, Any], columns: tuple[str, ...]) -> dict[str, Any]:
    return {c: row[c].isoformat() if isinstance(row[c], datetime) else row[c] for c in columns}


def write_jsonl(rows: Iterable[dict[str, Any]], out: IO[str], columns: tuple[str, ...]) -> int:
    n = 0
    for row in rows:
        out.write(json.dumps(json_ready(row, columns), ensure_ascii=False) + "\n")
        n += 1
    return n


def write_parquet(
    rows: Iterable[dict[str, Any]], path: str, columns: tuple[str, ...], batch_size: int = 5000
) -> int:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ExportError(
            "Parquet needs pyarrow: pip install -e '.[parquet]' (or choose csv/jsonl)"
        ) from None
    types = {
        "id": pa.int64(),
        "published_at": pa.timestamp("us", tz="UTC"),
        "tags": pa.list_(pa.string()),
        "tag_origins": pa.list_(pa.string()),
        "story_id": pa.int64(),
    }
    schema = pa.schema([(c, types.get(c, pa.string())) for c in columns])
    n = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in _batches(rows, batch_size):
            table = pa.Table.from_pylist([{c: r[c] for c in columns} for r in batch], schema)
            writer.write_table(table)
            n += len(batch)
    return n


def _batches(rows: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


def counting(
    rows: Iterable[dict[str, Any]], tick: Callable[[int], None]
) -> Iterator[dict[str, Any]]:
    """Pass rows through, calling ``tick(1)`` for each (progress bars)."""
    for row in rows:
        tick(1)
        yield row
