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


def test_filter_values_in_one_covering_index_on_postgresql(engine: Engine) -> None:
    """Migration 0012: on PostgreSQL, ``articles (id)`` with the filter values included,
    beside 0011's narrower ``(id) INCLUDE (published_at)``; downgrading drops it. SQLite has
    neither (it reads ``article_facets``)."""

    def indexes() -> set[str]:
        return {i["name"] or "" for i in inspect(engine).get_indexes("articles")} & {
            "ix_articles_id_filters",
            "ix_articles_id_published_at",
        }

    if engine.dialect.name == "sqlite":
        assert indexes() == set()
        return
    assert indexes() == {"ix_articles_id_filters", "ix_articles_id_published_at"}
    with engine.connect() as conn:
        definition = conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_articles_id_filters'"
        ).scalar_one()
    assert definition.endswith("(id) INCLUDE (published_at, source_id, section)")
    downgrade(engine, "0011")
    assert indexes() == {"ix_articles_id_published_at"}
    upgrade(engine)
    assert indexes() == {"ix_articles_id_filters", "ix_articles_id_published_at"}
