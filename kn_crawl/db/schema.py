"""The complete schema: every module that defines tables is imported here, so migrations and
tests see all of them. A feature with its own tables adds one import line."""

from __future__ import annotations

from kn_crawl.db import models, state_models  # noqa: F401 - registers the tables

metadata = models.Base.metadata

__all__ = ["metadata", "models"]
