"""Stories kept up to date in the store's transaction: sketch, look up, join or start, recount.

How an article finds its story (``assign``):

1. Its MinHash sketch (``kn_crawl.stories.sketch``) gives one bucket per LSH band; one indexed
   query per batch (``story_buckets``) returns every stored article sharing a bucket.
2. Each candidate is verified with the stored sketches' Jaccard estimate (>= ``THRESHOLD``) and
   the time window: published within ``WINDOW`` of the article, and the article within
   ``WINDOW`` of the candidate story's first publication.
3. The article joins the story of its best match (highest estimate; on a tie the older story).
   An article that matches members of two stories (it bridges them) joins the better one; the
   stories are never merged. Anchoring the window at the story's first publication is what
   keeps a story from chaining on forever through a run of follow-ups: a story spans at most
   ``WINDOW`` after its first article.
4. No match: the article starts a story of its own (most stories have one article). A changed
   article is sketched again and may move; one that matches nothing keeps its story if it is
   alone in it, else it leaves for a new one.

Every touched story is then recounted from its members (counts, first article, first and last
publication, first seen), and a story left without members is deleted — recounting rather than
incrementing, so a retried or concurrent batch can never skew a count.

Concurrency: on PostgreSQL the step takes a transaction-scoped advisory lock, so two crawls of
different sources storing the same news at once see each other's sketches (the second waits
for the first's commit, then its queries — read committed — see the first's buckets) and one
story results. SQLite already serialises writers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import bindparam, delete, func, select, text, update
from sqlalchemy.engine import Connection

from kn_crawl.db import locks
from kn_crawl.db.models import Article, table_of
from kn_crawl.stories.models import Story, StoryBucket, StorySignature
from kn_crawl.stories.sketch import (
    MIN_SHINGLES,
    NUM_PERM,
    THRESHOLD,
    WINDOW,
    bucket_matrix,
    from_bytes,
    sketch_many,
    to_bytes,
)

articles = table_of(Article)
stories_t = table_of(Story)
signatures_t = table_of(StorySignature)
buckets_t = table_of(StoryBucket)

_CHUNK = 2000
"""Bound parameters per ``IN`` list (SQLite allows 32,766)."""


@dataclass(slots=True)
class _Member:
    id: int
    story_id: int | None
    published_at: datetime
    sig: np.ndarray


def lock_stories(conn: Connection) -> None:
    locks.xact_lock(conn, locks.STORIES)


@dataclass(frozen=True, slots=True)
class Told:
    """What clustering needs of an article (the store passes what it just wrote)."""

    id: int
    title: str
    teaser: str | None
    body: str | None
    published_at: datetime
    story_id: int | None
    """Its story before this change (None: new, or not clustered yet)."""


def told_of(conn: Connection, article_ids: Sequence[int]) -> list[Told]:
    """The stored articles ``article_ids``, in that order (unknown ids left out)."""
    found: dict[int, Told] = {}
    for chunk in _chunks(list(dict.fromkeys(article_ids))):
        for r in conn.execute(
            select(
                articles.c.id,
                articles.c.title,
                articles.c.teaser,
                articles.c.body,
                articles.c.published_at,
                articles.c.story_id,
            ).where(articles.c.id.in_(chunk))
        ):
            found[r.id] = Told(r.id, r.title, r.teaser, r.body, r.published_at, r.story_id)
    return [found[i] for i in dict.fromkeys(article_ids) if i in found]


_INSERT_STORIES = stories_t.insert().returning(stories_t.c.id, sort_by_parameter_order=True)
# The stored articles sharing a bucket with the batch, inside its time span. The bucket keys
# go in as ONE parameter (a JSON array on SQLite, an array on PostgreSQL) instead of an
# expanded ``IN`` list of 1,700 bound values, which SQLAlchemy renders in Python per batch.
# The join order is fixed on SQLite (``CROSS JOIN`` is SQLite's "this table first"): with
# statistics (``ANALYZE``), its planner walked every article of the time span and probed
# each for all 1,700 keys — 974 ms instead of ~3 ms per batch at 10,000 articles, growing
# with the window's article count. The bucket's primary key first is one probe per key.
_CANDIDATES_SQLITE = text(
    "SELECT b.bucket, b.article_id FROM story_buckets AS b CROSS JOIN articles AS a "
    "WHERE b.bucket IN (SELECT value FROM json_each(:keys)) AND a.id = b.article_id "
    "AND a.published_at >= :earliest AND a.published_at <= :latest"
).bindparams(
    bindparam("earliest", type_=articles.c.published_at.type),
    bindparam("latest", type_=articles.c.published_at.type),
)
_CANDIDATES_POSTGRESQL = text(
    "SELECT b.bucket, b.article_id FROM story_buckets AS b JOIN articles AS a "
    "ON a.id = b.article_id WHERE b.bucket = ANY(CAST(:keys AS BIGINT[])) "
    "AND a.published_at >= :earliest AND a.published_at <= :latest"
).bindparams(
    bindparam("earliest", type_=articles.c.published_at.type),
    bindparam("latest", type_=articles.c.published_at.type),
)


def _candidates(
    conn: Connection, keys: list[int], earliest: datetime, latest: datetime
) -> Iterable[tuple[int, int]]:
    """(bucket, article id) of every stored article in one of ``keys``, published between
    ``earliest`` and ``latest``."""
    value: str | list[int]
    if conn.dialect.name == "sqlite":
        query, value = _CANDIDATES_SQLITE, json.dumps(keys)
    else:
        query, value = _CANDIDATES_POSTGRESQL, keys
    for bucket, aid in conn.execute(query, {"keys": value, "earliest": earliest, "latest": latest}):
        yield int(bucket), int(aid)


_SET_STORY = (
    update(articles).where(articles.c.id == bindparam("_aid")).values(story_id=bindparam("_sid"))
)


def assign(conn: Connection, told: Sequence[Told], *, now: datetime) -> None:
    """Put each of ``told`` (new, changed, or not yet clustered articles, already written in
    this transaction) in its story, in the given order; of an article given twice, the last."""
    if not told:
        return
    lock_stories(conn)
    rows = {t.id: t for t in told}  # the last copy of an article wins
    ids = list(rows)
    matrix, counts = sketch_many([(rows[i].title, rows[i].teaser, rows[i].body) for i in ids])
    sigs = dict(zip(ids, matrix, strict=True))
    # Too short to tell apart (MIN_SHINGLES): no buckets, so it neither finds nor is found.
    indexed = [n >= MIN_SHINGLES for n in counts]
    key_matrix = bucket_matrix(matrix)
    keys = {i: key_matrix[n].tolist() if indexed[n] else [] for n, i in enumerate(ids)}
    key_matrix = key_matrix[np.array(indexed, dtype=bool)]
    indexed_ids = [i for n, i in enumerate(ids) if indexed[n]]
    # A changed article is sketched afresh: its old sketch must not find itself. (A new one
    # has none; one never clustered has none either, unless a rebuild was interrupted.)
    old_sketched = [i for i in ids if rows[i].story_id is not None]
    for chunk in _chunks(old_sketched):
        conn.execute(delete(buckets_t).where(buckets_t.c.article_id.in_(chunk)))
        conn.execute(delete(signatures_t).where(signatures_t.c.article_id.in_(chunk)))

    all_keys = {k for ks in keys.values() for k in ks}
    by_bucket: dict[int, set[int]] = {}
    # Only the batch's time span: a bucket shared with an article years away is no candidate.
    earliest = min(rows[i].published_at for i in ids) - WINDOW
    latest = max(rows[i].published_at for i in ids) + WINDOW
    for bucket, aid in _candidates(conn, list(all_keys), earliest, latest):
        by_bucket.setdefault(bucket, set()).add(aid)
    stored = {aid for found in by_bucket.values() for aid in found} - set(ids)
    members: dict[int, _Member] = {}
    for chunk in _chunks(list(stored)):
        for r in conn.execute(
            select(
                articles.c.id,
                articles.c.story_id,
                articles.c.published_at,
                signatures_t.c.signature,
            )
            .join(signatures_t, signatures_t.c.article_id == articles.c.id)
            .where(articles.c.id.in_(chunk))
        ):
            members[r.id] = _Member(r.id, r.story_id, r.published_at, from_bytes(r.signature))
    story_ids = {m.story_id for m in members.values() if m.story_id is not None}
    story_ids |= {r.story_id for r in rows.values() if r.story_id is not None}
    first_published: dict[int, datetime] = {}
    member_count: dict[int, int] = {}
    for chunk in _chunks(list(story_ids)):
        for sid, first in conn.execute(
            select(stories_t.c.id, stories_t.c.first_published_at).where(stories_t.c.id.in_(chunk))
        ):
            first_published[sid] = first
        for sid, n in conn.execute(
            select(articles.c.story_id, func.count())
            .where(articles.c.story_id.in_(chunk))
            .group_by(articles.c.story_id)
        ):
            member_count[sid] = n

    touched: set[int] = set()
    story_of: dict[int, int] = {}
    fresh: list[int] = []
    for aid in ids:
        row = rows[aid]
        sig = sigs[aid]
        best: tuple[float, int] | None = None  # (estimate, story id)
        found = set().union(*(by_bucket[k] for k in keys[aid] if k in by_bucket))
        found.discard(aid)
        cands = [m for o in found if (m := members.get(o)) is not None and m.story_id is not None]
        if cands:
            # The estimates of all candidates in one array operation; the window is checked
            # only for those similar enough (most candidates of templated sites are not).
            same = np.count_nonzero(np.stack([m.sig for m in cands]) == sig, axis=1)
            for m, count in zip(cands, same.tolist(), strict=True):
                estimate = count / NUM_PERM  # = similarity(sig, m.sig)
                if estimate < THRESHOLD or m.story_id is None:
                    continue
                if abs(m.published_at - row.published_at) > WINDOW:
                    continue
                anchor = first_published.get(m.story_id, m.published_at)
                if abs(row.published_at - anchor) > WINDOW:
                    continue
                # On a tie the older story: a stored one (lower id first), then the batch's.
                rank = (estimate, m.story_id > 0, -abs(m.story_id))
                if best is None or rank > (best[0], best[1] > 0, -abs(best[1])):
                    best = (estimate, m.story_id)
        old = row.story_id
        if best is not None:
            target = best[1]
        elif old is not None and member_count.get(old, 0) <= 1:
            target = old  # alone in its story: it stays, whatever changed
        else:
            # A story of its own, written below with the batch's other new stories; until
            # then known by a provisional (negative) id.
            target = -1 - len(fresh)
            fresh.append(target)
            first_published[target] = row.published_at
        if old != target:
            if old is not None:
                member_count[old] = member_count.get(old, 1) - 1
                touched.add(old)
            member_count[target] = member_count.get(target, 0) + 1
        touched.add(target)
        story_of[aid] = target
        first_published[target] = min(
            first_published.get(target, row.published_at), row.published_at
        )
        # Later articles of the batch find this one as a stored article.
        members[aid] = _Member(aid, target, row.published_at, sig)
        for k in keys[aid]:
            by_bucket.setdefault(k, set()).add(aid)

    if fresh:
        real = dict(
            zip(
                fresh,
                conn.execute(
                    _INSERT_STORIES,
                    [
                        # Placeholder counts and times: ``recount`` writes the real ones.
                        {
                            "first_seen_at": now,
                            "first_published_at": first_published[f],
                            "last_published_at": first_published[f],
                            "article_count": 0,
                            "source_count": 0,
                            "updated_at": now,
                        }
                        for f in fresh
                    ],
                ).scalars(),
                strict=True,
            )
        )
        story_of = {aid: real.get(sid, sid) for aid, sid in story_of.items()}
        touched = {real.get(sid, sid) for sid in touched}
    moved = [
        {"_aid": aid, "_sid": sid} for aid, sid in story_of.items() if rows[aid].story_id != sid
    ]
    if moved:
        conn.execute(_SET_STORY, moved)
    conn.execute(
        signatures_t.insert(),
        [{"article_id": aid, "signature": to_bytes(sigs[aid]), "sketched_at": now} for aid in ids],
    )
    # Thirty-four rows per article: through the driver, without SQLAlchemy's per-row
    # parameter processing (plain integers need none); a third of the step's CPU before.
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    if indexed_ids:
        conn.exec_driver_sql(
            f"INSERT INTO story_buckets (bucket, article_id) VALUES ({mark}, {mark})",
            list(
                zip(
                    key_matrix.ravel().tolist(),
                    np.repeat(np.array(indexed_ids, dtype=np.int64), key_matrix.shape[1]).tolist(),
                    strict=True,
                )
            ),
        )
    recount(conn, touched, now=now)


def recount(conn: Connection, story_ids: Iterable[int], *, now: datetime) -> None:
    """Write each story's counts and times from its members; delete stories without any."""
    wanted = sorted(set(story_ids))
    found: dict[int, list[Any]] = {}
    for chunk in _chunks(wanted):
        for r in conn.execute(
            select(
                articles.c.id,
                articles.c.story_id,
                articles.c.source_id,
                articles.c.published_at,
                articles.c.first_seen_at,
            ).where(articles.c.story_id.in_(chunk))
        ):
            found.setdefault(r.story_id, []).append(r)
    empty = [s for s in wanted if s not in found]
    for chunk in _chunks(empty):
        conn.execute(delete(stories_t).where(stories_t.c.id.in_(chunk)))
    if found:
        conn.execute(
            _RECOUNT,
            [_counts(sid, member_rows, now) for sid, member_rows in found.items()],
        )


_RECOUNT = (
    update(stories_t)
    .where(stories_t.c.id == bindparam("_sid"))
    .values(
        first_article_id=bindparam("_first"),
        first_seen_at=bindparam("_seen"),
        first_published_at=bindparam("_from"),
        last_published_at=bindparam("_to"),
        article_count=bindparam("_articles"),
        source_count=bindparam("_sources"),
        updated_at=bindparam("_now"),
    )
)


def _counts(sid: int, member_rows: list[Any], now: datetime) -> dict[str, Any]:
    first = min(member_rows, key=lambda r: (r.published_at, r.first_seen_at, r.id))
    return {
        "_sid": sid,
        "_first": first.id,
        "_seen": min(r.first_seen_at for r in member_rows),
        "_from": first.published_at,
        "_to": max(r.published_at for r in member_rows),
        "_articles": len(member_rows),
        "_sources": len({r.source_id for r in member_rows}),
        "_now": now,
    }


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for i in range(0, len(values), _CHUNK):
        yield values[i : i + _CHUNK]
