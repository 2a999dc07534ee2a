"""Quiet crawls with progress (issue 15): real ``kn-crawl`` subprocesses against the mirror
(the demo) or a dead address; the terminal gets progress, warnings and the summary, the log
file Scrapy's start-up and INFO lines, in text or JSON; Ctrl-C ends a demo with 130."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DEAD = "http://127.0.0.1:9/"
DONE = re.compile(r"  (\w+) done: (\d+) pages, (\d+) new, (\d+) updated, (\d+) errors")


def kn_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("KN_")}
    env["KN_DATA_DIR"] = str(tmp_path / "data")
    env.update(extra)
    return env


def kn(
    tmp_path: Path, *args: str, timeout: float = 300, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kn_crawl", *args],
        env=kn_env(tmp_path, **extra), cwd=tmp_path, capture_output=True, text=True,
        timeout=timeout, check=False,
    )  # fmt: skip


def summary(stdout: str) -> dict[str, tuple[int, int, int, int]]:
    """The summary table: source -> (pages, new, updated, errors)."""
    rows = {}
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("source "))
    for line in lines[start + 2 :]:
        if not line.strip():
            break
        cells = line.split()
        rows[cells[0]] = (int(cells[2]), int(cells[3]), int(cells[4]), int(cells[7]))
    return rows


def test_a_crawl_logs_to_the_file_and_verbose_to_the_terminal(tmp_path: Path) -> None:
    quiet = kn(tmp_path, "crawl", "kommune21", "--base-url", DEAD)
    log = tmp_path / "data" / "kn-crawl.log"
    assert "[scrapy.utils.log] INFO: Scrapy" not in quiet.stderr
    assert quiet.stdout.rstrip().endswith(f"Log: {log}")
    text = log.read_text(encoding="utf-8")
    assert "[scrapy.utils.log] INFO: Scrapy" in text
    assert "[kn_crawl.crawling.recorder] INFO: crawl run 1 of kommune21 started" in text
    assert re.search(
        r"^  kommune21 done: 0 pages, 0 new, 0 updated, \d+ errors$", quiet.stderr, re.M
    )

    loud = kn(tmp_path, "crawl", "kommune21", "--base-url", DEAD, "--verbose")
    assert "[scrapy.utils.log] INFO: Scrapy" in loud.stderr
    assert "Log: " not in loud.stdout
    # The terminal's lines did not go to the file as well.
    assert log.read_text(encoding="utf-8") == text


def test_json_logs_one_object_per_line_with_source_and_run(tmp_path: Path) -> None:
    secret = "p" * 40
    out = kn(
        tmp_path, "crawl", "kommune21", "--base-url", DEAD,
        KN_LOG_FORMAT="json", KN_LOG_FILE=str(tmp_path / "logs" / "crawl.jsonl"),
        KN_ALERTS_SECRET=secret,
    )  # fmt: skip
    assert out.stdout.rstrip().endswith(f"Log: {tmp_path / 'logs' / 'crawl.jsonl'}")
    lines = (tmp_path / "logs" / "crawl.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    started = [r for r in records if r["message"] == "crawl run 1 of kommune21 started"]
    assert [(r["level"], r["logger"]) for r in started] == [("INFO", "kn_crawl.crawling.recorder")]
    assert any(r.get("source") == "kommune21" and r.get("run") == 1 for r in records)
    # The terminal's warnings are JSON too.
    assert all(json.loads(line) for line in out.stderr.splitlines() if not line.startswith("  "))
    assert secret not in "\n".join(lines) + out.stderr


def test_a_bad_log_format_is_one_line(tmp_path: Path) -> None:
    out = kn(tmp_path, "crawl", "kommune21", "--base-url", DEAD, KN_LOG_FORMAT="xml")
    assert out.returncode == 2
    assert (
        out.stderr
        == "kn-crawl: error: bad configuration: KN_LOG_FORMAT='xml' is not text or json\n"
    )


@pytest.mark.slow
def test_the_demo_is_quiet_shows_progress_and_runs_twice_without_news(tmp_path: Path) -> None:
    first = kn(tmp_path, "demo", "--port", "0")
    assert first.returncode == 0, first.stderr[-3000:]
    # Scrapy's start-up and INFO lines are in the log file, not on the terminal.
    assert " INFO: " not in first.stderr
    log = tmp_path / "data" / "kn-crawl.log"
    assert " [scrapy.utils.log] INFO: Scrapy " in log.read_text(encoding="utf-8")
    assert first.stdout.rstrip().endswith(f"Log: {log}")
    # One "done" line per source, with the counts of the summary table.
    done = {m[0]: tuple(map(int, m[1:])) for m in DONE.findall(first.stderr)}
    assert done == summary(first.stdout)
    assert len(done) == 14
    folder = tmp_path / "data" / "demo-alerts"
    (eml,) = folder.glob("*.eml")
    written = (eml.read_bytes(), eml.stat().st_mtime_ns)

    second = kn(tmp_path, "demo", "--port", "0")
    assert second.returncode == 0, second.stderr[-3000:]
    assert f"Alerts: nothing new since the last run (earlier e-mails in {folder})" in second.stdout
    assert "written as e-mails" not in second.stdout
    assert [p.name for p in folder.glob("*.eml")] == [eml.name]
    assert (eml.read_bytes(), eml.stat().st_mtime_ns) == written


@pytest.mark.slow
def test_ctrl_c_ends_the_demo_with_130_and_says_what_was_collected(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [sys.executable, "-m", "kn_crawl", "demo", "--port", "0"],
        env=kn_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert demo.stdout is not None
    assert demo.stdout.readline().startswith("Mirror serving on ")
    assert demo.stdout.readline().startswith("Crawling ")
    time.sleep(3)  # into the crawl (earlier, the same answer comes from the CLI's own handler)
    demo.send_signal(signal.SIGINT)
    out, err = demo.communicate(timeout=120)
    assert demo.returncode == 130
    assert re.search(r"^Articles:  \d+$", out, re.M)
    assert "Interrupted: " in err
    assert "Traceback" not in err
