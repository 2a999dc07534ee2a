"""The schedule configuration: durations, file, environment overrides, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from kn_crawl.scheduler.config import load_schedule, parse_duration
from kn_crawl.settings import ConfigError

REPO = Path(__file__).resolve().parent.parent
SOURCES = ["kommune21", "move", "stadtundwerk"]


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("45s", 45), ("30m", 1800), ("1h30m", 5400), ("2d", 172800), ("0.5s", 0.5), ("90", 90)],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    "text",
    ["", "soon", "10x", "-5m", "0", "5m now", "inf", "nan", "-inf", "1e999", "infinity", "٣m",
     "٣", "367d", "99999999999999999999999h", "1e3"],
)  # fmt: skip
def test_bad_durations(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_duration(text)


def test_example_file_is_valid() -> None:
    config = load_schedule(SOURCES, env={}, path=REPO / "kn-crawl.example.toml")
    assert config.sources["kommune21"].interval == 1800
    assert config.sources["move"].cron == "0 7-19 * * mon-fri"
    assert config.sources["move"].interval is None
    assert config.sources["stadtundwerk"].interval == 3600
    assert config.shutdown_grace == 60


def test_defaults_without_file_are_polite() -> None:
    config = load_schedule(SOURCES, env={})
    assert all(s.interval == 45 * 60 and s.enabled for s in config.sources.values())
    assert all(0 < s.jitter <= 5 * 60 for s in config.sources.values())


def test_environment_overrides_file(tmp_path: Path) -> None:
    env = {
        "KN_SCHEDULE_INTERVAL": "10m",
        "KN_SCHEDULE_MOVE": "cron:*/15 * * * *",
        "KN_SCHEDULE_KOMMUNE21": "off",
    }
    config = load_schedule(SOURCES, env=env, path=REPO / "kn-crawl.example.toml")
    assert not config.sources["kommune21"].enabled
    assert config.sources["move"].cron == "*/15 * * * *"
    assert config.sources["stadtundwerk"].interval == 3600  # the file's own value stays


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[schedule]\ninterval = 'often'\n", "not a duration"),
        ("[schedule.sources.nosuch]\ninterval = '1h'\n", "unknown sources"),
        ("[schedule.sources.move]\ncron = 'every day'\n", "cron"),
        ("[schedule\n", "Expected"),
    ],
)
def test_bad_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "kn-crawl.toml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        load_schedule(SOURCES, env={}, path=path)


def test_missing_file_named_explicitly_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_schedule(SOURCES, env={"KN_CONFIG_FILE": str(tmp_path / "nope.toml")})
