"""Shared fixtures: real databases (SQLite files, a throw-away PostgreSQL server) and the
mirror site on 127.0.0.1."""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade

REPO = Path(__file__).resolve().parent.parent


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_bindir() -> Path | None:
    override = os.environ.get("KN_TEST_PG_BINDIR")
    if override:
        return Path(override)
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for candidate in candidates:
        if (candidate / "initdb").exists() and (candidate / "postgres").exists():
            return candidate
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """A private PostgreSQL cluster in a temporary folder, on a loopback port."""

    def __init__(self, bindir: Path, root: Path) -> None:
        self.bindir = bindir
        self.root = root
        self.data = root / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        # PostgreSQL refuses to run as root; run it as the "postgres" system user then.
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            self.as_user = ["runuser", "-u", "postgres", "--"]

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_user, *args], check=True, capture_output=True)

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
            os.chmod(self.root, 0o700)
        # An existing cluster is started as it is (bench/bench_search.py keeps one built).
        if not (self.data / "PG_VERSION").exists():
            self._run(
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
                "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
            )  # fmt: skip
        log = open(self.root / "server.log", "wb")  # noqa: SIM115 - lives as long as the server
        self.proc = subprocess.Popen(
            [
                *self.as_user, str(self.bindir / "postgres"), "-D", str(self.data),
                "-p", str(self.port), "-c", "listen_addresses=127.0.0.1",
                "-c", f"unix_socket_directories={self.root}", "-c", "fsync=off",
                "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError((self.root / "server.log").read_text()) from None
                time.sleep(0.1)
        else:
            raise RuntimeError("PostgreSQL did not start within 30 s")
        # Accepting TCP is not yet accepting queries; wait for a real connection.
        engine = make_engine(self.url("postgres"))
        while True:
            try:
                with engine.connect():
                    break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        engine.dispose()

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        engine = make_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    bindir = _pg_bindir()
    if bindir is None:
        if os.environ.get("KN_REQUIRE_POSTGRES"):
            pytest.fail("KN_REQUIRE_POSTGRES is set but no PostgreSQL binaries were found")
        pytest.skip("PostgreSQL binaries (initdb, postgres) not installed")
    root = Path(f"/tmp/kn-pg-{os.getpid()}")
    shutil.rmtree(root, ignore_errors=True)
    server = PostgresServer(bindir, root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


_db_counter = itertools.count(1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.create_database(f"kn_test_{os.getpid()}_{next(_db_counter)}")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database on each backend."""
    eng = make_engine(db_url)
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kn.sqlite3'}"


# --- subprocess helpers -------------------------------------------------------------------


def kn_crawl_cmd() -> list[str]:
    return [sys.executable, "-m", "kn_crawl.cli"]
