"""Where log lines go, and in which form: one set-up for every command and process.

* Form: ``KN_LOG_FORMAT=text`` (Scrapy's line: time, [logger], level, message) or ``json``
  (one object per line: ``time``, ``level``, ``logger``, ``message``, plus ``source`` and
  ``run`` when the line is about a crawl run, ``exception`` for a traceback). The JSON
  formatter is these few lines rather than python-json-logger: the fields we add come from
  Scrapy's ``spider`` record attribute and our run context, which a generic formatter would
  not know either, and the redaction below must wrap it in any case.
* Place: ``KN_LOG_FILE``. A crawl (``crawl``, ``demo``) keeps the terminal for its progress
  and summary: its log lines (Scrapy's start-up dump, INFO lines) go to the file
  (``DATA_DIR/kn-crawl.log`` by default) and only warnings and errors also to the terminal;
  ``--verbose`` (or ``KN_LOG_FILE=-``) puts everything on the terminal. Other commands log
  to the terminal unless ``KN_LOG_FILE`` names a file. Crawl child processes (side-by-side
  crawls, the scheduler's batches) set up the same from the same settings.
* Secrets: every line passes ``redact_secrets`` (database password, SMTP password, alerts
  key), whatever a driver or server put into it.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from kn_crawl.settings import Settings, redact_secrets

TEXT_FORMAT = "%(asctime)s [%(name)s] %(levelname)s: %(message)s"
TERMINAL = "-"
LOG_FILE_NAME = "kn-crawl.log"


class _Redact(logging.Filter):
    """Secrets out of the message and its arguments, once formatted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_secrets(message, os.environ)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        source, run = _crawl_of(record)
        if source:
            data["source"] = source
        if run is not None:
            data["run"] = run
        if record.exc_info:
            data["exception"] = redact_secrets(self.formatException(record.exc_info), os.environ)
        return json.dumps(data, ensure_ascii=False)


def _crawl_of(record: logging.LogRecord) -> tuple[str | None, int | None]:
    """The source and crawl run a record is about: ``extra={"source": …, "run": …}``, or
    Scrapy's ``spider`` attribute (its name is the source; its crawler knows the run)."""
    source = getattr(record, "source", None)
    run = getattr(record, "run", None)
    spider = getattr(record, "spider", None)
    if spider is not None:
        source = source or getattr(spider, "name", None)
        crawler = getattr(spider, "crawler", None)
        if run is None and crawler is not None:
            from kn_crawl.crawling.run import run_of

            context = run_of(crawler)
            run = context.run_id if context is not None else None
    return (str(source) if source else None), (int(run) if run is not None else None)


def _formatter(log_format: str) -> logging.Formatter:
    if log_format == "json":
        return JsonFormatter()
    return logging.Formatter(TEXT_FORMAT, datefmt="%Y-%m-%d %H:%M:%S")


def crawl_log_file(settings: Settings) -> Path | None:
    """Where a crawl's log lines go: ``KN_LOG_FILE``, by default ``DATA_DIR/kn-crawl.log``;
    None for the terminal (``KN_LOG_FILE=-``)."""
    if settings.log_file == TERMINAL:
        return None
    return Path(settings.log_file) if settings.log_file else settings.data_dir / LOG_FILE_NAME


def setup_logging(settings: Settings, *, log_file: Path | None = None) -> None:
    """Send log records to the terminal (stderr) at ``KN_LOG_LEVEL``, or, with ``log_file``,
    to that file at ``KN_LOG_LEVEL`` and warnings and errors also to the terminal. Replaces
    what an earlier call installed; OSError when the file cannot be opened."""
    level = logging.getLevelName(settings.log_level)
    formatter = _formatter(settings.log_format)
    handlers: list[logging.Handler] = []
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        to_file = logging.FileHandler(log_file, encoding="utf-8")
        to_file.setLevel(level)
        handlers.append(to_file)
    terminal = logging.StreamHandler(sys.stderr)
    terminal.setLevel(max(level, logging.WARNING) if log_file is not None else level)
    handlers.append(terminal)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "kn_crawl", False)]:
        root.removeHandler(old)
        old.close()
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(_Redact())
        handler.kn_crawl = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("alembic").setLevel(max(level, logging.WARNING))


def setup_command_logging(settings: Settings) -> None:
    """A service's or an alert command's log (``schedule``, ``worker``, ``alerts``): the
    terminal at ``KN_LOG_LEVEL``, or the file ``KN_LOG_FILE`` names (warnings also on the
    terminal). OSError when that file cannot be opened."""
    file = Path(settings.log_file) if settings.log_file not in ("", TERMINAL) else None
    setup_logging(settings, log_file=file)


def is_set_up() -> bool:
    return any(getattr(h, "kn_crawl", False) for h in logging.getLogger().handlers)


def setup_crawl_logging(settings: Settings) -> None:
    """In a crawl process that has not set up logging yet (a child of a crawl or of the
    scheduler): the same place and form as its parent, from the same settings."""
    if is_set_up():
        return
    file = Path(settings.log_file) if settings.log_file not in ("", TERMINAL) else None
    try:
        setup_logging(settings, log_file=file)
    except OSError:
        setup_logging(settings)  # the parent checked the file; never lose the lines
