"""robots.txt is read up to its first 500 KiB (RFC 9309 §2.5), cut at a line end."""

from __future__ import annotations

import pytest

from kn_crawl.crawling.robots import ROBOTS_MAX_BYTES, robots_head


@pytest.mark.parametrize(
    ("body", "limit", "expected"),
    [
        (b"User-agent: *\nDisallow: /a/\n", 100, b"User-agent: *\nDisallow: /a/\n"),
        # Cut at the last line end within the limit: no half rule ("Disallow: /a" of "/a/b").
        (b"User-agent: *\nDisallow: /a/\nDisallow: /b/\n", 30, b"User-agent: *\nDisallow: /a/\n"),
        (b"User-agent: *\nDisallow: /a/\n", 28, b"User-agent: *\nDisallow: /a/\n"),
        (b"User-agent: *\nDisallow: /a/\n", 27, b"User-agent: *\n"),
        (b"x" * 50, 10, b"x" * 10),  # no line end at all
        (b"", 10, b""),
    ],
)
def test_robots_head(body: bytes, limit: int, expected: bytes) -> None:
    assert robots_head(body, limit) == expected


def test_the_limit_is_500_kib() -> None:
    assert ROBOTS_MAX_BYTES == 500 * 1024
    body = b"Disallow: /x/\n" * 100_000
    head = robots_head(body)
    assert len(head) <= ROBOTS_MAX_BYTES
    assert len(head) == ROBOTS_MAX_BYTES // 14 * 14
