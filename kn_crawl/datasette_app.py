"""Datasette over the SQLite file: metadata (the schema's descriptions, from the README via
``kn_crawl.schema_docs``) and canned queries analysts start from; ``kn-crawl datasette``
serves them on loopback, read-only.

What is not the analysts' stays out: the alert tables hold subscribers' addresses, channel
URLs with their tokens and live confirmation links, ``web_writes`` the web clients' keys.
Datasette denies those tables (``"allow": false``, also hidden from the listings), and it
runs no SQL of the reader's own (``"allow_sql": false``: no ``?sql=``, no ``?_where=``),
since any SELECT could read a denied table; the canned queries below still run.

Canned queries count back from the newest article, not from today: on a database that is
not crawled daily (an export, the demo), "the last 30 days" would otherwise be empty."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kn_crawl.schema_docs import load

NEWEST = "neueste AS (SELECT max(published_at) AS bis FROM articles)"

QUERIES: dict[str, dict[str, str]] = {
    "stichwoerter_30_tage": {
        "title": "Stichwörter der letzten 30 Tage",
        "description": "Die Stichwörter der Artikel aus den 30 Tagen bis zum neuesten Artikel, "
        "nach Zahl der Artikel.",
        "sql": f"""WITH {NEWEST}
SELECT t.name AS stichwort, count(*) AS artikel,
       date(neueste.bis, '-30 days') AS von, date(neueste.bis) AS bis
FROM neueste, tags t
JOIN article_tags at ON at.tag_id = t.id
JOIN articles a ON a.id = at.article_id
WHERE a.published_at >= datetime(neueste.bis, '-30 days')
GROUP BY t.id
ORDER BY artikel DESC, stichwort
LIMIT 200""",
    },
    "neue_stichwoerter": {
        "title": "Neue Stichwörter",
        "description": "Stichwörter, deren erster Artikel in den 30 Tagen bis zum neuesten "
        "Artikel erschien.",
        "sql": f"""WITH {NEWEST},
erste AS (
  SELECT at.tag_id, min(a.published_at) AS erster, count(*) AS artikel
  FROM article_tags at JOIN articles a ON a.id = at.article_id
  GROUP BY at.tag_id
)
SELECT t.name AS stichwort, date(erste.erster) AS erster_artikel, erste.artikel
FROM neueste, erste
JOIN tags t ON t.id = erste.tag_id
WHERE erste.erster >= datetime(neueste.bis, '-30 days')
ORDER BY erste.erster DESC, stichwort""",
    },
    "artikel_je_quelle_und_monat": {
        "title": "Artikel je Quelle und Monat",
        "description": "Wie viele Artikel jede Quelle je Monat veröffentlicht hat (Monate in UTC).",
        "sql": """SELECT s.name AS quelle, strftime('%Y-%m', a.published_at) AS monat,
       count(*) AS artikel
FROM articles a JOIN sources s ON s.id = a.source_id
GROUP BY s.name, monat
ORDER BY monat DESC, quelle""",
    },
    "quellen_zustand": {
        "title": "Quellen: Zustand und letzter erfolgreicher Abruf",
        "description": "Jede Quelle mit ihrem Zustand (healthy, degraded, failing), dem Ende "
        "ihres letzten erfolgreichen Abrufs und der Zahl ihrer Artikel.",
        "sql": """SELECT s.name AS quelle, coalesce(h.status, 'unbekannt') AS zustand,
       (SELECT max(r.finished_at) FROM crawl_runs r
        WHERE r.source_id = s.id AND r.status = 'ok') AS letzter_erfolg,
       (SELECT count(*) FROM articles a WHERE a.source_id = s.id) AS artikel
FROM sources s LEFT JOIN source_health h ON h.source_id = s.id
ORDER BY s.name""",
    },
    "artikel_zu_stichwort": {
        "title": "Artikel zu einem Stichwort",
        "description": "Die neuesten Artikel mit einem Stichwort (Groß- und Kleinschreibung egal).",
        "sql": """SELECT a.published_at AS veroeffentlicht, s.name AS quelle, a.title AS titel,
       a.url
FROM articles a
JOIN sources s ON s.id = a.source_id
JOIN article_tags at ON at.article_id = a.id
JOIN tags t ON t.id = at.tag_id
WHERE lower(t.name) = lower(:stichwort)
ORDER BY a.published_at DESC
LIMIT 200""",
    },
}


PRIVATE_PREFIXES = ("alert_", "web_")
"""Tables Datasette never serves (see the module's doc)."""


def is_private(table: str) -> bool:
    return table.startswith(PRIVATE_PREFIXES)


def column_descriptions(table: str, described: dict[str, str]) -> dict[str, str]:
    """The README's descriptions, and for the columns it leaves plain what the schema
    itself says: the primary key, the table a foreign key points to."""
    from kn_crawl.db.schema import metadata as schema

    columns = dict(described)
    model = schema.tables.get(table)
    if model is None:
        return columns
    for column in model.columns:
        if columns.get(column.name):
            continue
        if column.primary_key and not column.foreign_keys:
            columns[column.name] = "Primary key"
        elif column.foreign_keys:
            target = next(iter(column.foreign_keys)).target_fullname
            columns[column.name] = f"Refers to {target}"
        else:
            columns.setdefault(column.name, "")
    return {name: text for name, text in columns.items() if text}


def metadata(database: str) -> dict[str, Any]:
    """Datasette's metadata for the database named ``database`` (the file's stem)."""
    from kn_crawl.db.schema import metadata as schema

    tables: dict[str, dict[str, Any]] = {
        name: {"description": doc.description, "columns": column_descriptions(name, doc.columns)}
        for name, doc in load().items()
    }
    for name in schema.tables:
        if is_private(name):
            tables.setdefault(name, {}).update({"allow": False, "hidden": True})
    return {
        "title": "kn-crawl",
        "description": "Nachrichten zur kommunalen Digitalisierung, gesammelt von kn-crawl. "
        "Das Schema beschreibt die README (Database schema).",
        "allow_sql": False,
        "databases": {database: {"tables": tables, "queries": QUERIES, "allow_sql": False}},
    }


def database_name(path: Path) -> str:
    """The name Datasette gives a file: its stem (``kn.sqlite3`` → ``kn``)."""
    return path.stem
