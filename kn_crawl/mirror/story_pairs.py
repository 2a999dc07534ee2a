"""The labelled set of story clustering: pairs of articles that tell the same story or not.

Two parts:

- the zoo's ground truth (``kn_crawl.mirror.zoo.planted``): every pair of copies of a planted
  press release is "same"; every other pair of articles of two different zoo sites published
  within the clustering window is "not same" — among them the planted look-alikes (a rewrite of
  the same topic, follow-ups days later) next to the releases they resemble;
- hand-made German pairs (``data/story_pairs.json``): republications shortened, reordered,
  lightly edited or with a sentence added, and hard negatives (the same actors and numbers,
  other news).

``bench/bench_stories.py`` measures precision and recall on it; a test pins them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from itertools import combinations
from pathlib import Path

import numpy as np

from kn_crawl.mirror.zoo import ZOO_SOURCES, build_site
from kn_crawl.mirror.zoo.planted import SAME_STORIES
from kn_crawl.stories import sketch
from kn_crawl.stories.sketch import WINDOW

PAIRS_FILE = Path(__file__).parent / "data" / "story_pairs.json"


@dataclass(frozen=True, slots=True)
class Side:
    source: str
    title: str
    teaser: str | None
    body: str | None
    published: datetime


@dataclass(frozen=True, slots=True)
class Pair:
    name: str
    same: bool
    kind: str
    """``planted`` (copies of one release), ``look-alike`` (a planted look-alike or another
    release next to a release), ``zoo`` (two generated articles) or ``hand``."""
    a: Side
    b: Side


def zoo_pairs(seed: int = 21) -> list[Pair]:
    sides: list[tuple[str | None, str, Side]] = []  # (planted key, name, side)
    for source in ZOO_SOURCES:
        for art in build_site(source, seed=seed).articles:
            if not art.dated:
                continue
            side = Side(source, art.title, art.teaser, "\n\n".join(art.body), art.published)
            sides.append((art.story, f"{source}/{art.slug}", side))
    pairs: list[Pair] = []
    for (key_a, name_a, a), (key_b, name_b, b) in combinations(sides, 2):
        if a.source == b.source or abs(a.published - b.published) > WINDOW:
            continue
        same = key_a is not None and key_a == key_b and key_a in SAME_STORIES
        if same:
            kind = "planted"
        elif key_a is not None or key_b is not None:
            kind = "look-alike"
        else:
            kind = "zoo"
        pairs.append(Pair(f"{name_a} ~ {name_b}", same, kind, a, b))
    return pairs


def hand_pairs(path: Path = PAIRS_FILE) -> list[Pair]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return [
        Pair(p["name"], bool(p["same"]), "hand", _side(p["a"]), _side(p["b"])) for p in raw["pairs"]
    ]


def _side(raw: dict[str, str]) -> Side:
    return Side(
        "hand",
        raw["title"],
        raw.get("teaser"),
        raw.get("body"),
        datetime.fromisoformat(raw["published"]),
    )


def labelled_pairs(seed: int = 21) -> list[Pair]:
    return [*zoo_pairs(seed), *hand_pairs()]


@dataclass(frozen=True, slots=True)
class Verdicts:
    """The labelled set judged as the store judges: a shared LSH bucket, then the estimate."""

    true_same: int
    false_same: int
    missed: int
    true_other: int
    wrong: tuple[str, ...]
    """Names of the pairs judged wrongly."""

    @property
    def precision(self) -> float:
        judged = self.true_same + self.false_same
        return self.true_same / judged if judged else 1.0

    @property
    def recall(self) -> float:
        same = self.true_same + self.missed
        return self.true_same / same if same else 1.0


def judge(pairs: list[Pair]) -> Verdicts:
    sigs: dict[int, np.ndarray] = {}

    def sig(side: Side) -> np.ndarray:
        if id(side) not in sigs:
            sigs[id(side)] = sketch.signature(side.title, side.teaser, side.body)
        return sigs[id(side)]

    counts = {(True, True): 0, (False, True): 0, (True, False): 0, (False, False): 0}
    wrong = []
    for p in pairs:
        a, b = sig(p.a), sig(p.b)
        said = bool(set(sketch.buckets(a)) & set(sketch.buckets(b))) and (
            sketch.similarity(a, b) >= sketch.THRESHOLD
        )
        counts[(p.same, said)] += 1
        if said != p.same:
            wrong.append(p.name)
    return Verdicts(
        counts[(True, True)],
        counts[(False, True)],
        counts[(True, False)],
        counts[(False, False)],
        tuple(wrong),
    )
