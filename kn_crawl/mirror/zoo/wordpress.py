# ruff: noqa: E501 - page markup reads better unbroken, line by line as the CMS writes it.
"""WordPress sites in a Twenty-Twenty-style theme with Yoast SEO: Behörden Spiegel (date in the
permalink), NEGZ (category permalinks) and the eGovernment Podcast (Podlove: an MP3 feed, episode
pages disallowed by robots.txt).

WordPress traits modelled: ``/page/N/`` archives (``/page/1/`` redirects), ``/category/x/`` and
``/tag/x/`` archives, ``/feed/`` with ``?paged=N`` (404 beyond the end), categories and tags as
``<category>``, ``content:encoded``, ``dc:creator``, ``article:published_time`` and a Yoast
JSON-LD ``@graph``; ``/sitemap_index.xml``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from kn_crawl.mirror.app import _redirect
from kn_crawl.mirror.model import Response
from kn_crawl.mirror.urls import slugify
from kn_crawl.mirror.zoo.base import (
    HTML,
    RSS,
    XML,
    Request,
    ZooArticle,
    ZooSite,
    esc,
    long_date,
    paragraphs,
    rfc822,
    rss,
)

_PAGED = re.compile(r"^(?P<prefix>/(?:(?:category|tag)/[a-z0-9-]+/|[a-z0-9-]+/)?)page/(\d+)/$")


class WordPressSite(ZooSite):
    cms = "wordpress"
    robots_rules = ("/wp-admin/", "/?s=")
    feed_path = "/feed/"
    sitemap_path: str | None = "/sitemap_index.xml"
    tagline = ""
    body_class = "post-template-default single single-post single-format-standard"

    # -- URL shapes ------------------------------------------------------------------------

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}page/{page}/"

    def term_path(self, kind: str, name: str) -> str:
        return f"/{kind}/{slugify(name)}/"

    def listing_page_of(self, request: Request) -> int | None:
        if request.raw_query:
            return None
        if request.path == self.listing_path and self.listing_path != "/":
            return 1
        m = _PAGED.match(request.path)
        if m and m.group("prefix") == self.listing_path:
            page = int(m.group(2))
            return page if 2 <= page <= self.page_count else 0
        return None

    # -- shell -----------------------------------------------------------------------------

    def shell(
        self, title: str, main: str, *, body_class: str, head: str = "", canonical: str
    ) -> str:
        feed = self.url(self.feed_path or "/feed/")
        return f"""<!DOCTYPE html>
<html class="no-js" lang="de-DE">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{esc(title)}</title>
<link rel="canonical" href="{esc(canonical)}" />
{head}<link rel="alternate" type="application/rss+xml" title="{esc(self.title)} &raquo; Feed" href="{esc(feed)}" />
<link rel="https://api.w.org/" href="{esc(self.url("/wp-json/"))}" />
<meta name="generator" content="WordPress 6.7.1" />
<link rel="stylesheet" id="twentytwenty-style-css" href="{esc(self.url("/wp-content/themes/twentytwenty/style.css?ver=2.8"))}" media="all" />
</head>
<body class="{body_class}">
<a class="skip-link screen-reader-text" href="#site-content">Zum Inhalt springen</a>
<header id="site-header" class="header-footer-group">
<div class="header-inner section-inner">
<div class="header-titles"><div class="site-title faux-heading"><a href="{esc(self.url("/"))}">{esc(self.title)}</a></div>
<div class="site-description">{esc(self.tagline)}</div></div>
<nav class="primary-menu-wrapper" aria-label="Horizontal"><ul class="primary-menu reset-list-style">
<li class="menu-item"><a href="{esc(self.url(self.listing_path))}">Aktuelles</a></li>
<li class="menu-item"><a href="{esc(self.url("/impressum/"))}">Impressum</a></li>
<li class="menu-item"><a href="{esc(self.url("/datenschutz/"))}">Datenschutz</a></li>
</ul></nav>
</div>
</header>
<main id="site-content">
{main}
</main>
<footer id="site-footer" class="header-footer-group"><div class="section-inner">
<p class="footer-copyright">&copy; 2025 <a href="{esc(self.url("/"))}">{esc(self.title)}</a></p>
<p class="powered-by-wordpress"><a href="https://de.wordpress.org/">Stolz präsentiert von WordPress</a></p>
</div></footer>
</body>
</html>
"""

    def _meta_line(self, a: ZooArticle) -> str:
        author = ""
        if a.author:
            author = (
                '<li class="post-author meta-wrapper"><span class="meta-text">Von <a href="'
                f'{esc(self.url("/author/" + slugify(a.author) + "/"))}">{esc(a.author)}</a>'
                "</span></li>\n"
            )
        return (
            '<div class="post-meta-wrapper post-meta-single post-meta-single-top">'
            f'<ul class="post-meta">\n{author}'
            '<li class="post-date meta-wrapper"><span class="meta-text"><a href="'
            f'{esc(self.article_url(a))}">{long_date(a.published)}</a></span></li>\n'
            "</ul></div>"
        )

    def _categories(self, a: ZooArticle) -> str:
        link = self.url(self.term_path("category", a.category))
        return (
            '<div class="entry-categories"><span class="screen-reader-text">Kategorien</span>'
            f'<div class="entry-categories-inner"><a href="{esc(link)}" rel="category tag">'
            f"{esc(a.category)}</a></div></div>"
        )

    def _post_class(self, a: ZooArticle) -> str:
        tags = " ".join(f"tag-{slugify(t)}" for t in a.tags)
        return (
            f"post-{a.id} post type-post status-publish format-standard hentry "
            f"category-{slugify(a.category)} {tags}"
        )

    def _teaser_block(self, a: ZooArticle) -> str:
        url = esc(self.article_url(a))
        return f"""<article class="{self._post_class(a)}" id="post-{a.id}">
<header class="entry-header has-text-align-center">
<div class="entry-header-inner section-inner medium">
{self._categories(a)}
<h2 class="entry-title heading-size-1"><a href="{url}">{esc(a.title)}</a></h2>
{self._meta_line(a)}
</div>
</header>
<div class="post-inner thin"><div class="entry-content"><p>{esc(a.teaser)}</p>
<p><a class="more-link" href="{url}">Weiterlesen<span class="screen-reader-text"> „{esc(a.title)}“</span></a></p></div></div>
</article>
<hr class="post-separator styled-separator is-style-wide section-inner" aria-hidden="true" />"""

    def _pagination(self, prefix: str, page: int, pages: int) -> str:
        def href(n: int) -> str:
            return esc(self.url(prefix if n == 1 else f"{prefix}page/{n}/"))

        links = []
        if page > 1:
            links.append(
                f'<a class="prev page-numbers" href="{href(page - 1)}">Vorherige Seite</a>'
            )
        for n in range(1, pages + 1):
            if n == page:
                links.append(f'<span aria-current="page" class="page-numbers current">{n}</span>')
            else:
                links.append(f'<a class="page-numbers" href="{href(n)}">{n}</a>')
        if page < pages:
            links.append(f'<a class="next page-numbers" href="{href(page + 1)}">Nächste Seite</a>')
        return (
            '<div class="pagination-wrapper section-inner"><nav class="navigation pagination" '
            'aria-label="Beitragsseiten"><h2 class="screen-reader-text">Beitragsseiten</h2>'
            f'<div class="nav-links">{"".join(links)}</div></nav></div>'
        )

    def archive(self, prefix: str, items: list[ZooArticle], page: int, heading: str) -> str:
        pages = max(1, -(-len(items) // self.per_page))
        shown = items[(page - 1) * self.per_page : page * self.per_page]
        head = ""
        if page > 1:
            prev = prefix if page == 2 else f"{prefix}page/{page - 1}/"
            head += f'<link rel="prev" href="{esc(self.url(prev))}" />\n'
        if page < pages:
            head += f'<link rel="next" href="{esc(self.url(f"{prefix}page/{page + 1}/"))}" />\n'
        canonical = self.url(prefix if page == 1 else f"{prefix}page/{page}/")
        title = heading + (f" - Seite {page}" if page > 1 else "") + f" - {self.title}"
        header = (
            f'<header class="archive-header has-text-align-center"><div class="archive-header-inner '
            f'section-inner medium"><h1 class="archive-title">{esc(heading)}</h1></div></header>'
        )
        blocks = "\n".join(self._teaser_block(a) for a in shown)
        main = f"{header}\n{blocks}\n{self._pagination(prefix, page, pages)}"
        return self.shell(title, main, body_class="archive blog", head=head, canonical=canonical)

    def home(self) -> str:
        return (
            self.archive("/", self.articles, 1, "Aktuelles")
            if self.listing_path == "/"
            else (
                self.shell(
                    self.title,
                    "\n".join(self._teaser_block(a) for a in self.articles[:3]),
                    body_class="home page-template-default page",
                    canonical=self.url("/"),
                )
            )
        )

    def listing(self, page: int) -> str:
        return self.archive(self.listing_path, self.articles, page, "Aktuelles")

    def json_ld(self, a: ZooArticle) -> str:
        url = self.article_url(a)
        graph: list[dict[str, object]] = [
            {
                "@type": "NewsArticle",
                "@id": f"{url}#article",
                "isPartOf": {"@id": url},
                "headline": a.title,
                "datePublished": a.published.isoformat(),
                "dateModified": a.modified.isoformat(),
                "mainEntityOfPage": {"@id": url},
                "keywords": list(a.tags),
                "articleSection": [a.category],
                "inLanguage": "de",
                "publisher": {"@id": self.url("/#organization")},
            },
            {
                "@type": "WebPage",
                "@id": url,
                "url": url,
                "name": f"{a.title} - {self.title}",
                "datePublished": a.published.isoformat(),
                "dateModified": a.modified.isoformat(),
                "description": a.teaser,
                "inLanguage": "de",
            },
            {"@type": "Organization", "@id": self.url("/#organization"), "name": self.title},
        ]
        if a.author:
            person: dict[str, object] = {"@type": "Person", "@id": self.url(f"/#/schema/person/{a.id}"),
                      "name": a.author}  # fmt: skip
            graph[0]["author"] = {"name": a.author, "@id": person["@id"]}
            graph.append(person)
        data = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
        return f'<script type="application/ld+json" class="yoast-schema-graph">{data}</script>\n'

    def article(self, a: ZooArticle) -> str:
        url = self.article_url(a)
        head = (
            f'<link rel="shortlink" href="{esc(self.url(f"/?p={a.id}"))}" />\n'
            f'<meta name="description" content="{esc(a.teaser)}" />\n'
            '<meta property="og:locale" content="de_DE" />\n'
            '<meta property="og:type" content="article" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
            f'<meta property="og:description" content="{esc(a.teaser)}" />\n'
            f'<meta property="og:url" content="{esc(url)}" />\n'
            f'<meta property="og:site_name" content="{esc(self.title)}" />\n'
            f'<meta property="article:published_time" content="{a.published.isoformat()}" />\n'
            f'<meta property="article:modified_time" content="{a.modified.isoformat()}" />\n'
            + (f'<meta name="author" content="{esc(a.author)}" />\n' if a.author else "")
            + self.json_ld(a)
        )
        tags = ", ".join(
            f'<a href="{esc(self.url(self.term_path("tag", t)))}" rel="tag">{esc(t)}</a>'
            for t in a.tags
        )
        main = f"""<article class="{self._post_class(a)}" id="post-{a.id}">
<header class="entry-header has-text-align-center header-footer-group">
<div class="entry-header-inner section-inner medium">
{self._categories(a)}
<h1 class="entry-title">{esc(a.title)}</h1>
{self._meta_line(a)}
</div>
</header>
<div class="post-inner thin"><div class="entry-content">
{paragraphs(a.body)}
</div></div>
<div class="section-inner"><div class="post-meta-wrapper post-meta-single post-meta-single-bottom">
<ul class="post-meta"><li class="post-tags meta-wrapper"><span class="meta-icon"><span class="screen-reader-text">Schlagwörter</span></span><span class="meta-text">{tags}</span></li></ul>
</div></div>
</article>"""
        return self.shell(
            f"{a.title} - {self.title}",
            main,
            body_class=f"{self.body_class} postid-{a.id}",
            head=head,
            canonical=url,
        )

    # -- terms, feed, sitemap --------------------------------------------------------------

    def route_extra(self, request: Request) -> Response | None:
        path = request.path
        if path == "/" and (post := request.one("p")) is not None:
            # The feed's guid and the shortlink: /?p=ID redirects to the permalink.
            found = [a for a in self.articles if str(a.id) == post]
            return _redirect(self.article_url(found[0])) if found else self.missing()
        if request.raw_query:
            return None
        m = re.match(r"^/(category|tag)/([a-z0-9-]+)/(?:page/(\d+)/)?$", path)
        if m:
            kind, key = m.group(1), m.group(2)
            if kind == "category":
                items = [a for a in self.articles if slugify(a.category) == key]
                names = {slugify(a.category): a.category for a in items}
            else:
                items = [a for a in self.articles if key in {slugify(t) for t in a.tags}]
                names = {slugify(t): t for a in items for t in a.tags}
            page = int(m.group(3) or 1)
            if m.group(3) == "1":
                return _redirect(self.url(f"/{kind}/{key}/"))
            pages = max(1, -(-len(items) // self.per_page))
            if not items or page > pages:
                return self.missing()
            label = ("Kategorie: " if kind == "category" else "Schlagwort: ") + names[key]
            html = self.archive(f"/{kind}/{key}/", items, page, label)
            return self.ok(html, HTML, max(a.modified for a in items))
        m = _PAGED.match(path)
        if m and m.group("prefix") == self.listing_path and m.group(2) == "1":
            return _redirect(self.url(self.listing_path))
        if path == "/feed" or (path == self.listing_path.rstrip("/") and path):
            return _redirect(self.url(path + "/"))
        if path == "/post-sitemap.xml":
            return self.ok(self.sitemap(), XML, self.newest)
        return None

    def sitemap_index(self) -> str:
        newest = self.newest.isoformat(timespec="seconds")
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"<sitemap><loc>{esc(self.url('/post-sitemap.xml'))}</loc>"
            f"<lastmod>{newest}</lastmod></sitemap>\n</sitemapindex>\n"
        )

    def route(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        if raw_path == self.sitemap_path:
            return self.ok(self.sitemap_index(), XML, self.newest)
        return super().route(raw_path, headers)

    def feed_entries(self) -> list[ZooArticle]:
        return self.dated

    def feed_item(self, a: ZooArticle) -> str:
        url = self.article_url(a)
        categories = "".join(
            f"\n<category><![CDATA[{t}]]></category>" for t in (a.category, *a.tags)
        )
        creator = f"\n<dc:creator><![CDATA[{a.author}]]></dc:creator>" if a.author else ""
        content = "".join(f"<p>{esc(p)}</p>\n" for p in a.body)
        return (
            f"<item>\n<title>{esc(a.title)}</title>\n<link>{esc(url)}</link>{creator}\n"
            f"<pubDate>{rfc822(a.published)}</pubDate>{categories}\n"
            f'<guid isPermaLink="false">{esc(self.url(f"/?p={a.id}"))}</guid>\n'
            f"<description><![CDATA[{a.teaser}]]></description>\n"
            f"<content:encoded><![CDATA[{content}]]></content:encoded>\n</item>"
        )

    def feed(self, request: Request) -> Response | None:
        if request.path != self.feed_path:
            return None
        paged = request.one("paged") or "1"
        entries = self.feed_entries()
        pages = max(1, -(-len(entries) // self.feed_size))
        if not paged.isdigit() or not 1 <= int(paged) <= pages:
            return self.missing()  # WordPress: a feed page beyond the end is a 404
        page = int(paged)
        items = entries[(page - 1) * self.feed_size : page * self.feed_size]
        text = rss(
            title=self.title,
            link=self.url("/"),
            description=self.tagline,
            items=[self.feed_item(a) for a in items],
            self_url=self.url(self.feed_path + (f"?paged={page}" if page > 1 else "")),
            extra_channel=(
                f"<lastBuildDate>{rfc822(max(a.modified for a in items))}</lastBuildDate>\n"
                "<generator>https://wordpress.org/?v=6.7.1</generator>\n"
            ),
        )
        return self.ok(text, RSS, max(a.modified for a in items))


class BehoerdenSpiegel(WordPressSite):
    source = "behoerdenspiegel"
    title = "Behörden Spiegel"
    real_host = "www.behoerden-spiegel.de"
    tagline = "Zeitung für den öffentlichen Dienst"
    default_count = 24
    listing_path = "/"

    def article_path(self, article: ZooArticle) -> str:
        return f"/{article.published:%Y/%m/%d}/{article.slug}/"


class Negz(WordPressSite):
    source = "negz"
    title = "NEGZ"
    real_host = "negz.org"
    tagline = "Nationales E-Government Kompetenzzentrum"
    default_count = 14
    listing_path = "/neuigkeiten-aus-dem-negz/"

    def article_path(self, article: ZooArticle) -> str:
        # Permalink structure /%category%/%postname%/ with the category base stripped (Yoast).
        return f"{self.listing_path}{article.slug}/"

    def term_path(self, kind: str, name: str) -> str:
        return f"/{kind}/{slugify(name)}/"


class EgovPodcast(WordPressSite):
    """Podlove Publisher on WordPress: the episodes' MP3 feed carries the show notes; robots.txt
    keeps crawlers off the episode pages, so only the feed entries can be stored."""

    source = "egovpodcast"
    title = "eGovernment Podcast"
    real_host = "egovernment-podcast.com"
    tagline = "Der Podcast rund um E-Government und Verwaltungsdigitalisierung"
    default_count = 12
    feed_path = "/feed/mp3/"
    feed_size = 50
    sitemap_path = None
    feed_only = True
    disallow = ("/episoden/",)
    listing_path = "/"

    def article_path(self, article: ZooArticle) -> str:
        return f"/episoden/{article.slug}/"

    def shown_author(self, article: ZooArticle) -> str | None:
        return None

    def route(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        if raw_path == "/feed/":
            return _redirect(self.url(self.feed_path or "/"))
        return super().route(raw_path, headers)

    def feed_item(self, a: ZooArticle) -> str:
        number = self.articles[::-1].index(a) + 1
        url = self.article_url(a)
        notes = "".join(f"<p>{esc(p)}</p>\n" for p in a.body)
        categories = "".join(f"\n<category><![CDATA[{t}]]></category>" for t in a.tags)
        audio = self.url(f"/podlove/file/{a.id}/s/feed/c/mp3/egov{number:03d}.mp3")
        return (
            f"<item>\n<title>{esc(a.title)}</title>\n<link>{esc(url)}</link>\n"
            f"<pubDate>{rfc822(a.published)}</pubDate>\n"
            f'<guid isPermaLink="false">podlove-{a.published:%Y-%m-%d}t{a.id}</guid>{categories}\n'
            f"<description><![CDATA[{a.teaser}]]></description>\n"
            f"<itunes:subtitle>{esc(a.teaser)}</itunes:subtitle>\n"
            f"<itunes:episode>{number}</itunes:episode>\n"
            f"<itunes:duration>00:{20 + a.id % 40:02d}:{a.id % 60:02d}</itunes:duration>\n"
            f'<enclosure url="{esc(audio)}" length="{3_000_000 + a.id * 17}" type="audio/mpeg"/>\n'
            f"<content:encoded><![CDATA[{notes}]]></content:encoded>\n</item>"
        )

    def feed(self, request: Request) -> Response | None:
        response = super().feed(request)
        if response is None or response.status != 200:
            return response
        text = response.body.decode().replace(
            'xmlns:atom="http://www.w3.org/2005/Atom"',
            'xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd"',
            1,
        )
        return self.ok(text, RSS, response.last_modified)

    def feed_entries(self) -> list[ZooArticle]:
        return self.dated
