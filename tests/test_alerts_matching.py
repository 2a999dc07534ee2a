"""Matching on both backends: backfill, exactly-once queueing, updates, new Stichwörter,
synonyms, sources, keyword queries, grouping per recipient, leases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from kn_crawl.alerts.matching import MatchResult, match
from kn_crawl.alerts.models import AlertEmail, AlertMatchedArticle, AlertOutbox
from kn_crawl.alerts.outbox import claim, mark_sent
from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe, validate
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.db.models import table_of
from tests.alerts_support import Desk, item

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)  # Monday, 10:00 in Berlin
SOURCES = ["kommune21", "move"]


def sub(engine: Engine, email: str = "anna@example.org", **kw: Any) -> int:
    spec = validate(SubscriptionSpec(email=email, **kw), SOURCES, now=T0)
    return subscribe(engine, spec, now=T0).id


def run_match(engine: Engine, now: datetime = T0, **kw: Any) -> MatchResult:
    return match(engine, now=now, vocabulary=load_vocabulary(), **kw)


def entries(engine: Engine) -> list[Any]:
    t = table_of(AlertOutbox)
    with engine.connect() as conn:
        return list(conn.execute(select(t).order_by(t.c.id)).all())


def emails(engine: Engine) -> list[Any]:
    t = table_of(AlertEmail)
    with engine.connect() as conn:
        return list(conn.execute(select(t).order_by(t.c.id)).all())


def backfilled(engine: Engine) -> Desk:
    """Both sources crawled once (their backfill) with OZG and Dortmund articles."""
    desk = Desk(engine)
    desk.crawl("kommune21", [item("kommune21", "Altes OZG", ["OZG"])], now=T0)
    desk.crawl("move", [item("move", "Altes aus Dortmund", ["Dortmund"])], now=T0)
    return desk


def test_backfill_alerts_nobody_then_new_articles_alert_once(engine: Engine) -> None:
    sub(engine, tags=("OZG",))
    desk = backfilled(engine)
    first = run_match(engine)
    assert (first.articles, first.held_back, first.queued) == (2, 2 + first.tags, 0)
    assert entries(engine) == []

    desk.crawl("kommune21", [item("kommune21", "Neues", ["Onlinezugangsgesetz"])], now=T0)
    second = run_match(engine)
    assert (second.articles, second.queued, second.emails) == (1, 1, 1)
    (entry,) = entries(engine)
    assert entry.recipient == "anna@example.org"
    assert entry.reasons == [{"kind": "tag", "label": "OZG", "subscription": 1}]
    # Matching again queues nothing: the bookkeeping says it was looked at.
    assert run_match(engine).articles == 0
    assert len(entries(engine)) == 1


def test_include_backfill_alerts_what_was_held_back_once(engine: Engine) -> None:
    sub(engine, tags=("OZG", "Dortmund"))
    backfilled(engine)
    run_match(engine)
    result = run_match(engine, include_backfill=True)
    assert result.queued == 2 and result.emails == 1
    assert run_match(engine, include_backfill=True).queued == 0
    assert len(entries(engine)) == 2


def test_a_failed_first_run_is_still_backfill(engine: Engine) -> None:
    sub(engine, tags=("OZG",))
    desk = Desk(engine)
    desk.crawl("kommune21", [item("kommune21", "Halb", ["OZG"])], now=T0, status="failed")
    desk.crawl("kommune21", [item("kommune21", "Rest", ["OZG"])], now=T0)
    assert run_match(engine).queued == 0
    desk.crawl("kommune21", [item("kommune21", "Wirklich neu", ["OZG"])], now=T0)
    assert run_match(engine).queued == 1


def test_an_updated_article_does_not_alert_again(engine: Engine) -> None:
    sub(engine, tags=("OZG",), new_tags=False)
    desk = backfilled(engine)
    run_match(engine)
    new = item("kommune21", "Neu", ["OZG"])
    desk.crawl("kommune21", [new], now=T0)
    assert run_match(engine).queued == 1
    new.title = "Neu (aktualisiert)"
    new.tags = ["OZG", "Dortmund"]
    desk.crawl("kommune21", [new], now=T0 + timedelta(hours=1))
    assert run_match(engine).queued == 0
    assert len(entries(engine)) == 1


def test_a_new_stichwort_alerts_once_and_a_synonym_is_not_new(engine: Engine) -> None:
    sub(engine, new_tags=True)
    desk = backfilled(engine)
    run_match(engine)
    desk.crawl(
        "kommune21",
        [
            item("kommune21", "A", ["Open Data", "OZG"]),
            item("kommune21", "B", ["open data", "Onlinezugangsgesetz"]),
        ],
        now=T0,
    )
    result = run_match(engine)
    assert result.new_tags == 1
    (entry,) = entries(engine)
    assert entry.kind == "new_tag"
    assert entry.reasons[0]["label"] == "Open Data"
    desk.crawl("move", [item("move", "C", ["Open Data", "LoRaWAN"])], now=T0)
    assert run_match(engine).new_tags == 1
    assert [e.reasons[0]["label"] for e in entries(engine)] == ["Open Data", "LoRaWAN"]


def test_new_stichwoerter_per_source(engine: Engine) -> None:
    sub(engine, new_tags=True, sources=("move",))
    desk = backfilled(engine)
    run_match(engine)
    desk.crawl("kommune21", [item("kommune21", "A", ["Nur Kommune21"])], now=T0)
    desk.crawl("move", [item("move", "B", ["Nur move"])], now=T0)
    run_match(engine)
    assert [e.reasons[0]["label"] for e in entries(engine)] == ["Nur move"]


def test_sources_limit_and_source_only_subscriptions(engine: Engine) -> None:
    limited = sub(engine, "anna@example.org", tags=("OZG",), sources=("move",))
    everything = sub(engine, "bob@example.org", sources=("kommune21",))
    desk = backfilled(engine)
    run_match(engine)
    desk.crawl("kommune21", [item("kommune21", "K", ["OZG"])], now=T0)
    desk.crawl("move", [item("move", "M", ["OZG"])], now=T0)
    run_match(engine)
    got = {(e.recipient, e.subscription_id, e.reasons[0]["kind"]) for e in entries(engine)}
    assert got == {("anna@example.org", limited, "tag"), ("bob@example.org", everything, "source")}


def test_keyword_queries_match_title_kicker_teaser_with_terms(engine: Engine) -> None:
    sub(engine, queries=('"digitale Verwaltung" -Bayern', "Glasfaser"))
    desk = backfilled(engine)
    run_match(engine)
    desk.crawl(
        "kommune21",
        [
            item("kommune21", "Digitale Verwaltung in Köln", teaser="Ein Bericht."),
            item("kommune21", "Digitale Verwaltung in Bayern"),
            item("kommune21", "Ausbau", kicker="Glasfaserausbau"),
            item("kommune21", "Nichts davon"),
        ],
        now=T0,
    )
    run_match(engine)
    reasons = [e.reasons for e in entries(engine)]
    assert reasons == [
        [{"kind": "query", "label": '"digitale Verwaltung" -Bayern',
          "terms": ["digitale Verwaltung"], "subscription": 1}],
        [{"kind": "query", "label": "Glasfaser", "terms": ["Glasfaser"], "subscription": 1}],
    ]  # fmt: skip


def test_one_entry_per_recipient_with_all_reasons_and_the_quickest_mode(engine: Engine) -> None:
    daily = sub(engine, "Anna@example.org", tags=("OZG",), mode="daily")
    now = sub(engine, "anna@example.org", tags=("Dortmund",))
    desk = backfilled(engine)
    run_match(engine)
    desk.crawl("kommune21", [item("kommune21", "Beides", ["OZG", "Dortmund"])], now=T0)
    desk.crawl("kommune21", [item("kommune21", "Nur OZG", ["OZG"])], now=T0)
    run_match(engine)
    both, only = entries(engine)
    assert {r["subscription"] for r in both.reasons} == {daily, now}
    assert both.subscription_id == now
    assert only.subscription_id == daily
    modes = {e.id: e.mode for e in emails(engine)}
    assert (modes[both.email_id], modes[only.email_id]) == ("immediate", "daily")


def test_digest_entries_gather_in_one_email_until_it_is_claimed(engine: Engine) -> None:
    sub(engine, tags=("OZG",), mode="daily", digest_time="07:00")
    desk = backfilled(engine)
    run_match(engine)
    for hour in range(3):
        desk.crawl("kommune21", [item("kommune21", f"N{hour}", ["OZG"])], now=T0)
        run_match(engine, now=T0 + timedelta(hours=hour))
    (email,) = emails(engine)
    assert email.due_at == datetime(2025, 3, 11, 6, 0, tzinfo=UTC)  # 07:00 in Berlin
    assert len(entries(engine)) == 3
    token, ids = claim(engine, now=email.due_at)
    assert ids == [email.id]
    # Claimed: later entries start a new e-mail rather than join one being sent.
    desk.crawl("kommune21", [item("kommune21", "N3", ["OZG"])], now=T0)
    run_match(engine, now=email.due_at)
    assert len(emails(engine)) == 2
    assert mark_sent(engine, email.id, token, now=email.due_at)


def test_a_lease_keeps_other_senders_away_until_it_expires(engine: Engine) -> None:
    sub(engine, tags=("OZG",))
    desk = backfilled(engine)
    run_match(engine)
    desk.crawl("kommune21", [item("kommune21", "N", ["OZG"])], now=T0)
    run_match(engine)
    first, ids = claim(engine, now=T0)
    assert len(ids) == 1
    assert claim(engine, now=T0 + timedelta(minutes=5))[1] == []
    second, again = claim(engine, now=T0 + timedelta(minutes=11))
    assert again == ids
    # The first sender's late "sent" no longer counts; the current claim holder's does.
    assert not mark_sent(engine, ids[0], first, now=T0)
    assert mark_sent(engine, ids[0], second, now=T0)


def test_unsubscribed_get_nothing(engine: Engine) -> None:
    from kn_crawl.alerts.subscriptions import unsubscribe

    gone = sub(engine, tags=("OZG",))
    desk = backfilled(engine)
    run_match(engine)
    assert unsubscribe(engine, [gone], now=T0) == 1
    assert unsubscribe(engine, [gone], now=T0) == 0
    desk.crawl("kommune21", [item("kommune21", "N", ["OZG"])], now=T0)
    assert run_match(engine).queued == 0


def _article_before_alerts(engine: Any, title: str, tag: str) -> None:
    """An article with one Stichwort, written as a crawl of schema 0002 wrote it (today's
    store writes columns that schema does not have yet)."""
    from sqlalchemy import MetaData, insert

    meta = MetaData()
    meta.reflect(engine)
    t = meta.tables
    with engine.begin() as conn:
        source_id = conn.execute(select(t["sources"].c.id)).scalar()
        if source_id is None:
            source_id = conn.execute(
                insert(t["sources"]).values(
                    name="kommune21",
                    family="k21",
                    title="Kommune21",
                    base_url="https://www.kommune21.de/",
                    enabled=True,
                    created_at=T0,
                )
            ).inserted_primary_key[0]
        url = f"https://www.kommune21.de/k21-meldungen/{title.lower().replace(' ', '-')}/"
        article_id = conn.execute(
            insert(t["articles"]).values(
                source_id=source_id,
                url=url,
                fingerprint=url,
                title=title,
                published_at=T0,
                content_hash=url,
                first_seen_at=T0,
                last_seen_at=T0,
            )
        ).inserted_primary_key[0]
        tag_id = conn.execute(select(t["tags"].c.id).where(t["tags"].c.key == tag.lower())).scalar()
        if tag_id is None:
            tag_id = conn.execute(
                insert(t["tags"]).values(
                    key=tag.lower(), name=tag, first_seen_at=T0, first_article_id=article_id
                )
            ).inserted_primary_key[0]
        conn.execute(
            insert(t["article_tags"]).values(article_id=article_id, tag_id=tag_id, position=0)
        )  # fmt: skip


def test_installing_alerts_on_a_filled_database_does_not_mail_its_history(db_url: str) -> None:
    from kn_crawl.db.engine import make_engine
    from kn_crawl.db.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine, "0002")
    _article_before_alerts(engine, "Alt", "OZG")
    _article_before_alerts(engine, "Auch alt", "OZG")
    upgrade(engine)
    with engine.connect() as conn:
        matched = conn.execute(
            select(func.count()).select_from(table_of(AlertMatchedArticle))
        ).scalar_one()
    assert matched == 2
    sub(engine, tags=("OZG",), new_tags=True)
    assert run_match(engine, include_backfill=True).queued == 0
    engine.dispose()
