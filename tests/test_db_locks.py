"""One registry of PostgreSQL advisory-lock keys (kn_crawl.db.locks): distinct keys, no key
written as a literal anywhere else, and a taken key really excludes another session."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import kn_crawl
from kn_crawl.db import locks
from tests.conftest import PostgresServer

PACKAGE = Path(kn_crawl.__file__).parent


def test_the_keys_are_distinct_and_apart_from_the_stores_source_ids() -> None:
    pairs = list(locks.PAIRS.values())
    assert len(set(pairs)) == len(pairs) == 5
    assert sorted(n for c, n in pairs if c == locks.STORE_SOURCE) == [-1, 0]
    assert locks.source_key(7) == (2121, 7)
    with pytest.raises(ValueError, match="source id 0 would take a reserved lock key"):
        locks.source_key(0)


def test_no_module_writes_a_lock_key_of_its_own() -> None:
    literal = re.compile(r"advisory_\w*\(\s*-?\d|\(\s*212\d\s*,")
    found = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "locks.py" and literal.search(path.read_text(encoding="utf-8"))
    ]
    assert found == []


def test_a_transaction_lock_excludes_another_session(postgres: PostgresServer) -> None:
    engine = create_engine(postgres.create_database("kn_locks"))
    probe = text("SELECT pg_try_advisory_xact_lock(:a, :b)")
    try:
        with engine.connect() as holder, engine.connect() as other:
            with holder.begin():
                locks.xact_lock(holder, locks.MATCHING)
                with other.begin():
                    assert other.execute(probe, {"a": 2122, "b": 1}).scalar_one() is False
                    # Another key of the registry is free meanwhile.
                    assert other.execute(probe, {"a": 2122, "b": 0}).scalar_one() is True
            with other.begin():  # the holder's transaction ended: free again
                assert other.execute(probe, {"a": 2122, "b": 1}).scalar_one() is True
    finally:
        engine.dispose()
