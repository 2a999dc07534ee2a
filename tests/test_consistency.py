"""Issue 15's "inconsistent or silent answers": each answer as the user now gets it, through
click's CliRunner on a real SQLite database (the synonym search on both backends) and the
web UI through Flask's test client."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import Engine, text

from kn_crawl.cli import main
from kn_crawl.dates import BERLIN
from kn_crawl.db.engine import get_engine, make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.store import ArticleStore
from kn_crawl.query import QueryError, parse_query
from kn_crawl.query.german import german
from kn_crawl.search import search
from kn_crawl.web import create_app
from tests.test_search import NOW, article, fill

SECRET = "s" * 40

# An article that only a synonym finds: the alerts' vocabulary makes Onlinezugangsgesetz the
# same Stichwort as OZG (kn_crawl/alerts/aliases.toml).
SYNONYM = article(
    "ozg-fortschritt",
    "Land meldet Fortschritte bei der Verwaltungsdigitalisierung",
    tags=["Onlinezugangsgesetz"],
    published_at=datetime(2025, 5, 2, tzinfo=BERLIN),
)


def filled(engine: Engine) -> Engine:
    fill(engine)
    with engine.connect() as conn:
        sid = conn.execute(text("SELECT id FROM sources WHERE name = 'kommune21'")).scalar_one()
    ArticleStore(engine).save(sid, "kommune21", [SYNONYM], now=NOW)
    return engine


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A filled SQLite database in KN_DATABASE_URL, the data folder and the current folder
    in ``tmp_path``, and no other KN_* setting."""
    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    url = f"sqlite:///{tmp_path / 'kn.sqlite3'}"
    monkeypatch.setenv("KN_DATABASE_URL", url)
    monkeypatch.setenv("KN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KN_ALERTS_SECRET", SECRET)
    monkeypatch.chdir(tmp_path)
    engine = make_engine(url)
    upgrade(engine)
    filled(engine)
    engine.dispose()
    yield tmp_path
    get_engine(url).dispose()
    get_engine.cache_clear()


def run(*args: str, **env: str) -> Result:
    return CliRunner().invoke(main, list(args), env=env or None)


def total(*args: str) -> int:
    result = run("search", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["total"])


# --- sources -------------------------------------------------------------------------------


UNKNOWN = "kn-crawl: error: unknown source 'foo' (kn-crawl sources lists all"


@pytest.mark.parametrize(
    "args",
    [
        ("search", "source:foo"),
        ("search", "OZG -quelle:foo"),
        ("export", "source:foo", "--format", "csv", "-o", "-"),
        ("articles", "--source", "foo"),
        ("dropped", "--source", "foo"),
        ("runs", "--source", "foo"),
    ],
)
def test_an_unknown_source_is_the_same_error_everywhere(env: Path, args: tuple[str, ...]) -> None:
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr.startswith(UNKNOWN)
    assert result.stdout == ""


def test_a_failing_export_leaves_the_existing_file_alone(env: Path) -> None:
    target = env / "kept.csv"
    target.write_text("what was there\n", encoding="utf-8")
    result = run("export", "source:foo", "--format", "csv", "-o", str(target))
    assert result.exit_code == 2
    assert target.read_text(encoding="utf-8") == "what was there\n"
    good = run("export", "source:kommune21", "--format", "csv", "-o", str(target))
    assert good.exit_code == 0, good.output
    assert good.stderr == f"4 articles written to {target}\n"
    assert len(target.read_text(encoding="utf-8").splitlines()) == 5
    # Written beside it and renamed: nothing else is left in the folder.
    assert sorted(p.name for p in env.glob("*kept*")) == ["kept.csv"]


def test_source_names_ignore_case_everywhere(env: Path) -> None:
    assert total("source:kommune21") == total("quelle:KOMMUNE21") == 4
    listed = run("articles", "--source", "Kommune21", "--json")
    assert listed.exit_code == 0, listed.output
    assert {json.loads(line)["source"] for line in listed.stdout.splitlines()} == {"kommune21"}
    assert len(listed.stdout.splitlines()) == 4


# --- queries -------------------------------------------------------------------------------


def test_a_query_that_would_match_everything_is_rejected(env: Path) -> None:
    result = run("search", ")(*&^")
    assert result.exit_code == 2
    assert result.stderr == (
        "kn-crawl: error: bad query: the query has no words or filters, so it would match "
        "everything (at character 1: ⟶)(*&^)\n"
    )
    # As a subscription says of the same query.
    sub = run("subscribe", "anna@example.org", "-q", ")(*&^")
    assert sub.exit_code == 2
    assert "would match everything" in sub.stderr


def test_a_leading_minus_is_an_exclusion_not_an_option(env: Path) -> None:
    for args in (
        ("-Hessen", "tag:OZG", "--format", "jsonl"),
        ("tag:OZG", "--format", "jsonl", "-Hessen"),
        ("--format", "jsonl", "--", "-Hessen tag:OZG"),
    ):
        result = run("search", "--order", "date", *args)
        assert result.exit_code == 0, result.output
        titles = [json.loads(line)["title"] for line in result.stdout.splitlines()]
        assert titles == [
            "Land meldet Fortschritte bei der Verwaltungsdigitalisierung",
            "Serviceportal für alle Kommunen",
        ]
    lone = run("search", "-OZG")
    assert lone.exit_code == 2
    assert "a query needs a word, phrase or filter besides exclusions" in lone.stderr
    assert "No such option" not in lone.output


def test_search_and_export_take_the_query_as_several_words(env: Path) -> None:
    assert total("OZG", "tag:Hessen") == total("OZG tag:Hessen") == 1
    result = run("export", "tag:OZG", "-Hessen", "--format", "jsonl", "-o", "-", "--no-body")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["title"] for line in result.stdout.splitlines()] == [
        "Land meldet Fortschritte bei der Verwaltungsdigitalisierung",
        "Serviceportal für alle Kommunen",
    ]


def test_tag_synonyms_find_the_same_articles_in_the_cli(env: Path) -> None:
    assert total("tag:OZG") == total("tag:Onlinezugangsgesetz") == total("tag:ozg-umsetzung") == 3
    assert total("OZG -tag:Onlinezugangsgesetz") == 0


def test_tag_synonyms_find_the_same_articles_on_both_backends(engine: Engine) -> None:
    filled(engine)

    def titles(q: str) -> list[str]:
        with engine.connect() as conn:
            page = search(conn, parse_query(q, now=NOW), limit=50, order="date")
        return [hit.title for hit in page.hits]

    expected = [
        "Land meldet Fortschritte bei der Verwaltungsdigitalisierung",
        "Buergeramt Kassel digitalisiert Anträge",
        "Serviceportal für alle Kommunen",
    ]
    assert titles("tag:OZG") == titles("tag:Onlinezugangsgesetz") == expected
    assert titles("tag:OZG tag:Hessen") == ["Buergeramt Kassel digitalisiert Anträge"]
    assert titles("tag:Onlinezugangsgesetz -tag:OZG") == []


# --- subscriptions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--at", "07:30"), "--at needs --mode daily or --mode weekly"),
        (("--weekday", "fr"), "--weekday needs --mode weekly"),
        (("--mode", "daily", "--weekday", "fr"), "--weekday needs --mode weekly"),
    ],
)
def test_digest_options_without_their_mode_are_errors(
    env: Path, args: tuple[str, ...], message: str
) -> None:
    result = run("subscribe", "anna@example.org", "-t", "OZG", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert run("subscriptions", "--all", "--json").stdout == ""


def test_a_weekly_digest_takes_both(env: Path) -> None:
    result = run(
        "subscribe", "anna@example.org", "-t", "OZG", "--mode", "weekly", "--at", "07:30",
        "--weekday", "fr",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = [json.loads(line) for line in run("subscriptions", "--json").stdout.splitlines()]
    assert (row["mode"], row["digest_time"], row["digest_weekday"]) == ("weekly", "07:30", 4)


def test_a_failing_subscribe_leaves_nothing_behind(env: Path) -> None:
    result = run("subscribe", "anna@example.org", "-t", "OZG", KN_ALERTS_SECRET="short")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == ("kn-crawl: error: the alerts secret must be at least 16 characters\n")
    assert run("subscriptions", "--all", "--json").stdout == ""


def test_unsubscribe_says_exactly_what_happened(env: Path) -> None:
    for email in ("anna@example.org", "ben@example.org"):
        assert run("subscribe", email, "-t", "OZG").exit_code == 0
    first = run("unsubscribe", "1")
    assert (first.exit_code, first.stdout, first.stderr) == (0, "Unsubscribed 1\n", "")
    again = run("unsubscribe", "1", "2", "999")
    assert again.exit_code == 1
    assert again.stdout == "Unsubscribed 2\n"
    assert again.stderr == ("kn-crawl: already ended: 1\nkn-crawl: no such subscription: 999\n")
    unknown = run("unsubscribe", "999")
    assert (unknown.exit_code, unknown.stdout) == (1, "")
    assert unknown.stderr == "kn-crawl: no such subscription: 999\n"


# --- the database path ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("articles",),
        ("search", "OZG"),
        ("tags",),
        ("stats",),
        ("health",),
        ("runs",),
        ("subscriptions",),
        ("serve", "--port", "0"),
        ("export", "--format", "csv", "-o", "-"),
    ],
)
def test_read_only_commands_do_not_create_a_database(tmp_path: Path, args: tuple[str]) -> None:
    missing = tmp_path / "nowhere" / "kn.sqlite3"
    result = run(*args, KN_DATABASE_URL=f"sqlite:///{missing}")
    assert result.exit_code == 1
    assert result.stderr == (
        f"kn-crawl: error: no database at {missing} (KN_DATABASE_URL sqlite:///{missing}); "
        "create it with `kn-crawl db upgrade` or a crawl (`kn-crawl crawl`, `kn-crawl demo`)\n"
    )
    assert not (tmp_path / "nowhere").exists()


def test_db_upgrade_creates_the_database(tmp_path: Path) -> None:
    path = tmp_path / "new" / "kn.sqlite3"
    result = run("db", "upgrade", KN_DATABASE_URL=f"sqlite:///{path}")
    assert result.exit_code == 0, result.output
    assert path.is_file()
    get_engine.cache_clear()


def test_a_fresh_folder_gets_its_data_folder_from_a_collecting_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's first command on a fresh checkout: no KN_* setting, no ./data yet. The
    default database's folder is kn-crawl's own data folder, which a collecting command makes
    (the relative-path check is for a KN_DATABASE_URL someone wrote, not for the default)."""
    for key in list(os.environ):
        if key.startswith("KN_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KN_ALERTS_SECRET", SECRET)
    refused = run("articles")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"kn-crawl: error: no database at {tmp_path}/data/")
    assert list(tmp_path.iterdir()) == []
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "data" / "kn-crawl.sqlite3").is_file()
    get_engine.cache_clear()


@pytest.mark.parametrize("args", [("articles",), ("db", "upgrade")])
def test_three_slashes_name_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*args, KN_DATABASE_URL="sqlite:///tmp/x.sqlite3")
    assert result.exit_code == 2
    assert result.stderr == (
        "kn-crawl: error: KN_DATABASE_URL sqlite:///tmp/x.sqlite3 names the relative path "
        f"tmp/x.sqlite3 but the folder tmp does not exist here ({tmp_path}); for the "
        "absolute path /tmp/x.sqlite3 write four slashes: sqlite:////tmp/x.sqlite3\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_health_says_why_it_is_empty(env: Path) -> None:
    result = run("health")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "No source health recorded yet: it is checked after each crawl "
        "(kn-crawl crawl, kn-crawl demo, the scheduler).\n"
    )


# --- the web UI and its API speak German ---------------------------------------------------


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ('"offen', "Anführungszeichen nicht geschlossen (Zeichen 1)"),
        (")(*&^", "die Suche enthält weder Wörter noch Filter und fände daher alles (Zeichen 1)"),
        ("OZG foo:bar", "unbekannter Filter „foo:“ (bekannt: tag:, source:, section:, since:, "
         "until:; Text mit Doppelpunkt in Anführungszeichen setzen) (Zeichen 5)"),
        ("since:gestrig", "„since:gestrig“ ist kein Datum (z. B. 2025-03-01, 01.03.2025 oder "
         "„März 2025“) (Zeichen 7)"),
        ("OZG OR", "OR muss zwischen zwei Wörtern oder Phrasen stehen (Zeichen 5)"),
        ("-OZG", "eine Suche braucht neben Ausschlüssen ein Wort, eine Phrase oder einen Filter "
         "(Zeichen 1)"),
        ("until:2025-13", "„2025-13“ ist kein Monat (Zeichen 7)"),
    ],
)  # fmt: skip
def test_query_errors_in_german(env: Path, q: str, message: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_query(q, now=NOW)
    assert german(caught.value) == message
    client = create_app(os.environ["KN_DATABASE_URL"]).test_client()
    page = client.get("/", query_string={"q": q})
    assert page.status_code == 400
    assert f"Ungültige Suche: {message}" in page.get_data(as_text=True).replace("&#34;", '"')
    api = client.get("/api/search", query_string={"q": q})
    assert api.status_code == 400
    assert api.get_json()["error"] == f"Ungültige Suche: {message}"


def test_every_parser_message_has_a_german_form() -> None:
    """The parser's messages, found in its source, each match a pattern of the German table:
    a new message without one fails here rather than reaching the web in English."""
    import ast

    import kn_crawl.query.parser as parser
    from kn_crawl.query.german import german_message

    def sample(node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return str(node.value)
        assert isinstance(node, ast.JoinedStr)
        return "".join(sample(v) if isinstance(v, ast.Constant) else "7" for v in node.values)

    tree = ast.parse(Path(parser.__file__).read_text(encoding="utf-8"))
    messages = [
        sample(node.args[0])
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and node.args
        and isinstance(node.args[0], ast.Constant | ast.JoinedStr)
        and (
            (isinstance(node.func, ast.Attribute) and node.func.attr == "error")
            or (isinstance(node.func, ast.Name) and node.func.id == "QueryError")
        )
    ]
    assert len(messages) == 18
    for message in messages:
        assert german_message(QueryError(message, 0)) != "die Suche ist nicht lesbar", message


def test_api_messages_and_purposes_are_german(env: Path) -> None:
    client = create_app(os.environ["KN_DATABASE_URL"]).test_client()
    assert client.get("/api/articles/999").get_json()["error"] == "Artikel nicht gefunden"
    assert client.get("/api/tags/unbekannt").get_json()["error"] == "Stichwort nicht gefunden"
    page = client.get("/api/").get_data(as_text=True)
    for purpose in (
        "Artikel suchen",
        "Ein Artikel mit Stichwörtern, Fassungen, seiner Meldung (story_id, story) und deren "
        "anderen Artikeln (same_story)",
        "Eine Meldung mit ihren Artikeln, der erste Artikel zuerst",
        "Die häufigsten Stichwörter",
        "Ein Stichwort mit seinen Artikeln je Woche",
        "Diese Beschreibung",
    ):
        assert f"<td>{purpose}</td>" in page
