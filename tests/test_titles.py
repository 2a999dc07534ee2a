"""Title rules as tables: site names off the <title>, the <h1> confirmed by the metadata, a
kicker kept apart, and what a crawl learns about a source's <title> layout."""

from __future__ import annotations

import pytest

from kn_crawl.extract.titles import (
    SiteTitles,
    best_reference,
    clean_title,
    confirms,
    fold,
    is_label,
    segments,
    split_reference_kicker,
    strip_glued_kicker,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("„Wir haben bereits die Zusage“", "wir haben bereits die zusage"),
        ("Zugverkehr: Im ICE", "zugverkehr im ice"),
        ("BRIGITTE.de", "brigitte de"),
        ("  ", ""),
        (None, ""),
    ],
)
def test_fold(text: str | None, expected: str) -> None:
    assert fold(text) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("A | B - C", ["A", "B", "C"]),
        ("Historischer Markt › Verein", ["Historischer Markt", "Verein"]),
        ("Leseprobe Band 14 / Kapitel 121", ["Leseprobe Band 14 / Kapitel 121"]),
        ("Muss- statt Wunschkoalition", ["Muss- statt Wunschkoalition"]),
    ],
)
def test_segments(title: str, expected: list[str]) -> None:
    assert segments(title) == expected


@pytest.mark.parametrize(
    ("title", "names", "learned", "expected"),
    [
        # A long site name at the end: a few words, no sentence, at most half the title.
        (
            "Das Ministerium für Club-Kultur informiert… | Die PARTEI Lübeck",
            [],
            (),
            "Das Ministerium für Club-Kultur informiert…",
        ),
        (
            "Kneissl beim Treffen der Außenminister in Luxemburg – BMEIA, Außenministerium",
            [],
            (),
            "Kneissl beim Treffen der Außenminister in Luxemburg",
        ),
        ("Ikigai macht dich sofort glücklicher! | BRIGITTE.de", [], (), "Ikigai macht dich sofort glücklicher!"),  # noqa: E501
        ("Historischer Markt › Historische Wehranlage in Horka e.V", ["Historische Wehranlage in Horka e.V"], (), "Historischer Markt"),  # noqa: E501
        # Sections between title and site go with the site.
        ("Anticorrupción decide la imputación de la Infanta » Local » Noticias » Ultima Hora", [], (), "Anticorrupción decide la imputación de la Infanta"),  # noqa: E501
        # A long trailing part that is a sentence stays: it is the rest of the title.
        ("Smart City – wie geht das? | Stadt", [], (), "Smart City – wie geht das?"),
        ("Neue Regeln – was Kommunen jetzt wissen müssen", [], (), "Neue Regeln – was Kommunen jetzt wissen müssen"),  # noqa: E501
        # A trailing part as long as the title is no site label.
        ("Open Data im Land – Kommunen legen ihre Haushalte offen", [], (), "Open Data im Land – Kommunen legen ihre Haushalte offen"),  # noqa: E501
        # Learned from the source's other pages, as fold keys; at either end.
        ("Stadtrat beschließt Haushalt :: Amtsblatt der Stadt Neustadt an der Weinstraße", [], (fold("Amtsblatt der Stadt Neustadt an der Weinstraße"),), "Stadtrat beschließt Haushalt"),  # noqa: E501
        ("Rathaus Online | Stadtrat beschließt Haushalt", [], ("rathaus online",), "Stadtrat beschließt Haushalt"),  # noqa: E501
        ("Band 14 / Kapitel 121", [], (), "Band 14 / Kapitel 121"),
    ],
)  # fmt: skip
def test_clean_title(title: str, names: list[str], learned: tuple[str, ...], expected: str) -> None:
    assert clean_title(title, names, learned) == expected


@pytest.mark.parametrize(
    ("reference", "headline", "expected"),
    [
        ("OZG-Reform beschlossen | Behörden Spiegel", "OZG-Reform beschlossen", True),
        ("Behörden Spiegel | OZG-Reform beschlossen", "OZG-Reform beschlossen", True),
        ("Zugverkehr: Im ICE von Frankfurt nach Barcelona", "Im ICE von Frankfurt nach Barcelona", True),  # noqa: E501
        ("„Wir haben bereits die Zusage“", "Wir haben bereits die Zusage", True),
        # Words inside the site's segment confirm nothing.
        ("Want to See a More Diverse Community? — The WordPress.com Blog", "WordPress.com", False),
        ("Ein Titel über die Digitale Verwaltung | Site", "Digitale Verwaltung", False),
        ("News | Site", "News", False),  # too short to be confirmed by a segment
        ("News", "News", True),
        (None, "Titel", False),
    ],
)  # fmt: skip
def test_confirms(reference: str | None, headline: str, expected: bool) -> None:
    assert confirms(reference, headline) is expected


@pytest.mark.parametrize(
    ("headline", "references", "names", "expected"),
    [
        ("Aktuelle Artikel", ["„Wir haben bereits die Zusage“"], [], True),
        ("WordPress.com", ["Want to See a More Diverse Community? So Do We."], [], True),
        ("correctiv.org", [], ["correctiv.org"], True),  # the site's name, even unopposed
        # A short first segment of the <title> is no confirmation: sections come first too.
        ("Aktuelles", ["Aktuelles - Stadt baut neue Brücke - Stadt X"], [], True),
        ("Stadt baut neue Brücke", ["Aktuelles - Stadt baut neue Brücke - Stadt X"], [], False),
        ("Briefe", [], [], False),  # nothing to compare with: the <h1> stands
        ("Glasfaser für alle Schulen im Kreis", ["Ganz anderer Titel der Seite"], [], False),
        # Chinese sets no spaces between words: 18 characters are a headline, not a label.
        (
            "短缺药品保供稳价 全力保障临床用药需求",
            ["短缺药品保供稳价 全力保障临床用药需求-新华网"],
            [],
            False,
        ),
        ("新华网", ["短缺药品保供稳价 全力保障临床用药需求-新华网"], [], True),
    ],
)
def test_is_label(headline: str, references: list[str], names: list[str], expected: bool) -> None:
    assert is_label(headline, references, names) is expected


@pytest.mark.parametrize(
    ("reference", "headline", "expected"),
    [
        ("Zugverkehr: Im ICE von Frankfurt nach Barcelona", "Im ICE von Frankfurt nach Barcelona", "Zugverkehr"),  # noqa: E501
        ("Glasfaser - Kreis baut aus", "Kreis baut aus", "Glasfaser"),
        ("Im ICE von Frankfurt nach Barcelona", "Im ICE von Frankfurt nach Barcelona", None),
        ("Anderes: Thema", "Im ICE", None),
        (None, "Im ICE", None),
    ],
)  # fmt: skip
def test_split_reference_kicker(reference: str | None, headline: str, expected: str | None) -> None:
    assert split_reference_kicker(reference, headline) == expected


@pytest.mark.parametrize(
    ("headline", "references", "expected"),
    [
        (
            "Nutzerbasierte Abrechnung: Musik-Stars fordern neues Streaming-Modell",
            ["Nutzerbasierte Abrechnung: Musik-Stars fordern neues Streaming-Modell",
             "Musik-Stars fordern neues Streaming-Modell"],
            ("Nutzerbasierte Abrechnung", "Musik-Stars fordern neues Streaming-Modell"),
        ),
        (
            "Thema Verbraucherschutz Mehr Transparenz bei Preisanpassungen",
            ["Mehr Transparenz bei Preisanpassungen"],
            ("Thema Verbraucherschutz", "Mehr Transparenz bei Preisanpassungen"),
        ),
        # The reference is the whole headline: nothing glued.
        ("Stadt startet App", ["Stadt startet App"], (None, "Stadt startet App")),
        # Too short a reference proves nothing.
        ("Neues aus dem Rat: Haushalt", ["Haushalt"], (None, "Neues aus dem Rat: Haushalt")),
    ],
)  # fmt: skip
def test_strip_glued_kicker(
    headline: str, references: list[str], expected: tuple[str | None, str]
) -> None:
    assert strip_glued_kicker(headline, references) == expected


@pytest.mark.parametrize(
    ("references", "names", "expected"),
    [
        (["Titel der Meldung", None, "Titel der Meldung | Amt"], ["Amt"], "Titel der Meldung"),
        # og:title missing, the <title> with its site's name.
        ([None, None, "BMJV | Transparenz bei Preisanpassungen"], ["BMJV"], "Transparenz bei Preisanpassungen"),  # noqa: E501
        # Only the site's name: no title.
        ([None, None, "carta.info"], ["carta.info"], None),
        # A confirmed reference beats an unconfirmed first one.
        (["Kurztitel", "Der ganze Titel der Meldung", "Der ganze Titel der Meldung – Amt"], ["Amt"], "Der ganze Titel der Meldung"),  # noqa: E501
        ([None, None, None], [], None),
    ],
)  # fmt: skip
def test_best_reference(
    references: list[str | None], names: list[str], expected: str | None
) -> None:
    assert best_reference(references, names) == expected


def test_site_titles_learns_a_repeated_affix() -> None:
    memory = SiteTitles()
    memory.learn("Haushalt beschlossen :: Amtsblatt Neustadt")
    assert memory.affixes() == frozenset()  # one page proves nothing
    memory.learn("Haushalt beschlossen :: Amtsblatt Neustadt")  # the same page again
    assert memory.affixes() == frozenset()
    memory.learn("Neue Kita eröffnet :: Amtsblatt Neustadt")
    memory.learn("Ohne Trenner")
    memory.learn(None)
    assert memory.affixes() == frozenset({"amtsblatt neustadt"})
    assert (
        clean_title(
            "Schwimmbad öffnet wieder im Sommer :: Amtsblatt Neustadt", [], memory.affixes()
        )
        == "Schwimmbad öffnet wieder im Sommer"
    )
