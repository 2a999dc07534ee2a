"""Alert commands: subscribe, unsubscribe, subscriptions, alerts match/send/status."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from kn_crawl.cli.common import (
    DB_ID,
    EXIT_FAILURE,
    command_logging,
    fail,
    load_settings,
    local,
    open_engine,
    table,
)


def _now() -> datetime:
    return datetime.now(UTC)


@click.command()
@click.argument("email", required=False, default="")
@click.option(
    "--channel",
    metavar="URL",
    help="Alert a chat or webhook instead of EMAIL: an Apprise URL (json://, ntfy://, "
    "matrixs://, msteams://, slack://, mmost://, rocket://, gotify:// …); '-' reads it from "
    "stdin, keeping its token out of the process list.",
)
@click.option("--tag", "-t", "tags", multiple=True, help="A Stichwort to follow. Repeatable.")
@click.option(
    "--query",
    "-q",
    "queries",
    multiple=True,
    help='Keyword query over title, kicker, teaser: words, "phrases", -exclusions. Repeatable.',
)
@click.option(
    "--source", "-s", "sources", multiple=True, help="Only articles of this source. Repeatable."
)
@click.option("--new-tags", is_flag=True, help="Also tell about Stichwörter never seen before.")
@click.option(
    "--mode",
    type=click.Choice(["immediate", "daily", "weekly"]),
    default="immediate",
    show_default=True,
    help="Right after each crawl, or as a digest.",
)
@click.option(
    "--at", "at", help="Digest time (Berlin), with --mode daily or weekly.  [default: 07:00]"
)
@click.option(
    "--weekday", help="Weekly digest day (mo, di, … so), with --mode weekly.  [default: mo]"
)
def subscribe(
    email: str,
    tags: tuple[str, ...],
    queries: tuple[str, ...],
    sources: tuple[str, ...],
    new_tags: bool,
    mode: str,
    at: str | None,
    weekday: str | None,
    channel: str | None,
) -> None:
    """Alert EMAIL (or a --channel URL) about new articles with given Stichwörter or keywords.

    Any spelling or synonym of a Stichwort matches (E-Government = eGovernment, OZG =
    Onlinezugangsgesetz). With only --source, every new article of those sources is sent.
    Prints the subscription and its unsubscribe token. A channel URL's tokens are never
    shown again (listings mask it).
    """
    from kn_crawl.alerts.render import describe_subscription
    from kn_crawl.alerts.schedule import parse_weekday
    from kn_crawl.alerts.subscriptions import (
        SubscriptionError,
        SubscriptionSpec,
        list_subscriptions,
        shown_recipient,
        validate,
    )
    from kn_crawl.alerts.subscriptions import (
        subscribe as store,
    )
    from kn_crawl.alerts.tokens import load_secret, make_token
    from kn_crawl.sources import canonical_source, source_names

    # A digest time or day the mode ignores was a silent immediate subscription.
    if at is not None and mode == "immediate":
        raise click.UsageError("--at needs --mode daily or --mode weekly")
    if weekday is not None and mode != "weekly":
        raise click.UsageError("--weekday needs --mode weekly")
    day = parse_weekday(weekday or "mo")
    if day is None:
        raise click.BadParameter(f"{weekday!r} is not a weekday (mo … so)", param_hint="--weekday")
    if not email and channel is None:
        fail("give an e-mail address or --channel URL")
    if channel == "-":
        channel = sys.stdin.readline().strip()
    names = source_names(enabled_only=False)
    sources = tuple(canonical_source(s, names) or s for s in sources)
    spec = SubscriptionSpec(
        email, tags, queries, sources, new_tags, mode, at or "07:00", day, channel
    )
    settings = load_settings()
    now = _now()
    try:
        spec = validate(spec, source_names(), now=now)
    except SubscriptionError as exc:
        fail(str(exc))
    engine = open_engine(settings, create=True)
    # Before the write: a bad KN_ALERTS_SECRET once printed "created", then the error, and
    # left the subscription active.
    secret = load_secret(settings)
    done = store(engine, spec, now=now)
    with engine.connect() as conn:
        row = next(r for r in list_subscriptions(conn) if r.id == done.id)
    state = "created" if done.created else "already exists"
    click.echo(
        f"Subscription {done.id} for {shown_recipient(row)} {state}: {describe_subscription(row)}"
    )
    token = make_token(secret, [done.id], row.email)
    click.echo(f"Unsubscribe with: kn-crawl unsubscribe --token {token}")


@click.command()
@click.argument("ids", nargs=-1, type=DB_ID)
@click.option("--token", help="The token from an alert e-mail (works without the address).")
def unsubscribe(ids: tuple[int, ...], token: str | None) -> None:
    """End subscriptions IDS, or the ones an e-mail's --token names. Needs no network."""
    from kn_crawl.alerts.subscriptions import (
        SubscriptionError,
        list_subscriptions,
        unsubscribe_with_token,
    )
    from kn_crawl.alerts.subscriptions import (
        unsubscribe as end,
    )
    from kn_crawl.alerts.tokens import load_secret

    if bool(ids) == bool(token):
        fail("give subscription IDS or --token, not both and not neither")
    settings = load_settings()
    engine = open_engine(settings)
    if token:
        try:
            ended = unsubscribe_with_token(engine, load_secret(settings), token, now=_now())
        except SubscriptionError as exc:
            fail(str(exc))
        click.echo(f"Unsubscribed: {', '.join(map(str, ended))}")
        return
    with engine.connect() as conn:
        known = {r.id: r.active for r in list_subscriptions(conn, include_inactive=True)}
    wanted = list(dict.fromkeys(ids))
    active = [i for i in wanted if known.get(i)]
    end(engine, active, now=_now())
    if active:
        click.echo(f"Unsubscribed {', '.join(map(str, active))}")
    inactive = [str(i) for i in wanted if known.get(i) is False]
    unknown = [str(i) for i in wanted if i not in known]
    if inactive:
        click.echo(f"kn-crawl: already ended: {', '.join(inactive)}", err=True)
    if unknown:
        click.echo(f"kn-crawl: no such subscription: {', '.join(unknown)}", err=True)
    if inactive or unknown:
        sys.exit(EXIT_FAILURE)


@click.command()
@click.option("--all", "show_all", is_flag=True, help="Include ended subscriptions.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def subscriptions(show_all: bool, as_json: bool) -> None:
    """List the alert subscriptions."""
    from kn_crawl.alerts.channels import mask
    from kn_crawl.alerts.render import describe_subscription
    from kn_crawl.alerts.subscriptions import list_subscriptions, shown_recipient, state

    with open_engine(load_settings()).connect() as conn:
        rows = list_subscriptions(conn, include_inactive=show_all)
    if as_json:
        for r in rows:
            data = {k: v for k, v in r._mapping.items()}
            for key in ("created_at", "unsubscribed_at", "confirmed_at", "paused_at"):
                data[key] = data[key].isoformat() if data[key] else None
            data["state"] = state(r)
            data["channel"] = mask(data["channel"]) if data["channel"] else None
            click.echo(json.dumps(data, ensure_ascii=False))
        return
    click.echo(
        table(
            [
                (r.id, shown_recipient(r), state(r), r.origin, describe_subscription(r))
                for r in rows
            ],
            ["id", "email", "state", "origin", "follows"],
        )
    )


@click.group()
def alerts() -> None:
    """Alert matching and delivery (also run after each scheduled crawl)."""


@alerts.command("match")
@click.option(
    "--include-backfill",
    is_flag=True,
    help="Also alert articles of a source's first crawl (held back otherwise).",
)
def alerts_match(include_backfill: bool) -> None:
    """Queue alerts for the articles and Stichwörter not matched yet. Safe to re-run."""
    from kn_crawl.alerts.matching import match
    from kn_crawl.alerts.vocabulary import load_vocabulary

    settings = load_settings()
    command_logging(settings)
    result = match(
        open_engine(settings),
        now=_now(),
        vocabulary=load_vocabulary(settings.tag_aliases_file),
        include_backfill=include_backfill,
    )
    click.echo(
        f"Looked at {result.articles} articles and {result.tags} Stichwörter "
        f"({result.held_back} held back as first-crawl backfill, {result.new_tags} new "
        f"Stichwörter); queued {result.queued} alerts in {result.emails} new messages."
    )


@alerts.command("send")
@click.option(
    "--dry-run",
    "dry_run",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write the due messages into this folder instead (e-mails as .eml, channel messages "
    "as .txt); changes nothing.",
)
@click.option(
    "--retry-now", is_flag=True, help="Do not wait for the retry backoff (also with --dry-run)."
)
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
def alerts_send(dry_run: Path | None, retry_now: bool, limit: int) -> None:
    """Send the due alert messages: e-mails over SMTP, channel messages through their channels.

    The server comes from KN_SMTP_* (see the README); --dry-run writes .eml files (and .txt
    files for channel messages) instead.
    """
    from kn_crawl.alerts.delivery import send_due, write_dry_run

    settings = load_settings()
    command_logging(settings)
    engine = open_engine(settings)
    if dry_run is not None:
        try:
            paths = write_dry_run(engine, settings, dry_run, now=_now(), retry_now=retry_now)
        except OSError as exc:
            fail(f"cannot write to {dry_run}: {exc.strerror}", EXIT_FAILURE)
        emails = sum(p.suffix == ".eml" for p in paths)
        click.echo(
            f"Wrote {len(paths)} messages to {dry_run} "
            f"({emails} e-mails, {len(paths) - emails} channel messages)"
        )
        return
    # Channel messages need no SMTP server: without one, only they go.
    result = send_due(engine, settings, now=_now(), retry_now=retry_now, limit=limit)
    click.echo(f"Sent {result.sent}, to retry {result.retry}, failed {result.failed}")
    for error in result.errors:
        click.echo(f"  {error}", err=True)
    if not settings.smtp.host:
        from kn_crawl.alerts.outbox import due_ids

        with engine.connect() as conn:
            waiting = len(due_ids(conn, now=_now(), emails_only=True))
        if waiting:
            fail(f"no SMTP server configured (set KN_SMTP_HOST): {waiting} e-mails stay queued "
                 "(--dry-run DIR writes them)")  # fmt: skip
    if result.retry or result.failed:
        sys.exit(EXIT_FAILURE)


@alerts.command("status")
def alerts_status() -> None:
    """The outbox: messages (e-mails and channel messages) by state, retries ahead, and
    permanent failures with the server's answer."""
    from kn_crawl.alerts.outbox import status

    with open_engine(load_settings()).connect() as conn:
        st = status(conn, now=_now())
    counts = st.emails
    click.echo(
        f"Messages: {counts.get('sent', 0)} sent, {counts.get('due', 0)} due now, "
        f"{counts.get('waiting', 0)} waiting (digest time or retry), "
        f"{counts.get('failed', 0)} failed; {st.entries} alerts queued in total"
        + (f"; {counts['written']} written by the demo (not sent)" if counts.get("written") else "")
    )
    if st.next_due:
        click.echo(f"Next due: {local(st.next_due)}")
    for title, rows in (("Retrying", st.retrying), ("Failed", st.failed)):
        if rows:
            click.echo(f"\n{title}:")
            click.echo(
                table(
                    [
                        (
                            r.id,
                            r.recipient,
                            r.mode,
                            r.attempts,
                            local(r.next_attempt_at),
                            " ".join((r.last_error or "").split()),
                        )
                        for r in rows
                    ],
                    ["id", "recipient", "mode", "attempts", "next attempt", "last error"],
                )
            )
