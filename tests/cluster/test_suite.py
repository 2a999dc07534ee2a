"""The cluster tests run by default: the README's test command (which .ci/run runs) selects
no marker, and pytest collects tests/ whole, tests/cluster/ included."""

from __future__ import annotations

import shlex
import tomllib

import pytest

from tests.cluster.harness import REPO
from tests.test_readme import quick_start_commands

pytestmark = [pytest.mark.cluster]


def test_the_default_test_run_includes_the_cluster_tests() -> None:
    command = shlex.split(quick_start_commands()[1].split("&&")[-1])
    assert command[0].endswith("pytest")
    assert not any(a.startswith("-m") for a in command[1:])  # no marker deselects them
    options = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert options["testpaths"] == ["tests"]
    assert "-m" not in shlex.split(options["addopts"])
    assert any(m.startswith("cluster:") for m in options["markers"])
    assert (REPO / "tests" / "cluster" / "test_cluster_faults.py").is_file()
