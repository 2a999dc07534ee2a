"""The fleet: many small news sites on several loopback addresses, for the batch and cluster
tests and ``bench/bench_cluster.py``.

Each fleet source is a town's newsroom on WordPress (the zoo's WordPress theme: a feed, the home
page as the listing, date permalinks, ETag and Last-Modified so an unchanged refresh is all
304s) with a few dated articles of its own, generated from the mirror's word material. The
sources are spread over loopback addresses (127.0.0.2, 127.0.0.3, … — several sources per
address); each address is one web host (the unit of politeness and of the cluster's host lock)
and is served by ONE threading server that routes by the path's first segment
(``http://127.0.0.2:PORT/fleet0007/``), so 1,000 sources need 40 servers, not 1,000. Every
answer waits ``delay`` seconds first, so a crawl is I/O-bound like one on the real web. The
address's ``/robots.txt`` is shared by its sources (one origin).

    with Fleet(sources=40, per_address=10, delay=0.02) as fleet:
        fleet.write_catalog(tmp_path / "kn-sources.toml")  # KN_SOURCES_FILE
        ...  # crawl
        fleet.ground_truth()  # {"fleet0001": {article URL, ...}, ...}
        fleet.max_in_flight()  # {"127.0.0.2": 2, ...} from the request log

Linux answers on the whole of 127.0.0.0/8 without set-up; elsewhere only 127.0.0.1 may exist.
"""

from __future__ import annotations

import re
import threading
import time
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self

from kn_crawl.mirror.app import STATIC_MODIFIED, SiteApp, _ok
from kn_crawl.mirror.model import ExpectedArticle, Response
from kn_crawl.mirror.server import _Handler, _SiteServer
from kn_crawl.mirror.vocab import CITIES
from kn_crawl.mirror.zoo import generate
from kn_crawl.mirror.zoo.base import TEXT, ZooArticle
from kn_crawl.mirror.zoo.wordpress import WordPressSite

ROBOTS = "User-agent: *\nDisallow: /wp-admin/\n"
"""One robots.txt per address, shared by its sources: nothing of the news is disallowed."""
_SECTIONS = ("Rathaus", "Digitalisierung", "Bürgerservice", "Stadtentwicklung")
_FIRST_SEGMENT = re.compile(r"^/([a-z][a-z0-9_]*)(/.*)?$")


class FleetSite(WordPressSite):
    """One town's newsroom: the home page lists the news (ten per page), articles at date
    permalinks, the feed at ``feed/``; no sitemap (robots.txt is the address's)."""

    listing_path = "/"
    sitemap_path = None
    per_page = 10
    feed_size = 10

    def __init__(self, name: str, title: str, articles: Sequence[ZooArticle]) -> None:
        self.source = name
        self.title = title
        self.real_host = f"www.{name}.example"
        self.tagline = f"Nachrichten aus dem Rathaus {title.removeprefix('Stadt ')}"
        super().__init__(articles)

    def article_path(self, article: ZooArticle) -> str:
        return f"/{article.published:%Y/%m/%d}/{article.slug}/"


@dataclass(frozen=True, slots=True)
class FleetRequest:
    """One request as the fleet answered it; ``start`` and ``end`` are ``time.monotonic()``
    (the request read, the answer about to be written), so intervals of one address that
    overlap were in flight together."""

    address: str
    path: str
    source: str | None
    """The fleet source the path belongs to; None for ``/robots.txt`` and unknown paths."""
    status: int
    conditional: bool
    start: float
    end: float


def max_in_flight(requests: Iterable[FleetRequest], key: str = "address") -> dict[str, int]:
    """The most requests answered at the same time per address (``key="source"``: per
    source), from their intervals. An answer that ends at the moment another starts does not
    overlap it."""
    events: dict[str, list[tuple[float, int]]] = {}
    for r in requests:
        name = getattr(r, key)
        if name is None:
            continue
        events.setdefault(name, []).extend(((r.start, 1), (r.end, -1)))
    result: dict[str, int] = {}
    for name, points in events.items():
        points.sort()  # at one instant the end (-1) sorts before the start (+1)
        now = peak = 0
        for _at, step in points:
            now += step
            peak = max(peak, now)
        result[name] = peak
    return result


class _FleetHandler(_Handler):
    server: _AddressServer

    def _serve(self, *, send_body: bool) -> None:
        start = time.monotonic()
        headers = {name.lower(): value for name, value in self.headers.items()}
        source, response = self.server.answer(self.path, headers)
        delay = self.server.fleet.delay
        if delay > 0:
            time.sleep(delay)
        # Logged before the answer leaves: a client that has its answer finds its request in
        # the log. The interval ends as the bytes go out (a small answer is one write), so
        # what follows the answer never overlaps it.
        self.server.fleet._record(
            FleetRequest(
                address=self.server.address,
                path=self.path,
                source=source,
                status=response.status,
                conditional="if-none-match" in headers or "if-modified-since" in headers,
                start=start,
                end=time.monotonic(),
            )
        )
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        if response.status != 304:
            self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if send_body and response.status != 304:
            self.wfile.write(response.body)


class _AddressServer(_SiteServer):
    """All fleet sources of one loopback address."""

    def __init__(self, fleet: Fleet, address: str, sites: dict[str, FleetSite]) -> None:
        # _SiteServer wants an app; the fleet routes itself (``answer``).
        self.fleet = fleet
        self.address = address
        self.sites = sites
        super().__init__((address, 0), None, lambda _record: None)  # type: ignore[arg-type]
        self.RequestHandlerClass = _FleetHandler

    def answer(self, raw_path: str, headers: dict[str, str]) -> tuple[str | None, Response]:
        if raw_path == "/robots.txt":
            return None, SiteApp._conditional(_ok(ROBOTS, TEXT, STATIC_MODIFIED), headers)
        match = _FIRST_SEGMENT.match(raw_path)
        site = self.sites.get(match.group(1)) if match else None
        if match is None or site is None:
            return None, Response(404, [("Content-Type", TEXT)], b"not found\n")
        rest = match.group(2) or "/"
        return site.source, SiteApp._conditional(site.route(rest, headers), headers)


class Fleet:
    """``sources`` fleet sources named ``fleet0001`` … on ``ceil(sources / per_address)``
    loopback addresses from ``127.0.0.<first_address>`` on (then 127.0.1.x …), each with
    ``articles`` articles; every answer is sent after ``delay`` seconds (changeable while
    serving). Deterministic in (sources, articles, seed) up to the ports."""

    def __init__(
        self,
        sources: int = 20,
        *,
        per_address: int = 5,
        articles: int = 4,
        delay: float = 0.0,
        seed: int = 21,
        first_address: int = 2,
    ) -> None:
        if sources < 1 or per_address < 1 or articles < 1:
            raise ValueError("a fleet needs at least one source, address slot and article")
        self.delay = delay
        self.seed = seed
        self.names: tuple[str, ...] = tuple(f"fleet{i:04d}" for i in range(1, sources + 1))
        self.address_of: dict[str, str] = {}
        """Source name -> its loopback address (its web host)."""
        by_address: dict[str, dict[str, FleetSite]] = {}
        for i, name in enumerate(self.names):
            slot = first_address + i // per_address
            address = f"127.0.{slot // 254}.{slot % 254 + (0 if slot < 254 else 1)}"
            city = CITIES[i % len(CITIES)]
            title = f"Stadt {city}" + (f" {i // len(CITIES) + 1}" if i >= len(CITIES) else "")
            items = generate.articles(
                name,
                title,
                articles,
                seed,
                id_base=10_000 * (i + 1),
                sections=_SECTIONS,
                authors=i % 2 == 0,
            )
            by_address.setdefault(address, {})[name] = FleetSite(name, title, items)
            self.address_of[name] = address
        self.addresses: tuple[str, ...] = tuple(by_address)
        self._sites = by_address
        self._servers: dict[str, _AddressServer] = {}
        self._threads: list[threading.Thread] = []
        self._requests: list[FleetRequest] = []
        self._lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        if self._servers:
            return
        for address, sites in self._sites.items():
            server = _AddressServer(self, address, sites)
            self._servers[address] = server
            port = server.server_address[1]
            for name, site in sites.items():
                site.base_url = f"http://{address}:{port}/{name}/"
        for address, server in self._servers.items():
            thread = threading.Thread(
                target=server.serve_forever,
                kwargs={"poll_interval": 0.1},
                name=f"fleet-{address}",
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.close_connections()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what is served --------------------------------------------------------------------

    def _site(self, name: str) -> FleetSite:
        if not self._servers:
            raise RuntimeError("the fleet's base URLs are known after start()")
        return self._sites[self.address_of[name]][name]

    @property
    def base_urls(self) -> dict[str, str]:
        return {name: self._site(name).base_url for name in self.names}

    def host_of(self, name: str) -> str:
        """The web host of a source (its address), as ``kn_crawl.batch.plan.host_of`` reads
        its base URL."""
        return self.address_of[name]

    def expected_articles(self, name: str) -> list[ExpectedArticle]:
        """Ground truth per article of one source, newest first."""
        return self._site(name).expected_articles()

    def expected_urls(self, name: str) -> list[str]:
        return [a.url for a in self.expected_articles(name)]

    def ground_truth(self) -> dict[str, set[str]]:
        """Every source's article URLs: what a complete crawl stores, each once."""
        return {name: set(self.expected_urls(name)) for name in self.names}

    def entry(self, name: str, *, schedule: str | None = None) -> str:
        """The catalogue entry (TOML) of one source at its base URL here."""
        site = self._site(name)
        prefix = re.escape(f"/{name}")
        lines = [
            f"[sources.{name}]",
            f'title = "{site.title}"',
            'family = "wordpress"',
            f'base_url = "{site.base_url}"',
            'feeds = ["feed/"]',
            f'listings = ["{site.base_url}"]',  # the home page ("/" is the address's)
            f"article_pattern = '^{prefix}/\\d{{4}}/\\d{{2}}/\\d{{2}}/[a-z0-9-]+/$'",
        ]
        if schedule is not None:
            lines.append(f'schedule = "{schedule}"')
        return "\n".join(lines) + "\n"

    def write_catalog(
        self,
        path: Path,
        *,
        names: Sequence[str] | None = None,
        schedule: str | None = None,
        disable_bundled: bool = True,
    ) -> Path:
        """A user catalogue (``KN_SOURCES_FILE``) naming every fleet source (or ``names``)
        with its base URL; ``disable_bundled``: every bundled source disabled, so that "all
        enabled sources" never reaches the real web. Returns ``path``."""
        parts: list[str] = []
        if disable_bundled:
            from kn_crawl.catalog.load import BUNDLED_FILE

            bundled = tomllib.loads(BUNDLED_FILE.read_text(encoding="utf-8"))["sources"]
            parts += [
                f'[sources.{b}]\nenabled = false\ndisabled_reason = "not in the fleet"\n'
                for b in bundled
            ]
        parts += [self.entry(n, schedule=schedule) for n in (names or self.names)]
        path.write_text("\n".join(parts), encoding="utf-8")
        return path

    # -- request log -----------------------------------------------------------------------

    def _record(self, record: FleetRequest) -> None:
        with self._lock:
            self._requests.append(record)

    @property
    def requests(self) -> list[FleetRequest]:
        """A snapshot of every request answered so far."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def max_in_flight(self, key: str = "address") -> dict[str, int]:
        """Per address (``key="source"``: per source) the most requests in flight at once."""
        return max_in_flight(self.requests, key)
