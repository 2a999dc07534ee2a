"""Extraction micro-benchmark: µs per article page, with lxml's bare parse as the floor.

    .venv/bin/python bench/bench_pages.py [--pages 300]

Fetches article pages from the mirror (served in-process, once), then times on the same
bytes: lxml's bare parse; parse + K21ArticlePage.to_item(); and that plus related() (all a
spider callback does). Median of 5 repeats. Target: to_item ≤ 1 ms per page.
"""

from __future__ import annotations

import argparse
import statistics
import time
import urllib.error
import urllib.request
from collections.abc import Callable

import lxml.html

from kn_crawl.mirror import Mirror
from spiders.k21 import K21ArticlePage, K21ListingPage


def get(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url) as resp:
            return bytes(resp.read())
    except urllib.error.HTTPError:  # the mirror's flaky page: 500 once, then 200
        with urllib.request.urlopen(url) as resp:
            return bytes(resp.read())


def fetch_pages(n: int) -> list[tuple[str, str, bytes]]:
    pages = []
    with Mirror() as mirror:
        for source in ("kommune21", "move", "stadtundwerk"):
            base = mirror.base_urls[source]
            for url in mirror.article_urls(source)[: n // 3]:
                pages.append((source, base, get(url)))
    return pages


def per_page_us(
    pages: list[tuple[str, str, bytes]], fn: Callable[[str, str, bytes], object]
) -> float:
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for source, base, body in pages:
            fn(source, base, body)
        runs.append((time.perf_counter() - t0) / len(pages) * 1e6)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    pages = fetch_pages(args.pages)
    kb = statistics.mean(len(b) for _, _, b in pages) / 1024
    url = "http://127.0.0.1/k21-meldungen/x/"

    def bare(source: str, base: str, body: bytes) -> object:
        return lxml.html.document_fromstring(body)

    def item(source: str, base: str, body: bytes) -> object:
        return K21ArticlePage.from_html(url, body, source=source, base_url=base).to_item()

    def callback(source: str, base: str, body: bytes) -> object:
        page = K21ArticlePage.from_html(url, body, source=source, base_url=base)
        return page.to_item(), page.related()

    def listing(source: str, base: str, body: bytes) -> object:
        return K21ListingPage.from_html(url, body, source=source, base_url=base).to_listing()

    floor = per_page_us(pages, bare)
    to_item = per_page_us(pages, item)
    full = per_page_us(pages, callback)
    print(f"{len(pages)} article pages, mean {kb:.0f} KB")
    print(f"lxml bare parse           : {floor:8.1f} µs/page (floor)")
    print(f"parse + to_item()         : {to_item:8.1f} µs/page ({to_item / floor:.1f}x floor)")
    print(f"parse + to_item + related : {full:8.1f} µs/page ({full / floor:.1f}x floor)")
    print(f"target to_item <= 1000 µs : {'met' if to_item <= 1000 else 'MISSED'}")


if __name__ == "__main__":
    main()
