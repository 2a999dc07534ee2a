"""Helpers for tests that crawl the mirror: run ``kn-crawl crawl`` in a subprocess (a Twisted
reactor runs once per process) and read the resulting database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select

from kn_crawl.catalog.load import BUNDLED_FILE
from kn_crawl.db.engine import make_engine
from kn_crawl.db.models import (
    Article,
    ArticleRevision,
    ArticleTag,
    ArticleUrl,
    CrawlRun,
    DroppedItem,
    Source,
    Tag,
    table_of,
)
from kn_crawl.mirror import Mirror

REPO = Path(__file__).resolve().parent.parent


def only_sources(keep: Iterable[str]) -> str:
    """A user catalogue (``KN_SOURCES_FILE``) that disables every bundled source but ``keep``.
    A test that runs "every enabled source" (the scheduler, ``crawl`` without arguments) must
    never reach the real sites of the bundled catalogue."""
    bundled = tomllib.loads(BUNDLED_FILE.read_text())["sources"]
    return "".join(
        f'[sources.{name}]\nenabled = false\ndisabled_reason = "not in this test"\n\n'
        for name in bundled
        if name not in set(keep)
    )


def crawl_own_source(
    tmp_path: Path, name: str, entry: str, *args: str, timeout: float = 180
) -> tuple[subprocess.CompletedProcess[str], str]:
    """``kn-crawl crawl NAME ARGS`` of one source of a user catalogue in ``tmp_path`` (the
    bundled sources all disabled): ``entry`` is its TOML body (the lines after
    ``[sources.NAME]``). Returns the finished process and the SQLite URL it wrote to."""
    catalog = tmp_path / "kn-sources.toml"
    catalog.write_text(only_sources(()) + f"[sources.{name}]\n" + entry)
    db_url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")} | {
        "KN_DATABASE_URL": db_url,
        "KN_DATA_DIR": str(tmp_path),
        "KN_SOURCES_FILE": str(catalog),
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_RETRY_TIMES": "0",
    }
    out = subprocess.run(
        [sys.executable, "-m", "kn_crawl", "crawl", name, *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return out, db_url


def crawl_command(
    db_url: str,
    mirror: Mirror,
    sources: Sequence[str] = ("kommune21", "move", "stadtundwerk"),
    *,
    env: dict[str, str] | None = None,
    full: bool = False,
) -> tuple[list[str], dict[str, str]]:
    """Arguments and environment of ``kn-crawl crawl`` of ``sources`` on the mirror (the
    developer's own KN_* variables left out)."""
    args = [sys.executable, "-m", "kn_crawl", "crawl", *sources, *(["--full"] if full else [])]
    for source in sources:
        args += ["--base-url", f"{source}={mirror.base_urls[source]}"]
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KN_")},
        "KN_DATABASE_URL": db_url,
        "KN_AUTOTHROTTLE_START_DELAY": "0",
        "KN_DOWNLOAD_TIMEOUT": "10",
        **(env or {}),
    }
    return args, full_env


def crawl(
    db_url: str,
    mirror: Mirror,
    sources: Sequence[str] = ("kommune21", "move", "stadtundwerk"),
    *,
    env: dict[str, str] | None = None,
    timeout: float = 300,
    full: bool = False,
) -> subprocess.CompletedProcess[str]:
    args, full_env = crawl_command(db_url, mirror, sources, env=env, full=full)
    return subprocess.run(
        args, env=full_env, capture_output=True, text=True, timeout=timeout, cwd=REPO
    )


@contextmanager
def background_crawl(
    db_url: str,
    mirror: Mirror,
    sources: Sequence[str] = ("kommune21", "move", "stadtundwerk"),
    *,
    env: dict[str, str] | None = None,
) -> Iterator[subprocess.Popen[str]]:
    """``kn-crawl crawl`` running while the test interferes, in a process group of its own,
    which is killed whole if the test leaves it running."""
    args, full_env = crawl_command(db_url, mirror, sources, env=env)
    proc = subprocess.Popen(
        [*args, "--no-hooks"],
        env=full_env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def article_pages_served(mirror: Mirror, source: str) -> int:
    """How many article pages (``/k21-meldungen/<slug>/``) the mirror has answered for
    ``source``: a sign of progress that does not wait for the store's batches."""
    return sum(
        1
        for r in mirror.requests
        if r.source == source
        and r.path.startswith("/k21-meldungen/")
        and r.path.count("/") == 3
        and not r.path.startswith(("/k21-meldungen/page/", "/k21-meldungen/feed"))
    )


def child_pids(pid: int, marker: bytes) -> list[int]:
    """Child processes of ``pid`` whose command line contains ``marker``."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    found = []
    for child in map(int, children):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except OSError:
            continue
        if marker in cmdline:
            found.append(child)
    return found


class Db:
    """Read-only views of a crawled database, for assertions."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = make_engine(url)

    def count(self, model: type, **where: Any) -> int:
        query = select(func.count()).select_from(model)
        table = table_of(model)
        for key, value in where.items():
            query = query.where(table.c[key] == value)
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def articles_by_source(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Source.name, func.count(Article.id))
                .join(Article, Article.source_id == Source.id)
                .group_by(Source.name)
            ).all()
        return {name: n for name, n in rows}

    def runs(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    select(table_of(CrawlRun), Source.name.label("source"))
                    .join(Source, Source.id == CrawlRun.source_id)
                    .order_by(CrawlRun.id)
                ).all()
            )

    def drops(self, run_id: int | None = None) -> list[Any]:
        query = select(table_of(DroppedItem)).order_by(DroppedItem.id)
        if run_id is not None:
            query = query.where(DroppedItem.run_id == run_id)
        with self.engine.connect() as conn:
            return list(conn.execute(query).all())

    def articles(self, *, vocabulary: bool = False) -> dict[str, Any]:
        """Articles by URL, each with its tags in page order: the ones the sources gave (site,
        feed), which the mirror's ground truth knows; ``vocabulary``: all, the vocabulary's
        too."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(table_of(Article))).all()
            tags: dict[int, list[str]] = {}
            query = (
                select(ArticleTag.article_id, Tag.name)
                .join(Tag, Tag.id == ArticleTag.tag_id)
                .order_by(ArticleTag.article_id, ArticleTag.position)
            )
            if not vocabulary:
                query = query.where(ArticleTag.origin != "vocabulary")
            for aid, name in conn.execute(query).all():
                tags.setdefault(aid, []).append(name)
        return {r.url: (r, tags.get(r.id, [])) for r in rows}

    def tag_origins(self) -> dict[str, dict[str, str]]:
        """Article URL -> {Stichwort: origin}."""
        with self.engine.connect() as conn:
            return_value: dict[str, dict[str, str]] = {}
            for url, name, origin in conn.execute(
                select(Article.url, Tag.name, ArticleTag.origin)
                .join(ArticleTag, ArticleTag.article_id == Article.id)
                .join(Tag, Tag.id == ArticleTag.tag_id)
            ).all():
                return_value.setdefault(url, {})[name] = origin
        return return_value

    def url_aliases(self) -> dict[str, int]:
        with self.engine.connect() as conn:
            return dict(conn.execute(select(ArticleUrl.url, ArticleUrl.article_id)).all())

    def revisions(self) -> list[Any]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(table_of(ArticleRevision))).all())

    def close(self) -> None:
        self.engine.dispose()


_planted_dbs = iter(range(1_000_000))


@contextmanager
def crawled_planted_zoo(
    request: Any, tmp_path_factory: Any, name: str
) -> Iterator[tuple[Mirror, str]]:
    """The zoo sites that carry the planted stories, crawled from the mirror into a fresh
    database (SQLite or PostgreSQL by ``request.param``, for module-scoped fixtures); yields
    (mirror, database URL) while the mirror still serves."""
    from kn_crawl.mirror.zoo.planted import PLANTED

    sources = tuple(sorted({c.source for c in PLANTED}))
    if request.param == "sqlite":
        db_url = f"sqlite:///{tmp_path_factory.mktemp(name) / 'kn.sqlite3'}"
    else:
        server = request.getfixturevalue("postgres")
        db_url = server.create_database(f"kn_{name}_{os.getpid()}_{next(_planted_dbs)}")
    with Mirror(zoo=True) as mirror:
        done = crawl(db_url, mirror, sources)
        assert done.returncode == 0, done.stderr[-3000:]
        yield mirror, db_url
