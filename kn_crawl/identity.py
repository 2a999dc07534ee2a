"""How we recognise an article again: fingerprints and content hashes (pure functions)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from kn_crawl.dates import BERLIN
from kn_crawl.text import title_key

# How much of the teaser goes into a fingerprint: enough to tell two articles with the same
# title on the same day apart (they exist: ``…-kommunen`` and ``…-kommunen-2``), short enough
# that a copy whose teaser was cut or re-wrapped still matches.
FINGERPRINT_TEASER_CHARS = 60


def fingerprint(source: str, title: str, published_at: datetime, teaser: str | None = None) -> str:
    """Source + normalised title + publication day (Berlin) + the start of the teaser: the
    same story under two URLs.

    Only the day counts, because one copy may carry a time (metadata) and another only the
    visible ``[dd.mm.yyyy]`` date.
    """
    day = published_at.astimezone(BERLIN).date().isoformat()
    lead = title_key(teaser)[:FINGERPRINT_TEASER_CHARS] if teaser else ""
    raw = f"{source}\x1f{title_key(title)}\x1f{day}\x1f{lead}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def content_hash(
    *,
    title: str,
    kicker: str | None,
    teaser: str | None,
    body: str | None,
    tags: Iterable[str],
) -> str:
    """Changes exactly when what an analyst reads changes (title, kicker, teaser, body, tags)."""
    h = hashlib.sha256()
    for part in (title, kicker, teaser, body, "\x1e".join(tags)):
        h.update((part or "").encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def site_ids_compatible(a: str | None, b: str | None) -> bool:
    """Whether two site article ids may belong to one article.

    Ids are namespaced (``p:40157``, ``meldung:40157``). Two ids of the same namespace that
    differ are two articles — repeated titles on one day exist (``…-kommunen`` and
    ``…-kommunen-2``), so a fingerprint match alone must not merge them. Ids of different
    namespaces, or a missing id, cannot tell.
    """
    if a is None or b is None:
        return True
    namespace_a, _, _ = a.partition(":")
    namespace_b, _, _ = b.partition(":")
    return namespace_a != namespace_b or a == b
