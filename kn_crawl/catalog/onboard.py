"""``kn-crawl sources add``: look at a site over plain HTTP and write its catalogue entry.

A handful of requests, without Scrapy: robots.txt first (obeyed as the crawl obeys it,
RFC 9309: unreachable means keep out), the page, its announced feeds (else the common feed
paths), its sitemaps. ``kn_crawl.catalog.discover`` decides what each answer means.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from urllib.parse import urlsplit

from kn_crawl.catalog import discover
from kn_crawl.catalog.load import BUNDLED_FILE, CatalogError, load_files
from kn_crawl.settings import Settings

ROBOTS_MAX_BYTES = 500 * 1024  # as the crawl (kn_crawl.crawling.robots)
HTML_TYPES = ("text/html", "application/xhtml+xml")


class OnboardError(Exception):
    """Why a source cannot be added, in one line; ``code`` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True, slots=True)
class Answer:
    url: str
    """The final URL, after redirects."""
    status: int
    content_type: str
    body: bytes


class Http:
    """GET with the crawl's User-Agent, timeout and size cap."""

    def __init__(self, settings: Settings) -> None:
        self.user_agent = settings.user_agent
        self.timeout = float(settings.download_timeout)
        self.max_bytes = settings.max_response_bytes
        self.requested: list[str] = []

    def get(self, url: str) -> Answer:
        """The answer, whatever its status; OSError (one line) when there is none."""
        self.requested.append(url)
        request = urllib.request.Request(
            url, headers={"User-Agent": self.user_agent, "Accept": "*/*"}
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return self._answer(response.geturl(), response.status, response.headers, response)
        except urllib.error.HTTPError as exc:
            with exc:
                return self._answer(exc.geturl() or url, exc.code, exc.headers, exc)
        except urllib.error.URLError as exc:
            raise OSError(_reason(exc.reason)) from None
        except TimeoutError:
            raise OSError(f"timed out after {self.timeout:g} s") from None
        except (ConnectionError, http.client.HTTPException, ValueError) as exc:
            raise OSError(_reason(exc)) from None

    def _answer(self, url: str, status: int, headers: Message, stream: object) -> Answer:
        body = stream.read(self.max_bytes + 1)  # type: ignore[attr-defined]
        if len(body) > self.max_bytes:
            raise OSError(f"larger than KN_MAX_RESPONSE_BYTES ({self.max_bytes} bytes)")
        return Answer(url, status, headers.get("Content-Type", ""), body)


def _reason(reason: object) -> str:
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror
    return str(reason) or type(reason).__name__


class Robots:
    """One site's robots.txt, as the crawl reads it: 2xx its rules (the first 500 KiB),
    4xx no rules, 5xx or no answer: unreachable (everything disallowed)."""

    def __init__(self, http: Http, site_url: str) -> None:
        from protego import Protego

        parts = urlsplit(site_url)
        self.url = f"{parts.scheme}://{parts.netloc}/robots.txt"
        self.user_agent = http.user_agent
        self.unreachable: str | None = None
        self.sitemaps: list[str] = []
        try:
            answer = http.get(self.url)
        except OSError as exc:
            self.unreachable = str(exc)
            answer = None
        if answer is not None and answer.status >= 500:
            self.unreachable = f"HTTP {answer.status}"
        text = ""
        if answer is not None and 200 <= answer.status < 300:
            head = answer.body[:ROBOTS_MAX_BYTES]
            text = head[: head.rfind(b"\n") + 1 or len(head)].decode("utf-8", "replace")
            self.sitemaps = discover.sitemaps_in_robots(text, self.url)
        self.rules = Protego.parse(text)

    def allowed(self, url: str) -> bool:
        return self.unreachable is None and bool(self.rules.can_fetch(url, self.user_agent))


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str
    kind: str
    how: str
    """``announced`` (``<link rel=alternate>``) or ``probed`` (a common feed path)."""


@dataclass(frozen=True, slots=True)
class FoundSitemap:
    url: str
    sitemap: discover.Sitemap


@dataclass
class Discovery:
    page_url: str
    base_url: str
    title: str
    family: str
    feeds: list[FoundFeed] = field(default_factory=list)
    sitemaps: list[FoundSitemap] = field(default_factory=list)
    pattern: str | None = None
    matched: int = 0
    """Links of the page the pattern matches."""
    notes: list[str] = field(default_factory=list)
    """What was looked at and not taken (a feed that is an HTML page, robots.txt)."""


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def discover_source(url: str, settings: Settings) -> Discovery:
    """What ``url`` (a site's news page) says about the site as a source. OnboardError when
    it cannot be read or nothing usable is found."""
    http = Http(settings)
    robots = Robots(http, url)
    if robots.unreachable is not None:
        raise OnboardError(
            f"{robots.url} unreachable ({robots.unreachable}): robots.txt that cannot be read "
            "means keep out (RFC 9309)"
        )
    if not robots.allowed(url):
        raise OnboardError(f"{robots.url} disallows {url} for kn-crawl")
    try:
        page = http.get(url)
    except OSError as exc:
        raise OnboardError(f"cannot fetch {url}: {exc}") from None
    if page.status >= 400:
        raise OnboardError(f"{url} answered HTTP {page.status}")
    media_type = page.content_type.split(";")[0].strip().lower()
    if media_type not in HTML_TYPES:
        raise OnboardError(f"{url} is not an HTML page ({media_type or 'no content type'})")
    if _origin(page.url) != _origin(url):
        robots = Robots(http, page.url)
        if not robots.allowed(page.url):
            raise OnboardError(f"{url} redirected to {page.url}, which robots.txt disallows")
    root, text = discover.read_page(page.body, page.content_type)
    base_url = _origin(page.url) + "/"
    found = Discovery(
        page_url=page.url,
        base_url=base_url,
        title=(discover.site_title(root) or urlsplit(page.url).netloc)[:200],
        family=discover.guess_family(root, text),
    )
    _find_feeds(http, robots, root, found)
    _find_sitemaps(http, robots, found)
    links = discover.page_links(root, page.url)
    found.pattern = discover.propose_pattern(links, page.url)
    if found.pattern is not None:
        compiled = re.compile(found.pattern)
        on_site = [link for link in links if link.startswith(base_url)]
        found.matched = sum(1 for link in on_site if compiled.search(_path_and_query(link)))
    if not found.feeds and found.pattern is None:
        raise OnboardError(
            f"nothing to crawl found at {url}: no feed (announced or at the common paths) "
            "and too few article links to propose a pattern"
        )
    return found


def _find_feeds(http: Http, robots: Robots, root: discover.Element, found: Discovery) -> None:
    """The feeds the page announces that parse as feeds; only without one, the common feed
    paths (the fallback, not a survey of the site)."""
    announced = discover.feed_links(root, found.page_url)
    for feed_url in discover.feed_candidates(found.page_url, announced):
        how = "announced" if feed_url in announced else "probed"
        if how == "probed" and found.feeds:
            break
        if not feed_url.startswith(found.base_url):
            found.notes.append(f"feed {feed_url}: on another site, not taken")
            continue
        if not robots.allowed(feed_url):
            found.notes.append(f"feed {feed_url}: disallowed by robots.txt")
            continue
        try:
            answer = http.get(feed_url)
        except OSError as exc:
            if how == "announced":
                found.notes.append(f"feed {feed_url}: {exc}")
            continue
        kind = discover.feed_kind(answer.body) if answer.status < 300 else None
        if kind is not None:
            found.feeds.append(FoundFeed(feed_url, kind, how))
        elif how == "announced":
            media = answer.content_type.split(";")[0].strip() or "no content type"
            why = f"HTTP {answer.status}" if answer.status >= 300 else f"not a feed ({media})"
            found.notes.append(f"feed {feed_url}: {why}")


def _find_sitemaps(http: Http, robots: Robots, found: Discovery) -> None:
    """The sitemaps robots.txt names, and ``/sitemap.xml``: those that parse as sitemaps."""
    for sitemap_url in dict.fromkeys([*robots.sitemaps, found.base_url + "sitemap.xml"]):
        if not robots.allowed(sitemap_url):
            continue
        try:
            answer = http.get(sitemap_url)
        except OSError:
            continue
        sitemap = discover.read_sitemap(answer.body) if answer.status < 300 else None
        if sitemap is not None:
            found.sitemaps.append(FoundSitemap(sitemap_url, sitemap))


def describe_sitemap(found: FoundSitemap) -> str:
    sitemap = found.sitemap
    news = "news " if sitemap.news and sitemap.kind == "urlset" else ""
    what = "sitemap index" if sitemap.kind == "index" else f"{news}sitemap"
    names = "sitemaps" if sitemap.kind == "index" else "URLs"
    extra = ", names a news sitemap" if sitemap.kind == "index" and sitemap.news else ""
    return f"{what}: {found.url} ({len(sitemap.urls)} {names}{extra})"


def _path_and_query(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


# --- the entry ---------------------------------------------------------------------------


def _toml_string(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)


def _toml_pattern(value: str) -> str:
    """A regex as a TOML literal string (no escaping of backslashes), where it can be one."""
    if "'" not in value and not any(ord(c) < 32 for c in value):
        return f"'{value}'"
    return _toml_string(value)


def _relative(url: str, base_url: str) -> str:
    rest = url[len(base_url) :] if url.startswith(base_url) else url
    return rest or "/"


def entry_text(name: str, found: Discovery, *, title: str, source_url: str, today: str) -> str:
    """The catalogue entry for ``found``, with comments on how it was found."""
    lines = [f"# Added by `kn-crawl sources add {source_url}` on {today}."]
    for found_sitemap in found.sitemaps:
        lines.append(f"# {describe_sitemap(found_sitemap)}")
    lines += [
        f"[sources.{name}]",
        f"title = {_toml_string(title)}",
        f"family = {_toml_string(found.family)}",
        f"base_url = {_toml_string(found.base_url)}",
    ]
    if found.feeds:
        feeds = ", ".join(_toml_string(_relative(f.url, found.base_url)) for f in found.feeds)
        lines.append(f"feeds = [{feeds}]")
    if found.pattern is not None:
        lines.append(f"listings = [{_toml_string(_relative(found.page_url, found.base_url))}]")
        lines.append(f"article_pattern = {_toml_pattern(found.pattern)}")
    return "\n".join(lines) + "\n"


FILE_HEADER = (
    "# Your source catalogue (KN_SOURCES_FILE): entries here add to, override or disable\n"
    '# those of the bundled kn_crawl/catalog/sources.toml. See the README, "Sources".\n'
)


def append_entry(path: Path, text: str) -> None:
    """Append ``text`` to the catalogue file ``path`` (created if missing) when the result
    loads; CatalogError (naming ``path``) and an unchanged file when it does not."""
    old = path.read_text(encoding="utf-8") if path.exists() else FILE_HEADER
    if old and not old.endswith("\n"):
        old += "\n"
    new = f"{old}\n{text}"
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(new, encoding="utf-8")
    try:
        load_files((BUNDLED_FILE, temporary))
    except CatalogError as exc:
        temporary.unlink()
        raise CatalogError(str(exc).replace(str(temporary), str(path))) from None
    os.replace(temporary, path)


def today() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d")
