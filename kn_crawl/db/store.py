"""Writes articles with their tags, URLs and revisions: one transaction per batch, idempotent.

Identity, in order: the article's own canonical URL, then the weaker keys — another URL we
know for an article (an alias), the site's own article id, the fingerprint (source +
normalised title + day + teaser lead). Re-running any crawl only refreshes ``last_seen_at``;
a changed article is updated in place and its previous version kept in ``article_revisions``.

Nothing is merged or crossed silently:

- A weak key whose article clearly disagrees (``identity.same_article``) is a conflict, not an
  edit, recorded as ``identity_conflict``: the item is stored as an article of its own, so
  nothing is lost. A site id or fingerprint stays with the article that had it. A URL that
  was only an alias of the other article (a redirect or an old copy once led there) and is
  now the item's canonical URL moves to the item: the site says so, and the other article
  keeps its own canonical URL.
- A URL owned by another source's article is never re-keyed or updated (``foreign_url``):
  an item whose canonical URL is foreign is dropped; a foreign alias is left out.
- A batch the database refuses is rolled back and retried item by item, each in its own
  transaction, so one bad item is dropped (``store_failed``) and the others are stored.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.cluster.fence import RunFenced, fence
from kn_crawl.dates import BERLIN
from kn_crawl.db import locks
from kn_crawl.db.engine import get_engine
from kn_crawl.db.errors import db_error_line
from kn_crawl.db.models import (
    Article,
    ArticleRevision,
    ArticleTag,
    ArticleUrl,
    CrawlRun,
    DroppedItem,
    Source,
    Tag,
    table_of,
)
from kn_crawl.db.reconnect import STORE_BUDGET_S, retrying, transient
from kn_crawl.db.upsert import insert_ignore
from kn_crawl.identity import (
    Likeness,
    content_hash,
    face_of,
    fingerprint,
    same_article,
    site_ids_compatible,
)
from kn_crawl.items import VOCABULARY, ArticleItem
from kn_crawl.settings import Settings
from kn_crawl.stories.clustering import Told, told_of
from kn_crawl.stories.clustering import assign as assign_stories
from kn_crawl.tags import tag_key
from kn_crawl.urls import canonicalize_url

logger = logging.getLogger(__name__)

SITE = "site"
"""``article_tags.origin``: the site (its page; also the default), ``feed`` (the feed
entry) or the vocabulary (``VOCABULARY``, ``kn_crawl.vocabulary``)."""

articles = table_of(Article)
article_urls = table_of(ArticleUrl)
article_tags = table_of(ArticleTag)
revisions = table_of(ArticleRevision)
tags_t = table_of(Tag)
sources_t = table_of(Source)
runs_t = table_of(CrawlRun)
dropped_t = table_of(DroppedItem)


_INSERT_ARTICLE = articles.insert().returning(articles.c.id)


@dataclass(frozen=True, slots=True)
class StoreDrop:
    """An item the store did not merge or could not write, for ``dropped_items``."""

    url: str
    """The page's fetched URL (what the next run fetches again after a ``store_failed``)."""
    reason: str
    """``identity_conflict``, ``foreign_url`` or ``store_failed``."""
    detail: str
    """One line."""
    stored: bool = False
    """A note: the article itself was stored (as its own article, or without an alias)."""


@dataclass(slots=True)
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    """Legacy copies of an article we already have: only their URL was recorded."""
    drops: list[StoreDrop] = field(default_factory=list)

    def __iadd__(self, other: StoreCounts) -> StoreCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        self.drops += other.drops
        return self


@dataclass(slots=True)
class _Prepared:
    item: ArticleItem
    fingerprint: str
    content_hash: str
    tags: list[tuple[str, str]]  # (key, display name), page order, unique keys
    origins: dict[str, str]  # key -> origin (site, feed, vocabulary)

    @property
    def tag_rows(self) -> list[tuple[str, str, str]]:
        """(key, display name, origin) per tag, in page order."""
        return [(key, name, self.origins[key]) for key, name in self.tags]

    @property
    def urls(self) -> list[str]:
        return [self.item.url, *[u for u in self.item.alias_urls if u != self.item.url]]


def _prepare(source: str, item: ArticleItem) -> _Prepared:
    assert item.title and item.published_at, "validated items only"
    seen: set[str] = set()
    tags: list[tuple[str, str]] = []
    origins: dict[str, str] = {}
    for name in item.tags:
        key = tag_key(name)
        if key and key not in seen:
            seen.add(key)
            tags.append((key, name))
            origins[key] = item.tag_origins.get(name, SITE)
    return _Prepared(
        item=item,
        fingerprint=fingerprint(source, item.title, item.published_at, item.teaser),
        # The source's tags only: the vocabulary's follow from the text, and a changed
        # vocabulary is no edit of the article (``kn-crawl vocabulary apply`` re-tags).
        content_hash=content_hash(
            title=item.title,
            kicker=item.kicker,
            teaser=item.teaser,
            body=item.body,
            tags=[name for key, name in tags if origins[key] != VOCABULARY],
        ),
        tags=tags,
        origins=origins,
    )


def lock_source(conn: Connection, source_id: int) -> None:
    """Serialise writers of one source for the rest of the transaction.

    SQLite already holds the database write lock (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock, so look-up-then-insert cannot race another writer.
    """
    locks.xact_lock(conn, locks.source_key(source_id))


def ensure_source(conn: Connection, *, name: str, family: str, title: str, base_url: str) -> int:
    """The id of source ``name``, created or refreshed from the spider's declaration."""
    insert_ignore(
        conn,
        sources_t,
        [{"name": name, "family": family, "title": title, "base_url": base_url, "enabled": True}],
        "name",
    )
    conn.execute(
        update(sources_t)
        .where(sources_t.c.name == name)
        .values(family=family, title=title, base_url=base_url)
    )
    return int(conn.execute(select(sources_t.c.id).where(sources_t.c.name == name)).scalar_one())


class ArticleStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def save_aliases(
        self, source_id: int, pairs: Sequence[tuple[str, str]], *, run_id: int | None = None
    ) -> int:
        """Record (old URL, target URL) pairs for targets that are known articles."""

        def write() -> int:
            with self.engine.begin() as conn:
                fence(conn, run_id)
                return _save_aliases(conn, source_id, pairs)

        return retrying(self.engine, write, what="URL aliases", budget_s=STORE_BUDGET_S)

    def save(
        self,
        source_id: int,
        source: str,
        items: Sequence[ArticleItem],
        *,
        now: datetime,
        run_id: int | None = None,
    ) -> StoreCounts:
        """Write ``items`` (validated, normalised) in one transaction; if the database
        refuses it, item by item, each in a transaction of its own. Never raises for a
        database error: what could not be written is in the result's ``drops``. Raises
        ``RunFenced`` (nothing written) when run ``run_id`` is no longer ``running``."""
        prepared = [_prepare(source, item) for item in items]
        try:
            return self._save(source_id, prepared, now=now, run_id=run_id)
        except SQLAlchemyError as exc:
            if len(prepared) == 1 or transient(self.engine, exc):
                # One item, or the database is away (retried already): none would fare better
                # alone.
                return StoreCounts(drops=[_store_failed(p, exc) for p in prepared])
            logger.warning(
                "the database refused a batch of %d articles (%s): storing them one by one",
                len(prepared),
                db_error_line(exc),
            )
        counts = StoreCounts()
        for p in prepared:
            try:
                counts += self._save(source_id, [p], now=now, run_id=run_id)
            except SQLAlchemyError as exc:
                counts.drops.append(_store_failed(p, exc))
        return counts

    def _save(
        self, source_id: int, prepared: list[_Prepared], *, now: datetime, run_id: int | None
    ) -> StoreCounts:
        def write() -> StoreCounts:
            with self.engine.begin() as conn:
                fence(conn, run_id)
                lock_source(conn, source_id)
                return _save(conn, source_id, prepared, now=now, run_id=run_id)

        # A database restart mid-crawl costs a pause, not the batch (kn_crawl.db.reconnect).
        return retrying(self.engine, write, what="articles", budget_s=STORE_BUDGET_S)


def _store_failed(p: _Prepared, exc: SQLAlchemyError) -> StoreDrop:
    return StoreDrop(p.item.fetched_url, "store_failed", db_error_line(exc))


@dataclass(slots=True)
class StoreFailure:
    """Nothing of a batch was written (the page worker died with it, or the store failed
    outside the database); what the database refuses is in ``StoreCounts.drops`` instead."""

    error: str
    """One line."""
    lease_lost: bool = False
    """The run was taken from this crawl (``kn_crawl.cluster.fence``): the crawl must stop."""


def save_batch(
    source_id: int,
    source: str,
    items: Sequence[ArticleItem],
    now: datetime,
    run_id: int | None,
) -> StoreCounts | StoreFailure:
    """The store pipeline's task (run by the page worker): one batch into the database of
    ``KN_DATABASE_URL`` (the URL stays out of the pipe: it may hold a password)."""
    store = ArticleStore(get_engine(Settings.from_env().database_url))
    try:
        return store.save(source_id, source, items, now=now, run_id=run_id)
    except RunFenced as exc:
        return StoreFailure(str(exc), lease_lost=True)
    except SQLAlchemyError as exc:
        return StoreFailure(db_error_line(exc))


def save_alias_batch(
    source_id: int, pairs: Sequence[tuple[str, str]], run_id: int | None = None
) -> int | StoreFailure:
    store = ArticleStore(get_engine(Settings.from_env().database_url))
    try:
        return store.save_aliases(source_id, pairs, run_id=run_id)
    except RunFenced as exc:
        return StoreFailure(str(exc), lease_lost=True)
    except SQLAlchemyError as exc:
        return StoreFailure(db_error_line(exc))


def _save_aliases(conn: Connection, source_id: int, pairs: Sequence[tuple[str, str]]) -> int:
    targets = {canonicalize_url(t) for _, t in pairs}
    known = dict(
        conn.execute(
            select(article_urls.c.url, article_urls.c.article_id)
            .join(articles, articles.c.id == article_urls.c.article_id)
            .where(articles.c.source_id == source_id, article_urls.c.url.in_(targets))
        ).all()
    )
    rows = [
        {"url": canonicalize_url(url), "article_id": known[canonicalize_url(target)]}
        for url, target in pairs
        if canonicalize_url(target) in known
    ]
    insert_ignore(conn, article_urls, _unique_by(rows, "url"), "url")
    return len(rows)


def _save(
    conn: Connection,
    source_id: int,
    batch: list[_Prepared],
    *,
    now: datetime,
    run_id: int | None,
) -> StoreCounts:
    counts = StoreCounts()
    all_urls = {u for p in batch for u in p.urls}
    # Every source's URLs: a URL of another source's article is refused, never re-keyed.
    by_url: dict[str, int] = dict(
        conn.execute(
            select(article_urls.c.url, article_urls.c.article_id).where(
                article_urls.c.url.in_(all_urls)
            )
        ).all()
    )
    site_ids = {p.item.site_article_id for p in batch if p.item.site_article_id}
    by_site_id: dict[str, int] = dict(
        conn.execute(
            select(articles.c.site_article_id, articles.c.id).where(
                articles.c.source_id == source_id, articles.c.site_article_id.in_(site_ids)
            )
        ).all()
    )
    by_fp: dict[str, list[tuple[int, str | None]]] = {}
    for fp, aid, site_id in conn.execute(
        select(articles.c.fingerprint, articles.c.id, articles.c.site_article_id).where(
            articles.c.source_id == source_id,
            articles.c.fingerprint.in_({p.fingerprint for p in batch}),
        )
    ).all():
        by_fp.setdefault(fp, []).append((aid, site_id))

    # The stored rows of every article the batch may touch, in one query (not one per item).
    candidates = {
        *by_url.values(),
        *by_site_id.values(),
        *(a for c in by_fp.values() for a, _ in c),
    }
    rows: dict[int, Any] = {
        r["id"]: r
        for r in conn.execute(select(articles).where(articles.c.id.in_(candidates))).mappings()
    }
    owner: dict[int, int] = {aid: row["source_id"] for aid, row in rows.items()}
    unchanged_ids: list[int] = []
    told: list[Told] = []  # new or changed: (re-)clustered into stories below
    new_alias_rows: list[dict[str, Any]] = []
    tag_rows_for: dict[int, list[tuple[str, str, str]]] = {}
    replace_tags_for: set[int] = set()

    def current_of(aid: int) -> Any:
        # Inserted or changed earlier in this batch: read again.
        return rows.get(aid) or (
            conn.execute(select(articles).where(articles.c.id == aid)).mappings().one()
        )

    for p in batch:
        item = p.item
        foreign = [u for u in p.urls if u in by_url and owner[by_url[u]] != source_id]
        if item.url in foreign:
            counts.drops.append(
                StoreDrop(
                    item.fetched_url,
                    "foreign_url",
                    f"not stored: {item.url} is an article of another source "
                    f"({_source_name(conn, owner[by_url[item.url]])})",
                )
            )
            continue
        urls = [u for u in p.urls if u not in foreign]
        if foreign:
            counts.drops.append(
                StoreDrop(
                    item.fetched_url,
                    "foreign_url",
                    f"stored without the alias {foreign[0]}: an article of another source "
                    f"({_source_name(conn, owner[by_url[foreign[0]]])})",
                    stored=True,
                )
            )

        match = _match(p, urls, by_url, by_site_id, by_fp, current_of)
        aid = match.aid
        matched_by_url = match.by_url
        if match.conflict is not None:
            other = current_of(match.conflict[0])
            detail = (
                f"{match.conflict[1]} belongs to {other['url']} ({_describe(other)}), "
                f"not to {item.url} ({_describe_item(p)})"
            )
            how = ", taking over its URL" if item.url in by_url else ""
            counts.drops.append(
                StoreDrop(
                    item.fetched_url,
                    "identity_conflict",
                    f"stored as an article of its own{how}: {detail}",
                    stored=True,
                )
            )
        site_id_taken = bool(
            item.site_article_id and by_site_id.get(item.site_article_id, aid) != aid
        )

        if aid is None:
            aid = _insert_article(
                conn, source_id, p, now=now, run_id=run_id, keep_site_id=not site_id_taken
            )
            owner[aid] = source_id
            counts.new += 1
            told.append(_told(aid, p, None))
            tag_rows_for[aid] = p.tag_rows
            if match.conflict is not None and item.url in by_url:
                # The page's URL was an alias of the other article (a redirect or an old
                # copy once led there); the site now serves this article under it as its
                # canonical URL, so the URL moves here. The other article keeps its own URL.
                conn.execute(
                    update(article_urls)
                    .where(article_urls.c.url == item.url)
                    .values(article_id=aid)
                )
                by_url[item.url] = aid
        else:
            current = current_of(aid)
            if item.legacy_url and current["url"] != item.url:
                # An old-layout copy of an article we have: remember the URL, keep the content.
                counts.duplicates += 1
            else:
                rows.pop(aid, None)  # changed below: a later copy in the batch re-reads it
                values = _article_values(p)
                if site_id_taken:
                    # The page shows the id another of our articles has: keep what we know.
                    values.pop("site_article_id")
                if not matched_by_url and current["url"] != item.url:
                    # Same article under its current URL, first met elsewhere (an old-layout
                    # copy, or before the site changed its slug): the current page becomes the
                    # article. Where the reader sees the same title, day and teaser, that is a
                    # better extraction, not an edit by the publisher, so it is no revision.
                    new_alias_rows.append({"url": current["url"], "article_id": aid})
                    if _edited(current, p):
                        conn.execute(
                            update(articles).where(articles.c.id == aid).values(url=item.url)
                        )
                        _revise(conn, aid, current, values, now=now, run_id=run_id)
                        counts.updated += 1
                    else:
                        conn.execute(
                            update(articles)
                            .where(articles.c.id == aid)
                            .values(**values, last_seen_at=now)
                        )
                        unchanged_ids.append(aid)
                        counts.unchanged += 1
                    tag_rows_for[aid] = p.tag_rows
                    replace_tags_for.add(aid)
                    told.append(_told(aid, p, current["story_id"]))
                elif current["content_hash"] == p.content_hash:
                    unchanged_ids.append(aid)
                    counts.unchanged += 1
                else:
                    _revise(conn, aid, current, values, now=now, run_id=run_id)
                    counts.updated += 1
                    tag_rows_for[aid] = p.tag_rows
                    replace_tags_for.add(aid)
                    told.append(_told(aid, p, current["story_id"]))
        for u in urls:
            by_url.setdefault(u, aid)
            new_alias_rows.append({"url": u, "article_id": aid})
        if item.site_article_id:
            by_site_id.setdefault(item.site_article_id, aid)
        known = by_fp.setdefault(p.fingerprint, [])
        if all(candidate != aid for candidate, _ in known):
            known.append((aid, None if site_id_taken else item.site_article_id))

    if unchanged_ids:
        conn.execute(
            update(articles).where(articles.c.id.in_(unchanged_ids)).values(last_seen_at=now)
        )
        # Articles stored before stories existed join theirs when a crawl meets them again.
        unclustered = conn.execute(
            select(articles.c.id).where(
                articles.c.id.in_(unchanged_ids), articles.c.story_id.is_(None)
            )
        ).scalars()
        told += told_of(conn, list(unclustered))
    insert_ignore(conn, article_urls, _unique_by(new_alias_rows, "url"), "url")
    _write_tags(conn, tag_rows_for, replace_tags_for, now=now)
    # In the same transaction: a batch that fails leaves no story behind.
    assign_stories(conn, told, now=now)
    return counts


def _told(aid: int, p: _Prepared, story_id: int | None) -> Told:
    item = p.item
    assert item.title and item.published_at, "validated items only"
    return Told(aid, item.title, item.teaser, item.body, item.published_at, story_id)


@dataclass(frozen=True, slots=True)
class _Match:
    aid: int | None = None
    """The article the item is (None: a new article)."""
    by_url: bool = False
    conflict: tuple[int, str] | None = None
    """An article a weak key pointed at whose content disagrees, and the key."""


def _match(
    p: _Prepared,
    urls: list[str],
    by_url: dict[str, int],
    by_site_id: dict[str, int],
    by_fp: dict[str, list[tuple[int, str | None]]],
    current_of: Callable[[int], Any],
) -> _Match:
    """Which of our articles the item is. Its own canonical URL decides alone (the site
    says so; a change there is an edit). Any other key — an alias URL, the site's id, the
    fingerprint — is weaker: it counts only when the content agrees (``same_article``)."""
    item = p.item
    own = by_url.get(item.url)
    if own is not None and current_of(own)["url"] == item.url:
        return _Match(own, by_url=True)
    weak: list[tuple[int, str, bool]] = []  # (article, key, is a URL)
    if own is not None:
        weak.append((own, f"the URL {item.url}", True))
    weak += [(by_url[u], f"the URL {u}", True) for u in urls if u != item.url and u in by_url]
    if item.site_article_id and item.site_article_id in by_site_id:
        weak.append((by_site_id[item.site_article_id], f"site id {item.site_article_id}", False))
    weak += [
        (candidate, "the fingerprint", False)
        for candidate, site_id in by_fp.get(p.fingerprint, ())
        if site_ids_compatible(item.site_article_id, site_id)
    ]
    incoming = _likeness(item.title, item.published_at, item.teaser)
    for aid, _key, is_url in weak:
        current = current_of(aid)
        if same_article(
            _likeness(current["title"], current["published_at"], current["teaser"]), incoming
        ):
            return _Match(aid, by_url=is_url)
    if weak:
        return _Match(None, conflict=(weak[0][0], weak[0][1]))
    return _Match(None)


def _edited(current: Any, p: _Prepared) -> bool:
    """Whether a reader sees another title, day or teaser lead than the stored row shows (a
    teaser on one side only is an extraction's difference, not an edit)."""
    old = face_of(_likeness(current["title"], current["published_at"], current["teaser"]))
    new = face_of(_likeness(p.item.title, p.item.published_at, p.item.teaser))
    if not old[2] or not new[2]:
        return old[:2] != new[:2]
    return old != new


def _likeness(title: str | None, published_at: datetime | None, teaser: str | None) -> Likeness:
    assert title and published_at, "validated items and stored articles only"
    return Likeness(title=title, published_at=published_at, teaser=teaser)


def _describe(row: Any) -> str:
    day = row["published_at"].astimezone(BERLIN).date().isoformat()
    return f"{row['site_article_id'] or 'no site id'}, {day}, {_short(row['title'])!r}"


def _describe_item(p: _Prepared) -> str:
    item = p.item
    assert item.published_at and item.title
    day = item.published_at.astimezone(BERLIN).date().isoformat()
    return f"{item.site_article_id or 'no site id'}, {day}, {_short(item.title)!r}"


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _source_name(conn: Connection, source_id: int) -> str:
    return str(
        conn.execute(select(sources_t.c.name).where(sources_t.c.id == source_id)).scalar_one()
    )


def _unique_by(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    seen: dict[Any, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(row[key], row)
    return list(seen.values())


def _article_values(p: _Prepared) -> dict[str, Any]:
    item = p.item
    return {
        "url": item.url,
        "site_article_id": item.site_article_id,
        "fingerprint": p.fingerprint,
        "title": item.title,
        "kicker": item.kicker,
        "teaser": item.teaser,
        "body": item.body,
        "published_at": item.published_at,
        "date_signal": item.date_signal,
        "section": item.section,
        "type_label": item.type_label,
        "image_url": item.image_url,
        "image_caption": item.image_caption,
        "image_credit": item.image_credit,
        "author": item.author,
        "modified_at": item.modified_at,
        "language": item.language,
        "feed_only": item.feed_only,
        "content_hash": p.content_hash,
    }


def _insert_article(
    conn: Connection,
    source_id: int,
    p: _Prepared,
    *,
    now: datetime,
    run_id: int | None,
    keep_site_id: bool = True,
) -> int:
    values = _article_values(p) | {
        "source_id": source_id,
        "first_seen_at": now,
        "last_seen_at": now,
        "first_seen_run_id": run_id,
    }
    if not keep_site_id:
        # Another of this source's articles has the id (an identity conflict): this one is
        # stored without it, so the other keeps its key.
        values["site_article_id"] = None
    # One statement object, parameters apart: SQLAlchemy compiles it once and caches it
    # (``.values(...)`` per row would build and compile a new statement every time).
    return int(conn.execute(_INSERT_ARTICLE, values).scalar_one())


def _revise(
    conn: Connection,
    aid: int,
    current: Any,
    values: dict[str, Any],
    *,
    now: datetime,
    run_id: int | None,
) -> None:
    old_tags = list(
        conn.execute(
            select(tags_t.c.name)
            .join(article_tags, article_tags.c.tag_id == tags_t.c.id)
            .where(article_tags.c.article_id == aid)
            .order_by(article_tags.c.position)
        ).scalars()
    )
    conn.execute(
        revisions.insert().values(
            article_id=aid,
            revised_at=now,
            run_id=run_id,
            title=current["title"],
            kicker=current["kicker"],
            teaser=current["teaser"],
            body=current["body"],
            tags=old_tags,
            published_at=current["published_at"],
            content_hash=current["content_hash"],
        )
    )
    values = dict(values)
    # The URL may have been moved above; keep what the row has now.
    values.pop("url")
    # Keep the site id we know if this copy of the page does not show one.
    if values.get("site_article_id", "") is None:
        values.pop("site_article_id")
    conn.execute(
        update(articles)
        .where(articles.c.id == aid)
        .values(**values, last_seen_at=now, updated_at=now)
    )


def _write_tags(
    conn: Connection,
    tag_rows_for: dict[int, list[tuple[str, str, str]]],
    replace_for: set[int],
    *,
    now: datetime,
) -> None:
    if not tag_rows_for:
        return
    first_article: dict[str, tuple[str, int]] = {}
    for aid, tags in tag_rows_for.items():
        for key, name, _origin in tags:
            first_article.setdefault(key, (name, aid))
    insert_ignore(
        conn,
        tags_t,
        [
            {"key": key, "name": name, "first_seen_at": now, "first_article_id": aid}
            for key, (name, aid) in first_article.items()
        ],
        "key",
    )
    ids: dict[str, int] = dict(
        conn.execute(select(tags_t.c.key, tags_t.c.id).where(tags_t.c.key.in_(first_article))).all()
    )
    if replace_for:
        conn.execute(article_tags.delete().where(article_tags.c.article_id.in_(replace_for)))
    rows = [
        {"article_id": aid, "tag_id": ids[key], "position": pos, "origin": origin}
        for aid, tags in tag_rows_for.items()
        for pos, (key, _name, origin) in enumerate(tags)
    ]
    if rows:
        conn.execute(article_tags.insert(), rows)
