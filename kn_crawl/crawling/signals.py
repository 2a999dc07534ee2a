"""Our own Scrapy signals."""

# Sent when a page could not be fetched or used (HTTP error, timeout, unusable feed, robots.txt
# unreachable, an item the store refused), or with ``note=True`` when something was limited or
# changed while nothing was lost (the article was stored). Arguments: url, stage, reason,
# detail, note.
page_failed = object()

# Sent when a request ended without a response and without a loss: a feed entry whose page
# robots.txt disallows was stored from the feed (feed_only). Arguments: url.
page_settled = object()
