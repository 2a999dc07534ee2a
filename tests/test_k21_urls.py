"""K21 URL classification: a table of real URL shapes from SOURCES.md."""

from __future__ import annotations

import pytest

from spiders.k21 import UrlKind, classify_url, legacy_id

BASE = "https://www.kommune21.de/"
MIRROR = "http://127.0.0.1:8021/"


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (BASE + "k21-meldungen/arbeitshilfen-zu-ki-in-der-verwaltung/", UrlKind.ARTICLE),
        (BASE + "k21-meldungen/mehr-it-sicherheit-fuer-kommunen-2/", UrlKind.ARTICLE),
        (BASE + "k21-meldungen/potenziale-frueh-erkannt", UrlKind.ARTICLE),
        (BASE + "k21-meldungen/potenziale-frueh-erkannt/?utm_source=x", UrlKind.ARTICLE),
        ("https://kommune21.de/k21-meldungen/ki-in-der-justiz/", UrlKind.ARTICLE),
        ("http://www.kommune21.de/k21-meldungen/ki-in-der-justiz/", UrlKind.ARTICLE),
        (BASE + "k21-meldungen/", UrlKind.ARCHIVE),
        (BASE + "k21-meldungen/page/2/", UrlKind.ARCHIVE),
        (BASE + "k21-meldungen/page/17", UrlKind.ARCHIVE),
        (BASE + "k21-meldungen/feed", UrlKind.FEED),
        (BASE + "k21-meldungen/feed/", UrlKind.FEED),
        (BASE + "feed/", UrlKind.FEED),
        (BASE + "k21-themen/politik/", UrlKind.SECTION),
        (BASE + "k21-themen/politik/page/3/", UrlKind.SECTION),
        (BASE + "meldung_33697", UrlKind.LEGACY_ARTICLE),
        (BASE + "meldung_39436_gn", UrlKind.LEGACY_ARTICLE),
        (BASE + "meldung_28242_Ratsinformationssystem+ist+sicher.html", UrlKind.LEGACY_ARTICLE),
        (BASE + "meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf", UrlKind.LEGACY_ARTICLE),
        (BASE + "k21-heftarchiv/2024-12/", None),
        (BASE + "k21-termine/", None),
        (BASE + "k21-it-guide/", None),
        (BASE + "?s=OZG", None),
        (BASE + "wp-json/", None),
        (BASE, None),
        ("https://www.move-online.de/k21-meldungen/ki-in-der-justiz/", None),  # another site
        ("https://example.org/k21-meldungen/x/", None),
        (MIRROR + "k21-meldungen/x/", None),  # another base: not this site
    ],
)
def test_classify(url: str, kind: UrlKind | None) -> None:
    assert classify_url(url, BASE) == kind


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (MIRROR + "k21-meldungen/x/", UrlKind.ARTICLE),
        ("http://127.0.0.1:8022/k21-meldungen/x/", None),  # the next port is another site
        (MIRROR + "meldung_40055_gn", UrlKind.LEGACY_ARTICLE),
    ],
)
def test_classify_on_a_mirror(url: str, kind: UrlKind | None) -> None:
    assert classify_url(url, MIRROR) == kind


@pytest.mark.parametrize(
    ("url", "number"),
    [
        (BASE + "meldung_33697", "33697"),
        (BASE + "meldung_39436_gn", "39436"),
        (BASE + "meldung_28242_Ratsinformationssystem+ist+sicher.html", "28242"),
        (BASE + "meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf", "44452"),
        (BASE + "k21-meldungen/meldung_1/", None),
        (BASE + "k21-meldungen/x/", None),
    ],
)
def test_legacy_id(url: str, number: str | None) -> None:
    assert legacy_id(url) == number
