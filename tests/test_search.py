"""Full-text search on both backends (real SQLite FTS5 and real PostgreSQL): a table of queries
and the articles they find, umlaut spellings and compound parts, ranking, snippets, facets, and
indexes kept in sync by the database on insert, update and delete, and backfilled by the
migration."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import Engine, delete, text, update

from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import downgrade, upgrade
from kn_crawl.db.models import Article
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem
from kn_crawl.query import parse_query
from kn_crawl.search import Hit, count, facets, hits, postgresql, search
from kn_crawl.search.insights import find_tag, weekly_counts
from kn_crawl.search.planner import by_index, serial
from kn_crawl.search.readonly import readonly_engine
from kn_crawl.search.tagged import article_estimate, tag_to_list

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


def test_filters_follow_updates_and_deletes(fresh_corpus: Engine) -> None:
    """On SQLite the filter values live in article_facets, kept by triggers: a changed
    section, date or source is found at once, a deleted article no more."""
    corpus = fresh_corpus
    with corpus.begin() as conn:
        move = conn.execute(text("SELECT id FROM sources WHERE name = 'move'")).scalar_one()
        conn.execute(
            update(Article)
            .where(Article.url.like("%/ki/"))
            .values(
                section="Smart City",
                published_at=datetime(2019, 1, 5, tzinfo=UTC),
                source_id=move,
            )
        )
    assert found(corpus, 'KI section:"Smart City"') == ["ki"]
    assert found(corpus, 'section:"Smart City"') == ["ki", "strasse"]
    assert found(corpus, "KI until:2020") == ["ki"]
    assert found(corpus, "until:2020") == ["ki"]
    assert found(corpus, "Rathaus source:move") == ["ki"]
    assert found(corpus, "KI section:Verwaltung") == []
    with corpus.begin() as conn:
        conn.execute(delete(Article).where(Article.url.like("%/ki/")))
    assert found(corpus, 'section:"Smart City"') == ["strasse"]
    assert found(corpus, "until:2020") == []


def test_migration_backfills_existing_articles(fresh_corpus: Engine) -> None:
    corpus = fresh_corpus
    downgrade(corpus, "0003")
    upgrade(corpus)
    assert found(corpus, "Buergerbuero") == ["buergerbuero"]
    assert found(corpus, "portal") == ["serviceportal"]
    assert found(corpus, "portal source:move until:2025") == ["serviceportal"]
    assert found(corpus, "Bürgeramt section:E-Government") == ["buergeramt"]


def test_relevance_ranks_the_newest_matches_first_then_the_older(corpus: Engine) -> None:
    q = parse_query("Bürgerbüro OR Portal OR OZG OR Intelligenz OR smart")
    with corpus.connect() as conn:
        full = search(conn, q, limit=50).hits
        assert len(full) == 5
        pages = [search(conn, q, limit=2, offset=o, rank_window=3).hits for o in (0, 2, 4)]
    windowed = [h for page in pages for h in page]
    # Every match exactly once across the pages.
    assert sorted(h.id for h in windowed) == sorted(h.id for h in full)
    newest = sorted(full, key=lambda h: -h.id)[:3]
    older = sorted(full, key=lambda h: -h.id)[3:]

    def by_score(hits: list[Hit]) -> list[int]:
        return [h.id for h in sorted(hits, key=lambda h: (-h.score, -h.id))]

    assert [h.id for h in windowed] == by_score(newest) + by_score(older)
    # Fewer matches than the window: plain relevance.
    assert [h.id for h in full] == by_score(full)


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


@pytest.fixture
def tagged_corpus(engine: Engine) -> Engine:
    """60 articles, one a day: "Alle" on each, "Halb" on every second, "Drittel" on every
    third, "Selten" on two."""
    with engine.begin() as conn:
        source_id = ensure_source(
            conn, name="kommune21", family="k21", title="K21", base_url="https://x/"
        )
    items = []
    for n in range(60):
        tags = ["Alle"]
        tags += ["Halb"] if n % 2 == 0 else []
        tags += ["Drittel"] if n % 3 == 0 else []
        tags += ["Selten"] if n in (7, 42) else []
        items.append(
            article(
                f"a{n}",
                f"Meldung Nummer {n}",
                tags=tags,
                section="Verwaltung" if n % 4 else "Smart City",
                published_at=datetime(2024, 1, 1, 12, tzinfo=BERLIN) + timedelta(days=n),
            )
        )
    ArticleStore(engine).save(source_id, "kommune21", items, now=NOW)
    return engine


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("tag:Alle tag:Halb", lambda n: n % 2 == 0),  # both common: the date index walk
        ("tag:Halb tag:Drittel", lambda n: n % 6 == 0),
        ("tag:Selten tag:Alle", lambda n: n in (7, 42)),  # one rare: its list
        ("tag:Alle since:2024-02-01", lambda n: n >= 31),
        ('tag:Halb -section:"Smart City"', lambda n: n % 2 == 0 and n % 4 != 0),
        ("tag:Halb -tag:Drittel until:2024-02-01", lambda n: n % 2 == 0 and n % 3 and n < 31),
        ("tag:Fehlt tag:Alle", lambda n: False),
        # One tag alone (a Stichwort page): the walk, or its list (on PostgreSQL a
        # materialised CTE), by the tag's count and the page size.
        ("tag:Alle", lambda n: True),
        ("tag:Drittel", lambda n: n % 3 == 0),
        ("tag:Selten", lambda n: n in (7, 42)),
    ],
)
@pytest.mark.parametrize("page_size", [1, 7, 100])
def test_tag_filters_page_newest_first_by_either_plan(
    tagged_corpus: Engine, q: str, expected: Callable[[int], bool], page_size: int
) -> None:
    """Common tags walk the date index, a rare one reads its list (which one depends on the
    page size too); both give every match once, newest first."""
    want = [f"Meldung Nummer {n}" for n in reversed(range(60)) if expected(n)]
    got: list[str] = []
    with tagged_corpus.connect() as conn:
        query = parse_query(q, now=NOW)
        for offset in range(0, 60, page_size):
            page = search(conn, query, limit=page_size, offset=offset, order="date")
            got += [h.title for h in page.hits]
        assert count(conn, query) == len(want)
    assert got == want


def test_tag_plan_walks_for_common_tags_and_lists_a_rare_one(tagged_corpus: Engine) -> None:
    with tagged_corpus.connect() as conn:
        assert tag_to_list(conn, ["alle", "halb"], 1) is None
        assert tag_to_list(conn, ["alle", "halb"], 100) == "halb"
        assert tag_to_list(conn, ["alle", "selten"], 1) == "selten"
        assert tag_to_list(conn, ["fehlt", "alle"], 1) == "fehlt"
        assert tag_to_list(conn, [], 20) is None


def test_read_only_sessions(corpus: Engine) -> None:
    """The read paths' engine refuses writes; on PostgreSQL it also plans without JIT."""
    engine = readonly_engine(corpus.url.render_as_string(hide_password=False))
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
                assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            else:
                assert conn.exec_driver_sql("PRAGMA query_only").scalar() == 1
    finally:
        engine.dispose()


def test_planner_settings_hold_for_their_block_only(corpus: Engine) -> None:
    """``serial`` turns PostgreSQL's parallel workers off, ``by_index`` its sequential scans,
    for their block only; on SQLite they do nothing."""
    with corpus.connect() as conn:
        if conn.dialect.name == "sqlite":
            with serial(conn), by_index(conn):
                assert count(conn, parse_query("")) == 5
            return

        def show() -> tuple[object, object]:
            return (
                conn.exec_driver_sql("SHOW max_parallel_workers_per_gather").scalar(),
                conn.exec_driver_sql("SHOW enable_seqscan").scalar(),
            )

        assert show() == ("2", "on")
        with serial(conn):
            assert show() == ("0", "on")
        with by_index(conn):
            assert show() == ("2", "off")
        assert show() == ("2", "on")


@pytest.mark.postgres
def test_postgresql_walks_the_newest_matches_only_when_they_are_dense(
    tagged_corpus: Engine,
) -> None:
    """The choice between testing articles newest first and fetching the matches through the
    index, from the share of the newest articles that match (tested, not estimated): fewer
    matches than the window are always fetched. Articles 1-60 are "Meldung Nummer 0-59",
    "Drittel" on every third (0, 3, ... 57)."""
    with tagged_corpus.connect() as conn:
        if conn.dialect.name == "sqlite":
            pytest.skip("PostgreSQL's planner only")
        newest = article_estimate(conn)
        assert newest == 60
        every = hits(parse_query("Meldung"), conn)
        third = hits(parse_query("Meldung tag:Drittel"), conn)
        nothing = hits(parse_query("Wärmepumpe"), conn)
        assert postgresql.newest_density(conn, every, newest, 10) == 1.0
        # The newest 12 are Nummer 48-59, of which 48, 51, 54 and 57 have "Drittel".
        assert postgresql.newest_density(conn, third, newest, 12) == 4 / 12
        assert postgresql.newest_density(conn, nothing, newest, 60) == 0.0
        # The probe leaves the planner's settings as they were.
        assert conn.exec_driver_sql("SHOW enable_bitmapscan").scalar() == "on"
        # A window of one among 60 matches: walking finds it at once.
        assert postgresql.walk_newest(conn, every, 1, newest)
        assert not postgresql.walk_newest(conn, every, 60, newest)  # no more matches than that
        assert not postgresql.walk_newest(conn, nothing, 1, newest)
        assert not postgresql.walk_newest(conn, every, 1, 0)  # no articles
        # "Selten" is on 2 of 60: fetching its 2 matches beats walking 30 articles for one of
        # them, unless the index has to fetch all 60 text matches before the filter drops 58.
        rare = hits(parse_query("Meldung tag:Selten"), conn)
        assert not postgresql.walk_newest(conn, rare, 1, newest)
        assert postgresql.walk_newest(conn, rare, 1, newest, text_only=every)


def test_weekly_counts_of_a_stichwort(tagged_corpus: Engine) -> None:
    """A Stichwort's articles per week (from Monday 2024-01-01, one article a day, "Drittel" on
    every third day), the same on both backends."""
    with tagged_corpus.connect() as conn:
        drittel = find_tag(conn, "drittel")
        assert drittel is not None
        weeks = weekly_counts(conn, drittel[0])
        since = weekly_counts(conn, drittel[0], since=datetime(2024, 2, 1, tzinfo=BERLIN))
    monday = date(2024, 1, 1)
    want = [
        (
            monday + timedelta(weeks=w),
            sum(1 for n in range(w * 7, w * 7 + 7) if n % 3 == 0 and n < 60),
        )
        for w in range(9)
    ]
    assert weeks == want
    assert [c for _, c in weeks] == [3, 2, 2, 3, 2, 2, 3, 2, 1]
    # From Thursday 2024-02-01 (day 31): that week counts days 33 only, then as before.
    assert since == [(date(2024, 1, 29), 1), *want[5:]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ('"BMDS legt Eckpunkte für den Deutschland-Stack vor"', ["stack"]),  # stop words
        ('"Eckpunkte fuer den Deutschland-Stack"', ["stack"]),
        ('"Deutschland Stack"', ["apart", "stack"]),
        ('"Deutschland-Stack"', ["apart", "stack"]),
        ('"Deutschland-Stack wächst"', ["apart"]),
        ('"legt Eckpunkte den Deutschland-Stack"', []),  # "für" left out is not a stop word
        ('"Deutschland-Stack BMDS"', []),
    ],
)
def test_phrases_with_stop_words_and_hyphens(
    fresh_corpus: Engine, q: str, expected: list[str]
) -> None:
    # PostgreSQL drops stop words ("den", "vor") and gives "Deutschland-Stack" a place of its
    # own before "deutschland" and "stack"; the phrase still finds what SQLite finds.
    items = [
        article("stack", "BMDS legt Eckpunkte für den Deutschland-Stack vor"),
        article("apart", "Der Deutschland Stack wächst", site_article_id="p:apart2"),
    ]
    with fresh_corpus.connect() as conn:
        sid = conn.execute(text("SELECT id FROM sources WHERE name = 'kommune21'")).scalar_one()
    ArticleStore(fresh_corpus).save(sid, "kommune21", items, now=NOW)
    assert found(fresh_corpus, q) == expected
