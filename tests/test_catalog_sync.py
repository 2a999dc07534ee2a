"""The catalogue in the ``sources`` table: upserted, idempotent, never deleting a row."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select

from kn_crawl.catalog.load import BUNDLED_FILE, load_files
from kn_crawl.catalog.model import SourceEntry
from kn_crawl.catalog.sync import NOT_IN_CATALOGUE, SyncResult, sync_catalog
from kn_crawl.db.models import CrawlRun, Source

FAMILIES = {"generic", "k21", "typo3", "wordpress"}


def rows(engine: Engine) -> dict[str, tuple[object, ...]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(
                Source.name,
                Source.family,
                Source.title,
                Source.base_url,
                Source.enabled,
                Source.disabled_reason,
                Source.language,
            )
        ).all()
    return {r.name: tuple(r)[1:] for r in found}


def sync(engine: Engine, catalog: dict[str, SourceEntry]) -> SyncResult:
    with engine.begin() as conn:
        return sync_catalog(conn, catalog)


def test_the_bundled_catalogue_fills_the_sources_table_once(engine: Engine) -> None:
    catalog = dict(load_files((BUNDLED_FILE,), families=FAMILIES))
    result = sync(engine, catalog)
    assert result.added == tuple(catalog)
    assert (result.updated, result.retired) == ((), ())
    stored = rows(engine)
    assert len(stored) == 27
    assert stored["kommune21"] == (
        "k21", "Kommune21", "https://www.kommune21.de/", True, None, "de"
    )  # fmt: skip
    assert stored["tagesspiegelbackground"] == (
        "generic",
        "Tagesspiegel Background Verwaltung & Digitalisierung",
        "https://background.tagesspiegel.de/",
        False,
        "paywall and bot wall",
        "de",
    )
    # Again: nothing to do, nothing written.
    assert sync(engine, catalog) == SyncResult()
    assert rows(engine) == stored


def test_changes_update_rows_and_a_removed_source_is_disabled_not_deleted(
    engine: Engine,
) -> None:
    move = SourceEntry(
        name="move", title="move", family="k21", base_url="https://www.move-online.de/"
    )
    vdz = SourceEntry(
        name="vdz",
        title="VdZ",
        family="generic",
        base_url="https://www.vdz.org/",
        feed_urls=("https://www.vdz.org/rss.xml",),
    )
    sync(engine, {"move": move, "vdz": vdz})
    with engine.begin() as conn:
        vdz_id = conn.execute(select(Source.id).where(Source.name == "vdz")).scalar_one()
        run_id = conn.execute(
            insert(CrawlRun)
            .values(source_id=vdz_id, started_at=datetime.now(UTC), status="ok")
            .returning(CrawlRun.id)
        ).scalar_one()

    renamed = replace(move, title="move – moderne verwaltung", language="de-DE")
    result = sync(engine, {"move": renamed})
    assert result == SyncResult(updated=("move",), retired=("vdz",))
    stored = rows(engine)
    assert stored["move"] == (
        "k21", "move – moderne verwaltung", "https://www.move-online.de/", True, None, "de-DE"
    )  # fmt: skip
    assert stored["vdz"] == (
        "generic", "VdZ", "https://www.vdz.org/", False, NOT_IN_CATALOGUE, "de"
    )  # fmt: skip
    with engine.connect() as conn:
        assert conn.execute(select(CrawlRun.source_id).where(CrawlRun.id == run_id)).scalar() == (
            vdz_id
        )
    assert sync(engine, {"move": renamed}) == SyncResult()

    # Back in the catalogue: enabled again, same row.
    result = sync(engine, {"move": renamed, "vdz": vdz})
    assert result == SyncResult(updated=("vdz",))
    assert rows(engine)["vdz"][3:5] == (True, None)
    with engine.connect() as conn:
        assert conn.execute(select(Source.id).where(Source.name == "vdz")).scalar_one() == vdz_id


def test_a_row_the_crawl_created_gets_the_catalogue_fields(engine: Engine) -> None:
    """``ensure_source`` (the crawl) writes name, family, title and base URL; the sync adds
    what only the catalogue knows."""
    from kn_crawl.db.store import ensure_source

    with engine.begin() as conn:
        ensure_source(
            conn, name="fitko", family="typo3", title="FITKO", base_url="http://127.0.0.1:9/"
        )
    fitko = SourceEntry(
        name="fitko",
        title="FITKO",
        family="typo3",
        base_url="https://www.fitko.de/",
        enabled=False,
        disabled_reason="relaunch",
    )
    assert sync(engine, {"fitko": fitko}) == SyncResult(updated=("fitko",))
    assert rows(engine)["fitko"] == (
        "typo3", "FITKO", "https://www.fitko.de/", False, "relaunch", "de"
    )  # fmt: skip
