"""HTML pages: search, article, Stichwort, new and rising Stichwörter, sources."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from sqlalchemy.engine import Connection

from kn_crawl.dates import BERLIN, parse_date
from kn_crawl.queries import source_rows
from kn_crawl.query import Query, QueryError, parse_query
from kn_crawl.search import facets, search
from kn_crawl.search.articles import article_detail
from kn_crawl.search.insights import (
    Window,
    find_tag,
    first_published,
    new_tags,
    period_counts,
    rising_in,
    trend_window,
)
from kn_crawl.search.results import RANK_WINDOW, Hit
from kn_crawl.search.sources import source_health
from kn_crawl.search.stories import StoryOf
from kn_crawl.tags import tag_key
from kn_crawl.web.app import connection
from kn_crawl.web.charts import MAX_TAGS, UNITS, VALUES, tag_chart
from kn_crawl.web.params import (
    PAGE_SIZE,
    choice_arg,
    int_arg,
    order,
    page_number,
    parsed_query,
    query_text,
)
from kn_crawl.web.querysources import unknown_source
from kn_crawl.web.start import start_page
from kn_crawl.web.stories import folded_hits

bp = Blueprint("views", __name__)
# Facets of a broader result list count its newest matches only (bounded page time); the
# same number bounds the matches that relevance ranks first.
FACET_SAMPLE = RANK_WINDOW
# Default periods of the Stichwort lists, counted back from the newest article.
RISING_DAYS = 30
NEW_DAYS = 90


def refine(q: str, addition: str) -> str:
    """The query with one more filter, for facet links."""
    return f"{q} {addition}".strip()


def quoted(value: str) -> str:
    return f'"{value}"' if any(c.isspace() for c in value) else value


def tag_query(name: str, key: str) -> Query:
    """The query for one Stichwort: by its name as readers know it, or by its key when the
    name is no valid query (a scraped ``Smart "City"`` made the Stichwort page a 500)."""
    try:
        return parse_query(f"tag:{quoted(name)}")
    except QueryError:
        return parse_query(f"tag:{key}")


@bp.get("/")
def search_page() -> Any:
    q = query_text()
    query, error = parsed_query()
    page = page_number()
    sort = order()
    # Hits of one story are folded into the first unless the reader asks for every source.
    fold = choice_arg("alle_quellen", "0", ("0", "1"), "Ungültige Auswahl") == "0"
    results = found = None
    if not q and not request.args.get("alle") and error is None:
        # No query: the start page (newest articles, Stichwörter, sources).
        with connection() as conn:
            start = start_page(conn)
        return render_template("start.html", start=start, order=sort)
    hits: list[Hit] = []
    folds: dict[int, tuple[StoryOf, int]] = {}
    source_error = None
    if query is not None and error is None and (q or request.args.get("alle")):
        with connection() as conn:
            source_error = unknown_source(conn, query)
            if source_error is None:
                results = search(
                    conn,
                    query,
                    limit=PAGE_SIZE,
                    offset=(page - 1) * PAGE_SIZE,
                    order=sort,  # type: ignore[arg-type]
                )
                sample = FACET_SAMPLE if results.total > FACET_SAMPLE else None
                found = facets(conn, query, sample=sample)
                hits, folds = folded_hits(conn, results.hits, fold)
    status = 400 if error or source_error else 200
    return render_template(
        "search.html",
        q=q,
        error=error,
        source_error=source_error,
        results=results,
        hits=hits,
        folds=folds,
        fold=fold,
        facets=found,
        page=page,
        order=sort,
        page_size=PAGE_SIZE,
        facet_sample=FACET_SAMPLE,
        # Relevance orders only queries with words; filters alone are always by date.
        ranked=query is not None and bool(query.groups),
        refine=refine,
        quoted=quoted,
    ), status


@bp.get("/artikel/<id:article_id>")
def article_page(article_id: int) -> Any:
    with connection() as conn:
        detail = article_detail(conn, article_id)
    if detail is None:
        abort(404, description="Diesen Artikel gibt es nicht.")
    # The query only highlights its words here; one that cannot be parsed highlights nothing.
    query, _error = parsed_query()
    terms = query.terms if query is not None and query_text() else ()
    paragraphs = body_paragraphs(detail.article.body, detail.article.teaser)
    return render_template(
        "article.html", d=detail, a=detail.article, terms=terms, paragraphs=paragraphs
    )


def body_paragraphs(body: str | None, teaser: str | None) -> list[str]:
    """The body's paragraphs as the article view shows them: a first paragraph that is the
    teaser (a lead the generic extractor keeps in the body, as article text) is shown once,
    as the teaser above the body."""
    paragraphs = body.split("\n\n") if body else []
    if paragraphs and teaser and paragraphs[0].strip() == teaser.strip():
        paragraphs = paragraphs[1:]
    return paragraphs


@bp.get("/stichwort/<key>")
def tag_page(key: str) -> Any:
    page = page_number()
    unit = UNITS[choice_arg("einheit", "woche", tuple(UNITS), "Ungültige Einheit")]
    share = choice_arg("werte", "anzahl", VALUES, "Ungültige Werte") == "anteil"
    with connection() as conn:
        tag = find_tag(conn, tag_key(key))
        if tag is None:
            abort(404, description="Dieses Stichwort gibt es nicht.")
        tag_id, tkey, name, _first_seen = tag
        compared = _compared(conn, tkey)
        query = tag_query(name, tkey)
        results = search(conn, query, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE, order="date")
        first = first_published(conn, tag_id)
        # Up to now: one article misdated into 2099 would stretch the axis over 75 years.
        now = datetime.now(BERLIN)
        counts = [(name, period_counts(conn, tag_id, unit, until=now))]
        counts += [(n, period_counts(conn, i, unit, until=now)) for i, _k, n in compared]
        totals = period_counts(conn, None, unit, until=now) if share else {}
    all_names = [n for n, _ in counts]
    names = " und ".join([", ".join(all_names[:-1]), all_names[-1]]) if compared else name
    what = "Anteil an allen Artikeln" if share else "Artikel"
    per = "pro Woche" if unit == "week" else "pro Monat"
    chart = tag_chart(counts, totals, unit=unit, share=share, title=f"{what} {per}: {names}")
    return render_template(
        "tag.html",
        name=name,
        key=tkey,
        first_published=first,
        results=results,
        chart=chart,
        compared=[n for _i, _k, n in compared],
        unit="woche" if unit == "week" else "monat",
        values="anteil" if share else "anzahl",
        page=page,
        page_size=PAGE_SIZE,
        q=query.text,
    )


def _compared(conn: Connection, key: str) -> list[tuple[int, str, str]]:
    """(id, key, name) of the Stichwörter in ``mit`` to compare with ``key``'s."""
    out: list[tuple[int, str, str]] = []
    for raw in request.args.getlist("mit"):
        if not raw.strip() or tag_key(raw) in (key, *(k for _i, k, _n in out)):
            continue
        found = find_tag(conn, tag_key(raw))
        if found is None:
            abort(400, description=f"Ungültiger Vergleich: das Stichwort „{raw}“ gibt es nicht")
        out.append((found[0], found[1], found[2]))
        if len(out) > MAX_TAGS - 1:
            abort(400, description=f"Ungültiger Vergleich: höchstens {MAX_TAGS} Stichwörter")
    return out


def _date_param(name: str) -> datetime | None:
    raw = request.args.get(name)
    if not raw:
        return None
    parsed = parse_date(raw, now=datetime.now(BERLIN))
    # parse_date takes plausible years only: a period never runs past the calendar.
    if parsed is None:
        abort(400, description=f"Ungültiges Datum: {raw}")
    return parsed


@bp.get("/stichwoerter/neu")
def new_tags_page() -> Any:
    """New Stichwörter of the last ``tage`` days of the data (up to ``bis``), or since
    ``seit`` up to the newest article."""
    since = _date_param("seit")
    until = _date_param("bis")
    days = int_arg("tage", NEW_DAYS, 1, 3650, "Ungültiger Zeitraum")
    with connection() as conn:
        window = trend_window(conn, days=days, until=until)
        if window is not None and since is not None:
            # A start after the newest article shows that one day (empty, but a period).
            window = Window(since, max(window.end, since + timedelta(days=1)))
        rows = [] if window is None else new_tags(conn, since=window.start, until=window.end)
    return render_template("tags_new.html", rows=rows[:100], window=window, days=days)


@bp.get("/stichwoerter/steigend")
def rising_tags_page() -> Any:
    days = int_arg("tage", RISING_DAYS, 1, 3650, "Ungültiger Zeitraum")
    until = _date_param("bis")
    with connection() as conn:
        found = rising_in(conn, days=days, until=until, top=50)
    return render_template("tags_rising.html", rows=found.rows, window=found.window, days=days)


@bp.get("/quellen")
def sources_page() -> Any:
    with connection() as conn:
        rows = source_rows(conn)
        health = source_health(conn)
    return render_template("sources.html", rows=rows.values(), health=health)


@bp.app_template_global()
def tag_url(name: str) -> str:
    return url_for("views.tag_page", key=tag_key(name) or name)
