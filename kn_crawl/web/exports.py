"""Result lists as files (CSV, JSON) and as an Atom feed: streamed, so any size works."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import IO, Any, NoReturn

from flask import (
    Blueprint,
    Response,
    abort,
    render_template,
    send_file,
    stream_with_context,
    url_for,
)
from sqlalchemy import func, select
from sqlalchemy.engine import Connection

from kn_crawl.query import Query
from kn_crawl.search import EXPORT_COLUMNS, export_rows, search
from kn_crawl.search.export import ExportError, csv_cells, json_ready
from kn_crawl.search.export_sheets import (
    XLSX_MIMETYPE,
    excel_csv_writer,
    german_cell,
    write_xlsx,
)
from kn_crawl.search.filters import hits
from kn_crawl.web.app import absolute_url, connection
from kn_crawl.web.params import query_or_400, query_text

bp = Blueprint("exports", __name__)
FEED_SIZE = 50


def _filename(ext: str) -> str:
    return f"kn-crawl-{datetime.now(UTC):%Y%m%d-%H%M%S}.{ext}"


WEB_XLSX_MAX_ROWS = 100_000
"""Articles in a workbook downloaded from the web UI. A workbook is sent only when complete
(~2,000 rows/s here), so a bigger one would hold a server thread for minutes; CSV streams
and ``kn-crawl export --format xlsx`` has Excel's own limit."""


def _streamed_csv(
    query: Query,
    make_writer: Callable[[IO[str]], Any],
    cells: Callable[[dict[str, object]], list[Any]],
    *,
    bom: bool = False,
) -> Response:
    """A CSV download, streamed in pieces of about 64 KB: ``make_writer`` (the dialect)
    writes the header and ``cells(row)`` for every matching article."""

    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        if bom:
            buffer.write("\ufeff")
        writer = make_writer(buffer)
        writer.writerow(EXPORT_COLUMNS)
        with connection() as conn:
            for row in export_rows(conn, query):
                writer.writerow(cells(row))
                if buffer.tell() > 64_000:
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue()

    return Response(
        stream_with_context(generate()),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{_filename("csv")}"'},
    )


@bp.get("/export.csv")
def export_csv() -> Response:
    return _streamed_csv(query_or_400(), csv.writer, lambda row: csv_cells(row, EXPORT_COLUMNS))


@bp.get("/export-excel.csv")
def export_csv_excel() -> Response:
    """The CSV for German Excel (BOM, ``;``, CRLF, German dates), streamed."""
    return _streamed_csv(
        query_or_400(),
        excel_csv_writer,
        lambda row: [german_cell(row[c]) for c in EXPORT_COLUMNS],
        bom=True,
    )


def _too_many_for_a_workbook() -> NoReturn:
    most = f"{WEB_XLSX_MAX_ROWS:,}".replace(",", ".")  # German thousands: 100.000
    abort(
        400,
        description=f"Export nicht möglich: eine Excel-Datei aus der Weboberfläche fasst "
        f"höchstens {most} Artikel – bitte die Suche eingrenzen, CSV wählen oder auf dem "
        "Server „kn-crawl export --format xlsx“ verwenden",
    )


def _count_up_to(conn: Connection, query: Query, limit: int) -> int:
    """The number of matching articles, counted no further than ``limit``."""
    matched = hits(query, conn)
    upto = select(matched.c.id).limit(limit).subquery()
    return int(conn.execute(select(func.count()).select_from(upto)).scalar_one())


@bp.get("/export.xlsx")
def export_xlsx() -> Response:
    """The Excel workbook. A zip cannot be sent before it is complete: it is built in a
    temporary file (constant memory) and then sent from there, the file already unlinked.
    The articles are counted first: too many are refused before anything is written."""
    query = query_or_400()
    with connection() as conn:
        if _count_up_to(conn, query, WEB_XLSX_MAX_ROWS + 1) > WEB_XLSX_MAX_ROWS:
            _too_many_for_a_workbook()
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response
    try:
        with tempfile.TemporaryDirectory(prefix="kn-xlsx-") as folder:
            path = f"{folder}/export.xlsx"
            with connection() as conn:
                # The limit again while writing: a crawl may add articles after the count.
                rows = export_rows(conn, query)
                write_xlsx(rows, path, EXPORT_COLUMNS, max_rows=WEB_XLSX_MAX_ROWS + 1)
            with open(path, "rb") as built:
                shutil.copyfileobj(built, handle)
        handle.seek(0)
    except ExportError:  # the only one: too many rows
        handle.close()
        _too_many_for_a_workbook()
    except BaseException:
        handle.close()
        raise
    return send_file(
        handle, mimetype=XLSX_MIMETYPE, as_attachment=True, download_name=_filename("xlsx")
    )


@bp.get("/export.json")
def export_json() -> Response:
    query = query_or_400()

    def generate() -> Iterator[str]:
        yield "["
        first = True
        with connection() as conn:
            for row in export_rows(conn, query):
                yield ("" if first else ",\n") + json.dumps(
                    json_ready(row, EXPORT_COLUMNS), ensure_ascii=False
                )
                first = False
        yield "]\n"

    return Response(
        stream_with_context(generate()),
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{_filename("json")}"'},
    )


@bp.get("/feed.atom")
def atom_feed() -> Any:
    query = query_or_400()
    q = query_text()
    with connection() as conn:
        page = search(conn, query, limit=FEED_SIZE, order="date", with_total=False)
    updated = max((h.published_at for h in page.hits), default=datetime(2000, 1, 1, tzinfo=UTC))
    body = render_template(
        "feed.xml",
        q=q,
        hits=page.hits,
        updated=updated,
        self_url=absolute_url(url_for("exports.atom_feed", q=q)),
        html_url=absolute_url(url_for("views.search_page", q=q, order="date")),
        base=absolute_url("/"),
    )
    return Response(body, mimetype="application/atom+xml")
