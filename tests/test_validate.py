"""Tables for pipelines.validate: fields cut to what the database takes (with a note),
items refused with a reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kn_crawl.dates import BERLIN
from kn_crawl.items import ArticleItem
from pipelines.validate import URL_CAP, Note, cap_fields, rejection

BASE = "https://www.kommune21.de/k21-meldungen/"
NOW = datetime(2025, 1, 31, 12, 0, tzinfo=BERLIN)


def item(**fields: object) -> ArticleItem:
    values: dict[str, object] = {
        "source": "kommune21",
        "url": BASE + "a/",
        "fetched_url": BASE + "a/",
        "title": "Titel",
        "published_at": datetime(2025, 1, 30, tzinfo=BERLIN),
    }
    values.update(fields)
    return ArticleItem(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "expected", "notes"),
    [
        ({}, {}, []),
        ({"title": "T" * 1000}, {"title": "T" * 1000}, []),
        (
            {"title": "T" * 100_000},
            {"title": "T" * 999 + "…"},
            ["title: 100000 characters cut to 1000"],
        ),
        (
            {"section": "Rubrik " * 50},
            {"section": "Rubrik " * 28 + "Rub…"},
            ["section: 350 characters cut to 200"],
        ),
        ({"section": "S" * 200}, {"section": "S" * 200}, []),
        (
            {"type_label": "x" * 65},
            {"type_label": "x" * 63 + "…"},
            ["type_label: 65 characters cut to 64"],
        ),
        (
            {"body": "b" * 1_000_001},
            {"body": "b" * 999_999 + "…"},
            ["body: 1000001 characters cut to 1000000"],
        ),
        ({"kicker": "k" * 501}, {"kicker": "k" * 499 + "…"}, ["kicker: 501 characters cut to 500"]),
        (
            {"teaser": "t" * 5001},
            {"teaser": "t" * 4999 + "…"},
            ["teaser: 5001 characters cut to 5000"],
        ),
        (
            {"site_article_id": "p:" + "9" * 100},
            {"site_article_id": None},
            ["site_article_id: 102 characters, longer than 64; left out"],
        ),
        (
            {"image_url": BASE + "x" * 1000 + ".jpg"},
            {"image_url": None},
            ["image_url: 1043 characters, longer than 1000; left out"],
        ),
        (
            {"url": BASE + "x" * 5000 + "/"},
            {"url": BASE + "a/"},
            [
                "url: the canonical URL has 5040 characters, more than 1000; "
                "stored under the fetched URL"
            ],
        ),
        (
            {"alias_urls": [BASE + "b/", BASE + "y" * 1000]},
            {"alias_urls": [BASE + "b/"]},
            ["alias_urls: URLs longer than 1000 characters left out"],
        ),
    ],
)
def test_fields_are_cut_to_their_caps(
    fields: dict[str, object], expected: dict[str, object], notes: list[str]
) -> None:
    article = item(**fields)
    assert cap_fields(article) == [Note("field_truncated", n) for n in notes]
    for name, value in expected.items():
        assert getattr(article, name) == value
    assert cap_fields(article) == []  # idempotent: a second pass changes nothing


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, None),
        ({"url": "ftp://x/"}, "no_url"),
        ({"url": "https://x.test/" + "x" * URL_CAP}, "url_too_long"),
        ({"title": None}, "no_title"),
        ({"published_at": None}, "no_date"),
        ({"published_at": datetime(2025, 1, 30)}, "bad_date"),
        ({"published_at": datetime(2025, 2, 1, 23, tzinfo=BERLIN)}, None),  # tomorrow
        ({"published_at": datetime(2025, 2, 2, tzinfo=BERLIN)}, "future_date"),
        ({"published_at": datetime(2099, 1, 1, tzinfo=UTC)}, "future_date"),
    ],
)
def test_rejection(fields: dict[str, object], reason: str | None) -> None:
    problem = rejection(item(**fields), now=NOW)
    assert (problem.reason if problem else None) == reason


def test_a_too_long_url_whose_fetched_url_is_too_long_too_is_refused() -> None:
    long_url = BASE + "x" * 2000 + "/"
    article = item(url=long_url + "canonical/", fetched_url=long_url)
    assert cap_fields(article) == []
    problem = rejection(article, now=NOW)
    assert problem is not None and problem.reason == "url_too_long"
