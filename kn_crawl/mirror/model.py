"""Value types of the mirror: articles, defects, expected outcomes, request records."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

BERLIN = ZoneInfo("Europe/Berlin")

SOURCES = ("kommune21", "move", "stadtundwerk")


class Defect(StrEnum):
    """Deliberately broken articles (kommune21 only); each is linked from the archive."""

    NO_DATE = "no_date"  # no bracket date, no metadata date, no Last-Modified
    INVALID_DATE = "invalid_date"  # only date is "[31.02.2024]"
    BROKEN_HTML = "broken_html"  # unclosed tags, stray </div>, truncated; fields still visible
    LATIN1 = "latin1"  # served as ISO-8859-1
    MISSING = "missing"  # listed, but the article URL answers 404
    FLAKY = "flaky"  # 500 on the first request per server instance, 200 afterwards


# Defects whose article must not end in the database, and the reason a crawler should record.
DROP_REASONS = {Defect.NO_DATE: "no_date", Defect.INVALID_DATE: "no_date"}
# Articles that are listed but never render (they are not "storable").
UNSTORABLE = frozenset({Defect.NO_DATE, Defect.INVALID_DATE, Defect.MISSING})


class LinkForm(StrEnum):
    """How a link to an article is written: the new slug URL or one of the pre-2025 forms."""

    NEW = "new"  # /k21-meldungen/<slug>/
    PLAIN = "plain"  # /meldung_N
    GN = "gn"  # /meldung_N_gn
    HTML = "html"  # /meldung_N_Title+words.html
    PDF = "pdf"  # /meldung_N_Title+words.pdf


@dataclass(frozen=True, slots=True)
class Image:
    file: str
    """Path below /wp-content/uploads/, e.g. ``2025/01/bayern-flaggen-46120.jpg``."""
    alt: str
    caption: str
    credit: str | None


@dataclass(frozen=True, slots=True)
class Article:
    id: int
    """Stable article id: the old ``meldung_N`` number and the WordPress post id (``?p=N``)."""
    slug: str
    title: str
    kicker: str | None
    teaser: str
    body: tuple[str, ...]
    published: datetime
    """Aware (Europe/Berlin). For NO_DATE/INVALID_DATE articles only the sort position."""
    modified: datetime
    section: str
    tags: tuple[str, ...]
    type_label: str | None = None
    image: Image | None = None
    see_also: tuple[tuple[int, LinkForm], ...] = ()
    """Links appended to the body ("Mehr zum Thema"): target article id and URL form."""
    defect: Defect | None = None
    old_layout: bool = False
    """Also served (status 200) in the 2022 layout at ``/meldung_N_gn``."""

    @property
    def headline(self) -> str:
        """Link text in listings: ``Kicker: Title``."""
        return f"{self.kicker}: {self.title}" if self.kicker else self.title

    @property
    def storable(self) -> bool:
        return self.defect not in UNSTORABLE


def clean_text(text: str) -> str:
    """What a reader (and a good parser) sees: soft hyphens gone, no-break spaces as spaces."""
    return text.replace("\u00ad", "").replace("\u00a0", " ")


@dataclass(frozen=True, slots=True)
class ExpectedArticle:
    """Ground truth for one storable article, as plain visible text."""

    url: str
    article_id: int
    title: str
    kicker: str | None
    teaser: str
    published: datetime
    published_date: date
    section: str
    tags: tuple[str, ...]
    type_label: str | None
    image_alt: str | None
    image_credit: str | None
    # The zoo sites fill these too (the K21 ground truth leaves them empty):
    body: tuple[str, ...] = ()
    """Body paragraphs as a reader sees them."""
    author: str | None = None
    """Author where the page shows one."""
    feed_only: bool = False
    """Only the feed entry may be stored (robots.txt disallows the page)."""
    story: str | None = None
    """Key shared by the copies of one press release on several sites."""


@dataclass(frozen=True, slots=True)
class ExpectedCounts:
    """What a correct crawl of one source must end with (current state, after edits/publishes)."""

    articles: int
    """Distinct valid articles that must end in the database."""
    dropped: dict[str, int]
    """Reason kind -> count of pages a crawler must reject, e.g. ``{"no_date": 2}``."""
    http_errors: dict[int, int]
    """Final HTTP errors a crawler meets when following every listed link: ``{404: 1}``."""
    transient_errors: dict[int, int]
    """Errors that go away on retry: ``{500: 1}``."""
    listed: int
    """Entries in the full archive (articles + dropped + the 404 link)."""
    sections: tuple[str, ...]
    tags_distinct: int
    """Distinct raw Stichwörter over storable articles, before normalisation."""
    tag_variants: dict[str, tuple[str, ...]]
    """Preferred spelling -> variants that occur and that a normaliser should merge."""
    singleton_tags: tuple[str, ...]
    """Stichwörter attached to exactly one storable article."""
    old_layout_duplicates: int
    """Articles also served (200) in the 2022 layout; must be deduplicated, not stored twice."""
    latin1_pages: int
    feed_items: int
    archive_pages: int


@dataclass(frozen=True, slots=True)
class RequestRecord:
    source: str
    method: str
    path: str
    status: int
    conditional: bool
    bytes: int


@dataclass(slots=True)
class Response:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    etag: str | None = None
    last_modified: datetime | None = None
