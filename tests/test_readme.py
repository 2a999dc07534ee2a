"""The README's promises: its two quick-start commands, and CI running the test command."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "Quick start has a fenced sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_has_two_commands_demo_then_tests() -> None:
    demo, tests = quick_start_commands()
    assert demo.endswith("kn-crawl demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command() -> None:
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    assert quick_start_commands()[1] in ci


def test_readme_documents_every_table() -> None:
    from kn_crawl.db.models import Base

    readme = (REPO / "README.md").read_text()
    for table in Base.metadata.tables.values():
        assert f"`{table.name}`" in readme, table.name
        for column in table.columns:
            assert f"`{column.name}`" in readme, f"{table.name}.{column.name}"


def test_readme_documents_every_setting() -> None:
    settings_src = (REPO / "kn_crawl" / "settings.py").read_text()
    readme = (REPO / "README.md").read_text()
    for name in set(re.findall(r'"(KN_[A-Z_]+)"', settings_src)):
        assert name in readme, name


def test_readme_lists_the_bundled_sources() -> None:
    """The table of sources is the catalogue's (regenerate it with
    ``python -m kn_crawl.catalog.readme``)."""
    from kn_crawl.catalog.load import BUNDLED_FILE, load_files
    from kn_crawl.catalog.readme import BEGIN, END, markdown_table

    readme = (REPO / "README.md").read_text()
    shown = readme.split(BEGIN, 1)[1].split(END, 1)[0]
    assert shown.strip("\n") == markdown_table(load_files((BUNDLED_FILE,)).values()).strip("\n")


def test_readme_catalogue_example_loads(tmp_path: Path) -> None:
    from kn_crawl.catalog.load import BUNDLED_FILE, load_files

    section = (REPO / "README.md").read_text().split("\n## Sources\n", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block, "Sources has a fenced toml block"
    user = tmp_path / "kn-sources.toml"
    user.write_text(block.group(1))
    catalog = load_files((BUNDLED_FILE, user))
    example = catalog["musterstadt"]
    assert example.listing_urls == ("https://www.musterstadt.de/aktuelles/",)
    assert (example.selectors.body, example.schedule) == ("main article", "2h")
    assert catalog["kommunal"].disabled_reason == "relaunch, URLs changing"
