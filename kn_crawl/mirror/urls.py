"""URL shapes of the K21 sites: slugs, old ``meldung_N`` forms, paging paths."""

from __future__ import annotations

import re
from urllib.parse import quote

from kn_crawl.mirror.model import Article, LinkForm

_TRANSLIT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "é": "e", "ı": "i"})
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
# /meldung_33697, /meldung_39436_gn, /meldung_28242_Ratsinformationssystem+ist+sicher.html,
# /meldung_44452_KI+f%C3%BCr+flotteren+Busverkehr.pdf - the number is the id, the rest decoration.
OLD_PATH = re.compile(r"^/meldung_(\d+)(?:(_gn)|_[^/]+\.(?:html|pdf))?$")


def slugify(text: str) -> str:
    """WordPress-like slug with German transliteration (``Potenziale früh erkannt`` ->
    ``potenziale-frueh-erkannt``)."""
    text = text.replace("\u00ad", "").lower().translate(_TRANSLIT)
    return _NON_ALNUM.sub("-", text).strip("-")


def article_path(slug: str) -> str:
    return f"/k21-meldungen/{slug}/"


def old_title_part(title: str) -> str:
    """Title words joined with ``+``, UTF-8 percent-encoded, as the pre-2025 CMS wrote them."""
    words = re.sub(r"[^\w\s-]", "", title.replace("\u00ad", "")).split()
    return "+".join(quote(w, safe="-") for w in words)


def link_path(article: Article, form: LinkForm) -> str:
    n = article.id
    match form:
        case LinkForm.NEW:
            return article_path(article.slug)
        case LinkForm.PLAIN:
            return f"/meldung_{n}"
        case LinkForm.GN:
            return f"/meldung_{n}_gn"
        case LinkForm.HTML:
            return f"/meldung_{n}_{old_title_part(article.title)}.html"
        case LinkForm.PDF:
            return f"/meldung_{n}_{old_title_part(article.title)}.pdf"


def paged(prefix: str, page: int) -> str:
    """``/k21-meldungen/`` for page 1, ``/k21-meldungen/page/3/`` after."""
    return prefix if page == 1 else f"{prefix}page/{page}/"
