"""The checks of a catalogue entry's values: pure functions that return the value (normalised)
or raise ``BadValue`` with what is wrong; the loader adds the file, line and key."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urljoin, urlsplit

import regex

from kn_crawl.extract.patterns import compile_pattern
from kn_crawl.settings import ConfigError, is_http_url

MAX_NAME = 64  # sources.name, sources.family
MAX_TITLE = 200  # sources.title
MAX_URL = 500  # sources.base_url
LANGUAGE_RE = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")


class BadValue(Exception):
    """A value's problem, without its place (added by the caller)."""


def text_value(value: Any, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise BadValue(f"must be a string, not {_kind(value)}")
    if not value.strip():
        raise BadValue("must not be empty")
    if any(c in value for c in "\r\n\0"):
        raise BadValue("must be a single line")
    if limit is not None and len(value) > limit:
        raise BadValue(f"is longer than {limit} characters")
    return value.strip()


def _kind(value: Any) -> str:
    return {
        bool: "a boolean",
        int: "a number",
        float: "a number",
        list: "a list",
        dict: "a table",
        str: "a string",
    }.get(type(value), type(value).__name__)


def bool_value(value: Any) -> bool:
    if not isinstance(value, bool):
        raise BadValue(f"must be true or false, not {_kind(value)}")
    return value


def normalise_base_url(value: Any) -> str:
    """An absolute http(s) URL of a site's home, ending in ``/`` (``https://x.de`` →
    ``https://x.de/``); query, fragment and login are refused. The one check of a base URL:
    the catalogue's ``base_url``, ``KN_BASE_URL_<NAME>`` and ``--base-url`` all use it."""
    if not isinstance(value, str):
        raise BadValue(f"must be an http(s) URL, not {_kind(value)}")
    value = value.strip()
    if not is_http_url(value):
        raise BadValue(f"{value!r} is not an absolute http(s) URL")
    parts = urlsplit(value)
    if parts.username is not None or parts.password is not None:
        # Never echoed: the login may hold a password, and base_url is stored in crawl_runs.
        host = parts.netloc.rpartition("@")[2]
        raise BadValue(f"the URL of {host} must not have a login (user:password@)")
    if parts.query or parts.fragment:
        raise BadValue(f"{value!r} must not have a query or fragment")
    path = parts.path or "/"
    if not path.endswith("/"):
        path += "/"
    url = f"{parts.scheme}://{parts.netloc}{path}"
    if len(url) > MAX_URL:
        raise BadValue(f"is longer than {MAX_URL} characters")
    return url


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme, parts.netloc.lower()


def resolve_url(value: Any, base_url: str) -> str:
    """A feed or listing URL, resolved against ``base_url``: it must stay on the source's
    origin and under its base URL (``KN_BASE_URL_<NAME>`` moves exactly those URLs)."""
    text = text_value(value)
    url = urljoin(base_url, text)
    if not is_http_url(url):
        raise BadValue(f"{text!r} is not an http(s) URL")
    if _origin(url) != _origin(base_url):
        raise BadValue(f"{url!r} is on another origin than base_url {base_url!r}")
    if not url.startswith(base_url):
        raise BadValue(f"{url!r} is not under base_url {base_url!r}")
    return url


def url_list(value: Any, base_url: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise BadValue(f"must be a list of URLs, not {_kind(value)}")
    return tuple(dict.fromkeys(resolve_url(v, base_url) for v in value))


def check_regex(value: Any) -> str:
    text = text_value(value)
    try:
        compile_pattern(text)  # the crawl's own syntax (kn_crawl.extract.patterns)
    except regex.error as exc:
        raise BadValue(f"{text!r} is not a regular expression: {exc}") from None
    return text


def is_xpath(expression: str) -> bool:
    """XPath when it starts with ``/``, ``(`` or ``xpath:``, else CSS (``Selectors``)."""
    return expression.startswith(("/", "(", "xpath:"))


def check_selector(value: Any) -> str:
    """A CSS selector (parsel's dialect: ``::text``, ``::attr(x)``) or an XPath expression,
    compiled as parsel would."""
    from cssselect import SelectorError
    from lxml import etree
    from parsel.csstranslator import css2xpath

    text = text_value(value)
    if is_xpath(text):
        expression = text.removeprefix("xpath:").strip()
        try:
            etree.XPath(expression)
        except etree.XPathError as exc:
            raise BadValue(f"{text!r} is not an XPath expression: {exc}") from None
        return text
    try:
        css2xpath(text)
    except SelectorError as exc:
        raise BadValue(f"{text!r} is not a CSS selector: {exc}") from None
    return text


def check_next_page(value: Any, base_url: str) -> str:
    """A URL template with ``{n}`` (``?page={n}``, ``page/{n}/``), or a selector of the
    next-page link."""
    text = text_value(value)
    if "{n}" in text:
        resolve_url(text.replace("{n}", "2"), base_url)
        return text
    if "{" in text and "}" in text and not is_xpath(text):
        raise BadValue(f"{text!r}: a page-number template takes {{n}} (e.g. ?page={{n}})")
    return check_selector(text)


def check_schedule(value: Any) -> str:
    from kn_crawl.scheduler.config import parse_schedule

    text = text_value(value)
    try:
        parse_schedule(text, what="schedule")
    except ConfigError as exc:
        raise BadValue(str(exc).removeprefix("schedule: ")) from None
    return text


def check_language(value: Any) -> str:
    text = text_value(value)
    if not LANGUAGE_RE.fullmatch(text):
        raise BadValue(f"{text!r} is not a language tag (de, en, de-CH)")
    return text
