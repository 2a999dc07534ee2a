"""Migrations and models describe the same schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect

from kn_crawl.db.migrate import downgrade, head_revision, is_up_to_date, upgrade
from kn_crawl.db.schema import metadata


def test_migrated_database_matches_the_models(engine: Engine) -> None:
    assert is_up_to_date(engine)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def test_upgrade_is_idempotent_and_downgrade_works(engine: Engine) -> None:
    upgrade(engine)
    assert is_up_to_date(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    assert head_revision(engine) is not None and is_up_to_date(engine)
