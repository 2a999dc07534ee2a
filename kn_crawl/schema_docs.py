"""The descriptions of the database's tables and columns, read from the one place they are
written: the README's "Database schema" table.

``kn_crawl/schema_docs.json`` is generated from it (``python -m kn_crawl.schema_docs``) so
that an installed package has it without the README; ``tests/test_datasette.py`` checks the
file equals what the README says and covers every table and column of the models. Datasette
shows these descriptions (``kn_crawl.datasette_app``).

A row of the README table reads ``| `table` | one row per | columns |``; the columns cell is
a list like ``` `id`, `name` (`kommune21`, …), `claimed_at` / `claimed_by` (when …) — note```:
names in backticks, each optionally followed by its description in parentheses (which may
hold parentheses and backticks of its own), names joined by `` / `` sharing one, and after a
dash a note on the whole table."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

DOCS_FILE = Path(__file__).with_name("schema_docs.json")
README = Path(__file__).resolve().parent.parent / "README.md"
SECTION = "## Database schema"


@dataclass
class TableDoc:
    description: str
    columns: dict[str, str] = field(default_factory=dict)


def plain(markdown: str) -> str:
    """Markdown made plain text: links keep their text, code loses its backticks."""
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


def parse_columns(cell: str) -> tuple[dict[str, str], str]:
    """The columns of one cell with their descriptions, and the note after a dash."""
    columns: dict[str, str] = {}
    group: list[str] = []
    i = 0
    note = ""
    while i < len(cell):
        ch = cell[i]
        if ch == "`":
            end = cell.index("`", i + 1)
            name = cell[i + 1 : end]
            between = cell[:i].rstrip()
            if not between.endswith("/"):
                group = []
            group.append(name)
            columns[name] = ""
            i = end + 1
        elif ch == "(":
            depth, start = 0, i
            while True:
                if cell[i] == "(":
                    depth += 1
                elif cell[i] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            text = plain(cell[start + 1 : i])
            for name in group:
                columns[name] = text
            i += 1
        elif cell.startswith("—", i):
            note = plain(cell[i + 1 :])
            break
        else:
            i += 1
    return columns, note


def parse_readme(readme: str) -> dict[str, TableDoc]:
    """Every table of the README's "Database schema" table, in its order."""
    section = readme.split(SECTION, 1)[1].split("\n## ", 1)[0]
    tables: dict[str, TableDoc] = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\| `(\w+)` \| (.+?) \| (.+) \|", line.strip())
        if not match:
            continue
        name, row, cell = match.groups()
        columns, note = parse_columns(cell)
        description = f"One row per {plain(row)}."
        if note:
            description += f" {note[0].upper()}{note[1:]}."
        tables[name] = TableDoc(description, columns)
    return tables


def as_json(tables: dict[str, TableDoc]) -> str:
    data = {
        name: {"description": t.description, "columns": t.columns} for name, t in tables.items()
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def load() -> dict[str, TableDoc]:
    """The generated descriptions (from the README at the time of the release)."""
    data = json.loads(DOCS_FILE.read_text(encoding="utf-8"))
    return {name: TableDoc(t["description"], t["columns"]) for name, t in data.items()}


def main() -> None:
    """Regenerate ``schema_docs.json`` from the README (after editing its schema section)."""
    DOCS_FILE.write_text(as_json(parse_readme(README.read_text(encoding="utf-8"))), "utf-8")
    print(f"wrote {DOCS_FILE}", file=sys.stderr)


if __name__ == "__main__":
    main()
