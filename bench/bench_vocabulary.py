"""The vocabulary's cost per article against the extraction of the same page, in one run.

    python bench/bench_vocabulary.py [--devset DIR ...] [--rounds 3]

Reads the article pages of the development set(s) (``bench/devset``: ``expected/*.jsonl`` and
``pages/*.html.gz``), extracts each with the generic extractor, then times
``Matcher.tags`` on its title, teaser and body; prints the medians, their ratio, the time to
compile the vocabulary, and how many Stichwörter a single body mention would add (the rule
is "twice in a long body"; see kn_crawl/vocabulary/matching.py).
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kn_crawl.extract.dom import decode_html, parse_html  # noqa: E402
from kn_crawl.extract.generic import extract_article  # noqa: E402
from kn_crawl.items import ArticleItem  # noqa: E402
from kn_crawl.vocabulary import matching  # noqa: E402
from kn_crawl.vocabulary.matching import compile_terms  # noqa: E402
from kn_crawl.vocabulary.terms import bundled_terms  # noqa: E402


def pages(devsets: list[Path]) -> list[tuple[str, str, bytes]]:
    found = []
    for devset in devsets:
        for expected in sorted((devset / "expected").glob("*.jsonl")):
            for line in expected.read_text(encoding="utf-8").splitlines():
                try:
                    case = json.loads(line)
                except ValueError:
                    continue  # a line being written
                if case.get("kind") != "article" or case.get("lang") != "de":
                    continue
                path = devset / case["file"]
                if path.exists():
                    found.append((case["id"], case["url"], gzip.decompress(path.read_bytes())))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, action="append")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    devsets = args.devset or [ROOT / "bench" / "devset"]
    started = time.perf_counter()
    matcher = compile_terms(bundled_terms())
    compiled = time.perf_counter() - started
    found = pages(devsets)
    if not found:
        sys.exit(f"no German article pages in {', '.join(map(str, devsets))}")
    now = datetime.now(UTC)
    extract_ms: list[float] = []
    vocabulary_ms: list[float] = []
    items: list[ArticleItem] = []
    for round_ in range(args.rounds):
        for _, url, raw in found:
            t0 = time.perf_counter()
            text, _ = decode_html(raw, None)
            item = extract_article(
                url, parse_html(text), source="bench", base_url=url, selectors=None, now=now
            )
            t1 = time.perf_counter()
            matcher.tags(item.title, item.teaser, item.body, given=item.tags)
            t2 = time.perf_counter()
            if round_:  # the first round warms caches
                extract_ms.append((t1 - t0) * 1000)
                vocabulary_ms.append((t2 - t1) * 1000)
            else:
                items.append(item)
    ext, voc = statistics.median(extract_ms), statistics.median(vocabulary_ms)
    print(f"{len(found)} German article pages; vocabulary compiled in {compiled * 1000:.0f} ms")
    print(f"median per page: extraction {ext:.2f} ms, vocabulary {voc:.2f} ms ({voc / ext:.1%})")
    tagged = [matcher.tags(i.title, i.teaser, i.body, given=i.tags) for i in items]
    print(
        f"pages with vocabulary Stichwörter: {sum(map(bool, tagged))}, "
        f"mean {statistics.mean(map(len, tagged)):.2f} per page"
    )
    matching.BODY_MENTIONS, matching.SHORT_BODY = 1, 0
    once = [matcher.tags(i.title, i.teaser, i.body, given=i.tags) for i in items]
    extra = [set(o) - set(t) for o, t in zip(once, tagged, strict=True)]
    print(
        f"one body mention would add {sum(map(len, extra))} Stichwörter "
        f"to {sum(map(bool, extra))} pages"
    )


if __name__ == "__main__":
    main()
