"""Tag origins end to end on SQLite and PostgreSQL: the store writes them, "new Stichwörter"
alerts count only the sources', tag subscriptions and search match every origin, exports and
``articles --json`` show them, ``vocabulary apply`` re-tags stored articles."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from sqlalchemy import Engine, select, update

from kn_crawl.cli import main
from kn_crawl.db.models import Article, ArticleRevision, ArticleTag, Tag, table_of
from kn_crawl.db.retag import reapply_vocabulary
from kn_crawl.extract.feed_items import item_from_entry, merge_entry
from kn_crawl.items import ArticleItem, ListingEntry
from kn_crawl.query.parser import parse_query
from kn_crawl.search import EXPORT_COLUMNS, export_rows
from kn_crawl.search.export import write_csv
from kn_crawl.search.results import search
from kn_crawl.sources import source_names
from kn_crawl.vocabulary import apply_vocabulary, load_matcher
from kn_crawl.vocabulary.matching import compile_terms
from kn_crawl.vocabulary.terms import parse_terms
from pipelines.normalize import normalize_article
from tests.alerts_support import Desk, item
from tests.test_alerts_matching import T0, entries, run_match, sub

MATCHER = load_matcher()


def tagged(source: str, title: str, tags: list[str], **kw: Any) -> ArticleItem:
    """An article as the crawl stores it: the source's tags, then the vocabulary's."""
    article = item(source, title, tags, **kw)
    return apply_vocabulary(article, MATCHER)


def origins(engine: Engine) -> dict[str, list[tuple[str, str]]]:
    """Article title -> [(Stichwort, origin)] in position order."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Article.title, Tag.name, ArticleTag.origin)
            .join(ArticleTag, ArticleTag.article_id == Article.id)
            .join(Tag, Tag.id == ArticleTag.tag_id)
            .order_by(Article.id, ArticleTag.position)
        ).all()
    result: dict[str, list[tuple[str, str]]] = {}
    for title, name, origin in rows:
        result.setdefault(title, []).append((name, origin))
    return result


def test_store_writes_each_tags_origin(engine: Engine) -> None:
    desk = Desk(engine)
    feed = ListingEntry(url="https://www.kommune21.de/k21-meldungen/f/", tags=["Netze"])
    article = item("kommune21", "Glasfaser für Kiel", ["Kiel"], teaser="In Bayern.")
    merge_entry(article, feed)
    normalize_article(article)
    apply_vocabulary(article, MATCHER)
    desk.crawl("kommune21", [article], now=T0)
    assert origins(engine) == {
        "Glasfaser für Kiel": [
            ("Kiel", "site"),
            ("Netze", "feed"),
            ("Glasfaser", "vocabulary"),
            ("Bayern", "vocabulary"),
        ]
    }


def test_feed_only_items_tags_are_the_feeds() -> None:
    entry = ListingEntry(url="https://x.invalid/a", title="OZG", tags=["  Netze ", "OZG"])
    built = normalize_article(item_from_entry("move", entry))
    apply_vocabulary(built, MATCHER)
    assert built.tags == ["Netze", "OZG"]  # the vocabulary's OZG is the feed's already
    assert built.tag_origins == {"Netze": "feed", "OZG": "feed"}


def test_a_changed_vocabulary_is_no_edit_of_the_article(engine: Engine) -> None:
    desk = Desk(engine)
    article = tagged("kommune21", "Glasfaser in Kiel", ["Politik"])
    desk.crawl("kommune21", [article], now=T0)
    again = item("kommune21", "Glasfaser in Kiel", ["Politik"], url=article.url)
    desk.crawl("kommune21", [again], now=T0 + timedelta(hours=1))  # no vocabulary tags
    with engine.connect() as conn:
        assert conn.execute(select(table_of(ArticleRevision))).all() == []
        row = conn.execute(select(Article.updated_at)).one()
    assert row.updated_at is None


def test_vocabulary_tags_never_announce_themselves_as_new(engine: Engine) -> None:
    sub(engine, new_tags=True)
    desk = Desk(engine)
    desk.crawl("kommune21", [tagged("kommune21", "Alt", ["Politik"])], now=T0)  # backfill
    desk.crawl("move", [tagged("move", "Alt 2", ["Politik"])], now=T0)  # backfill
    run_match(engine)
    desk.crawl("kommune21", [tagged("kommune21", "Glasfaser in Kiel", ["Politik"])], now=T0)
    assert run_match(engine).new_tags == 0
    assert entries(engine) == []
    # A source gives "Glasfaser" itself: now it is new (once), named with that article.
    desk.crawl("move", [tagged("move", "Netze", ["Glasfaser"])], now=T0)
    desk.crawl("move", [tagged("move", "Netze 2", ["Glasfaser", "Neu-Tag"])], now=T0)
    assert run_match(engine).new_tags == 2
    assert [e.reasons[0]["label"] for e in entries(engine)] == ["Glasfaser", "Neu-Tag"]
    assert run_match(engine).new_tags == 0


def test_new_stichwoerter_list_only_the_sources(engine: Engine) -> None:
    from kn_crawl.search.insights import new_tags

    desk = Desk(engine)
    desk.crawl("kommune21", [tagged("kommune21", "Glasfaser in Kiel", ["Politik"])], now=T0)
    with engine.connect() as conn:
        listed = new_tags(conn, since=T0 - timedelta(days=365))
    assert [t.name for t in listed] == ["Politik"]


def test_tag_subscriptions_and_search_match_vocabulary_tags(engine: Engine) -> None:
    sub(engine, tags=("Glasfaser",))
    desk = Desk(engine)
    desk.crawl("kommune21", [tagged("kommune21", "Alt", [])], now=T0)
    run_match(engine)
    desk.crawl("kommune21", [tagged("kommune21", "Glasfaserausbau in Kiel", [])], now=T0)
    result = run_match(engine)
    assert (result.articles, result.queued) == (1, 1)
    assert entries(engine)[0].reasons == [{"kind": "tag", "label": "Glasfaser", "subscription": 1}]
    with engine.connect() as conn:
        page = search(conn, parse_query("tag:glasfaser"))
    assert [(h.title, h.tags, h.tag_origins) for h in page.hits] == [
        ("Glasfaserausbau in Kiel", ["Glasfaser", "Kiel"],
         {"Glasfaser": "vocabulary", "Kiel": "vocabulary"}),
    ]  # fmt: skip


def test_exports_give_an_origin_per_tag(engine: Engine) -> None:
    desk = Desk(engine)
    desk.crawl("kommune21", [tagged("kommune21", "OZG in Kiel", ["OZG"])], now=T0)
    with engine.connect() as conn:
        rows = list(export_rows(conn, parse_query("")))
    assert [(r["tags"], r["tag_origins"]) for r in rows] == [
        (["OZG", "Kiel"], ["site", "vocabulary"])
    ]
    out = io.StringIO()
    write_csv(iter(rows), out, EXPORT_COLUMNS)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert (row["tags"], row["tag_origins"]) == ("OZG; Kiel", "site; vocabulary")


def test_articles_json_shows_origins(engine: Engine, db_url: str) -> None:
    desk = Desk(engine)
    desk.crawl("kommune21", [tagged("kommune21", "OZG in Kiel", ["OZG"])], now=T0)
    result = CliRunner().invoke(main, ["articles", "--json"], env={"KN_DATABASE_URL": db_url})
    assert result.exit_code == 0, result.output
    (line,) = result.output.splitlines()
    got = json.loads(line)
    assert (got["tags"], got["tag_origins"]) == (
        ["OZG", "Kiel"],
        {"OZG": "site", "Kiel": "vocabulary"},
    )


def test_vocabulary_apply_retags_stored_articles(engine: Engine) -> None:
    desk = Desk(engine)
    desk.crawl(
        "kommune21",
        [
            item("kommune21", "Glasfaser in Kiel", ["Politik"]),  # stored before the vocabulary
            tagged("kommune21", "OZG in Bayern", ["OZG"]),
        ],
        now=T0,
    )
    first = reapply_vocabulary(engine, MATCHER, now=T0)
    assert (first.articles, first.changed, first.added, first.removed) == (2, 1, 2, 0)
    assert origins(engine) == {
        "Glasfaser in Kiel": [
            ("Politik", "site"),
            ("Glasfaser", "vocabulary"),
            ("Kiel", "vocabulary"),
        ],
        "OZG in Bayern": [("OZG", "site"), ("Bayern", "vocabulary")],
    }
    again = reapply_vocabulary(engine, MATCHER, now=T0)
    assert (again.articles, again.changed) == (2, 0)
    # A smaller vocabulary: its tags go, the sources' stay, no revision is written.
    small = compile_terms(parse_terms('[city]\n"Kiel" = []\n', "small.toml"))
    third = reapply_vocabulary(engine, small, now=T0, source="kommune21")
    assert (third.changed, third.added, third.removed) == (2, 0, 2)
    assert origins(engine) == {
        "Glasfaser in Kiel": [("Politik", "site"), ("Kiel", "vocabulary")],
        "OZG in Bayern": [("OZG", "site")],
    }
    with engine.connect() as conn:
        assert conn.execute(select(table_of(ArticleRevision))).all() == []
    assert reapply_vocabulary(engine, MATCHER, now=T0, source="nosuch").articles == 0


def test_vocabulary_apply_credits_a_new_tag_to_its_first_article(engine: Engine) -> None:
    desk = Desk(engine)
    desk.crawl(
        "kommune21",
        [item("kommune21", "Glasfaser in Kiel", []), item("kommune21", "Kiel und Bonn", [])],
        now=T0,
    )
    reapply_vocabulary(engine, MATCHER, now=T0)
    with engine.connect() as conn:
        first = conn.execute(select(Article.id).where(Article.title == "Glasfaser in Kiel"))
        credited = conn.execute(select(Tag.first_article_id).where(Tag.name == "Kiel"))
        assert credited.scalar_one() == first.scalar_one()


def test_vocabulary_commands(engine: Engine, db_url: str) -> None:
    desk = Desk(engine)
    desk.crawl("kommune21", [item("kommune21", "Glasfaser in Kiel", [])], now=T0)
    with engine.begin() as conn:  # as stored by a release without origins
        conn.execute(update(table_of(ArticleTag)).values(origin="site"))
    env = {"KN_DATABASE_URL": db_url}
    result = CliRunner().invoke(main, ["vocabulary", "apply"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output == "1 articles looked at, 1 changed: 2 Stichwörter added, 0 removed\n"
    result = CliRunner().invoke(
        main, ["vocabulary", "match", "--json", "KI-Strategie für Essen, nach dem Essen"], env=env
    )
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.output.splitlines()] == [
        {"tag": "KI", "kind": "topic", "mentions": 1},
    ]
    result = CliRunner().invoke(main, ["vocabulary", "apply", "--source", "kommune2"], env=env)
    assert (result.exit_code, result.output) == (
        2,
        "kn-crawl: error: unknown source 'kommune2' (did you mean 'kommune21'? "
        f"kn-crawl sources lists all {len(source_names(enabled_only=False))})\n",
    )
    result = CliRunner().invoke(main, ["vocabulary", "match", "Die Stadt Essen"], env=env)
    assert result.output.splitlines()[2].split() == ["Essen", "city", "1"]
    body = "Für Bürger: Die Stadt Halle (Saale) startet ein Portal. " + "Text. " * 220
    result = CliRunner().invoke(main, ["vocabulary", "match", "--body", body], env=env)
    assert result.output == "no Stichwort\n"  # one mention in a long body
    result = CliRunner().invoke(main, ["vocabulary", "match", "--body", "Halle (Saale)"], env=env)
    assert result.output.splitlines()[2].split() == ["Halle", "(Saale)", "city", "1"]


def test_a_spelling_too_long_is_one_line_at_start_up(tmp_path: Path, db_url: str) -> None:
    path = tmp_path / "terms.toml"
    path.write_text('[topic]\n"Langer Begriff" = ["' + "abcdefghij" * 90 + '"]\n', "utf-8")
    env = {"KN_DATABASE_URL": db_url, "KN_VOCABULARY_FILE": str(path)}
    result = CliRunner().invoke(main, ["vocabulary", "match", "x"], env=env)
    assert (result.exit_code, result.output) == (
        2,
        f"kn-crawl: error: bad configuration: {path}:2: 'Langer Begriff'…: spelling of 900 "
        "characters (at most 120)\n",
    )
