"""The README's table of the bundled sources, made from the catalogue itself so that it cannot
drift (``tests/test_readme.py`` compares them; ``python -m kn_crawl.catalog.readme`` prints
it)."""

from __future__ import annotations

from collections.abc import Iterable

from kn_crawl.catalog.model import SourceEntry

BEGIN = "<!-- sources table: python -m kn_crawl.catalog.readme -->"
END = "<!-- end of sources table -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _reads(entry: SourceEntry) -> str:
    parts = []
    if entry.feed_urls:
        parts.append("feed" if len(entry.feed_urls) == 1 else f"{len(entry.feed_urls)} feeds")
    if entry.listing_urls:
        n = len(entry.listing_urls)
        parts.append("listing" if n == 1 else f"{n} listings")
    return " + ".join(parts) or "—"


def markdown_table(entries: Iterable[SourceEntry]) -> str:
    """One row per source: name, title, family, what it reads, enabled or why not."""
    lines = [
        "| source | title | family | reads | enabled |",
        "|---|---|---|---|---|",
    ]
    for e in entries:
        enabled = "yes" if e.enabled else f"no: {e.disabled_reason}"
        lines.append(
            f"| `{e.name}` | {_cell(e.title)} | `{e.family}` | {_reads(e)} | {_cell(enabled)} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover - a helper for editing the README
    from kn_crawl.catalog.load import BUNDLED_FILE, load_files

    print(BEGIN)
    print(markdown_table(load_files((BUNDLED_FILE,)).values()), end="")
    print(END)
