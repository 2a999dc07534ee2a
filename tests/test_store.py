"""The article store against real SQLite and PostgreSQL databases."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, func, select

from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import Article, ArticleRevision, ArticleTag, ArticleUrl, Tag
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.items import ArticleItem

NOW = datetime(2025, 1, 31, 12, 0, tzinfo=UTC)


def item(**changes: object) -> ArticleItem:
    base = ArticleItem(
        source="kommune21",
        url="https://www.kommune21.de/k21-meldungen/chief-information-office/",
        fetched_url="https://www.kommune21.de/k21-meldungen/chief-information-office/",
        title="Chief Information Office als Weichensteller",
        kicker="Dortmund",
        teaser="In Dortmund soll ein Chief Information Office die Digitalisierung voranbringen.",
        body="Absatz eins.\n\nAbsatz zwei.",
        published_at=datetime(2017, 11, 27, tzinfo=BERLIN),
        date_signal="visible",
        tags=["Politik", "Dortmund"],
        section="Politik",
        site_article_id="p:33697",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def setup_source(engine: Engine) -> int:
    with engine.begin() as conn:
        return ensure_source(
            conn, name="kommune21", family="k21", title="Kommune21", base_url="https://x/"
        )


def count(engine: Engine, model: type) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(model)).scalar_one())


def test_insert_then_unchanged_is_idempotent(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    first = store.save(sid, "kommune21", [item()], now=NOW)
    assert (first.new, first.updated, first.unchanged) == (1, 0, 0)
    again = store.save(sid, "kommune21", [item()], now=NOW + timedelta(hours=1))
    assert (again.new, again.updated, again.unchanged) == (0, 0, 1)
    assert count(engine, Article) == 1
    assert count(engine, Tag) == 2
    assert count(engine, ArticleTag) == 2
    assert count(engine, ArticleRevision) == 0
    with engine.connect() as conn:
        row = conn.execute(select(Article.__table__)).one()
    assert row.first_seen_at == NOW
    assert row.last_seen_at == NOW + timedelta(hours=1)
    assert row.published_at == datetime(2017, 11, 27, tzinfo=BERLIN)
    assert row.published_at.tzinfo is not None


def test_changed_teaser_updates_and_keeps_revision(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    changed = item(teaser="Neuer Teaser.", tags=["Politik", "Dortmund", "Smart City"])
    counts = store.save(sid, "kommune21", [changed], now=NOW + timedelta(days=1))
    assert (counts.new, counts.updated) == (0, 1)
    assert count(engine, Article) == 1
    with engine.connect() as conn:
        rev = conn.execute(select(ArticleRevision.__table__)).one()
        art = conn.execute(select(Article.__table__)).one()
        tags = (
            conn.execute(
                select(Tag.name)
                .join(ArticleTag, ArticleTag.tag_id == Tag.id)
                .order_by(ArticleTag.position)
            )
            .scalars()
            .all()
        )
    assert rev.teaser.startswith("In Dortmund soll")
    assert rev.tags == ["Politik", "Dortmund"]
    assert art.teaser == "Neuer Teaser."
    assert art.updated_at == NOW + timedelta(days=1)
    assert tags == ["Politik", "Dortmund", "Smart City"]
    # The same changed version again is not another revision.
    again = store.save(sid, "kommune21", [changed], now=NOW + timedelta(days=2))
    assert again.unchanged == 1
    assert count(engine, ArticleRevision) == 1


def test_old_url_via_redirect_is_one_article(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    via_old = item(alias_urls=["https://www.kommune21.de/meldung_33697_gn"], site_article_id=None)
    counts = store.save(sid, "kommune21", [via_old], now=NOW)
    assert counts.unchanged == 1
    assert count(engine, Article) == 1
    with engine.connect() as conn:
        urls = set(conn.execute(select(ArticleUrl.url)).scalars())
    assert "https://www.kommune21.de/meldung_33697_gn" in urls


def test_legacy_copy_never_replaces_current_page(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    legacy = item(
        url="https://www.kommune21.de/meldung_33697_gn",
        fetched_url="https://www.kommune21.de/meldung_33697_gn",
        body="Anders extrahierter Text.",
        site_article_id="meldung:33697",
        legacy_url=True,
    )
    counts = store.save(sid, "kommune21", [legacy], now=NOW)
    assert (counts.new, counts.updated, counts.duplicates) == (0, 0, 1)
    with engine.connect() as conn:
        art = conn.execute(select(Article.__table__)).one()
    assert art.body == "Absatz eins.\n\nAbsatz zwei."
    assert art.url.endswith("/chief-information-office/")


def test_legacy_first_then_current_moves_url(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    legacy = item(
        url="https://www.kommune21.de/meldung_33697_gn",
        fetched_url="https://www.kommune21.de/meldung_33697_gn",
        site_article_id="meldung:33697",
        body="Anders extrahierter Text.",
        legacy_url=True,
    )
    store.save(sid, "kommune21", [legacy], now=NOW)
    counts = store.save(sid, "kommune21", [item()], now=NOW)
    assert (counts.new, counts.updated) == (0, 0)
    assert count(engine, Article) == 1
    # The current page's extraction replaces the legacy copy's, without a revision.
    assert count(engine, ArticleRevision) == 0
    with engine.connect() as conn:
        art = conn.execute(select(Article.__table__)).one()
        urls = set(conn.execute(select(ArticleUrl.url)).scalars())
    assert art.url.endswith("/chief-information-office/")
    assert art.body == "Absatz eins.\n\nAbsatz zwei."
    assert art.site_article_id == "p:33697"
    assert "https://www.kommune21.de/meldung_33697_gn" in urls


def test_tag_spellings_share_one_stichwort(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    a = item(tags=["E-Government"])
    b = item(
        url="https://www.kommune21.de/k21-meldungen/anderes/",
        fetched_url="https://www.kommune21.de/k21-meldungen/anderes/",
        title="Etwas anderes",
        site_article_id="p:2",
        tags=["eGovernment"],
    )
    store.save(sid, "kommune21", [a, b], now=NOW)
    with engine.connect() as conn:
        tags = conn.execute(select(Tag.__table__)).all()
    assert len(tags) == 1
    assert tags[0].name == "E-Government"
    assert count(engine, ArticleTag) == 2


def test_batch_with_the_same_article_twice(engine: Engine) -> None:
    sid = setup_source(engine)
    counts = ArticleStore(engine).save(sid, "kommune21", [item(), item()], now=NOW)
    assert (counts.new, counts.unchanged) == (1, 1)
    assert count(engine, Article) == 1


def test_concurrent_writers_do_not_duplicate(engine: Engine, db_url: str) -> None:
    """Two writers (own engines, own connections) storing the same 30 articles at once."""
    sid = setup_source(engine)
    items = [
        item(
            url=f"https://www.kommune21.de/k21-meldungen/a-{i}/",
            fetched_url=f"https://www.kommune21.de/k21-meldungen/a-{i}/",
            title=f"Artikel {i}",
            site_article_id=f"p:{i}",
            tags=["Politik", f"Ort {i}"],
        )
        for i in range(30)
    ]
    errors: list[BaseException] = []

    def writer() -> None:
        eng = make_engine(db_url)
        try:
            store = ArticleStore(eng)
            for start in range(0, 30, 5):
                store.save(sid, "kommune21", items[start : start + 5], now=NOW)
        except Exception as exc:  # noqa: BLE001 - any failure is collected and asserted below
            errors.append(exc)
        finally:
            eng.dispose()

    threads = [threading.Thread(target=writer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert count(engine, Article) == 30
    assert count(engine, Tag) == 31
    assert count(engine, ArticleTag) == 60


def test_legacy_copy_known_by_its_url_still_never_updates(engine: Engine) -> None:
    sid = setup_source(engine)
    store = ArticleStore(engine)
    store.save(sid, "kommune21", [item()], now=NOW)
    legacy = item(
        url="https://www.kommune21.de/meldung_33697_gn",
        fetched_url="https://www.kommune21.de/meldung_33697_gn",
        body="Anders extrahierter Text.",
        site_article_id="meldung:33697",
        legacy_url=True,
    )
    store.save(sid, "kommune21", [legacy], now=NOW)
    again = store.save(sid, "kommune21", [legacy], now=NOW + timedelta(days=1))
    assert (again.updated, again.duplicates) == (0, 1)
    assert count(engine, ArticleRevision) == 0
