"""Identity without silent merges, batches that never fail whole, URLs that never cross
sources: the store against real SQLite and PostgreSQL databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from kn_crawl.dates import BERLIN
from kn_crawl.db.errors import db_error_line
from kn_crawl.db.models import Article, ArticleRevision, ArticleUrl
from kn_crawl.db.store import ArticleStore, StoreCounts, StoreDrop, ensure_source
from kn_crawl.identity import Likeness, same_article
from kn_crawl.items import ArticleItem
from pipelines.dedupe import DedupePipeline
from pipelines.drops import Duplicate

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
K21 = "https://www.kommune21.de/k21-meldungen/"
DAY = datetime(2024, 10, 30, 9, 15, tzinfo=BERLIN)


def item(**changes: object) -> ArticleItem:
    base = ArticleItem(
        source="kommune21",
        url=f"{K21}leipzig-wird-zur-smart-city/",
        fetched_url=f"{K21}leipzig-wird-zur-smart-city/",
        title="Leipzig wird zur Smart City",
        kicker="Sachsen",
        teaser="Die Stadt Leipzig hat ihre Smart-City-Strategie beschlossen.",
        body="Absatz eins.\n\nAbsatz zwei.",
        published_at=DAY,
        date_signal="visible",
        tags=["Smart City", "Leipzig"],
        section="Praxis",
        site_article_id="p:40092",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


# The article the mirror serves under the same id at another --size: another title, another
# teaser, another URL (the ids are handed out in order, so they shift with the size).
OTHER = {
    "url": f"{K21}groessere-buergeraemter-kuerzere-wartezeiten/",
    "fetched_url": f"{K21}groessere-buergeraemter-kuerzere-wartezeiten/",
    "title": "Größere Bürgerämter, kürzere Wartezeiten",
    "teaser": "In Jena, Gera und Erfurt können Bürger ihre Termine über ein Portal buchen.",
    "kicker": "Thüringen",
    "tags": ["Bürgerämter"],
}


def source(engine: Engine, name: str = "kommune21") -> int:
    with engine.begin() as conn:
        return ensure_source(conn, name=name, family="k21", title=name, base_url="https://x/")


def articles(engine: Engine) -> dict[str, tuple[str, str | None]]:
    """url -> (title, site id)"""
    with engine.connect() as conn:
        rows = conn.execute(select(Article.url, Article.title, Article.site_article_id)).all()
    return {url: (title, site_id) for url, title, site_id in rows}


def revisions(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(ArticleRevision.id)).all())


def aliases(engine: Engine) -> dict[str, str]:
    """URL -> canonical URL of its article."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(ArticleUrl.url, Article.url.label("canonical")).join(
                Article, Article.id == ArticleUrl.article_id
            )
        ).all()
    return {url: canonical for url, canonical in rows}


def counts_of(c: StoreCounts) -> tuple[int, int, int, int]:
    return (c.new, c.updated, c.unchanged, c.duplicates)


# -- the rule -----------------------------------------------------------------------------

L = Likeness(
    "Leipzig wird zur Smart City", DAY, "Die Stadt Leipzig hat ihre Strategie beschlossen."
)


@pytest.mark.parametrize(
    ("incoming", "same"),
    [
        pytest.param(L, True, id="identical"),
        pytest.param(replace(L, title="„Leipzig wird zur Smart-City!“"), True, id="punctuation"),
        pytest.param(
            replace(L, title="Leipzig wird Smart City"), True, id="corrected title, same date"
        ),
        pytest.param(
            replace(L, title="Ganz neue Überschrift", teaser=None),
            True,
            id="new title, same date, no teaser",
        ),
        pytest.param(replace(L, published_at=DAY + timedelta(days=3)), True, id="moved date"),
        pytest.param(
            replace(L, published_at=DAY + timedelta(hours=2)), True, id="another hour, same day"
        ),
        pytest.param(replace(L, teaser="Ein ganz anderer Teaser."), True, id="changed teaser"),
        pytest.param(replace(L, teaser=None), True, id="teaser missing"),
        pytest.param(
            replace(L, teaser="Die Stadt Leipzig hat ihre Strategie"), True, id="teaser cut"
        ),
        pytest.param(
            replace(L, title="Leipzig wird Smart City", published_at=DAY + timedelta(days=1)),
            False,
            id="another title and another day, same teaser",
        ),
        pytest.param(
            replace(L, title="Bürgerämter", published_at=DAY - timedelta(days=9), teaser=None),
            False,
            id="another title and another day, no teaser",
        ),
        pytest.param(
            replace(L, title="Größere Bürgerämter", teaser="In Jena buchen Bürger online."),
            False,
            id="another title and teaser, same day",
        ),
        pytest.param(
            Likeness(
                "Mainz fordert Verwaltungsreform",
                DAY - timedelta(days=50),
                "Die Stadt Mainz fordert eine grundlegende Verwaltungsreform.",
            ),
            False,
            id="another article from the same template",
        ),
    ],
)
def test_same_article(incoming: Likeness, same: bool) -> None:
    assert same_article(L, incoming) is same
    assert same_article(incoming, L) is same


def test_templated_titles_are_two_articles() -> None:
    rostock = Likeness(
        "Rostock fordert Verwaltungsreform",
        datetime(2024, 4, 15, 16, 10, tzinfo=BERLIN),
        "Die Stadt Rostock fordert eine grundlegende Verwaltungsreform.",
    )
    mainz = Likeness(
        "Mainz fordert Verwaltungsreform",
        datetime(2024, 2, 26, 8, 53, tzinfo=BERLIN),
        "Die Stadt Mainz fordert eine grundlegende Verwaltungsreform.",
    )
    assert same_article(rostock, mainz) is False


# -- identity conflicts -------------------------------------------------------------------


def test_site_id_of_another_article_is_a_conflict_not_a_merge(engine: Engine) -> None:
    sid = source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    counts = store.save(sid, "kommune21", [item(**OTHER)], now=NOW + timedelta(days=1))
    assert counts_of(counts) == (1, 0, 0, 0)
    # Both articles, each with its own content; the id stays with the article that had it.
    assert articles(engine) == {
        f"{K21}leipzig-wird-zur-smart-city/": ("Leipzig wird zur Smart City", "p:40092"),
        OTHER["url"]: ("Größere Bürgerämter, kürzere Wartezeiten", None),
    }
    assert revisions(engine) == 0
    assert counts.drops == [
        StoreDrop(
            OTHER["fetched_url"],
            "identity_conflict",
            "stored as an article of its own: site id p:40092 belongs to "
            f"{K21}leipzig-wird-zur-smart-city/ (p:40092, 2024-10-30, "
            "'Leipzig wird zur Smart City'), not to "
            f"{OTHER['url']} (p:40092, 2024-10-30, 'Größere Bürgerämter, kürzere Wartezeiten')",
            stored=True,
        )
    ]
    # The next run knows the new article by its URL: no second conflict, no change.
    again = store.save(sid, "kommune21", [item(**OTHER)], now=NOW + timedelta(days=2))
    assert (counts_of(again), again.drops) == ((0, 0, 1, 0), [])
    assert articles(engine)[OTHER["url"]] == ("Größere Bürgerämter, kürzere Wartezeiten", None)


def test_conflicting_articles_in_one_batch_are_both_stored(engine: Engine) -> None:
    sid = source(engine)
    counts = ArticleStore(engine).save(sid, "kommune21", [item(), item(**OTHER)], now=NOW)
    assert counts_of(counts) == (2, 0, 0, 0)
    assert [d.reason for d in counts.drops] == ["identity_conflict"]
    assert len(articles(engine)) == 2


def test_alias_url_now_serving_another_article_moves_to_it(engine: Engine) -> None:
    """The page's own URL was an alias of another article (a redirect once led there, or the
    site reused a slug); now the site serves a different article there as its canonical URL.
    Both articles are kept; the URL leads to the new one, the other keeps its own URL."""
    sid = source(engine)
    store = ArticleStore(engine)
    old = f"{K21}leipzig/"
    store.save(sid, "kommune21", [item(alias_urls=[old])], now=NOW)
    reused = item(**{**OTHER, "url": old, "fetched_url": old}, site_article_id=None)
    counts = store.save(sid, "kommune21", [reused], now=NOW)
    assert counts_of(counts) == (1, 0, 0, 0)
    assert counts.drops == [
        StoreDrop(
            old,
            "identity_conflict",
            f"stored as an article of its own, taking over its URL: the URL {old} belongs to "
            f"{K21}leipzig-wird-zur-smart-city/ (p:40092, 2024-10-30, "
            f"'Leipzig wird zur Smart City'), not to {old} (no site id, 2024-10-30, "
            "'Größere Bürgerämter, kürzere Wartezeiten')",
            stored=True,
        )
    ]
    assert articles(engine) == {
        f"{K21}leipzig-wird-zur-smart-city/": ("Leipzig wird zur Smart City", "p:40092"),
        old: ("Größere Bürgerämter, kürzere Wartezeiten", None),
    }
    assert aliases(engine) == {item().url: item().url, old: old}
    assert revisions(engine) == 0


@pytest.mark.parametrize(
    "edit",
    [
        pytest.param({"title": "Leipzig wird Smart City"}, id="corrected title"),
        pytest.param({"published_at": DAY + timedelta(days=2)}, id="moved date"),
        pytest.param({"teaser": "Ein neuer Teaser."}, id="changed teaser"),
    ],
)
def test_a_real_edit_under_a_new_url_stays_one_article(
    engine: Engine, edit: dict[str, object]
) -> None:
    """The site id says it is the article, and the content agrees: one article, at its new
    URL, with the edit kept as a revision."""
    sid = source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    moved = item(url=f"{K21}leipzig-neu/", fetched_url=f"{K21}leipzig-neu/", **edit)
    counts = store.save(sid, "kommune21", [moved], now=NOW)
    assert (counts_of(counts), counts.drops) == ((0, 1, 0, 0), [])
    assert list(articles(engine)) == [f"{K21}leipzig-neu/"]
    assert aliases(engine)[f"{K21}leipzig-wird-zur-smart-city/"] == f"{K21}leipzig-neu/"
    assert revisions(engine) == 1


def test_a_real_edit_at_its_url_is_a_revision(engine: Engine) -> None:
    sid = source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    counts = store.save(
        sid, "kommune21", [item(title="Leipzig wird Smart City")], now=NOW + timedelta(days=1)
    )
    assert (counts_of(counts), counts.drops) == ((0, 1, 0, 0), [])
    assert revisions(engine) == 1


def test_an_edit_showing_another_articles_site_id_keeps_both_ids(engine: Engine) -> None:
    """An article at its own URL now shows an id another of our articles has (the site
    renumbered): the content is updated, the id stays with the article that had it."""
    sid = source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item(), item(**OTHER, site_article_id="p:1")], now=NOW)
    edited = item(**{**OTHER, "teaser": "Neuer Teaser."}, site_article_id="p:40092")
    counts = store.save(sid, "kommune21", [edited], now=NOW)
    assert (counts_of(counts), counts.drops) == ((0, 1, 0, 0), [])
    assert articles(engine)[OTHER["url"]] == ("Größere Bürgerämter, kürzere Wartezeiten", "p:1")


# -- other sources' URLs ------------------------------------------------------------------


def test_canonical_url_of_another_source_is_refused(engine: Engine) -> None:
    a, b = source(engine, "kommune21"), source(engine, "move")
    store = ArticleStore(engine)
    store.save(a, "kommune21", [item()], now=NOW)
    page = "https://www.move-online.de/k21-meldungen/leipzig/"
    pretender = item(
        source="move",
        fetched_url=page,
        title="Übernommen",
        body="Anderer Text.",
        site_article_id="p:7",
    )
    counts = store.save(b, "move", [pretender], now=NOW + timedelta(days=1))
    assert counts_of(counts) == (0, 0, 0, 0)
    assert counts.drops == [
        StoreDrop(
            page,
            "foreign_url",
            f"not stored: {K21}leipzig-wird-zur-smart-city/ is an article of another source "
            "(kommune21)",
        )
    ]
    assert articles(engine) == {
        f"{K21}leipzig-wird-zur-smart-city/": ("Leipzig wird zur Smart City", "p:40092")
    }
    assert revisions(engine) == 0


def test_alias_of_another_source_is_left_out(engine: Engine) -> None:
    a, b = source(engine, "kommune21"), source(engine, "move")
    store = ArticleStore(engine)
    store.save(a, "kommune21", [item()], now=NOW)
    own = "https://www.move-online.de/k21-meldungen/leipzig/"
    # Same title, day and teaser as kommune21's article: only the URL keeps them apart.
    other = item(source="move", url=own, fetched_url=own, alias_urls=[item().url])
    counts = store.save(b, "move", [other], now=NOW)
    assert counts_of(counts) == (1, 0, 0, 0)
    assert counts.drops == [
        StoreDrop(
            own,
            "foreign_url",
            f"stored without the alias {K21}leipzig-wird-zur-smart-city/: an article of "
            "another source (kommune21)",
            stored=True,
        )
    ]
    assert aliases(engine) == {item().url: item().url, own: own}
    assert articles(engine)[item().url] == ("Leipzig wird zur Smart City", "p:40092")


# -- batches that never fail whole --------------------------------------------------------


def refuse_title(engine: Engine, title: str) -> None:
    """A trigger that makes the database refuse one article, as a constraint would."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON articles "
                f"WHEN new.title = '{title}' BEGIN SELECT RAISE(ABORT, 'refused'); END"
            )
        else:
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NEW.title = '{title}' THEN "
                "RAISE EXCEPTION 'refused' USING ERRCODE = 'check_violation'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON articles "
                "FOR EACH ROW EXECUTE FUNCTION refuse()"
            )


def batch_of(n: int) -> list[ArticleItem]:
    return [
        item(
            url=f"{K21}a-{i}/",
            fetched_url=f"{K21}a-{i}/",
            title=f"Artikel {i}",
            site_article_id=f"p:{i}",
            tags=["Politik", f"Ort {i}"],
        )
        for i in range(n)
    ]


def test_a_refused_item_is_dropped_and_the_rest_of_its_batch_stored(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    sid = source(engine)
    refuse_title(engine, "Artikel 2")
    counts = ArticleStore(engine).save(sid, "kommune21", batch_of(5), now=NOW)
    assert counts_of(counts) == (4, 0, 0, 0)
    assert counts.drops == [StoreDrop(f"{K21}a-2/", "store_failed", "IntegrityError: refused")]
    assert sorted(t for t, _ in articles(engine).values()) == [
        "Artikel 0",
        "Artikel 1",
        "Artikel 3",
        "Artikel 4",
    ]
    assert [r.getMessage() for r in caplog.records if r.name == "kn_crawl.db.store"] == [
        "the database refused a batch of 5 articles (IntegrityError: refused): "
        "storing them one by one"
    ]


def test_a_value_too_long_for_its_column_fails_only_its_item(engine: Engine) -> None:
    """Issue 14: on PostgreSQL one 350-character section made its whole batch fail in every
    run. (SQLite does not enforce lengths and stores it; the validate stage caps fields.)"""
    sid = source(engine)
    batch = batch_of(4)
    batch[1] = replace(batch[1], section="S" * 350)
    counts = ArticleStore(engine).save(sid, "kommune21", batch, now=NOW)
    if engine.dialect.name == "sqlite":
        assert (counts_of(counts), counts.drops) == ((4, 0, 0, 0), [])
        return
    assert counts_of(counts) == (3, 0, 0, 0)
    assert counts.drops == [
        StoreDrop(
            f"{K21}a-1/",
            "store_failed",
            "DataError: value too long for type character varying(200)",
        )
    ]


def test_error_lines_carry_no_sql(engine: Engine) -> None:
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(
            Article.__table__.insert(),  # type: ignore[arg-type]
            {"url": "https://secret.example/", "title": None},
        )
    line = db_error_line(caught.value)
    assert "\n" not in line
    assert "INSERT" not in line
    assert "secret" not in line
    expected = {
        "sqlite": "IntegrityError: NOT NULL constraint failed: articles.source_id",
        "postgresql": 'IntegrityError: null value in column "source_id" of relation "articles" '
        "violates not-null constraint",
    }
    assert line == expected[engine.dialect.name]


# -- dedupe within a run ------------------------------------------------------------------


def test_dedupe_lets_another_article_with_the_same_site_id_through() -> None:
    dedupe = DedupePipeline()
    first = item()
    assert dedupe.process_item(first) is first
    other = item(**OTHER)
    assert dedupe.process_item(other) is other
    with pytest.raises(Duplicate) as copy:
        dedupe.process_item(item(url=f"{K21}copy/", fetched_url=f"{K21}copy/"))
    assert str(copy.value) == f"same article as {K21}leipzig-wird-zur-smart-city/ (id)"
