"""HTML/XML rendering of one site state with the site's theme (Jinja2, autoescaped).

A :class:`SiteView` is built per state version (articles, fault, base URL) and renders pages as
``str``; encoding, headers and caching are the server's business.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from kn_crawl.mirror import vocab
from kn_crawl.mirror.catalog import FEED_ITEMS, HOME_ITEMS, PER_PAGE, Catalog
from kn_crawl.mirror.model import Article, Defect, LinkForm, clean_text
from kn_crawl.mirror.sites import SiteSpec
from kn_crawl.mirror.urls import link_path, paged, slugify

SITEMAP_PAGE = 2000
INVALID_DATE_TEXT = "[31.02.2024]"


def _entities(text: str) -> Markup:
    """Escape, then write soft hyphens and no-break spaces as the entities WordPress emits."""
    return Markup(str(escape(text)).replace("\u00ad", "&shy;").replace("\u00a0", "&nbsp;"))


_ENV = Environment(
    loader=PackageLoader("kn_crawl.mirror", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    trim_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["ent"] = _entities
_ENV.filters["clean"] = clean_text

# WordPress block-theme presets, written out into every page head as WordPress does.
_WP_PRESETS = {
    "colors": [
        (name, f"#{(i * 0x2F4B7 + 0x101010) % 0xFFFFFF:06x}")
        for i, name in enumerate(
            ("black", "cyan-bluish-gray", "white", "pale-pink", "vivid-red", "vivid-orange",
             "luminous-vivid-amber", "light-green-cyan", "vivid-green-cyan", "pale-cyan-blue",
             "vivid-cyan-blue", "vivid-purple", "k21-blau", "k21-hellblau", "k21-dunkelblau",
             "k21-rot", "k21-grau", "k21-hellgrau", "k21-anthrazit", "move-gruen", "move-petrol",
             "suw-orange", "suw-gelb", "suw-gruen", "akzent-1", "akzent-2", "akzent-3", "text",
             "hintergrund", "rahmen")
        )
    ],
    "gradients": [
        (f"verlauf-{i}", f"rgba({i * 8},{255 - i * 9},{120 + i * 4},1)", f"rgb({200 - i},{i},0)")
        for i in range(12)
    ],
    "font_sizes": [
        ("small", "13px"), ("medium", "20px"), ("large", "36px"), ("x-large", "42px"),
        ("xx-large", "56px"), ("klein", "0.875rem"), ("normal", "1rem"), ("gross", "1.375rem"),
    ],
    "spacing": [(str(n), f"{0.44 * 1.5 ** (n // 10 - 2):.2f}rem") for n in range(20, 90, 10)],
}  # fmt: skip


def today_text(day: date) -> str:
    """The banner every page shows: ``Freitag, 31. Januar 2025``."""
    return f"{vocab.WEEKDAYS[day.weekday()]}, {day.day}. {vocab.MONTHS[day.month - 1]} {day.year}"


def listing_form(article: Article) -> LinkForm:
    """Archive links: most use the new URL, some the pre-2025 forms (redirected), as on a site
    whose editors paste old links. Defect and old-layout articles keep the new URL so each
    defect is met exactly as specified."""
    if article.defect or article.old_layout:
        return LinkForm.NEW
    return {4: LinkForm.HTML, 7: LinkForm.PLAIN}.get(article.id % 9, LinkForm.NEW)


def related_form(article: Article) -> LinkForm:
    if article.defect or article.old_layout:
        return LinkForm.NEW
    return LinkForm.PLAIN if article.id % 5 == 2 else LinkForm.NEW


@dataclass(frozen=True, slots=True)
class TeaserView:
    url: str
    headline: str
    date_text: str | None
    teaser: str
    image_alt: str | None
    image_src: str | None
    type_label: str | None


@dataclass(frozen=True, slots=True)
class Pager:
    current: int
    total: int
    prev_url: str | None
    next_url: str | None
    pages: list[tuple[int | None, str]]


class SiteView:
    def __init__(
        self,
        spec: SiteSpec,
        catalog: Catalog,
        base_url: str,
        today: date,
        *,
        show_dates: bool = True,
        empty_listings: bool = False,
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.base = base_url.rstrip("/")
        self.today = today
        self.show_dates = show_dates
        self.empty_listings = empty_listings

    # -- helpers ---------------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base + path

    def article_url(self, article: Article, form: LinkForm = LinkForm.NEW) -> str:
        return self.url(link_path(article, form))

    def _date_text(self, article: Article, *, on_article_page: bool) -> str | None:
        if article.defect is Defect.NO_DATE or (on_article_page and not self.show_dates):
            return None
        if article.defect is Defect.INVALID_DATE:
            return INVALID_DATE_TEXT
        return f"[{article.published:%d.%m.%Y}]"

    def _image_src(self, article: Article, small: bool = False) -> str | None:
        if not article.image:
            return None
        file = article.image.file
        if small:
            file = file.removesuffix(".jpg") + "-300x169.jpg"
        return self.url(f"/wp-content/uploads/{file}")

    def teaser(self, article: Article, form: LinkForm) -> TeaserView:
        return TeaserView(
            url=self.article_url(article, form),
            headline=article.headline,
            date_text=self._date_text(article, on_article_page=False),
            teaser=article.teaser,
            image_alt=article.image.alt if article.image else None,
            image_src=self._image_src(article, small=True),
            type_label=article.type_label,
        )

    def _sections(self) -> list[dict[str, str]]:
        return [
            {"name": s, "url": self.url(f"/k21-themen/{slugify(s)}/")} for s in self.spec.sections
        ]

    def _render(self, template: str, **context: Any) -> str:
        popular = [self.catalog.dated[i] for i in (2, 5, 9, 14, 20) if i < len(self.catalog.dated)]
        base_context = {
            "spec": self.spec,
            "url": self.url,
            "charset": "utf-8",
            "today_text": today_text(self.today),
            "sections": self._sections(),
            "nav": [(label, self.url(path)) for label, path in self.spec.nav],
            "sidebar": {"popular": [self.teaser(a, LinkForm.NEW) for a in popular]},
            "wp": _WP_PRESETS,
            "body_class": "",
        }
        return _ENV.get_template(template).render(base_context | context)

    def _theme(self, name: str) -> str:
        return f"{self.spec.theme}/{name}"

    # -- pages -----------------------------------------------------------------------------

    def listing(self, kind: str, key: str | None, page: int) -> str | None:
        """Archive (``kind="archive"``), section or tag listing; None when out of range."""
        if kind == "archive":
            items, prefix, heading = self.catalog.ordered, "/k21-meldungen/", "Meldungen"
        elif kind == "section" and key in self.catalog.section_slugs:
            heading = self.catalog.section_slugs[key]
            items, prefix = self.catalog.by_section.get(heading, ()), f"/k21-themen/{key}/"
        elif kind == "tag" and key in self.catalog.by_tag:
            items, prefix = self.catalog.by_tag[key], f"/tag/{key}/"
            heading = f"Stichwort: {next(t for t in items[0].tags if slugify(t) == key)}"
        else:
            return None
        if self.empty_listings:
            items = ()
        total = max(1, -(-len(items) // PER_PAGE))
        if page > total:
            return None
        chunk = items[(page - 1) * PER_PAGE : page * PER_PAGE]
        pager = self._pager(prefix, page, total)
        title = heading if page == 1 else f"{heading} - Seite {page}"
        return self._render(
            self._theme("listing.html"),
            page_title=title,
            heading=heading,
            canonical=self.url(paged(prefix, page)),
            entries=[self.teaser(a, listing_form(a)) for a in chunk],
            pager=pager,
            home=False,
            body_class=f"archive paged-{page}",
        )

    def _pager(self, prefix: str, page: int, total: int) -> Pager:
        wanted = sorted({1, total, *range(max(1, page - 2), min(total, page + 2) + 1)})
        pages: list[tuple[int | None, str]] = []
        for n in wanted:
            if pages and pages[-1][0] is not None and n - (pages[-1][0] or 0) > 1:
                pages.append((None, ""))
            pages.append((n, self.url(paged(prefix, n))))
        return Pager(
            current=page,
            total=total,
            prev_url=self.url(paged(prefix, page - 1)) if page > 1 else None,
            next_url=self.url(paged(prefix, page + 1)) if page < total else None,
            pages=pages,
        )

    def home(self) -> str:
        items = () if self.empty_listings else self.catalog.dated[:HOME_ITEMS]
        return self._render(
            self._theme("listing.html"),
            page_title="Startseite",
            heading=self.spec.feed_title,
            canonical=self.url("/"),
            entries=[self.teaser(a, LinkForm.NEW) for a in items],
            pager=Pager(1, 1, None, None, []),
            home=True,
            body_class="home blog",
        )

    def page(self, path: str, *, status_404: bool = False) -> str:
        paragraphs: tuple[str, ...]
        if status_404:
            heading, paragraphs = (
                "Seite nicht gefunden",
                (
                    "Die angeforderte Seite existiert nicht oder wurde verschoben.",
                    "Nutzen Sie die Suche oder besuchen Sie unsere Startseite.",
                ),
            )
            canonical = None
        else:
            static = self.spec.pages[path]
            heading, paragraphs, canonical = static.title, static.paragraphs, self.url(path)
        return self._render(
            self._theme("page.html"),
            page_title=heading,
            heading=heading,
            paragraphs=paragraphs,
            canonical=canonical,
            robots_meta="noindex, follow" if status_404 else None,
            body_class="error404" if status_404 else "page",
        )

    def _article_context(self, article: Article) -> dict[str, Any]:
        dated = self.show_dates and article.defect not in (Defect.NO_DATE, Defect.INVALID_DATE)
        url = self.article_url(article)
        see_also = []
        for target_id, form in article.see_also:
            target = self.catalog.by_id.get(target_id)
            if target:
                see_also.append({"url": self.article_url(target, form), "text": target.headline})
        image = None
        if article.image:
            image = {
                "src": self._image_src(article),
                "src_small": self._image_src(article, small=True),
                "alt": article.image.alt,
                "caption": article.image.caption,
                "credit": article.image.credit,
            }
        words = sum(len(p.split()) for p in article.body) + len(article.teaser.split())
        return {
            "id": article.id,
            "url": url,
            "shortlink": self.url(f"/?p={article.id}"),
            "title": article.title,
            "headline": article.headline,
            "kicker": article.kicker,
            "teaser": article.teaser,
            "body": article.body,
            "section": article.section,
            "section_slug": slugify(article.section),
            "section_url": self.url(f"/k21-themen/{slugify(article.section)}/"),
            "tags": article.tags,
            "tag_links": [
                {"name": t, "url": self.url(f"/tag/{slugify(t)}/")} for t in article.tags
            ],
            "type_label": article.type_label,
            "image": image,
            "see_also": see_also,
            "date_text": self._date_text(article, on_article_page=True),
            "date_plain": f"{article.published:%d.%m.%Y}" if dated else None,
            "iso": article.published.isoformat(timespec="seconds") if dated else None,
            "iso_modified": article.modified.isoformat(timespec="seconds") if dated else None,
            "words": words,
            "reading_minutes": max(1, words // 200),
            "_dated": dated,
        }

    def article(self, article: Article) -> str:
        a = self._article_context(article)
        a["jsonld"] = self._jsonld(article, a, ascii_only=article.defect is Defect.LATIN1)
        related = [self.teaser(r, related_form(r)) for r in self.catalog.related(article)]
        html = self._render(
            self._theme("article.html"),
            page_title=clean_text(article.title),
            a=a,
            related=related,
            charset="iso-8859-1" if article.defect is Defect.LATIN1 else "utf-8",
            body_class=f"single single-k21_meldung postid-{article.id}",
        )
        if article.defect is Defect.BROKEN_HTML:
            html = break_html(html)
        return html

    def old_article(self, article: Article, variant: str) -> str:
        """The pre-2025 page of an article (``h1.meldungTitel``, ``div.meldungText``)."""
        related = [self.teaser(r, LinkForm.HTML) for r in self.catalog.related(article)[:5]]
        return self._render(
            "old_meldung.html",
            a=self._article_context(article),
            related=related,
            variant=variant,
        )

    def _jsonld(self, article: Article, a: dict[str, Any], *, ascii_only: bool) -> Markup | None:
        if self.spec.theme == "stadtundwerk":
            return None  # this theme has no structured data at all
        title = clean_text(article.title)
        base = self.url("/")
        if self.spec.theme == "move":
            data: dict[str, Any] = {
                "@context": "https://schema.org",
                "@type": "NewsArticle",
                "headline": clean_text(article.headline),
                "description": clean_text(article.teaser),
                "mainEntityOfPage": a["url"],
                "articleSection": article.section,
                "keywords": ", ".join(article.tags),
                "author": {"@type": "Organization", "name": "move-Redaktion"},
                "publisher": {"@type": "Organization", "name": "K21 media GmbH", "url": base},
            }
            if a["_dated"]:
                # This theme writes UTC: a parser that drops the offset gets the wrong hour.
                data["datePublished"] = _utc(article.published)
                data["dateModified"] = _utc(article.modified)
            if a["image"]:
                data["image"] = [a["image"]["src"]]
        else:
            news: dict[str, Any] = {
                "@type": "NewsArticle",
                "@id": f"{a['url']}#article",
                "isPartOf": {"@id": a["url"]},
                "author": {"name": "Redaktion", "@id": f"{base}#/schema/person/redaktion"},
                "headline": title,
                "mainEntityOfPage": {"@id": a["url"]},
                "wordCount": a["words"],
                "publisher": {"@id": f"{base}#organization"},
                "keywords": list(article.tags),
                "articleSection": [article.section],
                "inLanguage": "de",
            }
            page: dict[str, Any] = {
                "@type": "WebPage",
                "@id": a["url"],
                "url": a["url"],
                "name": f"{title} - {self.spec.feed_title}",
                "isPartOf": {"@id": f"{base}#website"},
                "description": clean_text(article.teaser),
                "breadcrumb": {"@id": f"{a['url']}#breadcrumb"},
                "inLanguage": "de",
            }
            if a["_dated"]:
                for node in (news, page):
                    node["datePublished"] = a["iso"]
                    node["dateModified"] = a["iso_modified"]
            graph: list[dict[str, Any]] = [news, page]
            if a["image"]:
                news["image"] = {"@id": f"{a['url']}#primaryimage"}
                news["thumbnailUrl"] = a["image"]["src"]
                graph.append({
                    "@type": "ImageObject", "@id": f"{a['url']}#primaryimage",
                    "url": a["image"]["src"], "contentUrl": a["image"]["src"],
                    "width": 800, "height": 450, "caption": clean_text(a["image"]["caption"]),
                })  # fmt: skip
            graph += [
                {"@type": "BreadcrumbList", "@id": f"{a['url']}#breadcrumb", "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Startseite", "item": base},
                    {"@type": "ListItem", "position": 2, "name": "Meldungen",
                     "item": self.url("/k21-meldungen/")},
                    {"@type": "ListItem", "position": 3, "name": title},
                ]},
                {"@type": "WebSite", "@id": f"{base}#website", "url": base,
                 "name": self.spec.feed_title, "inLanguage": "de",
                 "potentialAction": [{"@type": "SearchAction", "target": {
                     "@type": "EntryPoint", "urlTemplate": f"{base}?s={{search_term_string}}"},
                     "query-input": {"@type": "PropertyValueSpecification", "valueRequired": True,
                                     "valueName": "search_term_string"}}]},
                {"@type": "Organization", "@id": f"{base}#organization", "name": "K21 media GmbH",
                 "url": base},
            ]  # fmt: skip
            data = {"@context": "https://schema.org", "@graph": graph}
        text = json.dumps(data, ensure_ascii=ascii_only, separators=(",", ":"))
        # "</" inside a script element would end it early; JSON allows the escaped form.
        return Markup(text.replace("</", "<\\/"))

    # -- machine-readable ------------------------------------------------------------------

    def feed(self, self_path: str) -> str:
        items = () if self.empty_listings else self.catalog.dated[:FEED_ITEMS]
        newest = max((a.modified for a in items), default=self.catalog.newest_modified)
        return self._render(
            "feed.xml",
            self_url=self.url(self_path),
            last_build=format_datetime(newest),
            items=[
                {
                    "title": clean_text(a.title),
                    "url": self.article_url(a),
                    "guid": self.url(f"/?p={a.id}"),
                    "pub_date": format_datetime(a.published),
                    "tags": a.tags,
                    "teaser": clean_text(a.teaser),
                }
                for a in items
            ],
        )

    def robots(self) -> str:
        return self._render("robots.txt")

    def sitemap_index(self) -> str:
        count = -(-len(self._sitemap_articles()) // SITEMAP_PAGE)
        links = [self.url(f"/wp-sitemap-posts-k21_meldung-{n}.xml") for n in range(1, count + 1)]
        return self._render("sitemap_index.xml", sitemaps=links)

    def sitemap(self, page: int) -> str | None:
        articles = self._sitemap_articles()[(page - 1) * SITEMAP_PAGE : page * SITEMAP_PAGE]
        if page < 1 or not articles:
            return None
        entries = [
            (self.article_url(a), a.modified.isoformat(timespec="seconds") if a.storable else None)
            for a in articles
        ]
        return self._render("sitemap.xml", entries=entries)

    def _sitemap_articles(self) -> list[Article]:
        return [a for a in self.catalog.ordered if a.defect is not Defect.MISSING]


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def break_html(html: str) -> str:
    """The broken-HTML defect: unclosed teaser paragraph, a stray ``</div>``, and the page cut
    off in the middle of the related list (no ``</body></html>``). All fields stay visible."""
    teaser = html.find('class="entry-teaser"')
    close = html.find("</p>", teaser)
    html = html[:close] + html[close + 4 :]
    # The stray </div> comes after the Stichwörter line: parsers (lxml, html5lib, browsers) use
    # it to close the enclosing container, so it must not pull the fields out of <article>.
    html = html.replace('<footer class="entry-footer">', '<footer class="entry-footer"><b><i>', 1)
    tags_end = html.find("</p>", html.find('class="k21-stichwoerter"')) + 4
    html = html[:tags_end] + "</div>" + html[tags_end:]
    cut = -1
    for _ in range(4):
        cut = html.find('<li class="k21-teaser', cut + 1)
    if cut > 0:
        html = html[: cut + len('<li class="k21-te')]
    return html
