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


def test_catalogue_schedule_is_the_default_that_file_and_environment_override(
    tmp_path: Path,
) -> None:
    """A catalogue entry's ``schedule`` (duration or ``cron:``) replaces the general
    interval for its source; the schedule file and ``KN_SCHEDULE_<SOURCE>`` still win."""
    defaults = {"kommune21": "2h", "move": "cron:0 6 * * *", "stadtundwerk": None, "dstgb": "3h"}
    path = tmp_path / "kn-crawl.toml"
    path.write_text("[schedule.sources.dstgb]\ninterval = '10m'\n")
    config = load_schedule(defaults, env={"KN_SCHEDULE_MOVE": "20m"}, path=path)
    shown = {n: (s.interval, s.cron) for n, s in config.sources.items()}
    assert shown == {
        "kommune21": (7200, None),
        "move": (1200, None),
        "stadtundwerk": (2700, None),
        "dstgb": (600, None),
    }
    config = load_schedule(defaults, env={})
    assert (config.sources["move"].interval, config.sources["move"].cron) == (None, "0 6 * * *")


def test_schedule_file_may_name_a_known_source_that_is_not_scheduled(tmp_path: Path) -> None:
    path = tmp_path / "kn-crawl.toml"
    path.write_text("[schedule.sources.kgst]\ninterval = '1h'\n")
    config = load_schedule(["move"], env={}, path=path, known=["move", "kgst"])
    assert list(config.sources) == ["move"]
    with pytest.raises(ConfigError, match=r"unknown sources in \[schedule.sources\]: kgst"):
        load_schedule(["move"], env={}, path=path)


def test_bad_catalogue_schedule_names_the_source() -> None:
    with pytest.raises(ConfigError, match=r"^schedule of move in the catalogue: 'often' is not"):
        load_schedule({"move": "often"}, env={})
