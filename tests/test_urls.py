"""Tables for kn_crawl.urls."""

from __future__ import annotations

import pytest

from kn_crawl.urls import (
    TRACKING_PARAMS,
    canonicalize_url,
    is_http_url,
    rebase_url,
    same_site,
)

K21 = "https://www.kommune21.de"
MIRROR = "http://127.0.0.1:8123"

CANONICAL_CASES = [
    # already canonical: unchanged, trailing slash kept either way
    (
        f"{K21}/k21-meldungen/potenziale-frueh-erkannt/",
        f"{K21}/k21-meldungen/potenziale-frueh-erkannt/",
    ),
    (
        f"{K21}/k21-meldungen/potenziale-frueh-erkannt",
        f"{K21}/k21-meldungen/potenziale-frueh-erkannt",
    ),
    (f"{K21}/meldung_33697", f"{K21}/meldung_33697"),
    # scheme, host, default port, fragment
    ("HTTPS://WWW.Kommune21.DE/k21-meldungen/x/", f"{K21}/k21-meldungen/x/"),
    ("https://www.kommune21.de:443/k21-meldungen/x/", f"{K21}/k21-meldungen/x/"),
    ("http://www.kommune21.de:80/x", "http://www.kommune21.de/x"),
    ("https://www.kommune21.de:8443/x", "https://www.kommune21.de:8443/x"),
    ("https://www.kommune21.de./x", f"{K21}/x"),
    (f"{K21}/k21-meldungen/x/#kommentare", f"{K21}/k21-meldungen/x/"),
    (f"{K21}", f"{K21}/"),
    (f"  {K21}/x/  ", f"{K21}/x/"),
    # tracking parameters, case-insensitive; the rest sorted
    (f"{K21}/x/?utm_source=newsletter&utm_medium=email&utm_campaign=jan", f"{K21}/x/"),
    (f"{K21}/x/?UTM_Source=x&page=2", f"{K21}/x/?page=2"),
    (f"{K21}/x/?fbclid=IwAR0abc", f"{K21}/x/"),
    (f"{K21}/x/?gclid=1&dclid=2&msclkid=3&yclid=4&igshid=5", f"{K21}/x/"),
    (f"{K21}/x/?mc_cid=1&mc_eid=2&_hsenc=3&_hsmi=4&mkt_tok=5", f"{K21}/x/"),
    (f"{K21}/x/?wt_mc=nl.2025&at_medium=email&xtor=EREC-1", f"{K21}/x/"),
    (f"{K21}/x/?pk_campaign=rss&mtm_source=feed&mtm_cid=7", f"{K21}/x/"),
    (f"{K21}/?s=ozg&utm_source=x&cat=3", f"{K21}/?cat=3&s=ozg"),
    (f"{K21}/?b=2&a=1", f"{K21}/?a=1&b=2"),
    (f"{K21}/?pk=5&id=7", f"{K21}/?id=7&pk=5"),  # not tracking
    (f"{K21}/?a=1&&b=2&", f"{K21}/?a=1&b=2"),
    (f"{K21}/?utm_source=x", f"{K21}/"),
    # percent-encoding
    (
        f"{K21}/meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf",
        f"{K21}/meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf",
    ),
    (
        f"{K21}/meldung_44452_KI+f%c3%bcr+flotteren+Busverkehr.pdf",
        f"{K21}/meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf",
    ),
    (
        f"{K21}/meldung_44452_KI+für+flotteren+Busverkehr.pdf",
        f"{K21}/meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf",
    ),
    (
        f"{K21}/meldung_28242_Ratsinformationssystem+ist+sicher.html",
        f"{K21}/meldung_28242_Ratsinformationssystem+ist+sicher.html",
    ),
    ("https://example.org/%7Euser/", "https://example.org/~user/"),
    ("https://example.org/a b/", "https://example.org/a%20b/"),
    ("https://bücher.example/x", "https://xn--bcher-kva.example/x"),
    # mirror base URLs
    (f"{MIRROR}/k21-meldungen/x/?utm_source=x", f"{MIRROR}/k21-meldungen/x/"),
    ("http://[::1]:8123/x", "http://[::1]:8123/x"),
    # not http(s): returned stripped, unchanged
    ("mailto:redaktion@kommune21.de", "mailto:redaktion@kommune21.de"),
    ("/k21-meldungen/x/", "/k21-meldungen/x/"),
    ("javascript:void(0)", "javascript:void(0)"),
    ("http://x:99999/", "http://x:99999/"),
    ("", ""),
]


@pytest.mark.parametrize(("url", "expected"), CANONICAL_CASES)
def test_canonicalize_url(url: str, expected: str) -> None:
    assert canonicalize_url(url) == expected


@pytest.mark.parametrize(("url", "_"), CANONICAL_CASES)
def test_canonicalize_url_is_idempotent(url: str, _: str) -> None:
    once = canonicalize_url(url)
    assert canonicalize_url(once) == once


def test_tracking_params_are_lowercase() -> None:
    assert all(name == name.lower() for name in TRACKING_PARAMS)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{K21}/k21-meldungen/x/", True),
        ("http://www.kommune21.de/", True),
        ("HTTPS://EXAMPLE.ORG", True),
        (f"{MIRROR}/", True),
        (f"  {K21}/x  ", True),
        ("http://[::1]:8123/", True),
        ("ftp://example.org/", False),
        ("mailto:a@b.de", False),
        ("javascript:void(0)", False),
        ("//www.kommune21.de/x", False),  # scheme-relative: join first
        ("/k21-meldungen/x/", False),
        ("www.kommune21.de", False),
        ("https://", False),
        ("https:///path", False),
        ("http://x:99999/", False),
        ("http://exa mple.org/", False),
        ("http://[::1/", False),
        ("", False),
        (None, False),
    ],
)
def test_is_http_url(url: str | None, expected: bool) -> None:
    assert is_http_url(url) is expected


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        (f"{K21}/k21-meldungen/x/", f"{K21}/", True),
        ("http://www.kommune21.de/x", f"{K21}/", True),  # scheme ignored
        ("https://kommune21.de/x", f"{K21}/", True),  # www. ignored
        (f"{K21}/x", "https://kommune21.de/", True),
        ("https://WWW.KOMMUNE21.DE/x", f"{K21}/", True),
        ("https://www.kommune21.de:443/x", f"{K21}/", True),
        ("http://www.kommune21.de:443/x", f"{K21}/", False),  # explicit non-default port
        ("https://www.move-online.de/x", f"{K21}/", False),
        ("https://presse.kommune21.de/x", f"{K21}/", False),  # other subdomain
        ("https://www.kommune21.de.evil.example/x", f"{K21}/", False),
        (f"{MIRROR}/k21-meldungen/x/", f"{MIRROR}/", True),
        ("http://127.0.0.1:8124/x", f"{MIRROR}/", False),
        ("http://127.0.0.1/x", f"{MIRROR}/", False),
        ("http://localhost:8123/x", f"{MIRROR}/", False),
        ("/k21-meldungen/x/", f"{K21}/", False),
        ("mailto:a@kommune21.de", f"{K21}/", False),
        ("", f"{K21}/", False),
        (f"{K21}/x", "not a url", False),
    ],
)
def test_same_site(url: str, base: str, expected: bool) -> None:
    assert same_site(url, base) is expected


@pytest.mark.parametrize(
    ("url", "from_base", "to_base", "expected"),
    [
        (f"{K21}/k21-meldungen/x/", f"{K21}/", f"{MIRROR}/", f"{MIRROR}/k21-meldungen/x/"),
        (f"{MIRROR}/k21-meldungen/x/", f"{MIRROR}/", f"{K21}/", f"{K21}/k21-meldungen/x/"),
        (
            f"{K21}/k21-meldungen/page/2/?s=ozg#top",
            f"{K21}/",
            MIRROR,
            f"{MIRROR}/k21-meldungen/page/2/?s=ozg#top",
        ),
        (K21, f"{K21}/", f"{MIRROR}/", f"{MIRROR}/"),
        ("http://kommune21.de/meldung_33697", f"{K21}/", f"{MIRROR}/", f"{MIRROR}/meldung_33697"),
        # base paths: the prefix is swapped
        (f"{K21}/k21-meldungen/x/", f"{K21}/", f"{MIRROR}/k21/", f"{MIRROR}/k21/k21-meldungen/x/"),
        (f"{MIRROR}/k21/k21-meldungen/x/", f"{MIRROR}/k21/", f"{K21}/", f"{K21}/k21-meldungen/x/"),
        (f"{MIRROR}/k21", f"{MIRROR}/k21/", f"{K21}/", f"{K21}/"),
        (f"{MIRROR}/other/x/", f"{MIRROR}/k21/", f"{K21}/", f"{MIRROR}/other/x/"),
        # not on from_base: unchanged
        ("https://www.move-online.de/x/", f"{K21}/", f"{MIRROR}/", "https://www.move-online.de/x/"),
        ("/k21-meldungen/x/", f"{K21}/", f"{MIRROR}/", "/k21-meldungen/x/"),
        ("mailto:a@kommune21.de", f"{K21}/", f"{MIRROR}/", "mailto:a@kommune21.de"),
    ],
)
def test_rebase_url(url: str, from_base: str, to_base: str, expected: str) -> None:
    assert rebase_url(url, from_base, to_base) == expected


@pytest.mark.parametrize(
    "url",
    [
        f"{K21}/k21-meldungen/x/",
        f"{K21}/k21-meldungen/page/2/?s=ozg#top",
        f"{K21}/meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf",
        K21 + "/",
    ],
)
def test_rebase_round_trip(url: str) -> None:
    there = rebase_url(url, K21, MIRROR)
    assert there.startswith(MIRROR)
    assert rebase_url(there, MIRROR, K21) == url
