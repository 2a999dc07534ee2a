"""How we recognise an article again: fingerprints, content hashes and the rule that keeps
two articles apart (pure functions)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
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


# How much of a teaser is compared: its lead says what the article is about; a later sentence
# may be rewritten without the article becoming another one.
TEASER_LEAD_CHARS = 200


@dataclass(frozen=True, slots=True)
class Likeness:
    """What tells two articles apart to a reader: headline, publication day, teaser."""

    title: str
    published_at: datetime
    teaser: str | None = None


def _teaser_lead(teaser: str | None) -> str:
    return title_key(teaser)[:TEASER_LEAD_CHARS] if teaser else ""


def face_of(article: Likeness) -> tuple[str, str, str]:
    """What ``same_article`` compares: title key, Berlin day, teaser lead."""
    return (
        title_key(article.title),
        article.published_at.astimezone(BERLIN).date().isoformat(),
        _teaser_lead(article.teaser),
    )


def same_article(existing: Likeness, incoming: Likeness) -> bool:
    """Whether ``incoming`` may be ``existing`` edited, given that a weak key (the site's
    article id, the fingerprint, an alias URL) says they are one article.

    Three pieces of evidence, each compared after ``title_key`` (case, umlauts,
    punctuation): the title, the publication day (Berlin), and the teaser's first 200
    characters (equal, or one a prefix of the other). A missing teaser is no evidence either
    way. The articles are one when at least as many pieces agree as disagree: any single
    edit — a corrected title on the same day, a moved date under the same title, a rewritten
    teaser — stays one article; another title on another day is another article, and so is
    another title with another teaser on the same day.

    Equality, not similarity: press releases from a template ("Rostock fordert
    Verwaltungsreform" / "Mainz fordert Verwaltungsreform", teasers alike but for the city)
    are close by any text measure and still two articles.
    """
    title_same = title_key(existing.title) == title_key(incoming.title)
    day_same = (
        existing.published_at.astimezone(BERLIN).date()
        == incoming.published_at.astimezone(BERLIN).date()
    )
    evidence = [title_same, day_same]
    old_lead, new_lead = _teaser_lead(existing.teaser), _teaser_lead(incoming.teaser)
    if old_lead and new_lead:
        evidence.append(old_lead.startswith(new_lead) or new_lead.startswith(old_lead))
    agree = sum(evidence)
    disagree = len(evidence) - agree
    return agree >= disagree
