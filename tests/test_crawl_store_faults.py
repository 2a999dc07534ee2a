"""Crawls whose store meets a fault: ids that collide, a database that cannot be written.
Each ends in a recorded reason or one line on stderr, never a silent merge or a crawl that
fetches a whole site for nothing."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.mirror import Mirror
from tests.conftest import PostgresServer
from tests.crawling import Db, crawl


@pytest.fixture
def mirror() -> Iterator[Mirror]:
    with Mirror() as m:
        yield m


def test_ids_reused_by_another_article_merge_nothing(mirror: Mirror, db_url: str) -> None:
    """Issue 14: the mirror at another ``--size`` hands its article ids (``?p=N``) out again,
    in order, so new articles carry ids the first crawl stored for other articles (as after
    a site's CMS migration). A crawl of it into the same database used to replace the first
    articles' content without a revision and report ``updated 0``. Now every article of both
    crawls is kept with its own content, and each collision is recorded."""
    first = crawl(db_url, mirror, ["kommune21"])
    assert first.returncode == 0, first.stderr[-3000:]
    before = {e.url: e for e in mirror.expected_articles("kommune21")}
    ports = {s: urlsplit(u).port or 0 for s, u in mirror.base_urls.items()}
    mirror.stop()
    with Mirror(170, ports=ports) as other_size:
        after = {e.url: e for e in other_size.expected_articles("kommune21")}
        # One request at a time: which article claims an id first stays the same every run.
        second = crawl(
            db_url, other_size, ["kommune21"], full=True, env={"KN_CONCURRENT_PER_SITE": "1"}
        )
    assert second.returncode == 0, second.stderr[-3000:]

    # Ground truth: the new URLs, those of them whose id an article of the first crawl has,
    # and the URLs the site reused for another article (which by the canonical URL are that
    # article, edited: a revision).
    new = sorted(set(after) - set(before))
    taken = {e.article_id for e in before.values()}
    conflicts = sorted(url for url in new if after[url].article_id in taken)
    reused = sorted(
        url
        for url in set(before) & set(after)
        if (before[url].title, before[url].published_date, before[url].teaser)
        != (after[url].title, after[url].published_date, after[url].teaser)
    )
    assert (len(new), len(conflicts), len(reused)) == (8, 8, 1)

    db = Db(db_url)
    stored = db.articles()
    assert {url: row.title for url, (row, _) in stored.items()} == {
        url: e.title for url, e in (before | after).items()
    }
    # Bodies differ between sizes ("Mehr zum Thema" links): those are edits at the article's
    # own URL, each one revision and counted as updated. No revision shows another title or
    # date than its article has now: no article took over another's content.
    by_id = {row.id: row for row, _ in stored.values()}
    revisions = db.revisions()
    assert [
        by_id[r.article_id].url
        for r in revisions
        if (r.title, r.published_at)
        != (by_id[r.article_id].title, by_id[r.article_id].published_at)
    ] == []
    # The reused URL shows the same title and teaser under another date; a date alone is no
    # content change (content_hash), so the article keeps the date first seen.
    [url] = reused
    assert stored[url][0].published_at == before[url].published
    run = db.runs()[-1]
    assert (run.articles_new, run.articles_updated) == (len(new), len(revisions))
    assert {r.run_id for r in revisions} == {run.id}
    notes = [d for d in db.drops(run.id) if d.reason == "identity_conflict"]
    assert sorted(d.url for d in notes) == conflicts
    assert all(d.detail.startswith("stored as an article of its own: site id p:") for d in notes)
    # The ids stay with the articles that had them first; the newcomers are stored without.
    assert {stored[url][0].site_article_id for url in conflicts} == {None}
    db.close()


def test_read_only_sqlite_database_stops_the_crawl_before_it_fetches(
    mirror: Mirror, tmp_path: Path
) -> None:
    """A database that cannot be written (here opened read-only by its URL, as a read-only
    file or folder would be for a user other than root): one line, exit 1, no request."""
    path = tmp_path / "kn.sqlite3"
    upgrade(make_engine(f"sqlite:///{path}"))
    db_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    out = crawl(db_url, mirror, ["move"])
    assert out.returncode == 1
    assert out.stderr.splitlines() == [
        "kn-crawl: error: cannot write to the database: OperationalError: attempt to write a "
        f"readonly database ({db_url})"
    ]
    assert mirror.requests == []


def test_a_run_that_cannot_be_recorded_fetches_nothing(mirror: Mirror, tmp_path: Path) -> None:
    """The writes the start check makes are rolled back, so a disk that is full passes it;
    the crawl's first real write, its run record, then fails (a trigger refusing it stands
    in for the full disk here), and the crawl stops before its first request."""
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    engine = make_engine(db_url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "CREATE TRIGGER full BEFORE INSERT ON crawl_runs "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    engine.dispose()
    out = crawl(db_url, mirror, ["move"])
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    assert (
        "ERROR: cannot write to the database: IntegrityError: database or disk is full"
        in out.stderr
    )
    assert out.stderr.splitlines()[-1] == (
        "kn-crawl: error: cannot write to the database: the crawl run could not be recorded, "
        f"nothing was fetched (see the log above) ({db_url})"
    )
    assert mirror.requests == []


@pytest.mark.postgres
def test_read_only_postgresql_role_stops_the_crawl_before_it_fetches(
    mirror: Mirror, postgres: PostgresServer
) -> None:
    db_url = postgres.create_database(f"kn_readonly_{os.getpid()}")
    admin = make_engine(db_url)
    upgrade(admin)
    role = f"reader_{os.getpid()}"
    with admin.begin() as conn:
        conn.execute(text(f"CREATE ROLE {role} LOGIN PASSWORD 's3cret-pw'"))
        conn.execute(text(f"ALTER ROLE {role} SET default_transaction_read_only = on"))
        conn.execute(text(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}"))
        conn.execute(text(f"GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO {role}"))
    admin.dispose()
    url = make_url(db_url).set(username=role, password="s3cret-pw")
    as_reader = url.render_as_string(hide_password=False)
    out = crawl(as_reader, mirror, ["move"])
    assert out.returncode == 1
    assert len(out.stderr.splitlines()) == 1, out.stderr
    [line] = out.stderr.splitlines()
    assert line.startswith(
        "kn-crawl: error: cannot write to the database: InternalError: cannot execute INSERT "
        f"in a read-only transaction (postgresql+psycopg://{role}:"
    )
    assert "s3cret-pw" not in out.stdout + out.stderr
    assert mirror.requests == []
