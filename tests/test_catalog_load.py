"""The source catalogue: the bundled file, the user's file over it, and one-line errors that
name the file, the line and the key."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kn_crawl.catalog.load import (
    BUNDLED_FILE,
    CatalogError,
    _Lines,
    catalog_files,
    known_families,
    load_catalog,
    load_files,
)
from kn_crawl.catalog.model import Selectors
from kn_crawl.settings import Settings
from spiders import family as family_registry

NAMES = {
    "kommune21", "move", "stadtundwerk", "egovernment", "behoerdenspiegel", "negz", "vdz",
    "vitako", "govdigital", "dstgb", "itplanungsrat", "fitko", "bmds", "kommunal", "dortmund",
    "kgst", "staedtetag", "digitaleverwaltung", "digitalservice", "bsi", "bva", "opencode",
    "zendis", "publicmanager", "egovpodcast", "innovativeverwaltung", "tagesspiegelbackground",
}  # fmt: skip
FAMILIES = {"generic", "k21", "typo3", "wordpress"}


def load_user(tmp_path: Path, text: str) -> tuple[Path, object]:
    user = tmp_path / "kn-sources.toml"
    user.write_text(text)
    return user, load_files((BUNDLED_FILE, user), families=FAMILIES)


# --- the bundled catalogue ------------------------------------------------------------------


def test_bundled_catalogue_loads_with_every_source_of_the_field() -> None:
    catalog = load_files((BUNDLED_FILE,), families=FAMILIES)
    assert set(catalog) == NAMES
    assert len(catalog.enabled()) == 25
    assert {e.name: e.disabled_reason for e in catalog.disabled()} == {
        "innovativeverwaltung": "paywall: teasers only",
        "tagesspiegelbackground": "paywall and bot wall",
    }
    assert {e.name for e in catalog.values() if e.family == "k21"} == {
        "kommune21",
        "move",
        "stadtundwerk",
    }
    for entry in catalog.values():
        assert entry.base_url.startswith("https://") and entry.base_url.endswith("/")
        for url in (*entry.feed_urls, *entry.listing_urls):
            assert url.startswith(entry.base_url), (entry.name, url)
        if entry.enabled and entry.family == "generic":
            assert entry.feed_urls or entry.listing_urls, entry.name
            assert not entry.listing_urls or entry.article_pattern, entry.name


def test_bundled_catalogue_loads_with_the_registered_families() -> None:
    """With every family of the registry (the parallel parts' families accepted until they
    are merged): what the commands load."""
    assert known_families() >= FAMILIES
    catalog = load_files((BUNDLED_FILE,))
    assert set(catalog) == NAMES


def test_bundled_entries_known_from_sources_md() -> None:
    catalog = load_files((BUNDLED_FILE,), families=FAMILIES)
    assert catalog["egovernment"].feed_urls == ("https://www.egovernment.de/rss/news.xml",)
    assert catalog["egovernment"].article_pattern == "^/[a-z0-9-]+-a-[0-9a-f]{32}/$"
    assert catalog["kommune21"].feed_urls == ("https://www.kommune21.de/k21-meldungen/feed",)
    assert catalog["kommune21"].listing_urls == ("https://www.kommune21.de/k21-meldungen/",)
    assert catalog["move"].title == "move – moderne verwaltung"
    assert catalog["fitko"].feed_urls == ("https://www.fitko.de/aktuelles?type=9818",)
    assert catalog["itplanungsrat"].feed_urls == ()
    # Feed-only where robots.txt keeps the crawl off the episode pages, not by the entry.
    assert catalog["egovpodcast"].fetch_articles is True
    assert catalog["bsi"].selectors.date == (
        "xpath://div[@class='article']//p[@class='date']/text()[last()]"
    )
    assert catalog["dstgb"].schedule == "2h"
    assert catalog["bsi"].listing_urls == (
        "https://www.bsi.bund.de/DE/Service-Navi/Presse/Pressemitteilungen/"
        "pressemitteilungen_node.html",
    )


# --- the user's file over it ---------------------------------------------------------------


def test_user_entry_replaces_only_the_keys_it_gives(tmp_path: Path) -> None:
    _, catalog = load_user(
        tmp_path,
        '[sources.vitako]\nfeeds = ["/rss/", "https://www.vitako.de/aktuelles/feed/"]\n'
        '[sources.vitako.selectors]\nbody = "article"\n',
    )
    vitako = catalog["vitako"]  # type: ignore[index]
    assert vitako.title == "Vitako"
    assert vitako.schedule == "3h"
    assert vitako.feed_urls == (
        "https://www.vitako.de/rss/",
        "https://www.vitako.de/aktuelles/feed/",
    )
    assert vitako.selectors == Selectors(body="article")


def test_user_selectors_are_laid_over_one_by_one(tmp_path: Path) -> None:
    user = tmp_path / "a.toml"
    user.write_text('[sources.vitako.selectors]\nbody = "article"\ndate = "//time/@datetime"\n')
    second = tmp_path / "b.toml"
    second.write_text('[sources.vitako]\nselectors.date = "time::attr(datetime)"\n')
    catalog = load_files((BUNDLED_FILE, user, second), families=FAMILIES)
    assert catalog["vitako"].selectors == Selectors(body="article", date="time::attr(datetime)")


def test_user_file_adds_and_disables_sources(tmp_path: Path) -> None:
    _, catalog = load_user(
        tmp_path,
        """
[sources.musterstadt]
title = "Stadt Musterstadt"
family = "generic"
base_url = "https://www.musterstadt.de"
listings = ["presse/"]
article_pattern = '^/presse/\\d+-[^/]+$'
next_page = "?page={n}"
language = "de"

[sources.kommunal]
enabled = false
disabled_reason = "relaunch pending"
""",
    )
    new = catalog["musterstadt"]  # type: ignore[index]
    assert new.base_url == "https://www.musterstadt.de/"
    assert new.listing_urls == ("https://www.musterstadt.de/presse/",)
    assert new.next_page == "?page={n}"
    assert list(catalog)[-1] == "musterstadt"  # type: ignore[call-overload]
    kommunal = catalog["kommunal"]  # type: ignore[index]
    assert (kommunal.enabled, kommunal.disabled_reason) == (False, "relaunch pending")
    assert kommunal.listing_urls == ("https://kommunal.de/",)


def test_enabling_a_bundled_disabled_source_drops_its_reason(tmp_path: Path) -> None:
    _, catalog = load_user(
        tmp_path,
        '[sources.tagesspiegelbackground]\nenabled = true\nfeeds = ["/feed.xml"]\n',
    )
    entry = catalog["tagesspiegelbackground"]  # type: ignore[index]
    assert (entry.enabled, entry.disabled_reason) == (True, None)


# --- errors: one line with file, line and key ----------------------------------------------

BAD = [
    ("[sources.x\n", "1:11: TOML syntax error: Expected ']' at the end of a table declaration"),
    ("[sources.vdz]\nschedule = \n", "2:12: TOML syntax error: Invalid value"),
    ("source = 1\n", "1: unknown key 'source' (did you mean 'sources'?)"),
    ("sources = 1\n", "1: sources must be a table"),
    (
        "\n[sources.Vitako2]\ntitle = 'x'\n",
        "2: sources.Vitako2: bad source name 'Vitako2' (lower-case letters, digits and _, "
        "starting with a letter, at most 64 characters)",
    ),
    (f"[sources.{'a' * 65}]\n", f"1: sources.{'a' * 65}: bad source name"),
    ("[sources]\nvdz = 3\n", "2: sources.vdz must be a table"),
    (
        "[sources.vitako]\nfeed = ['/x']\n",
        "2: sources.vitako: unknown key 'feed' (did you mean 'feeds'?)",
    ),
    (
        "[sources.vitako]\ntitle = 'V'\n\n[sources.vitako.selectors]\nheadline = 'h1'\n",
        "5: sources.vitako.selectors: unknown key 'headline' (known: title, kicker, teaser, "
        "body, date, tags, author)",
    ),
    ("[sources.vitako]\nselectors = 'h1'\n", "2: sources.vitako.selectors must be a table"),
    (
        "[sources.neu]\ntitle = 'Neu'\nfamily = 'generic'\n",
        "1: sources.neu: missing key 'base_url'",
    ),
    (
        "[sources.neu]\nfamily = 'generic'\nbase_url = 'https://neu.de/'\n",
        "1: sources.neu: missing key 'title'",
    ),
    ("[sources.vdz]\ntitle = ''\n", "2: sources.vdz.title: must not be empty"),
    ("[sources.vdz]\ntitle = 5\n", "2: sources.vdz.title: must be a string, not a number"),
    ('[sources.vdz]\ntitle = "a\\nb"\n', "2: sources.vdz.title: must be a single line"),
    ("[sources.vdz]\ntitle = '" + "x" * 201 + "'\n", "2: sources.vdz.title: is longer than 200"),
    (
        "[sources.vdz]\nbase_url = '/vdz/'\n",
        "2: sources.vdz.base_url: '/vdz/' is not an absolute http(s) URL",
    ),
    (
        "[sources.vdz]\nbase_url = 'ftp://vdz.org/'\n",
        "2: sources.vdz.base_url: 'ftp://vdz.org/' is not an absolute http(s) URL",
    ),
    (
        "[sources.vdz]\nbase_url = 'https://vdz.org/?x=1'\n",
        "2: sources.vdz.base_url: 'https://vdz.org/?x=1' must not have a query or fragment",
    ),
    (
        "[sources.vdz]\nbase_url = 'https://vdz.org/#top'\n",
        "2: sources.vdz.base_url: 'https://vdz.org/#top' must not have a query or fragment",
    ),
    (
        "[sources.vdz]\nbase_url = 'http://u:geheim@127.0.0.1:8021/'\n",
        "2: sources.vdz.base_url: the URL of 127.0.0.1:8021 must not have a login (user:password@)",
    ),
    (
        "[sources.vdz]\nfeeds = 'rss.xml'\n",
        "2: sources.vdz.feeds: must be a list of URLs, not a string",
    ),
    (
        "[sources.vdz]\nfeeds = ['https://feeds.example.org/vdz.xml']\n",
        "2: sources.vdz.feeds: 'https://feeds.example.org/vdz.xml' is on another origin than "
        "base_url 'https://www.vdz.org/'",
    ),
    (
        "[sources.vdz]\nfeeds = ['http://www.vdz.org/rss.xml']\n",
        "2: sources.vdz.feeds: 'http://www.vdz.org/rss.xml' is on another origin than "
        "base_url 'https://www.vdz.org/'",
    ),
    (
        "[sources.vdz]\nbase_url = 'https://www.vdz.org/de/'\nlistings = ['/news']\n",
        "3: sources.vdz.listings: 'https://www.vdz.org/news' is not under base_url "
        "'https://www.vdz.org/de/'",
    ),
    (
        "[sources.vdz]\nlistings = ['javascript:alert(1)']\n",
        "2: sources.vdz.listings: 'javascript:alert(1)' is not an http(s) URL",
    ),
    (
        "[sources.dstgb]\narticle_pattern = '^/(x'\n",
        "2: sources.dstgb.article_pattern: '^/(x' is not a regular expression: missing ) "
        "at position 4",
    ),
    (
        "[sources.dstgb.selectors]\nbody = 'div['\n",
        "2: sources.dstgb.selectors.body: 'div[' is not a CSS selector: Expected ident or '*', "
        "got <EOF at 4>",
    ),
    (
        "[sources.dstgb]\ntitle = 'D'\nselectors.date = '//time['\n",
        "3: sources.dstgb.selectors.date: '//time[' is not an XPath expression: Invalid expression",
    ),
    (
        "[sources.dstgb]\nselectors = { tags = 'xpath:(//a' }\n",
        "2: sources.dstgb.selectors.tags: 'xpath:(//a' is not an XPath expression",
    ),
    (
        "[sources.dstgb]\nnext_page = '?page={page}'\n",
        "2: sources.dstgb.next_page: '?page={page}': a page-number template takes {n} "
        "(e.g. ?page={n})",
    ),
    (
        "[sources.dstgb]\nnext_page = 'https://other.example/?p={n}'\n",
        "2: sources.dstgb.next_page: 'https://other.example/?p=2' is on another origin",
    ),
    (
        "[sources.dstgb]\nnext_page = 'a[rel=next'\n",
        "2: sources.dstgb.next_page: 'a[rel=next' is not a CSS selector",
    ),
    (
        "[sources.vdz]\nfamily = 'wordpres'\n",
        "2: sources.vdz.family: unknown family 'wordpres' (did you mean 'wordpress'?)",
    ),
    (
        "[sources.vdz]\nfamily = 'joomla'\n",
        "2: sources.vdz.family: unknown family 'joomla' (known: generic, k21, typo3, wordpress)",
    ),
    (
        "[sources.vdz]\ntitle = 'V'\nenabled = false\n",
        "3: sources.vdz.enabled: a disabled source needs a disabled_reason (paywall, cookie "
        "wall, …)",
    ),
    (
        "[sources.vdz]\nenabled = 'no'\n",
        "2: sources.vdz.enabled: must be true or false, not a string",
    ),
    (
        "[sources.vdz]\nfetch_articles = 1\n",
        "2: sources.vdz.fetch_articles: must be true or false, not a number",
    ),
    (
        "[sources.vdz]\nschedule = 'often'\n",
        "2: sources.vdz.schedule: 'often' is not a duration (e.g. 30m, 1h30m, 45s)",
    ),
    (
        "[sources.vdz]\nschedule = 'cron:every day'\n",
        "2: sources.vdz.schedule: 'every day' is not a cron expression",
    ),
    (
        "[sources.vdz]\nlanguage = 'Deutsch'\n",
        "2: sources.vdz.language: 'Deutsch' is not a language tag (de, en, de-CH)",
    ),
    (
        "[sources.vitako]\nfeeds = []\n",
        "1: sources.vitako: needs feeds or listings",
    ),
    (
        "[sources.vitako]\nlistings = ['/aktuelles']\n",
        "2: sources.vitako.listings: listings need an article_pattern (which links on them are "
        "articles)",
    ),
    (
        "[sources.innovativeverwaltung]\nenabled = true\n",
        "1: sources.innovativeverwaltung: needs feeds or listings",
    ),
]


# Every key with a value of the wrong type: a one-line error naming the key, never a traceback.
WRONG_TYPES = [
    ("title = 5", "2: sources.vdz.title: must be a string, not a number"),
    ("family = ['generic']", "2: sources.vdz.family: must be a string, not a list"),
    ("base_url = 5", "2: sources.vdz.base_url: must be an http(s) URL, not a number"),
    ("base_url = true", "2: sources.vdz.base_url: must be an http(s) URL, not a boolean"),
    ("base_url = 1979-05-27", "2: sources.vdz.base_url: must be an http(s) URL, not date"),
    ("base_url = { a = 1 }", "2: sources.vdz.base_url: must be an http(s) URL, not a table"),
    ("feeds = 5", "2: sources.vdz.feeds: must be a list of URLs, not a number"),
    ("feeds = [5]", "2: sources.vdz.feeds: must be a string, not a number"),
    ("listings = { a = 1 }", "2: sources.vdz.listings: must be a list of URLs, not a table"),
    ("listings = [[1]]", "2: sources.vdz.listings: must be a string, not a list"),
    ("article_pattern = 1.5", "2: sources.vdz.article_pattern: must be a string, not a number"),
    ("next_page = 2", "2: sources.vdz.next_page: must be a string, not a number"),
    ("language = false", "2: sources.vdz.language: must be a string, not a boolean"),
    ("schedule = 30", "2: sources.vdz.schedule: must be a string, not a number"),
    (
        "fetch_articles = 'yes'",
        "2: sources.vdz.fetch_articles: must be true or false, not a string",
    ),
    ("enabled = 0", "2: sources.vdz.enabled: must be true or false, not a number"),
    ("disabled_reason = []", "2: sources.vdz.disabled_reason: must be a string, not a list"),
    ("selectors = []", "2: sources.vdz.selectors must be a table"),
    ("selectors.body = 3", "2: sources.vdz.selectors.body: must be a string, not a number"),
    ("selectors.title = true", "2: sources.vdz.selectors.title: must be a string, not a boolean"),
]


def test_every_key_has_a_wrong_type_case() -> None:
    from kn_crawl.catalog.load import ENTRY_KEYS

    assert {line.split(" ")[0].split(".")[0] for line, _ in WRONG_TYPES} == set(ENTRY_KEYS)


@pytest.mark.parametrize(
    ("text", "message"), [*BAD, *((f"[sources.vdz]\n{k}\n", m) for k, m in WRONG_TYPES)]
)
def test_bad_user_files_are_one_line_errors_with_file_line_and_key(
    tmp_path: Path, text: str, message: str
) -> None:
    user = tmp_path / "kn-sources.toml"
    user.write_text(text)
    with pytest.raises(CatalogError) as info:
        load_files((BUNDLED_FILE, user), families=FAMILIES)
    error = str(info.value)
    assert "\n" not in error
    assert error.startswith(f"{user}:{message}"), error


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    user = tmp_path / "kn-sources.toml"
    user.write_bytes(b"[sources.vdz]\ntitle = '\xff'\n")
    with pytest.raises(CatalogError, match=rf"^{user}: cannot read the catalogue: 'utf-8'"):
        load_files((BUNDLED_FILE, user), families=FAMILIES)


@pytest.fixture
def throwaway_family() -> Iterator[str]:
    """A throw-away family in the registry, removed again afterwards."""

    @family_registry.register
    class Throwaway(family_registry.Family):
        name = "throwaway_test_family"
        title = "for the catalogue's tests"

    try:
        yield Throwaway.name
    finally:
        family_registry._FAMILIES.pop(Throwaway.name, None)


def test_family_must_be_registered(tmp_path: Path, throwaway_family: str) -> None:
    user = tmp_path / "kn-sources.toml"
    user.write_text(f"[sources.vdz]\nfamily = '{throwaway_family}'\n")
    assert load_files((BUNDLED_FILE, user))["vdz"].family == throwaway_family
    user.write_text("[sources.vdz]\nfamily = 'throwaway_test_famly'\n")
    with pytest.raises(CatalogError, match=f"did you mean '{throwaway_family}'"):
        load_files((BUNDLED_FILE, user))


# --- where keys are ----------------------------------------------------------------------

LINES_TEXT = """\
# a comment
[sources.a]
title = "A"
"base_url" = "https://a/"
selectors.body = "x"
feeds = [
  "x = y",
]

[ sources . "b" ]   # spaces and quotes
title = '''
title = "not a key"
'''
family = "generic"

[sources.c.selectors]
date = "time"

[sources]
d = { title = "D" }
"""


@pytest.mark.parametrize(
    ("path", "line"),
    [
        (("sources", "a"), 2),
        (("sources", "a", "title"), 3),
        (("sources", "a", "base_url"), 4),
        (("sources", "a", "selectors", "body"), 5),
        (("sources", "a", "feeds"), 6),
        (("sources", "a", "language"), 2),
        (("sources", "b"), 10),
        (("sources", "b", "title"), 11),
        (("sources", "b", "family"), 14),
        (("sources", "c"), 16),
        (("sources", "c", "selectors", "date"), 17),
        (("sources", "d"), 20),
        (("sources", "d", "title"), 20),
        (("nowhere",), 1),
    ],
)
def test_lines_of_tables_and_keys(path: tuple[str, ...], line: int) -> None:
    assert _Lines(LINES_TEXT).line(*path) == line


# --- configured files, base URLs, cache ------------------------------------------------


def settings(**env: str) -> Settings:
    return Settings.from_env(env)


def test_user_file_from_the_environment_or_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert catalog_files(settings()) == (BUNDLED_FILE,)
    Path("kn-sources.toml").write_text("")
    assert catalog_files(settings()) == (BUNDLED_FILE, Path("kn-sources.toml"))
    other = tmp_path / "other.toml"
    assert catalog_files(settings(KN_SOURCES_FILE=str(other))) == (BUNDLED_FILE, other)
    with pytest.raises(CatalogError, match=rf"^{other}: no such catalogue file"):
        load_catalog(settings(KN_SOURCES_FILE=str(other)))


def test_base_url_variables_move_feeds_and_listings(tmp_path: Path) -> None:
    catalog = load_catalog(
        settings(KN_BASE_URL_FITKO="http://127.0.0.1:8099", KN_SOURCES_FILE=os.devnull),
        families=FAMILIES,
    )
    fitko = catalog["fitko"]
    assert fitko.base_url == "http://127.0.0.1:8099/"
    assert fitko.feed_urls == ("http://127.0.0.1:8099/aktuelles?type=9818",)
    assert fitko.listing_urls == ("http://127.0.0.1:8099/aktuelles",)
    assert catalog["vdz"].base_url == "https://www.vdz.org/"


def test_catalogue_is_read_again_only_when_a_file_changes(tmp_path: Path) -> None:
    user = tmp_path / "kn-sources.toml"
    user.write_text("[sources.vdz]\nschedule = '1h'\n")
    configured = settings(KN_SOURCES_FILE=str(user))
    first = load_catalog(configured, families=FAMILIES)
    assert load_catalog(configured, families=FAMILIES) is first
    user.write_text("[sources.vdz]\nschedule = '2h'\n")
    os.utime(user, ns=(1, 1))  # a change within the same clock tick still counts
    second = load_catalog(configured, families=FAMILIES)
    assert second is not first
    assert second["vdz"].schedule == "2h"


def test_bundled_catalogue_agrees_with_the_zoo() -> None:
    """The zoo mirrors the real sites' paths: the real catalogue, rebased on the mirror, must
    read them as the zoo's own entries say (skipped until the zoo is on this branch)."""
    from dataclasses import asdict

    zoo = pytest.importorskip("kn_crawl.mirror.zoo")
    bases = {name: f"http://127.0.0.1:{9000 + i}/" for i, name in enumerate(sorted(NAMES))}
    catalog = load_files((BUNDLED_FILE,), families=FAMILIES)
    entries = zoo.zoo_entries(bases)
    assert entries
    for name, expected in entries.items():
        entry = catalog[name].rebased(bases[name])
        selectors = {k: v for k, v in asdict(entry.selectors).items() if v}
        assert (
            entry.family, entry.feed_urls, entry.listing_urls, entry.article_pattern,
            entry.next_page, selectors, entry.fetch_articles,
        ) == (
            expected["family"], expected["feed_urls"], expected["listing_urls"],
            expected["article_pattern"], expected["next_page"], expected["selectors"],
            expected["fetch_articles"],
        ), name  # fmt: skip


@pytest.mark.parametrize(
    ("variable", "message"),
    [
        (
            "KN_BASE_URL_FITKOO",
            "KN_BASE_URL_FITKOO: no source 'fitkoo' in the catalogue (did you mean "
            "KN_BASE_URL_FITKO?)",
        ),
        (
            "KN_BASE_URL_XYZZY",
            "KN_BASE_URL_XYZZY: no source 'xyzzy' in the catalogue (see kn-crawl sources)",
        ),
    ],
)
def test_a_base_url_variable_for_no_source_is_an_error(variable: str, message: str) -> None:
    with pytest.raises(CatalogError) as info:
        load_catalog(
            settings(**{variable: "http://127.0.0.1:8099/", "KN_SOURCES_FILE": os.devnull}),
            families=FAMILIES,
        )
    assert str(info.value) == message
