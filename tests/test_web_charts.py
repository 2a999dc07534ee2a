"""The Stichwort page's chart data, in-process on both backends: weekly and monthly buckets
with gaps, absolute counts and shares of all articles, up to three Stichwörter compared, the
table without JavaScript, bad parameters; "zuerst gesehen" is the first article's date.
The drawing itself (Chart.js in Chromium) is in tests/test_web_browser_charts.py."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine

from kn_crawl.web import create_app
from kn_crawl.web.charts import buckets, label, tag_chart
from tests.test_trends import fill


@pytest.fixture
def client(engine: Engine, db_url: str) -> Iterator[FlaskClient]:
    fill(engine)
    app = create_app(db_url)
    yield app.test_client()
    app.config["KN_ENGINE"].dispose()


def chart(client: FlaskClient, url: str) -> tuple[dict[str, Any], str]:
    response = client.get(url)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:500]
    match = re.search(r'<canvas data-chart="([^"]*)"', page)
    assert match, page[:2000]
    return json.loads(html.unescape(match.group(1))), page


def test_buckets_and_labels() -> None:
    assert buckets("2025-11-24", "2025-12-08", "week") == ["2025-11-24", "2025-12-01", "2025-12-08"]
    assert buckets("2024-11", "2025-02", "month") == ["2024-11", "2024-12", "2025-01", "2025-02"]
    assert (label("2025-12-01", "week"), label("2025-03", "month")) == ("01.12.2025", "März 2025")


def test_weekly_counts_of_one_stichwort(client: FlaskClient) -> None:
    data, page = chart(client, "/stichwort/ozg")
    assert data == {
        "type": "bar",
        "labels": ["14.04.2025", "21.04.2025", "28.04.2025", "05.05.2025", "12.05.2025",
                   "19.05.2025", "26.05.2025"],
        "datasets": [{"label": "OZG", "data": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0]}],
        "x": "Woche (ab Montag)",
        "y": "Artikel",
        "percent": False,
        "title": "Artikel pro Woche: OZG",
    }  # fmt: skip
    # "zuerst gesehen": the first article's publication, not the day it was crawled (01.06.).
    assert "zuerst gesehen 20.04.2025" in page
    assert '<tr><td>14.04.2025</td><td class="num">1</td></tr>' in page  # the table
    assert 'src="/static/vendor/chart.umd.min.js"' in page and "<script>" not in page


def test_monthly_shares_compared(client: FlaskClient) -> None:
    data, page = chart(client, "/stichwort/ozg?einheit=monat&werte=anteil&mit=KI&mit=")
    assert data["type"] == "line" and data["labels"] == ["März 2025", "Apr. 2025", "Mai 2025"]
    # All articles: March 1, April 2, May 5.
    assert data["datasets"] == [
        {"label": "OZG", "data": [0.0, 50.0, 60.0]},
        {"label": "KI", "data": [100.0, 0.0, 40.0]},
    ]
    assert (data["y"], data["title"]) == (
        "Anteil an allen Artikeln (%)",
        "Anteil an allen Artikeln pro Monat: OZG und KI",
    )
    assert '<td class="num">60,0 %</td><td class="num">40,0 %</td>' in page
    # The form keeps the choices; the pager and links keep them too.
    assert '<option value="monat" selected>' in page and 'name="mit" value="KI"' in page


def test_three_compared_and_absolute_months(client: FlaskClient) -> None:
    data, page = chart(client, "/stichwort/ozg?einheit=monat&mit=ki&mit=Bayern")
    assert "<figcaption>Artikel pro Monat: OZG, KI und Bayern</figcaption>" in page
    assert [(d["label"], d["data"]) for d in data["datasets"]] == [
        ("OZG", [0.0, 1.0, 3.0]),
        ("KI", [1.0, 0.0, 2.0]),
        ("Bayern", [0.0, 2.0, 1.0]),
    ]
    # The Stichwort itself and repeats are not compared twice.
    data, _ = chart(client, "/stichwort/ozg?mit=OZG&mit=ki&mit=KI")
    assert [d["label"] for d in data["datasets"]] == ["OZG", "KI"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("einheit=tag", "Ungültige Einheit: einheit muss woche oder monat sein"),
        ("werte=prozent", "Ungültige Werte: werte muss anzahl oder anteil sein"),
        ("mit=Unbekannt", "Ungültiger Vergleich: das Stichwort „Unbekannt“ gibt es nicht"),
        ("mit=KI&mit=Bayern&mit=Alt", "Ungültiger Vergleich: höchstens 3 Stichwörter"),
    ],
)
def test_bad_chart_parameters(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/stichwort/ozg?{query}")
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_misdated_future_article_stays_off_the_axis(client: FlaskClient) -> None:
    page = client.get("/stichwort/zukunft").get_data(as_text=True)
    assert "Stichwort: Zukunft" in page and "<canvas" not in page
    data, _ = chart(client, "/stichwort/ozg?einheit=monat&werte=anteil&mit=Zukunft")
    assert data["labels"] == ["Apr. 2025", "Mai 2025"]
    assert data["datasets"][1] == {"label": "Zukunft", "data": [0.0, 0.0]}


def test_a_month_without_any_article_is_a_gap_not_zero_percent() -> None:
    # February has no article at all: its share is no data (a gap), March's 0 of 4 is 0 %.
    chart = tag_chart(
        [("OZG", {"2025-01": 1, "2025-04": 2}), ("KI", {"2025-01": 2})],
        {"2025-01": 4, "2025-03": 4, "2025-04": 2},
        unit="month",
        share=True,
        title="Anteil",
    )
    assert chart.keys == ["2025-01", "2025-02", "2025-03", "2025-04"]
    assert [(s.name, s.values) for s in chart.series] == [
        ("OZG", [25.0, None, 0.0, 100.0]),
        ("KI", [50.0, None, 0.0, 0.0]),
    ]
    assert chart.rows() == [
        ("Jan. 2025", ["25,0 %", "50,0 %"]),
        ("Feb. 2025", ["–", "–"]),
        ("März 2025", ["0,0 %", "0,0 %"]),
        ("Apr. 2025", ["100,0 %", "0,0 %"]),
    ]
    assert json.loads(chart.data_json())["datasets"] == [
        {"label": "OZG", "data": [25.0, None, 0.0, 100.0]},
        {"label": "KI", "data": [50.0, None, 0.0, 0.0]},
    ]
    # Counts stay counts: a month without articles has 0 of them.
    counts = tag_chart([("OZG", {"2025-01": 1, "2025-03": 2})], {}, unit="month", share=False,
                       title="Artikel")  # fmt: skip
    assert counts.series[0].values == [1.0, 0.0, 2.0]
