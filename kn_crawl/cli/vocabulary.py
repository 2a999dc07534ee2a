"""The vocabulary: try it on a text, apply it again to stored articles."""

from __future__ import annotations

import difflib
import json
from collections import Counter
from datetime import UTC, datetime

import click
from sqlalchemy import Engine, select

from kn_crawl.cli.common import check_vocabulary, fail, load_settings, open_engine, table


@click.group()
def vocabulary() -> None:
    """The vocabulary of Stichwörter for articles (see the README, "Vocabulary")."""


@vocabulary.command("match")
@click.argument("text")
@click.option("--body", "as_body", is_flag=True, help="Read TEXT as a body: a term counts "
              "only when named twice (once in a short body), as in a crawl.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="One JSON object per Stichwort.")
def vocabulary_match(text: str, as_body: bool, as_json: bool) -> None:
    """Which Stichwörter the vocabulary gives TEXT, read as an article's title (every mention
    counts) or, with --body, as its body."""
    from kn_crawl.vocabulary import load_matcher
    from kn_crawl.vocabulary.matching import SHORT_BODY, choose

    settings = load_settings()
    check_vocabulary(settings)
    terms = load_matcher(settings.vocabulary_file).mentions(text)  # matched once
    mentions = Counter(t.name for t in terms)
    kinds = {t.name: t.kind for t in terms}
    names = choose([(terms, not as_body)], short_body=not as_body or len(text) < SHORT_BODY)
    if as_json:
        for name in names:
            row = {"tag": name, "kind": kinds[name], "mentions": mentions[name]}
            click.echo(json.dumps(row, ensure_ascii=False))
        return
    if not names:
        click.echo("no Stichwort")
        return
    click.echo(
        table([(n, kinds[n], mentions[n]) for n in names], ["Stichwort", "kind", "mentions"])
    )


@vocabulary.command("apply")
@click.option("--source", help="Only the articles of this source.")
def vocabulary_apply(source: str | None) -> None:
    """Apply the vocabulary again to every stored article: after KN_VOCABULARY_FILE or
    kn-crawl's vocabulary changed, or for articles stored before it existed. Only the
    vocabulary's Stichwörter change; the sources' stay, and no revision is written."""
    from kn_crawl.db.retag import reapply_vocabulary
    from kn_crawl.vocabulary import load_matcher

    settings = load_settings()
    check_vocabulary(settings)
    engine = open_engine(settings)
    if source is not None:
        check_source(engine, source)
    counts = reapply_vocabulary(
        engine, load_matcher(settings.vocabulary_file), now=datetime.now(UTC), source=source
    )
    click.echo(
        f"{counts.articles} articles looked at, {counts.changed} changed: "
        f"{counts.added} Stichwörter added, {counts.removed} removed"
    )


def check_source(engine: Engine, name: str) -> None:
    """An unknown ``--source`` fails as in the other commands, with a did-you-mean over the
    stored and the catalogue's sources (a catalogue source without articles is no error)."""
    from kn_crawl.db.models import Source
    from kn_crawl.sources import source_names

    with engine.connect() as conn:
        stored = set(conn.execute(select(Source.name)).scalars())
    known = stored | set(source_names(enabled_only=False))
    if name in known:
        return
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    fail(f"unknown source {name!r} ({hint}kn-crawl sources lists all {len(known)})")
