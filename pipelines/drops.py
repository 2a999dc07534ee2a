"""Why an item did not reach the database. The run recorder stores ``stage`` and ``reason``."""

from __future__ import annotations

from scrapy.exceptions import DropItem


class Rejected(DropItem):
    """The item is unusable (no title, no date, …); recorded in ``dropped_items``."""

    stage = "validate"

    def __init__(self, reason: str, detail: str) -> None:
        # The run recorder logs the drop with its URL and reason; Scrapy's own line (which
        # prints the whole item) is kept for debugging only.
        super().__init__(detail, log_level="DEBUG")
        self.reason = reason


class Duplicate(DropItem):
    """The same article was already seen in this run; nothing is lost, so not recorded."""

    recorded = False
    stage = "dedupe"
    reason = "duplicate"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, log_level="DEBUG")
