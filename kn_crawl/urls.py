"""URL helpers: canonical form for dedupe, scope checks, mirror rebasing.

Pure functions on strings. Non-http(s) or unparsable input never raises: the
predicates return False and the transformers return the (stripped) input, so a
bad ``href`` on a page cannot abort the page. Check ``is_http_url`` first when
the difference matters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from urllib.parse import SplitResult, unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonicalize_url

__all__ = [
    "TRACKING_PARAMS",
    "TRACKING_PREFIXES",
    "canonicalize_url",
    "is_http_url",
    "rebase_url",
    "same_site",
]

_HTTP_SCHEMES = frozenset({"http", "https"})
_WHITESPACE = re.compile(r"\s")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Query parameters that identify a campaign or a click, never the content.
# Compared case-insensitively. Matomo (pk_*, mtm_*) is common on German public
# sector sites; AT Internet (at_*, xtor) and Webtrekk (wt_*) on German publishers.
# Only names known to be tracking are listed, not whole prefixes like "pk_" that
# a CMS might use for a primary key.
# fmt: off
TRACKING_PARAMS: frozenset[str] = frozenset(
    {
        # Google / Microsoft / Meta / others: click ids
        "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "fbclid", "igshid",
        "yclid", "twclid", "ttclid", "li_fat_id", "s_kwcid", "ef_id", "_ga", "_gl",
        # Mailchimp, HubSpot, Marketo, Vero, Olytics
        "mc_cid", "mc_eid", "_hsenc", "_hsmi", "__hstc", "__hssc", "__hsfp",
        "hsctatracking", "mkt_tok", "vero_id", "vero_conv", "oly_enc_id", "oly_anon_id",
        # Webtrekk / Mapp, AT Internet, Adobe
        "wt_mc", "wt_zmc", "wt_cc1", "wt_cc2", "xtor", "at_medium", "at_campaign",
        "at_platform", "at_creation", "at_variant", "at_send_date", "at_recipient_id",
        "at_recipient_list", "at_emailtype", "at_link", "at_type", "at_format",
        "at_general_placement", "at_detail_placement", "at_ptr_name", "at_custom1",
        "at_custom2", "at_custom3", "at_custom4", "sc_cid", "cmpid",
        # Matomo / Piwik
        "pk_campaign", "pk_kwd", "pk_keyword", "pk_source", "pk_medium", "pk_content",
        "pk_cid", "piwik_campaign", "piwik_kwd", "matomo_campaign", "matomo_kwd",
    }
)
# fmt: on
# Whole families: every utm_* and mtm_* parameter is campaign tagging.
TRACKING_PREFIXES: tuple[str, ...] = ("utm_", "mtm_")


def _is_tracking(name: str) -> bool:
    key = unquote_plus(name).strip().lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _split_http(url: str) -> SplitResult | None:
    """urlsplit for absolute http(s) URLs with a host and a valid port, else None."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port ("x:99999", "x:ab")
    except ValueError:
        return None
    if parts.scheme.lower() not in _HTTP_SCHEMES or not parts.hostname:
        return None
    if _WHITESPACE.search(parts.netloc):
        return None
    return parts


def _netloc(parts: SplitResult, scheme: str) -> str:
    """Lowercased host without a trailing dot, default port dropped, userinfo kept."""
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:  # IPv6 literal: urlsplit removed the brackets
        host = f"[{host}]"
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{port}"
    userinfo, at, _ = parts.netloc.rpartition("@")
    return f"{userinfo}@{host}" if at else host


# A crawl canonicalises the same URLs over and over (every link of every page is checked
# against the known articles); w3lib's canonicalisation costs ~30 µs a call.
@lru_cache(maxsize=65_536)
def canonicalize_url(url: str) -> str:
    """Canonical form of an http(s) URL, for dedupe keys. Idempotent.

    Lowercased scheme and host, default port and fragment dropped, tracking
    parameters (``TRACKING_PARAMS``, ``TRACKING_PREFIXES``) removed, remaining query
    parameters sorted, percent-encoding normalised (w3lib; IDN hosts to punycode).
    The path is kept as is, trailing slash included, except that an empty path
    becomes ``/`` (the same resource). Non-http(s)/unparsable input comes back
    stripped but otherwise unchanged.
    """
    parts = _split_http(url)
    if parts is None:
        return url.strip()
    scheme = parts.scheme.lower()
    query = "&".join(
        pair for pair in parts.query.split("&") if pair and not _is_tracking(pair.split("=")[0])
    )
    rebuilt = urlunsplit((scheme, _netloc(parts, scheme), parts.path, query, ""))
    return _w3lib_canonicalize_url(rebuilt)


def is_http_url(url: str | None) -> bool:
    """True for an absolute http(s) URL with a host (surrounding whitespace allowed)."""
    return url is not None and _split_http(url) is not None


def _site_key(url: str) -> tuple[str, int | None] | None:
    parts = _split_http(url)
    if parts is None:
        return None
    host = (parts.hostname or "").rstrip(".")
    host = host.removeprefix("www.")
    port = parts.port
    if port == _DEFAULT_PORTS[parts.scheme.lower()]:
        port = None
    return host, port


def same_site(url: str, base_url: str) -> bool:
    """True if ``url`` is on the site of ``base_url``.

    Same host and port; the scheme is ignored (sites redirect http -> https) and
    so is one leading ``www.`` (``kommune21.de`` and ``www.kommune21.de`` are one
    site, both forms are linked in the wild). Other subdomains are different
    sites. A default port equals no port; any other port must match, so mirrors on
    ``http://127.0.0.1:8123/`` and ``:8124`` are different sites. Relative or
    non-http(s) URLs are never on the site: join them with the page URL first.
    """
    key = _site_key(url)
    return key is not None and key == _site_key(base_url)


def rebase_url(url: str, from_base: str, to_base: str) -> str:
    """Move ``url`` from the origin of ``from_base`` to the origin of ``to_base``.

    Maps real-site URLs onto a mirror and back:
    ``rebase_url("https://www.kommune21.de/k21-meldungen/x/", "https://www.kommune21.de/",
    "http://127.0.0.1:8123/")`` -> ``"http://127.0.0.1:8123/k21-meldungen/x/"``.
    Path, query and fragment are kept. ``url`` must be on the ``from_base`` site
    (``same_site``: scheme and ``www.`` do not matter); anything else (external,
    relative, non-http) is returned unchanged. If the bases have paths, the
    ``from_base`` path prefix is swapped for the ``to_base`` one, and a URL outside
    the prefix is returned unchanged; for bare origins this is a no-op.
    """
    if not same_site(url, from_base):
        return url
    to_parts = _split_http(to_base)
    from_parts = _split_http(from_base)
    parts = _split_http(url)
    if to_parts is None or from_parts is None or parts is None:
        return url
    path = parts.path or "/"
    from_prefix = from_parts.path or "/"
    to_prefix = to_parts.path or "/"
    if not from_prefix.endswith("/"):
        from_prefix += "/"
    if not to_prefix.endswith("/"):
        to_prefix += "/"
    if not (path + "/").startswith(from_prefix):
        return url
    if len(path) < len(from_prefix):  # the prefix itself without its slash: "/k21"
        new_path = to_prefix.rstrip("/") or "/"
    else:
        new_path = to_prefix + path[len(from_prefix) :]
    return urlunsplit((to_parts.scheme, to_parts.netloc, new_path, parts.query, parts.fragment))
