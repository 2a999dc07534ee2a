"""Indexes over one site's articles (pure): ordering, lookups, sections, tags, expected counts.

A catalog is immutable; edits and publishes build a new one (cheap: O(n log n) for n articles).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from functools import cached_property

from kn_crawl.mirror.model import (
    DROP_REASONS,
    Article,
    Defect,
    ExpectedArticle,
    ExpectedCounts,
    clean_text,
)
from kn_crawl.mirror.sites import SiteSpec
from kn_crawl.mirror.urls import slugify

PER_PAGE = 20
FEED_ITEMS = 30
HOME_ITEMS = 10
RELATED_ITEMS = 15


class Catalog:
    def __init__(self, spec: SiteSpec, articles: Iterable[Article]) -> None:
        self.spec = spec
        # Newest first, as every listing shows them; ties broken by id like WordPress does.
        self.ordered: tuple[Article, ...] = tuple(
            sorted(articles, key=lambda a: (a.published, a.id), reverse=True)
        )
        self.by_id = {a.id: a for a in self.ordered}
        self.by_slug = {a.slug: a for a in self.ordered}
        self.section_slugs = {slugify(s): s for s in spec.sections}

    @cached_property
    def by_section(self) -> dict[str, tuple[Article, ...]]:
        groups: dict[str, list[Article]] = {s: [] for s in self.spec.sections}
        for a in self.ordered:
            groups.setdefault(a.section, []).append(a)
        return {s: tuple(v) for s, v in groups.items()}

    @cached_property
    def by_tag(self) -> dict[str, tuple[Article, ...]]:
        groups: dict[str, list[Article]] = {}
        for a in self.ordered:
            if a.defect is not Defect.MISSING:
                for tag in a.tags:
                    groups.setdefault(slugify(tag), []).append(a)
        return {t: tuple(v) for t, v in groups.items()}

    @cached_property
    def dated(self) -> tuple[Article, ...]:
        """Articles that may appear where a date is mandatory (feed, related, home)."""
        return tuple(a for a in self.ordered if a.storable)

    @cached_property
    def newest_modified(self) -> datetime:
        return max(a.modified for a in self.ordered)

    def section_modified(self, section: str) -> datetime:
        items = self.by_section.get(section) or self.ordered
        return max(a.modified for a in items)

    def related(self, article: Article) -> list[Article]:
        """The block under an article: newest of the same section, itself excluded."""
        result = []
        for other in self.by_section.get(article.section, ()):
            if other.id != article.id and other.storable:
                result.append(other)
                if len(result) == RELATED_ITEMS:
                    break
        return result

    def expected(self) -> ExpectedCounts:
        storable = [a for a in self.ordered if a.storable]
        dropped = Counter(DROP_REASONS[a.defect] for a in self.ordered if a.defect in DROP_REASONS)
        tag_counts = Counter(t for a in storable for t in a.tags)
        variants: dict[str, tuple[str, ...]] = {}
        for topic in self.spec.topics:
            for group in topic.tags:
                present = tuple(v for v in group[1:] if v in tag_counts)
                if present and group[0] in tag_counts:
                    variants[group[0]] = present
        return ExpectedCounts(
            articles=len(storable),
            dropped=dict(dropped),
            http_errors={404: n} if (n := self._count(Defect.MISSING)) else {},
            transient_errors={500: n} if (n := self._count(Defect.FLAKY)) else {},
            listed=len(self.ordered),
            sections=tuple(s for s in self.spec.sections if self.by_section.get(s)),
            tags_distinct=len(tag_counts),
            tag_variants=variants,
            singleton_tags=tuple(sorted(t for t, n in tag_counts.items() if n == 1)),
            old_layout_duplicates=sum(1 for a in storable if a.old_layout),
            latin1_pages=self._count(Defect.LATIN1),
            feed_items=min(FEED_ITEMS, len(self.dated)),
            archive_pages=max(1, -(-len(self.ordered) // PER_PAGE)),
        )

    def _count(self, defect: Defect) -> int:
        return sum(1 for a in self.ordered if a.defect is defect)

    def expected_article(self, article: Article, url: str) -> ExpectedArticle:
        return ExpectedArticle(
            url=url,
            article_id=article.id,
            title=clean_text(article.title),
            kicker=article.kicker,
            teaser=clean_text(article.teaser),
            published=article.published,
            published_date=article.published.date(),
            section=article.section,
            tags=article.tags,
            type_label=article.type_label,
            image_alt=article.image.alt if article.image else None,
            image_credit=article.image.credit if article.image else None,
        )
