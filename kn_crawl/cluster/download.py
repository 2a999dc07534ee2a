"""The fenced download handler: Scrapy's HTTP handler, refusing every request once the
crawl's lease ran out (``kn_crawl.cluster.lease``). It is the last gate before a byte is
sent, behind every queue, retry and delay of the downloader, so a crawl process woken from
SIGSTOP past its lease sends nothing, whatever it had queued."""

from __future__ import annotations

from scrapy import Request
from scrapy.core.downloader.handlers.http11 import HTTP11DownloadHandler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response

from kn_crawl.cluster.lease import lease_of, lose_lease


class LeaseExpired(IgnoreRequest):
    """Refused before sending: the crawl's lease ran out."""


class FencedDownloadHandler(HTTP11DownloadHandler):
    async def download_request(self, request: Request) -> Response:
        lease = lease_of(self.crawler)
        if lease is not None and lease.expired():
            lose_lease(self.crawler, lease.lost or f"no heartbeat for over {lease.seconds / 2:g} s")
            raise LeaseExpired(f"lease expired: {request.url} not requested")
        return await super().download_request(request)
