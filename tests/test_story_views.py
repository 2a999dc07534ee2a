"""Stories as analysts see them, on both backends: the queries (a story with its articles,
listing, trending relative to the newest data), the web UI (story page, article page, search
results folded by story), the JSON API, exports and the ``stories`` and ``search`` commands.

The articles are stored through the normal store; their stories are then written by
``assign_stories`` (what the clustering decides is tested with the clustering): these tests
pin what the surfaces show for given stories.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, select, update

from kn_crawl.cli import main
from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import Article, Source
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.search.stories import list_stories, story_detail, trending_stories
from kn_crawl.stories.models import Story
from kn_crawl.web import create_app
from tests.test_search import article

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
Told = tuple[str, Engine, dict[str, int]]
"""The database's URL, its engine, and story name → story id."""


def _at(day: int, month: int = 5) -> datetime:
    return datetime(2025, month, day, 9, 0, tzinfo=BERLIN)


CORPUS = [
    # Story "schulen": three sources, kommune21 twice (a follow-up copy of its own).
    article("schulen-k21", "Land startet Förderprogramm für digitale Schulen",
            teaser="Das Kultusministerium fördert WLAN und Tablets.", published_at=_at(20)),
    article("schulen-move", "Förderprogramm für digitale Schulen gestartet", source="move",
            teaser="Das Kultusministerium fördert WLAN und Tablets.", published_at=_at(21)),
    article("schulen-suw", "Digitale Schulen: Land fördert WLAN", source="stadtundwerk",
            teaser="Ein Förderprogramm des Kultusministeriums.", published_at=_at(22)),
    article("schulen-k21-2", "Förderprogramm digitale Schulen: Antragsfrist verlängert",
            teaser="Das Kultusministerium fördert WLAN und Tablets.", published_at=_at(23)),
    # Story "ulm": two sources, the newest data.
    article("ulm-move", "Smart City Ulm vernetzt Laternen", source="move",
            teaser="Laternen melden Defekte.", published_at=_at(25)),
    article("ulm-k21", "Ulm vernetzt seine Laternen", teaser="Laternen melden Defekte.",
            published_at=_at(26)),
    # A story of one article, an old story of two sources, and an article not clustered yet.
    article("kassel", "Glasfaser für Kassel", source="stadtundwerk", published_at=_at(1, 4)),
    article("alt-move", "Registermodernisierung beschlossen", source="move",
            published_at=_at(10, 1)),
    article("alt-k21", "Bund beschließt Registermodernisierung", published_at=_at(11, 1)),
    article("neu", "Noch ohne Meldung", source="stadtundwerk", published_at=_at(24)),
]  # fmt: skip
STORIES = {
    "schulen": ["schulen-k21", "schulen-move", "schulen-suw", "schulen-k21-2"],
    "ulm": ["ulm-move", "ulm-k21"],
    "kassel": ["kassel"],
    "alt": ["alt-move", "alt-k21"],
}


def slug_ids(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(Article.id, Article.url)).all()
    return {url.rstrip("/").rsplit("/", 1)[1]: int(i) for i, url in rows}


def assign_stories(engine: Engine, groups: dict[str, list[str]]) -> dict[str, int]:
    """Write ``stories`` and ``articles.story_id`` for these groups of article slugs (the
    first slug is the story's first article), replacing whatever the store clustered;
    returns group name → story id."""
    ids = slug_ids(engine)
    out: dict[str, int] = {}
    with engine.begin() as conn:
        conn.execute(update(Article).values(story_id=None))
        conn.execute(delete(Story))
        for name, slugs in groups.items():
            members = conn.execute(
                select(Article.id, Article.source_id, Article.published_at)
                .where(Article.id.in_([ids[s] for s in slugs]))
            ).all()  # fmt: skip
            story_id = conn.execute(
                Story.__table__.insert()
                .values(
                    first_article_id=ids[slugs[0]],
                    first_seen_at=NOW,
                    first_published_at=min(m.published_at for m in members),
                    last_published_at=max(m.published_at for m in members),
                    article_count=len(members),
                    source_count=len({m.source_id for m in members}),
                    updated_at=NOW,
                )
                .returning(Story.id)
            ).scalar_one()
            conn.execute(
                update(Article)
                .where(Article.id.in_([m.id for m in members]))
                .values(story_id=story_id)
            )
            out[name] = int(story_id)
    return out


def fill_stories(engine: Engine) -> dict[str, int]:
    with engine.begin() as conn:
        for name in ("kommune21", "move", "stadtundwerk"):
            ensure_source(
                conn, name=name, family="k21", title=f"Quelle {name}", base_url="https://x/"
            )
    store = ArticleStore(engine)
    for item in CORPUS:
        with engine.connect() as conn:
            sid = conn.execute(select(Source.id).where(Source.name == item.source)).scalar_one()
        store.save(sid, item.source, [item], now=NOW)
    return assign_stories(engine, STORIES)


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def told(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Told]:
    """One database per backend with the stories above (read-only tests)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('stories') / 'kn.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"kn_st_{uuid.uuid4().hex}")
    engine = make_engine(url)
    upgrade(engine)
    stories = fill_stories(engine)
    yield url, engine, stories
    engine.dispose()


@pytest.fixture(scope="module")
def app(told: Told) -> Iterator[Flask]:
    app = create_app(told[0])
    yield app
    app.config["KN_ENGINE"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def page(client: FlaskClient, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# --- queries ---------------------------------------------------------------------------------


def test_story_detail_lists_the_first_article_first(
    told: Told,
) -> None:
    _, engine, stories = told
    with engine.connect() as conn:
        story = story_detail(conn, stories["schulen"])
        assert story_detail(conn, 999_999) is None
    assert story is not None
    assert (story.source_count, story.article_count) == (3, 4)
    assert [a.url.split("/")[3] for a in story.articles] == STORIES["schulen"]
    assert story.title == "Land startet Förderprogramm für digitale Schulen"
    assert story.articles[1].source == "move"
    assert story.articles[1].source_title == "Quelle move"
    assert story.first_published_at == _at(20)
    assert story.last_published_at == _at(23)


def test_list_stories_since_min_sources_and_order(told: Told) -> None:
    _, engine, s = told
    with engine.connect() as conn:
        recent = [x.id for x in list_stories(conn)]
        by_sources = [x.id for x in list_stories(conn, order="sources")]
        several = [x.id for x in list_stories(conn, min_sources=2)]
        since = [x.id for x in list_stories(conn, since=_at(1, 4))]
        second = [x.id for x in list_stories(conn, limit=2, offset=2)]
    assert recent == [s["ulm"], s["schulen"], s["kassel"], s["alt"]]
    assert by_sources == [s["schulen"], s["ulm"], s["alt"], s["kassel"]]
    assert several == [s["ulm"], s["schulen"], s["alt"]]
    assert since == [s["ulm"], s["schulen"], s["kassel"]]
    assert second == [s["kassel"], s["alt"]]


def test_trending_is_relative_to_the_newest_article(
    told: Told,
) -> None:
    _, engine, s = told
    with engine.connect() as conn:
        week = trending_stories(conn, days=7)
        two_days = trending_stories(conn, days=2)
        four_days = trending_stories(conn, days=4)
    assert week is not None and two_days is not None and four_days is not None
    # The newest article is from 26 May 2025, long before "now": the period ends there.
    assert week.end == _at(26) and week.start == datetime(2025, 5, 19, 9, 0, tzinfo=BERLIN)
    assert [(x.id, n) for x, n in week.stories] == [(s["schulen"], 3), (s["ulm"], 2)]
    assert [(x.id, n) for x, n in two_days.stories] == [(s["ulm"], 2)]
    # Within four days only kommune21's own follow-up of "schulen" counts: one source.
    assert [(x.id, n) for x, n in four_days.stories] == [(s["ulm"], 2)]


def test_trending_on_an_empty_database(engine: Engine) -> None:
    with engine.connect() as conn:
        assert trending_stories(conn) is None
        assert list_stories(conn) == []


# --- web UI ----------------------------------------------------------------------------------


def test_story_page(client: FlaskClient, told: Told) -> None:
    _, engine, s = told
    ids = slug_ids(engine)
    body = page(client, f"/story/{s['schulen']}")
    assert "Meldung in <strong>3 Quellen</strong> (4 Artikel)" in body
    assert "zuerst gesehen 01.06.2025 14:00" in body
    assert "veröffentlicht 20.05.2025 bis 23.05.2025" in body
    links = [f'/artikel/{ids[slug]}"' for slug in STORIES["schulen"]]
    positions = [body.index(link) for link in links]
    assert positions == sorted(positions)  # the first article first, then by date
    assert body.count('<li class="story-article') == 4
    assert "Quelle stadtundwerk" in body
    assert "Meldung in <strong>1 Quelle</strong>" in page(client, f"/story/{s['kassel']}")


def test_story_page_errors(client: FlaskClient) -> None:
    assert "Diese Meldung gibt es nicht." in page(client, "/story/999999", 404)
    assert "Ungültige Meldungsnummer" in page(client, "/story/abc", 400)
    page(client, f"/story/{2**63}", 400)
    page(client, "/story/%D9%A3", 400)  # an Arabic-Indic digit


def test_article_page_lists_the_story(client: FlaskClient, told: Told) -> None:
    _, engine, s = told
    ids = slug_ids(engine)
    body = page(client, f"/artikel/{ids['schulen-move']}")
    same = body[body.index("Dieselbe Meldung bei anderen Quellen") :]
    assert f'href="/story/{s["schulen"]}">Meldung in 3 Quellen</a>' in same
    for slug in ("schulen-k21", "schulen-suw", "schulen-k21-2"):
        assert f"/artikel/{ids[slug]}" in same
    assert f'/artikel/{ids["schulen-move"]}"' not in same  # not itself
    for alone in ("kassel", "neu"):
        body = page(client, f"/artikel/{ids[alone]}")
        assert "Nicht bekannt." in body[body.index("Dieselbe Meldung") :]


def test_search_results_folded_by_story(client: FlaskClient, told: Told) -> None:
    _, engine, s = told
    ids = slug_ids(engine)
    folded = page(client, "/?q=Schulen&order=date")
    assert "<strong>4</strong> Artikel" in folded
    assert folded.count('class="hit"') == 1
    assert f"/artikel/{ids['schulen-k21-2']}" in folded  # the newest, first by date
    title = "3 weitere Treffer dieser Seite zusammengefasst"
    assert f'<a href="/story/{s["schulen"]}" title="{title}">+2 weitere Quellen</a>' in folded
    assert "alle Quellen einzeln zeigen" in folded
    every = page(client, "/?q=Schulen&order=date&alle_quellen=1")
    assert every.count('class="hit"') == 4
    assert every.count("+2 weitere Quellen</a>") == 4
    assert "nach Meldung zusammenfassen" in every
    # A story of one article and an unclustered one: nothing to fold, no link, no toggle.
    alone = page(client, "/?q=Kassel")
    assert alone.count('class="hit"') == 1 and "weitere" not in alone
    assert "einzeln zeigen" not in alone
    page(client, "/?q=Schulen&alle_quellen=2", 400)


def test_all_articles_folded_and_paged(client: FlaskClient) -> None:
    body = page(client, "/?alle=1&order=date")
    assert "<strong>10</strong> Artikel" in body
    # 10 articles: schulen's 4, ulm's 2 and alt's 2 fold into 3; kassel and neu stay.
    assert body.count('class="hit"') == 5
    assert "+1 weitere Quelle</a>" in body and "+2 weitere Quellen</a>" in body


def test_trending_page(client: FlaskClient, told: Told) -> None:
    _, _, s = told
    body = page(client, "/meldungen")
    assert "Meldungen in vielen Quellen" in body
    assert "19.05.2025 – 26.05.2025 (die letzten 7 Tage bis zur neuesten Meldung)" in body
    assert body.index(f"/story/{s['schulen']}") < body.index(f"/story/{s['ulm']}")
    assert "3 Quellen · kommune21, move, stadtundwerk" in body
    assert f"/story/{s['schulen']}" not in page(client, "/meldungen?tage=2")
    page(client, "/meldungen?tage=0", 400)


# --- API -------------------------------------------------------------------------------------


def test_api_story_and_stories(client: FlaskClient, told: Told) -> None:
    _, engine, s = told
    ids = slug_ids(engine)
    story = client.get(f"/api/stories/{s['ulm']}").get_json()
    assert story == {
        "id": s["ulm"],
        "title": "Smart City Ulm vernetzt Laternen",
        "first_seen_at": "2025-06-01T12:00:00+00:00",
        "first_published_at": "2025-05-25T07:00:00+00:00",
        "last_published_at": "2025-05-26T07:00:00+00:00",
        "article_count": 2,
        "source_count": 2,
        "articles": [
            {"id": ids["ulm-move"], "source": "move", "title": "Smart City Ulm vernetzt Laternen",
             "url": "https://move.example/ulm-move/", "published_at": "2025-05-25T07:00:00+00:00",
             "first_seen_at": "2025-06-01T12:00:00+00:00"},
            {"id": ids["ulm-k21"], "source": "kommune21", "title": "Ulm vernetzt seine Laternen",
             "url": "https://kommune21.example/ulm-k21/",
             "published_at": "2025-05-26T07:00:00+00:00",
             "first_seen_at": "2025-06-01T12:00:00+00:00"},
        ],
    }  # fmt: skip
    listed = client.get("/api/stories?min_sources=2&order=sources&limit=2").get_json()
    assert [x["id"] for x in listed["stories"]] == [s["schulen"], s["ulm"]]
    assert listed["page"] == 1 and listed["limit"] == 2
    since = client.get("/api/stories?since=2025-04-01").get_json()
    assert [x["id"] for x in since["stories"]] == [s["ulm"], s["schulen"], s["kassel"]]
    trending = client.get("/api/stories/trending?days=2").get_json()
    assert trending["start"] == "2025-05-24T07:00:00+00:00"
    assert [(x["id"], x["sources_in_period"]) for x in trending["stories"]] == [(s["ulm"], 2)]
    for bad in ("/api/stories/0", "/api/stories?since=gestern-ish", "/api/stories?order=x",
                "/api/stories/trending?days=0", "/api/stories?min_sources=0"):  # fmt: skip
        response = client.get(bad)
        assert response.status_code == 400 and response.get_json()["status"] == 400, bad
    missing = client.get("/api/stories/999999")
    assert (
        missing.status_code == 404 and missing.get_json()["error"] == "Diese Meldung gibt es nicht."
    )


def test_api_article_and_search_carry_the_story(client: FlaskClient, told: Told) -> None:
    _, engine, s = told
    ids = slug_ids(engine)
    one = client.get(f"/api/articles/{ids['ulm-k21']}").get_json()
    assert one["story_id"] == s["ulm"]
    assert one["story"] == {"id": s["ulm"], "source_count": 2, "article_count": 2,
                            "first_seen_at": "2025-06-01T12:00:00+00:00"}  # fmt: skip
    assert one["same_story"] == [
        {"id": ids["ulm-move"], "source": "move", "title": "Smart City Ulm vernetzt Laternen",
         "url": "https://move.example/ulm-move/", "published_at": "2025-05-25T07:00:00+00:00"}
    ]  # fmt: skip
    alone = client.get(f"/api/articles/{ids['neu']}").get_json()
    assert (alone["story_id"], alone["story"], alone["same_story"]) == (None, None, [])
    found = client.get("/api/search?q=Laternen&order=date").get_json()
    assert [(r["id"], r["story_id"]) for r in found["results"]] == [
        (ids["ulm-k21"], s["ulm"]),
        (ids["ulm-move"], s["ulm"]),
    ]


# --- exports ---------------------------------------------------------------------------------


def test_web_exports_carry_story_id(client: FlaskClient, told: Told) -> None:
    _, engine, s = told
    ids = slug_ids(engine)
    rows = list(csv.DictReader(io.StringIO(page(client, "/export.csv?q=Laternen+OR+Meldung"))))
    assert [(r["id"], r["story_id"]) for r in rows] == [
        (str(ids["ulm-k21"]), str(s["ulm"])),
        (str(ids["ulm-move"]), str(s["ulm"])),
        (str(ids["neu"]), ""),
    ]
    body = json.loads(page(client, "/export.json?q=Kassel"))
    assert [(r["id"], r["story_id"]) for r in body] == [(ids["kassel"], s["kassel"])]


def run(url: str, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"KN_DATABASE_URL": url})


def test_cli_export_carries_story_id(told: Told, tmp_path: Path) -> None:
    url, engine, s = told
    ids = slug_ids(engine)
    target = tmp_path / "x.jsonl"
    result = run(url, "export", "Schulen", "--format", "jsonl", "-o", str(target), "--no-body")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["story_id"]) for r in rows] == [
        (ids[slug], s["schulen"]) for slug in reversed(STORIES["schulen"])
    ]
    assert list(rows[0])[-1] == "story_id"


# --- CLI -------------------------------------------------------------------------------------


def test_cli_stories_listing(told: Told) -> None:
    url, _, s = told
    result = run(url, "stories", "--min-sources", "2")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["id", "latest", "sources", "articles", "title", "told", "by"]
    assert lines[2].split()[:4] == [str(s["ulm"]), "26.05.2025", "2", "2"]
    assert "Smart City Ulm vernetzt Laternen" in lines[2]
    assert lines[2].endswith("  kommune21, move")
    assert lines[3].split()[:4] == [str(s["schulen"]), "23.05.2025", "3", "4"]
    assert lines[4].split()[:4] == [str(s["alt"]), "11.01.2025", "2", "2"]
    assert len(lines) == 5
    since = run(url, "stories", "--since", "2025-05-24", "--json")
    rows = [json.loads(line) for line in since.stdout.splitlines()]
    assert [(r["id"], r["source_count"], r["sources"]) for r in rows] == [
        (s["ulm"], 2, ["kommune21", "move"])
    ]
    by_sources = run(url, "stories", "--order", "sources", "--limit", "1", "--json")
    assert json.loads(by_sources.stdout)["id"] == s["schulen"]


def test_cli_stories_show(told: Told) -> None:
    url, engine, s = told
    ids = slug_ids(engine)
    result = run(url, "stories", "show", str(s["schulen"]))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"story {s['schulen']}: 3 sources, 4 articles, first seen 2025-06-01 14:00"
    assert [line.split()[0] for line in lines[3:]] == [str(ids[x]) for x in STORIES["schulen"]]
    shown = json.loads(run(url, "stories", "show", str(s["ulm"]), "--json").stdout)
    assert shown["sources"] == ["kommune21", "move"]
    assert [a["id"] for a in shown["articles"]] == [ids["ulm-move"], ids["ulm-k21"]]


@pytest.mark.parametrize(
    ("args", "message", "code"),
    [
        (["stories", "show", "999999"], "kn-crawl: error: no story 999999\n", 1),
        (["stories", "show", "0"], "0 is not in the range", 2),
        (["stories", "--since", "gestrig"], "is not a date", 2),
        (["stories", "--min-sources", "0"], "is not in the range", 2),
    ],
)
def test_cli_stories_errors(told: Told, args: list[str], message: str, code: int) -> None:
    result = run(told[0], *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.output


def test_cli_search_collapse(told: Told) -> None:
    url, engine, s = told
    ids = slug_ids(engine)
    table = run(url, "search", "Schulen", "--order", "date", "--collapse")
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[2].endswith(
        "Förderprogramm digitale Schulen: Antragsfrist verlängert (+2 sources)"
    )
    assert len(table.stdout.splitlines()) == 3
    assert "1–4 of 4 articles" in table.stderr
    out = run(url, "search", "Schulen", "--order", "date", "--collapse", "--format", "jsonl")
    rows = [json.loads(x) for x in out.stdout.splitlines()]
    assert [(r["id"], r["story_id"], r["other_sources"], r["folded"]) for r in rows] == [
        (ids["schulen-k21-2"], s["schulen"], 2, 3)
    ]
    plain = [
        json.loads(x)
        for x in run(url, "search", "Schulen", "--format", "jsonl").stdout.splitlines()
    ]
    assert len(plain) == 4 and {r["story_id"] for r in plain} == {s["schulen"]}
    assert "other_sources" not in plain[0]


def test_an_empty_database_has_no_stories_anywhere(engine: Engine, db_url: str) -> None:
    app = create_app(db_url)
    client = app.test_client()
    try:
        assert "Noch keine Artikel in der Datenbank." in page(client, "/meldungen")
        assert client.get("/api/stories/trending").get_json() == {
            "days": 7, "start": None, "end": None, "stories": []
        }  # fmt: skip
        assert client.get("/api/stories").get_json()["stories"] == []
        page(client, "/story/1", 404)
    finally:
        app.config["KN_ENGINE"].dispose()
    listed = run(db_url, "stories")
    assert listed.exit_code == 0 and listed.stdout.splitlines()[0].startswith("id")
    assert len(listed.stdout.splitlines()) == 2  # the header and its rule


def test_start_page_shows_the_trending_stories(client: FlaskClient, told: Told) -> None:
    _, _, s = told
    body = page(client, "/")
    section = body[body.index('<section class="start-stories"') :]
    section = section[: section.index("</section>")]
    assert '<h2 id="start-stories">Meldungen in vielen Quellen</h2>' in section
    assert "19.05.2025 – 26.05.2025 (die letzten 7 Tage bis zur neuesten Meldung)" in section
    assert section.index(f"/story/{s['schulen']}") < section.index(f"/story/{s['ulm']}")
    assert "3 Quellen · kommune21, move, stadtundwerk" in section
    assert f"/story/{s['alt']}" not in section  # January: outside the period
    assert 'href="/meldungen"' in section
