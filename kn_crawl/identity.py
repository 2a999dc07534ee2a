"""How we recognise an article again: fingerprints and content hashes (pure functions)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime

from kn_crawl.dates import BERLIN
from kn_crawl.text import title_key


def fingerprint(source: str, title: str, published_at: datetime) -> str:
    """Source + normalised title + publication day (Berlin): the same story under two URLs.

    Only the day counts, because one copy may carry a time (metadata) and another only the
    visible ``[dd.mm.yyyy]`` date.
    """
    day = published_at.astimezone(BERLIN).date().isoformat()
    raw = f"{source}\x1f{title_key(title)}\x1f{day}"
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
