"""A throw-away PostgreSQL cluster run by ``pg_ctl``, so it can be restarted (``pg_ctl restart
-m fast``) under running workers; loopback only. Shares initdb and the non-root user with the
suite's session server (:class:`tests.conftest.PostgresServer`); also used by
``bench/bench_cluster.py``."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from sqlalchemy import text

from kn_crawl.db.engine import make_engine
from tests.conftest import PostgresServer, _pg_bindir

__all__ = ["RestartablePostgres", "pg_bindir"]

pg_bindir = _pg_bindir


class RestartablePostgres(PostgresServer):
    """A private cluster in ``root`` on a free loopback port, started, restarted and stopped
    by ``pg_ctl`` (the port and options survive a restart: pg_ctl keeps them in
    ``postmaster.opts``)."""

    def __init__(self, bindir: Path, root: Path, *, max_connections: int = 300) -> None:
        super().__init__(bindir, root)
        self.max_connections = max_connections
        self.log = root / "server.log"

    def _pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run(
            [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True,
            capture_output=True,
            timeout=timeout,
        )

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.root, "postgres", "postgres")
            self.root.chmod(0o700)
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = " ".join([
            f"-p {self.port}", "-c listen_addresses=127.0.0.1",
            f"-c unix_socket_directories={self.root}", "-c fsync=off",
            "-c synchronous_commit=off", "-c full_page_writes=off",
            f"-c max_connections={self.max_connections}",
        ])  # fmt: skip
        self._pg_ctl("start", "-w", "-l", str(self.log), "-o", options)
        self.wait_ready()

    def wait_ready(self, timeout: float = 30) -> None:
        """Until a query answers (accepting TCP is not yet accepting queries)."""
        engine = make_engine(self.url("postgres"))
        deadline = time.monotonic() + timeout
        try:
            while True:
                try:
                    with engine.connect() as conn:
                        conn.execute(text("SELECT 1"))
                    return
                except Exception:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
        finally:
            engine.dispose()

    def restart(self) -> None:
        """``pg_ctl restart -m fast``: every session is disconnected, open transactions roll
        back, then the server accepts connections again on the same port."""
        self._pg_ctl("restart", "-m", "fast", "-w", "-l", str(self.log))
        self.wait_ready()

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg_ctl("stop", "-m", "immediate", "-w")
