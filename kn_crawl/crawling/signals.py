"""Our own Scrapy signals."""

# Sent when a page could not be fetched or used (HTTP error, timeout, unusable feed, robots.txt
# unreachable, an item the store refused), or with ``note=True`` when something was limited or
# changed while nothing was lost (the article was stored). Arguments: url, stage, reason,
# detail, note.
page_failed = object()
