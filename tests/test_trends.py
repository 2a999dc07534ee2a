"""Rising and new Stichwörter count back from the newest article, not from today, and say
which period they counted: on a database whose newest article is months old (an archive, last
month's crawl, the mirror) they used to be empty with no hint. Both backends, the CLI and the
web pages."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from sqlalchemy import Engine, text

from kn_crawl.cli import main
from kn_crawl.dates import BERLIN
from kn_crawl.db.store import ArticleStore, ensure_source
from kn_crawl.search.insights import new_in, period_label, rising_in, trend_window
from kn_crawl.web import create_app
from tests.test_search import article

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def day(d: str) -> datetime:
    return datetime.fromisoformat(d).replace(hour=10, tzinfo=BERLIN)


# Newest real article: 30.05.2025. With 30 days: 01.–30.05.2025 against 01.–30.04.2025.
ITEMS = [
    ("ozg-1", "2025-05-03", ["OZG"]),
    ("ozg-2", "2025-05-12", ["OZG", "Bayern"]),
    ("ozg-3", "2025-05-30", ["OZG", "KI"]),
    ("ozg-4", "2025-04-20", ["OZG", "Bayern"]),
    ("ki-1", "2025-05-01", ["KI"]),  # the first day of the window
    ("bayern-1", "2025-04-02", ["Bayern"]),
    ("old-1", "2025-03-31", ["Alt", "KI"]),  # the day before the previous window
    ("neu-1", "2025-05-25", ["Registermodernisierung"]),
    # Misdated into the future: must not move the window to 2099.
    ("future", "2099-01-01", ["Zukunft"]),
]


def fill(engine: Engine) -> Engine:
    with engine.begin() as conn:
        ensure_source(conn, name="kommune21", family="k21", title="K21", base_url="https://x/")
        sid = conn.execute(text("SELECT id FROM sources WHERE name = 'kommune21'")).scalar_one()
    items = [article(slug, slug, published_at=day(d), tags=tags) for slug, d, tags in ITEMS]
    ArticleStore(engine).save(sid, "kommune21", items, now=NOW)
    return engine


def test_period_labels() -> None:
    assert period_label(date(2025, 11, 17), date(2025, 11, 30)) == "17.–30.11.2025"
    assert period_label(date(2025, 10, 28), date(2025, 11, 10)) == "28.10.–10.11.2025"
    assert period_label(date(2024, 12, 28), date(2025, 1, 10)) == "28.12.2024–10.01.2025"
    assert period_label(date(2025, 11, 30), date(2025, 11, 30)) == "30.11.2025"


def test_trends_count_back_from_the_newest_article(engine: Engine) -> None:
    fill(engine)
    with engine.connect() as conn:
        window = trend_window(conn, days=30)
        assert window is not None
        assert (window.label(), window.previous.label()) == ("01.–30.05.2025", "01.–30.04.2025")
        rising = rising_in(conn, days=30)
        assert [(r.name, r.count, r.previous) for r in rising.rows] == [
            ("OZG", 3, 1),
            ("KI", 2, 0),
        ]
        new = new_in(conn, days=30)
        assert [(r.name, r.count) for r in new.rows] == [("Registermodernisierung", 1)]
        # An explicit end: 30 days up to 30.04. (Bayern 2 against none, Alt 1 is too few).
        april = rising_in(conn, days=30, until=day("2025-04-30"))
        assert april.window is not None and april.window.label() == "01.–30.04.2025"
        assert [(r.name, r.count, r.previous) for r in april.rows] == [("Bayern", 2, 0)]
        # A short window over a DST change (30.03.2025) is still whole Berlin days.
        spring = trend_window(conn, days=3, until=day("2025-03-31"))
        assert spring is not None and spring.label() == "29.–31.03.2025"
        assert spring.start.hour == 0 and spring.end.astimezone(BERLIN).hour == 0


def test_an_empty_database_has_no_period(engine: Engine) -> None:
    with engine.connect() as conn:
        assert trend_window(conn, days=30) is None
        assert rising_in(conn, days=30).window is None
        assert new_in(conn, days=30).rows == []


@pytest.fixture
def db(engine: Engine, db_url: str) -> Iterator[str]:
    fill(engine)
    yield db_url


def run(db: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), env={"KN_DATABASE_URL": db})
    return result.exit_code, result.stdout, result.stderr


def test_cli_trend_and_new_show_their_period(db: str) -> None:
    code, out, err = run(db, "tags", "--trend")
    assert code == 0, err
    assert err == "Rising Stichwörter 01.–30.05.2025 compared with 01.–30.04.2025: 2 found\n"
    assert out.splitlines()[0].split() == [
        "Stichwort",
        "01.–30.05.2025",
        "01.–30.04.2025",
        "growth",
    ]
    assert [line.split() for line in out.splitlines()[2:]] == [
        ["OZG", "3", "1", "+2"],
        ["KI", "2", "0", "+2"],
    ]
    code, out, err = run(db, "tags", "--new", "--days", "7", "--until", "31.05.2025")
    assert code == 0, err
    assert err == "New Stichwörter 25.–31.05.2025: 1 found\n"
    assert out.splitlines()[2].split() == ["Registermodernisierung", "1", "25.05.2025"]
    code, out, err = run(db, "tags", "--new", "--days", "7", "--until", "2025-05-20")
    assert (code, out, err) == (0, "", "New Stichwörter 14.–20.05.2025: 0 found\n")


def test_cli_on_an_empty_database(engine: Engine, db_url: str) -> None:
    for flag in ("--trend", "--new"):
        assert run(db_url, "tags", flag) == (0, "", "No articles yet: no period to count.\n")


@pytest.fixture
def client(db: str) -> Iterator[FlaskClient]:
    app = create_app(db)
    yield app.test_client()
    app.config["KN_ENGINE"].dispose()


def test_web_pages_show_the_period(client: FlaskClient) -> None:
    page = client.get("/stichwoerter/steigend").get_data(as_text=True)
    assert "01.–30.05.2025 gegenüber 01.–30.04.2025" in page
    assert "/stichwort/ozg" in page and "/stichwort/ki" in page
    page = client.get("/stichwoerter/steigend?tage=30&bis=30.04.2025").get_data(as_text=True)
    assert "01.–30.04.2025 gegenüber 02.–31.03.2025" in page and "/stichwort/bayern" in page
    page = client.get("/stichwoerter/neu").get_data(as_text=True)
    assert "Neue Stichwörter 02.03.–30.05.2025" in page  # 90 days by default
    assert "/stichwort/registermodernisierung" in page
    assert client.get("/stichwoerter/steigend?bis=kaputt").status_code == 400


def test_web_pages_on_an_empty_database(engine: Engine, db_url: str) -> None:
    app = create_app(db_url)
    client = app.test_client()
    for url in ("/stichwoerter/steigend", "/stichwoerter/neu"):
        page = client.get(url).get_data(as_text=True)
        assert "Noch keine Artikel in der Datenbank" in page
    app.config["KN_ENGINE"].dispose()


def test_dates_beyond_the_calendar_are_refused(client: FlaskClient, db: str) -> None:
    # 30 days after 31.12.9999 would overflow: such a date is no date.
    for url in ("/stichwoerter/steigend?bis=31.12.9999", "/stichwoerter/neu?bis=31.12.9999"):
        response = client.get(url)
        assert response.status_code == 400
        assert "Ungültiges Datum: 31.12.9999" in response.get_data(as_text=True)
    code, _out, err = run(db, "tags", "--trend", "--until", "31.12.9999")
    assert code == 2 and "'31.12.9999' is not a date" in err and "Traceback" not in err
