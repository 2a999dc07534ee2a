"""Planted stories: press releases that several zoo sites publish (lightly edited), and the
articles that look like them but are other news — the ground truth of story clustering.

- ``deutschland-stack-2025-01``: a BMDS release on three sites of the demo (dstgb,
  behoerdenspiegel, egovernment): each with its own title and teaser and one sentence of its own.
  This is THE triple-published press release (:data:`TRIPLE_PUBLISHED`) the alert tests crawl.
- ``bsi-lagebild-kommunen-2024-11``: a BSI release, republished by behoerdenspiegel (shortened:
  the last paragraph dropped) and vdz (a sentence added, a new title).
- ``negz-umfrage-deutschland-stack``: a rewrite that is NOT the same story: the same topic and
  words (Deutschland-Stack, BMDS, Kommunen) the same week, other news (a survey).
- ``deutschland-stack-zeitplan``: a follow-up days later (Bund and Länder agree a timetable):
  the same topic, a different story.
- ``bsi-beratung-kommunen``: the BSI's follow-up two weeks after its release, a different story.

Every planted article replaces the site's generated article nearest its date, so the sites keep
their article counts. Articles without a key are each a story of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from kn_crawl.mirror.model import BERLIN, ExpectedArticle


@dataclass(frozen=True, slots=True)
class PlantedCopy:
    """One site's copy of a planted story."""

    story: str
    source: str
    title: str
    kicker: str | None
    teaser: str
    published: datetime
    body: tuple[str, ...]
    category: str
    tags: tuple[str, ...]


STORY = "deutschland-stack-2025-01"
"""One BMDS press release, published (lightly edited) by three sites."""
TRIPLE_PUBLISHED = STORY
BSI_RELEASE = "bsi-lagebild-kommunen-2024-11"
REWRITE = "negz-umfrage-deutschland-stack"
FOLLOW_UP = "deutschland-stack-zeitplan"
BSI_FOLLOW_UP = "bsi-beratung-kommunen"

SAME_STORIES = (STORY, BSI_RELEASE)
"""Keys told by several sources: each one story."""
LOOK_ALIKES = (REWRITE, FOLLOW_UP, BSI_FOLLOW_UP)
"""Keys of single articles that share topic and words with a planted story but are other news."""

_STORY_BODY = (
    "Das Bundesministerium für Digitales und Staatsmodernisierung (BMDS) hat die Eckpunkte für "
    "den Deutschland-Stack vorgestellt. Die gemeinsame technische Plattform soll Bund, Ländern "
    "und Kommunen einheitliche Bausteine für digitale Verwaltungsleistungen bereitstellen.",
    "Kern des Vorhabens sind offene Schnittstellen, gemeinsame Basiskomponenten wie das "
    "Bürgerkonto und die EUDI-Wallet sowie verbindliche Standards für den Datenaustausch. Die "
    "Länder sollen ihre Onlinedienste schrittweise auf die neue Plattform überführen.",
    "„Mit dem Deutschland-Stack beenden wir den Flickenteppich in der "
    "Verwaltungsdigitalisierung“, sagte der Bundesminister für Digitales und "
    "Staatsmodernisierung. „Was eine Kommune einmal gebaut hat, sollen alle anderen nutzen "
    "können.“",
    "Für die Kommunen ist eine Übergangsfrist bis Ende 2027 vorgesehen. Die Finanzierung der "
    "Anbindung soll im Rahmen der OZG-Folgegesetzgebung geregelt werden.",
)

# Per site: title, kicker, teaser, published, the one sentence that differs (appended to the
# last paragraph), category, tags.
STORY_COPIES: dict[str, dict[str, object]] = {
    "dstgb": {
        "title": "Deutschland-Stack: Kommunen frühzeitig einbinden",
        "kicker": None,
        "teaser": "Der Bund legt die Eckpunkte für den Deutschland-Stack vor. Der DStGB "
        "begrüßt das Vorhaben und fordert eine verlässliche Finanzierung.",
        "published": datetime(2025, 1, 27, 14, 5, tzinfo=BERLIN),
        "sentence": "Der DStGB fordert, dass der Bund die Kosten der Anbindung vollständig "
        "übernimmt.",
        "category": "Digitalisierung",
        "tags": ("Deutschland-Stack", "OZG", "Digitalisierung"),
    },
    "behoerdenspiegel": {
        "title": "BMDS legt Eckpunkte für den Deutschland-Stack vor",
        "kicker": None,
        "teaser": "Eine gemeinsame Plattform für Bund, Länder und Kommunen: Das "
        "Digitalministerium hat die Eckpunkte des Deutschland-Stacks veröffentlicht.",
        "published": datetime(2025, 1, 28, 9, 30, tzinfo=BERLIN),
        "sentence": "Ein Referentenentwurf soll nach Angaben des Ministeriums noch vor der "
        "Sommerpause vorliegen.",
        "category": "Digitalisierung",
        "tags": ("Deutschland-Stack", "BMDS", "OZG 2.0"),
    },
    "egovernment": {
        "title": "Der Deutschland-Stack nimmt Form an",
        "kicker": "Verwaltungsdigitalisierung",
        "teaser": "Das BMDS hat die Eckpunkte für den Deutschland-Stack vorgestellt. Länder "
        "und Kommunen sollen ihre Onlinedienste schrittweise auf die Plattform überführen.",
        "published": datetime(2025, 1, 28, 16, 10, tzinfo=BERLIN),
        "sentence": "Ein Referentenentwurf ist für das Frühjahr angekündigt.",
        "category": "Digitale Verwaltung",
        "tags": ("Deutschland-Stack", "BMDS"),
    },
}


def story_body(source: str) -> tuple[str, ...]:
    sentence = str(STORY_COPIES[source]["sentence"])
    return (*_STORY_BODY[:-1], f"{_STORY_BODY[-1]} {sentence}")


def _story_copies() -> list[PlantedCopy]:
    result = []
    for source, copy in STORY_COPIES.items():
        published = copy["published"]
        tags = copy["tags"]
        assert isinstance(published, datetime) and isinstance(tags, tuple)
        result.append(
            PlantedCopy(
                story=STORY,
                source=source,
                title=str(copy["title"]),
                kicker=str(copy["kicker"]) if copy["kicker"] else None,
                teaser=str(copy["teaser"]),
                published=published,
                body=story_body(source),
                category=str(copy["category"]),
                tags=tags,
            )
        )
    return result


_BSI_BODY = (
    "Das Bundesamt für Sicherheit in der Informationstechnik (BSI) hat erstmals ein Lagebild "
    "zur IT-Sicherheit in Kommunen veröffentlicht. Danach waren im vergangenen Jahr mehr als "
    "hundert Städte, Gemeinden und Landkreise von Cyberangriffen betroffen, in vielen Fällen "
    "fielen Bürgerdienste über Wochen aus.",
    "Besonders häufig nutzten die Angreifer ungepatchte Fernzugänge und schwache Passwörter. "
    "Ransomware blieb die größte Bedrohung: In mehr als der Hälfte der gemeldeten Fälle wurden "
    "Daten verschlüsselt und Lösegeld gefordert.",
    "„Kommunale IT ist kritische Infrastruktur für den Alltag der Menschen“, sagte die "
    "BSI-Präsidentin. „Wer die Grundlagen konsequent umsetzt, wehrt die meisten Angriffe ab.“",
    "Das BSI empfiehlt den Kommunen, den IT-Grundschutz-Baustein für Kommunalverwaltungen "
    "umzusetzen, Notfallpläne regelmäßig zu üben und Sicherheitsvorfälle frühzeitig an die "
    "Landes-CERTs zu melden.",
)

_BSI_COPIES = (
    PlantedCopy(
        story=BSI_RELEASE,
        source="bsi",
        title="BSI veröffentlicht erstes Lagebild zur IT-Sicherheit in Kommunen",
        kicker=None,
        teaser="Mehr als hundert Kommunen waren im vergangenen Jahr von Cyberangriffen "
        "betroffen. Das BSI empfiehlt den IT-Grundschutz und geübte Notfallpläne.",
        published=datetime(2024, 11, 12, 10, 0, tzinfo=BERLIN),
        body=_BSI_BODY,
        category="Sicherheit",
        tags=("IT-Sicherheit", "Kommunen", "Ransomware"),
    ),
    # Shortened: the closing recommendations are left out.
    PlantedCopy(
        story=BSI_RELEASE,
        source="behoerdenspiegel",
        title="Lagebild: Über hundert Kommunen von Cyberangriffen betroffen",
        kicker=None,
        teaser="Das BSI hat erstmals ein Lagebild zur IT-Sicherheit in Kommunen vorgelegt. "
        "Ransomware bleibt die größte Bedrohung.",
        published=datetime(2024, 11, 13, 8, 45, tzinfo=BERLIN),
        body=_BSI_BODY[:3],
        category="Sicherheit",
        tags=("Cybersicherheit", "BSI"),
    ),
    # A sentence of its own added, the title rewritten.
    PlantedCopy(
        story=BSI_RELEASE,
        source="vdz",
        title="Cyberangriffe auf Kommunen: BSI legt Lagebild vor",
        kicker=None,
        teaser="Ungepatchte Fernzugänge und schwache Passwörter: Das BSI beschreibt erstmals, "
        "wie Angreifer in kommunale Netze gelangen.",
        published=datetime(2024, 11, 14, 11, 20, tzinfo=BERLIN),
        body=(
            *_BSI_BODY[:3],
            f"{_BSI_BODY[3]} Der Deutsche Landkreistag kündigte an, die Empfehlungen mit den "
            "Landkreisen zu beraten.",
        ),
        category="Sicherheit",
        tags=("IT-Sicherheit", "BSI", "Kommunen"),
    ),
)

_LOOK_ALIKES = (
    PlantedCopy(
        story=REWRITE,
        source="negz",
        title="NEGZ-Umfrage: Kommunen sehen den Deutschland-Stack skeptisch",
        kicker=None,
        teaser="Die Eckpunkte des BMDS für den Deutschland-Stack stoßen in den Kommunen auf "
        "Zurückhaltung. Das zeigt eine Umfrage des Nationalen E-Government Kompetenzzentrums.",
        published=datetime(2025, 1, 29, 10, 15, tzinfo=BERLIN),
        body=(
            "Das Nationale E-Government Kompetenzzentrum (NEGZ) hat 412 Kommunen zu den "
            "Eckpunkten des Deutschland-Stacks befragt. Zwei Drittel der befragten "
            "Verwaltungen halten die gemeinsame Plattform grundsätzlich für richtig.",
            "Zugleich befürchten viele Kämmereien hohe Kosten für die Anbindung ihrer "
            "Fachverfahren. Nur jede fünfte Kommune sieht sich bis 2027 in der Lage, ihre "
            "Onlinedienste umzustellen; kleinere Gemeinden nennen fehlendes Personal als "
            "größtes Hindernis.",
            "Die Autorinnen der Studie empfehlen dem Bund, zunächst wenige Basiskomponenten "
            "verbindlich zu machen und die Kommunen über ihre Spitzenverbände an der "
            "Ausgestaltung der Standards zu beteiligen.",
        ),
        category="Kommunen",
        tags=("Deutschland-Stack", "Umfrage"),
    ),
    PlantedCopy(
        story=FOLLOW_UP,
        source="digitaleverwaltung",
        title="Deutschland-Stack: Bund und Länder vereinbaren einen Zeitplan",
        kicker=None,
        teaser="Nach der Vorstellung der Eckpunkte haben sich Bund und Länder auf die "
        "nächsten Schritte beim Deutschland-Stack verständigt.",
        published=datetime(2025, 1, 30, 15, 0, tzinfo=BERLIN),
        body=(
            "Bund und Länder haben sich im IT-Planungsrat auf einen Zeitplan für den "
            "Deutschland-Stack verständigt. Bis zum Herbst sollen die ersten verbindlichen "
            "Schnittstellenstandards beschlossen werden.",
            "Eine gemeinsame Arbeitsgruppe unter Vorsitz des Landes Hessen wird die Übernahme "
            "bestehender Länderlösungen prüfen. Für die Pilotphase haben sich acht Länder "
            "gemeldet.",
            "Die kommunalen Spitzenverbände sind mit zwei Sitzen in der Arbeitsgruppe "
            "vertreten. Über die Finanzierung wollen Bund und Länder im Sommer gesondert "
            "verhandeln.",
        ),
        category="Verwaltung",
        tags=("Deutschland-Stack", "IT-Planungsrat"),
    ),
    PlantedCopy(
        story=BSI_FOLLOW_UP,
        source="bsi",
        title="BSI startet Beratungsangebot für kleine Kommunen",
        kicker=None,
        teaser="Zwei Wochen nach dem Lagebild zur IT-Sicherheit in Kommunen bietet das BSI "
        "kleinen Gemeinden eine kostenlose Erstberatung an.",
        published=datetime(2024, 11, 26, 10, 0, tzinfo=BERLIN),
        body=(
            "Das Bundesamt für Sicherheit in der Informationstechnik (BSI) startet ein "
            "Beratungsangebot für Gemeinden mit weniger als 20.000 Einwohnern. Fachleute des "
            "Amtes prüfen gemeinsam mit der Verwaltung, welche Maßnahmen zuerst umgesetzt "
            "werden sollten.",
            "Die Erstberatung ist kostenlos und dauert einen Tag. Anmelden können sich "
            "Kommunen über ihr Landes-CERT; im ersten Jahr stehen 150 Termine zur Verfügung.",
            "Das Angebot ergänzt das Lagebild, das das BSI Mitte November vorgelegt hatte.",
        ),
        category="Sicherheit",
        tags=("IT-Sicherheit", "Beratung"),
    ),
)

PLANTED: tuple[PlantedCopy, ...] = (*_story_copies(), *_BSI_COPIES, *_LOOK_ALIKES)


def planted_for(source: str) -> list[PlantedCopy]:
    return [c for c in PLANTED if c.source == source]


def story_groups(
    by_source: Mapping[str, Sequence[ExpectedArticle]],
) -> dict[str, list[tuple[str, ExpectedArticle]]]:
    """The ground truth as stories: planted key -> its (source, expected article), oldest
    first; ``by_source`` is every site's expected articles (``Mirror.expected_articles``).
    Use with :data:`SAME_STORIES` and :data:`LOOK_ALIKES`; the triple-published release is
    ``story_groups(...)[TRIPLE_PUBLISHED]``."""
    groups: dict[str, list[tuple[str, ExpectedArticle]]] = {}
    for source, expected in by_source.items():
        for a in expected:
            if a.story is not None:
                groups.setdefault(a.story, []).append((source, a))
    return {k: sorted(v, key=lambda sa: sa[1].published) for k, v in groups.items()}
