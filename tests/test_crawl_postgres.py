"""The same crawl into PostgreSQL: same code, same migrations, same results."""

from __future__ import annotations

import pytest

from kn_crawl.mirror import Mirror
from tests.conftest import PostgresServer
from tests.crawling import Db, crawl

pytestmark = pytest.mark.postgres


def test_crawl_refresh_and_edit_into_postgresql(postgres: PostgresServer) -> None:
    db_url = postgres.create_database("kn_e2e_crawl")
    with Mirror() as mirror:
        first = crawl(db_url, mirror, ["move", "stadtundwerk"])
        assert first.returncode == 0, first.stderr[-3000:]
        db = Db(db_url)
        assert db.articles_by_source() == {"move": 35, "stadtundwerk": 30}
        mirror.clear_requests()
        refresh = crawl(db_url, mirror, ["move", "stadtundwerk"])
        assert refresh.returncode == 0, refresh.stderr[-3000:]
        assert len([r for r in mirror.requests if r.path != "/robots.txt"]) <= 4
        url = mirror.article_urls("move")[0]
        mirror.edit_article("move", url, teaser="Geändert für PostgreSQL.")
        crawl(db_url, mirror, ["move"])
        assert db.articles_by_source() == {"move": 35, "stadtundwerk": 30}
        assert len(db.revisions()) == 1
        row, _tags = db.articles()[url]
        assert row.teaser == "Geändert für PostgreSQL."
        assert row.published_at.tzinfo is not None
        statuses = {r.status for r in db.runs()}
        assert statuses == {"ok"}
        db.close()
