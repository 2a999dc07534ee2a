# ruff: noqa: E501 - page markup reads better unbroken, line by line as the CMS writes it.
"""Sites on the federal Government Site Builder (GSB): the BSI's press releases (with an RSS
feed) and Digitale Verwaltung, whose RSS feed answers every client without the cookie-check
cookie with an HTML page (status 200, ``text/html``) that sets the cookie by JavaScript only, so
a crawler never gets past it; its listing works.

GSB traits modelled: listings at ``…_node.html`` (``…-node.html`` on newer sites), paged with
``?gtp=<id>_list%253D<n>`` (the page parameter encoded twice), articles under ``/SharedDocs/…``,
``Ort:``/``Datum`` lines and long German dates, no sitemap line in robots.txt.
"""

from __future__ import annotations

from urllib.parse import unquote

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


class GsbSite(ZooSite):
    cms = "gsb"
    day_only = True
    list_id = ""
    articles_dir = ""
    ort = "Berlin"
    breadcrumb: tuple[str, ...] = ()

    def article_path(self, article: ZooArticle) -> str:
        return f"{self.articles_dir}{article.published:%Y/%m}/{article.slug}.html"

    def listing_page_path(self, page: int) -> str:
        if page == 1:
            return self.listing_path
        return f"{self.listing_path}?gtp={self.list_id}_list%253D{page}"

    def listing_page_of(self, request: Request) -> int | None:
        if request.path != self.listing_path:
            return None
        gtp = request.one("gtp")
        if gtp is None:
            return 1 if not request.raw_query else 0
        # parse_qs undid one level of encoding: "<id>_list%3D2" -> "<id>_list=2".
        key, _, value = unquote(gtp).partition("=")
        if key != f"{self.list_id}_list" or not value.isdigit():
            return 0
        page = int(value)
        return page if 1 <= page <= self.page_count else 0

    def display_date(self, a: ZooArticle) -> str:
        return long_date(a.published)

    def shell(self, title: str, main: str, *, canonical: str, head: str = "") -> str:
        crumbs = "".join(f"<li>{esc(c)}</li>" for c in self.breadcrumb)
        return f"""<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="UTF-8" />
<title>{esc(title)}</title>
<meta name="generator" content="Government Site Builder" />
<meta name="viewport" content="width=device-width, initial-scale=1" />
<link rel="canonical" href="{esc(canonical)}" />
{head}<link rel="stylesheet" href="{esc(self.url("/SiteGlobals/Frontend/Styles/main.css?__blob=normal&v=12"))}" type="text/css" />
</head>
<body class="gsb">
<div id="wrapperOuter"><div id="wrapperInner">
<header id="header"><p class="logo"><a href="{esc(self.url("/DE/Home/home_node.html"))}" title="Zur Startseite">{esc(self.title)}</a></p></header>
<nav id="breadcrumb" aria-label="Sie sind hier:"><ol>{crumbs}</ol></nav>
<main id="main" class="main">
<div id="content" class="content">
{main}
</div>
</main>
<footer id="footer"><ul><li><a href="{esc(self.url("/DE/Service-Navi/Impressum/impressum_node.html"))}">Impressum</a></li></ul></footer>
</div></div>
</body>
</html>
"""

    def _teaser(self, a: ZooArticle) -> str:
        url = esc(self.article_url(a))
        return f"""<div class="teaser">
<p class="teaser-meta"><span class="docType">Pressemitteilung</span> <span class="date">Datum {short_date(a.published)}</span></p>
<h2 class="teaser-title"><a href="{url}" title="{esc(a.title)}">{esc(a.title)}</a></h2>
<p class="teaser-text">{esc(a.teaser)}</p>
</div>"""

    def _pagination(self, page: int) -> str:
        items = []
        for n in range(1, self.page_count + 1):
            if n == page:
                items.append(f'<li><strong><span class="aural">Seite </span>{n}</strong></li>')
            else:
                href = esc(self.url(self.listing_page_path(n)))
                items.append(f'<li><a href="{href}"><span class="aural">Seite </span>{n}</a></li>')
        if page < self.page_count:
            href = esc(self.url(self.listing_page_path(page + 1)))
            items.append(
                f'<li class="forward"><a href="{href}" rel="next" title="nächste Seite">weiter</a></li>'
            )
        return f'<div class="navIndex"><ul>{"".join(items)}</ul></div>'

    def listing(self, page: int) -> str:
        total = len(self.articles)
        first = (page - 1) * self.per_page + 1
        last = min(page * self.per_page, total)
        teasers = "\n".join(self._teaser(a) for a in self.page_items(page))
        main = f"""<h1 class="isFirstInSlot">{esc(self.breadcrumb[-1] if self.breadcrumb else "Aktuelles")}</h1>
<div class="searchresult"><p class="resultCount">Ergebnisse {first} bis {last} von insgesamt {total}</p>
{teasers}
{self._pagination(page)}
</div>"""
        return self.shell(
            f"{self.title} - {self.breadcrumb[-1] if self.breadcrumb else 'Aktuelles'}",
            main,
            canonical=self.url(self.listing_page_path(page)),
        )

    def home(self) -> str:
        teasers = "\n".join(self._teaser(a) for a in self.articles[:3])
        main = (
            f'<h1 class="isFirstInSlot">{esc(self.title)}</h1>\n{teasers}\n'
            f'<p class="more"><a href="{esc(self.url(self.listing_path))}">Alle Meldungen</a></p>'
        )
        return self.shell(self.title, main, canonical=self.url("/"))

    def article(self, a: ZooArticle) -> str:
        main = f"""<div class="article">
<p class="metadata"><span class="docType">Pressemitteilung</span></p>
<h1 class="isFirstInSlot">{esc(a.title)}</h1>
<div class="text">
<p class="date"><span class="label">Ort:</span> {esc(self.ort)} <span class="label">Datum:</span> {self.display_date(a)}</p>
<p class="abstract"><strong>{esc(a.teaser)}</strong></p>
{paragraphs(a.body)}
</div>
<div class="sectionRelated"><p><a href="{esc(self.url(self.listing_path))}">Zur Übersicht</a></p></div>
</div>"""
        head = (
            f'<meta name="description" content="{esc(a.teaser)}" />\n'
            f'<meta property="og:title" content="{esc(a.title)}" />\n'
            f'<meta property="og:description" content="{esc(a.teaser)}" />\n'
        )
        return self.shell(f"{self.title} - {a.title}", main, canonical=self.article_url(a),
                          head=head)  # fmt: skip

    def shown_tags(self, article: ZooArticle) -> tuple[str, ...]:
        return ()  # GSB press releases show no keywords

    def shown_author(self, article: ZooArticle) -> str | None:
        return None

    def route_extra(self, request: Request) -> Response | None:
        if request.path == "/DE/Home/home_node.html" and not request.raw_query:
            return self.ok(self.home(), HTML, self.newest)
        return None

    def rss_text(self) -> str:
        items = []
        for a in self.dated[: self.feed_size]:
            items.append(
                f"<item>\n<title>{esc(a.title)}</title>\n<link>{esc(self.article_url(a))}</link>\n"
                f"<description>{esc(a.teaser)}</description>\n"
                f"<pubDate>{rfc822(a.published)}</pubDate>\n"
                f"<guid>{esc(self.article_url(a))}</guid>\n</item>"
            )
        return rss(
            title=f"{self.title} - RSS-Newsfeed",
            link=self.url("/"),
            description=f"Aktuelle Meldungen von {self.title}",
            items=items,
            self_url=self.url(self.feed_path or ""),
        )

    def feed_entries(self) -> list[ZooArticle]:
        return self.dated[: self.feed_size]


class Bsi(GsbSite):
    source = "bsi"
    title = "Bundesamt für Sicherheit in der Informationstechnik"
    real_host = "www.bsi.bund.de"
    default_count = 16
    ort = "Bonn"
    list_id = "913608"
    listing_path = "/DE/Service-Navi/Presse/Pressemitteilungen/pressemitteilungen_node.html"
    articles_dir = "/SharedDocs/Pressemitteilungen/DE/"
    feed_path = "/SiteGlobals/Functions/RSSFeed/RSSNewsfeed/RSSNewsfeed.xml"
    breadcrumb = ("Startseite", "Presse", "Pressemitteilungen")

    def article_path(self, article: ZooArticle) -> str:
        return f"{self.articles_dir}{article.published:%Y/%m}/pm-{article.slug}.html"

    def display_date(self, a: ZooArticle) -> str:
        return short_date(a.published)

    def feed(self, request: Request) -> Response | None:
        if request.path != self.feed_path:
            return None
        return self.ok(self.rss_text(), RSS, self.dated[0].modified)


COOKIE_NAME = "gsbCookieCheck"
COOKIE_WALL = """<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="UTF-8" />
<title>Cookie-Überprüfung</title>
<meta name="robots" content="noindex, nofollow" />
<script>
document.cookie = "{name}=1; path=/; SameSite=Lax";
window.location.reload();
</script>
</head>
<body>
<h1>Bitte aktivieren Sie Cookies</h1>
<p>Diese Seite benötigt Cookies und JavaScript. Sie werden gleich weitergeleitet.</p>
<noscript><p>Bitte aktivieren Sie JavaScript, um fortzufahren.</p></noscript>
</body>
</html>
""".replace("{name}", COOKIE_NAME)


class DigitaleVerwaltung(GsbSite):
    source = "digitaleverwaltung"
    title = "Digitale Verwaltung"
    real_host = "www.digitale-verwaltung.de"
    default_count = 14
    list_id = "2091456"
    listing_path = "/Webs/DV/DE/aktuelles-service/aktuelles-service-node.html"
    articles_dir = "/SharedDocs/kurzmeldungen/Webs/DV/DE/"
    feed_path = "/SiteGlobals/Functions/RSSFeed/DV/RSSNewsfeed/RSSNewsfeed.xml"
    breadcrumb = ("Startseite", "Aktuelles & Service")

    def feed(self, request: Request) -> Response | None:
        if request.path != self.feed_path:
            return None
        cookies = request.headers.get("cookie", "")
        if f"{COOKIE_NAME}=1" in cookies.replace(" ", "").split(";"):
            return self.ok(self.rss_text(), RSS, self.dated[0].modified)
        # The wall: 200 text/html, no Set-Cookie header (the cookie is set by JavaScript).
        response = self.ok(COOKIE_WALL, HTML, None)
        response.headers.append(("Cache-Control", "no-store"))
        return response

    def feed_entries(self) -> list[ZooArticle]:
        return []  # nothing a crawler can read: the wall stands before the feed

    def expected_drops(self) -> dict[str, int]:
        return {"feed_is_html": 1}
