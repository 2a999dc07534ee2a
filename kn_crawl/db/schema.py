"""The complete schema: every module that defines tables is imported here, so migrations and
tests see all of them. A feature with its own tables adds one import line."""

from __future__ import annotations

from kn_crawl.alerts import models as alert_models  # noqa: F401 - registers the tables
from kn_crawl.alerts import web_models  # noqa: F401 - registers the tables
from kn_crawl.db import (
    models,
    search_models,  # noqa: F401 - autogenerate leaves search indexes
    state_models,  # noqa: F401 - registers the tables
)
from kn_crawl.stories import models as story_models  # noqa: F401 - registers the tables

metadata = models.Base.metadata

__all__ = ["metadata", "models"]
