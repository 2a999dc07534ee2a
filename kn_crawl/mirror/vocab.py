# ruff: noqa: E501 - word material: long German sentences read better unbroken.
"""Word material for the generated articles: places, actors, people and story topics per site.

Templates use ``str.format`` slots, filled by :mod:`kn_crawl.mirror.generate`:
``{place}`` (kicker form), ``{in_place}`` ("in Köln", "im Landkreis Görlitz"), ``{Subj}``/``{subj}``
("Die Stadt Köln"), ``{dl}`` (an IT service provider), ``{gremium}`` (a body like Vitako, as
after "Laut"), ``{Gremium}`` (its nominative), ``{person}``/``{role}``, ``{n}`` (a small count),
``{mio}``/``{pct}`` (millions/percent, with a no-break space), ``{year}`` (the article's year).

Soft hyphens (U+00AD) and no-break spaces (U+00A0) are deliberate: WordPress authors paste them,
and the renderer writes them as ``&shy;`` / ``&nbsp;`` so parsers meet real entities.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PlaceKind = Literal["stadt", "kreis", "land"]


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    kind: PlaceKind

    @property
    def in_(self) -> str:
        if self.kind == "kreis" or self.name == "Saarland":
            return f"im {self.name}"
        return f"in {self.name}"

    @property
    def subj(self) -> str:
        """Nominative with article, capitalised for a sentence start."""
        if self.kind == "stadt":
            return f"Die Stadt {self.name}"
        if self.kind == "kreis":
            return f"Der {self.name}"
        if self.name == "Saarland":
            return "Das Saarland"
        return f"Das Land {self.name}"


CITIES = (
    "Dortmund", "Köln", "München", "Leipzig", "Nürnberg", "Münster", "Freiburg im Breisgau",
    "Düsseldorf", "Göttingen", "Jena", "Ulm", "Würzburg", "Lüneburg", "Gießen", "Regensburg",
    "Osnabrück", "Paderborn", "Erfurt", "Rostock", "Kiel", "Mainz", "Saarbrücken", "Wiesbaden",
    "Bielefeld", "Heilbronn", "Fürth", "Solingen", "Gelsenkirchen", "Cottbus", "Görlitz",
    "Wolfsburg", "Potsdam", "Bad Homburg vor der Höhe", "Weißenfels", "Bamberg", "Emden",
)  # fmt: skip
KREISE = (
    "Landkreis Görlitz", "Kreis Soest", "Rhein-Sieg-Kreis", "Hochsauerlandkreis",
    "Landkreis Cuxhaven", "Landkreis Ebersberg", "Ortenaukreis", "Kreis Steinfurt",
    "Landkreis Märkisch-Oderland", "Landkreis Börde", "Landkreis Fürstenfeldbruck",
)  # fmt: skip
LAENDER = (
    "Bayern", "Baden-Württemberg", "Nordrhein-Westfalen", "Niedersachsen", "Hessen", "Sachsen",
    "Thüringen", "Sachsen-Anhalt", "Brandenburg", "Mecklenburg-Vorpommern", "Schleswig-Holstein",
    "Rheinland-Pfalz", "Saarland", "Bremen", "Hamburg", "Berlin",
)  # fmt: skip
PLACES: tuple[Place, ...] = (
    *(Place(n, "stadt") for n in CITIES),
    *(Place(n, "kreis") for n in KREISE),
    *(Place(n, "land") for n in LAENDER),
)

IT_DIENSTLEISTER = (
    "Dataport", "Komm.ONE", "AKDB", "ekom21", "regio iT", "ITEBO", "KISA", "Lecos",
    "KDO", "civitec", "ITK Rheinland", "Südwestfalen-IT",
)  # fmt: skip
# Name as used after "Laut …", and the nominative with article for a sentence start.
GREMIEN = (
    ("Vitako", "Vitako"),
    ("IT-Planungsrat", "Der IT-Planungsrat"),
    ("FITKO", "Die FITKO"),
    ("KGSt", "Die KGSt"),
    ("Deutschem Städtetag", "Der Deutsche Städtetag"),
    ("DStGB", "Der DStGB"),
    ("Deutschem Landkreistag", "Der Deutsche Landkreistag"),
    ("Nationalem Normenkontrollrat", "Der Nationale Normenkontrollrat"),
)
FIRST_NAMES = (
    ("Anna", "f"), ("Jörg", "m"), ("Sabine", "f"), ("Matthias", "m"), ("Özlem", "f"),
    ("Katrin", "f"), ("Jürgen", "m"), ("Birgit", "f"), ("Stefan", "m"), ("Ute", "f"),
    ("Thomas", "m"), ("Franziska", "f"), ("Björn", "m"), ("Merle", "f"), ("Gökhan", "m"),
    ("Henrike", "f"), ("Andreas", "m"), ("Dörte", "f"),
)  # fmt: skip
LAST_NAMES = (
    "Schäfer", "Müller", "Weißgerber", "Krüger", "Yılmaz", "Hoffmann", "Bäumer", "Lindström",
    "Große-Kleimann", "Özdemir", "Brückner", "Wendt", "Jäger", "Voß", "Kühn", "Rößler",
)  # fmt: skip
ROLES = {
    "f": ("Oberbürgermeisterin", "Bürgermeisterin", "Landrätin", "Chief Digital Officer der Verwaltung",
          "Leiterin des Amts für Digitalisierung", "Projektleiterin", "Landes-CIO",
          "Geschäftsführerin des IT-Dienstleisters", "Digitalisierungsbeauftragte"),
    "m": ("Oberbürgermeister", "Bürgermeister", "Landrat", "Chief Digital Officer der Verwaltung",
          "Leiter des Amts für Digitalisierung", "Projektleiter", "Landes-CIO",
          "Geschäftsführer des IT-Dienstleisters", "Digitalisierungsbeauftragter"),
}  # fmt: skip
CREDITS = (
    "Adobe Stock/{person}", "Freepik", "{dl}", "Pressestelle {place}",
    "Kommune21/{person}", "Pixabay", "{person}",
)  # fmt: skip
MONTHS = (
    "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September",
    "Oktober", "November", "Dezember",
)  # fmt: skip
WEEKDAYS = ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag")

# Long compounds that get a soft hyphen at the given position now and then.
SOFT_HYPHEN_WORDS = {
    "Verwaltungsdigitalisierung": "Verwaltungs\u00addigitalisierung",
    "Digitalisierungsstrategie": "Digitalisierungs\u00adstrategie",
    "Registermodernisierung": "Register\u00admodernisierung",
    "Informationssicherheit": "Informations\u00adsicherheit",
    "Verwaltungsleistungen": "Verwaltungs\u00adleistungen",
    "Onlinezugangsgesetz": "Onlinezugangs\u00adgesetz",
    "Wärmeplanung": "Wärme\u00adplanung",
}


@dataclass(frozen=True, slots=True)
class Topic:
    key: str
    sections: tuple[str, ...]
    tags: tuple[tuple[str, ...], ...]
    """Tag groups; each group lists spelling variants, the first one preferred."""
    kicker: str
    titles: tuple[str, ...]
    """Headlines without the place, used under a place kicker."""
    place_titles: tuple[str, ...]
    """Headlines naming ``{place}``, used under the topic kicker or without kicker."""
    teasers: tuple[str, ...]
    paragraphs: tuple[str, ...]
    alts: tuple[str, ...]


GENERIC_PARAGRAPHS = (
    "Wie die Verwaltung mitteilt, sollen die Erfahrungen aus dem Projekt auch anderen Kommunen "
    "zur Verfügung gestellt werden. Ein Leitfaden sei bereits in Arbeit.",
    "Die Finanzierung erfolgt zu großen Teilen aus Mitteln des Landes. Insgesamt stehen {mio} "
    "Euro bereit, die Eigenanteile der Kommunen liegen bei rund {pct}.",
    "Unterstützt wird das Vorhaben vom IT-Dienstleister {dl}, der den Betrieb der Lösung im "
    "eigenen Rechenzentrum übernimmt. Die Verfahren laufen damit in einer zertifizierten "
    "Umgebung.",
    "„Wir wollen, dass Bürgerinnen und Bürger ihre Anliegen rund um die Uhr erledigen können“, "
    "sagt {person}, {role}. Gleichzeitig müsse die Verwaltung intern Schritt halten – sonst "
    "entstünden nur neue Medienbrüche.",
    "Begleitet wird das Projekt von einer Arbeitsgruppe, in der Fachämter, Personalrat und "
    "Datenschutzbeauftragte vertreten sind. Erste Ergebnisse sollen im Herbst vorliegen.",
    "Kritik kommt vom Bund der Steuerzahler: Die Kosten seien zu hoch, die Ziele zu vage. Die "
    "Verwaltung verweist dagegen auf Einsparungen von rund {pct} bei den Prozesskosten.",
    "Laut {gremium} ist das Vorhaben ein Beispiel dafür, wie Verwaltungsdigitalisierung "
    "gelingen kann, wenn Kommunen, Land und Dienstleister an einem Strang ziehen.",
    "In einem nächsten Schritt sollen weitere {n} Fachverfahren angebunden werden. Dafür "
    "werden Schnittstellen nach den Standards von XÖV genutzt.",
    "Die Ergebnisse einer begleitenden Umfrage zeigen, dass {pct} der Beschäftigten die neuen "
    "Werkzeuge bereits täglich nutzen. Schulungen werden weiterhin angeboten.",
    "Beraten wurde die Verwaltung von der Wirtschaftsprüfungsgesellschaft Ernst & Young, die "
    "auch die Wirtschaftlichkeitsbetrachtung erstellt hat.",
)
QUOTE_PARAGRAPHS = (
    "„Digitalisierung ist kein Selbstzweck“, betont {person}, {role}. „Am Ende zählt, was bei "
    "den Menschen ankommt.“",
    "„Wir haben viel gelernt – vor allem, dass man die Beschäftigten früh mitnehmen muss“, "
    "sagt {person}, {role}.",
    "„Das ist ein wichtiger Meilenstein für {place}“, erklärt {person}, {role}. Nun gehe es "
    "darum, das Angebot bekannt zu machen.",
)
# Dates of other events inside the body: traps for parsers that take the first date they see.
PAST_EVENT_SENTENCES = (
    "Am {day}. {month} {past_year} hat der Rat die Notwendigkeit einer gesamtstädtischen "
    "Digitalisierungsstrategie beschlossen.",
    "Bereits am {day}. {month} {past_year} hatte der Kreistag den Grundsatzbeschluss gefasst.",
    "Den Startschuss gab ein Workshop am {dd}.{mm}.{past_year}, an dem rund {n} Beschäftigte "
    "teilnahmen.",
)
FUTURE_EVENT_SENTENCES = (
    "Anträge können noch bis zum {dd}.{mm}.{next_year} gestellt werden.",
    "Eine Informationsveranstaltung ist für den {day}. {month} {next_year} geplant.",
)

K21_TOPICS = (
    Topic(
        "ozg",
        ("Politik", "Praxis"),
        (("OZG", "Onlinezugangsgesetz"), ("E-Government", "eGovernment")),
        "OZG",
        (
            "OZG-Umsetzung auf Kurs",
            "Neue Online-Dienste freigeschaltet",
            "OZG-Leistungen im Praxistest",
            "{n} Verwaltungsleistungen jetzt digital",
            "Bilanz zum Onlinezugangsgesetz",
        ),
        ("{place} meldet Fortschritte beim OZG", "{place} digitalisiert Bürgerdienste"),
        (
            "{Subj} hat {n} weitere Verwaltungsleistungen online verfügbar gemacht. Anträge können "
            "nun rund um die Uhr gestellt werden.",
            "Bei der Umsetzung des Onlinezugangsgesetzes kommt man {in_place} gut voran. Inzwischen "
            "sind {pct} der priorisierten Leistungen digital verfügbar.",
            "{Subj} setzt bei der OZG-Umsetzung auf Einer-für-Alle-Leistungen. Davon sollen vor allem "
            "kleinere Kommunen profitieren.",
        ),
        (
            "Zu den neuen Angeboten zählen unter anderem der Antrag auf Wohngeld, die Anmeldung eines "
            "Gewerbes und die Beantragung eines Anwohnerparkausweises.",
            "Die Leistungen werden über das Serviceportal bereitgestellt, die Anmeldung erfolgt mit "
            "der BundID oder der Online-Ausweisfunktion.",
        ),
        ("Person am Laptop füllt einen Online-Antrag aus", "Bürgerservice-Schalter im Rathaus"),
    ),
    Topic(
        "eakte",
        ("Praxis", "Fachverfahren"),
        (("E-Akte", "elektronische Akte"), ("Dokumentenmanagement",)),
        "E-Akte",
        (
            "E-Akte flächendeckend eingeführt",
            "Abschied von der Papierakte",
            "Digitale Akte im Echtbetrieb",
            "Potenziale früh erkannt",
        ),
        ("{place} führt die E-Akte ein", "{place} arbeitet papierlos"),
        (
            "{Subj} hat die elektronische Akte in allen Fachbereichen eingeführt. Rund {n} Beschäftigte "
            "arbeiten nun vollständig digital.",
            "Nach einer Pilotphase wird die E-Akte {in_place} in der gesamten Verwaltung ausgerollt. "
            "Das Projekt soll bis Ende {year} abgeschlossen sein.",
        ),
        (
            "Die E-Akte ist an das Dokumentenmanagementsystem angebunden und ersetzt die bisherigen "
            "Registraturen. Eingehende Post wird zentral gescannt.",
            "Besonders die Vertretungsregelungen hätten sich verbessert, heißt es. Akten seien nun "
            "jederzeit auffindbar, auch im mobilen Arbeiten.",
        ),
        ("Aktenordner in einem Regal", "Mitarbeiterin arbeitet an zwei Bildschirmen"),
    ),
    Topic(
        "ki",
        ("Praxis", "Politik"),
        (("KI", "Künstliche Intelligenz"), ("Chatbot",)),
        "Künstliche Intelligenz",
        (
            "KI-Assistent beantwortet Bürgeranfragen",
            "Arbeitshilfen zu KI in der Verwaltung",
            "Chatbot für das Bürgeramt",
            "KI-Strategie vorgestellt",
            "Sprachmodell im Test",
        ),
        ("{place} setzt auf Künstliche Intelligenz", "{place} testet KI-Assistenten"),
        (
            "{Subj} erprobt einen KI-gestützten Assistenten, der Fragen zu Verwaltungsleistungen "
            "beantwortet. Der Dienst ist zunächst auf {n} Themen beschränkt.",
            "Wie Künstliche Intelligenz die Verwaltung entlasten kann, zeigt ein Projekt {in_place}. "
            "Ein Sprachmodell fasst dort Eingaben zusammen und schlägt Antworten vor.",
        ),
        (
            "Das Sprachmodell wird in einer souveränen Cloud-Umgebung betrieben, personenbezogene "
            "Daten verlassen das Rechenzentrum nicht.",
            "Die Antworten des Assistenten werden von Beschäftigten geprüft, bevor sie versendet "
            "werden. Eine Kennzeichnungspflicht gilt für alle KI-generierten Texte.",
        ),
        ("Symbolbild: Künstliche Intelligenz", "Hand tippt auf ein Tablet mit Chatfenster"),
    ),
    Topic(
        "cloud",
        ("Infrastruktur",),
        (("Cloud",), ("Rechenzentrum",)),
        "Cloud",
        (
            "Umzug in die Cloud",
            "Rechenzentren werden konsolidiert",
            "Souveräne Cloud für Kommunen",
            "Neues Rechenzentrum in Betrieb",
        ),
        ("{place} migriert in die Cloud", "{place} baut Rechenzentrum aus"),
        (
            "{Subj} verlagert Fachverfahren in eine souveräne Cloud. Betrieben wird die Plattform "
            "von {dl}.",
            "Mit einem neuen Rechenzentrum will {subj} die Ausfallsicherheit erhöhen. Die Investition "
            "beläuft sich auf {mio} Euro.",
        ),
        (
            "Die Migration erfolgt schrittweise, zuerst werden die Büroanwendungen umgezogen.",
            "Das Rechenzentrum ist nach BSI-Grundschutz zertifiziert und wird mit Ökostrom betrieben.",
        ),
        ("Serverschrank in einem Rechenzentrum", "Netzwerkkabel in einem Serverraum"),
    ),
    Topic(
        "register",
        ("Politik", "Fachverfahren"),
        (("Registermodernisierung",), ("Once-Only",)),
        "Registermodernisierung",
        (
            "Registermodernisierung nimmt Fahrt auf",
            "Once-Only-Prinzip im Test",
            "Register werden vernetzt",
        ),
        ("{place} treibt Registermodernisierung voran",),
        (
            "Bei der Registermodernisierung geht {subj} voran: Ab sofort werden Nachweise zwischen "
            "Behörden direkt ausgetauscht.",
            "{Subj} beteiligt sich an einem Pilotprojekt zur Registermodernisierung. Bürgerinnen und "
            "Bürger sollen Nachweise nur noch einmal vorlegen müssen.",
        ),
        (
            "Grundlage ist das Registermodernisierungsgesetz, das die Identifikationsnummer als "
            "übergreifendes Ordnungsmerkmal einführt.",
        ),
        ("Aktenberge auf einem Schreibtisch",),
    ),
    Topic(
        "sicherheit",
        ("IT-Sicherheit",),
        (("IT-Sicherheit", "Informationssicherheit"), ("Cyberangriff",)),
        "IT-Sicherheit",
        (
            "Mehr IT-Sicherheit für Kommunen",
            "Nach dem Cyberangriff",
            "Notfallplan für den Ernstfall",
            "CERT für Kommunen gestartet",
            "Ratsinformationssystem ist sicher",
        ),
        ("{place} stärkt die IT-Sicherheit", "Cyberangriff auf {place}"),
        (
            "Nach einem Cyberangriff waren die Systeme {in_place} mehrere Tage nicht erreichbar. "
            "Inzwischen laufen die wichtigsten Dienste wieder.",
            "{Subj} investiert {mio} Euro in die Informationssicherheit. Ein eigenes Sicherheitsteam "
            "soll Angriffe frühzeitig erkennen.",
        ),
        (
            "Das Bundesamt für Sicherheit in der Informationstechnik (BSI) empfiehlt Kommunen, "
            "regelmäßige Notfallübungen durchzuführen.",
            "Alle Beschäftigten müssen künftig an einer Schulung zur Informationssicherheit "
            "teilnehmen. Phishing-Simulationen sollen das Bewusstsein schärfen.",
        ),
        ("Vorhängeschloss auf einer Computertastatur", "Symbolbild IT-Sicherheit"),
    ),
    Topic(
        "smartcity",
        ("Smart City",),
        (("Smart City", "Smart Cities"), ("Open Data",)),
        "Smart City",
        (
            "Smart-City-Projekt geht in die Umsetzung",
            "Digitaler Zwilling vorgestellt",
            "Sensoren messen Luftqualität",
            "Open-Data-Portal freigeschaltet",
        ),
        ("{place} wird zur Smart City", "{place} startet Open-Data-Portal"),
        (
            "{Subj} hat ein Open-Data-Portal freigeschaltet. Zum Start stehen {n} Datensätze zur "
            "Verfügung.",
            "Mit einem digitalen Zwilling will {subj} die Stadtplanung verbessern. Gefördert wird das "
            "Vorhaben mit {mio} Euro.",
        ),
        (
            "Die Daten stehen unter einer offenen Lizenz und können über eine Schnittstelle "
            "abgerufen werden.",
            "Die Sensoren übertragen ihre Messwerte per LoRaWAN an eine zentrale Datenplattform.",
        ),
        ("Luftaufnahme einer Innenstadt", "Sensor an einer Straßenlaterne"),
    ),
    Topic(
        "breitband",
        ("Infrastruktur",),
        (("Breitband",), ("Glasfaser",)),
        "Breitband",
        (
            "Glasfaserausbau schreitet voran",
            "Förderbescheid für Breitbandausbau",
            "Weiße Flecken geschlossen",
        ),
        ("{place} erhält schnelles Internet",),
        (
            "Für den Breitbandausbau {in_place} gibt es einen Förderbescheid über {mio} Euro. Rund "
            "{n}00 Haushalte sollen angeschlossen werden.",
        ),
        (
            "Der Ausbau soll in drei Bauabschnitten erfolgen; die ersten Anschlüsse werden noch in "
            "diesem Jahr aktiviert.",
        ),
        ("Glasfaserkabel in einer Baugrube",),
    ),
    Topic(
        "portal",
        ("Praxis",),
        (("Bürgerportal", "Serviceportal"), ("E-Government", "eGovernment")),
        "Bürgerservice",
        (
            "Neues Bürgerportal online",
            "Online-Terminvergabe ausgeweitet",
            "Digitale Bauanträge möglich",
        ),
        ("{place} startet neues Bürgerportal", "{place} bietet Online-Termine an"),
        (
            "Das neue Bürgerportal {in_place} bündelt {n} Online-Dienste. Nutzerkonten können mit "
            "der BundID verknüpft werden.",
            "{Subj} bietet Termine im Bürgeramt jetzt auch online an. Die Wartezeiten seien deutlich "
            "gesunken.",
        ),
        ("Das Portal ist barrierefrei gestaltet und auch in leichter Sprache verfügbar.",),
        ("Startseite eines Bürgerportals auf einem Smartphone",),
    ),
    Topic(
        "strategie",
        ("Politik",),
        (("Digitalstrategie", "Digitalisierungsstrategie"),),
        "Digitalisierung",
        ("Digitalstrategie verabschiedet", "Digitalisierung wird Chefsache", "Neuer CIO im Amt"),
        ("{place} beschließt Digitalstrategie",),
        (
            "Der Rat hat {in_place} eine Digitalstrategie verabschiedet. Sie umfasst {n} Maßnahmen "
            "in fünf Handlungsfeldern.",
        ),
        ("Die Digitalisierungsstrategie soll alle zwei Jahre fortgeschrieben werden.",),
        ("Sitzungssaal eines Rathauses",),
    ),
    Topic(
        "xrechnung",
        ("Fachverfahren", "Praxis"),
        (("XRechnung", "E-Rechnung"),),
        "E-Rechnung",
        ("Rechnungseingang wird digital", "XRechnung ist Pflicht"),
        ("{place} empfängt nur noch E-Rechnungen",),
        (
            "{Subj} nimmt Rechnungen nur noch im Format XRechnung entgegen. Papierrechnungen werden "
            "ab Jahresbeginn zurückgeschickt.",
        ),
        ("Eingehende Rechnungen werden automatisch geprüft und an den Workflow übergeben.",),
        ("Taschenrechner und Rechnungsbelege",),
    ),
    Topic(
        "schule",
        ("Bildung",),
        (("Schuldigitalisierung",), ("DigitalPakt Schule",)),
        "Digitale Bildung",
        (
            "Schulen erhalten digitale Ausstattung",
            "Tablets für alle Grundschulen",
            "Schul-Cloud startet",
        ),
        ("{place} digitalisiert Schulen",),
        (
            "Aus dem DigitalPakt Schule fließen {mio} Euro {in_place}. {n} Schulen erhalten neue "
            "Geräte und WLAN.",
        ),
        ("Der Support der Geräte wird vom kommunalen IT-Dienstleister {dl} übernommen.",),
        ("Schülerinnen arbeiten mit Tablets im Klassenzimmer",),
    ),
)

MOVE_TOPICS = (
    Topic(
        "justiz",
        ("Justiz",),
        (("E-Justiz",), ("KI", "Künstliche Intelligenz")),
        "Justiz",
        ("KI in der Justiz", "E-Akte an allen Gerichten", "Online-Verfahren für Bürger"),
        ("{place} digitalisiert die Justiz",),
        (
            "An den Gerichten {in_place} wird die elektronische Akte eingeführt. {n} Standorte sind "
            "bereits umgestellt.",
        ),
        ("Die Richterschaft sei eng eingebunden worden, heißt es aus dem Ministerium.",),
        ("Justitia-Statue vor blauem Himmel",),
    ),
    Topic(
        "personal",
        ("Personal",),
        (("Fachkräftemangel",), ("Personalgewinnung",)),
        "Personal",
        (
            "Verwaltung sucht Nachwuchs",
            "Neue Wege bei der Personalgewinnung",
            "Arbeitgebermarke gestärkt",
        ),
        ("{place} wirbt um Fachkräfte",),
        (
            "{Subj} reagiert auf den Fachkräftemangel mit einer Kampagne. In den nächsten Jahren "
            "gehen {pct} der Beschäftigten in den Ruhestand.",
        ),
        ("Bewerbungen sind nun vollständig online möglich, Vorstellungsgespräche auch per Video.",),
        ("Bewerbungsgespräch in einem Büro",),
    ),
    Topic(
        "haushalt",
        ("Finanzen",),
        (("Haushalt",), ("Doppik",)),
        "Finanzen",
        ("Haushalt unter Druck", "Doppischer Haushalt eingeführt", "Kommunalfinanzen im Wandel"),
        ("{place} legt Haushalt vor",),
        (
            "{Subj} rechnet mit einem Defizit von {mio} Euro. Investitionen in die Digitalisierung "
            "sollen dennoch fortgeführt werden.",
        ),
        ("Der Kämmerer verweist auf steigende Personal- und Energiekosten.",),
        ("Geldscheine und Münzen auf einem Tisch",),
    ),
    Topic(
        "organisation",
        ("Organisation", "Praxis"),
        (("Verwaltungsmodernisierung",), ("Prozessmanagement",)),
        "Verwaltungsmodernisierung",
        ("Prozesse neu gedacht", "Bürokratieabbau konkret", "Agile Verwaltung im Alltag"),
        ("{place} modernisiert die Verwaltung",),
        (
            "{Subj} hat {n} Verwaltungsprozesse analysiert und neu gestaltet. Die Bearbeitungszeit "
            "sinkt im Schnitt um {pct}.",
        ),
        ("Grundlage ist ein Prozessmodell nach dem Standard der KGSt.",),
        ("Post-its an einer Glaswand",),
    ),
    Topic(
        "politik",
        ("Politik",),
        (("Föderalismus",), ("E-Government", "eGovernment")),
        "Verwaltungspolitik",
        (
            "Staatsmodernisierung als Daueraufgabe",
            "Bund und Länder einigen sich",
            "Mehr Tempo gefordert",
        ),
        ("{place} fordert Verwaltungsreform",),
        (
            "{Subj} fordert eine grundlegende Verwaltungsreform. Zuständigkeiten sollen gebündelt "
            "werden.",
        ),
        ("{Gremium} begrüßt den Vorstoß, mahnt aber eine solide Finanzierung an.",),
        ("Reichstagsgebäude in Berlin",),
    ),
    Topic(
        "arbeit",
        ("Personal", "Organisation"),
        (("New Work",), ("Homeoffice", "mobiles Arbeiten")),
        "Arbeitswelt",
        ("Desk-Sharing im Rathaus", "Mobiles Arbeiten etabliert"),
        ("{place} erprobt neue Arbeitswelten",),
        (
            "{Subj} baut Büroflächen um: Künftig teilen sich {n} Beschäftigte flexible Arbeitsplätze.",
        ),
        ("Die Dienstvereinbarung zum mobilen Arbeiten wurde mit dem Personalrat abgestimmt.",),
        ("Offenes Großraumbüro",),
    ),
)

SUW_TOPICS = (
    Topic(
        "waerme",
        ("Energiewende",),
        (("Wärmeplanung", "kommunale Wärmeplanung"), ("Fernwärme",)),
        "Wärmewende",
        ("Wärmeplan vorgelegt", "Fernwärmenetz wird ausgebaut", "Großwärmepumpe in Betrieb"),
        ("{place} legt Wärmeplan vor",),
        (
            "{Subj} hat die kommunale Wärmeplanung abgeschlossen. Bis 2040 sollen {pct} der "
            "Haushalte klimaneutral heizen.",
        ),
        ("Die Stadtwerke investieren dafür {mio} Euro in neue Erzeugungsanlagen.",),
        ("Fernwärmeleitung auf einer Baustelle",),
    ),
    Topic(
        "netze",
        ("Netze",),
        (("Smart Meter", "intelligente Messsysteme"), ("Stromnetz",)),
        "Netze",
        ("Smart-Meter-Rollout gestartet", "Netzausbau beschleunigt", "Anschluss von Rechenzentrum"),
        ("{place} modernisiert das Stromnetz",),
        (
            "Die Stadtwerke {in_place} haben mit dem Einbau intelligenter Messsysteme begonnen. "
            "{n} Zähler sollen bis Jahresende getauscht sein.",
        ),
        ("Netzbetreiber müssen den Rollout nach dem Messstellenbetriebsgesetz umsetzen.",),
        ("Stromzähler in einem Hausanschlussraum",),
    ),
    Topic(
        "mobil",
        ("Mobilität",),
        (("E-Mobilität", "Elektromobilität"), ("Ladeinfrastruktur",)),
        "Mobilität",
        ("Neue Ladepunkte in Betrieb", "E-Busse im Linienverkehr", "KI für flotteren Busverkehr"),
        ("{place} baut Ladeinfrastruktur aus",),
        (
            "{Subj} nimmt {n} neue Ladepunkte in Betrieb. Der Strom stammt vollständig aus "
            "erneuerbaren Quellen.",
        ),
        ("Abgerechnet wird über eine App der Stadtwerke oder per Kreditkarte.",),
        ("Elektroauto an einer Ladesäule",),
    ),
    Topic(
        "smart",
        ("Smart City",),
        (("Smart City", "Smart Cities"), ("LoRaWAN",)),
        "Smart City",
        (
            "LoRaWAN-Netz flächendeckend",
            "Sensoren melden Füllstände",
            "Urbane Datenplattform startet",
        ),
        ("{place} vernetzt die Stadt",),
        (
            "Die Stadtwerke {in_place} haben ein LoRaWAN-Netz aufgebaut. Über {n} Sensoren liefern "
            "bereits Daten.",
        ),
        ("Die Daten fließen in eine urbane Datenplattform, die auch der Verwaltung offensteht.",),
        ("Funkantenne auf einem Dach",),
    ),
    Topic(
        "pv",
        ("Energiewende", "Politik"),
        (("Photovoltaik", "PV"), ("Erneuerbare Energien",)),
        "Erneuerbare",
        (
            "Solarpark geht ans Netz",
            "Photovoltaik auf allen Dächern",
            "Bürgerbeteiligung an Windpark",
        ),
        ("{place} setzt auf Solarstrom",),
        (
            "Ein neuer Solarpark {in_place} liefert Strom für rund {n}00 Haushalte. Investiert wurden "
            "{mio} Euro.",
        ),
        ("Bürgerinnen und Bürger können sich über eine Energiegenossenschaft beteiligen.",),
        ("Solarmodule auf einer Freifläche",),
    ),
    Topic(
        "stadtwerk",
        ("Panorama", "Politik"),
        (("Stadtwerke",), ("Kooperation",)),
        "Stadtwerke",
        ("Stadtwerke bündeln Kräfte", "Neuer Geschäftsführer", "Kundenportal erneuert"),
        ("{place}: Stadtwerke mit neuem Kundenportal",),
        (
            "Die Stadtwerke {in_place} haben ihr Kundenportal erneuert. Abschlagszahlungen und "
            "Zählerstände lassen sich nun online verwalten.",
        ),
        ("Der kommunale Spitzenverband VKU sieht in Kooperationen einen Weg, Kosten zu senken.",),
        ("Verwaltungsgebäude der Stadtwerke",),
    ),
)

# One-off Stichwörter: each is attached to exactly one article, so a tag cloud has singletons.
SINGLETON_TAGS = {
    "kommune21": ("Bürgerhaushalt", "Gigabit-Koordinator", "Digitallotsen"),
    "move": ("Verwaltungsgerichtsbarkeit", "Tarifvertrag"),
    "stadtundwerk": ("Wasserstoff-Elektrolyseur", "Stadtwerke-Kooperation Nordwest"),
}
