"""One mirrored site as an HTTP application: state, routing, caching, conditional requests.

Transport-free: :meth:`SiteApp.handle` takes a method, a raw path and the request headers and
returns a :class:`Response`; the server module only moves bytes. Pages are rendered on first
request and kept in a byte-bounded LRU cache, so a 5,000-article mirror starts in well under a
second and serves cached pages at socket speed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from kn_crawl.mirror.catalog import Catalog
from kn_crawl.mirror.generate import TODAY, more_articles
from kn_crawl.mirror.model import BERLIN, Article, Defect, ExpectedArticle, ExpectedCounts, Response
from kn_crawl.mirror.render import SiteView
from kn_crawl.mirror.sites import SiteSpec
from kn_crawl.mirror.urls import OLD_PATH, article_path

FAULTS = frozenset(
    {"no_dates", "empty_listings", "robots_500", "unavailable", "mostly_unavailable"}
)
# "mostly_unavailable": of every 10 requests (robots.txt aside), the 10th is answered.
MOSTLY_UNAVAILABLE_EVERY = 10
CACHE_BYTES = 96 * 1024 * 1024
STATIC_MODIFIED = datetime(2025, 1, 2, 9, 0, tzinfo=BERLIN)

HTML = "text/html; charset=utf-8"
# 43-byte transparent GIF: image URLs resolve, nobody needs real pictures.
PIXEL = bytes.fromhex(
    "47494638396101000100800000ffffff00000021f90401000000002c00000000010001000002024401003b"
)
ASSET_TYPES = {
    ".css": ("text/css; charset=utf-8", b"/* theme styles */\nbody{margin:0}\n"),
    ".js": ("application/javascript; charset=utf-8", b"/* theme script */\n"),
    ".jpg": ("image/gif", PIXEL),
    ".png": ("image/gif", PIXEL),
    ".gif": ("image/gif", PIXEL),
    ".svg": ("image/svg+xml", b'<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'),
}
ERROR_500 = (
    b'<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>WordPress &rsaquo; '
    b'Fehler</title></head><body id="error-page"><div class="wp-die-message"><h1>Fehler beim '
    b"Aufbau einer Datenbankverbindung</h1></div></body></html>\n"
)
ERROR_503 = (
    '<!DOCTYPE html><html lang="de"><head><meta charset="utf-8"><title>Wartungsmodus</title>'
    "</head><body><h1>Kurzzeitig nicht verfügbar</h1><p>Wegen planmäßiger Wartungsarbeiten "
    "kurzzeitig nicht verfügbar. Schau gleich noch einmal vorbei.</p></body></html>\n"
).encode()

_ARCHIVE = re.compile(r"^/k21-meldungen/(?:page/(\d+)/)?$")
_TERM = re.compile(r"^/(k21-themen|tag)/([a-z0-9-]+)/(?:page/(\d+)/)?$")
_ARTICLE = re.compile(r"^/k21-meldungen/([a-z0-9-]+)(/?)$")
_SITEMAP = re.compile(r"^/wp-sitemap-posts-k21_meldung-(\d+)\.xml$")


def _ok(body: str | bytes, content_type: str, modified: datetime | None) -> Response:
    data = body.encode("utf-8") if isinstance(body, str) else body
    etag = f'"{hashlib.sha1(data).hexdigest()[:20]}"'
    headers = [("Content-Type", content_type), ("ETag", etag)]
    if modified is not None:
        headers.append(("Last-Modified", format_datetime(modified.astimezone(UTC), usegmt=True)))
    return Response(200, headers, data, etag, modified)


def _redirect(location: str) -> Response:
    body = f'<a href="{location}">Moved Permanently</a>\n'.encode()
    return Response(301, [("Location", location), ("Content-Type", HTML)], body)


class SiteApp:
    """State of one site. Mutations rebuild the catalog and drop the page cache; readers take a
    consistent snapshot under the lock and render outside it."""

    def __init__(self, spec: SiteSpec, articles: tuple[Article, ...], *, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self._lock = threading.Lock()
        self._articles = list(articles)
        self._today = TODAY
        self._clock = datetime.combine(TODAY, time(8, 0), BERLIN)
        self._fault: str | None = None
        self._base_url = f"http://{spec.real_host}/"
        self._publish_serial = 0
        self._flaky_served: set[str] = set()
        self._fault_requests = 0
        self._cache: OrderedDict[str, Response] = OrderedDict()
        self._cache_bytes = 0
        self._generation = 0
        self._rebuild()

    # -- state -----------------------------------------------------------------------------

    def _rebuild(self) -> None:
        """Caller holds the lock (or is __init__)."""
        self._catalog = Catalog(self.spec, self._articles)
        self._view = SiteView(
            self.spec,
            self._catalog,
            self._base_url,
            self._today,
            show_dates=self._fault != "no_dates",
            empty_listings=self._fault == "empty_listings",
        )
        self._cache.clear()
        self._cache_bytes = 0
        self._generation += 1
        old = sorted((a for a in self._articles if a.old_layout), key=lambda a: a.id)
        # The two old-layout pages differ in how they show the date: "[dd.mm.yyyy]" vs plain.
        self._old_variants = {a.id: ("bracket", "plain")[i % 2] for i, a in enumerate(old)}
        self._flaky_paths = {
            article_path(a.slug) for a in self._articles if a.defect is Defect.FLAKY
        }

    @property
    def base_url(self) -> str:
        return self._base_url

    @base_url.setter
    def base_url(self, value: str) -> None:
        with self._lock:
            self._base_url = value
            self._rebuild()

    def reset_flaky(self) -> None:
        with self._lock:
            self._flaky_served.clear()

    @property
    def catalog(self) -> Catalog:
        return self._catalog

    def expected(self) -> ExpectedCounts:
        return self._catalog.expected()

    def article_urls(self) -> list[str]:
        view = self._view
        return [view.article_url(a) for a in self._catalog.ordered if a.storable]

    def expected_articles(self) -> list[ExpectedArticle]:
        view, catalog = self._view, self._catalog
        return [
            catalog.expected_article(a, view.article_url(a)) for a in catalog.ordered if a.storable
        ]

    def find(self, url_or_slug: str) -> Article:
        """Accept a full URL, a path, a slug, or an old ``/meldung_N…`` form."""
        path = urlsplit(url_or_slug).path if "/" in url_or_slug else url_or_slug
        if old := OLD_PATH.match(path):
            article = self._catalog.by_id.get(int(old.group(1)))
        else:
            slug = path.removeprefix("/k21-meldungen/").strip("/")
            article = self._catalog.by_slug.get(slug)
        if article is None:
            raise KeyError(f"{self.spec.source}: no article {url_or_slug!r}")
        return article

    def _tick(self) -> datetime:
        """Advance the site clock past every existing modification (for Last-Modified)."""
        self._clock = max(self._clock, self._catalog.newest_modified) + timedelta(minutes=1)
        return self._clock

    def edit(
        self,
        url_or_slug: str,
        *,
        title: str | None = None,
        teaser: str | None = None,
        body: str | None = None,
        tags: list[str] | None = None,
    ) -> None:
        with self._lock:
            article = self.find(url_or_slug)
            changes: dict[str, object] = {"modified": self._tick()}
            if title is not None:
                changes["title"] = title  # WordPress keeps the slug of a published post
            if teaser is not None:
                changes["teaser"] = teaser
            if body is not None:
                changes["body"] = tuple(p.strip() for p in body.split("\n\n") if p.strip())
            if tags is not None:
                changes["tags"] = tuple(tags)
            edited = dataclasses.replace(article, **changes)  # type: ignore[arg-type]
            self._articles = [edited if a.id == article.id else a for a in self._articles]
            self._rebuild()

    def publish(self, n: int) -> list[str]:
        with self._lock:
            after = max(self._catalog.ordered[0].published, self._tick())
            new = more_articles(
                self.spec, self._articles, n, self.seed, self._publish_serial, after
            )
            self._publish_serial += n
            self._articles.extend(new)
            self._clock = max(self._clock, new[-1].published)
            self._today = max(self._today, new[-1].published.date())
            self._rebuild()
            return [self._view.article_url(a) for a in new]

    def set_fault(self, fault: str | None) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {sorted(FAULTS)}")
        with self._lock:
            self._fault = fault
            self._fault_requests = 0
            self._rebuild()

    # -- requests --------------------------------------------------------------------------

    def handle(self, raw_path: str, headers: Mapping[str, str]) -> Response:
        """Answer one request; ``headers`` keys are lower-case."""
        if self._fault == "unavailable":
            return Response(503, [("Content-Type", HTML), ("Retry-After", "120")], ERROR_503)
        if self._fault == "mostly_unavailable" and raw_path != "/robots.txt":
            # An overloaded site: 9 of 10 requests fail, deterministically by their order.
            with self._lock:
                self._fault_requests += 1
                answered = self._fault_requests % MOSTLY_UNAVAILABLE_EVERY == 0
            if not answered:
                return Response(503, [("Content-Type", HTML)], ERROR_503)
        with self._lock:
            generation, cached = self._generation, self._cache.get(raw_path)
            if cached is not None:
                self._cache.move_to_end(raw_path)
            first_flaky = raw_path in self._flaky_paths - self._flaky_served
            if first_flaky:
                self._flaky_served.add(raw_path)
        if first_flaky:
            # A real site's hiccup: the first request fails, a retry succeeds.
            return Response(500, [("Content-Type", HTML)], ERROR_500)
        response = cached or self._route(raw_path)
        if cached is None and response.status in (200, 301, 404):
            self._store(raw_path, response, generation)
        return self._conditional(response, headers)

    def _store(self, key: str, response: Response, generation: int) -> None:
        with self._lock:
            if generation != self._generation or key in self._cache:
                return
            self._cache[key] = response
            self._cache_bytes += len(response.body)
            while self._cache_bytes > CACHE_BYTES and self._cache:
                _, dropped = self._cache.popitem(last=False)
                self._cache_bytes -= len(dropped.body)

    @staticmethod
    def _conditional(response: Response, headers: Mapping[str, str]) -> Response:
        if response.status != 200:
            return response
        not_modified = False
        if (inm := headers.get("if-none-match")) is not None:
            tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
            not_modified = "*" in tags or response.etag in tags
        elif (ims := headers.get("if-modified-since")) and response.last_modified:
            try:
                since = parsedate_to_datetime(ims)
            except (TypeError, ValueError):
                since = None
            if since is not None and since.tzinfo is not None:
                not_modified = int(response.last_modified.timestamp()) <= since.timestamp()
        if not not_modified:
            return response
        kept = [(k, v) for k, v in response.headers if k in ("ETag", "Last-Modified")]
        return Response(304, kept, b"", response.etag, response.last_modified)

    def _route(self, raw_path: str) -> Response:
        with self._lock:
            view, catalog = self._view, self._catalog
        split = urlsplit(raw_path)
        path, query = split.path, parse_qs(split.query)
        url = view.url

        if path == "/":
            if "p" in query:
                article = catalog.by_id.get(int(query["p"][0])) if query["p"][0].isdigit() else None
                return self._to_article(article, view)
            if "s" in query:
                # Search is disallowed by robots.txt; answer like WordPress with an empty result.
                return _ok(view.page("/", status_404=True), HTML, None)
            return _ok(view.home(), HTML, catalog.newest_modified)
        if path == "/robots.txt":
            if self._fault == "robots_500":
                return Response(500, [("Content-Type", HTML)], ERROR_500)
            return _ok(view.robots(), "text/plain; charset=utf-8", STATIC_MODIFIED)
        if path in ("/feed/", "/k21-meldungen/feed", "/k21-meldungen/feed/"):
            return _ok(
                view.feed(path), "application/rss+xml; charset=UTF-8", catalog.newest_modified
            )
        if path in ("/feed", "/k21-meldungen"):
            return _redirect(url(path + "/"))
        if m := _ARCHIVE.match(path):
            return self._listing(view, "archive", None, m.group(1), "/k21-meldungen/")
        if m := _TERM.match(path):
            kind = "section" if m.group(1) == "k21-themen" else "tag"
            return self._listing(view, kind, m.group(2), m.group(3), f"/{m.group(1)}/{m.group(2)}/")
        if m := _ARTICLE.match(path):
            article = catalog.by_slug.get(m.group(1))
            if article is None or article.defect is Defect.MISSING:
                return self._not_found(view)
            if not m.group(2):
                return _redirect(view.article_url(article))
            return self._article(view, article)
        if m := OLD_PATH.match(path):
            article = catalog.by_id.get(int(m.group(1)))
            if article is not None and m.group(2) and article.old_layout:
                variant = self._old_variants[article.id]
                dated = view.show_dates
                return _ok(
                    view.old_article(article, variant), HTML, article.modified if dated else None
                )
            return self._to_article(article, view)
        if path in self.spec.pages:
            return _ok(view.page(path), HTML, STATIC_MODIFIED)
        if path == "/wp-sitemap.xml":
            return _ok(
                view.sitemap_index(), "application/xml; charset=UTF-8", catalog.newest_modified
            )
        if (m := _SITEMAP.match(path)) and (xml := view.sitemap(int(m.group(1)))):
            return _ok(xml, "application/xml; charset=UTF-8", catalog.newest_modified)
        for suffix, (content_type, data) in ASSET_TYPES.items():
            if path.endswith(suffix) and path.startswith(("/wp-", "/css/", "/js/", "/images/")):
                return _ok(data, content_type, STATIC_MODIFIED)
        return self._not_found(view)

    def _listing(
        self, view: SiteView, kind: str, key: str | None, page_text: str | None, prefix: str
    ) -> Response:
        page = int(page_text) if page_text else 1
        if page_text is not None and page == 1:
            return _redirect(view.url(prefix))  # WordPress sends /page/1/ to the first page
        html = view.listing(kind, key, page)
        if html is None:
            return self._not_found(view)
        catalog = view.catalog
        section = catalog.section_slugs.get(key or "") if kind == "section" else None
        modified = catalog.section_modified(section) if section else catalog.newest_modified
        return _ok(html, HTML, modified)

    def _article(self, view: SiteView, article: Article) -> Response:
        html = view.article(article)
        dated = view.show_dates and article.defect not in (Defect.NO_DATE, Defect.INVALID_DATE)
        # An undated page must not leak a date through Last-Modified either.
        modified = article.modified if dated else None
        if article.defect is Defect.LATIN1:
            data = html.encode("iso-8859-1", errors="xmlcharrefreplace")
            return _ok(data, "text/html; charset=ISO-8859-1", modified)
        return _ok(html, HTML, modified)

    def _to_article(self, article: Article | None, view: SiteView) -> Response:
        if article is None or article.defect is Defect.MISSING:
            return self._not_found(view)
        return _redirect(view.article_url(article))

    @staticmethod
    def _not_found(view: SiteView) -> Response:
        return Response(404, [("Content-Type", HTML)], view.page("", status_404=True).encode())
