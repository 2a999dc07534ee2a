"""MinHash sketches and LSH bands of an article's text (datasketch), and the measured
parameters of story clustering. Pure: values in, values out.

The threshold, window and shingle size were chosen on the labelled set of
``bench/bench_stories.py`` (figures in ``bench/README.md``). Changing any of them, or the
number of permutations, changes the stored buckets: run ``kn-crawl stories rebuild``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from functools import cache
from typing import Literal

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from kn_crawl.stories.text import shingles, story_text

NUM_PERM = 128
"""Hash functions per sketch: the estimate's standard error at J=0.5 is ~0.044."""
SEED = 13
SCHEME: Literal["affine32"] = "affine32"
"""datasketch's permutation scheme: 32-bit values, unbiased (the stored sketches' format)."""
THRESHOLD = 0.43
"""Estimated Jaccard similarity (of word 3-gram sets) from which two articles tell one story:
mid-way between the labelled set's closest pair of different stories (0.419 exact, 0.414
estimated) and its loosest republication (0.449 exact, 0.469 estimated)."""
WINDOW = timedelta(days=14)
"""How far apart in publication two articles of one story may be, and how far from its
story's first publication an article may join (so a story cannot chain on forever)."""


def _bands_rows() -> tuple[int, int]:
    # datasketch's own choice for the threshold: the (bands, rows) that minimise the weighted
    # false-positive and false-negative probability mass around it. Weighted towards recall:
    # every candidate is verified by its estimate, so a false candidate costs a comparison,
    # a missed one a story (equal weights, 26 x 4, miss 40 % of pairs at the threshold).
    bands, rows = _optimal_param(THRESHOLD, NUM_PERM, 0.1, 0.9)
    return int(bands), int(rows)


BANDS, ROWS = _bands_rows()


@cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    # Made once: MinHash would otherwise draw its 2 x NUM_PERM random parameters per article.
    perms: tuple[np.ndarray, np.ndarray] = MinHash(
        num_perm=NUM_PERM, seed=SEED, scheme=SCHEME
    ).permutations
    return perms


def signature(title: str, teaser: str | None, body: str | None) -> np.ndarray:
    """The sketch of an article: ``NUM_PERM`` unsigned 32-bit values."""
    m = MinHash(num_perm=NUM_PERM, seed=SEED, permutations=_permutations(), scheme=SCHEME)
    grams = shingles(story_text(title, teaser, body))
    if grams:
        m.update_batch([g.encode("utf-8") for g in grams])
    return m.hashvalues.astype("<u4")


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The sketches' estimate of the two texts' Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


def buckets(sig: np.ndarray) -> list[int]:
    """One signed 64-bit key per LSH band: the band's number and its rows, hashed (so a single
    indexed column tells which articles share a band)."""
    raw = sig.astype("<u4").tobytes()
    width = ROWS * 4
    return [
        int.from_bytes(
            hashlib.blake2b(
                bytes([band]) + raw[band * width : (band + 1) * width], digest_size=8
            ).digest(),
            "little",
            signed=True,
        )
        for band in range(BANDS)
    ]
