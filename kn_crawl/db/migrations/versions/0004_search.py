"""search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27

Full-text search indexes over articles (title, kicker, teaser, body), kept in sync by the
database itself (triggers), so no writer can forget them; existing articles are backfilled.

SQLite: ``articles_fts``, an FTS5 index of the *folded* text (umlauts spelled out, as
``kn_crawl.query.fold`` does: ``Bürgerbüro`` -> ``buergerbuero``), an
external-content table over a view (so ``rebuild`` works); and ``search_words``, every word of
titles, kickers and teasers once, with a trigram index (``search_words_trigram``) that finds
the compounds containing a part.

PostgreSQL: ``article_search`` holds a weighted ``german`` tsvector of the folded text (GIN
index) and the folded title/kicker/teaser (pg_trgm GIN index when the extension is available);
``unaccent`` is applied too when available. Nothing here is required: without the extensions
search still works, only compound-part search is slower and accents other than umlauts count.

The DDL is written out here (not imported) so this migration stays what it was when applied.
"""

from __future__ import annotations

from alembic import op
from sqlalchemy import text

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Keep in step with kn_crawl.query.fold.UMLAUTS.
_UMLAUTS = [("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("Ä", "ae"), ("Ö", "oe"), ("Ü", "ue"),
            ("ß", "ss"), ("ẞ", "ss")]  # fmt: skip


def _fold(expr: str) -> str:
    """SQL that folds ``expr`` like kn_crawl.query.fold (case is left to the tokenizers)."""
    for old, new in _UMLAUTS:
        expr = f"replace({expr}, '{old}', '{new}')"
    return f"coalesce({expr}, '')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("articles_fts_ai", "articles_fts_ad", "articles_fts_au", "search_words_ai"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS articles_fts")
        op.execute("DROP TABLE IF EXISTS search_words_trigram")
        op.execute("DROP TABLE IF EXISTS search_words")
        op.execute("DROP VIEW IF EXISTS articles_fts_source")
    else:
        op.execute("DROP TRIGGER IF EXISTS article_search_sync ON articles")
        op.execute("DROP TABLE IF EXISTS article_search")
        op.execute("DROP FUNCTION IF EXISTS article_search_refresh()")
        op.execute("DROP FUNCTION IF EXISTS kn_fold(text)")
        # The extensions stay: other objects may use them, and dropping needs ownership.


# --- SQLite ------------------------------------------------------------------------------

# Words are split at whitespace by turning the text into a JSON array, so quotes, backslashes
# and line breaks must become spaces; other punctuation stays attached ("(serviceportal)") and
# is dropped when the query turns such a word into search tokens. (Replacing every punctuation
# character would nest replace() deeper than SQLite's parser allows.)
_SEPARATORS = ['"', "\\", "\n", "\r", "\t", "\u00a0"]
# Words shorter than this cannot contain a compound part (4+ letters) plus anything else.
_MIN_WORD = 5


def _sql_string(value: str) -> str:
    if value in ("\n", "\r", "\t", "\u00a0"):
        return {"\n": "char(10)", "\r": "char(13)", "\t": "char(9)", "\u00a0": "char(160)"}[value]
    return "'" + value.replace("'", "''") + "'"


def _sqlite_columns(row: str) -> dict[str, str]:
    return {c: _fold(f"{row}.{c}") for c in ("title", "kicker", "teaser", "body")}


def _sqlite_words(row: str) -> str:
    """SELECT of the distinct folded words (5+ characters) of title, kicker and teaser."""
    return f"SELECT DISTINCT value FROM {_sqlite_word_list(row)} WHERE length(value) >= {_MIN_WORD}"


def _sqlite_word_list(row: str) -> str:
    """``json_each(…)`` over the whitespace-separated folded words of title, kicker, teaser."""
    cols = _sqlite_columns(row)
    text_expr = f"lower({cols['title']} || ' ' || {cols['kicker']} || ' ' || {cols['teaser']})"
    for sep in _SEPARATORS:
        text_expr = f"replace({text_expr}, {_sql_string(sep)}, ' ')"
    array = f"""'["' || replace({text_expr}, ' ', '","') || '"]'"""
    # A control character a writer let through would make the array invalid JSON; then this
    # article adds no words rather than failing its insert.
    safe = f"CASE WHEN json_valid({array}) THEN {array} ELSE '[]' END"
    return f"json_each({safe})"


def _sqlite_upgrade() -> None:
    src = _sqlite_columns("articles")
    op.execute(
        "CREATE VIEW articles_fts_source AS SELECT id, "
        + ", ".join(f"{expr} AS {name}" for name, expr in src.items())
        + " FROM articles"
    )
    # unicode61 splits on everything but letters and digits, casefolds, and drops remaining
    # diacritics (é -> e). No prefix indexes: prefix queries are only made for words of 4+
    # letters, which the term index answers directly.
    op.execute(
        "CREATE VIRTUAL TABLE articles_fts USING fts5(title, kicker, teaser, body, "
        "content='articles_fts_source', content_rowid='id', "
        "tokenize='unicode61 remove_diacritics 2')"
    )
    # Compound parts: every word of titles, kickers and teasers once, with a trigram index, so
    # "portal" finds the words "serviceportal", "buergerportal", … in milliseconds; the query
    # then asks articles_fts for those words (one ranked index pass).
    op.execute("CREATE TABLE search_words (id INTEGER PRIMARY KEY, word TEXT NOT NULL UNIQUE)")
    op.execute(
        "CREATE VIRTUAL TABLE search_words_trigram USING fts5(word, content='search_words', "
        "content_rowid='id', tokenize='trigram')"
    )
    op.execute(
        "CREATE TRIGGER search_words_ai AFTER INSERT ON search_words BEGIN "
        "INSERT INTO search_words_trigram(rowid, word) VALUES (new.id, new.word); END"
    )
    new, old = _sqlite_columns("new"), _sqlite_columns("old")
    cols = "title, kicker, teaser, body"
    insert_new = (
        f"INSERT INTO articles_fts(rowid, {cols}) VALUES (new.id, {', '.join(new.values())});\n"
        f"INSERT OR IGNORE INTO search_words(word) {_sqlite_words('new')};"
    )
    # Words stay when their article goes: a stale word only widens a search to a word that
    # no longer occurs, which finds nothing.
    delete_old = (
        f"INSERT INTO articles_fts(articles_fts, rowid, {cols}) "
        f"VALUES ('delete', old.id, {', '.join(old.values())});"
    )
    op.execute(f"CREATE TRIGGER articles_fts_ai AFTER INSERT ON articles BEGIN\n{insert_new}\nEND")
    op.execute(f"CREATE TRIGGER articles_fts_ad AFTER DELETE ON articles BEGIN\n{delete_old}\nEND")
    op.execute(
        "CREATE TRIGGER articles_fts_au AFTER UPDATE OF title, kicker, teaser, body ON articles "
        f"BEGIN\n{delete_old}\n{insert_new}\nEND"
    )
    # Backfill what is already there.
    op.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    op.execute(
        f"INSERT OR IGNORE INTO search_words(word) SELECT w.value "
        f"FROM articles, {_sqlite_word_list('articles')} AS w WHERE length(w.value) >= {_MIN_WORD}"
    )


# --- PostgreSQL --------------------------------------------------------------------------


def _try_extension(name: str) -> bool:
    """Create ``name`` if the server has it and we may; False (and no harm done) otherwise."""
    bind = op.get_bind()
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = :name"), {"name": name}
    ).first()
    if available is None:
        return False
    # A savepoint, so a refused CREATE EXTENSION (no privilege) does not abort the migration.
    savepoint = bind.begin_nested()
    try:
        bind.execute(text(f"CREATE EXTENSION IF NOT EXISTS {name}"))
    except Exception:  # noqa: BLE001 - any refusal means "not available"; search copes
        savepoint.rollback()
        return False
    savepoint.commit()
    return True


def _postgresql_upgrade() -> None:
    has_trgm = _try_extension("pg_trgm")
    has_unaccent = _try_extension("unaccent")
    folded = _fold("lower(value)")
    if has_unaccent:
        # unaccent is STABLE, not IMMUTABLE; kn_fold is only called from the trigger and the
        # backfill, never from an index expression, so that is fine.
        folded = f"unaccent({folded})"
    op.execute(
        f"CREATE FUNCTION kn_fold(value text) RETURNS text LANGUAGE sql STABLE AS "
        f"$$ SELECT {folded} $$"
    )
    op.execute(
        """
        CREATE TABLE article_search (
            article_id bigint PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
            document tsvector NOT NULL,
            head text NOT NULL
        )
        """
    )
    document = (
        "setweight(to_tsvector('german', kn_fold(r.title)), 'A') || "
        "setweight(to_tsvector('german', kn_fold(r.kicker)), 'B') || "
        "setweight(to_tsvector('german', kn_fold(r.teaser)), 'C') || "
        "setweight(to_tsvector('german', kn_fold(r.body)), 'D')"
    )
    head = "kn_fold(r.title) || ' ' || kn_fold(r.kicker) || ' ' || kn_fold(r.teaser)"
    op.execute(
        f"""
        CREATE FUNCTION article_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE r articles%ROWTYPE := NEW;
        BEGIN
            INSERT INTO article_search (article_id, document, head)
            VALUES (r.id, {document}, {head})
            ON CONFLICT (article_id)
            DO UPDATE SET document = EXCLUDED.document, head = EXCLUDED.head;
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER article_search_sync AFTER INSERT OR UPDATE OF title, kicker, teaser, body "
        "ON articles FOR EACH ROW EXECUTE FUNCTION article_search_refresh()"
    )
    op.execute(
        f"INSERT INTO article_search (article_id, document, head) "
        f"SELECT r.id, {document}, {head} FROM articles r"
    )
    op.execute("CREATE INDEX ix_article_search_document ON article_search USING gin (document)")
    if has_trgm:
        op.execute(
            "CREATE INDEX ix_article_search_head ON article_search USING gin (head gin_trgm_ops)"
        )
