"""Writes articles with their tags, URLs and revisions: one transaction per batch, idempotent.

Identity, in order: a URL we already know for an article (canonical or alias), the site's own
article id, then the fingerprint (source + normalised title + day). Re-running any crawl only
refreshes ``last_seen_at``; a changed article is updated in place and its previous version
kept in ``article_revisions``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from kn_crawl.db.engine import get_engine
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
from kn_crawl.db.upsert import insert_ignore
from kn_crawl.identity import content_hash, fingerprint, site_ids_compatible
from kn_crawl.items import ArticleItem
from kn_crawl.settings import Settings
from kn_crawl.tags import tag_key
from kn_crawl.urls import canonicalize_url

articles = table_of(Article)
article_urls = table_of(ArticleUrl)
article_tags = table_of(ArticleTag)
revisions = table_of(ArticleRevision)
tags_t = table_of(Tag)
sources_t = table_of(Source)
runs_t = table_of(CrawlRun)
dropped_t = table_of(DroppedItem)


_INSERT_ARTICLE = articles.insert().returning(articles.c.id)


@dataclass(slots=True)
class StoreCounts:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    """Legacy copies of an article we already have: only their URL was recorded."""

    def __iadd__(self, other: StoreCounts) -> StoreCounts:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.duplicates += other.duplicates
        return self


@dataclass(slots=True)
class _Prepared:
    item: ArticleItem
    fingerprint: str
    content_hash: str
    tags: list[tuple[str, str]]  # (key, display name), page order, unique keys

    @property
    def urls(self) -> list[str]:
        return [self.item.url, *[u for u in self.item.alias_urls if u != self.item.url]]


def _prepare(source: str, item: ArticleItem) -> _Prepared:
    assert item.title and item.published_at, "validated items only"
    seen: set[str] = set()
    tags: list[tuple[str, str]] = []
    for name in item.tags:
        key = tag_key(name)
        if key and key not in seen:
            seen.add(key)
            tags.append((key, name))
    return _Prepared(
        item=item,
        fingerprint=fingerprint(source, item.title, item.published_at, item.teaser),
        content_hash=content_hash(
            title=item.title,
            kicker=item.kicker,
            teaser=item.teaser,
            body=item.body,
            tags=[name for _, name in tags],
        ),
        tags=tags,
    )


def lock_source(conn: Connection, source_id: int) -> None:
    """Serialise writers of one source for the rest of the transaction.

    SQLite already holds the database write lock (BEGIN IMMEDIATE); PostgreSQL takes a
    transaction-scoped advisory lock, so look-up-then-insert cannot race another writer.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(2121, :sid)"), {"sid": source_id})


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

    def save_aliases(self, source_id: int, pairs: Sequence[tuple[str, str]]) -> int:
        """Record (old URL, target URL) pairs for targets that are known articles."""
        with self.engine.begin() as conn:
            return _save_aliases(conn, source_id, pairs)

    def save(
        self,
        source_id: int,
        source: str,
        items: Sequence[ArticleItem],
        *,
        now: datetime,
        run_id: int | None = None,
    ) -> StoreCounts:
        """Write ``items`` (validated, normalised) in one transaction."""
        prepared = [_prepare(source, item) for item in items]
        with self.engine.begin() as conn:
            lock_source(conn, source_id)
            return _save(conn, source_id, prepared, now=now, run_id=run_id)


SAVE_BATCH = "kn_crawl.db.store:save_batch"
SAVE_ALIASES = "kn_crawl.db.store:save_alias_batch"


@dataclass(slots=True)
class StoreFailure:
    """The database refused a batch; its transaction was rolled back."""

    error: str


def save_batch(
    source_id: int,
    source: str,
    items: Sequence[ArticleItem],
    now: datetime,
    run_id: int | None,
) -> StoreCounts | StoreFailure:
    """The store pipeline's task (run by the page worker): one batch, one transaction, into
    the database of ``KN_DATABASE_URL`` (the URL stays out of the pipe: it may hold a
    password)."""
    store = ArticleStore(get_engine(Settings.from_env().database_url))
    try:
        return store.save(source_id, source, items, now=now, run_id=run_id)
    except SQLAlchemyError as exc:
        return StoreFailure(f"{type(exc).__name__}: {exc}")


def save_alias_batch(source_id: int, pairs: Sequence[tuple[str, str]]) -> int | StoreFailure:
    store = ArticleStore(get_engine(Settings.from_env().database_url))
    try:
        return store.save_aliases(source_id, pairs)
    except SQLAlchemyError as exc:
        return StoreFailure(f"{type(exc).__name__}: {exc}")


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
    unchanged_ids: list[int] = []
    new_alias_rows: list[dict[str, Any]] = []
    tag_rows_for: dict[int, list[tuple[str, str]]] = {}
    replace_tags_for: set[int] = set()

    for p in batch:
        item = p.item
        aid = next((by_url[u] for u in p.urls if u in by_url), None)
        matched_by_url = aid is not None
        if aid is None and item.site_article_id:
            aid = by_site_id.get(item.site_article_id)
        if aid is None:
            aid = next(
                (
                    candidate
                    for candidate, site_id in by_fp.get(p.fingerprint, ())
                    if site_ids_compatible(item.site_article_id, site_id)
                ),
                None,
            )

        if aid is None:
            aid = _insert_article(conn, source_id, p, now=now, run_id=run_id)
            counts.new += 1
            tag_rows_for[aid] = p.tags
        else:
            current = rows.get(aid) or (
                # Inserted or changed earlier in this batch.
                conn.execute(select(articles).where(articles.c.id == aid)).mappings().one()
            )
            if item.legacy_url and current["url"] != item.url:
                # An old-layout copy of an article we have: remember the URL, keep the content.
                counts.duplicates += 1
            else:
                rows.pop(aid, None)  # changed below: a later copy in the batch re-reads it
                if not matched_by_url and current["url"] != item.url:
                    # Same article under its current URL, first met elsewhere (an old-layout
                    # copy): the current page becomes the article. That is a better
                    # extraction, not an edit by the publisher, so it is no revision.
                    new_alias_rows.append({"url": current["url"], "article_id": aid})
                    conn.execute(
                        update(articles)
                        .where(articles.c.id == aid)
                        .values(**_article_values(p), last_seen_at=now)
                    )
                    unchanged_ids.append(aid)
                    counts.unchanged += 1
                    tag_rows_for[aid] = p.tags
                    replace_tags_for.add(aid)
                elif current["content_hash"] == p.content_hash:
                    unchanged_ids.append(aid)
                    counts.unchanged += 1
                else:
                    _revise(conn, aid, current, p, now=now, run_id=run_id)
                    counts.updated += 1
                    tag_rows_for[aid] = p.tags
                    replace_tags_for.add(aid)
        for u in p.urls:
            by_url.setdefault(u, aid)
            new_alias_rows.append({"url": u, "article_id": aid})
        if item.site_article_id:
            by_site_id.setdefault(item.site_article_id, aid)
        known = by_fp.setdefault(p.fingerprint, [])
        if all(candidate != aid for candidate, _ in known):
            known.append((aid, item.site_article_id))

    if unchanged_ids:
        conn.execute(
            update(articles).where(articles.c.id.in_(unchanged_ids)).values(last_seen_at=now)
        )
    insert_ignore(conn, article_urls, _unique_by(new_alias_rows, "url"), "url")
    _write_tags(conn, tag_rows_for, replace_tags_for, now=now)
    return counts


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
        "content_hash": p.content_hash,
    }


def _insert_article(
    conn: Connection, source_id: int, p: _Prepared, *, now: datetime, run_id: int | None
) -> int:
    values = _article_values(p) | {
        "source_id": source_id,
        "first_seen_at": now,
        "last_seen_at": now,
        "first_seen_run_id": run_id,
    }
    # One statement object, parameters apart: SQLAlchemy compiles it once and caches it
    # (``.values(...)`` per row would build and compile a new statement every time).
    return int(conn.execute(_INSERT_ARTICLE, values).scalar_one())


def _revise(
    conn: Connection,
    aid: int,
    current: Any,
    p: _Prepared,
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
    values = _article_values(p)
    # The URL may have been moved above; keep what the row has now.
    values.pop("url")
    # Keep the site id we know if this copy of the page does not show one.
    if values["site_article_id"] is None:
        values.pop("site_article_id")
    conn.execute(
        update(articles)
        .where(articles.c.id == aid)
        .values(**values, last_seen_at=now, updated_at=now)
    )


def _write_tags(
    conn: Connection,
    tag_rows_for: dict[int, list[tuple[str, str]]],
    replace_for: set[int],
    *,
    now: datetime,
) -> None:
    if not tag_rows_for:
        return
    first_article: dict[str, tuple[str, int]] = {}
    for aid, tags in tag_rows_for.items():
        for key, name in tags:
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
        {"article_id": aid, "tag_id": ids[key], "position": pos}
        for aid, tags in tag_rows_for.items()
        for pos, (key, _name) in enumerate(tags)
    ]
    if rows:
        conn.execute(article_tags.insert(), rows)
