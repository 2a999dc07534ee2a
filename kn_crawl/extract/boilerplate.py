"""What is not article text, judged one element or one line at a time.

Pure rules for :mod:`kn_crawl.extract.body`: the class and id words that mark a container as
the article (or as a comment box, a share bar, a sidebar), elements a reader cannot see, and
lines that are furniture rather than text (image credits, "Anzeige", "Mehr zum Thema").
Class words are one signal among several: the body module weighs them against how much
text a container holds and how much of it is links.
"""

from __future__ import annotations

import functools
import re

from kn_crawl.extract.dom import Element

# Class/id words of the article's container (WordPress "entry-content", schema.org
# "articleBody", "story-body", "post-text" …). Matched as words of the class string.
_POSITIVE = re.compile(
    r"(?:^|[\s_-])(?:article|articlebody|article-?body|content|entry|hentry|h-entry|main|"
    r"post|story|text|body|blog|artikel|inhalt|beitrag|news-?text|richtext|copy|prose)"
    r"(?:$|[\s_-])"
)
# Class/id words of what surrounds an article: discussion, sharing, navigation, promotion,
# consent, the article's own furniture (author box, tags, captions).
_NEGATIVE = re.compile(
    # Words that also start compounds of furniture ("commentlist", "sharedaddy",
    # "authorbox", "navbar", "sidebarleft", "relatedposts").
    r"(?:^|[\s_-])(?:(?:comment|kommentar|disqus|share|sharing|shariff|social|related|"
    r"recommend|empfehlung|newsletter|subscribe|cookie|consent|sidebar|widget|breadcrumb|"
    r"footer|nav|menu|author|autor|byline|tagcloud|schlagwort|bildnachweis|popup|outbrain|"
    r"taboola|pagination)[a-z]*"
    # Words only as themselves ("meta", not "metadata"; "tags", not "tagesschau").
    r"|respond|reply|discussion|gdpr|privacy|foot|meta|bio|tags|keywords|caption|credits?|"
    r"copyright|modal|overlay|toolbar|pager|skip|jump|print|rating|teaser-?list|"
    r"more-?articles|read-?more|readmore|masthead)"
    r"(?:$|[\s_-])"
)
# Words of advertising slots and image boxes: templates put them on sections that also
# hold the article's text ("Section--Ads": a section with an ad slot in it), so they count
# against a container only when it holds little text (an ad label, a caption).
_WEAK = re.compile(
    r"(?:^|[\s_-])(?:(?:advert|sponsor|promo|banner|gallery|slider|carousel|video|lightbox|"
    r"thumbnail)[a-z]*|ads?|anzeige|werbung|pic|pics|picture|image|images|img|photo|foto|bild|"
    r"figure|thumb|media-?box)(?:$|[\s_-])"
)
# Stronger than any class word: the schema.org property of the article's text.
_ARTICLE_BODY = frozenset({"articlebody", "articletext"})
# Exact class names that hide an element (Bootstrap, WordPress, Drupal utility classes).
_HIDDEN_CLASSES = frozenset(
    {"hidden", "sr-only", "visually-hidden", "visuallyhidden", "screen-reader-text",
     "screenreader", "element-invisible", "d-none", "is-hidden", "u-hidden", "hide",
     "offscreen", "a11y-hidden"}
)  # fmt: skip
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
_NEGATIVE_ROLES = frozenset(
    {"navigation", "complementary", "contentinfo", "banner", "search", "dialog", "alert",
     "menu", "menubar", "toolbar", "tablist"}
)  # fmt: skip


_CAMEL = re.compile(r"([a-z])([A-Z])")


def _judge(el: Element) -> tuple[bool, bool, bool]:
    """(negative, weak, positive) for the element's class names and id."""
    value = f"{el.get('class') or ''} {el.get('id') or ''}"
    return _judge_names(value) if value != " " else (False, False, False)


@functools.lru_cache(maxsize=4096)
def _judge_names(value: str) -> tuple[bool, bool, bool]:
    """(negative, weak, positive): some class name names furniture ("post-meta",
    "comments"), or an ad slot or image box ("ad-container"); some other names the article
    and nothing else ("entry-content"). Names are lower-cased and camelCase split
    ("shareBar" → "share-bar"); a site repeats its class strings, hence the cache."""
    if not value.islower():
        value = _CAMEL.sub(r"\1-\2", value).lower()
    negative = weak = positive = False
    for name in value.split():
        if _NEGATIVE.search(name):
            negative = True
        elif _WEAK.search(name):
            weak = True
        elif _POSITIVE.search(name):
            positive = True
    return negative, weak, positive


def class_weight(el: Element) -> float:
    """Readability's class weight: +25 for a name of an article container, −25 for a name
    of page furniture, +50 for ``itemprop=articleBody``; ``<article>`` and ``<main>`` +10."""
    weight = 0.0
    if (el.get("itemprop") or "").lower() in _ARTICLE_BODY:
        weight += 50
    if el.tag in ("article", "main") or (el.get("role") or "").lower() == "main":
        weight += 10
    negative, weak, positive = _judge(el)
    if negative or weak:
        weight -= 25
    if positive:
        weight += 25
    return weight


def negative_container(el: Element) -> str | None:
    """Whether the element's class, id or ARIA role says it is page furniture and no other
    name says it is the article ("comments", "share-bar", "post-meta", but not
    "entry-content comments-open"): "strong", "weak" (an ad or media slot: furniture only
    when it holds little text), or None."""
    if (el.get("role") or "").lower() in _NEGATIVE_ROLES:
        return "strong"
    if (el.get("itemprop") or "").lower() in _ARTICLE_BODY:
        return None
    negative, weak, positive = _judge(el)
    if positive:
        return None
    return "strong" if negative else "weak" if weak else None


def invisible(el: Element) -> bool:
    """Whether a reader cannot see the element: ``hidden``, ``display: none``, or a
    utility class that hides it (screen-reader-only text)."""
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    if style and ("none" in style or "hidden" in style) and _HIDDEN_STYLE.search(style.lower()):
        return True
    classes = el.get("class")
    return bool(classes) and not _HIDDEN_CLASSES.isdisjoint(classes.lower().split())


# "Foto: dpa", "(Bildquelle: Stadt X)", "© 2024 Verlag", "Bild: …", "Photo: Reuters".
_CREDIT = re.compile(
    r"^[(\[]?\s*(?:Fotos?|Bild(?:er)?|Bildquellen?|Bildnachweis|Quelle\s+Bild|Abbildung|Abb\.|"
    r"Grafik|Titelbild|Beitragsbild|Symbolbild|Foto(?:grafie)?\s*&\s*Text|Photos?|Images?|"
    r"Picture|Credits?|Photo\s+credit|Image\s+(?:credit|source)|(?:Header|Featured|Top|Lead)"
    r"\s+image|Illustration|Copyright|Video)\s*(?::|©|\(c\))",
    re.IGNORECASE,
)
_COPYRIGHT = re.compile(r"^[(\[]?\s*(?:©|\(c\)|Copyright\b)", re.IGNORECASE)
# Lines that are advertising labels, share buttons or navigation, whole.
_FURNITURE = re.compile(
    r"^(?:Anzeige|Werbung|Advertisement|Advertising|Sponsored|Publicidad|Publicité|"
    r"Sponsored content|Ad|Teilen|Share|Share this|Share this article|Diesen Artikel teilen|"
    r"Artikel teilen|Drucken|Print|Tweet|E-Mail|Email|Facebook|Twitter|WhatsApp|"
    r"Nach oben|Zurück|Zurück zur Übersicht|Zur Übersicht|Back to top|Top|Seite drucken|"
    r"Kommentare|Kommentieren|Comments|Leave a comment|Leave a Reply|Kommentar schreiben|"
    r"Weiterlesen|Mehr lesen|Read more|Mehr|More|Zum Artikel|Artikel lesen|"
    r"Schließen|Close|Menü|Menu|Suche|Search|Loading|Lade weitere Inhalte)"
    r"\s*[:.!…]*\s*(?:[»›>→]+)?$",
    re.IGNORECASE,
)
# Inline pointers to other articles: "Lesen Sie auch: …", "Mehr zum Thema: …", "Read more: …".
_POINTER = re.compile(
    r"^(?:Lesen Sie (?:auch|mehr|hier)|Lies auch|Mehr zum Thema|Mehr dazu|Auch interessant|"
    r"Das könnte (?:Sie|dich) auch interessieren|Siehe auch|Zum Thema|"
    r"Read (?:more|also)|Related|See also|Also read|More on this)\b\s*:",
    re.IGNORECASE,
)
# Notices of a site, not of an article (cookie banners, comment forms, spam filters).
_NOTICE = re.compile(
    r"(?:\b(?:verwendet|verwenden|nutzt|nutzen|benutzt|setzt|setzen) (?:\w+ )?Cookies\b|"
    r"\b(?:uses?|using) cookies\b|Akismet|Erforderliche Felder sind|"
    r"Ihre E-Mail-Adresse wird nicht veröffentlicht|Your email address will not be published|"
    r"Deine E-Mail-Adresse wird nicht veröffentlicht|JavaScript (?:is )?(?:deaktiviert|disabled)|"
    r"aktivieren Sie JavaScript|enable JavaScript|Alle Rechte vorbehalten|All rights reserved|"
    r"Rechte (?:sämtlicher|aller|der) Texte|Vervielfältigung nur mit|Nachdruck nur mit|"
    r"\baffiliate[- ]links?\b|Affiliate-Links?|Partnerlinks?\b)",
    re.IGNORECASE,
)
_NOTICE_WORDS = (
    "cookie", "akismet", "felder", "e-mail", "email", "javascript", "rechte", "rights",
    "vervielfältigung", "nachdruck", "affiliate", "partnerlink",
)  # fmt: skip
_RELATED_HEADING = re.compile(
    r"^(?:Mehr zum Thema|Lesen Sie auch|Lesen Sie mehr|Auch interessant|Ebenfalls interessant|"
    r"Das könnte (?:Sie|dich|euch) (?:auch )?interessieren|Das interessiert (?:Sie|dich) auch|"
    r"Ähnliche (?:Beiträge|Artikel|Themen|Meldungen|Nachrichten|Einträge)|"
    r"Verwandte (?:Beiträge|Artikel|Themen|Meldungen)|Weitere (?:Beiträge|Artikel|Meldungen|"
    r"Nachrichten|News) (?:zum Thema|aus|zu|in)\b.*|Mehr (?:aus|von|zu) (?:dem|der|diesem|"
    r"dieser)? ?\w+.*|Meistgelesen|Meist gelesen|Top-Artikel|Empfehlungen|Unsere Empfehlungen|"
    r"Neueste (?:Beiträge|Artikel)|Aktuelle (?:Beiträge|Artikel|Meldungen|Nachrichten)|"
    r"Related(?: (?:articles?|posts?|stories|content|topics|coverage|news|reading))?|"
    r"You (?:might|may) also (?:like|enjoy|be interested in)|Recommended(?: for you)?|"
    r"More (?:from|on|in|stories|news|articles)\b.*|Most (?:popular|read)|Read (?:more|next)|"
    r"Further reading|Trending(?: now)?|Popular (?:posts|stories)|Don't miss|Top stories)"
    r"\s*[:.!…]?$",
    re.IGNORECASE,
)


def boilerplate_line(text: str) -> bool:
    """Whether a paragraph is furniture: an image credit or caption line, an advertising
    label, a share or navigation button, a pointer to another article, a site notice."""
    if len(text) <= 60 and _FURNITURE.match(text):
        return True
    if len(text) <= 200 and (_CREDIT.match(text) or _POINTER.match(text)):
        return True
    if len(text) <= 120 and _COPYRIGHT.match(text):
        return True
    if len(text) <= 200 and "©" in text:
        # "Radfahren am Almkanal © Österreich Werbung": a caption with its credit.
        return True
    if len(text) > 400:
        return False
    # The notice pattern is slow to search; most paragraphs hold none of its words.
    folded = text.lower()
    return any(word in folded for word in _NOTICE_WORDS) and _NOTICE.search(text) is not None


def is_related_heading(text: str) -> bool:
    """Whether a line heads other articles: "Mehr zum Thema", "Lesen Sie auch", "Related"."""
    return len(text) <= 80 and _RELATED_HEADING.match(text) is not None
