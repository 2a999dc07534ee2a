"""The vocabulary of the field (kn_crawl.vocabulary): what it finds in a text, what it gives an
article, how its files are read and refused."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kn_crawl.alerts.vocabulary import load_vocabulary as load_alert_synonyms
from kn_crawl.items import ArticleItem
from kn_crawl.query.fold import fold
from kn_crawl.settings import ConfigError, Settings
from kn_crawl.vocabulary import apply_vocabulary, check_vocabulary, load_matcher, vocabulary_tags
from kn_crawl.vocabulary.matching import SHORT_BODY, compile_terms, fast_fold
from kn_crawl.vocabulary.terms import KINDS, Term, bundled_terms, load_terms, parse_terms

MATCHER = load_matcher()


def found(text: str) -> list[str]:
    return [t.name for t in MATCHER.mentions(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # German compounds: a term as the first or the last part.
        ("Der Glasfaserausbau kommt voran", ["Glasfaser"]),
        ("Breitbandförderung für Gewerbegebiete", ["Breitband"]),
        ("Die Verwaltungscloud der Länder", ["Cloud"]),
        ("Datensouveränität als Ziel", ["Digitale Souveränität"]),
        ("Eine Digitalisierungsstrategie für alle", ["Digitalstrategie"]),
        ("Die Datenschutzbeauftragte warnt", ["Datenschutz"]),
        ("Die Datenschutzkonferenz tagt", ["Datenschutzkonferenz"]),  # the longer term wins
        ("Mobilfunkmasten im Außenbereich", ["Mobilfunk"]),
        ("Die Smart-City-Strategie der Stadt", ["Smart City"]),
        # Inflections.
        ("Das Projekt des Landkreises Harburg", ["Landkreis Harburg"]),
        ("im Kreis Harburg und des Kreises Soest", ["Landkreis Harburg", "Kreis Soest"]),
        ("Der Haushalt des Rhein-Sieg-Kreises", ["Rhein-Sieg-Kreis"]),
        ("Die Dortmunder Stadtwerke", ["Dortmund", "Stadtwerke"]),
        ("Bayerns Kommunen und die bayerischen Landkreise", ["Bayern", "Bayern"]),
        ("Viele Rechenzentren", ["Rechenzentrum"]),
        ("Der Münchner Stadtrat", ["München"]),
        ("die Einführung elektronischer Akten", ["E-Akte"]),  # the adjective inflected
        ("die Einführung der elektronischen Akte", ["E-Akte"]),
        # Hyphen and space variants.
        ("E-Akte, eAkte, E Akte und EAkte", ["E-Akte"] * 4),
        ("Die E-Akten-Einführung", ["E-Akte"]),
        ("Smart City, Smart-City und SmartCity", ["Smart City"] * 3),
        ("FIT-Connect und FITConnect", ["FIT-Connect"] * 2),
        ("Das OZG 2.0 und das OZG", ["OZG 2.0", "OZG"]),
        ("Das Onlinezugangsgesetz", ["OZG"]),
        # Acronyms: as written, as a word or a hyphen part.
        ("KI in der Verwaltung", ["KI"]),
        ("Die KI-Strategie des Landes", ["KI"]),
        ("Kiel und die Kita", ["Kiel"]),
        ("Ski fahren: SKI, Ki und ki", []),
        ("künstliche Intelligenz", ["KI"]),
        ("Der EfA-Dienst", ["EfA"]),
        ("Die Efa-Bahn", []),
        ("5G-Ausbau und 5 G", ["5G"]),
        ("NRW-Digitalministerium", ["Nordrhein-Westfalen"]),
        ("ELSTER, nicht die Elster", ["ELSTER"]),
        # False friends: everyday words count only after a place cue.
        ("Nach dem Essen ging es weiter", []),
        ("Die Stadt Essen digitalisiert", ["Essen"]),
        ("Gutes Essen in Essen", ["Essen"]),
        ("In Hof und auf dem Hof", ["Hof"]),
        ("Friedhof, Bauhof, Hofladen", []),
        ("Die Sporthalle in der Halle", []),
        ("Oberbürgermeister von Halle", ["Halle (Saale)"]),
        ("Halle (Saale) und Halle an der Saale", ["Halle (Saale)"] * 2),
        ("Sie siegen in Siegen", ["Siegen"]),
        ("Die Wiesen weiden. In Weiden weiden sie.", ["Weiden in der Oberpfalz"]),
        ("Weil die Stadt Weil am Rhein", []),  # not in the vocabulary: too small
        ("Land Brandenburg", ["Brandenburg"]),
        ("Brandenburg an der Havel", ["Brandenburg an der Havel"]),
        ("Sachsen, Sachsen-Anhalt, Niedersachsen", ["Sachsen", "Sachsen-Anhalt", "Niedersachsen"]),
        ("Kreis Soest; Soest allein nicht", ["Kreis Soest"]),
        ("Kreis Wesel; Wesel allein nicht", ["Kreis Wesel"]),
        ("Landkreis Leipzig, Leipzig", ["Landkreis Leipzig", "Leipzig"]),
        ("Frankfurt (Oder) und Frankfurt", ["Frankfurt (Oder)", "Frankfurt am Main"]),
        ("Die Berlinale in Berlin", ["Berlin"]),
        ("Das Landkreistag-Papier", ["Landkreistag"]),
        # Umlauts and ß folded like search.
        ("Muenchen und MÜNCHEN", ["München", "München"]),
        ("Thueringen und Thüringen", ["Thüringen", "Thüringen"]),
        ("Die Barrierefreiheit und barrierefreie Seiten", ["Barrierefreiheit"] * 2),
        # Soft hyphens, as WordPress authors paste them.
        ("Glas\u00adfaser\u00adausbau", ["Glasfaser"]),
        # Adjectives inflected inside a name of several words.
        ("Der Deutsche Städtetag fordert", ["Deutscher Städtetag"]),
        ("Laut Deutschem Städtetag", ["Deutscher Städtetag"]),
        ("Der Märkische Kreis", ["Märkischer Kreis"]),
        ("Der Oberbergische Kreis", ["Oberbergischer Kreis"]),
        ("Der Rheinisch-Bergische Kreis", ["Rheinisch-Bergischer Kreis"]),
        ("Der demografische Wandel", ["Demografischer Wandel"]),
        ("Der digitale Zwilling", ["Digitaler Zwilling"]),
        ("Der digitale Bauantrag", ["Digitaler Bauantrag"]),
        # A one-word term written with a hyphen.
        ("Die Register-Modernisierung", ["Registermodernisierung"]),
        ("Gigabit-Strategie", ["Gigabitstrategie"]),
        ("Die Datenschutz-Konferenz", ["Datenschutzkonferenz"]),
        # Everyday-word places: a hall number, weak cues, pairs, hyphen parts, datelines,
        # lists, capitals.
        ("Besuchen Sie uns in Halle 4.1", []),
        ("Smart Country Convention in Halle 2.2", []),
        ("Der Ulmer Münster", []),
        ("Das Münster in Freiburg", ["Freiburg im Breisgau"]),
        ("Die Stadt Münster", ["Münster"]),
        ("Nach Siegen gegen Bayern", ["Bayern"]),
        ("Eine Serie von Siegen", []),
        ("Der Bürgermeister von Siegen", ["Siegen"]),
        ("Kinder in Weiden und Wiesen", []),
        ("In Weiden und Amberg", ["Weiden in der Oberpfalz", "Amberg"]),
        ("Dortmund, Essen und Bochum", ["Dortmund", "Essen", "Bochum"]),
        ("Oberbürgermeister Thomas Kufen (Essen)", ["Essen"]),
        ("DIGITALISIERUNG IN ESSEN", ["Digitalisierung", "Essen"]),
        ("in Essen-Kettwig", []),
        # A city followed by a hyphen part is another place, unless that part is a place.
        ("Mülheim-Kärlich", []),
        ("Flughafen Berlin-Brandenburg", ["Berlin", "Brandenburg"]),
        ("Köln-Bonn", ["Köln", "Bonn"]),
        # A place's -er adjective is the place only before an administration.
        ("Das Brandenburger Tor", []),
        ("Ein Hamburger mit Pommes", []),
        ("Ein Kasseler Braten", []),
        ("Der Hamburger Senat", ["Hamburg"]),
        ("Der Bonner Fall: in Bonn", ["Bonn", "Bonn"]),  # a further mention of a place named
        # Aliases that were too broad; one word, one term.
        ("Souveränität der Ukraine", []),
        ("Die Souveränitätsfrage", []),
        ("Die Schuldigitalisierung", ["Digitale Bildung"]),
        ("Die Soundcloud-Playlist", []),
        ("Nextcloud statt iCloud", ["Nextcloud"]),
        ("Die Schulcloud und die Cloud-Strategie", ["Cloud", "Cloud"]),
        # Acronyms in the plural or with umlauts spelled out; cities added.
        ("KIs und LLMs", ["KI", "Sprachmodell"]),
        ("OEPNV", ["ÖPNV"]),
        ("Hanau und Gießen", ["Hanau", "Gießen"]),
        # Positions after an umlaut ("ü" folds to two letters): the passes over the folded
        # and the written text agree on where a name starts (one mention, in order).
        ("Für Bürger: Die Stadt Halle (Saale) startet", ["Halle (Saale)"]),
        ("Für Bürger: die KI-Verordnung gilt", ["EU AI Act"]),
        ("Fu\u0308r Bu\u0308rger: die KI-Verordnung gilt", ["EU AI Act"]),  # decomposed
        ("Straße, Maßnahme: KI-Verordnung", ["EU AI Act"]),
        (
            "Übermäßig überörtliche Änderungsübergänge für Bürgerämter in Köln: KI",
            ["Bürgeramt", "Köln", "KI"],
        ),
    ],
)
def test_mentions(text: str, expected: list[str]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    ("title", "teaser", "body", "given", "expected"),
    [
        # The title and the teaser count at once.
        ("OZG-Umsetzung in Dortmund", None, None, [], ["OZG", "Dortmund"]),
        ("Neues Portal", "Die Stadt Köln startet", None, [], ["Köln"]),
        # A long body: twice is enough, once is not.
        ("Neues", None, "Bonn. " + "x " * SHORT_BODY + " Kiel und Kiel.", [], ["Kiel"]),
        # ... also after umlauts (the two passes once counted "Halle (Saale)" twice).
        ("Neues", None, "Für Bürger: Stadt Halle (Saale). " + "x " * SHORT_BODY, [], []),
        # A short body (a feed entry): once is enough.
        ("Neues", None, "Die Stadt Bonn startet.", [], ["Bonn"]),
        # A term the site gave, in any of its spellings, is not given again.
        ("OZG in Bayern", None, None, ["Onlinezugangsgesetz"], ["Bayern"]),
        ("OZG in Bayern", None, None, ["bayern"], ["OZG"]),
        ("Im Kreis Harburg", None, None, ["Kreis Harburg"], []),
        # Order of first mention, title first.
        ("Bayern", "Kiel", "Bonn und Bonn", [], ["Bayern", "Kiel", "Bonn"]),
        (None, None, None, [], []),
        ("", "", "", [], []),
    ],
)
def test_vocabulary_tags(
    title: str | None, teaser: str | None, body: str | None, given: list[str], expected: list[str]
) -> None:
    assert vocabulary_tags(title, teaser, body, MATCHER, given=given) == expected


def test_apply_vocabulary_marks_the_origin_and_keeps_the_sources() -> None:
    item = ArticleItem(
        source="s",
        url="https://x.invalid/a",
        fetched_url="https://x.invalid/a",
        title="Glasfaser für Kiel",
        teaser="Der Landkreis Harburg und die KI",
        tags=["Kiel", "Netze"],
        tag_origins={"Netze": "feed"},
    )
    apply_vocabulary(item, MATCHER)
    assert item.tags == ["Kiel", "Netze", "Glasfaser", "Landkreis Harburg", "KI"]
    assert item.tag_origins == {
        "Netze": "feed",
        "Glasfaser": "vocabulary",
        "Landkreis Harburg": "vocabulary",
        "KI": "vocabulary",
    }
    assert item.source_tags == ["Kiel", "Netze"]
    assert item.vocabulary_applied is True
    # Twice is once.
    apply_vocabulary(item, MATCHER)
    assert item.tags == ["Kiel", "Netze", "Glasfaser", "Landkreis Harburg", "KI"]
    # A changed text: the vocabulary's tags follow it, the source's stay.
    item.title, item.teaser = "Nichts davon", None
    apply_vocabulary(item, MATCHER)
    assert item.tags == ["Kiel", "Netze"]
    assert item.tag_origins == {"Netze": "feed"}


@pytest.mark.parametrize(
    "text",
    ["Bürgerbüro STRASSE Straße", "Ärger ÖL Über ẞ", "Café", "u\u0308ber", "„Zitat“ – 5 €", "ǅ"],
)
def test_fast_fold_is_search_folding(text: str) -> None:
    assert fast_fold(text) == fold(text)


def test_bundled_vocabulary_covers_the_field() -> None:
    terms = bundled_terms()
    by_kind = {kind: [t.name for t in terms if t.kind == kind] for kind in KINDS}
    assert len(by_kind["land"]) == 16
    assert len(by_kind["kreis"]) == 294
    assert len(by_kind["city"]) >= 100
    assert len(terms) >= 600
    for name in ("OZG", "Registermodernisierung", "BundID", "FIT-Connect", "E-Akte", "KI"):
        assert name in {t.name for t in terms}, name
    assert len({t.name for t in terms}) == len(terms)  # no term twice


def test_no_two_terms_are_alert_synonyms() -> None:
    """kn_crawl/alerts/aliases.toml says which Stichwörter are one for alerts: the vocabulary
    must not give one concept under two names."""
    synonyms = load_alert_synonyms()
    concepts: dict[str, str] = {}
    for term in bundled_terms():
        concept = synonyms.key(term.name)
        assert concepts.setdefault(concept, term.name) == term.name, (term.name, concept)


def test_user_file_extends_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(
        '[topic]\n"Bürgerhaushalt" = ["Beteiligungshaushalt"]\n'
        '[city]\n"Kiel" = { aliases = ["Kieler Förde"] }\n',
        encoding="utf-8",
    )
    settings = Settings.from_env({"KN_VOCABULARY_FILE": str(path)})
    assert settings.vocabulary_file == path
    matcher = load_matcher(settings.vocabulary_file)
    names = [t.name for t in matcher.mentions("Beteiligungshaushalt an der Kieler Förde in OZG")]
    assert names == ["Bürgerhaushalt", "Kiel", "OZG"]
    assert [t.name for t in load_terms(path)].count("Kiel") == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[topic]\n"A" = \n', r"terms\.toml:2: "),
        ("[topic]\n\n[place]\n", r"terms\.toml:3: unknown kind \[place\]"),
        ('[topic]\n"Ok" = []\n"A" = "B"\n', r"terms\.toml:3: 'A' needs a list"),
        ('[city]\n"A" = { alias = ["B"] }\n', r"terms\.toml:2: 'A': unknown option 'alias'"),
        ('[city]\n"A" = { case = "upper" }\n', r"terms\.toml:2: 'A': case must be"),
        ('[city]\n"A" = { compound = "yes" }\n', r"terms\.toml:2: 'A': compound must be"),
        ('[city]\n"A" = { ambiguous = ["B"] }\n', r"terms\.toml:2: 'A': ambiguous must be"),
        ('[topic]\n"A" = ["--"]\n', r"terms\.toml:2: 'A': bad spelling '--'"),
        ('[topic]\n"A" = [1]\n', r"terms\.toml:2: 'A': aliases must be a list of strings"),
        # A spelling of a bundled term under another name.
        ('[topic]\n\n"Online-Gesetz" = ["Onlinezugangsgesetz"]\n', r"terms\.toml:3: .* of 'OZG'"),
        # Two names of one Stichwort (one tag key), in one kind or two.
        (
            '[city]\n"Essen" = []\n[topic]\n"essen" = []\n',
            r"terms\.toml:4: 'essen' is the Stichwort 'Essen' \(.*terms\.toml:2\)",
        ),
        # A pasted text as a spelling: refused before compiling (it used to compile into a
        # RecursionError on every page).
        ('[topic]\n"A" = ["' + "abcdefghij" * 90 + '"]\n', r"terms\.toml:2: 'A'…: spelling of 900"),
    ],
)
def test_bad_user_files_say_file_line_and_what(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "terms.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        check_vocabulary(path)


def test_long_spellings_compile_without_deep_recursion() -> None:
    # The trie is emitted with a stack: a spelling far longer than the recursion limit and
    # its prefixes compile (only the file format caps a spelling's length).
    terms = parse_terms('[topic]\n"Abc" = []\n', "t.toml")
    long = "Ab" + "c" * 3000
    spelling = terms[0].spellings[0]
    terms = [Term(terms[0].name, "topic", (spelling, replace(spelling, text=long)), "t.toml:2")]
    matcher = compile_terms(terms)
    assert [t.name for t in matcher.mentions(f"Abc und {long}")] == ["Abc", "Abc"]


def test_unreadable_user_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"KN_VOCABULARY_FILE .*missing\.toml: No such file"):
        check_vocabulary(tmp_path / "missing.toml")
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        check_vocabulary(binary)


def test_options_override_the_defaults() -> None:
    terms = parse_terms(
        '[topic]\n"Akte" = { compound = "none" }\n"Abc" = { case = "fold" }\n'
        '"Netz" = { compound = "both" }\n',
        "t.toml",
    )
    matcher = compile_terms(terms)
    names = [t.name for t in matcher.mentions("Aktenordner, Akte, abc, Stromnetz")]
    assert names == ["Akte", "Abc", "Netz"]
