"""The vocabulary: try it on a text, apply it again to stored articles."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime

import click

from kn_crawl.cli.common import check_vocabulary, load_settings, open_engine, table


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

    settings = load_settings()
    check_vocabulary(settings)
    matcher = load_matcher(settings.vocabulary_file)
    mentions = Counter(t.name for t in matcher.mentions(text))
    kinds = {t.name: t.kind for t in matcher.mentions(text)}
    names = matcher.tags(None, None, text) if as_body else matcher.tags(text, None, None)
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
    counts = reapply_vocabulary(
        engine, load_matcher(settings.vocabulary_file), now=datetime.now(UTC), source=source
    )
    click.echo(
        f"{counts.articles} articles looked at, {counts.changed} changed: "
        f"{counts.added} Stichwörter added, {counts.removed} removed"
    )
