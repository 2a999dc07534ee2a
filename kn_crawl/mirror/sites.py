"""The three K21 media sites: names, themes, sections and their non-article pages."""

from __future__ import annotations

from dataclasses import dataclass

from kn_crawl.mirror import vocab


@dataclass(frozen=True, slots=True)
class StaticPage:
    title: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SiteSpec:
    source: str
    real_host: str
    name: str
    """Short brand as written in running text, e.g. ``Kommune21``."""
    site_title: str
    """Part of ``<title>`` after the headline."""
    feed_title: str
    theme: str
    """Template directory; each site uses a different theme of the same CMS."""
    sections: tuple[str, ...]
    topics: tuple[vocab.Topic, ...]
    default_count: int
    share: float
    """Share of ``size`` (total article records) this site gets."""
    id_base: int
    nav: tuple[tuple[str, str], ...]
    """Extra main-menu entries (label, path) besides Meldungen and the sections."""
    pages: dict[str, StaticPage]
    forced_titles: tuple[tuple[str, str], ...]
    """(topic key, title) pairs that must occur: attested real slugs and a repeated title."""


_LEGAL = {
    "/impressum/": StaticPage(
        "Impressum",
        ("K21 media GmbH", "Verantwortlich für den Inhalt: die Redaktion.",
         "Registergericht: Amtsgericht Stuttgart"),
    ),
    "/datenschutz/": StaticPage(
        "Datenschutzerklärung",
        ("Wir verarbeiten personenbezogene Daten nur im Rahmen der DSGVO.",
         "Cookies setzen wir nur mit Ihrer Einwilligung; ausgenommen sind technisch notwendige."),
    ),
    "/kontakt/": StaticPage(
        "Kontakt", ("Schreiben Sie der Redaktion: redaktion@example.invalid",)
    ),
}  # fmt: skip

SITES: dict[str, SiteSpec] = {
    "kommune21": SiteSpec(
        source="kommune21",
        real_host="www.kommune21.de",
        name="Kommune21",
        site_title="Kommune21 online | Kommune21 - E-Government, Internet und Informationstechnik",
        feed_title="Kommune21 online",
        theme="kommune21",
        sections=("Politik", "Praxis", "Fachverfahren", "Infrastruktur", "IT-Sicherheit",
                  "Smart City", "Panorama", "Bildung"),
        topics=vocab.K21_TOPICS,
        default_count=98,
        share=0.6,
        id_base=40000,
        nav=(("Heftarchiv", "/k21-heftarchiv/2024-12/"),),
        pages={
            **_LEGAL,
            "/k21-heftarchiv/2024-12/": StaticPage(
                "Heftarchiv Dezember 2024",
                ("Titelthema: Digitale Souveränität – wie Kommunen unabhängiger werden.",
                 "Weitere Themen: KI im Bürgerservice, IT-Sicherheit, Registermodernisierung."),
            ),
        },
        forced_titles=(("ki", "Arbeitshilfen zu KI in der Verwaltung"),
                       ("eakte", "Potenziale früh erkannt"),
                       ("sicherheit", "Mehr IT-Sicherheit für Kommunen"),
                       ("sicherheit", "Mehr IT-Sicherheit für Kommunen")),
    ),
    "move": SiteSpec(
        source="move",
        real_host="www.move-online.de",
        name="move",
        site_title="move-online.de | move - moderne verwaltung",
        feed_title="move-online.de",
        theme="move",
        sections=("Politik", "Praxis", "Finanzen", "Personal", "Organisation", "Justiz"),
        topics=vocab.MOVE_TOPICS,
        default_count=35,
        share=0.22,
        id_base=20000,
        nav=(("Termine", "/k21-termine/"), ("IT-Guide", "/k21-it-guide/")),
        pages={
            **_LEGAL,
            "/k21-termine/": StaticPage(
                "Termine",
                ("12.02.2025 | Zukunftskongress Staat & Verwaltung, Berlin",
                 "18.03.2025 – 19.03.2025 | Fachkongress Digitale Justiz, Köln"),
            ),
            "/k21-it-guide/": StaticPage(
                "IT-Guide", ("Anbieter von Software und Dienstleistungen für die Verwaltung.",)
            ),
        },
        forced_titles=(("justiz", "KI in der Justiz"),),
    ),
    "stadtundwerk": SiteSpec(
        source="stadtundwerk",
        real_host="www.stadt-und-werk.de",
        name="stadt+werk",
        site_title="stadt+werk online | stadt+werk",
        feed_title="stadt+werk online",
        theme="stadtundwerk",
        sections=("Politik", "Smart City", "Energiewende", "Netze", "Mobilität", "Panorama"),
        topics=vocab.SUW_TOPICS,
        default_count=30,
        share=0.18,
        id_base=30000,
        nav=(),
        pages=dict(_LEGAL),
        forced_titles=(("netze", "Anschluss von Rechenzentrum"),
                       ("mobil", "KI für flotteren Busverkehr")),
    ),
}  # fmt: skip
