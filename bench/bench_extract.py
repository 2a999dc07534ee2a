"""Extraction quality: the generic extractor against a dev set of real pages, and trafilatura.

    .venv/bin/python bench/bench_extract.py [--devset DIR ...] [--split dev|holdout|all]
        [--lang de|en|other] [--show ID] [--failures FIELD] [--json]

Reads every ``expected/*.jsonl`` of each ``--devset DIR`` (default: ``devset/`` beside this
script) and the gzipped pages they name, runs our whole extraction from the page's bytes as
``kn-crawl parse --generic`` does (``kn_crawl.extract.result.read_generic``: decode, parse,
``extract_article``, the page verdict) and, in the same run, ``trafilatura.bare_extraction``
(with htmldate for the date), and prints the share of correct checks per field kind, per
language, for both, plus ROUGE-LSum F1 of the body where a gold body exists, and median /
p90 ms per page (interleaved, after a warm-up).

Checks per page (see bench/README.md, "Extraction quality"): ``title`` (equal after
normalisation), ``date`` (same day; a ``no_date`` page is right when none is given), each
``with`` fragment (in the body, or in the teaser: a lead), each ``without`` fragment (not in
the body); a ``not_article`` page is right when the verdict says so or there is no title or
no body. Holdout pages count only in aggregate: ``--show`` and ``--failures`` keep to dev
pages unless ``--allow-holdout`` (for dev-set authors checking their expected values).

Needs the ``bench`` extra (``pip install -e '.[bench]'``): trafilatura and rouge-score. Without
trafilatura, only our figures are printed; without rouge-score, no body F1.
"""

from __future__ import annotations

import argparse
import gzip
import json
import logging
import re
import statistics
import sys
import time
import traceback
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
DEFAULT_DEVSET = HERE / "devset"
FIELDS = ("title", "date", "with", "without")
LANGS = ("de", "en", "other")

# -- normalisation and pure checks --------------------------------------------------------

# Quotes and dashes a page may set typographically or plainly: compared as plain ones.
_QUOTES = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u00b4\u0060", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb\u2039\u203a", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"),
        **dict.fromkeys("\u00ad\u200b\u200c\u200d\u2060\ufeff", ""),  # soft hyphen, zero-width
    }
)
_SPACE = re.compile(r"\s+")


def normalise(text: str | None) -> str:
    """Text as compared: NFC, quotes and dashes unified, soft hyphens and zero-width
    characters dropped, whitespace (incl. no-break spaces) collapsed. Case is kept."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def same_title(expected: str, got: str | None) -> bool:
    return normalise(expected) == normalise(got)


def as_day(value: date | datetime | str | None) -> date | None:
    """The calendar day of an extractor's date: a ``datetime`` in its own offset (the
    page's local day), a ``date``, or an ISO string (``2024-03-05``, ``2024-03-05T…``)."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        return None


def same_day(expected: str | None, got: date | datetime | str | None) -> bool:
    """``expected`` None means the page has no date: right only when none is given."""
    if expected is None:
        return as_day(got) is None
    return as_day(got) == date.fromisoformat(expected)


def contains(haystacks: Iterable[str | None], fragment: str) -> bool:
    needle = normalise(fragment)
    return any(needle in normalise(h) for h in haystacks if h)


# Not after a one-letter abbreviation ("z. B. Berlin", "Franz J. Müller").
_SENTENCE_END = re.compile(r"(?<=[.!?…:;\"'])(?<!\b\w\.)\s+(?=[\"'(]?[A-ZÄÖÜ0-9])")


def sentences(text: str | None) -> str:
    """Text as ROUGE-LSum reads it: one sentence a line (paragraphs, then a simple split
    after end punctuation before a capital), normalised like the other checks."""
    if not text:
        return ""
    lines = []
    for paragraph in re.split(r"\n\s*\n|\n", text):
        paragraph = normalise(paragraph)
        if paragraph:
            lines.extend(s for s in _SENTENCE_END.split(paragraph) if s)
    return "\n".join(lines)


_ROUGE: Any = None


def lcs_table(ref: list[str], can: list[str]) -> list[list[int]]:
    """The LCS table of ``rouge_score`` (``rouge_scorer._lcs_table``), the same values computed
    faster: a row whose token is not in ``can`` equals the row above (rows never fall), so
    it is shared instead of computed, and no ``max()`` call per cell. rouge-score's own table
    took ~1.5 s per long body in pure Python, three quarters of a run of the whole set."""
    width = len(can) + 1
    prev = [0] * width
    table = [prev]
    present = set(can)
    for token in ref:
        if token not in present:
            table.append(prev)  # never mutated: the backtrack only reads
            continue
        row = [0] * width
        left = 0
        for j, other in enumerate(can):
            if other == token:
                left = prev[j] + 1
            else:
                up = prev[j + 1]
                if up > left:
                    left = up
            row[j + 1] = left
        table.append(row)
        prev = row
    return table


def rouge_lsum(gold: str, got: str | None) -> float:
    """ROUGE-LSum F1 (stemmed, as the extraction benchmarks score) of ``got`` against
    ``gold``; 0 for no body."""
    global _ROUGE
    if not got:
        return 0.0
    if _ROUGE is None:
        from rouge_score import rouge_scorer

        rouge_scorer._lcs_table = lcs_table  # same table, faster (see lcs_table)
        _ROUGE = rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True)
    return float(_ROUGE.score(sentences(gold), sentences(got))["rougeLsum"].fmeasure)


@dataclass
class Output:
    """What an extractor gave for a page (the fields scored)."""

    title: str | None = None
    date: date | datetime | str | None = None
    teaser: str | None = None
    body: str | None = None
    error: str | None = None
    not_article: bool = False
    """The extractor's own verdict: the page is no article (ours: ``page_verdict``)."""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Check:
    field: str  # title, date, with, without, not_article
    ok: bool
    expected: str | None
    got: str | None


def checks(expected: dict[str, Any], out: Output) -> list[Check]:
    """The page's checks against one extractor's output. Fields absent or null in
    ``expected`` are not checked (except ``date`` with ``no_date``)."""
    if expected.get("kind", "article") == "not_article":
        rejected = out.not_article or out.title is None or not out.body
        return [
            Check("not_article", rejected, "not_article, no title or no body", _short(out.title))
        ]
    result = []
    if expected.get("title") is not None:
        title = expected["title"]
        result.append(Check("title", same_title(title, out.title), title, out.title))
    got_day = as_day(out.date)
    got_date = got_day.isoformat() if got_day else None
    if expected.get("date") is not None:
        result.append(
            Check("date", same_day(expected["date"], out.date), expected["date"], got_date)
        )
    elif expected.get("no_date"):
        result.append(Check("date", same_day(None, out.date), None, got_date))
    for fragment in expected.get("with") or ():
        ok = contains((out.body, out.teaser), fragment)
        result.append(Check("with", ok, fragment, None if ok else _short(out.body)))
    for fragment in expected.get("without") or ():
        ok = not contains((out.body,), fragment)
        result.append(Check("without", ok, fragment, None if ok else "(in the body)"))
    return result


def _short(text: str | None, n: int = 160) -> str | None:
    if text is None:
        return None
    text = normalise(text)
    return text if len(text) <= n else text[: n - 1] + "…"


def lang_group(lang: str | None) -> str:
    return lang if lang in ("de", "en") else "other"


# -- the dev set ---------------------------------------------------------------------------


@dataclass
class Page:
    expected: dict[str, Any]
    html: bytes
    devset: Path
    origin_set: str
    """The expected file's name without ``.jsonl``: ``trafilatura``, ``mirror`` …"""

    @property
    def id(self) -> str:
        return str(self.expected["id"])

    @property
    def url(self) -> str:
        return str(self.expected["url"])

    @property
    def split(self) -> str:
        return str(self.expected.get("split", "dev"))

    @property
    def lang(self) -> str:
        return lang_group(self.expected.get("lang"))


def load_devsets(dirs: list[Path]) -> list[Page]:
    pages: list[Page] = []
    seen: dict[str, Path] = {}
    for devset in dirs:
        for jsonl in sorted((devset / "expected").glob("*.jsonl")):
            for n, line in enumerate(jsonl.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    expected = json.loads(line)
                    html = gzip.decompress((devset / expected["file"]).read_bytes())
                except (ValueError, KeyError, OSError) as exc:
                    print(f"{jsonl}:{n}: skipped: {exc}", file=sys.stderr)
                    continue
                if expected["id"] in seen:
                    print(f"{jsonl}:{n}: duplicate id {expected['id']!r} skipped", file=sys.stderr)
                    continue
                seen[expected["id"]] = jsonl
                pages.append(Page(expected, html, devset, jsonl.stem))
    return pages


# -- the extractors ------------------------------------------------------------------------


def base_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/"


def ours(html: bytes, url: str) -> Output:
    """Our whole extraction from bytes, as ``kn-crawl parse --generic`` runs it."""
    from kn_crawl.extract.result import read_generic

    read = read_generic(html, url, source="devset", base_url=base_url(url))
    item = read.item
    return Output(
        not_article=not read.verdict.is_article,
        title=item.title,
        date=item.published_at,
        teaser=item.teaser,
        body=item.body,
        extra={
            "date_signal": item.date_signal,
            "kicker": item.kicker,
            "modified_at": item.modified_at.isoformat() if item.modified_at else None,
            "language": item.language,
            "tags": item.tags,
        },
    )


def trafilatura_available() -> bool:
    try:
        import trafilatura  # noqa: F401
    except ImportError:
        return False
    return True


def theirs(html: bytes, url: str) -> Output:
    """trafilatura's ``bare_extraction`` with metadata, defaults otherwise."""
    import trafilatura

    # Its complaints about empty or broken pages go to the log: the scores say it.
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    doc = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if doc is None:
        return Output()
    data = doc if isinstance(doc, dict) else doc.as_dict()
    return Output(
        title=data.get("title"),
        date=data.get("date"),
        teaser=data.get("description"),
        body=data.get("text"),
    )


def run(fn: Callable[[bytes, str], Output], page: Page) -> tuple[Output, float]:
    t0 = time.perf_counter()
    try:
        out = fn(page.html, page.url)
    except Exception as exc:  # noqa: BLE001 -- a crash is a result to report, not the end
        out = Output(error=f"{type(exc).__name__}: {exc}")
        out.extra["traceback"] = traceback.format_exc()
    return out, (time.perf_counter() - t0) * 1000


# -- scoring and the report ----------------------------------------------------------------


@dataclass
class Result:
    page: Page
    out: Output
    checks: list[Check]
    rouge: float | None
    ms: float


def score(page: Page, out: Output, ms: float, *, with_rouge: bool) -> Result:
    gold = page.expected.get("body")
    rouge = rouge_lsum(gold, out.body) if gold and with_rouge else None
    return Result(page, out, checks(page.expected, out), rouge, ms)


def figures(results: list[Result]) -> dict[str, Any]:
    """Per language group and overall: % correct per field kind, all fields, not_article,
    mean body F1 (×100), page counts; per split: all fields."""
    out: dict[str, Any] = {}
    for group in (*LANGS, "all"):
        rs = [r for r in results if group == "all" or r.page.lang == group]
        row: dict[str, Any] = {"pages": len(rs)}
        for kind in (*FIELDS, "not_article"):
            cs = [c for r in rs for c in r.checks if c.field == kind]
            row[kind] = _pct(cs)
            row[f"{kind}_n"] = len(cs)
        fields = [c for r in rs for c in r.checks if c.field in FIELDS]
        row["fields"] = _pct(fields)
        row["fields_n"] = len(fields)
        f1 = [r.rouge for r in rs if r.rouge is not None]
        row["body_f1"] = round(100 * statistics.mean(f1), 1) if f1 else None
        row["body_f1_n"] = len(f1)
        out[group] = row
    for split in ("dev", "holdout"):
        fields = [
            c for r in results if r.page.split == split for c in r.checks if c.field in FIELDS
        ]
        f1 = [r.rouge for r in results if r.page.split == split and r.rouge is not None]
        out[f"split_{split}"] = {
            "fields": _pct(fields),
            "fields_n": len(fields),
            "body_f1": round(100 * statistics.mean(f1), 1) if f1 else None,
        }
    out["by_set"] = {}
    for name in sorted({r.page.origin_set for r in results}):
        rs = [r for r in results if r.page.origin_set == name]
        fields = [c for r in rs for c in r.checks if c.field in FIELDS]
        f1 = [r.rouge for r in rs if r.rouge is not None]
        out["by_set"][name] = {
            "pages": len(rs),
            "fields": _pct(fields),
            "fields_n": len(fields),
            "body_f1": round(100 * statistics.mean(f1), 1) if f1 else None,
        }
    ms = sorted(r.ms for r in results)
    out["ms_median"] = round(statistics.median(ms), 2) if ms else None
    out["ms_p90"] = round(ms[min(len(ms) - 1, int(0.9 * len(ms)))], 2) if ms else None
    out["errors"] = [r.page.id for r in results if r.out.error]
    return out


def _pct(cs: list[Check]) -> float | None:
    return round(100 * sum(c.ok for c in cs) / len(cs), 1) if cs else None


def _cell(value: float | None, n: int | None = None) -> str:
    if value is None:
        return "-"
    return f"{value:5.1f}" + (f" ({n})" if n is not None else "")


def print_table(name: str, figs: dict[str, Any]) -> None:
    head = f"{name:<12}" + "".join(f"{g:>14}" for g in (*LANGS, "all"))
    print(head)
    print(f"{'pages':<12}" + "".join(f"{figs[g]['pages']:>14}" for g in (*LANGS, "all")))
    for kind in (*FIELDS, "fields", "not_article", "body_f1"):
        cells = [_cell(figs[g][kind], figs[g][f"{kind}_n"]) for g in (*LANGS, "all")]
        label = {"fields": "% fields", "body_f1": "body F1"}.get(kind, f"{kind} %")
        print(f"{label:<12}" + "".join(f"{c:>14}" for c in cells))
    dev, hold = figs["split_dev"], figs["split_holdout"]
    print(
        f"{'by split':<12}  dev {_cell(dev['fields'])} % fields, F1 {_cell(dev['body_f1'])}"
        f" | holdout {_cell(hold['fields'])} % fields, F1 {_cell(hold['body_f1'])}"
    )
    sets = " | ".join(
        f"{name} {_cell(f['fields'])} % ({f['pages']} p.)" for name, f in figs["by_set"].items()
    )
    print(f"{'by set':<12}  {sets}")
    if figs["errors"]:
        print(
            f"{'errors':<12}  {len(figs['errors'])} pages raised: {', '.join(figs['errors'][:8])}"
        )


def show(page: Page, out: Output, res: Result, name: str) -> None:
    e = page.expected
    print(f"== {page.id} ({name}) {page.url}\n   origin: {e.get('origin')}  split: {page.split}")
    if out.error:
        print(f"   ERROR {out.error}\n{out.extra.get('traceback', '')}")
    print(f"   title   exp: {e.get('title')!r}\n           got: {out.title!r}")
    day = as_day(out.date)
    print(f"   date    exp: {e.get('date')!r}{' (no_date)' if e.get('no_date') else ''}")
    print(f"           got: {day.isoformat() if day else None!r}  raw: {out.date!s}")
    for key, value in out.extra.items():
        if key != "traceback":
            print(f"   {key:<8}: {value!r}")
    print(f"   teaser  : {_short(out.teaser, 300)!r}")
    for c in res.checks:
        if c.field in ("with", "without", "not_article"):
            print(f"   {'ok  ' if c.ok else 'FAIL'} {c.field:<8} {c.expected!r}")
    if res.rouge is not None:
        print(f"   body F1 : {100 * res.rouge:.1f}")
    print("   body    :")
    for paragraph in (out.body or "").split("\n\n"):
        print("     | " + paragraph)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devset", type=Path, action="append", help="dev set directory")
    parser.add_argument("--split", choices=("dev", "holdout", "all"), default="all")
    parser.add_argument("--lang", choices=LANGS)
    parser.add_argument("--show", metavar="ID", help="our output vs expected for one page")
    parser.add_argument(
        "--failures",
        metavar="FIELD",
        choices=(*FIELDS, "not_article", "body"),
        help="failing pages",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--no-trafilatura", action="store_true", help="score ours only")
    parser.add_argument(
        "--allow-holdout", action="store_true", help="let --show/--failures name holdout pages"
    )
    args = parser.parse_args(argv)

    pages = load_devsets(args.devset or [DEFAULT_DEVSET])
    if args.show:
        matches = [p for p in pages if p.id == args.show]
        if not matches:
            print(f"no page {args.show!r} in the dev set", file=sys.stderr)
            return 2
        page = matches[0]
        if page.split == "holdout" and not args.allow_holdout:
            print(f"{page.id} is a holdout page: scored only in aggregate", file=sys.stderr)
            return 2
        out, ms = run(ours, page)
        show(page, out, score(page, out, ms, with_rouge=_have_rouge()), "ours")
        return 0
    pages = [
        p
        for p in pages
        if (args.split == "all" or p.split == args.split) and (not args.lang or p.lang == args.lang)
    ]
    if not pages:
        print("no pages to score", file=sys.stderr)
        return 2
    # --failures lists our failures only: no need to run trafilatura.
    with_traf = not (args.no_trafilatura or args.failures) and trafilatura_available()
    with_rouge = _have_rouge()
    our_results, their_results = measure(pages, with_traf=with_traf, with_rouge=with_rouge)

    if args.failures:
        failures(our_results, args.failures, allow_holdout=args.allow_holdout)
        return 0
    report = {"ours": figures(our_results)}
    if with_traf:
        report["trafilatura"] = figures(their_results)
    if args.json:
        # The full figures of each split too (the table shows them with --split).
        for name, results in (("ours", our_results), ("trafilatura", their_results)):
            if name in report:
                report[name]["by_split"] = {
                    split: figures([r for r in results if r.page.split == split])
                    for split in ("dev", "holdout")
                }
        print(json.dumps(report, indent=1))
        return 0
    dirs = ", ".join(str(d) for d in (args.devset or [DEFAULT_DEVSET]))
    print(f"{len(pages)} pages (split {args.split}) from {dirs}")
    print_table("ours", report["ours"])
    if with_traf:
        import trafilatura

        print()
        print_table(f"trafilatura {trafilatura.__version__}", report["trafilatura"])
    elif not args.no_trafilatura:
        print("\ntrafilatura not installed (pip install -e '.[bench]'): no comparison")
    if not with_rouge:
        print("rouge-score not installed: no body F1")
    ours_ms = report["ours"]
    line = f"\nms/page     ours median {ours_ms['ms_median']}, p90 {ours_ms['ms_p90']}"
    if with_traf:
        t = report["trafilatura"]
        line += f" | trafilatura median {t['ms_median']}, p90 {t['ms_p90']}"
        line += f" | ratio ours/trafilatura {ours_ms['ms_median'] / t['ms_median']:.2f}"
    print(line)
    return 0


def _have_rouge() -> bool:
    try:
        import rouge_score  # noqa: F401
    except ImportError:
        return False
    return True


def measure(
    pages: list[Page], *, with_traf: bool, with_rouge: bool
) -> tuple[list[Result], list[Result]]:
    """Both extractors on every page, interleaved (alternating which goes first), after a
    warm-up on the first pages (imports, caches)."""
    for page in pages[:5]:
        run(ours, page)
        if with_traf:
            run(theirs, page)
    our_results, their_results = [], []
    for i, page in enumerate(pages):
        order = (
            [(ours, our_results), (theirs, their_results)] if with_traf else [(ours, our_results)]
        )
        if i % 2:
            order.reverse()
        for fn, results in order:
            out, ms = run(fn, page)
            results.append(score(page, out, ms, with_rouge=with_rouge))
    return our_results, their_results


def failures(results: list[Result], kind: str, *, allow_holdout: bool) -> None:
    hidden = 0
    for r in results:
        if r.page.split == "holdout" and not allow_holdout:
            hidden += any(not c.ok for c in r.checks if c.field == kind)
            continue
        if kind == "body":
            if r.rouge is not None and r.rouge < 0.9:
                print(f"{r.page.id:<40} body F1 {100 * r.rouge:5.1f}")
            continue
        for c in r.checks:
            if c.field == kind and not c.ok:
                print(f"{r.page.id:<40} expected {c.expected!r}\n{'':<40} got      {c.got!r}")
        if r.out.error:
            print(f"{r.page.id:<40} ERROR {r.out.error}")
    if hidden:
        print(f"({hidden} holdout pages with failures not shown)")


if __name__ == "__main__":
    sys.exit(main())
