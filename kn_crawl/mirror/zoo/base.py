"""What every zoo site shares: its articles, paging, the HTML/XML helpers, the ground truth and
the HTTP answer (status, content type, encoding, validators). Each CMS module subclasses
:class:`ZooSite` with its own URL shapes and markup."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs, urlsplit

from kn_crawl.mirror.app import STATIC_MODIFIED, _ok
from kn_crawl.mirror.model import ExpectedArticle, ExpectedCounts, Response
from kn_crawl.mirror.vocab import MONTHS

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=UTF-8"
XML = "application/xml; charset=UTF-8"
TEXT = "text/plain; charset=utf-8"


@dataclass(frozen=True, slots=True)
class ZooArticle:
    id: int
    slug: str
    title: str
    kicker: str | None
    teaser: str
    body: tuple[str, ...]
    published: datetime
    """Aware, Europe/Berlin. For an undated article only its place in the listing."""
    category: str
    tags: tuple[str, ...]
    author: str | None
    dated: bool = True
    """False: the page shows no date at all (the ``no_date`` defect)."""
    old_layout: bool = False
    """Served in the site's older article template."""
    story: str | None = None

    @property
    def modified(self) -> datetime:
        return self.published + timedelta(hours=2)


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def rfc822(moment: datetime) -> str:
    return format_datetime(moment)


def long_date(moment: datetime) -> str:
    """``28. Januar 2025``."""
    return f"{moment.day}. {MONTHS[moment.month - 1]} {moment.year}"


def short_date(moment: datetime) -> str:
    return f"{moment:%d.%m.%Y}"


def paragraphs(texts: Sequence[str], indent: str = "") -> str:
    return "\n".join(f"{indent}<p>{esc(p)}</p>" for p in texts)


def rss(
    *,
    title: str,
    link: str,
    description: str,
    items: Sequence[str],
    self_url: str,
    extra_ns: str = "",
    extra_channel: str = "",
    encoding: str = "UTF-8",
) -> str:
    body = "\n".join(items)
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom"'
        f"{extra_ns}>\n<channel>\n"
        f"<title>{esc(title)}</title>\n"
        f'<atom:link href="{esc(self_url)}" rel="self" type="application/rss+xml" />\n'
        f"<link>{esc(link)}</link>\n<description>{esc(description)}</description>\n"
        f"<language>de-DE</language>\n{extra_channel}{body}\n</channel>\n</rss>\n"
    )


def sitemap(entries: Sequence[tuple[str, datetime | None]]) -> str:
    rows = "\n".join(
        f"<url><loc>{esc(u)}</loc>"
        + (f"<lastmod>{m.isoformat(timespec='seconds')}</lastmod>" if m else "")
        + "</url>"
        for u, m in entries
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{rows}\n</urlset>\n'
    )


@dataclass(frozen=True, slots=True)
class Request:
    path: str
    query: dict[str, list[str]]
    raw_query: str
    headers: Mapping[str, str]

    def one(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


class ZooSite:
    """One generated site. ``articles`` newest first, as the listing shows them."""

    source = ""
    title = ""
    real_host = ""
    cms = ""
    per_page = 10
    feed_size = 10
    charset = "utf-8"
    default_count = 14
    listing_path = "/"
    feed_path: str | None = None
    sitemap_path: str | None = None
    feed_only = False
    """Article pages are disallowed by robots.txt: a crawler stores feed entries alone."""
    disallow: tuple[str, ...] = ()
    day_only = False
    """The pages show the day alone: articles are published at midnight (Europe/Berlin), so the
    ground truth holds no time that a reader could not know."""
    robots_rules: tuple[str, ...] = ()
    """The CMS's own Disallow lines (admin and search paths), before ``disallow``."""

    def __init__(self, articles: Sequence[ZooArticle]) -> None:
        self.articles = list(articles)
        self.base_url = f"https://{self.real_host}/"
        self.by_path = {self.article_path(a): a for a in self.articles}

    # -- URL shapes (per CMS) --------------------------------------------------------------

    def article_path(self, article: ZooArticle) -> str:
        raise NotImplementedError

    def listing_page_path(self, page: int) -> str:
        """Path (with query) of listing page ``page`` (1-based)."""
        raise NotImplementedError

    def url(self, path: str) -> str:
        return self.base_url.rstrip("/") + path

    def article_url(self, article: ZooArticle) -> str:
        return self.url(self.article_path(article))

    # -- paging ----------------------------------------------------------------------------

    @property
    def page_count(self) -> int:
        return max(1, -(-len(self.articles) // self.per_page))

    def page_items(self, page: int) -> list[ZooArticle]:
        return self.articles[(page - 1) * self.per_page : page * self.per_page]

    @property
    def newest(self) -> datetime:
        return max(a.modified for a in self.articles if a.dated)

    @property
    def dated(self) -> list[ZooArticle]:
        return [a for a in self.articles if a.dated]

    # -- rendering (per CMS) ---------------------------------------------------------------

    def home(self) -> str:
        raise NotImplementedError

    def listing(self, page: int) -> str:
        raise NotImplementedError

    def article(self, article: ZooArticle) -> str:
        raise NotImplementedError

    def not_found(self) -> str:
        return (
            f'<!DOCTYPE html>\n<html lang="de"><head><meta charset="{self.charset}">'
            f"<title>Seite nicht gefunden - {esc(self.title)}</title></head>"
            "<body><main><h1>Seite nicht gefunden</h1><p>Die angeforderte Seite existiert "
            "nicht.</p></main></body></html>\n"
        )

    def robots(self) -> str:
        lines = ["User-agent: *", *(f"Disallow: {p}" for p in (*self.robots_rules, *self.disallow))]
        if len(lines) == 1:
            lines.append("Disallow:")
        if self.sitemap_path:
            lines += ["", f"Sitemap: {self.url(self.sitemap_path)}"]
        return "\n".join(lines) + "\n"

    def sitemap(self) -> str:
        return sitemap([(self.article_url(a), a.modified if a.dated else None)
                        for a in self.articles])  # fmt: skip

    def feed(self, request: Request) -> Response | None:
        """The feed's answer, or None where the path is not a feed of this site."""
        return None

    def route_extra(self, request: Request) -> Response | None:
        """CMS-specific pages (categories, tags, feeds under other paths)."""
        return None

    def listing_page_of(self, request: Request) -> int | None:
        """The listing page a request asks for (1-based), None when it is no listing; 0 for a
        listing request beyond the last page."""
        raise NotImplementedError

    # -- HTTP ------------------------------------------------------------------------------

    def ok(self, text: str, content_type: str, modified: datetime | None) -> Response:
        if self.charset != "utf-8" and "charset=" in content_type:
            base = content_type.split(";")[0]
            data = text.encode(self.charset, errors="xmlcharrefreplace")
            return _ok(data, f"{base}; charset={self.charset.upper()}", modified)
        return _ok(text, content_type, modified)

    def missing(self) -> Response:
        body = self.not_found().encode(self.charset, errors="xmlcharrefreplace")
        content_type = HTML if self.charset == "utf-8" else f"text/html; charset={self.charset}"
        return Response(404, [("Content-Type", content_type)], body)

    def route(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        split = urlsplit(raw_path)
        request = Request(split.path, parse_qs(split.query), split.query, headers)
        if request.path == "/robots.txt":
            return self.ok(self.robots(), TEXT, STATIC_MODIFIED)
        if self.sitemap_path and request.path == self.sitemap_path:
            return self.ok(self.sitemap(), XML, self.newest)
        if (feed := self.feed(request)) is not None:
            return feed
        if (extra := self.route_extra(request)) is not None:
            return extra
        page = self.listing_page_of(request)
        if page is not None:
            if page == 0:
                return self.missing()
            return self.ok(self.listing(page), HTML, self.newest)
        if request.path == "/" and not request.raw_query:
            return self.ok(self.home(), HTML, self.newest)
        article = self.by_path.get(request.path)
        if article is not None and not request.raw_query:
            return self.ok(self.article(article), HTML, article.modified if article.dated else None)
        return self.missing()

    # -- ground truth ----------------------------------------------------------------------

    def feed_entries(self) -> list[ZooArticle]:
        """Articles a crawler gets from the feed (over all feed pages)."""
        return []

    def shown_tags(self, article: ZooArticle) -> tuple[str, ...]:
        return article.tags

    def shown_author(self, article: ZooArticle) -> str | None:
        return article.author

    def shown_kicker(self, article: ZooArticle) -> str | None:
        return None

    def expected_articles(self) -> list[ExpectedArticle]:
        return [
            ExpectedArticle(
                url=self.article_url(a),
                article_id=a.id,
                title=a.title,
                kicker=self.shown_kicker(a),
                teaser=a.teaser,
                published=a.published,
                published_date=a.published.date(),
                section=a.category,
                tags=self.shown_tags(a),
                type_label=None,
                image_alt=None,
                image_credit=None,
                body=a.body,
                author=self.shown_author(a),
                feed_only=self.feed_only,
                story=a.story,
            )
            for a in self.articles
            if a.dated
        ]

    def expected_drops(self) -> dict[str, int]:
        undated = sum(1 for a in self.articles if not a.dated)
        return {"no_date": undated} if undated else {}

    def expected(self) -> ExpectedCounts:
        storable = self.expected_articles()
        tag_count: dict[str, int] = {}
        for a in storable:
            for t in a.tags:
                tag_count[t] = tag_count.get(t, 0) + 1
        return ExpectedCounts(
            articles=len(storable),
            dropped=self.expected_drops(),
            http_errors={},
            transient_errors={},
            listed=len(self.articles),
            sections=tuple(sorted({a.category for a in self.articles})),
            tags_distinct=len(tag_count),
            tag_variants={},
            singleton_tags=tuple(sorted(t for t, n in tag_count.items() if n == 1)),
            old_layout_duplicates=0,
            latin1_pages=len(storable) if self.charset == "iso-8859-1" else 0,
            feed_items=len(self.feed_entries()),
            archive_pages=self.page_count,
        )
