"""Full-text search on both backends (real SQLite FTS5 and real PostgreSQL): a table of queries
and the articles they find, umlaut spellings and compound parts, ranking, snippets, facets, and
indexes kept in sync by the database on insert, update and delete, and backfilled by the
migration."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, delete, text, update

from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import downgrade, upgrade
from kn_crawl.db.models import Article
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem
from kn_crawl.query import parse_query
from kn_crawl.search import count, facets, hits, search

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def article(slug: str, title: str, **fields: object) -> ArticleItem:
    source = str(fields.pop("source", "kommune21"))
    url = f"https://{source}.example/{slug}/"
    base = ArticleItem(
        source=source,
        url=url,
        fetched_url=url,
        title=title,
        kicker=None,
        teaser=None,
        body=None,
        published_at=datetime(2025, 3, 10, tzinfo=BERLIN),
        date_signal="visible",
        tags=[],
        section="Verwaltung",
        site_article_id=f"p:{slug}",
    )
    return replace(base, **fields)  # type: ignore[arg-type]


CORPUS = [
    article(
        "buergerbuero",
        "Dortmund eröffnet neues Bürgerbüro",
        kicker="Nordrhein-Westfalen",
        teaser="Das Bürgerbüro bietet Termine online an.",
        tags=["Dortmund", "Bürgerservice"],
    ),
    article(
        "buergeramt",
        "Buergeramt Kassel digitalisiert Anträge",
        teaser="Hessen setzt das Onlinezugangsgesetz (OZG) um.",
        tags=["OZG", "Hessen"],
        section="E-Government",
        published_at=datetime(2025, 4, 2, tzinfo=BERLIN),
    ),
    article(
        "serviceportal",
        "Serviceportal für alle Kommunen",
        teaser="Das Land startet ein gemeinsames Portal.",
        body="Die digitale Verwaltung wird einfacher. Der Freistaat Bayern macht mit.",
        tags=["Bayern", "OZG"],
        source="move",
        published_at=datetime(2024, 11, 5, tzinfo=BERLIN),
    ),
    article(
        "strasse",
        "Straßenbeleuchtung wird smart",
        teaser="Smart City in Ulm: Laternen melden Defekte.",
        tags=["Smart City", "Ulm"],
        section="Smart City",
        source="stadtundwerk",
        published_at=datetime(2025, 5, 20, tzinfo=BERLIN),
    ),
    article(
        "ki",
        "KI im Rathaus",
        teaser="Künstliche Intelligenz beantwortet Bürgerfragen.",
        tags=["KI"],
        published_at=datetime(2025, 5, 30, tzinfo=BERLIN),
    ),
]


def fill(engine: Engine) -> Engine:
    with engine.begin() as conn:
        for name in ("kommune21", "move", "stadtundwerk"):
            ensure_source(conn, name=name, family="k21", title=name, base_url="https://x/")
    store = ArticleStore(engine)
    for item in CORPUS:
        with engine.connect() as conn:
            sid = conn.execute(
                text("SELECT id FROM sources WHERE name = :n"), {"n": item.source}
            ).scalar_one()
        store.save(sid, item.source, [item], now=NOW)
    return engine


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def corpus(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One filled database per backend for the read-only tests of this module."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search') / 'kn.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres").create_database(f"kn_search_{uuid.uuid4().hex}")
    engine = make_engine(url)
    upgrade(engine)
    yield fill(engine)
    engine.dispose()


@pytest.fixture
def fresh_corpus(engine: Engine) -> Engine:
    """A filled database of its own, for tests that change it."""
    return fill(engine)


def found(engine: Engine, q: str) -> list[str]:
    with engine.connect() as conn:
        page = search(conn, parse_query(q, now=NOW), limit=50)
    return sorted(hit.url.rstrip("/").rsplit("/", 1)[1] for hit in page.hits)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("Bürgerbüro", ["buergerbuero"]),
        ("Buergerbuero", ["buergerbuero"]),  # transliterated
        ("BÜRGERBÜRO", ["buergerbuero"]),
        ("Bürgeramt", ["buergeramt"]),  # stored as "Buergeramt"
        ("bürger", ["buergeramt", "buergerbuero", "ki"]),  # word prefix (Bürgerfragen)
        ("büro", ["buergerbuero"]),  # compound part
        ("portal", ["serviceportal"]),  # compound part and word
        ("beleuchtung", ["strasse"]),
        ("Strasse", ["strasse"]),  # ß
        ("KI", ["ki"]),  # two letters: word prefix
        ('"digitale Verwaltung"', ["serviceportal"]),  # phrase in the body
        ('"Verwaltung digitale"', []),
        ("OZG", ["buergeramt"]),  # the body/teaser word; tags are searched with tag:
        ("OZG OR Intelligenz", ["buergeramt", "ki"]),
        ("Kommunen -Bayern", []),
        ("Portal -Bayern", []),
        ("tag:OZG", ["buergeramt", "serviceportal"]),
        ("tag:ozg -tag:Bayern", ["buergeramt"]),
        ("tag:smart-city", ["strasse"]),
        ("source:move", ["serviceportal"]),
        ("-source:kommune21 smart OR portal", ["serviceportal", "strasse"]),
        ("section:e-government", ["buergeramt"]),
        ('section:"Smart City"', ["strasse"]),
        ("since:2025-04-01", ["buergeramt", "ki", "strasse"]),
        ("until:2024", ["serviceportal"]),
        ('since:"März 2025" until:2025-03', ["buergerbuero"]),
        ("tag:OZG -Bayern", ["buergeramt"]),  # exclusion without words
        ("", ["buergeramt", "buergerbuero", "ki", "serviceportal", "strasse"]),
        ("Hamburg", []),
    ],
)
def test_queries_find_the_expected_articles(corpus: Engine, q: str, expected: list[str]) -> None:
    assert found(corpus, q) == expected


def test_ranking_and_highlights(corpus: Engine) -> None:
    with corpus.connect() as conn:
        page = search(conn, parse_query("Bürgerbüro OR Portal"))
    assert page.total == 2
    titles = [h.title for h in page.hits]
    assert set(titles) == {"Dortmund eröffnet neues Bürgerbüro", "Serviceportal für alle Kommunen"}
    first = page.hits[0]
    assert any(marked for _, marked in first.title_marks)
    assert all(h.score >= page.hits[-1].score for h in page.hits)
    by_title = {h.title: h for h in page.hits}
    assert ("Bürgerbüro", True) in by_title["Dortmund eröffnet neues Bürgerbüro"].snippet
    with corpus.connect() as conn:
        body_hit = search(conn, parse_query('"digitale Verwaltung"')).hits[0]
    assert ("digitale Verwaltung", True) in body_hit.snippet  # snippet comes from the body


def test_date_order_and_pagination(corpus: Engine) -> None:
    with corpus.connect() as conn:
        first = search(conn, parse_query(""), limit=2, order="date")
        second = search(conn, parse_query(""), limit=2, offset=2, order="date")
    assert first.total == 5
    assert [h.published_at for h in first.hits + second.hits] == sorted(
        [h.published_at for h in first.hits + second.hits], reverse=True
    )
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


def test_facets(corpus: Engine) -> None:
    with corpus.connect() as conn:
        f = facets(conn, parse_query("OZG OR KI OR Portal"))
    assert dict(f.sources) == {"kommune21": 2, "move": 1}
    assert dict(f.tags)["OZG"] == 2
    assert dict(f.months) == {"2025-04": 1, "2025-05": 1, "2024-11": 1}
    assert dict(f.sections) == {"Verwaltung": 2, "E-Government": 1}


def test_index_follows_updates_and_deletes(fresh_corpus: Engine) -> None:
    corpus = fresh_corpus
    with corpus.begin() as conn:
        conn.execute(
            update(Article)
            .where(Article.url.like("%/ki/"))
            .values(title="Chatbot im Rathaus", teaser="Ein Sprachassistent hilft.")
        )
    assert found(corpus, "Chatbot") == ["ki"]
    assert found(corpus, "Intelligenz") == []
    with corpus.begin() as conn:
        conn.execute(delete(Article).where(Article.url.like("%/ki/")))
    assert found(corpus, "Chatbot") == []
    with corpus.connect() as conn:
        assert count(conn, parse_query("")) == 4


def test_migration_backfills_existing_articles(fresh_corpus: Engine) -> None:
    corpus = fresh_corpus
    downgrade(corpus, "0003")
    upgrade(corpus)
    assert found(corpus, "Buergerbuero") == ["buergerbuero"]
    assert found(corpus, "portal") == ["serviceportal"]


@pytest.mark.parametrize(
    "q",
    [
        "x'); DROP TABLE articles; --",
        'tag:"\'; DELETE FROM tags; --"',
        'source:"move\' OR 1=1 --"',
        '"a OR 1" OR NEAR(x y) OR title*',
        "section:%'a' since:2024",
        "* ^ NOT AND : -( ) {title}:x",
    ],
)
def test_user_text_is_bound_never_inlined(corpus: Engine, q: str) -> None:
    query = parse_query(q)
    with corpus.connect() as conn:
        compiled = hits(query, conn).compile(dialect=conn.dialect)
        search(conn, query)  # runs without a syntax error
        assert count(conn, parse_query("")) == 5  # nothing was changed
    sql = str(compiled)
    for dangerous in ("DROP", "DELETE", "1=1"):
        assert dangerous not in sql
