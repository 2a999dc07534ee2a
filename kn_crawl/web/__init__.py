"""The read-only web UI (``kn-crawl serve``): search with facets, articles, Stichwörter with
weekly charts, sources with their health, CSV/JSON exports, Atom feeds and a JSON API."""

from kn_crawl.web.app import create_app

__all__ = ["create_app"]
