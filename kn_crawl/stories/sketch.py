"""MinHash sketches and LSH bands of an article's text (datasketch), and the measured
parameters of story clustering. Pure: values in, values out.

The threshold, window and shingle size were chosen on the labelled set of
``bench/bench_stories.py`` (figures in ``bench/README.md``). Changing any of them, or the
number of permutations, changes the stored buckets: run ``kn-crawl stories rebuild``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from datetime import timedelta
from functools import cache
from typing import Literal

import numpy as np
from datasketch import MinHash
from datasketch.lsh import _optimal_param

from kn_crawl.stories.text import shingle_bytes, story_text

NUM_PERM = 128
"""Hash functions per sketch: the estimate's standard error at J=0.5 is ~0.044."""
SEED = 13
SCHEME: Literal["affine32"] = "affine32"
"""datasketch's permutation scheme: 32-bit values, unbiased (the stored sketches' format)."""
THRESHOLD = 0.43
"""Estimated Jaccard similarity (of word 3-gram sets) from which two articles tell one story:
mid-way between the labelled set's closest pair of different stories (exact Jaccard 0.419,
estimated 0.430) and its loosest republication (exact 0.449, estimated 0.453). A thin margin on
a small set: ``bench/README.md`` ("Stories") has the sweep."""
MIN_SHINGLES = 10
"""Fewer word 3-grams than this (a title alone, "Pressemitteilung"; a feed entry without text)
say too little to tell a story apart: such an article is a story of its own and never a
candidate (two bare "Pressemitteilung" titles would otherwise estimate 1.0)."""
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


def sketch(title: str, teaser: str | None, body: str | None) -> tuple[np.ndarray, int]:
    """The sketch of an article (``NUM_PERM`` unsigned 32-bit values) and its number of
    shingles."""
    sigs, counts = sketch_many([(title, teaser, body)])
    return sigs[0], counts[0]


def sketch_many(
    texts: Sequence[tuple[str, str | None, str | None]],
) -> tuple[np.ndarray, list[int]]:
    """The sketches of many articles ((title, teaser, body) each; an n x ``NUM_PERM`` matrix of
    unsigned 32-bit values) and their numbers of shingles.

    The same values as datasketch's ``MinHash(..., scheme="affine32", hashfunc=zlib.crc32)``
    fed each article's shingles (``tests/test_stories_sketch.py`` compares them), computed in
    one numpy pass over the whole batch instead of a MinHash object and half a dozen small
    array operations per article: crc32 (C) as the shingles' input hash, the MurmurHash3
    finalizer, the affine permutations, and a minimum per article (``np.minimum.reduceat``)."""
    a, b = _permutations()
    hashed: list[int] = []
    counts: list[int] = []
    for title, teaser, body in texts:
        grams = shingle_bytes(story_text(title, teaser, body))
        counts.append(len(grams))
        hashed.extend(map(zlib.crc32, grams))
    out = np.full((len(texts), NUM_PERM), _EMPTY, dtype=np.uint32)
    if not hashed:
        return out, counts
    hv = np.array(hashed, dtype=np.uint32)
    hv ^= hv >> np.uint32(16)
    hv *= np.uint32(0x85EBCA6B)
    hv ^= hv >> np.uint32(13)
    hv *= np.uint32(0xC2B2AE35)
    hv ^= hv >> np.uint32(16)
    # Permuted in groups of articles of up to _GROUP shingles: the whole batch's matrix
    # (50 articles, ~15,000 x 128 values) would leave the CPU cache and cost more than the
    # per-article calls it replaces (measured: 0.24 against 0.18 ms per article).
    filled = [n for n, c in enumerate(counts) if c]
    first = 0
    while first < len(filled):
        last, rows = first, 0
        while last < len(filled) and (rows == 0 or rows + counts[filled[last]] <= _GROUP):
            rows += counts[filled[last]]
            last += 1
        group = filled[first:last]
        start = sum(counts[n] for n in filled[:first]) if first else 0
        sizes = [counts[n] for n in group]
        phv = hv[start : start + rows, None] * a[None, :] + b[None, :]  # wraps mod 2^32
        out[group] = np.minimum.reduceat(phv, np.cumsum([0, *sizes[:-1]]), axis=0)
        first = last
    return out, counts


_GROUP = 512
"""Shingles permuted at once (2,048 x 128 values: 1 MB, inside the CPU cache)."""
_EMPTY = np.uint32(2**32 - 1)
"""A sketch's value where no shingle was seen (datasketch's initial value, affine32)."""


def signature(title: str, teaser: str | None, body: str | None) -> np.ndarray:
    """The sketch of an article: ``NUM_PERM`` unsigned 32-bit values."""
    return sketch(title, teaser, body)[0]


def to_bytes(sig: np.ndarray) -> bytes:
    return sig.astype("<u4").tobytes()


def from_bytes(raw: bytes) -> np.ndarray:
    return np.frombuffer(raw, dtype="<u4")


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """The sketches' estimate of the two texts' Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / NUM_PERM


# Per band a different start, per row an odd 64-bit multiplier: ``(h ^ value) * odd`` is a
# bijection of ``value`` for a given ``h``, so two bands collide only by chance (~2^-64).
_BAND_START = (np.arange(1, BANDS + 1, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))[None, :]
_ROW_MULT = np.array(
    [0xFF51AFD7ED558CCD, 0xC4CEB9FE1A85EC53, 0x2545F4914F6CDD1D, 0x94D049BB133111EB][:ROWS],
    dtype=np.uint64,
)


def bucket_matrix(sigs: np.ndarray) -> np.ndarray:
    """One signed 64-bit key per LSH band of each row of ``sigs`` (n x ``NUM_PERM``): the band's
    number and its rows, mixed (so a single indexed column tells which articles share a band).
    Vectorised: 34 keys of 50 articles cost what one Python hash call does."""
    bands = sigs[:, : BANDS * ROWS].astype(np.uint64).reshape(len(sigs), BANDS, ROWS)
    h = np.repeat(_BAND_START, len(sigs), axis=0)
    for r in range(ROWS):
        h = (h ^ bands[:, :, r]) * _ROW_MULT[r]  # wraps modulo 2^64, as meant
    h ^= h >> np.uint64(31)
    return h.view(np.int64)


def buckets(sig: np.ndarray) -> list[int]:
    """The LSH keys of one sketch (see :func:`bucket_matrix`)."""
    return [int(k) for k in bucket_matrix(sig[None, :])[0]]
