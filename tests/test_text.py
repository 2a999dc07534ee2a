"""Tables for kn_crawl.text. Strings from the Kommune21 capture where possible."""

from __future__ import annotations

import pytest

from kn_crawl.text import (
    clean_paragraphs,
    clean_text,
    parse_credit,
    split_kicker,
    strip_more,
    title_key,
)

CLEAN_CASES = [
    (None, None),
    ("", None),
    ("   \n\t ", None),
    ("Politik", "Politik"),
    ("  In Dortmund  soll\n ein CIO  ", "In Dortmund soll ein CIO"),
    ("Stadt &amp; Werk", "Stadt & Werk"),
    ("&quot;Smart City&quot;", '"Smart City"'),
    ("Bayern&nbsp;5.0", "Bayern 5.0"),
    ("&#8222;Digital&#8220;", "„Digital“"),
    ("AT&T und B&B", "AT&T und B&B"),  # a bare & is not an entity
    ("&amp;amp;", "&amp;"),  # unescaped once, not recursively
    ("Digi\u00adta\u00adli\u00adsie\u00adrung", "Digitalisierung"),  # soft hyphens
    ("Digi&shy;talisierung", "Digitalisierung"),
    ("Zero\u200bwidth\u200c\u200d\u2060\ufeff", "Zerowidth"),
    ("\ufeffBOM am Anfang", "BOM am Anfang"),
    ("10\u00a0000\u202fEuro", "10 000 Euro"),  # NBSP, narrow NBSP
    ("a\u2009b\u2002c\u3000d", "a b c d"),  # thin, en, ideographic space
    ("Zeile\r\nzwei\n\ndrei", "Zeile zwei drei"),
    ("Bu\u0308rger", "Bürger"),  # decomposed umlaut -> NFC
    ("Stra\u00dfe", "Straße"),
    ("Kontroll\x07zeichen\x00", "Kontrollzeichen"),
    ("\u00a0", None),
    ("\u00ad\u200b", None),
]


@pytest.mark.parametrize(("value", "expected"), CLEAN_CASES)
def test_clean_text(value: str | None, expected: str | None) -> None:
    assert clean_text(value) == expected


@pytest.mark.parametrize(("value", "_"), CLEAN_CASES)
def test_clean_text_is_idempotent(value: str | None, _: str | None) -> None:
    once = clean_text(value)
    if once is not None and "&" not in once:
        assert clean_text(once) == once


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ([], None),
        ([None, "", "  "], None),
        (["Absatz eins."], "Absatz eins."),
        (["  Eins ", None, "", "Zwei\nmit Umbruch"], "Eins\n\nZwei mit Umbruch"),
        (["A&amp;B", "\u00ad"], "A&B"),
        ((p for p in ["Gen", "erator"]), "Gen\n\nerator"),
    ],
)
def test_clean_paragraphs(parts: list[str | None], expected: str | None) -> None:
    assert clean_paragraphs(parts) == expected


KICKER_CASES = [
    (
        "Bayern: Einheitlicher kommunaler IT-Dienstleister geplant",
        ("Bayern", "Einheitlicher kommunaler IT-Dienstleister geplant"),
    ),
    (
        "Vitako: 10-Punkte-Plan zur Digitalisierung",
        ("Vitako", "10-Punkte-Plan zur Digitalisierung"),
    ),
    ("IT-Planungsrat: Kommunen im Fokus", ("IT-Planungsrat", "Kommunen im Fokus")),
    (
        "Digitale Bildung: Dem DigitalPakt 2.0 einen Schritt näher",
        ("Digitale Bildung", "Dem DigitalPakt 2.0 einen Schritt näher"),
    ),
    (
        "Potsdam: Fachbereichsleiterin für E-Government bestätigt",
        ("Potsdam", "Fachbereichsleiterin für E-Government bestätigt"),
    ),
    (
        "Baden-Württemberg: Änderung der Gemeindeordnung verabschiedet",
        ("Baden-Württemberg", "Änderung der Gemeindeordnung verabschiedet"),
    ),
    ("Kommune21: Heftarchiv online", ("Kommune21", "Heftarchiv online")),
    ("Dr. Martin Hagen: Zentralisierung", ("Dr. Martin Hagen", "Zentralisierung")),
    ("  Hamburg :  Neue Digitalstrategie  ", ("Hamburg", "Neue Digitalstrategie")),
    ("Interview: Teil 2: Die Umsetzung", ("Interview", "Teil 2: Die Umsetzung")),
    # not kickers
    (
        "Chief Information Office als Weichensteller",
        (None, "Chief Information Office als Weichensteller"),
    ),
    ("Um 10:30 Uhr: Start der Sitzung", (None, "Um 10:30 Uhr: Start der Sitzung")),
    ("Mehr unter https://www.kommune21.de", (None, "Mehr unter https://www.kommune21.de")),
    (
        "Der Landtag von Baden-Württemberg hat jetzt beschlossen: Entlastung",
        (None, "Der Landtag von Baden-Württemberg hat jetzt beschlossen: Entlastung"),
    ),
    ("Was bleibt? Fazit: viel", (None, "Was bleibt? Fazit: viel")),
    (
        "„Wir müssen schneller werden“: Interview",
        (None, "„Wir müssen schneller werden“: Interview"),
    ),
    ("Fazit:", (None, "Fazit:")),
    (": Titel", (None, ": Titel")),
    ("", (None, None)),
    (None, (None, None)),
]


@pytest.mark.parametrize(("text", "expected"), KICKER_CASES)
def test_split_kicker(text: str | None, expected: tuple[str | None, str | None]) -> None:
    assert split_kicker(text) == expected


MORE_CASES = [
    ("Unterstützung bis Ende 2025. mehr...", "Unterstützung bis Ende 2025."),
    ("Krisen zu kontern. mehr…", "Krisen zu kontern."),
    ("Krisen zu kontern. Mehr »", "Krisen zu kontern."),
    ("Krisen zu kontern. mehr>>", "Krisen zu kontern."),
    ("Krisen zu kontern. weiterlesen", "Krisen zu kontern."),
    ("Krisen zu kontern. Weiterlesen »", "Krisen zu kontern."),
    ("Krisen zu kontern. Weiter lesen ›", "Krisen zu kontern."),
    ("Krisen zu kontern [...]", "Krisen zu kontern"),
    ("Krisen zu kontern […]", "Krisen zu kontern"),
    ("Krisen zu kontern (mehr)", "Krisen zu kontern"),
    ("Krisen zu kontern. Read more →", "Krisen zu kontern."),
    ("Krisen zu kontern. Zum Artikel »", "Krisen zu kontern."),
    ("Krisen zu kontern […] mehr »", "Krisen zu kontern"),
    ("Krisen zu kontern. mehr...\u00a0", "Krisen zu kontern."),
    ("Krisen zu kontern. Mehr erfahren", "Krisen zu kontern."),
    ("Krisen zu kontern. MEHR LESEN", "Krisen zu kontern."),
    ("Krisen zu kontern. zur Meldung", "Krisen zu kontern."),
    ("Krisen zu kontern. Continue reading", "Krisen zu kontern."),
    ("Krisen zu kontern (Weiterlesen)", "Krisen zu kontern"),
    ("Krisen zu kontern ›", "Krisen zu kontern"),
    # left alone
    ("Die Stadt will mehr", "Die Stadt will mehr"),
    ("Sind die Ziele realistisch?", "Sind die Ziele realistisch?"),
    ("Ein abgeschnittener Satz …", "Ein abgeschnittener Satz …"),
    ("mehrere Kommunen", "mehrere Kommunen"),
    ("mehr...", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "expected"), MORE_CASES)
def test_strip_more(text: str | None, expected: str | None) -> None:
    assert strip_more(text) == expected


CAPTION = (
    "In der Stadtverwaltung Dortmund soll ein Chief Information Officer "
    "digitale Themen identifizieren."
)
CREDIT_CASES = [
    (
        f"{CAPTION} (Bildquelle: Anneke Wardenbach, Stadt Dortmund)",
        (CAPTION, "Anneke Wardenbach, Stadt Dortmund"),
    ),
    (
        f"{CAPTION}\n\n(Bildquelle: Anneke Wardenbach, Stadt Dortmund)",
        (CAPTION, "Anneke Wardenbach, Stadt Dortmund"),
    ),
    (
        "(Bildquelle: Anneke Wardenbach, Stadt Dortmund)",
        (None, "Anneke Wardenbach, Stadt Dortmund"),
    ),
    ("Rathaus (Foto: Stadt Potsdam)", ("Rathaus", "Stadt Potsdam")),
    ("Rathaus (Bild: Stadt Potsdam)", ("Rathaus", "Stadt Potsdam")),
    ("Rathaus (© Stadt Potsdam)", ("Rathaus", "Stadt Potsdam")),
    ("Rathaus (Foto: © Stadt Potsdam)", ("Rathaus", "Stadt Potsdam")),
    ("Rathaus (Fotos: A. Muster (dpa))", ("Rathaus", "A. Muster (dpa)")),
    ("Rathaus (Bildnachweis: Stadt Potsdam)", ("Rathaus", "Stadt Potsdam")),
    ("Rathaus (bildquelle: Stadt Potsdam)", ("Rathaus", "Stadt Potsdam")),
    ("Das Rathaus. Foto: Stadt Potsdam", ("Das Rathaus.", "Stadt Potsdam")),
    ("Das Rathaus | Foto: Stadt Potsdam", ("Das Rathaus", "Stadt Potsdam")),
    ("Foto: Stadt Potsdam", (None, "Stadt Potsdam")),
    ("Das Rathaus © Stadt Potsdam", ("Das Rathaus", "Stadt Potsdam")),
    ("© 2024 Stadt Potsdam", (None, "2024 Stadt Potsdam")),
    ("Das Rathaus (Bildquelle: )", ("Das Rathaus", None)),
    # left alone
    ("Das Bild: eine Stadt im Wandel", ("Das Bild: eine Stadt im Wandel", None)),
    ("Das Rathaus (links) am Abend", ("Das Rathaus (links) am Abend", None)),
    ("Porträt von Ina-Maria-Ulbrich", ("Porträt von Ina-Maria-Ulbrich", None)),
    ("", (None, None)),
    (None, (None, None)),
]


@pytest.mark.parametrize(("text", "expected"), CREDIT_CASES)
def test_parse_credit(text: str | None, expected: tuple[str | None, str | None]) -> None:
    assert parse_credit(text) == expected


TITLE_KEY_CASES = [
    ("Chief Information Office als Weichensteller", "chief information office als weichensteller"),
    ("„Bürger-Service“ – jetzt online!", "buerger service jetzt online"),
    ('"Buerger-Service" - jetzt online', "buerger service jetzt online"),
    ("Straße der Zukunft", "strasse der zukunft"),
    ("STRASSE DER ZUKUNFT", "strasse der zukunft"),
    ("Bu\u0308rger", "buerger"),
    ("Änderung der Gemeindeordnung", "aenderung der gemeindeordnung"),
    ("Vitako: 10-Punkte-Plan", "vitako 10 punkte plan"),
    ("Kommune21's Heft", "kommune21s heft"),
    ("Digitalpakt\u00a02.0 &amp; mehr", "digitalpakt 2 0 mehr"),
    ("  ", ""),
    ("", ""),
]


@pytest.mark.parametrize(("title", "expected"), TITLE_KEY_CASES)
def test_title_key(title: str, expected: str) -> None:
    assert title_key(title) == expected
    assert title_key(expected) == expected  # a key is its own key
