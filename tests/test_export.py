"""Export writers: formats, and that they stream (an iterator of any length is written without
being held in memory)."""

from __future__ import annotations

import csv
import io
import json
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from kn_crawl.search import EXPORT_COLUMNS
from kn_crawl.search.export import write_csv, write_jsonl, write_parquet

START = datetime(2025, 1, 1, tzinfo=UTC)


def rows(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {
            "id": i,
            "source": "move",
            "published_at": START + timedelta(minutes=i),
            "url": f"https://x.invalid/{i}",
            "kicker": None,
            "title": f"Titel {i} mit „Anführungszeichen“, Komma und\nZeilenumbruch",
            "teaser": "Teaser",
            "section": "Politik",
            "type_label": None,
            "tags": ["OZG", "E-Government"],
            "body": "Absatz eins.\n\nAbsatz zwei. " * 20,
            "tag_origins": ["site", "vocabulary"],
            "story_id": i // 2 + 1 if i % 3 else None,  # some not clustered
        }


def test_csv_round_trip() -> None:
    out = io.StringIO()
    assert write_csv(rows(3), out, EXPORT_COLUMNS) == 3
    read = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert read[1]["title"] == "Titel 1 mit „Anführungszeichen“, Komma und\nZeilenumbruch"
    assert read[1]["tags"] == "OZG; E-Government"
    assert read[1]["tag_origins"] == "site; vocabulary"
    # New columns go last: the columns before keep their places.
    assert list(read[1])[-2:] == ["tag_origins", "story_id"]
    assert [r["story_id"] for r in read] == ["", "1", "2"]
    assert read[1]["published_at"] == "2025-01-01T00:01:00+00:00"
    assert read[0]["kicker"] == ""


def test_jsonl_round_trip() -> None:
    out = io.StringIO()
    assert write_jsonl(rows(2), out, ("id", "title", "tags", "published_at")) == 2
    first = json.loads(out.getvalue().splitlines()[0])
    assert first == {
        "id": 0,
        "title": "Titel 0 mit „Anführungszeichen“, Komma und\nZeilenumbruch",
        "tags": ["OZG", "E-Government"],
        "published_at": "2025-01-01T00:00:00+00:00",
    }


def test_parquet_round_trip(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "x.parquet"
    assert write_parquet(rows(12_345), str(target), EXPORT_COLUMNS, batch_size=1000) == 12_345
    table = pq.read_table(target)
    assert table.num_rows == 12_345
    assert table.column("tags")[5].as_py() == ["OZG", "E-Government"]
    assert table.column("tag_origins")[5].as_py() == ["site", "vocabulary"]
    assert table.column("published_at")[0].as_py() == START
    assert table.column("story_id").to_pylist()[:4] == [None, 1, 2, None]


class _Sink(io.StringIO):
    """Counts what is written and keeps nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.size = 0

    def write(self, s: str) -> int:
        self.size += len(s)
        return len(s)


@pytest.mark.parametrize("writer", [write_csv, write_jsonl])
def test_text_writers_stream(writer: Any) -> None:
    sink = _Sink()
    tracemalloc.start()
    written = writer(rows(20_000), sink, EXPORT_COLUMNS)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert written == 20_000 and sink.size > 10_000_000  # ~ 10+ MB went through
    assert peak < 2_000_000  # … while less than 2 MB were ever held


def test_parquet_writer_streams(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    tracemalloc.start()
    write_parquet(rows(20_000), str(tmp_path / "x.parquet"), EXPORT_COLUMNS, batch_size=1000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8_000_000  # one batch of 1,000 rows at a time, not 20,000
