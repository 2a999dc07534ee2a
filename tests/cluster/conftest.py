"""Fixtures of the cluster fault tests (``pytest -m cluster``): a PostgreSQL server of their
own that a test may restart (``pg_ctl restart -m fast``) without disturbing the other tests'
server, a fresh database per test, and the cluster harness with a small fleet."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cluster.pg import RestartablePostgres, pg_bindir

_databases = itertools.count(1)


@pytest.fixture(scope="session")
def cluster_pg() -> Iterator[RestartablePostgres]:
    bindir = pg_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        if os.environ.get("KN_REQUIRE_POSTGRES"):
            pytest.fail("KN_REQUIRE_POSTGRES is set but no PostgreSQL binaries were found")
        pytest.skip("PostgreSQL binaries (initdb, pg_ctl) not installed")
    root = Path(f"/tmp/kn-pg-cluster-{os.getpid()}")
    shutil.rmtree(root, ignore_errors=True)
    server = RestartablePostgres(bindir, root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def cluster_db(cluster_pg: RestartablePostgres) -> str:
    """A fresh, empty database on the cluster tests' server."""
    return cluster_pg.create_database(f"kn_cluster_{os.getpid()}_{next(_databases)}")
