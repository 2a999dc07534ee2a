"""End to end: the real spiders and pipelines crawl the mirror over HTTP on 127.0.0.1 into a
fresh SQLite database, three times — first crawl, unchanged re-crawl, re-crawl after an edit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kn_crawl.dates import BERLIN
from kn_crawl.db.models import Article, ArticleRevision, Tag
from kn_crawl.mirror import Mirror
from kn_crawl.mirror.model import Defect
from kn_crawl.tags import tag_key
from tests.crawling import Db, crawl

SOURCES = ("kommune21", "move", "stadtundwerk")
EDITED_TEASER = "Der Teaser wurde nachträglich geändert."


@dataclass
class Scenario:
    mirror: Mirror
    db: Db
    outputs: list[Any]
    counts_after: list[dict[str, int]]
    edited_url: str
    refresh_requests: list[Any]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    db_url = f"sqlite:///{tmp_path_factory.mktemp('e2e') / 'kn.sqlite3'}"
    with Mirror() as mirror:
        db = Db(db_url)
        outputs = []
        counts_after = []

        def totals() -> dict[str, int]:
            return {
                "articles": db.count(Article),
                "tags": db.count(Tag),
                "revisions": db.count(ArticleRevision),
            }

        outputs.append(crawl(db_url, mirror))
        counts_after.append(totals())
        mirror.clear_requests()
        outputs.append(crawl(db_url, mirror))  # a refresh of the unchanged mirror
        counts_after.append(totals())
        refresh_requests = list(mirror.requests)
        outputs.append(crawl(db_url, mirror, full=True))  # everything again
        counts_after.append(totals())
        edited_url = mirror.article_urls("kommune21")[5]
        mirror.edit_article("kommune21", edited_url, teaser=EDITED_TEASER)
        outputs.append(crawl(db_url, mirror, ["kommune21"]))
        counts_after.append(totals())
        yield Scenario(mirror, db, outputs, counts_after, edited_url, refresh_requests)
        db.close()


def runs_of_crawl(s: Scenario, index: int) -> dict[str, Any]:
    """The runs of crawl number ``index`` (0-based), by source."""
    runs = s.db.runs()
    per_crawl = [3, 3, 3, 1]
    start = sum(per_crawl[:index])
    return {r.source: r for r in runs[start : start + per_crawl[index]]}


def test_every_crawl_completes(scenario: Scenario) -> None:
    for out in scenario.outputs:
        assert out.returncode == 0, out.stderr[-4000:]
        assert "Traceback" not in out.stderr
    assert all(r.status == "ok" and r.finished_at is not None for r in scenario.db.runs())


def test_first_crawl_stores_exactly_the_valid_articles(scenario: Scenario) -> None:
    expected = {s: scenario.mirror.expected[s].articles for s in SOURCES}
    assert expected == {"kommune21": 95, "move": 35, "stadtundwerk": 30}
    assert scenario.counts_after[0]["articles"] == 160
    assert scenario.db.articles_by_source() == expected
    runs = runs_of_crawl(scenario, 0)
    assert sum(r.articles_new for r in runs.values()) == 160
    # The stored URLs are exactly the mirror's valid articles.
    stored = set(scenario.db.articles())
    assert stored == {u for s in SOURCES for u in scenario.mirror.article_urls(s)}


def test_fields_match_the_mirror_ground_truth(scenario: Scenario) -> None:
    stored = scenario.db.articles()
    wrong: list[str] = []
    for source in SOURCES:
        for exp in scenario.mirror.expected_articles(source):
            if exp.url == scenario.edited_url:
                continue
            row, tags = stored[exp.url]
            actual = {
                "title": row.title,
                "kicker": row.kicker,
                "teaser": row.teaser,
                "date": row.published_at.astimezone(BERLIN).date(),
                "section": row.section,
                # One Stichwort per key; its name is the first spelling seen anywhere.
                "tags": tuple(tag_key(t) for t in tags),
                "type_label": row.type_label,
                "image_credit": row.image_credit,
            }
            want = {
                "title": exp.title,
                "kicker": exp.kicker,
                "teaser": exp.teaser,
                "date": exp.published_date,
                "section": exp.section,
                "tags": tuple(tag_key(t) for t in exp.tags),
                "type_label": exp.type_label,
                "image_credit": exp.image_credit,
            }
            wrong += [
                f"{exp.url} {k}: {actual[k]!r} != {want[k]!r}" for k in want if actual[k] != want[k]
            ]
    assert wrong == [], "\n".join(wrong[:20])


def test_published_times_are_exact_where_metadata_has_them(scenario: Scenario) -> None:
    stored = scenario.db.articles()
    for exp in scenario.mirror.expected_articles("kommune21"):
        row, _ = stored[exp.url]
        if row.date_signal in ("jsonld", "meta"):
            assert row.published_at == exp.published, exp.url


def test_every_defective_page_is_recorded_with_its_reason(scenario: Scenario) -> None:
    runs = runs_of_crawl(scenario, 0)
    k21 = runs["kommune21"]
    drops = scenario.db.drops(k21.id)
    reasons = Counter(d.reason for d in drops)
    assert reasons == {"no_date": 2, "http_404": 1}
    assert k21.dropped == 3
    for d in drops:
        assert d.url.startswith(scenario.mirror.base_urls["kommune21"])
        assert d.detail
    assert runs["move"].dropped == 0 and runs["stadtundwerk"].dropped == 0


def test_defective_but_usable_pages_are_stored(scenario: Scenario) -> None:
    catalog = scenario.mirror.sites["kommune21"].catalog
    base = scenario.mirror.base_urls["kommune21"]
    stored = scenario.db.articles()
    by_defect = {a.defect: a for a in catalog.ordered if a.defect}
    for defect in (Defect.LATIN1, Defect.BROKEN_HTML, Defect.FLAKY):
        article = by_defect[defect]
        row, tags = stored[f"{base}k21-meldungen/{article.slug}/"]
        assert row.title == article.title, defect
        assert tags, defect
    latin1_row, latin1_tags = stored[f"{base}k21-meldungen/{by_defect[Defect.LATIN1].slug}/"]
    assert any(ch in latin1_row.title + "".join(latin1_tags) for ch in "äöüÄÖÜß")
    assert "Ã" not in latin1_row.title + (latin1_row.teaser or "")


def test_old_and_new_urls_of_one_article_are_one_row(scenario: Scenario) -> None:
    aliases = scenario.db.url_aliases()
    stored = scenario.db.articles()
    ids_by_url = {url: row.id for url, (row, _) in stored.items()}
    old = {u: aid for u, aid in aliases.items() if "/meldung_" in u}
    assert len(old) >= 10  # redirects followed from archive, related and body links
    for url, aid in old.items():
        assert aid in ids_by_url.values(), url
    # The two pages served in the 2022 layout were recognised as copies, not new articles.
    catalog = scenario.mirror.sites["kommune21"].catalog
    for article in (a for a in catalog.ordered if a.old_layout):
        base = scenario.mirror.base_urls["kommune21"]
        current = ids_by_url[f"{base}k21-meldungen/{article.slug}/"]
        assert aliases[f"{base}meldung_{article.id}_gn"] == current


def test_refresh_of_unchanged_mirror_adds_nothing_and_costs_two_requests(
    scenario: Scenario,
) -> None:
    assert scenario.counts_after[1] == scenario.counts_after[0]
    runs = runs_of_crawl(scenario, 1)
    assert sum(r.articles_new + r.articles_updated for r in runs.values()) == 0
    for source, run in runs.items():
        paths = [r.path for r in scenario.refresh_requests if r.source == source]
        # The feed and the first archive page, both answered 304 Not Modified; robots.txt
        # comes from the database's cache (robots_cache), not the site.
        assert sorted(paths) == ["/k21-meldungen/", "/k21-meldungen/feed"], (source, paths)
        assert run.not_modified == len(paths), source
        assert run.requests == len(paths)  # the run counts what it sent


def test_full_crawl_of_unchanged_mirror_adds_nothing(scenario: Scenario) -> None:
    assert scenario.counts_after[2] == scenario.counts_after[0]
    runs = runs_of_crawl(scenario, 2)
    assert sum(r.articles_new + r.articles_updated for r in runs.values()) == 0
    assert sum(r.articles_unchanged for r in runs.values()) >= 160


def test_edited_teaser_gives_one_update_and_one_revision(scenario: Scenario) -> None:
    run = runs_of_crawl(scenario, 3)["kommune21"]
    assert (run.articles_new, run.articles_updated) == (0, 1)
    assert scenario.counts_after[3]["articles"] == 160
    assert scenario.counts_after[3]["revisions"] == 1
    [revision] = scenario.db.revisions()
    row, _ = scenario.db.articles()[scenario.edited_url]
    assert revision.article_id == row.id
    assert revision.teaser != EDITED_TEASER
    assert row.teaser == EDITED_TEASER
    assert row.updated_at is not None


def test_summary_is_printed(scenario: Scenario) -> None:
    out = scenario.outputs[0].stdout
    assert "source" in out and "kommune21" in out and "new" in out
