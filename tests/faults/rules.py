"""The wrong answers of the fault matrix, as proxy rules (see ``proxy``), and the page
rewrites they use. Rewrites are pure functions of a page's text; rules pick the requests."""

from __future__ import annotations

import gzip
import re
from collections.abc import Callable
from functools import lru_cache

from tests.faults.proxy import Ask, Reply, Rule

HTML = "text/html; charset=utf-8"

# -- which requests --------------------------------------------------------------------------


def _matches(path: str | Callable[[str], bool]) -> Callable[[str], bool]:
    if callable(path):
        return path
    return lambda asked: asked == path


def answer(path: str | Callable[[str], bool], reply: Callable[[Ask], Reply]) -> Rule:
    """Answer requests of ``path`` (exact, or a predicate) with ``reply``."""
    wanted = _matches(path)
    return lambda ask: reply(ask) if wanted(ask.path) else None


def status(
    path: str | Callable[[str], bool],
    code: int,
    *,
    headers: tuple[tuple[str, str], ...] = (),
    body: bytes = b"",
    first: int | None = None,
) -> Rule:
    """HTTP ``code`` for ``path`` (only for its ``first`` n requests when given)."""
    wanted = _matches(path)

    def rule(ask: Ask) -> Reply | None:
        if not wanted(ask.path) or (first is not None and ask.nth > first):
            return None
        return Reply(code, [("Content-Type", HTML), *headers], body)

    return rule


def redirect(path: str, location: str, code: int = 302) -> Rule:
    """A redirect to ``location``; the proxy only says it, it never goes there."""
    body = f'<a href="{location}">Found</a>'.encode()
    return answer(
        path, lambda ask: Reply(code, [("Location", location), ("Content-Type", HTML)], body)
    )


def rewrite(path: str | Callable[[str], bool], change: Callable[[str], str]) -> Rule:
    """The mirror's page for ``path`` with its text changed by ``change`` (UTF-8 both ways)."""

    def reply(ask: Ask) -> Reply:
        original = ask.upstream()
        if original.status != 200:
            return original
        return original.with_body(change(original.body.decode("utf-8")).encode("utf-8"))

    return answer(path, reply)


def reencode(path: str, content_type: str, encoding: str) -> Rule:
    """The mirror's page for ``path`` with other bytes and another label."""

    def reply(ask: Ask) -> Reply:
        original = ask.upstream()
        text = original.body.decode("utf-8")
        return original.with_body(text.encode(encoding), content_type)

    return answer(path, reply)


def cut(path: str) -> Rule:
    """Headers and half the body, then the connection drops."""

    def reply(ask: Ask) -> Reply:
        original = ask.upstream()
        return Reply(
            original.status, original.headers, original.body, cut_after=len(original.body) // 2
        )

    return answer(path, reply)


def stall(path: str, seconds: float) -> Rule:
    """No answer for ``seconds`` (longer than the crawler's timeout)."""
    return answer(path, lambda ask: Reply(200, [("Content-Type", HTML)], b"", stall=seconds))


def mostly_unavailable(every: int = 10) -> Rule:
    """503 (no Retry-After) on all requests but every ``every``-th; robots.txt is answered."""

    def rule(ask: Ask) -> Reply | None:
        if ask.path == "/robots.txt" or ask.total % every == 0:
            return None
        return Reply(503, [("Content-Type", HTML)], b"<h1>503 Service Unavailable</h1>")

    return rule


def gzip_bomb(path: str, megabytes: int = 64) -> Rule:
    """A small gzip body (``Content-Encoding: gzip``) that inflates to ``megabytes`` MB."""
    return answer(
        path,
        lambda ask: Reply(
            200, [("Content-Type", HTML), ("Content-Encoding", "gzip")], _bomb(megabytes)
        ),
    )


@lru_cache(maxsize=4)
def _bomb(megabytes: int) -> bytes:
    return gzip.compress(b"<p>" + b" " * (megabytes * 1024 * 1024) + b"</p>", compresslevel=9)


def body(path: str, data: bytes, content_type: str = HTML) -> Rule:
    """A fixed 200 answer."""
    return answer(path, lambda ask: Reply(200, [("Content-Type", content_type)], data))


# -- page rewrites (pure) --------------------------------------------------------------------


def in_head(snippet: str) -> Callable[[str], str]:
    """Insert ``snippet`` right after ``<head>``."""
    return lambda html: html.replace("<head>", "<head>\n" + snippet, 1)


def after_body(snippet: str) -> Callable[[str], str]:
    """Insert ``snippet`` right after the opening ``<body …>`` tag."""
    return lambda html: re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + snippet, html, count=1)


def link_rel(rel: str, href: str) -> Callable[[str], str]:
    """Replace the page's ``<link rel=REL>`` (or add one) with ``href``."""

    def change(html: str) -> str:
        tag = f'<link rel="{rel}" href="{href}">'
        replaced, n = re.subn(rf'<link rel="{rel}" href="[^"]*">', lambda m: tag, html)
        return replaced if n else in_head(tag)(html)

    return change


def canonical(href: str) -> Callable[[str], str]:
    """Point canonical and og:url at ``href`` (where the page says it lives)."""

    def change(html: str) -> str:
        html = link_rel("canonical", href)(html)
        return re.sub(
            r'<meta property="og:url" content="[^"]*">',
            lambda m: f'<meta property="og:url" content="{href}">',
            html,
        )

    return change


def title(new: str) -> Callable[[str], str]:
    """Another headline everywhere the page states one."""

    def change(html: str) -> str:
        html = re.sub(
            r"(<h1[^>]*>)[^<]*(</h1>)", lambda m: m.group(1) + new + m.group(2), html, count=1
        )
        html = re.sub(
            r'(<meta property="og:title" content=")[^"]*(")',
            lambda m: m.group(1) + new.replace('"', "&quot;") + m.group(2),
            html,
        )
        return re.sub(
            r'("headline":)"(?:[^"\\]|\\.)*"',
            lambda m: m.group(1) + '"' + new.replace('"', '\\"') + '"',
            html,
        )

    return change


def section(new: str) -> Callable[[str], str]:
    """Another section name in the JSON-LD ``articleSection`` and the "aus dem Bereich" line."""

    def change(html: str) -> str:
        html = re.sub(r'("articleSection":)"[^"]*"', lambda m: f'{m.group(1)}"{new}"', html)
        return re.sub(
            r"(aus dem Bereich: <a [^>]*>)[^<]*(</a>)",
            lambda m: m.group(1) + new + m.group(2),
            html,
        )

    return change


def extra_tag(tag: str) -> Callable[[str], str]:
    """One more Stichwort, in the visible list and the JSON-LD keywords."""

    def change(html: str) -> str:
        html = re.sub(r'("keywords":"[^"]*)"', lambda m: f'{m.group(1)}, {tag}"', html)
        return re.sub(
            r"(Stichw\u00f6rter:</span>[^<]*)</div>",
            lambda m: f"{m.group(1)}, {tag}</div>",
            html,
        )

    return change


def year(old: str, new: str) -> Callable[[str], str]:
    """Every date of the page moved from year ``old`` to ``new`` (ISO and German forms)."""

    def change(html: str) -> str:
        html = re.sub(
            rf"\b{old}-(\d\d)-(\d\d)T", lambda m: f"{new}-{m.group(1)}-{m.group(2)}T", html
        )
        return re.sub(
            rf"\[(\d\d)\.(\d\d)\.{old}\]", lambda m: f"[{m.group(1)}.{m.group(2)}.{new}]", html
        )

    return change


def shortlink(post_id: int, base_url: str) -> Callable[[str], str]:
    """The WordPress shortlink ``?p=N``: the site's own id of the article."""
    return in_head(f'<link rel="shortlink" href="{base_url}?p={post_id}">')


def meta_refresh(url: str) -> Callable[[str], str]:
    """A page that sends the reader elsewhere at once."""
    return lambda html: (
        '<!doctype html><html lang="de"><head><meta charset="utf-8">'
        f'<meta http-equiv="refresh" content="0; url={url}"><title>Weiterleitung</title>'
        f'</head><body><p>Weiter zu <a href="{url}">{url}</a></p></body></html>'
    )


def truncate(fraction: float) -> Callable[[str], str]:
    """The first part of the page only: unclosed tags, no footer (broken HTML)."""
    return lambda html: html[: int(len(html) * fraction)]


def compose(*changes: Callable[[str], str]) -> Callable[[str], str]:
    def change(html: str) -> str:
        for one in changes:
            html = one(html)
        return html

    return change


def many_links(n: int, prefix: str) -> str:
    """``n`` distinct article-like links (relative, short: ~30 bytes each)."""
    return "".join(f'<a href="{prefix}x{i}/">.</a>' for i in range(n))


XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
<!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
<!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
<!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
<!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<rss version="2.0"><channel><title>&g;</title><item><title>&g;</title>
<link>/k21-meldungen/bombe/</link></item></channel></rss>
"""
