"""Our own Scrapy signals."""

# Sent by spiders when a page could not be fetched or used (HTTP error, timeout, unusable
# feed, robots.txt unreachable). Arguments: url, stage, reason, detail.
page_failed = object()
