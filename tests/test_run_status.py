"""The one rule for a crawl run's final status (kn_crawl.crawling.run.final_status)."""

from __future__ import annotations

from typing import Any

import pytest

from kn_crawl.crawling.run import final_status, results_trustworthy, status_from_outside

# A run that fetched 10 pages besides robots.txt.
FINE = {
    "downloader/request_count": 11,
    "robotstxt/request_count": 1,
    "response_received_count": 11,
    "robotstxt/response_count": 1,
}


@pytest.mark.parametrize(
    ("reason", "values", "expected"),
    [
        ("finished", FINE, ("ok", "finished")),
        ("shutdown", FINE, ("interrupted", "shutdown")),
        ("closespider_timeout", FINE, ("timeout", "closespider_timeout")),
        ("database_not_writable", FINE, ("failed", "database_not_writable")),
        ("cancelled", {}, ("failed", "cancelled")),
        # The site asked for a rest (Retry-After) before the run could finish.
        ("finished", FINE | {"kn/rate_limited_until": "2025-02-01T10:00:00+00:00"},
         ("failed", "rate_limited")),
        # 6 of 10 pages lost: mostly failed; 5 of 10 is not more than half.
        ("finished", FINE | {"kn/errors": 6}, ("failed", "mostly_failed")),
        ("finished", FINE | {"kn/errors": 5}, ("ok", "finished")),
        ("finished", FINE | {"kn/errors": 4, "kn/store_failed": 2}, ("failed", "mostly_failed")),
        # Fewer than 3 lost pages is never "mostly failed", but a store failure fails the run.
        ("finished", FINE | {"downloader/request_count": 3, "kn/store_failed": 2},
         ("failed", "finished")),
        ("finished", FINE | {"kn/robots_unreachable": 1}, ("failed", "finished")),
        # Nothing but robots.txt answered: the site was not reached.
        ("finished", {"response_received_count": 1, "robotstxt/response_count": 1},
         ("failed", "finished")),
        # A status of the interrupted kind is kept, whatever the counters say.
        ("shutdown", FINE | {"kn/errors": 9}, ("interrupted", "shutdown")),
    ],
)  # fmt: skip
def test_final_status(reason: str, values: dict[str, Any], expected: tuple[str, str]) -> None:
    assert final_status(reason, values) == expected


@pytest.mark.parametrize(
    ("reason", "values", "expected"),
    [
        ("finished", FINE, True),
        ("finished", FINE | {"kn/errors": 6}, True),  # lost pages are retried anyway
        ("finished", FINE | {"kn/store_failed": 1}, False),
        ("finished", FINE | {"kn/dropped/robots_unreachable": 1}, False),
        ("shutdown", FINE, False),
    ],
)
def test_results_trustworthy(reason: str, values: dict[str, Any], expected: bool) -> None:
    assert results_trustworthy(reason, values) is expected


@pytest.mark.parametrize(
    ("timed_out", "interrupted", "expected"),
    [(True, False, "timeout"), (False, True, "interrupted"), (False, False, "failed")],
)
def test_status_of_a_run_its_process_could_not_close(
    timed_out: bool, interrupted: bool, expected: str
) -> None:
    assert status_from_outside(timed_out=timed_out, interrupted=interrupted) == expected
