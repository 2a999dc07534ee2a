"""The alert e-mail: German plain text and HTML from Jinja2 templates, plus safe headers.

Everything scraped is untrusted: the HTML template autoescapes, links are only ever http(s),
and anything that goes into a header has its CR/LF and other control characters removed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from functools import lru_cache
from typing import Any
from urllib.parse import quote, urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select
from sqlalchemy.engine import Connection

from kn_crawl.alerts import keywords
from kn_crawl.alerts.models import AlertEmail, AlertOutbox, AlertSubscription
from kn_crawl.alerts.schedule import describe
from kn_crawl.alerts.smtp import message_id_for
from kn_crawl.alerts.tokens import make_manage_token, make_token
from kn_crawl.dates import BERLIN
from kn_crawl.db.models import Article, Source, Tag, table_of
from kn_crawl.db.state_models import HealthEvent
from kn_crawl.settings import SmtpSettings

emails_t = table_of(AlertEmail)
outbox_t = table_of(AlertOutbox)
subs_t = table_of(AlertSubscription)
articles_t = table_of(Article)
sources_t = table_of(Source)
tags_t = table_of(Tag)
events_t = table_of(HealthEvent)

MAX_SUBJECT_LABELS = 3
Segments = list[tuple[str, bool]]


# --- pure helpers ---------------------------------------------------------------------------


def header_safe(value: str, limit: int = 200) -> str:
    """One line: CR, LF and every other control character become spaces, runs collapse."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in value)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def safe_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) URL, else None (no ``javascript:``, no ``data:``)."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(unicodedata.category(c) == "Cc" or c.isspace() for c in url):
        return None
    return url


def plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _labels(labels: Sequence[str]) -> str:
    """The most frequent first: ``OZG, Dortmund u. a.``."""
    shown = [label for label, _ in Counter(labels).most_common()]
    text = ", ".join(shown[:MAX_SUBJECT_LABELS])
    return text + (" u. a." if len(shown) > MAX_SUBJECT_LABELS else "")


# --- view model -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReasonView:
    kind: str
    label: str

    @property
    def text(self) -> str:
        if self.kind == "tag":
            return f"Stichwort „{self.label}“"
        if self.kind == "query":
            return f"Suche „{self.label}“"
        if self.kind == "source":
            return f"alle Meldungen von {self.label}"
        return f"neues Stichwort „{self.label}“"


@dataclass(frozen=True, slots=True)
class ItemView:
    kind: str
    """``article`` or ``new_tag`` (then the fields describe the article that introduced it)."""
    reasons: list[ReasonView]
    tag: str | None = None
    title: Segments = field(default_factory=list)
    kicker: Segments = field(default_factory=list)
    teaser: Segments = field(default_factory=list)
    url: str | None = None
    date: str = ""
    source: str = ""
    other_sources: tuple[str, ...] = ()
    """The story's other sources so far (an article of a story is told once, with them)."""

    @property
    def has_article(self) -> bool:
        return bool(self.title)


@dataclass(frozen=True, slots=True)
class EvidenceView:
    check: str
    message: str
    value: float | None
    baseline: float | None
    sample_url: str | None
    """Only an http(s) URL; anything else scraped there is left out."""


@dataclass(frozen=True, slots=True)
class HealthView:
    """A source health event for the operators (``KN_ADMIN_EMAIL``)."""

    event_id: int
    kind: str
    """``degraded``, ``failing``, ``reminder`` or ``recovered``."""
    source: str
    source_title: str
    status: str
    previous_status: str
    evidence: list[EvidenceView]
    run_id: int | None
    when: str
    """Europe/Berlin, ``DD.MM.YYYY HH:MM``."""

    @property
    def headline(self) -> str:
        if self.kind == "recovered":
            return f"Quelle {self.source} ist wieder gesund"
        if self.kind == "reminder":
            return f"Quelle {self.source} ist weiterhin {self.status}"
        return f"Quelle {self.source} ist {self.status}"


@dataclass(frozen=True, slots=True)
class EmailView:
    id: int
    recipient: str
    mode: str
    delivery_key: str
    """Channel-neutral (``outbox.new_delivery_key``); the e-mail's Message-ID derives from it."""
    items: list[ItemView]
    subscriptions: list[tuple[int, str]]
    """(id, German description) of the subscriptions behind the items."""
    health: list[HealthView] = field(default_factory=list)
    """Source health events (mode ``health``); then ``items`` is empty."""
    confirmations: list[tuple[str, str]] = field(default_factory=list)
    """(confirmation link, German description) of subscriptions made in the web UI that wait
    for their address to confirm them (mode ``confirm``); then ``items`` is empty."""

    @property
    def is_empty(self) -> bool:
        """Nothing left to tell (its articles were deleted since): not sent."""
        return not self.items and not self.health and not self.confirmations

    @property
    def articles(self) -> list[ItemView]:
        return [i for i in self.items if i.kind == "article"]

    @property
    def new_tags(self) -> list[ItemView]:
        return [i for i in self.items if i.kind == "new_tag"]

    @property
    def subject(self) -> str:
        if self.confirmations:
            return "kn-crawl: Bitte bestätigen Sie Ihr Abonnement"
        if self.health:
            more = f" (+{len(self.health) - 1})" if len(self.health) > 1 else ""
            return header_safe(f"kn-crawl: {self.health[0].headline}{more}")
        parts = []
        if self.articles:
            labels = [
                r.label for i in self.articles for r in i.reasons if r.kind in ("tag", "query")
            ]
            sources = [i.source for i in self.articles]
            target = f"zu {_labels(labels)}" if labels else f"von {_labels(sources)}"
            parts.append(f"{plural(len(self.articles), 'neue Meldung', 'neue Meldungen')} {target}")
        if len(self.new_tags) == 1:
            parts.append(f"neues Stichwort {self.new_tags[0].tag}")
        elif self.new_tags:
            names = _labels([i.tag or "" for i in self.new_tags])
            parts.append(f"{len(self.new_tags)} neue Stichwörter: {names}")
        subject = " und ".join(parts) or "Benachrichtigung"
        prefix = {"daily": "Tagesübersicht: ", "weekly": "Wochenübersicht: "}.get(self.mode, "")
        return header_safe(prefix + subject[0].upper() + subject[1:])


CONFIRM_TEXT_CHARS = 60
"""How much of a web visitor's query a confirmation e-mail repeats (see ``unlinked``)."""


def unlinked(text: str, limit: int = CONFIRM_TEXT_CHARS) -> str:
    """A stranger's text as a confirmation e-mail may quote it: short, and with nothing a mail
    client would turn into a link (``https://evil.example`` → ``https[:]//evil[.]example``).
    Anyone may type an address into the form: the e-mail must not carry their message."""
    short = text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
    short = short.replace("://", "[:]//").replace("@", "[at]")
    return re.sub(r"(?<=\w)\.(?=\w)", "[.]", short)


def describe_subscription(row: Any, *, shape: Any = str) -> str:
    """German one-liner of what a subscription alerts on; ``shape`` shapes the reader's own
    words (``unlinked`` in a confirmation e-mail)."""
    what = []
    if row.tags:
        what.append("Stichwörter " + shape(", ".join(row.tags)))
    if row.queries:
        what.append("Suche " + shape("; ".join(row.queries)))
    if row.new_tags:
        what.append("neue Stichwörter")
    if row.sources:
        what.append("nur " + ", ".join(row.sources))
    return f"{' · '.join(what)} ({describe(row.mode, row.digest_time, row.digest_weekday)})"


def load_email(conn: Connection, email_id: int) -> EmailView | None:
    """The e-mail with its items, or None when it does not exist."""
    email = conn.execute(select(emails_t).where(emails_t.c.id == email_id)).first()
    if email is None:
        return None
    entries = conn.execute(
        select(outbox_t).where(outbox_t.c.email_id == email_id).order_by(outbox_t.c.id)
    ).all()
    tag_names = dict(
        conn.execute(
            select(tags_t.c.id, tags_t.c.name).where(
                tags_t.c.id.in_([e.tag_id for e in entries if e.tag_id])
            )
        ).all()
    )
    first_articles = dict(
        conn.execute(
            select(tags_t.c.id, tags_t.c.first_article_id).where(
                tags_t.c.id.in_([e.tag_id for e in entries if e.tag_id])
            )
        ).all()
    )
    article_ids = {e.article_id for e in entries if e.article_id} | {
        a for a in first_articles.values() if a
    }
    articles = {
        r.id: r
        for r in conn.execute(
            select(articles_t, sources_t.c.title.label("source_title"))
            .join(sources_t, sources_t.c.id == articles_t.c.source_id)
            .where(articles_t.c.id.in_(article_ids))
        ).all()
    }
    story_sources = _story_sources(conn, [e.article_id for e in entries if e.kind == "article"])
    items: list[ItemView] = []
    published: list[datetime] = []
    sub_ids: set[int] = set()
    health = _health_views(conn, [e.item_key for e in entries if e.kind == "health"])
    confirmations = _confirmations(conn, [e for e in entries if e.kind == "confirm"])
    for entry in entries:
        if entry.kind in ("health", "confirm"):
            continue
        reasons = [ReasonView(str(r["kind"]), str(r["label"])) for r in entry.reasons]
        terms = [str(t) for r in entry.reasons for t in r.get("terms", ())]
        sub_ids |= {int(r["subscription"]) for r in entry.reasons if r.get("subscription")}
        if entry.kind == "new_tag":
            tag = tag_names.get(entry.tag_id, "")
            article = articles.get(first_articles.get(entry.tag_id) or -1)
        else:
            tag = None
            article = articles.get(entry.article_id or -1)
            if article is None:
                continue  # deleted since it was queued
        item = _item(entry.kind, reasons, tag, article, terms)
        if article is not None and entry.kind == "article" and article.story_id is not None:
            others = [n for n in story_sources.get(article.story_id, ()) if n != item.source]
            item = replace(item, other_sources=tuple(others))
        items.append(item)
        published.append(article.published_at if article is not None else email.created_at)
    # Newest first, as on the sites.
    order = sorted(range(len(items)), key=lambda i: published[i], reverse=True)
    items = [items[i] for i in order]
    subs = conn.execute(select(subs_t).where(subs_t.c.id.in_(sub_ids)).order_by(subs_t.c.id))
    return EmailView(
        id=email.id,
        recipient=email.recipient,
        mode=email.mode,
        delivery_key=email.message_id,
        items=items,
        subscriptions=[(s.id, describe_subscription(s)) for s in subs],
        health=health,
        confirmations=confirmations,
    )


def _confirmations(conn: Connection, entries: list[Any]) -> list[tuple[str, str]]:
    """Links of subscriptions still waiting for confirmation (one ended or confirmed since
    the e-mail was queued needs none)."""
    ids = [e.subscription_id for e in entries if e.subscription_id]
    waiting = {
        s.id: s
        for s in conn.execute(
            select(subs_t).where(
                subs_t.c.id.in_(ids), subs_t.c.active.is_(True), subs_t.c.confirmed_at.is_(None)
            )
        )
    }
    links = []
    for entry in entries:
        row = waiting.get(entry.subscription_id)
        url = safe_url(str(entry.reasons[0].get("url"))) if entry.reasons else None
        if row is not None and url:
            links.append((url, describe_subscription(row, shape=unlinked)))
    return links


def _story_sources(conn: Connection, article_ids: list[int | None]) -> dict[int, list[str]]:
    """Story id -> titles of the sources that covered it so far, in the order they did."""
    ids = [a for a in article_ids if a is not None]
    if not ids:
        return {}
    story_ids = select(articles_t.c.story_id).where(
        articles_t.c.id.in_(ids), articles_t.c.story_id.is_not(None)
    )
    rows = conn.execute(
        select(articles_t.c.story_id, sources_t.c.title)
        .join(sources_t, sources_t.c.id == articles_t.c.source_id)
        .where(articles_t.c.story_id.in_(story_ids))
        .order_by(articles_t.c.story_id, articles_t.c.published_at, articles_t.c.id)
    ).all()
    found: dict[int, list[str]] = {}
    for story_id, title in rows:
        names = found.setdefault(int(story_id), [])
        if title not in names:
            names.append(title)
    return found


def _health_views(conn: Connection, item_keys: list[str]) -> list[HealthView]:
    # Imported here: health_notices imports matching, which is heavier than rendering needs.
    from kn_crawl.alerts.health_notices import event_id_of

    ids = [i for i in (event_id_of(k) for k in item_keys) if i is not None]
    if not ids:
        return []
    rows = conn.execute(
        select(
            events_t,
            sources_t.c.name.label("source_name"),
            sources_t.c.title.label("source_title"),
        )
        .join(sources_t, sources_t.c.id == events_t.c.source_id)
        .where(events_t.c.id.in_(ids))
        .order_by(events_t.c.id)
    ).all()
    return [
        HealthView(
            event_id=row.id,
            kind=row.kind,
            # Source names are ours, but a header value is a single line whatever happens.
            source=header_safe(row.source_name),
            source_title=row.source_title,
            status=row.status,
            previous_status=row.previous_status,
            evidence=[_evidence_view(e) for e in row.evidence or []],
            run_id=row.run_id,
            when=row.created_at.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M"),
        )
        for row in rows
    ]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _evidence_view(data: dict[str, object]) -> EvidenceView:
    """Evidence as stored by ``kn_crawl.health``; the sample URL and parts of a message come
    from the crawled site, so the message is made one line and the URL kept only if http(s)."""
    sample = data.get("sample_url")
    return EvidenceView(
        check=header_safe(str(data.get("check") or ""), limit=40),
        message=header_safe(str(data.get("message") or ""), limit=1000),
        value=_number(data.get("value")),
        baseline=_number(data.get("baseline")),
        sample_url=safe_url(sample if isinstance(sample, str) else None),
    )


def _item(
    kind: str, reasons: list[ReasonView], tag: str | None, article: Any, terms: list[str]
) -> ItemView:
    if article is None:
        return ItemView(kind, reasons, tag)
    return ItemView(
        kind,
        reasons,
        tag,
        title=keywords.highlight_terms(article.title, terms),
        kicker=keywords.highlight_terms(article.kicker, terms) if article.kicker else [],
        teaser=keywords.highlight_terms(article.teaser, terms) if article.teaser else [],
        url=safe_url(article.url),
        date=article.published_at.astimezone(BERLIN).strftime("%d.%m.%Y"),
        source=article.source_title,
    )


# --- the message ----------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("kn_crawl.alerts", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html",), default=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def unsubscribe_link(
    smtp: SmtpSettings, token: str, public_url: str | None = None
) -> tuple[str, str | None]:
    """(List-Unsubscribe value, one-click URL or None). ``KN_UNSUBSCRIBE_URL`` wins; else the
    web UI's own one-click endpoint under its public URL (``KN_PUBLIC_URL``)."""
    base = smtp.unsubscribe_url or (f"{public_url}abbestellen" if public_url else None)
    if base:
        separator = "&" if "?" in base else "?"
        url = f"{base}{separator}token={quote(token)}"
        return f"<{url}>", url
    mailbox = parseaddr(smtp.from_address)[1]
    return f"<mailto:{mailbox}?subject={quote('unsubscribe ' + token)}>", None


def build_message(
    view: EmailView,
    *,
    smtp: SmtpSettings,
    secret: bytes,
    now: datetime,
    public_url: str | None = None,
) -> EmailMessage:
    """``public_url``: the web UI's (``KN_PUBLIC_URL``), for the manage and one-click links."""
    if view.confirmations:
        return _confirm_message(view, smtp=smtp, now=now)
    if view.health:
        return _health_message(view, smtp=smtp, now=now)
    token = make_token(secret, [sid for sid, _ in view.subscriptions], view.recipient)
    list_unsubscribe, one_click = unsubscribe_link(smtp, token, public_url)
    manage = (
        f"{public_url}benachrichtigungen?token={make_manage_token(secret, view.recipient)}"
        if public_url
        else None
    )
    context = {
        "email": view,
        "token": token,
        "one_click": one_click,
        "manage": manage,
        "from_mailbox": parseaddr(smtp.from_address)[1],
        "heading": view.subject,
    }
    env = _environment()
    text = env.get_template("alert.txt").render(context)
    html = env.get_template("alert.html").render(context)

    msg = _headers(view, smtp=smtp, now=now)
    msg["List-Unsubscribe"] = header_safe(list_unsubscribe, limit=2000)
    if one_click:
        # RFC 8058: the URL alone unsubscribes, on a POST with this body.
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def _confirm_message(view: EmailView, *, smtp: SmtpSettings, now: datetime) -> EmailMessage:
    """Double opt-in: the link confirms. No List-Unsubscribe: nothing is subscribed yet, and
    without the click nothing ever will be."""
    context = {"email": view, "heading": view.subject}
    env = _environment()
    msg = _headers(view, smtp=smtp, now=now)
    msg.set_content(env.get_template("confirm.txt").render(context))
    msg.add_alternative(env.get_template("confirm.html").render(context), subtype="html")
    return msg


def channel_text(view: EmailView) -> tuple[str, str]:
    """(title, plain-text body) of a message for a chat or webhook channel: the e-mail's
    content (title, source, date, why it matched, link; the operators' health notices),
    German. No unsubscribe token: a chat room or topic is read by many, and any reader could
    end the channel with it. Channel subscriptions are the operator's; the footer says so and
    names the subscription's number (``kn-crawl unsubscribe ID``)."""
    body = _environment().get_template("channel.txt").render(email=view)
    return view.subject, body.strip() + "\n"


def _health_message(view: EmailView, *, smtp: SmtpSettings, now: datetime) -> EmailMessage:
    """The operators' e-mail: no subscription behind it, so no token and no List-Unsubscribe
    (the address is removed from ``KN_ADMIN_EMAIL`` instead)."""
    context = {"email": view, "heading": view.subject}
    env = _environment()
    text = env.get_template("health.txt").render(context)
    html = env.get_template("health.html").render(context)
    msg = _headers(view, smtp=smtp, now=now)
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg


def _headers(view: EmailView, *, smtp: SmtpSettings, now: datetime) -> EmailMessage:
    msg = EmailMessage(policy=SMTP)
    name, mailbox = parseaddr(smtp.from_address)
    local, _, domain = mailbox.rpartition("@")
    msg["From"] = Address(header_safe(name), local, domain)
    to_local, _, to_domain = view.recipient.rpartition("@")
    msg["To"] = Address(addr_spec=f"{to_local}@{to_domain}")
    msg["Subject"] = view.subject
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = header_safe(message_id_for(view.delivery_key, message_domain(smtp)))
    msg["Auto-Submitted"] = "auto-generated"
    return msg


def message_domain(smtp: SmtpSettings) -> str:
    """Right-hand side of Message-IDs: the sender's domain."""
    return re.sub(r"[^A-Za-z0-9.-]", "", parseaddr(smtp.from_address)[1].rpartition("@")[2]) or (
        "kn-crawl.invalid"
    )
