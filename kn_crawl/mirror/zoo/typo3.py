# ruff: noqa: E501 - page markup reads better unbroken, line by line as the CMS writes it.
"""TYPO3 sites with the news extension (georgringer/news): the IT-Planungsrat (no feed) and FITKO
(an RSS feed at ``?type=9818``; half of its articles still in the older site template).

The markup follows the extension's Fluid templates: list items ``div.article.articletype-0``
with ``.header h3 a``, ``.teaser-text`` and a ``.footer`` with ``.news-list-date``; the detail
view ``div.news.news-single`` with ``itemprop`` headline/description/articleBody,
``<time itemprop="datePublished" datetime=…>`` and the tag list ``.news-list-tags``. The list
pages with ``?tx_news_pi1%5BcurrentPage%5D=N``; details live at ``/aktuelles/details/<slug>``
(a route enhancer), the sitemap at ``/sitemap.xml`` (EXT:seo).
"""

from __future__ import annotations

from kn_crawl.mirror.model import Response
from kn_crawl.mirror.urls import slugify
from kn_crawl.mirror.zoo.base import (
    RSS,
    Request,
    ZooArticle,
    ZooSite,
    esc,
    paragraphs,
    rfc822,
    rss,
    short_date,
)

PAGE_PARAM = "tx_news_pi1[currentPage]"
PAGE_QUERY = "tx_news_pi1%5BcurrentPage%5D"
RSS_TYPE = "9818"


class Typo3NewsSite(ZooSite):
    cms = "typo3"
    day_only = True
    robots_rules = ("/typo3/", "/typo3conf/", "/*?tx_solr")
    listing_path = "/aktuelles"
    sitemap_path = "/sitemap.xml"
    brand_class = ""

    def article_path(self, article: ZooArticle) -> str:
        return f"/aktuelles/details/{article.slug}"

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}?{PAGE_QUERY}={page}"

    def listing_page_of(self, request: Request) -> int | None:
        if request.path != self.listing_path:
            return None
        if not request.raw_query:
            return 1
        value = request.one(PAGE_PARAM)
        if value is None or set(request.query) != {PAGE_PARAM}:
            return 0  # TYPO3 answers unknown arguments with a 404 (cHash/pageNotFound)
        page = int(value) if value.isdigit() else 0
        return page if 1 <= page <= self.page_count else 0

    def shell(self, title: str, main: str, *, head: str = "", canonical: str) -> str:
        nav = "\n".join(
            f'<li class="nav-item"><a class="nav-link" href="{esc(self.url(p))}">{esc(t)}</a></li>'
            for t, p in (("Aktuelles", "/aktuelles"), ("Über uns", "/ueber-uns"),
                         ("Impressum", "/impressum"))
        )  # fmt: skip
        return f"""<!DOCTYPE html>
<html lang="de-DE">
<head>
<meta charset="utf-8">
<!--
	This website is powered by TYPO3 - inspiring people to share!
	TYPO3 is a free open source Content Management Framework initially created by Kasper Skaarhoj and licensed under GNU/GPL.
-->
<title>{esc(title)}</title>
<meta name="generator" content="TYPO3 CMS" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<link rel="canonical" href="{esc(canonical)}"/>
{head}<link rel="stylesheet" href="{esc(self.url("/typo3conf/ext/sitepackage/Resources/Public/Css/main.css"))}" media="all">
</head>
<body id="p12" class="page-12 pagelevel-1 language-0 backendlayout-default layout-default {self.brand_class}">
<header class="header"><a class="navbar-brand" href="{esc(self.url("/"))}">{esc(self.title)}</a>
<nav class="navbar" aria-label="Hauptnavigation"><ul class="navbar-nav">
{nav}
</ul></nav></header>
<main id="content" class="main-section">
{main}
</main>
<footer class="footer"><p>&copy; {esc(self.title)}</p></footer>
</body>
</html>
"""

    def _tags(self, a: ZooArticle) -> str:
        links = ", ".join(
            f'<a href="{esc(self.url("/aktuelles/tag/" + slugify(t)))}">{esc(t)}</a>'
            for t in a.tags
        )
        return f'<span class="news-list-tags" itemprop="keywords">{links}</span>'

    def _date(self, a: ZooArticle) -> str:
        return (
            f'<span class="news-list-date"><time itemprop="datePublished" '
            f'datetime="{a.published:%Y-%m-%d}">{short_date(a.published)}</time></span>'
        )

    def _item(self, a: ZooArticle) -> str:
        url = esc(self.article_url(a))
        return f"""<div class="article articletype-0" itemscope="itemscope" itemtype="http://schema.org/Article">
<div class="header"><h3><a title="{esc(a.title)}" href="{url}"><span itemprop="headline">{esc(a.title)}</span></a></h3></div>
<div class="teaser-text"><div itemprop="description"><p>{esc(a.teaser)}</p></div>
<a class="more" title="{esc(a.title)}" href="{url}">Weiterlesen</a></div>
<div class="footer"><p>{self._date(a)}
<span class="news-list-category">{esc(a.category)}</span>
{self._tags(a)}</p></div>
</div>"""

    def _pagination(self, page: int) -> str:
        items = []
        if page > 1:
            href = esc(self.url(self.listing_page_path(page - 1)))
            items.append(f'<li class="page-item previous"><a class="page-link" href="{href}" '
                         'title="Vorherige Seite">Zurück</a></li>')  # fmt: skip
        for n in range(1, self.page_count + 1):
            if n == page:
                items.append(
                    f'<li class="page-item active"><span class="page-link">{n}</span></li>'
                )
            else:
                href = esc(self.url(self.listing_page_path(n)))
                items.append(
                    f'<li class="page-item"><a class="page-link" href="{href}">{n}</a></li>'
                )
        if page < self.page_count:
            href = esc(self.url(self.listing_page_path(page + 1)))
            items.append(f'<li class="page-item next"><a class="page-link" href="{href}" '
                         'title="Nächste Seite">Weiter</a></li>')  # fmt: skip
        return (
            '<nav role="navigation" aria-label="Seitennavigation" class="news-pagination">'
            f'<ul class="f3-widget-paginator pagination">{"".join(items)}</ul></nav>'
        )

    def news_list(self, items: list[ZooArticle], page: int | None) -> str:
        body = "\n".join(self._item(a) for a in items)
        paging = self._pagination(page) if page is not None else ""
        return f"""<div class="news">
<div class="news-list-view" id="news-container-34">
{body}
{paging}
</div>
</div>"""

    def home(self) -> str:
        main = (
            f"<h1>{esc(self.title)}</h1>\n<h2>Aktuelles</h2>\n"
            f"{self.news_list(self.articles[:3], None)}\n"
            f'<p><a href="{esc(self.url(self.listing_path))}">Alle Meldungen</a></p>'
        )
        return self.shell(self.title, main, canonical=self.url("/"))

    def listing(self, page: int) -> str:
        main = f"<h1>Aktuelles</h1>\n{self.news_list(self.page_items(page), page)}"
        head = ""
        if page < self.page_count:
            head = f'<link rel="next" href="{esc(self.url(self.listing_page_path(page + 1)))}" />\n'
        return self.shell(
            f"Aktuelles | {self.title}",
            main,
            head=head,
            canonical=self.url(self.listing_page_path(page)),
        )

    def _head(self, a: ZooArticle) -> str:
        return (
            f'<meta name="description" content="{esc(a.teaser)}" />\n'
            f'<meta name="keywords" content="{esc(", ".join(a.tags))}" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
            f'<meta property="og:description" content="{esc(a.teaser)}" />\n'
            '<meta property="og:type" content="article" />\n'
            f'<meta property="og:url" content="{esc(self.article_url(a))}" />\n'
        )

    def article(self, a: ZooArticle) -> str:
        if a.old_layout:
            main = self.old_article(a)
        else:
            author = ""
            if a.author:
                author = (
                    '<span class="news-list-author" itemprop="author" itemscope="itemscope" '
                    'itemtype="http://schema.org/Person">von <span itemprop="name">'
                    f"{esc(a.author)}</span></span>"
                )
            main = f"""<div class="news news-single">
<div class="article" itemscope="itemscope" itemtype="http://schema.org/Article">
<div class="header"><h1 itemprop="headline">{esc(a.title)}</h1></div>
<div class="footer"><p>{self._date(a)}
<span class="news-list-category">{esc(a.category)}</span>
{author}</p></div>
<div class="teaser-text" itemprop="description"><p>{esc(a.teaser)}</p></div>
<div class="news-text-wrap" itemprop="articleBody">
{paragraphs(a.body)}
</div>
<div class="news-tags"><p>Schlagwörter: {self._tags(a)}</p></div>
<div class="news-backlink-wrap"><a href="{esc(self.url(self.listing_path))}">Zurück</a></div>
</div>
</div>"""
        return self.shell(
            f"{a.title} | {self.title}", main, head=self._head(a), canonical=self.article_url(a)
        )

    def old_article(self, a: ZooArticle) -> str:
        """The site's template before its relaunch: no schema.org attributes, the date as a
        ``<time>`` with a full timestamp, the tags as a plain line."""
        author = f'<p class="news-single-author">Autor: {esc(a.author)}</p>' if a.author else ""
        return f"""<div class="news-single-item">
<article>
<h1>{esc(a.title)}</h1>
<p class="news-single-timedata"><time datetime="{a.published.isoformat()}">{short_date(a.published)}</time></p>
<p class="bodytext"><strong>{esc(a.teaser)}</strong></p>
{paragraphs(a.body)}
{author}
<p class="news-single-keywords">Schlagwörter: {esc(", ".join(a.tags))}</p>
</article>
<p class="news-single-backlink"><a href="{esc(self.url(self.listing_path))}">Zurück zur Übersicht</a></p>
</div>"""

    def route_extra(self, request: Request) -> Response | None:
        if request.path in ("/ueber-uns", "/impressum") and not request.raw_query:
            main = f"<h1>{'Über uns' if request.path == '/ueber-uns' else 'Impressum'}</h1>"
            return self.ok(self.shell(self.title, main, canonical=self.url(request.path)),
                           "text/html; charset=utf-8", None)  # fmt: skip
        return None


class ItPlanungsrat(Typo3NewsSite):
    source = "itplanungsrat"
    title = "IT-Planungsrat"
    real_host = "www.it-planungsrat.de"
    default_count = 16
    brand_class = "site-itplr"


class Fitko(Typo3NewsSite):
    source = "fitko"
    title = "FITKO"
    real_host = "www.fitko.de"
    default_count = 18
    brand_class = "site-fitko"
    feed_path = f"/aktuelles?type={RSS_TYPE}"

    def feed_entries(self) -> list[ZooArticle]:
        return self.dated[: self.feed_size]

    def feed(self, request: Request) -> Response | None:
        if request.path != self.listing_path or request.one("type") != RSS_TYPE:
            return None
        entries = self.feed_entries()
        items = []
        for a in entries:
            content = "".join(f"<p>{esc(p)}</p>" for p in a.body)
            categories = "".join(f"\n<category>{esc(t)}</category>" for t in a.tags)
            items.append(
                f'<item>\n<guid isPermaLink="false">news-{a.id}</guid>\n'
                f"<pubDate>{rfc822(a.published)}</pubDate>\n<title>{esc(a.title)}</title>\n"
                f"<link>{esc(self.article_url(a))}</link>\n"
                f"<description>{esc(a.teaser)}</description>\n"
                f"<content:encoded><![CDATA[{content}]]></content:encoded>{categories}\n</item>"
            )
        text = rss(
            title=f"{self.title} - Aktuelles",
            link=self.url(self.listing_path),
            description="Neuigkeiten der Föderalen IT-Kooperation",
            items=items,
            self_url=self.url(self.feed_path or ""),
            extra_channel=f"<lastBuildDate>{rfc822(entries[0].modified)}</lastBuildDate>\n",
            encoding="utf-8",
        )
        return self.ok(text, RSS, entries[0].modified)

    def head_feed(self) -> str:
        return (
            '<link rel="alternate" type="application/rss+xml" title="FITKO Aktuelles" '
            f'href="{esc(self.url(self.feed_path or ""))}" />\n'
        )

    def shell(self, title: str, main: str, *, head: str = "", canonical: str) -> str:
        return super().shell(title, main, head=self.head_feed() + head, canonical=canonical)
