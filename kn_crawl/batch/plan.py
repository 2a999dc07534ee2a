"""Which due sources go into which batch: pure functions, no database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit


def host_of(base_url: str) -> str:
    """The web host of a source's base URL, its unit of politeness: lower case, without port
    or user info (two ports of one machine are one host to be polite to); ``""`` for a URL
    without one."""
    try:
        host = urlsplit(base_url.strip()).hostname
    except ValueError:
        return ""
    return (host or "").rstrip(".").lower()[:255]


@dataclass(frozen=True, slots=True)
class DueSource:
    name: str
    host: str


@dataclass(frozen=True, slots=True)
class Batch:
    sources: tuple[str, ...]
    hosts: tuple[str, ...]
    """The web hosts of its sources, sorted: the batch holds each of them while it crawls."""

    @property
    def key(self) -> str:
        """Stable for the same hosts (a queueing lock): two batches of one host never wait in
        a queue side by side."""
        return "hosts:" + ",".join(self.hosts)


def plan_batches(due: Iterable[DueSource], size: int) -> list[Batch]:
    """Group due sources into batches of about ``size`` sources.

    All sources of one host go into one batch, so one process holds the host and its
    politeness applies across them; a host with more than ``size`` sources gets a batch of its
    own. Hosts are packed in the order their first source was due (the caller sorts by due
    time), so the longest-waiting sources go first.
    """
    if size < 1:
        raise ValueError("batch size must be at least 1")
    by_host: dict[str, list[str]] = {}
    for source in due:
        names = by_host.setdefault(source.host, [])
        if source.name not in names:
            names.append(source.name)
    batches: list[Batch] = []
    current: list[str] = []
    hosts: list[str] = []

    def close() -> None:
        if current:
            batches.append(Batch(tuple(current), tuple(sorted(hosts))))
        current.clear()
        hosts.clear()

    for host, names in by_host.items():
        if current and len(current) + len(names) > size:
            close()
        current.extend(names)
        hosts.append(host)
        if len(current) >= size:
            close()
    close()
    return batches


def batch_of_names(names: Sequence[str], hosts: dict[str, str]) -> Batch:
    """A batch of the given sources (``kn-crawl crawl S1 S2 …``), hosts from ``hosts``."""
    return Batch(tuple(names), tuple(sorted({hosts.get(n, "") for n in names})))
