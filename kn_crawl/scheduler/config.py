"""The schedule: per-source intervals or cron expressions, from a TOML file and ``KN_*``.

    [schedule]
    interval = "45m"        # default for every source
    jitter = "5m"           # random delay added to each run, so sites are not hit in step
    timeout = "30m"         # a crawl running longer is stopped and recorded as "timeout"
    shutdown_grace = "60s"  # on SIGTERM, running crawls may finish for this long
    misfire_grace = "30m"   # a run that could not start on time still starts within this

    [schedule.sources.kommune21]
    interval = "30m"        # or: cron = "*/30 6-22 * * *" (Europe/Berlin)
    enabled = true

Environment variables override the file: ``KN_SCHEDULE_INTERVAL``, ``KN_SCHEDULE_JITTER``,
``KN_SCHEDULE_TIMEOUT``, ``KN_SCHEDULE_GRACE``, and per source ``KN_SCHEDULE_<SOURCE>`` = a
duration, ``cron:<expression>`` or ``off``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.triggers.cron import CronTrigger

from kn_crawl.dates import BERLIN
from kn_crawl.settings import ConfigError

DEFAULT_CONFIG_FILE = Path("kn-crawl.toml")
_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([smhd])")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")
MAX_DURATION = 366 * 86400.0


def parse_duration(text: str, *, what: str = "duration") -> float:
    """Seconds in ``"45m"``, ``"1h30m"``, ``"0.5s"``, ``"2d"`` or a plain number of seconds."""
    value = str(text).strip().lower()
    # ASCII digits only: float() would also take "inf", "nan" and "٣".
    if _NUMBER.fullmatch(value):
        seconds = float(value)
    else:
        parts = _PART.findall(value)
        if not parts or _PART.sub("", value).strip():
            raise ConfigError(f"{what}: {text!r} is not a duration (e.g. 30m, 1h30m, 45s)")
        seconds = sum(float(n) * _UNITS[unit] for n, unit in parts)
    if seconds <= 0:
        raise ConfigError(f"{what}: {text!r} must be positive")
    if seconds > MAX_DURATION:
        # Timers overflow long before 1e999s; a year is more than any schedule means.
        raise ConfigError(f"{what}: {text!r} is longer than a year")
    return seconds


@dataclass(frozen=True, slots=True)
class SourceSchedule:
    name: str
    interval: float | None
    """Seconds between runs (None when a cron expression is used)."""
    cron: str | None
    jitter: float
    timeout: float
    enabled: bool = True

    @property
    def text(self) -> str:
        """The schedule as ``sources.schedule`` keeps it: ``1800s`` or ``cron:<expression>``."""
        if self.cron is not None:
            return f"cron:{self.cron}"
        assert self.interval is not None
        return f"{self.interval:g}s"


@dataclass(frozen=True, slots=True)
class ScheduleConfig:
    sources: dict[str, SourceSchedule]
    shutdown_grace: float
    misfire_grace: float
    interval: float = 45 * 60.0
    """The default interval (seconds) of a source without a schedule of its own."""
    jitter: float = 300.0
    """Up to this many seconds are added at random to each interval."""
    timeout: float = 30 * 60.0
    """A batch running longer is stopped (its runs: ``timeout``)."""

    def enabled(self) -> list[SourceSchedule]:
        return [s for s in self.sources.values() if s.enabled]


def _cron(expression: str, *, what: str) -> str:
    try:
        CronTrigger.from_crontab(expression, timezone=BERLIN)
    except ValueError as exc:
        raise ConfigError(f"{what}: {expression!r} is not a cron expression ({exc})") from None
    return expression


def parse_schedule(text: str, *, what: str) -> tuple[float | None, str | None]:
    """``(interval, None)`` for a duration (``30m``), ``(None, cron)`` for
    ``cron:<expression>``: the form of ``KN_SCHEDULE_<SOURCE>`` and of a catalogue entry's
    ``schedule``."""
    if text.startswith("cron:"):
        return None, _cron(text[5:].strip(), what=what)
    return parse_duration(text, what=what), None


def load_schedule(
    source_names: Sequence[str] | Mapping[str, str | None],
    *,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
    known: Collection[str] | None = None,
    check_sources: bool = True,
) -> ScheduleConfig:
    """The schedule of ``source_names``: a list of names, or a mapping of each name to its
    default schedule (the catalogue entry's ``schedule``: a duration or ``cron:…``, None
    for the general interval), which the file's per-source table and
    ``KN_SCHEDULE_<SOURCE>`` override. ``known``: every source name the file may mention
    (also disabled ones); default: ``source_names``. ``check_sources=False``: do not refuse
    per-source tables of unknown sources (a crawl process reading only the defaults)."""
    env = os.environ if env is None else env
    file = path or (Path(env["KN_CONFIG_FILE"]) if env.get("KN_CONFIG_FILE") else None)
    data: dict[str, Any] = {}
    if file is not None and not file.exists():
        raise ConfigError(f"configuration file {file} does not exist")
    file = file or (DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.exists() else None)
    if file is not None:
        try:
            data = tomllib.loads(file.read_text()).get("schedule", {})
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: {exc}") from None
    per_source: dict[str, Any] = data.get("sources", {})
    defaults: Mapping[str, str | None] = (
        source_names if isinstance(source_names, Mapping) else dict.fromkeys(source_names)
    )
    unknown = set(per_source) - set(defaults if known is None else known)
    if unknown and check_sources:
        raise ConfigError(f"{file}: unknown sources in [schedule.sources]: {', '.join(unknown)}")

    def setting(key: str, env_key: str, default: str) -> float:
        return parse_duration(env.get(env_key) or str(data.get(key, default)), what=env_key)

    interval = setting("interval", "KN_SCHEDULE_INTERVAL", "45m")
    jitter_default = env.get("KN_SCHEDULE_JITTER") or str(data.get("jitter", "5m"))
    jitter = (
        0.0
        if jitter_default.strip() in ("0", "0s")
        else parse_duration(jitter_default, what="KN_SCHEDULE_JITTER")
    )
    timeout = setting("timeout", "KN_SCHEDULE_TIMEOUT", "30m")
    grace = setting("shutdown_grace", "KN_SCHEDULE_GRACE", "60s")
    misfire = setting("misfire_grace", "KN_SCHEDULE_MISFIRE_GRACE", "30m")

    sources = {}
    for name, default in defaults.items():
        own = per_source.get(name, {})
        what = f"schedule of {name}"
        src_interval: float | None = interval
        cron: str | None = None
        if default:
            src_interval, cron = parse_schedule(default, what=f"{what} in the catalogue")
        if "interval" in own:
            src_interval, cron = parse_duration(own["interval"], what=what), None
        if "cron" in own:
            cron = _cron(own["cron"], what=what)
        enabled = bool(own.get("enabled", True))
        override = env.get(f"KN_SCHEDULE_{name.upper()}")
        if override:
            if override.strip().lower() == "off":
                enabled = False
            else:
                src_interval, cron = parse_schedule(override, what=what)
        if cron is not None:
            src_interval = None
        sources[name] = SourceSchedule(
            name=name,
            interval=src_interval,
            cron=cron,
            jitter=min(jitter, src_interval / 2) if src_interval else jitter,
            timeout=timeout,
            enabled=enabled,
        )
    return ScheduleConfig(
        sources=sources,
        shutdown_grace=grace,
        misfire_grace=misfire,
        interval=interval,
        jitter=jitter,
        timeout=timeout,
    )
