"""Feed parsing (kn_crawl.extract.feeds): every format, and every hostile document, as a
table of cases with the exact entries or the exact refusal."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from kn_crawl.extract.feeds import FeedError, check_document, parse_feed

FEED_URL = "https://news.example.de/feed/"

RSS2 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
  <title>Beh\xc3\xb6rden News</title>
  <link>https://news.example.de/</link>
  <atom:link href="https://news.example.de/feed/" rel="self" type="application/rss+xml"/>
  <item>
    <title>Registermodernisierung: Der n&#228;chste Schritt</title>
    <link>https://news.example.de/2025/01/28/registermodernisierung/</link>
    <pubDate>Tue, 28 Jan 2025 09:30:00 +0000</pubDate>
    <dc:creator><![CDATA[Anna Beispiel]]></dc:creator>
    <category><![CDATA[Digitalisierung]]></category>
    <category><![CDATA[OZG]]></category>
    <description><![CDATA[<p>Bund und L&auml;nder einigen sich. [&#8230;]</p>]]></description>
    <content:encoded><![CDATA[<p>Erster Absatz mit<br/>Zeilenumbruch.</p>
<p>Zweiter <strong>Absatz</strong>.</p>
<figure><img src="x.jpg" alt=""/><figcaption>Foto: Amt</figcaption></figure>
<ul><li>Punkt eins</li><li>Punkt zwei</li></ul><script>evil()</script>]]></content:encoded>
  </item>
  <item>
    <title>Ohne Datum</title>
    <link>/relativ/ohne-datum/</link>
    <author>redaktion@example.de (Redaktion)</author>
    <description>Nur Text.</description>
  </item>
  <item>
    <title>Ohne Link</title>
    <description>Wird ausgelassen.</description>
  </item>
</channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Amt Aktuell</title>
  <id>urn:uuid:1</id>
  <updated>2025-02-03T08:00:00Z</updated>
  <link rel="self" href="https://amt.example.de/atom.xml"/>
  <link rel="next" href="https://amt.example.de/atom.xml?page=2"/>
  <entry>
    <title type="html">Cloud-Strategie &lt;em&gt;beschlossen&lt;/em&gt;</title>
    <link rel="alternate" href="https://amt.example.de/presse/cloud-strategie"/>
    <id>urn:uuid:2</id>
    <published>2025-02-01T10:00:00+01:00</published>
    <updated>2025-02-03T08:00:00Z</updated>
    <author><name>Pressestelle</name></author>
    <author><name>Max Muster</name></author>
    <category term="cloud" label="Cloud"/>
    <category term="IT-Sicherheit"/>
    <summary>Das Kabinett hat die Strategie beschlossen.</summary>
    <content type="html">&lt;h2&gt;Worum es geht&lt;/h2&gt;
      &lt;p&gt;Eine Cloud f&#252;r alle.&lt;/p&gt;</content>
  </entry>
  <entry>
    <title>Nur aktualisiert</title>
    <link href="https://amt.example.de/presse/aktualisiert"/>
    <id>urn:uuid:3</id>
    <updated>2025-02-02T12:00:00Z</updated>
    <content type="text">Zeile eins.

Zeile zwei.</content>
  </entry>
</feed>
"""

RDF = b"""<?xml version="1.0" encoding="ISO-8859-1"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://verband.example.de/">
    <title>Verband</title>
    <link>https://verband.example.de/</link>
    <items><rdf:Seq><rdf:li rdf:resource="https://verband.example.de/node/17"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://verband.example.de/node/17">
    <title>Gr\xfc\xdfe aus der Verwaltung</title>
    <link>https://verband.example.de/node/17</link>
    <description>Ein Teaser in Latin-1: \xe4\xf6\xfc.</description>
    <dc:date>2024-12-09T14:15:00+01:00</dc:date>
    <dc:creator>Erika Mustermann</dc:creator>
    <dc:subject>Verwaltungsdigitalisierung</dc:subject>
  </item>
</rdf:RDF>
"""

JSON_FEED_11 = """{
  "version": "https://jsonfeed.org/version/1.1",
  "title": "Podcast",
  "home_page_url": "https://pod.example.de/",
  "next_url": "https://pod.example.de/feed.json?page=2",
  "authors": [{"name": "Das Team"}],
  "items": [
    {"id": "1", "url": "https://pod.example.de/folge-12/", "title": "Folge 12: KI im Amt",
     "summary": "Wir sprechen über KI.",
     "content_html": "<p>Erster Teil.</p><p>Zweiter Teil.</p>",
     "date_published": "2025-03-01T06:00:00+01:00",
     "tags": ["KI", "Verwaltung", 7],
     "authors": [{"name": "Lea Host"}, {"name": "Tim Gast"}]},
    {"id": "2", "url": "https://pod.example.de/folge-11/", "title": "Folge 11",
     "content_text": "Absatz A.\\n\\nAbsatz B.", "date_modified": "2025-02-01T06:00:00Z"},
    {"id": "3", "title": "ohne URL"},
    "kein Objekt"
  ]
}""".encode()

JSON_FEED_1 = b"""{"version": "https://jsonfeed.org/version/1", "title": "Alt",
  "items": [{"id": "a", "url": "https://alt.example.de/a", "title": "A",
             "author": {"name": "Einzelautor"}, "date_published": "2020-05-04T10:00:00Z"}]}"""


def _entries(listing: Any) -> list[dict[str, Any]]:
    return [e.to_json() for e in listing.entries]


def test_rss2_entries_carry_every_field() -> None:
    listing = parse_feed(RSS2, FEED_URL)
    assert listing.next_url is None
    # Its third item has no link: not followed, and said once.
    assert listing.notes == [
        (
            "feed_entry_without_link",
            "1 of 3 entries in the feed have no http(s) link: not followed",
        )
    ]
    assert _entries(listing) == [
        {
            "url": "https://news.example.de/2025/01/28/registermodernisierung/",
            "title": "Der nächste Schritt",
            "kicker": "Registermodernisierung",
            "teaser": "Bund und Länder einigen sich.",
            "published_at": "2025-01-28T09:30:00+00:00",
            "type_label": None,
            "image_alt": None,
            "tags": ["Digitalisierung", "OZG"],
            "author": "Anna Beispiel",
            "body": "Erster Absatz mit Zeilenumbruch.\n\nZweiter Absatz.\n\nFoto: Amt\n\n"
            "Punkt eins\n\nPunkt zwei",
        },
        {
            "url": "https://news.example.de/relativ/ohne-datum/",
            "title": "Ohne Datum",
            "kicker": None,
            "teaser": "Nur Text.",
            "published_at": None,
            "type_label": None,
            "image_alt": None,
            "tags": [],
            "author": "Redaktion",
            "body": None,
        },
    ]


def test_atom_entries_and_next_page() -> None:
    listing = parse_feed(ATOM, "https://amt.example.de/atom.xml")
    assert listing.next_url == "https://amt.example.de/atom.xml?page=2"
    assert _entries(listing) == [
        {
            "url": "https://amt.example.de/presse/cloud-strategie",
            "title": "Cloud-Strategie beschlossen",
            "kicker": None,
            "teaser": "Das Kabinett hat die Strategie beschlossen.",
            "published_at": "2025-02-01T10:00:00+01:00",
            "type_label": None,
            "image_alt": None,
            "tags": ["Cloud", "IT-Sicherheit"],
            "author": "Pressestelle, Max Muster",
            "body": "Worum es geht\n\nEine Cloud für alle.",
        },
        {
            "url": "https://amt.example.de/presse/aktualisiert",
            "title": "Nur aktualisiert",
            "kicker": None,
            "teaser": None,
            "published_at": "2025-02-02T12:00:00+00:00",
            "type_label": None,
            "image_alt": None,
            "tags": [],
            "author": None,
            "body": "Zeile eins.\n\nZeile zwei.",
        },
    ]


def test_rss1_rdf_in_latin1() -> None:
    listing = parse_feed(RDF, "https://verband.example.de/rss.xml")
    assert _entries(listing) == [
        {
            "url": "https://verband.example.de/node/17",
            "title": "Grüße aus der Verwaltung",
            "kicker": None,
            "teaser": "Ein Teaser in Latin-1: äöü.",
            "published_at": "2024-12-09T14:15:00+01:00",
            "type_label": None,
            "image_alt": None,
            "tags": ["Verwaltungsdigitalisierung"],
            "author": "Erika Mustermann",
            "body": None,
        }
    ]


def test_json_feed_1_1() -> None:
    listing = parse_feed(JSON_FEED_11, "https://pod.example.de/feed.json")
    assert listing.next_url == "https://pod.example.de/feed.json?page=2"
    assert _entries(listing) == [
        {
            "url": "https://pod.example.de/folge-12/",
            "title": "KI im Amt",
            "kicker": "Folge 12",
            "teaser": "Wir sprechen über KI.",
            "published_at": "2025-03-01T06:00:00+01:00",
            "type_label": None,
            "image_alt": None,
            "tags": ["KI", "Verwaltung"],
            "author": "Lea Host, Tim Gast",
            "body": "Erster Teil.\n\nZweiter Teil.",
        },
        {
            "url": "https://pod.example.de/folge-11/",
            "title": "Folge 11",
            "kicker": None,
            "teaser": None,
            "published_at": "2025-02-01T06:00:00+00:00",
            "type_label": None,
            "image_alt": None,
            "tags": [],
            "author": "Das Team",
            "body": "Absatz A.\n\nAbsatz B.",
        },
    ]


def test_json_feed_1_single_author() -> None:
    (entry,) = parse_feed(JSON_FEED_1, "https://alt.example.de/feed.json").entries
    assert (entry.url, entry.title, entry.author, entry.published_at) == (
        "https://alt.example.de/a",
        "A",
        "Einzelautor",
        datetime.fromisoformat("2020-05-04T10:00:00+00:00"),
    )


def test_entries_beyond_the_cap_are_cut_with_a_note() -> None:
    items = b"".join(
        b"<item><title>T%d</title><link>https://e.de/a%d</link></item>" % (n, n) for n in range(5)
    )
    body = b'<?xml version="1.0"?><rss version="2.0"><channel>' + items + b"</channel></rss>"
    listing = parse_feed(body, FEED_URL, max_entries=3)
    assert [e.url for e in listing.entries] == [
        "https://e.de/a0",
        "https://e.de/a1",
        "https://e.de/a2",
    ]
    assert listing.notes == [("too_many_links", "5 entries in the feed; the first 3 were taken")]


@pytest.mark.parametrize(
    ("links", "notes"),
    [
        (["https://e.de/a", "https://e.de/b"], []),
        (
            ["https://e.de/a", "javascript:void(0)", ""],
            [
                (
                    "feed_entry_without_link",
                    "2 of 3 entries in the feed have no http(s) link: not followed",
                )
            ],
        ),
        (
            ["javascript:void(0)", ""],
            [("no_articles_matched", "2 entries in the feed, none with an http(s) link")],
        ),
    ],
)
def test_entries_without_a_link_are_noted(links: list[str], notes: list[tuple[str, str]]) -> None:
    items = "".join(
        f"<item><title>T{n}</title><link>{link}</link></item>" for n, link in enumerate(links)
    )
    body = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'.encode()
    listing = parse_feed(body, FEED_URL)
    assert [e.url for e in listing.entries] == [u for u in links if u.startswith("https:")]
    assert listing.notes == notes


def test_truncated_feed_keeps_whole_entries_with_a_note() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>'
        b"<item><title>A</title><link>https://e.de/a</link><description>ganz</description></item>"
        b"<item><title>B</title><link>https://e.de/b</link><description>mitten im"
    )
    listing = parse_feed(body, FEED_URL)
    assert [(e.url, e.teaser) for e in listing.entries] == [("https://e.de/a", "ganz")]
    assert listing.notes == [
        (
            "bad_feed",
            "not well-formed XML (<unknown>:1:240: no element found): read leniently, "
            "the document ends early: its last entry was left out",
        )
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<rss version="2.0"><channel><item><title>&lol9;</title><link>https://e.de/a</link></item></channel></rss>
"""
XXE = b"""<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><item><title>&xxe;</title><link>https://e.de/a</link></item></channel></rss>
"""


DECLARES = "the document's DTD declares entities: not parsed"
EXTERNAL = "the document's DTD names an external id: not parsed"
HTML_DOCTYPE = "an HTML page, not a feed (<!DOCTYPE html>)"
NOT_JSON_FEED = "JSON that is not a JSON Feed"
JF1 = b'{"version": "https://jsonfeed.org/version/1", "items": '
COOKIE_WALL = (
    b"<!DOCTYPE html>\n<html><head><title>Cookie-Check</title></head>"
    b"<body><p>Bitte aktivieren Sie Cookies.</p></body></html>"
)
XHTML = (
    b'<?xml version="1.0"?>\n<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" '
    b'"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd">'
    b'<html xmlns="http://www.w3.org/1999/xhtml"/>'
)
HOSTILE = [
    ("billion-laughs", BILLION_LAUGHS, "unsafe_xml", DECLARES),
    ("xxe-file", XXE, "unsafe_xml", DECLARES),
    (
        "external-dtd",
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "http://evil.example/x.dtd"><rss/>',
        "unsafe_xml",
        EXTERNAL,
    ),
    (
        "parameter-entity",
        b'<!-- c --><!DOCTYPE rss [ <!ENTITY % p SYSTEM "http://evil/p.dtd"> %p; ]><rss/>',
        "unsafe_xml",
        DECLARES,
    ),
    (
        "utf16-bomb",
        '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "b">]><rss/>'.encode("utf-16"),
        "unsafe_xml",
        DECLARES,
    ),
    ("cookie-wall", COOKIE_WALL, "feed_is_html", HTML_DOCTYPE),
    (
        "error-page",
        b"  <html><body><h1>503 Service Unavailable</h1></body></html>",
        "feed_is_html",
        "an HTML page, not a feed (<html>)",
    ),
    ("xhtml", XHTML, "feed_is_html", HTML_DOCTYPE),
    ("empty", b"", "bad_feed", "empty document"),
    ("bom-and-blanks", b"\xef\xbb\xbf \r\n", "bad_feed", "empty document"),
    ("plain-text", b"Service unavailable", "bad_feed", "no XML element in the document"),
    (
        "other-xml",
        b'<?xml version="1.0"?><sitemapindex><sitemap/></sitemapindex>',
        "bad_feed",
        "not a feed: no RSS, RDF or Atom root element",
    ),
    (
        "json-truncated",
        b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"url": ',
        "bad_feed",
        "malformed JSON Feed: Expecting value: line 1 column 67 (char 66)",
    ),
    (
        "json-version",
        b'{"version": "https://jsonfeed.org/version/2", "items": []}',
        "bad_feed",
        f"{NOT_JSON_FEED} (version 'https://jsonfeed.org/version/2')",
    ),
    ("json-array", b'["not", "a", "feed"]', "bad_feed", f"{NOT_JSON_FEED} (no object)"),
    (
        "json-items-not-list",
        JF1 + b'{"a": 1}}',
        "bad_feed",
        "malformed JSON Feed: no list of items",
    ),
    (
        "json-nesting-bomb",
        JF1 + b"[" * 100_000 + b"]" * 100_000 + b"}",
        "bad_feed",
        "malformed JSON Feed: maximum recursion depth exceeded while decoding a JSON array "
        "from a unicode string",
    ),
]


@pytest.mark.parametrize(
    ("body", "reason", "detail"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE]
)
def test_hostile_documents_are_refused_with_a_reason(body: bytes, reason: str, detail: str) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(body, FEED_URL)
    assert (caught.value.reason, str(caught.value)) == (reason, detail)


def test_unsafe_documents_never_reach_a_parser() -> None:
    # The refusal comes from the pre-scan: the file's contents can never appear anywhere.
    with pytest.raises(FeedError) as caught:
        check_document(XXE)
    assert caught.value.reason == "unsafe_xml"


@pytest.mark.parametrize(
    ("body", "kind"),
    [(RSS2, "xml"), (ATOM, "xml"), (RDF, "xml"), (JSON_FEED_11, "json"), (b"\n\n" + RSS2, "xml")],
    ids=["rss2", "atom", "rdf", "jsonfeed", "leading-blank-lines"],
)
def test_feeds_pass_the_check(body: bytes, kind: str) -> None:
    assert check_document(body) == kind


def test_a_harmless_doctype_passes() -> None:
    body = b'<?xml version="1.0"?><!DOCTYPE rss><rss version="2.0"><channel><item><title>A</title><link>https://e.de/a</link></item></channel></rss>'
    assert [e.url for e in parse_feed(body, FEED_URL).entries] == ["https://e.de/a"]


def test_entities_inside_content_are_not_a_dtd() -> None:
    # A CDATA section holding an HTML page's doctype is content, not the feed's DTD.
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>A</title>'
        b"<link>https://e.de/a</link><description><![CDATA[<!DOCTYPE html><p>x</p>]]></description>"
        b"</item></channel></rss>"
    )
    assert [(e.url, e.teaser) for e in parse_feed(body, FEED_URL).entries] == [
        ("https://e.de/a", "x")
    ]
