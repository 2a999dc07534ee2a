"""Peak memory of the spreadsheet exports at 10,000 and 100,000 rows (a script, not a test).

    .venv/bin/python bench/bench_export_sheets.py [--rows 10000 100000] [--body 1500]

Each measurement runs in a fresh child process (peak RSS = ``ru_maxrss`` of that process),
writing synthetic article rows — German-looking titles, teasers, a body of --body characters,
three Stichwörter, a date — from a generator, so the rows themselves never pile up:
- ``xlsx``: ``write_xlsx`` (xlsxwriter in constant_memory mode), what ``export`` runs;
- ``csv-excel``: ``write_csv_excel``;
- ``xlsx, in memory`` (the baseline): the same workbook with xlsxwriter's default mode, which
  keeps every cell until the file is closed.
Prints seconds, file size, peak RSS per size, and the ratio of the largest to the smallest
size's peak: about 1 means constant memory.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from kn_crawl.search import EXPORT_COLUMNS  # noqa: E402

WORDS = [
    "Digitalisierung", "Verwaltung", "Bürgerbüro", "Onlinezugangsgesetz", "Kommune",
    "Landkreis", "Rathaus", "Stadtwerke", "Breitband", "Förderung", "Datenschutz", "Cloud",
    "Portal", "Antrag", "Fachverfahren", "Schule", "Smart City", "Sensoren", "Glasfaser",
    "Strategie", "Modellprojekt", "Haushalt", "Open Data",
]  # fmt: skip
MODES = ("xlsx", "csv-excel", "xlsx, in memory")


def rows(n: int, body: int, seed: int = 7) -> Iterator[dict[str, Any]]:
    rnd = random.Random(seed)
    start = datetime(2015, 1, 1, tzinfo=UTC)
    for i in range(n):
        words = [rnd.choice(WORDS) for _ in range(body // 10 + 12)]
        yield {
            "id": i + 1,
            "source": rnd.choice(("kommune21", "move", "stadtundwerk")),
            "published_at": start + timedelta(minutes=rnd.randrange(5_000_000)),
            "url": f"https://example.org/artikel/{i + 1}/",
            "kicker": words[0],
            "title": " ".join(words[1:8]),
            "teaser": " ".join(words[8:24]),
            "section": words[2],
            "type_label": "bericht",
            "tags": rnd.sample(WORDS, 3),
            "body": " ".join(words)[:body],
            "tag_origins": ["site", "site", "vocabulary"],
        }


def in_memory_workbook(n: int, body: int, path: str) -> None:
    """The baseline: xlsxwriter as most code uses it (every cell kept until close)."""
    import xlsxwriter

    workbook = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False})
    sheet = workbook.add_worksheet("Artikel")
    date = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
    sheet.write_row(0, 0, EXPORT_COLUMNS)
    for r, row in enumerate(rows(n, body), start=1):
        for c, column in enumerate(EXPORT_COLUMNS):
            value = row[column]
            if isinstance(value, datetime):
                sheet.write_datetime(r, c, value.replace(tzinfo=None), date)
            elif isinstance(value, list):
                sheet.write_string(r, c, "; ".join(value))
            else:
                sheet.write(r, c, value)
    workbook.close()


def child(mode: str, n: int, body: int) -> None:
    from kn_crawl.search.export_sheets import write_csv_excel, write_xlsx

    with tempfile.TemporaryDirectory(prefix="kn-bench-sheets-") as folder:
        path = str(Path(folder) / ("out.csv" if mode == "csv-excel" else "out.xlsx"))
        t0 = time.perf_counter()
        if mode == "xlsx":
            write_xlsx(rows(n, body), path, EXPORT_COLUMNS)
        elif mode == "csv-excel":
            with open(path, "w", encoding="utf-8", newline="") as out:
                write_csv_excel(rows(n, body), out, EXPORT_COLUMNS)
        else:
            in_memory_workbook(n, body, path)
        seconds = time.perf_counter() - t0
        size = Path(path).stat().st_size
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "size_mb": size / 1e6, "peak_mb": peak_mb}))


def measure(mode: str, n: int, body: int) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, str(n), "--body", str(body)],
        capture_output=True, text=True, check=True, cwd=REPO,
    )  # fmt: skip
    return dict(json.loads(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--body", type=int, default=1500, help="characters of each body")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "ROWS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.body)
        return
    sizes = sorted(args.rows)
    print(f"{'mode':<16} {'rows':>8} {'seconds':>8} {'file MB':>8} {'peak RSS MB':>12}")
    for mode in MODES:
        peaks = []
        for n in sizes:
            f = measure(mode, n, args.body)
            peaks.append(f["peak_mb"])
            cells = f"{f['seconds']:>8.1f} {f['size_mb']:>8.1f} {f['peak_mb']:>12.1f}"
            print(f"{mode:<16} {n:>8,} {cells}")
        ratio = peaks[-1] / peaks[0]
        print(f"{mode:<16} peak RSS ratio {sizes[-1]:,} / {sizes[0]:,} rows: {ratio:.2f}")


if __name__ == "__main__":
    main()
