"""End to end: the zoo sites with the mirror's republished press releases, crawled over HTTP
into SQLite and PostgreSQL; the clustering the crawl did is what the analysts' surfaces show:
the story page, the article page, folded search results, the API, exports and
``kn-crawl stories``."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient
from sqlalchemy import select

from kn_crawl.cli import main
from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import Article
from kn_crawl.mirror.zoo.planted import PLANTED, SAME_STORIES, TRIPLE_PUBLISHED, story_groups
from kn_crawl.web import create_app
from tests.crawling import crawled_planted_zoo

pytestmark = pytest.mark.slow

SOURCES = tuple(sorted({c.source for c in PLANTED}))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def crawled(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, list[tuple[str, Any]]], dict[str, int]]]:
    """(database URL, the mirror's story ground truth, article URL → id)."""
    with crawled_planted_zoo(request, tmp_path_factory, "story_views") as (mirror, db_url):
        truth = story_groups({s: mirror.expected_articles(s) for s in SOURCES})
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ids = {url: int(i) for i, url in conn.execute(select(Article.id, Article.url))}
    engine.dispose()
    yield db_url, truth, ids


@pytest.fixture(scope="module")
def client(crawled: tuple[str, Any, Any]) -> Iterator[FlaskClient]:
    app = create_app(crawled[0])
    yield app.test_client()
    app.config["KN_ENGINE"].dispose()


def run(db_url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KN_DATABASE_URL": db_url})


def test_the_triple_published_release_on_its_story_page(
    crawled: tuple[str, Any, dict[str, int]], client: FlaskClient
) -> None:
    _, truth, ids = crawled
    copies = truth[TRIPLE_PUBLISHED]
    first = ids[copies[0][1].url]
    story_id = client.get(f"/api/articles/{first}").get_json()["story_id"]
    story = client.get(f"/api/stories/{story_id}").get_json()
    assert (story["source_count"], story["article_count"]) == (3, 3)
    assert [(a["source"], a["url"]) for a in story["articles"]] == [
        (source, a.url) for source, a in copies
    ]
    assert story["title"] == copies[0][1].title
    page = client.get(f"/story/{story_id}").get_data(as_text=True)
    assert "Meldung in <strong>3 Quellen</strong>" in page
    positions = [page.index(f'/artikel/{ids[a.url]}"') for _, a in copies]
    assert positions == sorted(positions)
    # The article page of the second copy lists the other two.
    second = client.get(f"/artikel/{ids[copies[1][1].url]}").get_data(as_text=True)
    same = second[second.index("Dieselbe Meldung bei anderen Quellen") :]
    assert f'href="/story/{story_id}">Meldung in 3 Quellen</a>' in same
    assert [int(i) for i in re.findall(r'href="/artikel/(\d+)"', same)] == [
        ids[copies[0][1].url],
        ids[copies[2][1].url],
    ]


def test_search_folds_each_release_into_one_result(
    crawled: tuple[str, Any, dict[str, int]], client: FlaskClient
) -> None:
    _, truth, ids = crawled
    groups = {key: {ids[a.url] for _, a in truth[key]} for key in SAME_STORIES}
    for q in ("Deutschland-Stack", "Lagebild Kommunen", "Kommunen"):
        every = client.get("/api/search", query_string={"q": q, "limit": 100}).get_json()
        found = {r["id"] for r in every["results"]}
        assert every["total"] == len(found)
        told = [copies for copies in groups.values() if copies <= found]
        assert told, q  # each query finds one release or both
        page = client.get("/", query_string={"q": q}).get_data(as_text=True)
        shown = {int(i) for i in re.findall(r'<h3><a href="/artikel/(\d+)', page)}
        assert all(len(shown & copies) == 1 for copies in told), q
        assert len(shown) == min(every["total"], 20) - 2 * len(told)
        assert page.count("+2 weitere Quellen</a>") == len(told)


def test_cli_lists_the_releases_and_exports_carry_their_story(
    crawled: tuple[str, Any, dict[str, int]],
) -> None:
    db_url, truth, ids = crawled
    listed = run(db_url, "stories", "--min-sources", "2", "--json")
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(sorted(a["url"] for a in r["articles"]) for r in rows) == sorted(
        sorted(a.url for _, a in truth[key]) for key in SAME_STORIES
    )
    assert [r["source_count"] for r in rows] == [3, 3]
    exported = run(db_url, "export", "--format", "csv", "-o", "-", "--no-body")
    by_url = {r["url"]: r["story_id"] for r in csv.DictReader(io.StringIO(exported.stdout))}
    assert len(by_url) == len(ids)
    for key in SAME_STORIES:
        assert len({by_url[a.url] for _, a in truth[key]}) == 1
    assert all(by_url.values())  # every crawled article is clustered


def test_cli_rebuild_keeps_the_stories(crawled: tuple[str, Any, dict[str, int]]) -> None:
    db_url, _, ids = crawled
    result = run(db_url, "stories", "rebuild")
    assert result.exit_code == 0, result.output
    stories = len(ids) - 2 * len(SAME_STORIES)
    assert result.stdout == (
        f"rebuilt stories: {len(ids):,} articles in {stories:,} stories "
        f"({len(SAME_STORIES)} told by more than one source)\n"
    )
    listed = run(db_url, "stories", "--min-sources", "2", "--json")
    assert len(listed.stdout.splitlines()) == len(SAME_STORIES)
