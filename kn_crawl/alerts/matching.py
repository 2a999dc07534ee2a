"""Matching: every article and Stichwort not looked at yet, against every active subscription.

One transaction per batch: the outbox entries and the bookkeeping that says "looked at" are
written together, and matchers are serialised, so a crash or a second run can neither lose nor
repeat an alert. An article is looked at once, so an update to it never alerts again. Articles
of a source's first crawl (a backfill) are recorded as held back instead of alerted, unless
``include_backfill`` is set.

Once per story: an article that belongs to a story (``articles.story_id``) is queued under the
key ``story:<id>``, so a recipient hears of a story once, whichever of its articles matched
first; an article joining a story already queued or sent to them adds nothing (the message
lists the story's sources when it is rendered). Articles not clustered keep ``article:<id>``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.engine import Connection

from kn_crawl.alerts import keywords
from kn_crawl.alerts.models import (
    MODES,
    AlertEmail,
    AlertMatchedArticle,
    AlertMatchedTag,
    AlertOutbox,
    AlertSubscription,
)
from kn_crawl.alerts.outbox import new_delivery_key
from kn_crawl.alerts.schedule import due_at
from kn_crawl.alerts.vocabulary import Vocabulary
from kn_crawl.db import locks
from kn_crawl.db.locks import xact_lock
from kn_crawl.db.models import Article, ArticleTag, CrawlRun, Source, Tag, table_of
from kn_crawl.db.upsert import insert_ignore
from kn_crawl.items import VOCABULARY

logger = logging.getLogger(__name__)

articles_t = table_of(Article)
sources_t = table_of(Source)
runs_t = table_of(CrawlRun)
tags_t = table_of(Tag)
article_tags_t = table_of(ArticleTag)
subs_t = table_of(AlertSubscription)
matched_articles_t = table_of(AlertMatchedArticle)
matched_tags_t = table_of(AlertMatchedTag)
emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)

BATCH_SIZE = 500

Reason = dict[str, Any]


@dataclass(frozen=True, slots=True)
class CompiledSubscription:
    id: int
    recipient: str
    channel: str | None
    """Apprise URL, or None for e-mail (the recipient is then the address)."""
    tag_keys: dict[str, str]
    """Concept key -> the Stichwort as subscribed (the label shown as the reason)."""
    queries: tuple[tuple[str, Any], ...]
    sources: frozenset[str]
    new_tags: bool
    mode: str
    digest_time: str
    digest_weekday: int

    @property
    def follows_articles(self) -> bool:
        # "sources + new Stichwörter" means new Stichwörter of those sources, not every article.
        return bool(self.tag_keys or self.queries or (self.sources and not self.new_tags))


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    id: int
    source: str
    title: str
    kicker: str | None
    teaser: str | None
    section: str | None
    published_at: datetime | None
    tags: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NewTag:
    id: int
    name: str
    source: str | None
    """Source of the article that introduced it."""


@dataclass(slots=True)
class MatchResult:
    articles: int = 0
    """Articles looked at."""
    held_back: int = 0
    """Of those, from a first crawl and not alerted."""
    tags: int = 0
    new_tags: int = 0
    queued: int = 0
    """Outbox entries written."""
    emails: int = 0
    """E-mails created for them (others joined a queued e-mail)."""


def compile_subscriptions(
    rows: Iterable[Any], vocabulary: Vocabulary, *, now: datetime
) -> list[CompiledSubscription]:
    compiled = []
    for row in rows:
        queries = []
        for text_ in row.queries or ():
            try:
                queries.append((text_, keywords.compile_query(text_, now=now)))
            except keywords.QueryError as exc:  # stored, then the language changed
                logger.warning("subscription %s: query %r skipped: %s", row.id, text_, exc)
        compiled.append(
            CompiledSubscription(
                id=row.id,
                recipient=row.email.strip().lower(),
                channel=row.channel,
                tag_keys={vocabulary.key(t): t for t in row.tags or ()},
                queries=tuple(queries),
                sources=frozenset(row.sources or ()),
                new_tags=bool(row.new_tags),
                mode=row.mode,
                digest_time=row.digest_time,
                digest_weekday=row.digest_weekday,
            )
        )
    return compiled


def article_reasons(
    sub: CompiledSubscription, article: ArticleFacts, vocabulary: Vocabulary
) -> list[Reason]:
    """Why ``article`` interests ``sub`` (empty: it does not)."""
    if not sub.follows_articles or (sub.sources and article.source not in sub.sources):
        return []
    reasons: list[Reason] = []
    keys = {vocabulary.key(t) for t in article.tags}
    for key, label in sub.tag_keys.items():
        if key in keys:
            reasons.append({"kind": "tag", "label": label})
    for text_, query in sub.queries:
        terms = keywords.match_terms(
            query,
            title=article.title,
            kicker=article.kicker,
            teaser=article.teaser,
            tags=article.tags,
            source=article.source,
            section=article.section,
            published_at=article.published_at,
        )
        if terms is not None:
            reasons.append({"kind": "query", "label": text_, "terms": terms})
    if not sub.tag_keys and not sub.queries:
        reasons.append({"kind": "source", "label": article.source})
    return [r | {"subscription": sub.id} for r in reasons]


def new_tag_reasons(sub: CompiledSubscription, tag: NewTag) -> list[Reason]:
    if not sub.new_tags or (sub.sources and tag.source not in sub.sources):
        return []
    return [{"kind": "new_tag", "label": tag.name, "subscription": sub.id}]


@dataclass(slots=True)
class _Planned:
    recipient: str
    channel: str | None
    item_key: str
    kind: str
    article_id: int | None
    tag_id: int | None
    subscription_id: int
    mode: str
    due: datetime
    reasons: list[Reason] = field(default_factory=list)


def _plan(
    planned: dict[tuple[str, str], _Planned],
    sub: CompiledSubscription,
    reasons: list[Reason],
    *,
    item_key: str,
    kind: str,
    article_id: int | None = None,
    tag_id: int | None = None,
    now: datetime,
) -> None:
    """One entry per recipient and item: reasons of all their subscriptions merged, delivered
    with the quickest of their modes."""
    if not reasons:
        return
    due = due_at(sub.mode, now=now, digest_time=sub.digest_time, weekday=sub.digest_weekday)
    entry = planned.get((sub.recipient, item_key))
    if entry is None:
        planned[(sub.recipient, item_key)] = _Planned(
            sub.recipient, sub.channel, item_key, kind, article_id, tag_id, sub.id, sub.mode, due,
            reasons,
        )  # fmt: skip
        return
    entry.reasons += [r for r in reasons if r not in entry.reasons]
    if (MODES.index(sub.mode), due) < (MODES.index(entry.mode), entry.due):
        entry.mode, entry.due, entry.subscription_id = sub.mode, due, sub.id


def match(
    engine: Engine,
    *,
    now: datetime,
    vocabulary: Vocabulary,
    include_backfill: bool = False,
    batch_size: int = BATCH_SIZE,
) -> MatchResult:
    """Queue alerts for everything not looked at yet. Safe to run any time, any number of
    times, from several processes."""
    result = MatchResult()
    while True:
        with engine.begin() as conn:
            _lock(conn)
            subs = _subscriptions(conn, vocabulary, now=now)
            done = _article_batch(
                conn, subs, vocabulary, result, now=now,
                include_backfill=include_backfill, batch_size=batch_size,
            )  # fmt: skip
        if done:
            break
    while True:
        with engine.begin() as conn:
            _lock(conn)
            subs = _subscriptions(conn, vocabulary, now=now)
            done = _tag_batch(
                conn, subs, vocabulary, result, now=now,
                include_backfill=include_backfill, batch_size=batch_size,
            )  # fmt: skip
        if done:
            break
    return result


def _lock(conn: Connection) -> None:
    # SQLite: BEGIN IMMEDIATE already holds the write lock. PostgreSQL: one matcher at a time,
    # so the look-up of queued e-mails and the inserts below cannot interleave with another's.
    xact_lock(conn, locks.MATCHING)


def _subscriptions(
    conn: Connection, vocabulary: Vocabulary, *, now: datetime
) -> list[CompiledSubscription]:
    # Pending (not confirmed yet by their address) and paused subscriptions hear nothing.
    rows = conn.execute(
        select(subs_t)
        .where(
            subs_t.c.active.is_(True),
            subs_t.c.confirmed_at.is_not(None),
            subs_t.c.paused_at.is_(None),
        )
        .order_by(subs_t.c.id)
    )
    return compile_subscriptions(rows, vocabulary, now=now)


def _unmatched(matched: Any, key: Any, include_backfill: bool) -> Any:
    condition = matched.c[key].is_(None)
    return or_(condition, matched.c.held_back.is_(True)) if include_backfill else condition


def _first_ok_runs(conn: Connection) -> dict[int, int]:
    return {
        int(source_id): int(run_id)
        for source_id, run_id in conn.execute(
            select(runs_t.c.source_id, func.min(runs_t.c.id))
            .where(runs_t.c.status == "ok")
            .group_by(runs_t.c.source_id)
        ).all()
    }


def is_backfill(source_id: int, run_id: int | None, first_ok: dict[int, int]) -> bool:
    """Seen first in a run up to and including the source's first successful one. Articles
    stored outside a crawl run (no run id) are not a backfill."""
    if run_id is None:
        return False
    first = first_ok.get(source_id)
    return first is None or run_id <= first


def _article_batch(
    conn: Connection,
    subs: Sequence[CompiledSubscription],
    vocabulary: Vocabulary,
    result: MatchResult,
    *,
    now: datetime,
    include_backfill: bool,
    batch_size: int,
) -> bool:
    m = matched_articles_t
    rows = conn.execute(
        select(
            articles_t.c.id,
            articles_t.c.source_id,
            articles_t.c.first_seen_run_id,
            articles_t.c.title,
            articles_t.c.kicker,
            articles_t.c.teaser,
            articles_t.c.section,
            articles_t.c.published_at,
            articles_t.c.story_id,
            sources_t.c.name.label("source"),
        )
        .select_from(
            articles_t.outerjoin(m, m.c.article_id == articles_t.c.id).join(
                sources_t, sources_t.c.id == articles_t.c.source_id
            )
        )
        .where(_unmatched(m, "article_id", include_backfill))
        .order_by(articles_t.c.id)
        .limit(batch_size)
    ).all()
    if not rows:
        return True
    ids = [r.id for r in rows]
    tags: dict[int, list[str]] = {}
    for aid, name in conn.execute(
        select(article_tags_t.c.article_id, tags_t.c.name)
        .join(tags_t, tags_t.c.id == article_tags_t.c.tag_id)
        .where(article_tags_t.c.article_id.in_(ids))
        .order_by(article_tags_t.c.article_id, article_tags_t.c.position)
    ).all():
        tags.setdefault(aid, []).append(name)
    first_ok = _first_ok_runs(conn)
    planned: dict[tuple[str, str], _Planned] = {}
    bookkeeping = []
    for r in rows:
        held = is_backfill(r.source_id, r.first_seen_run_id, first_ok) and not include_backfill
        bookkeeping.append({"article_id": r.id, "matched_at": now, "held_back": held})
        result.articles += 1
        if held:
            result.held_back += 1
            continue
        facts = ArticleFacts(
            r.id, r.source, r.title, r.kicker, r.teaser, r.section, r.published_at,
            tuple(tags.get(r.id, ())),
        )  # fmt: skip
        for sub in subs:
            _plan(
                planned, sub, article_reasons(sub, facts, vocabulary),
                item_key=article_key(r.id, r.story_id), kind="article", article_id=r.id,
                now=now,
            )  # fmt: skip
    _queue(conn, list(planned.values()), result, now=now)
    _record(conn, m, "article_id", bookkeeping)
    return len(rows) < batch_size


def _tag_batch(
    conn: Connection,
    subs: Sequence[CompiledSubscription],
    vocabulary: Vocabulary,
    result: MatchResult,
    *,
    now: datetime,
    include_backfill: bool,
    batch_size: int,
) -> bool:
    m = matched_tags_t
    # Only Stichwörter a source gave are looked at: one only kn-crawl's vocabulary gave
    # (article_tags.origin "vocabulary") is no news, and stays unlooked-at until a source
    # gives it — then it is new.
    given = (
        select(article_tags_t.c.tag_id)
        .where(article_tags_t.c.tag_id == tags_t.c.id, article_tags_t.c.origin != VOCABULARY)
        .exists()
    )
    first_given = (
        select(func.min(article_tags_t.c.article_id))
        .where(article_tags_t.c.tag_id == tags_t.c.id, article_tags_t.c.origin != VOCABULARY)
        .scalar_subquery()
    )
    candidates = conn.execute(
        select(tags_t.c.id, tags_t.c.name, first_given.label("first_article_id"))
        .select_from(tags_t.outerjoin(m, m.c.tag_id == tags_t.c.id))
        .where(_unmatched(m, "tag_id", include_backfill), given)
        .order_by(tags_t.c.id)
        .limit(batch_size)
    ).all()
    if not candidates:
        return True
    # A Stichwort is new when no spelling or synonym of it came before (lowest tag id wins),
    # from a source.
    first_of_concept: dict[str, int] = {}
    for tag_id, name in conn.execute(
        select(tags_t.c.id, tags_t.c.name).where(given).order_by(tags_t.c.id)
    ):
        first_of_concept.setdefault(vocabulary.key(name), tag_id)
    article_ids = [c.first_article_id for c in candidates if c.first_article_id is not None]
    introduced = {
        r.id: r
        for r in conn.execute(
            select(
                articles_t.c.id,
                articles_t.c.source_id,
                articles_t.c.first_seen_run_id,
                sources_t.c.name.label("source"),
            )
            .join(sources_t, sources_t.c.id == articles_t.c.source_id)
            .where(articles_t.c.id.in_(article_ids))
        ).all()
    }
    first_ok = _first_ok_runs(conn)
    planned: dict[tuple[str, str], _Planned] = {}
    bookkeeping = []
    for c in candidates:
        result.tags += 1
        article = introduced.get(c.first_article_id)
        held = (
            article is not None
            and is_backfill(article.source_id, article.first_seen_run_id, first_ok)
            and not include_backfill
        )
        bookkeeping.append({"tag_id": c.id, "matched_at": now, "held_back": held})
        if held:
            result.held_back += 1
            continue
        if first_of_concept.get(vocabulary.key(c.name)) != c.id:
            continue
        result.new_tags += 1
        tag = NewTag(c.id, c.name, article.source if article is not None else None)
        for sub in subs:
            _plan(
                planned, sub, new_tag_reasons(sub, tag),
                item_key=f"tag:{c.id}", kind="new_tag", tag_id=c.id, now=now,
            )  # fmt: skip
    _queue(conn, list(planned.values()), result, now=now)
    _record(conn, m, "tag_id", bookkeeping)
    return len(candidates) < batch_size


def article_key(article_id: int, story_id: int | None) -> str:
    """The outbox key of an article: its story's, so that a story is queued once per
    recipient (the unique (recipient, item_key) key holds it even against a racing matcher)."""
    return f"story:{story_id}" if story_id is not None else f"article:{article_id}"


def _record(conn: Connection, table: Any, key: str, rows: list[dict[str, Any]]) -> None:
    insert_ignore(conn, table, rows, key)
    # Held-back rows looked at again (include_backfill) are no longer held back.
    released = [r[key] for r in rows if not r["held_back"]]
    if released:
        conn.execute(
            update(table)
            .where(table.c[key].in_(released), table.c.held_back.is_(True))
            .values(held_back=False, matched_at=rows[0]["matched_at"])
        )


def _queue(
    conn: Connection, planned: list[_Planned], result: MatchResult, *, now: datetime
) -> None:
    if not planned:
        return
    # Skip what is already queued (a re-examined backfill item, or a story told before): no
    # e-mail without entries.
    queued = set(
        conn.execute(
            select(outbox_t.c.recipient, outbox_t.c.item_key).where(
                outbox_t.c.item_key.in_({p.item_key for p in planned}),
                outbox_t.c.recipient.in_({p.recipient for p in planned}),
            )
        ).all()
    )
    emails: dict[tuple[str, str, datetime], int] = {}
    rows = []
    for p in planned:
        if (p.recipient, p.item_key) in queued:
            continue
        slot = (p.recipient, p.mode, p.due)
        if slot not in emails:
            emails[slot] = _email_for(conn, *slot, channel=p.channel, now=now, result=result)
        rows.append(
            {
                "recipient": p.recipient,
                "item_key": p.item_key,
                "kind": p.kind,
                "article_id": p.article_id,
                "tag_id": p.tag_id,
                "subscription_id": p.subscription_id,
                "reasons": p.reasons,
                "email_id": emails[slot],
                "created_at": now,
            }
        )
    # The unique (recipient, item_key) key is the last word, whatever happened above.
    insert_ignore(conn, outbox_t, rows, "recipient", "item_key")
    result.queued += len(rows)


def _email_for(
    conn: Connection,
    recipient: str,
    mode: str,
    due: datetime,
    *,
    channel: str | None,
    now: datetime,
    result: MatchResult,
) -> int:
    """A queued e-mail the entry can join (same recipient, mode and digest time, never tried,
    not claimed by a sender), else a new one with its delivery key."""
    e = emails_t
    joinable = [
        e.c.recipient == recipient,
        e.c.mode == mode,
        e.c.status == "pending",
        e.c.attempts == 0,
        e.c.claimed_by.is_(None),
    ]
    if mode != "immediate":
        joinable.append(e.c.due_at == due)
    # An UPDATE, not a SELECT: it locks the row (PostgreSQL), so a sender claiming it waits
    # for this transaction and then sees the new entries; it never sends without them.
    ids = (
        conn.execute(update(e).where(*joinable).values(attempts=e.c.attempts).returning(e.c.id))
        .scalars()
        .all()
    )
    if ids:
        return int(min(ids))
    result.emails += 1
    return int(
        conn.execute(
            e.insert()
            .values(
                recipient=recipient,
                channel=channel,
                mode=mode,
                message_id=new_delivery_key(),
                status="pending",
                due_at=due,
                next_attempt_at=due,
                attempts=0,
                created_at=now,
            )
            .returning(e.c.id)
        ).scalar_one()
    )
