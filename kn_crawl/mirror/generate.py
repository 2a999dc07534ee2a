"""Deterministic article generator: same (source, count, seed) -> the same articles.

Pure: no I/O except reading the bundled capture once, no clock. Every random choice comes from a
``random.Random`` seeded with a string, so results do not depend on hash randomisation.
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from functools import cache
from importlib import resources
from typing import Any

from kn_crawl.mirror import vocab
from kn_crawl.mirror.model import BERLIN, Article, Defect, Image, LinkForm
from kn_crawl.mirror.sites import SITES, SiteSpec
from kn_crawl.mirror.urls import slugify

FIRST_DAY = date(2023, 1, 2)
LAST_DAY = date(2025, 1, 30)
TODAY = date(2025, 1, 31)  # the sites' "today" banner: Freitag, 31. Januar 2025
# The capture's related block is the 15 newest Politik items as of 31.01.2025, the oldest dated
# 11.11.2024; generated Politik articles stay older so the Dortmund page reproduces it verbatim.
POLITIK_BEFORE = date(2024, 11, 11)
DORTMUND_ID = 26814
# Smallest size at which kommune21 still carries every defect at its rank.
MIN_SIZE = 160

# Newest-first ranks (among generated kommune21 articles) that carry a defect: deep enough to be
# outside the feed's latest 30 and the home page, so a crawler meets them only by paging.
DEFECT_RANKS = (
    (34, Defect.FLAKY),
    (40, Defect.NO_DATE),
    (46, Defect.BROKEN_HTML),
    (52, Defect.LATIN1),
    (58, Defect.INVALID_DATE),
    (64, Defect.MISSING),
)

LATIN1_CONTENT: dict[str, Any] = {  # _Draft fields
    "kicker": "Thüringen",
    "title": "Größere Bürgerämter, kürzere Wartezeiten",
    "teaser": "In Jena, Gera und Erfurt können Bürgerinnen und Bürger ihre Termine im Bürgeramt "
    "künftig über ein gemeinsames Portal buchen. Außerdem öffnen die Ämter länger.",
    "body": [
        "Die drei thüringischen Städte haben ihre Terminvergabe zusammengeführt. Wer in Jena "
        "keinen freien Termin findet, bekommt Vorschläge für Gera oder Erfurt angezeigt.",
        "«Für die Bürgerinnen und Bürger zählt, dass es schnell geht», sagt Jörg Schäfer, "
        "Leiter des Bürgerservice. Die Öffnungszeiten werden ab März um zwei Stunden täglich "
        "verlängert.",
    ],
    "section": "Praxis",
    "tags": ["Praxis", "Thüringen", "Bürgerämter", "Öffnungszeiten"],
}


@cache
def capture() -> dict[str, Any]:
    """The real page capture (2025-01-31): the Dortmund article and its 15 related items."""
    text = (
        resources.files("kn_crawl.mirror")
        .joinpath("data/kommune21_capture.json")
        .read_text(encoding="utf-8")
    )
    data: dict[str, Any] = json.loads(text)
    return data


def site_counts(size: int | None) -> dict[str, int]:
    """Article records per site. ``size`` counts records over all three sites (including the
    defect ones); kommune21 gets 60 %, move 22 %, stadt+werk the rest."""
    if size is None:
        return {s: spec.default_count for s, spec in SITES.items()}
    if size < MIN_SIZE:
        raise ValueError(f"size must be at least {MIN_SIZE}")
    k21 = round(size * SITES["kommune21"].share)
    move = round(size * SITES["move"].share)
    return {"kommune21": k21, "move": move, "stadtundwerk": size - k21 - move}


@dataclasses.dataclass(slots=True)
class _Draft:
    title: str
    kicker: str | None
    teaser: str
    body: list[str]
    event: str | None
    section: str
    tags: list[str]
    type_label: str | None
    image: Image | None
    published: datetime
    fixed_id: int | None = None
    from_capture: bool = False
    defect: Defect | None = None
    old_layout: bool = False


def _weekdays(first: date, last: date) -> list[date]:
    days = (first + timedelta(n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


_ALL_DAYS = _weekdays(FIRST_DAY, LAST_DAY)
_POLITIK_DAYS = _weekdays(FIRST_DAY, POLITIK_BEFORE - timedelta(1))


def _at(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(7, 0), BERLIN) + timedelta(minutes=minutes)


def _soft_hyphens(rng: random.Random, text: str, p: float) -> str:
    for word, hyphenated in vocab.SOFT_HYPHEN_WORDS.items():
        if word in text and rng.random() < p:
            return text.replace(word, hyphenated, 1)
    return text


def _pick_variant(rng: random.Random, group: Sequence[str]) -> str:
    # The preferred spelling most of the time; the variants give a normaliser something to merge.
    return group[0] if len(group) == 1 or rng.random() < 0.7 else rng.choice(group[1:])


def _draft(
    spec: SiteSpec,
    rng: random.Random,
    *,
    day: date,
    section: str | None = None,
    forced: tuple[str, str] | None = None,
) -> _Draft:
    topics = {t.key: t for t in spec.topics}
    topic = topics[forced[0]] if forced else rng.choice(spec.topics)
    place = rng.choice(vocab.PLACES)
    first_name, gender = rng.choice(vocab.FIRST_NAMES)
    person = f"{first_name} {rng.choice(vocab.LAST_NAMES)}"
    gremium, gremium_nominative = rng.choice(vocab.GREMIEN)
    slots = {
        "place": place.name,
        "in_place": place.in_,
        "Subj": place.subj,
        "subj": place.subj[0].lower() + place.subj[1:],
        "dl": rng.choice(vocab.IT_DIENSTLEISTER),
        "gremium": gremium,
        "Gremium": gremium_nominative,
        "person": person,
        "role": rng.choice(vocab.ROLES[gender]),
        "n": str(rng.randint(3, 60)),
        "mio": f"{rng.choice(('1,2', '2,5', '4', '7,8', '12', '17', '23,5'))}\u00a0Millionen",
        "pct": f"{rng.randint(12, 85)}\u00a0Prozent",
        "year": str(day.year),
    }

    roll = rng.random()
    if forced:
        kicker, title = (place.name if roll < 0.7 else topic.kicker), forced[1]
    elif roll < 0.6:
        kicker, title = place.name, rng.choice(topic.titles)
    elif roll < 0.82:
        kicker, title = topic.kicker, rng.choice(topic.titles)
    else:
        kicker, title = None, rng.choice(topic.place_titles)
    title = title.format_map(slots)

    type_roll = rng.random()
    type_label = "bericht" if type_roll < 0.08 else "interview" if type_roll < 0.13 else None
    if type_label == "interview":
        teaser = (
            f"{person}, {slots['role']}, spricht im Interview mit {spec.name} über die "
            f"Digitalisierung {place.in_} und die nächsten Schritte."
        )
    else:
        teaser = rng.choice(topic.teasers).format_map(slots)
    teaser = _soft_hyphens(rng, teaser, 0.15)

    paragraphs = [" ".join(topic.paragraphs).format_map(slots)]
    paragraphs += [
        p.format_map(slots) for p in rng.sample(vocab.GENERIC_PARAGRAPHS, rng.randint(1, 3))
    ]
    if rng.random() < 0.5:
        paragraphs.insert(
            rng.randint(1, len(paragraphs)), rng.choice(vocab.QUOTE_PARAGRAPHS).format_map(slots)
        )
    paragraphs = [_soft_hyphens(rng, p, 0.35) for p in paragraphs]

    event = None
    event_roll = rng.random()
    if event_roll < 0.35:
        month = rng.randint(1, 12)
        day_no = rng.randint(1, 28)
        template = rng.choice(
            vocab.PAST_EVENT_SENTENCES if event_roll < 0.2 else vocab.FUTURE_EVENT_SENTENCES
        )
        event = template.format(
            day=day_no, month=vocab.MONTHS[month - 1], dd=f"{day_no:02d}", mm=f"{month:02d}",
            past_year=day.year - rng.randint(1, 6), next_year=day.year + 1, n=slots["n"],
        )  # fmt: skip

    if section is None:
        section = rng.choice(topic.sections) if rng.random() < 0.85 else rng.choice(spec.sections)
    tags = [section]
    if kicker == place.name or rng.random() < 0.6:
        tags.append(place.name)
    for group in topic.tags[: rng.randint(1, len(topic.tags))]:
        tags.append(_pick_variant(rng, group))
    if rng.random() < 0.2:
        tags.append(slots["dl"])
    tags = list(dict.fromkeys(tags))[:5]
    if len(tags) < 2:
        tags.append(place.name)

    image = None
    if rng.random() < 0.85:
        alt = rng.choice(topic.alts).format_map(slots)
        caption = rng.choice(
            (f"{place.subj} hat sich viel vorgenommen.",
             f"Das Projekt {place.in_} ist auf mehrere Jahre angelegt.",
             "Die Verantwortlichen stellten das Vorhaben jetzt vor.",
             alt + ".")
        )  # fmt: skip
        credit = rng.choice(vocab.CREDITS).format_map(slots) if rng.random() < 0.9 else None
        image = Image(file="", alt=alt, caption=caption, credit=credit)

    return _Draft(
        title=title, kicker=kicker, teaser=teaser, body=paragraphs, event=event, section=section,
        tags=tags, type_label=type_label, image=image,
        published=_at(day, rng.randint(0, 11 * 60 - 1)),
    )  # fmt: skip


def _capture_drafts() -> list[_Draft]:
    data = capture()
    main = data["article"]
    drafts = [
        _Draft(
            title=main["title"], kicker=main["kicker"], teaser=main["teaser"],
            body=list(main["body"]), event=None, section=main["section"], tags=list(main["tags"]),
            type_label=None,
            image=Image("", main["image_alt"], main["image_caption"], main["image_credit"]),
            published=datetime(2017, 11, 27, 10, 30, tzinfo=BERLIN),
            fixed_id=DORTMUND_ID, from_capture=True,
        )
    ]  # fmt: skip
    for i, item in enumerate(data["related"]):
        # Bodies of the related items are not in the capture: build them from the generator's
        # material, seeded per item, with the verbatim teaser as the lead.
        rng = random.Random(f"capture:{i}")
        place = vocab.Place(item["place"] or "Berlin", "land")
        slots = {"mio": "5\u00a0Millionen", "pct": "40\u00a0Prozent", "dl": "Dataport",
                 "person": "Anna Krüger", "role": "Projektleiterin", "gremium": "Vitako",
                 "Gremium": "Vitako", "n": "12", "place": place.name}  # fmt: skip
        body = [p.format_map(slots) for p in rng.sample(vocab.GENERIC_PARAGRAPHS, 2)]
        image = None
        if item["image_alt"]:
            image = Image("", item["image_alt"], item["image_alt"], item["image_credit"])
        drafts.append(
            _Draft(
                title=item["title"], kicker=item["kicker"], teaser=item["teaser"], body=body,
                event=None, section=item["section"], tags=list(item["tags"]),
                type_label=item["type_label"], image=image,
                published=_at(date.fromisoformat(item["date"]), 120 + 7 * i), from_capture=True,
            )
        )  # fmt: skip
    return drafts


def _image_file(image: Image, published: datetime, article_id: int) -> Image:
    stem = slugify(image.alt)[:40].strip("-") or "bild"
    file = f"{published:%Y/%m}/{stem}-{article_id}.jpg"
    return dataclasses.replace(image, file=file)


def _finalise(
    drafts: Iterable[_Draft], *, first_id: int, rng: random.Random, taken: set[str]
) -> list[Article]:
    """Oldest first: assign ids (ascending with gaps) and unique slugs (``-2``, ``-3``)."""
    articles = []
    next_id = first_id
    for d in drafts:
        if d.fixed_id is not None:
            article_id = d.fixed_id
        else:
            next_id += rng.randint(1, 6)
            article_id = next_id
        base = slugify(d.title)
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        body = [*d.body[:-1], f"{d.body[-1]} {d.event}"] if d.event else d.body
        articles.append(
            Article(
                id=article_id, slug=slug, title=d.title, kicker=d.kicker, teaser=d.teaser,
                body=tuple(body), published=d.published, modified=d.published,
                section=d.section, tags=tuple(d.tags), type_label=d.type_label,
                image=_image_file(d.image, d.published, article_id) if d.image else None,
                defect=d.defect, old_layout=d.old_layout,
            )
        )  # fmt: skip
    return articles


def generate(spec: SiteSpec, count: int, seed: int) -> tuple[Article, ...]:
    """All article records of one site, oldest first."""
    rng = random.Random(f"{seed}:{spec.source}")
    fixed = _capture_drafts() if spec.source == "kommune21" else []
    singletons = vocab.SINGLETON_TAGS[spec.source]
    drafts = list(fixed)
    # Re-roll repeated headlines a few times: repeats (slug -2, -3) exist but stay the exception.
    seen = {d.title for d in drafts}
    previous_day = _ALL_DAYS[0]
    for i in range(count - len(fixed)):
        draft_rng = random.Random(f"{seed}:{spec.source}:{i}")
        forced = spec.forced_titles[i] if i < len(spec.forced_titles) else None
        # The first drafts cover every section once; every 7th shares its predecessor's day.
        section = spec.sections[i % len(spec.sections)] if i < len(spec.sections) else None
        for _attempt in range(8):
            draft = _pick_day_and_draft(spec, draft_rng, section, forced, previous_day, i)
            if forced or draft.title not in seen:
                break
        seen.add(draft.title)
        previous_day = draft.published.date()
        if i < len(singletons):
            draft.tags = [*draft.tags[:4], singletons[i]]
        drafts.append(draft)
    drafts.sort(key=lambda d: d.published)
    if spec.source == "kommune21":
        _assign_defects(drafts)
    articles = _finalise(drafts, first_id=spec.id_base, rng=rng, taken=set())
    capture_ids = {a.id for a, d in zip(articles, drafts, strict=True) if d.from_capture}
    return tuple(_add_see_also(articles, rng, capture_ids))


def _pick_day_and_draft(
    spec: SiteSpec,
    rng: random.Random,
    section: str | None,
    forced: tuple[str, str] | None,
    previous_day: date,
    i: int,
) -> _Draft:
    if i in (1, 2, 4):
        day = _ALL_DAYS[-i]  # a news site's newest items are from the last few days
    elif i % 7 == 3:
        day = previous_day  # several articles on one day
    elif rng.random() < 0.2:
        day = rng.choice(_ALL_DAYS[-40:])
    else:
        day = rng.choice(_ALL_DAYS)
    draft = _draft(spec, rng, day=day, section=section, forced=forced)
    if (
        spec.source == "kommune21"
        and draft.section == "Politik"
        and draft.published.date() >= POLITIK_BEFORE
    ):
        day = rng.choice(_POLITIK_DAYS)
        draft.published = datetime.combine(day, draft.published.timetz())
    return draft


def _assign_defects(drafts: list[_Draft]) -> None:
    """Mark the defect drafts (input oldest first) and the two old-layout ones, in place."""
    # Defects avoid the capture and the attested headlines (they stay ordinary articles).
    forced = {title for _key, title in SITES["kommune21"].forced_titles}
    newest_first = [d for d in reversed(drafts) if not d.from_capture and d.title not in forced]
    for rank, defect in DEFECT_RANKS:
        draft = newest_first[rank]
        draft.defect = defect
        if defect is Defect.LATIN1:
            for name, value in LATIN1_CONTENT.items():
                setattr(draft, name, value)
            draft.image, draft.event = None, None
        elif defect in (Defect.NO_DATE, Defect.INVALID_DATE):
            draft.event = None  # no other date in the body: only the site banner remains
    # Two old articles are also reachable in the 2022 layout at /meldung_N_gn.
    oldest_plain = [d for d in reversed(newest_first) if d.defect is None]
    oldest_plain[5].old_layout = oldest_plain[12].old_layout = True


def _add_see_also(
    articles: list[Article], rng: random.Random, capture_ids: set[int]
) -> list[Article]:
    """ "Mehr zum Thema" links to older articles (input is oldest first), some written in the
    old URL forms; two of them point at the old-layout pages, which is how a crawler finds
    those."""
    older: list[Article] = []
    old_layout = [a for a in articles if a.old_layout]
    result = []
    forms = tuple(LinkForm)
    for article in articles:
        links: list[tuple[int, LinkForm]] = []
        if (
            article.defect is None
            and article.id not in capture_ids
            and older
            and rng.random() < 0.2
        ):
            links.append((rng.choice(older).id, rng.choice(forms)))
        result.append(article if not links else dataclasses.replace(article, see_also=tuple(links)))
        if article.defect is None and not article.old_layout:
            older.append(article)
    if old_layout:
        newest_plain = [
            i for i, a in enumerate(result) if a.defect is None and a.id not in capture_ids
        ]
        for target, i in zip(old_layout, (newest_plain[-20], newest_plain[-25]), strict=False):
            result[i] = dataclasses.replace(
                result[i], see_also=(*result[i].see_also, (target.id, LinkForm.GN))
            )
    return result


def more_articles(
    spec: SiteSpec, existing: Sequence[Article], n: int, seed: int, serial: int, after: datetime
) -> list[Article]:
    """``n`` new articles dated after ``after`` (for ``Mirror.publish``), 53 minutes apart."""
    newest = after
    taken = {a.slug for a in existing}
    drafts = []
    for k in range(n):
        rng = random.Random(f"{seed}:{spec.source}:publish:{serial + k}")
        draft = _draft(spec, rng, day=newest.date())
        draft.published = newest + timedelta(minutes=53 * (k + 1))
        drafts.append(draft)
    rng = random.Random(f"{seed}:{spec.source}:publish-ids:{serial}")
    return _finalise(drafts, first_id=max(a.id for a in existing), rng=rng, taken=taken)
