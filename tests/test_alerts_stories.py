"""Alerts once per story, on both backends. The store clusters every article it saves; here
``story_id`` is overridden by hand to make stories of texts the clustering would keep apart
(the real clustering end to end: test_alerts_stories_e2e)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select, update

from kn_crawl.alerts.matching import MatchResult, match
from kn_crawl.alerts.models import AlertOutbox
from kn_crawl.alerts.render import build_message, load_email
from kn_crawl.alerts.subscriptions import SubscriptionSpec, subscribe, validate
from kn_crawl.alerts.vocabulary import load_vocabulary
from kn_crawl.db.models import Article, table_of
from kn_crawl.settings import SmtpSettings
from tests.alerts_support import Desk, item

T0 = datetime(2025, 3, 10, 9, 0, tzinfo=UTC)
SOURCES = ["kommune21", "move", "egovernment"]
articles_t = table_of(Article)
outbox_t = table_of(AlertOutbox)


def sub(engine: Engine, email: str = "anna@example.org", **kw: Any) -> int:
    spec = validate(SubscriptionSpec(email=email, **kw), SOURCES, now=T0)
    return subscribe(engine, spec, now=T0).id


def run_match(engine: Engine, now: datetime = T0) -> MatchResult:
    return match(engine, now=now, vocabulary=load_vocabulary())


STORY = 999_999  # far above the ids the store hands out here


def in_story(engine: Engine, story_id: int | None, *titles: str) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(articles_t).where(articles_t.c.title.in_(titles)).values(story_id=story_id)
        )


def entries(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(select(outbox_t).order_by(outbox_t.c.id)).all())


def other(source: str, title: str, tags: list[str], hours: int = 0) -> Any:
    return item(
        source, title, tags, published=T0 + timedelta(hours=hours),
        url=f"https://{source}.example/{title.lower().replace(' ', '-')}/",
    )  # fmt: skip


def backfilled(engine: Engine) -> Desk:
    desk = Desk(engine)
    for name in SOURCES:
        desk.crawl(name, [other(name, f"Alt {name}", ["OZG"])], now=T0)
    run_match(engine)
    return desk


def test_a_story_alerts_once_with_all_its_sources_so_far(engine: Engine) -> None:
    sub(engine, tags=("OZG",))
    sub(engine, "bob@example.org", queries=("Onlinezugang",))
    desk = backfilled(engine)
    desk.crawl("kommune21", [other("kommune21", "OZG Onlinezugang startet", ["OZG"])], now=T0)
    desk.crawl("move", [other("move", "Onlinezugang: Start des OZG", ["OZG"], 1)], now=T0)
    in_story(engine, STORY, "OZG Onlinezugang startet", "Onlinezugang: Start des OZG")
    first = run_match(engine)
    assert (first.articles, first.queued) == (2, 2)
    assert [(e.recipient, e.item_key) for e in entries(engine)] == [
        ("anna@example.org", f"story:{STORY}"),
        ("bob@example.org", f"story:{STORY}"),
    ]
    # A third source joins the story later: nobody hears of it again.
    desk.crawl("egovernment", [other("egovernment", "OZG: es geht los", ["OZG"], 2)], now=T0)
    in_story(engine, STORY, "OZG: es geht los")
    second = run_match(engine)
    assert (second.articles, second.queued) == (1, 0)
    # The message, rendered now, names the first article and the story's other sources.
    with engine.connect() as conn:
        view = load_email(conn, entries(engine)[0].email_id)
    assert view is not None
    (story,) = view.items
    assert [s for s, _ in story.title] == ["OZG Onlinezugang startet"]
    assert (story.source, story.other_sources) == ("Kommune21", ("Move", "Egovernment"))
    # The e-mail (text and HTML) names them too.
    message = build_message(view, smtp=SmtpSettings(), secret=b"k" * 32, now=T0)
    for part in ("plain", "html"):
        body = message.get_body((part,))
        assert body is not None
        assert "Auch berichtet von: Move, Egovernment" in body.get_content()


def test_different_stories_alert_apart(engine: Engine) -> None:
    sub(engine, tags=("OZG",))
    desk = backfilled(engine)
    desk.crawl("kommune21", [other("kommune21", "Eins", ["OZG"])], now=T0)
    desk.crawl("move", [other("move", "Zwei ganz anders", ["OZG"])], now=T0)
    assert run_match(engine).queued == 2
    keys = [e.item_key for e in entries(engine)]
    assert len(set(keys)) == 2 and all(k.startswith("story:") for k in keys)


def test_articles_without_a_story_alert_as_before(engine: Engine) -> None:
    sub(engine, tags=("OZG",))
    desk = backfilled(engine)
    desk.crawl("kommune21", [other("kommune21", "Eins", ["OZG"])], now=T0)
    desk.crawl("move", [other("move", "Zwei", ["OZG"])], now=T0)
    in_story(engine, None, "Eins", "Zwei")  # not clustered (rows older than the clustering)
    assert run_match(engine).queued == 2
    assert [e.item_key.split(":")[0] for e in entries(engine)] == ["article", "article"]
    with engine.connect() as conn:
        view = load_email(conn, entries(engine)[0].email_id)
    assert view is not None
    assert [i.other_sources for i in view.items] == [(), ()]
