"""The article body's rules as tables: which container holds the article, and what of it is
text (kn_crawl.extract.body, kn_crawl.extract.boilerplate)."""

from __future__ import annotations

import pytest

from kn_crawl.extract.body import body_text, main_content
from kn_crawl.extract.boilerplate import (
    boilerplate_line,
    class_weight,
    invisible,
    is_related_heading,
    negative_container,
)
from kn_crawl.extract.dom import Element, parse_html

# Two paragraphs of prose, long enough and with enough commas to count as article text.
P1 = (
    "Die Stadt hat am Montag, wie angekündigt, den Förderbescheid für den Ausbau erhalten, "
    "und die ersten Arbeiten beginnen, so die Verwaltung, noch im Frühjahr."
)
P2 = (
    "Insgesamt, so heißt es, sollen rund 400 Haushalte angeschlossen werden, darunter Schulen, "
    "Kitas und das Rathaus, wofür der Kreis weitere Mittel bereitstellt."
)
P3 = (
    "Der Bürgermeister sprach von einem guten Tag für die Region, in der viele, vor allem "
    "ältere Menschen, lange auf schnelles Internet gewartet haben."
)


def _one(html: str, tag: str, cls: str | None = None) -> Element:
    root = parse_html(html)
    for el in root.iter(tag):
        if cls is None or el.get("class") == cls:
            return el
    raise AssertionError(f"no <{tag} class={cls}>")


def _body(html: str) -> str | None:
    root = parse_html(html)
    return body_text(main_content(root))


# -- main_content --------------------------------------------------------------------------

SIDEBAR_PAGE = f"""<html><body>
<div class="wrap">
  <div class="story"><h1>Glasfaser</h1><p>{P1}</p><p>{P2}</p><p>{P3}</p></div>
  <div class="teasers"><p><a href="/a">Andere Meldung eins mit langem Titel hier</a></p>
    <p><a href="/b">Andere Meldung zwei mit langem Titel hier</a></p></div>
</div></body></html>"""

SECTIONS_PAGE = f"""<html><body><div id="page"><article class="report">
  <h1>Test</h1>
  <section class="part"><div class="t"><p>{P1}</p><p>{P2}</p></div></section>
  <section class="part"><div class="t"><p>{P3}</p><p>{P1}</p></div></section>
  <section class="part"><div class="t"><p>{P2}</p><p>{P3}</p></div></section>
</article><div class="more"><a href="/x">Mehr</a></div></div></body></html>"""

BR_PAGE = f"""<html><body><div id="nav"><a href="/">Start</a> <a href="/b">B</a></div>
<div class="c"><b>Titel</b><br><br>{P1}<br><br>{P2}<br>{P3}</div></body></html>"""

ASIDE_PAGE = f"""<html><body><main><aside class="wrap"><div class="text">
<p>{P1}</p><p>{P2}</p></div></aside></main></body></html>"""


@pytest.mark.parametrize(
    ("html", "tag", "cls"),
    [
        # The paragraphs' parent wins over a link list of other articles.
        (SIDEBAR_PAGE, "div", "story"),
        # Text spread over sections adds up in their common <article>.
        (SECTIONS_PAGE, "article", "report"),
        # Old CMS: <br>-separated text directly in a <div>.
        (BR_PAGE, "div", "c"),
        # Text only inside chrome tags (an <aside>): counted after all.
        (ASIDE_PAGE, "div", "text"),
    ],
    ids=["sidebar", "sections", "br-text", "aside-only"],
)
def test_main_content(html: str, tag: str, cls: str) -> None:
    root = parse_html(html)
    assert main_content(root) is _one_in(root, tag, cls)


def _one_in(root: Element, tag: str, cls: str) -> Element:
    return next(el for el in root.iter(tag) if el.get("class") == cls)


def test_main_content_takes_in_the_headline_header() -> None:
    html = f"""<html><body><div class="post"><header><h1>Titel</h1>
    <p class="date">3. Februar 2025</p></header>
    <div class="text"><p>{P1}</p><p>{P2}</p></div></div></body></html>"""
    root = parse_html(html)
    assert main_content(root) is _one_in(root, "div", "post")


def test_main_content_takes_in_the_nearest_headline_above_the_text() -> None:
    # The site's logo <h1> at the top and a newsletter box's <h1> after the text are not
    # the article's headline.
    html = f"""<html><body><div class="logo"><h1>Stadtportal</h1></div>
    <div class="page"><div class="art"><div class="head"><h1>Titel</h1></div>
    <div class="text"><p>{P1}</p><p>{P2}</p></div></div>
    <div class="col"><div class="text2"><p>{P3}</p></div>
    <div class="box"><h1>Newsletter</h1></div></div></div></body></html>"""
    root = parse_html(html)
    assert main_content(root) is _one_in(root, "div", "art")


def test_main_content_on_an_infinite_scroll_page_is_the_article_the_title_names() -> None:
    # The next story, appended below, holds more text; the <title> names the first.
    html = f"""<html><head><title>Glasfaser für alle | Stadtportal</title></head><body>
    <article class="a"><h2>Glasfaser für alle</h2><p>{P1}</p><p>{P2}</p><p>{P3}</p><p>{P1}</p>
    </article>
    <article class="b"><h2>Die nächste Geschichte</h2><p>{P1}</p><p>{P2}</p><p>{P3}</p>
    <p>{P1}</p><p>{P2}</p></article></body></html>"""
    root = parse_html(html)
    assert main_content(root) is _one_in(root, "article", "a")


@pytest.mark.parametrize(
    "html",
    ["", "<html></html>", "<html><body><p>kurz</p></body></html>", "<p><a href='/'>x</a></p>"],
    ids=["empty", "bare", "short", "link"],
)
def test_main_content_without_paragraphs_is_the_body(html: str) -> None:
    root = parse_html(html)
    body = root.find("body")
    assert main_content(root) is (body if body is not None else root)


def test_a_deep_page_is_read() -> None:
    # libxml2 keeps 256 levels; the walk must not run out of stack below that.
    html = "<div>" * 250 + P1 + "</div>" * 250
    assert _body(f"<html><body>{html}</body></html>") == P1


# -- body_text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        # Paragraphs, sub-headings and list items, each its own paragraph.
        (f"<p>{P1}</p><h2>Zwischentitel</h2><ul><li>Punkt eins</li><li>Punkt zwei</li></ul>",
         [P1, "Zwischentitel", "Punkt eins", "Punkt zwei"]),
        # <br><br> splits text-only containers into paragraphs; a single <br> does not.
        (f"<div>{P1}<br><br>{P2}<br>{P3}</div>", [P1, f"{P2} {P3}"]),
        # Text directly in a container around a nested block.
        (f"<div>{P1}<p>{P2}</p>{P3}</div>", [P1, P2, P3]),
        # Hidden elements and screen-reader text.
        (f'<p>{P1}</p><p hidden>Versteckt</p><p style="display: none">Auch</p>'
         f'<span class="sr-only">Nur Vorleser</span><p>{P2}</p>', [P1, P2]),
        # A share bar, a comment section, an author box (class words).
        (f'<p>{P1}</p><div class="share-bar"><p>Teilen auf Facebook und per E-Mail</p></div>'
         f'<div class="comments"><p>{P3}</p></div><div class="author-box"><p>Anna schreibt über '
         f'Verwaltung.</p></div><p>{P2}</p>', [P1, P2]),
        # A list of links (related articles) goes whole, its one plain item too.
        (f'<p>{P1}</p><ul><li><a href="/1">Eine andere Meldung über Glasfaser im Kreis</a></li>'
         f'<li><a href="/2">Noch eine Meldung über Glasfaser im Land</a></li><li>Ohne Link</li>'
         f'<li><a href="/3">Dritte Meldung zum Ausbau</a></li></ul><p>{P2}</p>', [P1, P2]),
        # "Mehr zum Thema" and the titles under it, up to the next real paragraph.
        (f"<p>{P1}</p><h3>Mehr zum Thema</h3><p>Förderung für Schulen</p>"
         f"<p>Der Kreis baut aus</p><h2>Weiter im Text</h2><p>{P2}</p>",
         [P1, "Weiter im Text", P2]),
        # A teaser card of another article: a linked heading and a short text.
        (f'<p>{P1}</p><div class="box"><h3><a href="/x">Andere Meldung</a></h3>'
         f"<p>Kurz zusammengefasst, worum es dort geht.</p></div><p>{P2}</p>", [P1, P2]),
        # A teaser card without a heading: its title and its image link to one address.
        (f'<p>{P1}</p><div><div><a href="/t">Zehn Dinge über Glasfaser</a></div>'
         f'<div>3. Mai 2024</div><a href="/t"><img src="t.jpg"></a>'
         f"<div>Was man über den Ausbau wissen muss.</div></div><p>{P2}</p>", [P1, P2]),
        # Captions, credits and advertising labels.
        (f"<p>{P1}</p><p>Foto: Stadt Musterstadt</p><p>Anzeige</p>"
         f"<p>Radweg am Kanal © Tourismus GmbH</p><p>{P2}</p>", [P1, P2]),
        # An image box with its caption, by its class word; an ad slot in a text section stays.
        (f'<p>{P1}</p><div class="picBox"><img src="a.jpg"><p>Der Kanal im Sommer</p></div>'
         f'<div class="section--ads"><p>{P2}</p><p>{P3}</p></div>', [P1, P2, P3]),
        # A heading with nothing after it closes nothing; a press contact is no text.
        (f"<p>{P1}</p><p>Pressekontakt: Pressestelle</p><h3>Teilen</h3>", [P1]),
    ],
    ids=["blocks", "br", "mixed", "hidden", "class-words", "link-list", "related",
         "teaser-card", "teaser-no-heading", "captions", "image-box", "trailing"],
)  # fmt: skip
def test_body_text(inner: str, expected: list[str]) -> None:
    scope = _one(f"<html><body><div class='scope'>{inner}</div></body></html>", "div", "scope")
    assert body_text(scope) == "\n\n".join(expected)


def test_body_text_starts_after_the_headline_and_skips_its_header() -> None:
    html = f"""<html><body><article><header><p>Dachzeile</p><h1>Titel</h1>
    <p>Von Anna, 3. Februar 2025</p></header><p>{P1}</p><p>{P2}</p></article></body></html>"""
    root = parse_html(html)
    article = root.find(".//article")
    headline = root.find(".//h1")
    assert article is not None and headline is not None
    assert body_text(article, after=headline) == f"{P1}\n\n{P2}"


def test_prose_above_the_headline_is_body() -> None:
    # An <h1> used as a sub-heading in the middle of the text is not where the article starts.
    html = f"""<html><body><article><p>{P1}</p><p>{P2}</p><p>{P3}</p><h1>Mitten drin</h1>
    <p>{P1}</p></article></body></html>"""
    root = parse_html(html)
    article = root.find(".//article")
    headline = root.find(".//h1")
    assert article is not None and headline is not None
    assert body_text(article, after=headline, skip={headline}) == f"{P1}\n\n{P2}\n\n{P3}\n\n{P1}"


def test_body_text_skips_a_first_paragraph_that_repeats_the_teaser() -> None:
    scope = _one(f"<div class='s'><p>{P1}</p><p>{P2}</p></div>", "div", "s")
    assert body_text(scope, teaser=P1) == P2


def test_a_wrapper_with_a_furniture_word_that_holds_the_text_stays() -> None:
    scope = _one(
        f"<div class='s'><div class='content has-sidebar-widget'><p>{P1}</p><p>{P2}</p></div>"
        "<p>Kurz.</p></div>",
        "div",
        "s",
    )
    assert body_text(scope) == f"{P1}\n\n{P2}\n\nKurz."


# -- boilerplate rules ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "furniture"),
    [
        ("Foto: dpa", True),
        ("(Bildquelle: Stadt Musterstadt)", True),
        ("© 2024 Verlag", True),
        ("Photo: Reuters", True),
        ("Anzeige", True),
        ("Advertisement", True),
        ("Teilen", True),
        ("Lesen Sie auch: Der Kreis baut aus", True),
        ("Diese Website verwendet Cookies, um Ihnen ein besseres Erlebnis zu bieten.", True),
        ("Ihre E-Mail-Adresse wird nicht veröffentlicht.", True),
        ("Fotos von der Veranstaltung zeigen viele Besucher.", False),
        ("Bildung ist Ländersache: Foto und Text sind Teil des Antrags.", False),
        ("Der Kreis teilt mit: Anzeige gegen Unbekannt erstattet.", False),
        (P1, False),
    ],
)
def test_boilerplate_line(text: str, furniture: bool) -> None:
    assert boilerplate_line(text) is furniture


@pytest.mark.parametrize(
    ("text", "related"),
    [
        ("Mehr zum Thema", True),
        ("Lesen Sie auch:", True),
        ("Das könnte Sie auch interessieren", True),
        ("Ähnliche Beiträge", True),
        ("Related articles", True),
        ("You might also like", True),
        ("Mehr zum Thema Glasfaser im Landkreis und in den Nachbarkreisen", False),
        ("Die Ergebnisse", False),
        ("Weitere Informationen", False),
    ],
)
def test_is_related_heading(text: str, related: bool) -> None:
    assert is_related_heading(text) is related


@pytest.mark.parametrize(
    ("attrs", "verdict", "weight"),
    [
        ('class="entry-content"', None, 25.0),
        ('class="comments"', "strong", -25.0),
        ('class="post-meta"', "strong", -25.0),
        ('id="shareBar"', "strong", -25.0),
        ('class="entry-content comments-open"', None, 0.0),
        ('class="Section--Ads"', "weak", -25.0),
        ('class="picBox"', "weak", -25.0),
        ('role="navigation"', "strong", 0.0),
        ('itemprop="articleBody" class="related"', None, 25.0),
        ('class="headline"', None, 0.0),
        ('class="paywall"', None, 0.0),
    ],
)
def test_class_words(attrs: str, verdict: str | None, weight: float) -> None:
    el = _one(f"<div {attrs}>x</div>", "div")
    assert (negative_container(el), class_weight(el)) == (verdict, weight)


@pytest.mark.parametrize(
    ("attrs", "hidden"),
    [
        ("hidden", True),
        ('style="display:none"', True),
        ('style="visibility: hidden"', True),
        ('class="sr-only"', True),
        ('class="screen-reader-text"', True),
        ('class="hidden-xs"', False),
        ('style="color: red"', False),
        ("", False),
    ],
)
def test_invisible(attrs: str, hidden: bool) -> None:
    assert invisible(_one(f"<div {attrs}>x</div>", "div")) is hidden
