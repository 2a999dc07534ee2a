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
