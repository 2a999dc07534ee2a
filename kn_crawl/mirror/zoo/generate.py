"""Deterministic articles for the zoo sites, from the same word material as the K21 sites.

Pure: every choice comes from a ``random.Random`` seeded with a string (seed, site, index).
"""

from __future__ import annotations

import dataclasses
import random
from datetime import date, timedelta

from kn_crawl.mirror import vocab
from kn_crawl.mirror.generate import _draft
from kn_crawl.mirror.model import clean_text
from kn_crawl.mirror.sites import SiteSpec
from kn_crawl.mirror.urls import slugify
from kn_crawl.mirror.zoo import planted
from kn_crawl.mirror.zoo.base import ZooArticle

FIRST_DAY = date(2024, 7, 1)
LAST_DAY = date(2025, 1, 30)

# Re-exported: the planted stories live in ``planted``.
STORY = planted.STORY
STORY_COPIES = planted.STORY_COPIES
story_body = planted.story_body


_OWN_SENTENCES = (
    "Nach Angaben von {person}, {role}, sind bislang {n} Dienststellen angeschlossen.",
    "Die Kosten für die ersten {m} Monate liegen bei rund {k}00.000 Euro.",
    "Bis Ende {next_year} sollen {pct} Prozent der Vorgänge digital bearbeitet werden.",
    "Einen ersten Zwischenbericht hat die Projektgruppe im {month} {year} vorgelegt.",
    "Beteiligt sind {dl} und {n} weitere Partner, darunter {k} Fachämter.",
    "Rund {k}0 Beschäftigte wurden nach Angaben von {person} bereits geschult.",
    "Die Bearbeitungszeit sank im Pilotbetrieb von {m} auf {d} Tage.",
    "{person}, {role}, rechnet mit {n} zusätzlichen Online-Anträgen pro Woche.",
    "Im {month} {year} zählte das Portal nach eigenen Angaben rund {k}.{d}00 Zugriffe.",
    "Für den Regelbetrieb sind {m} neue Stellen vorgesehen, {d} davon in der IT.",
)


def _own_paragraph(rng: random.Random, day: date) -> str:
    """Three sentences with this article's own person, figures and dates."""
    first, gender = rng.choice(vocab.FIRST_NAMES)
    back = rng.randint(1, 10)
    slots = {
        "person": f"{first} {rng.choice(vocab.LAST_NAMES)}",
        "role": rng.choice(vocab.ROLES[gender]),
        "dl": rng.choice(vocab.IT_DIENSTLEISTER),
        "n": str(rng.randint(3, 97)),
        "m": str(rng.randint(4, 18)),
        "d": str(rng.randint(2, 3)),
        "k": str(rng.randint(2, 9)),
        "pct": str(rng.randint(30, 95)),
        # A month before the article's own.
        "month": vocab.MONTHS[(day.month - 1 - back) % 12],
        "year": str(day.year - (1 if day.month - 1 - back < 0 else 0)),
        "next_year": str(day.year + rng.randint(1, 3)),
    }
    return " ".join(t.format_map(slots) for t in rng.sample(_OWN_SENTENCES, 3))


def _weekdays() -> list[date]:
    days = (FIRST_DAY + timedelta(n) for n in range((LAST_DAY - FIRST_DAY).days + 1))
    return [d for d in days if d.weekday() < 5]


_DAYS = _weekdays()


def _spec(source: str, name: str, sections: tuple[str, ...]) -> SiteSpec:
    # The K21 draft maker wants a SiteSpec; only name, topics and sections matter to it.
    topics = vocab.K21_TOPICS
    return SiteSpec(
        source=source, real_host="", name=name, site_title=name, feed_title=name, theme="",
        sections=sections, topics=topics, default_count=0, share=0.0, id_base=0, nav=(),
        pages={}, forced_titles=(),
    )  # fmt: skip


def articles(
    source: str,
    name: str,
    count: int,
    seed: int,
    *,
    id_base: int,
    sections: tuple[str, ...],
    authors: bool = True,
    kickers: bool = False,
    story: bool = False,
) -> list[ZooArticle]:
    """``count`` articles of one site, newest first, one per day at most (distinct days keep
    the order unambiguous), with unique slugs."""
    if count < 1:
        raise ValueError(f"{source}: at least one article")
    spec = _spec(source, name, sections)
    rng = random.Random(f"{seed}:zoo:{source}")
    days = sorted([*rng.sample(_DAYS[:-3], count - 1), _DAYS[-1 - rng.randint(0, 2)]])
    result: list[ZooArticle] = []
    seen: set[str] = set()
    for i, day in enumerate(days):
        draft_rng = random.Random(f"{seed}:zoo:{source}:{i}")
        for _attempt in range(8):
            draft = _draft(spec, draft_rng, day=day)
            if draft.title not in seen:
                break
        seen.add(draft.title)
        # The topic paragraph, a paragraph of this article's own figures and one generic
        # paragraph: the shared word material alone would make articles of the same topic on
        # two sites near-copies, and only the planted story may be one.
        body = [draft.body[0], _own_paragraph(draft_rng, day), *draft.body[1:2]]
        if draft.event:
            body[-1] = f"{body[-1]} {draft.event}"
        tags = [t for t in draft.tags if t != draft.section] or [draft.section]
        author = None
        if authors:
            first, _gender = draft_rng.choice(vocab.FIRST_NAMES)
            author = f"{first} {draft_rng.choice(vocab.LAST_NAMES)}"
        title = clean_text(draft.title)
        result.append(
            ZooArticle(
                id=id_base + 7 * i + draft_rng.randint(0, 6),
                slug=slugify(title),
                title=title,
                kicker=clean_text(draft.kicker) if kickers and draft.kicker else None,
                teaser=clean_text(draft.teaser),
                body=tuple(clean_text(p) for p in body),
                published=draft.published,
                category=draft.section,
                tags=tuple(clean_text(t) for t in tags),
                author=author,
            )
        )
    if story:
        replaced: set[int] = set()
        for copy in planted.planted_for(source):
            # A planted article replaces the generated one nearest its date, keeping the count.
            nearest = min(
                (k for k in range(len(result)) if k not in replaced),
                key=lambda k: abs(result[k].published - copy.published),
            )
            replaced.add(nearest)
            result[nearest] = ZooArticle(
                id=result[nearest].id,
                slug=slugify(copy.title),
                title=copy.title,
                kicker=copy.kicker,
                teaser=copy.teaser,
                body=copy.body,
                published=copy.published,
                category=copy.category,
                tags=copy.tags,
                author=result[nearest].author,
                story=copy.story,
            )
    result.sort(key=lambda a: a.published, reverse=True)
    # Unique slugs, oldest keeps the plain one (as WordPress and TYPO3 do).
    taken: set[str] = set()
    for k in range(len(result) - 1, -1, -1):
        slug, n = result[k].slug, 1
        while slug in taken:
            n += 1
            slug = f"{result[k].slug}-{n}"
        taken.add(slug)
        if slug != result[k].slug:
            result[k] = _replace(result[k], slug=slug)
    return result


def _replace(article: ZooArticle, **changes: object) -> ZooArticle:
    return dataclasses.replace(article, **changes)  # type: ignore[arg-type]
