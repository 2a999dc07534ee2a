# ruff: noqa: E501 - page markup reads better unbroken, line by line as the CMS writes it.
"""One site each of Drupal (Verwaltung der Zukunft, served in ISO-8859-1), Liferay (ZenDiS'
newsroom), Vogel IT-Medien's own CMS (eGovernment) and the DStGB's press releases."""

from __future__ import annotations

import hashlib
import json

from kn_crawl.mirror.model import Response
from kn_crawl.mirror.zoo.base import (
    HTML,
    RSS,
    Request,
    ZooArticle,
    ZooSite,
    esc,
    long_date,
    paragraphs,
    rfc822,
    rss,
    short_date,
)


def _page(site: ZooSite, title: str, main: str, *, canonical: str, head: str = "",
          body_class: str = "", charset: str = "utf-8") -> str:  # fmt: skip
    return f"""<!DOCTYPE html>
<html lang="de" dir="ltr">
<head>
<meta charset="{charset}" />
<title>{esc(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1.0" />
<link rel="canonical" href="{esc(canonical)}" />
{head}</head>
<body class="{body_class}">
<header role="banner"><a href="{esc(site.url("/"))}" rel="home" class="site-logo">{esc(site.title)}</a></header>
<main role="main" id="main-content">
{main}
</main>
<footer role="contentinfo"><p>&copy; 2025 {esc(site.title)}</p></footer>
</body>
</html>
"""


# -- Drupal ---------------------------------------------------------------------------------


class Vdz(ZooSite):
    """Drupal 10 (Olivero-like): ``/node/N``, the view ``/aktuelles`` paged with ``?page=N``
    (0-based), ``/rss.xml``. The whole site is served as ISO-8859-1, declared in the
    Content-Type header and the meta tag: the Latin-1 defect."""

    source = "vdz"
    title = "Verwaltung der Zukunft"
    real_host = "www.vdz.org"
    cms = "drupal"
    robots_rules = ("/core/", "/admin/", "/search/", "/user/login", "/node/add/")
    charset = "iso-8859-1"
    default_count = 14
    listing_path = "/aktuelles"
    feed_path = "/rss.xml"
    sitemap_path = "/sitemap.xml"
    feed_size = 20  # the view's items per feed: every article of the default size

    def article_path(self, article: ZooArticle) -> str:
        return f"/node/{article.id}"

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}?page={page - 1}"

    def listing_page_of(self, request: Request) -> int | None:
        if request.path != self.listing_path:
            return None
        value = request.one("page")
        if value is None:
            return 1 if not request.raw_query else 0
        page = int(value) + 1 if value.isdigit() else 0
        return page if 1 <= page <= self.page_count else 0

    def page(self, title: str, main: str, *, canonical: str, head: str = "", cls: str) -> str:
        head = (
            '<meta name="Generator" content="Drupal 10 (https://www.drupal.org)" />\n'
            f'<link rel="alternate" type="application/rss+xml" title="{esc(self.title)}" '
            f'href="{esc(self.url("/rss.xml"))}" />\n{head}'
        )
        return _page(self, title, main, canonical=canonical, head=head, body_class=cls,
                     charset="iso-8859-1")  # fmt: skip

    def _teaser(self, a: ZooArticle) -> str:
        url = esc(self.article_url(a))
        return f"""<article role="article" about="{esc(self.article_path(a))}" class="node node--type-article node--promoted node--view-mode-teaser">
<h2 class="node__title"><a href="{url}" rel="bookmark"><span class="field field--name-title field--type-string field--label-hidden">{esc(a.title)}</span></a></h2>
<div class="node__meta"><span class="field field--name-created field--type-created field--label-hidden">{long_date(a.published)}</span></div>
<div class="node__content"><div class="text-content clearfix field field--name-body field--type-text-with-summary field--label-hidden field__item"><p>{esc(a.teaser)}</p></div>
<ul class="links inline"><li><a href="{url}" rel="tag" title="{esc(a.title)}" hreflang="de">Weiterlesen<span class="visually-hidden"> über {esc(a.title)}</span></a></li></ul></div>
</article>"""

    def _pager(self, page: int) -> str:
        items = []
        for n in range(1, self.page_count + 1):
            href = esc(f"?page={n - 1}")
            if n == page:
                items.append(f'<li class="pager__item is-active"><a href="{href}" '
                             f'title="Aktuelle Seite" aria-current="page">{n}</a></li>')  # fmt: skip
            else:
                items.append(f'<li class="pager__item"><a href="{href}" title="Gehe zu Seite {n}">'
                             f"{n}</a></li>")  # fmt: skip
        if page < self.page_count:
            items.append(f'<li class="pager__item pager__item--next"><a href="?page={page}" '
                         'title="Zur nächsten Seite" rel="next"><span class="visually-hidden">'
                         "Nächste Seite</span><span aria-hidden=\"true\">››</span></a></li>")  # fmt: skip
        return (
            '<nav class="pager" role="navigation" aria-labelledby="pagination-heading">'
            '<h4 id="pagination-heading" class="visually-hidden">Seitennummerierung</h4>'
            f'<ul class="pager__items js-pager__items">{"".join(items)}</ul></nav>'
        )

    def listing(self, page: int) -> str:
        teasers = "\n".join(self._teaser(a) for a in self.page_items(page))
        main = (
            f'<h1 class="page-title">Aktuelles</h1>\n<div class="views-element-container">'
            f'<div class="view view-aktuelles view-id-aktuelles">\n{teasers}\n'
            f"{self._pager(page)}</div></div>"
        )
        return self.page(f"Aktuelles | {self.title}", main,
                         canonical=self.url(self.listing_page_path(page)), cls="path-aktuelles")  # fmt: skip

    def home(self) -> str:
        teasers = "\n".join(self._teaser(a) for a in self.articles[:3])
        main = (
            f'<h1 class="page-title">{esc(self.title)}</h1>\n{teasers}\n'
            f'<p><a href="{esc(self.url(self.listing_path))}">Alle Meldungen</a></p>'
        )
        return self.page(self.title, main, canonical=self.url("/"), cls="path-frontpage")

    def article(self, a: ZooArticle) -> str:
        tags = "\n".join(
            f'<div class="field__item"><a href="{esc(self.url(f"/taxonomy/term/{100 + i}"))}" '
            f'hreflang="de">{esc(t)}</a></div>'
            for i, t in enumerate(a.tags)
        )
        author = (
            '<span class="node__author">Von <span class="field field--name-uid '
            f'field--type-entity-reference field--label-hidden">{esc(a.author)}</span></span> '
            if a.author
            else ""
        )
        main = f"""<h1 class="page-title"><span class="field field--name-title field--type-string field--label-hidden">{esc(a.title)}</span></h1>
<article role="article" class="node node--type-article node--view-mode-full">
<div class="node__meta">{author}<span class="node__meta-date"><span class="field field--name-created field--type-created field--label-hidden"><time datetime="{a.published.isoformat()}">{long_date(a.published)}</time></span></span></div>
<div class="node__content">
<div class="text-content clearfix field field--name-body field--type-text-with-summary field--label-hidden field__item">
{paragraphs(a.body)}
</div>
<div class="field field--name-field-tags field--type-entity-reference field--label-above">
<div class="field__label">Schlagworte</div>
<div class="field__items">
{tags}
</div></div>
</div>
</article>"""
        head = (
            f'<link rel="shortlink" href="{esc(self.article_url(a))}" />\n'
            f'<meta name="description" content="{esc(a.teaser)}" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
            f'<meta property="og:description" content="{esc(a.teaser)}" />\n'
            f'<meta property="article:published_time" content="{a.published.isoformat()}" />\n'
        )
        return self.page(f"{a.title} | {self.title}", main, canonical=self.article_url(a),
                         head=head, cls="page-node-type-article")  # fmt: skip

    def feed_entries(self) -> list[ZooArticle]:
        return self.dated[: self.feed_size]

    def feed(self, request: Request) -> Response | None:
        if request.path != self.feed_path:
            return None
        items = [
            f"<item>\n<title>{esc(a.title)}</title>\n<link>{esc(self.article_url(a))}</link>\n"
            f"<description>{esc(a.teaser)}</description>\n"
            f"<pubDate>{rfc822(a.published)}</pubDate>\n"
            + (f"<dc:creator>{esc(a.author)}</dc:creator>\n" if a.author else "")
            + "".join(f"<category>{esc(t)}</category>\n" for t in a.tags)
            + f'<guid isPermaLink="false">{a.id} at {esc(self.url("/"))}</guid>\n</item>'
            for a in self.feed_entries()
        ]
        text = rss(
            title=self.title, link=self.url("/"), description="Aktuelles", items=items,
            self_url=self.url("/rss.xml"), encoding="ISO-8859-1",
        )  # fmt: skip
        return self.ok(text, RSS, self.dated[0].modified)


# -- Liferay --------------------------------------------------------------------------------

INSTANCE = "zNdS4nEwsR0m"
PORTLET = f"com_liferay_asset_publisher_web_portlet_AssetPublisherPortlet_INSTANCE_{INSTANCE}"


class Zendis(ZooSite):
    """Liferay DXP: an asset publisher on ``/newsroom`` paged with ``?delta=20&start=N`` (N the
    page number, 1-based; the portlet's ``_…_cur=N`` form works too), its entries' content
    URLs ``/newsroom/-/asset_publisher/<instance>/content/<slug>``, ``/sitemap.xml``."""

    source = "zendis"
    title = "ZenDiS"
    real_host = "www.zendis.de"
    cms = "liferay"
    robots_rules = ("/c/", "/group/", "/web/guest/search")
    default_count = 24
    per_page = 20
    listing_path = "/newsroom"
    sitemap_path = "/sitemap.xml"

    def article_path(self, article: ZooArticle) -> str:
        return f"/newsroom/-/asset_publisher/{INSTANCE}/content/{article.slug}"

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}?delta=20&start={page}"

    def listing_page_of(self, request: Request) -> int | None:
        if request.path != self.listing_path:
            return None
        if not request.raw_query:
            return 1
        value = request.one("start") or request.one(f"_{PORTLET}_cur")
        if value is None or not value.isdigit():
            return 0
        page = int(value)
        return page if 1 <= page <= self.page_count else 0

    def page(self, title: str, main: str, *, canonical: str, head: str = "") -> str:
        head = '<meta content="Liferay DXP" name="generator" />\n' + head
        return _page(self, title, main, canonical=canonical, head=head,
                     body_class="controls-visible signed-out public-page site")  # fmt: skip

    def _abstract(self, a: ZooArticle) -> str:
        url = esc(self.article_url(a))
        return f"""<div class="asset-abstract">
<div class="asset-content">
<h4 class="asset-title"><a href="{url}">{esc(a.title)}</a></h4>
<div class="asset-metadata"><span class="metadata-entry metadata-display-date">{a.published:%d.%m.%y}</span></div>
<div class="asset-summary">{esc(a.teaser)}</div>
<div class="asset-more"><a href="{url}">Mehr lesen <span class="hide-accessible">über {esc(a.title)}</span></a></div>
</div>
</div>"""

    def listing(self, page: int) -> str:
        items = []
        if page > 1:
            items.append(f'<li class="page-item"><a class="page-link" href="'
                         f'{esc(self.url(self.listing_page_path(page - 1)))}">Zurück</a></li>')  # fmt: skip
        for n in range(1, self.page_count + 1):
            cls = "page-item active" if n == page else "page-item"
            items.append(f'<li class="{cls}"><a class="page-link" href="'
                         f'{esc(self.url(self.listing_page_path(n)))}">{n}</a></li>')  # fmt: skip
        if page < self.page_count:
            items.append(f'<li class="page-item"><a class="page-link" href="'
                         f'{esc(self.url(self.listing_page_path(page + 1)))}" rel="next">Weiter</a></li>')  # fmt: skip
        abstracts = "\n".join(self._abstract(a) for a in self.page_items(page))
        main = f"""<h1>Newsroom</h1>
<section class="portlet" id="portlet_{PORTLET}">
<div class="portlet-content"><div class="asset-publisher">
{abstracts}
<div class="pagination-bar"><ul class="pagination">{"".join(items)}</ul></div>
</div></div>
</section>"""
        return self.page(f"Newsroom - {self.title}", main,
                         canonical=self.url(self.listing_page_path(page)))  # fmt: skip

    def home(self) -> str:
        main = "\n".join(self._abstract(a) for a in self.articles[:3])
        main += f'\n<p><a href="{esc(self.url(self.listing_path))}">Zum Newsroom</a></p>'
        return self.page(self.title, f"<h1>{esc(self.title)}</h1>\n{main}", canonical=self.url("/"))

    def article(self, a: ZooArticle) -> str:
        tags = "".join(f'<span class="badge badge-default">{esc(t)}</span>' for t in a.tags)
        main = f"""<div class="journal-content-article" data-analytics-asset-id="{a.id}" data-analytics-asset-title="{esc(a.title)}" data-analytics-asset-type="web-content">
<article class="news-detail">
<h1>{esc(a.title)}</h1>
<p class="news-date"><time datetime="{a.published.isoformat()}">{long_date(a.published)}</time></p>
<p class="lead">{esc(a.teaser)}</p>
{paragraphs(a.body)}
</article>
</div>
<div class="taglib-asset-tags-summary">{tags}</div>"""
        head = (
            f'<meta content="{esc(a.teaser)}" lang="de-DE" name="description" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
            f'<meta property="og:description" content="{esc(a.teaser)}" />\n'
            f'<meta property="og:url" content="{esc(self.article_url(a))}" />\n'
        )
        return self.page(f"{a.title} - {self.title}", main, canonical=self.article_url(a),
                         head=head)  # fmt: skip

    def shown_author(self, article: ZooArticle) -> str | None:
        return None


# -- Vogel IT-Medien ------------------------------------------------------------------------


class Egovernment(ZooSite):
    """eGovernment (Vogel IT-Medien): articles at ``/<slug>-a-<32 hex>/`` with a kicker above
    the title, ``/news/`` paged with ``?p=N``, RSS at ``/rss/news.xml``."""

    source = "egovernment"
    title = "eGovernment"
    real_host = "www.egovernment.de"
    cms = "vogel"
    default_count = 22
    feed_size = 30  # every article of the default size
    listing_path = "/news/"
    feed_path = "/rss/news.xml"
    sitemap_path = "/sitemap.xml"

    def article_path(self, article: ZooArticle) -> str:
        token = hashlib.md5(f"egovernment:{article.id}:{article.slug}".encode()).hexdigest()
        return f"/{article.slug}-a-{token}/"

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}?p={page}"

    def listing_page_of(self, request: Request) -> int | None:
        if request.path != self.listing_path:
            return None
        value = request.one("p")
        if value is None:
            return 1 if not request.raw_query else 0
        page = int(value) if value.isdigit() else 0
        return page if 1 <= page <= self.page_count else 0

    def shown_kicker(self, article: ZooArticle) -> str | None:
        return article.kicker

    def shown_tags(self, article: ZooArticle) -> tuple[str, ...]:
        return ()  # the pages show no keywords

    def page(self, title: str, main: str, *, canonical: str, head: str = "") -> str:
        head = (
            '<link rel="alternate" type="application/rss+xml" title="eGovernment News" '
            f'href="{esc(self.url(self.feed_path))}" />\n{head}'
        )
        return _page(self, title, main, canonical=canonical, head=head, body_class="inf-page")

    def _teaser(self, a: ZooArticle) -> str:
        url = esc(self.article_url(a))
        kicker = f'<span class="inf-overline">{esc(a.kicker)}</span>' if a.kicker else ""
        return f"""<section class="inf-teaser">
<a href="{url}" class="inf-teaser__link">{kicker}
<h2 class="inf-teaser__title">{esc(a.title)}</h2></a>
<p class="inf-teaser__text">{esc(a.teaser)}</p>
<time class="inf-teaser__date" datetime="{a.published.isoformat()}">{short_date(a.published)}</time>
</section>"""

    def listing(self, page: int) -> str:
        teasers = "\n".join(self._teaser(a) for a in self.page_items(page))
        links = []
        if page < self.page_count:
            href = esc(self.url(self.listing_page_path(page + 1)))
            links.append(f'<a class="inf-pagination__next" rel="next" href="{href}">Weiter</a>')
        if page > 1:
            href = esc(self.url(self.listing_page_path(page - 1)))
            links.append(f'<a class="inf-pagination__prev" rel="prev" href="{href}">Zurück</a>')
        main = (
            f'<h1 class="inf-headline">News</h1>\n{teasers}\n<nav class="inf-pagination">'
            f"{' '.join(links)}</nav>"
        )
        return self.page(f"News | {self.title}", main,
                         canonical=self.url(self.listing_page_path(page)))  # fmt: skip

    def home(self) -> str:
        teasers = "\n".join(self._teaser(a) for a in self.articles[:4])
        main = f'<h1 class="inf-headline">{esc(self.title)}</h1>\n{teasers}\n' + (
            f'<p><a href="{esc(self.url(self.listing_path))}">Alle News</a></p>'
        )
        return self.page(self.title, main, canonical=self.url("/"))

    def article(self, a: ZooArticle) -> str:
        url = self.article_url(a)
        data = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.title,
            "alternativeHeadline": a.kicker,
            "description": a.teaser,
            "datePublished": a.published.isoformat(),
            "dateModified": a.modified.isoformat(),
            "mainEntityOfPage": url,
            "author": [{"@type": "Person", "name": a.author}] if a.author else [],
            "publisher": {"@type": "Organization", "name": "Vogel IT-Medien GmbH"},
        }
        kicker = f'<span class="inf-overline">{esc(a.kicker)}</span>\n' if a.kicker else ""
        author = f'<span class="inf-author">{esc(a.author)}</span>' if a.author else ""
        main = f"""<article class="inf-article-detail">
<header class="inf-article-detail__header">
{kicker}<h1 class="inf-article-detail__title">{esc(a.title)}</h1>
<div class="inf-article-detail__meta">{author} <time datetime="{a.published.isoformat()}">{short_date(a.published)}</time></div>
<p class="inf-text--lead">{esc(a.teaser)}</p>
</header>
<div class="inf-article-detail__body">
{paragraphs(a.body)}
</div>
</article>"""
        head = (
            f'<meta name="description" content="{esc(a.teaser)}" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
            '<meta property="og:type" content="article" />\n'
            f'<meta property="article:published_time" content="{a.published.isoformat()}" />\n'
            f'<script type="application/ld+json">{json.dumps(data, ensure_ascii=False)}</script>\n'
        )
        return self.page(a.title, main, canonical=url, head=head)

    def feed_entries(self) -> list[ZooArticle]:
        return self.dated[: self.feed_size]

    def feed(self, request: Request) -> Response | None:
        if request.path != self.feed_path:
            return None
        items = [
            f"<item>\n<title>{esc(a.title)}</title>\n<link>{esc(self.article_url(a))}</link>\n"
            f"<description>{esc(a.teaser)}</description>\n"
            f"<pubDate>{rfc822(a.published)}</pubDate>\n"
            f"<guid>{esc(self.article_url(a))}</guid>\n</item>"
            for a in self.feed_entries()
        ]
        text = rss(title="eGovernment - News", link=self.url("/"), description="News",
                   items=items, self_url=self.url(self.feed_path))  # fmt: skip
        return self.ok(text, RSS, self.dated[0].modified)


# -- DStGB ----------------------------------------------------------------------------------


class Dstgb(ZooSite):
    """The DStGB's press releases: a paged listing, no feed, no sitemap line; ``<title>T |
    DStGB</title>``. One release shows no date at all (the ``no_date`` defect)."""

    source = "dstgb"
    title = "DStGB"
    real_host = "www.dstgb.de"
    cms = "dstgb"
    day_only = True
    default_count = 15
    listing_path = "/publikationen/pressemitteilungen/"

    def article_path(self, article: ZooArticle) -> str:
        return f"{self.listing_path}{article.slug}/"

    def listing_page_path(self, page: int) -> str:
        return self.listing_path if page == 1 else f"{self.listing_path}?page={page}"

    def listing_page_of(self, request: Request) -> int | None:
        if request.path != self.listing_path:
            return None
        value = request.one("page")
        if value is None:
            return 1 if not request.raw_query else 0
        page = int(value) if value.isdigit() else 0
        return page if 1 <= page <= self.page_count else 0

    def shown_tags(self, article: ZooArticle) -> tuple[str, ...]:
        return ()

    def shown_author(self, article: ZooArticle) -> str | None:
        return None

    def route_extra(self, request: Request) -> Response | None:
        if request.path == "/aktuelles/" and not request.raw_query:
            # The news hub: the latest press releases, no news of its own in the zoo.
            items = "\n".join(self._item(a) for a in self.articles[:5])
            main = f'<h1>Aktuelles</h1>\n<ul class="press-list">\n{items}\n</ul>'
            html = _page(self, "Aktuelles | DStGB", main, canonical=self.url("/aktuelles/"))
            return self.ok(html, HTML, self.newest)
        return None

    def _date(self, a: ZooArticle) -> str:
        if not a.dated:
            return ""
        return (
            f'<p class="date"><time datetime="{a.published:%Y-%m-%d}">'
            f"{short_date(a.published)}</time></p>"
        )

    def _item(self, a: ZooArticle) -> str:
        return f"""<li class="list-item">
{self._date(a)}
<h3><a href="{esc(self.article_url(a))}">{esc(a.title)}</a></h3>
<p>{esc(a.teaser)}</p>
</li>"""

    def listing(self, page: int) -> str:
        items = "\n".join(self._item(a) for a in self.page_items(page))
        nav = []
        if page > 1:
            nav.append(f'<a class="prev" href="{esc(self.url(self.listing_page_path(page - 1)))}">'
                       "Vorherige</a>")  # fmt: skip
        if page < self.page_count:
            nav.append(f'<a class="next" rel="next" href="'
                       f'{esc(self.url(self.listing_page_path(page + 1)))}">Nächste</a>')  # fmt: skip
        main = (
            f'<h1>Pressemitteilungen</h1>\n<ul class="press-list">\n{items}\n</ul>\n'
            f'<nav class="pagination" aria-label="Seiten">{" ".join(nav)}</nav>'
        )
        return _page(self, f"Pressemitteilungen | {self.title}", main,
                     canonical=self.url(self.listing_page_path(page)))  # fmt: skip

    def home(self) -> str:
        items = "\n".join(self._item(a) for a in self.articles[:3])
        main = (
            f'<h1>Deutscher Städte- und Gemeindebund</h1>\n<ul class="press-list">\n{items}\n'
            f'</ul>\n<p><a href="{esc(self.url(self.listing_path))}">Alle Pressemitteilungen</a></p>'
        )
        return _page(self, "Startseite | DStGB", main, canonical=self.url("/"))

    def article(self, a: ZooArticle) -> str:
        main = f"""<article class="press-release">
<p class="type">Pressemitteilung</p>
{self._date(a)}
<h1>{esc(a.title)}</h1>
<p class="intro"><strong>{esc(a.teaser)}</strong></p>
{paragraphs(a.body)}
<p class="contact">Pressekontakt: Pressestelle des DStGB</p>
</article>"""
        head = (
            f'<meta name="description" content="{esc(a.teaser)}" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
        )
        return _page(self, f"{a.title} | {self.title}", main, canonical=self.article_url(a),
                     head=head)  # fmt: skip
