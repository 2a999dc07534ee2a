"""Self-service alerts in a real browser (headless Debian Chromium via Playwright): subscribe
from a search, read the confirmation e-mail from a local SMTP server, confirm, receive an alert
after a crawl, open its manage link, pause and end the subscription. Screenshots go to
``test-artifacts/``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from kn_crawl.alerts.models import AlertSubscription
from kn_crawl.db.engine import make_engine
from kn_crawl.db.migrate import upgrade
from kn_crawl.db.models import table_of
from tests.alerts_support import SmtpServer, item, wait_for
from tests.selfservice_support import backfill_and_news, link, web_site
from tests.test_web_browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS

playwright_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.slow
subs_t = table_of(AlertSubscription)
UTC = dt.UTC


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    engine = make_engine(sqlite_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def page() -> Iterator[Any]:
    import os

    if not Path(CHROMIUM).exists():
        if os.environ.get("KN_REQUIRE_POSTGRES"):  # CI: everything must run
            pytest.fail(f"{CHROMIUM} not installed")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install chromium)")
    ARTIFACTS.mkdir(exist_ok=True)
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc: errors.append(str(exc)))
        pg.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        yield pg
        context.close()
        browser.close()
        assert errors == []  # no script errors, no CSP violations


def _state(engine: Engine) -> list[tuple[bool, bool, bool]]:
    """(active, confirmed, paused) of every subscription."""
    with engine.connect() as conn:
        return [
            (r.active, r.confirmed_at is not None, r.paused_at is not None)
            for r in conn.execute(select(subs_t).order_by(subs_t.c.id))
        ]


def test_subscribe_confirm_manage_pause_and_end(
    sqlite_engine: Engine, sqlite_url: str, tmp_path: Path, page: Any
) -> None:
    engine = sqlite_engine
    now = dt.datetime.now(UTC)
    with SmtpServer() as smtp, web_site(engine, sqlite_url, tmp_path, smtp.env()) as site:
        backfill_and_news(site, now)
        site.match()

        page.goto(site.url)
        page.fill("input[name=q]", "OZG")
        page.click("form.search button[type=submit]")
        page.click("text=Diese Suche abonnieren")
        page.wait_for_selector("form.subscribe")
        assert page.inner_text("h1") == "Suche „OZG“ abonnieren"
        assert page.inner_text("#preview-count").startswith("1 Meldung vom ")
        page.fill("input[name=email]", "dora@example.org")
        page.check("input[name=mode][value=immediate]")
        page.screenshot(path=ARTIFACTS / "subscribe.png", full_page=True)
        page.click("form.subscribe button[type=submit]")
        assert page.inner_text("h1") == "Fast geschafft"
        assert _state(engine) == [(True, False, False)]

        wait_for(lambda: len(smtp.recorder.to("dora@example.org")) == 1)
        (confirmation,) = smtp.recorder.to("dora@example.org")
        page.goto(link(confirmation.text, "bestaetigen"))
        page.screenshot(path=ARTIFACTS / "subscribe-confirm.png", full_page=True)
        page.click("button:has-text('Abonnement bestätigen')")
        assert page.inner_text("h1") == "Abonnement bestätigt"
        assert _state(engine) == [(True, True, False)]

        site.desk.crawl("kommune21", [item("kommune21", "OZG-Cockpit freigeschaltet", ["OZG"],
                                           published=now)], now=now)  # fmt: skip
        assert site.match().queued == 1
        assert site.send() == 1
        alert = smtp.recorder.to("dora@example.org")[-1]
        page.goto(link(alert.text, "benachrichtigungen"))
        assert page.inner_text("h1") == "Benachrichtigungen verwalten"
        section = page.locator("section.subscription")
        assert section.locator(".state").inner_text() == "aktiv"
        page.screenshot(path=ARTIFACTS / "manage.png", full_page=True)

        section.locator("button[value=pause]").click()
        assert page.inner_text("#message") == "Das Abonnement ist pausiert."
        assert page.locator("section.subscription .state").inner_text() == "pausiert"
        assert _state(engine) == [(True, True, True)]
        page.screenshot(path=ARTIFACTS / "manage-paused.png", full_page=True)

        page.locator("section.subscription button[value=end]").click()
        assert page.inner_text("#message") == "Das Abonnement ist beendet."
        assert page.inner_text("#none") == "Keine Abonnements (mehr)."
        assert _state(engine) == [(False, True, True)]
        page.screenshot(path=ARTIFACTS / "manage-ended.png", full_page=True)
