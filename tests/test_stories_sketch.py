"""The store's batch sketching gives exactly datasketch's MinHash values (the stored sketches'
format): the same 128 values for every article, also for a text without shingles."""

from __future__ import annotations

import zlib

import numpy as np
from datasketch import MinHash

from kn_crawl.mirror.story_pairs import labelled_pairs
from kn_crawl.stories.sketch import NUM_PERM, SCHEME, SEED, sketch, sketch_many
from kn_crawl.stories.text import shingles, story_text


def reference(title: str, teaser: str | None, body: str | None) -> np.ndarray:
    m = MinHash(num_perm=NUM_PERM, seed=SEED, scheme=SCHEME, hashfunc=zlib.crc32)
    m.update_batch([g.encode("utf-8") for g in shingles(story_text(title, teaser, body))])
    return m.hashvalues.astype("<u4")


def test_batch_sketches_are_datasketchs_minhash_values() -> None:
    sides = {id(s): s for p in labelled_pairs() for s in (p.a, p.b)}
    texts = [(s.title, s.teaser, s.body) for s in sides.values()]
    # Hostile and empty ones among them: no words at all, punctuation only, non-Latin, emoji.
    texts[3:3] = [("", None, None), ("!!! — ???", "", None), ("Ärger über Δ 🚀 ǅ", None, "x y")]
    sigs, counts = sketch_many(texts)
    assert sigs.shape == (len(texts), NUM_PERM)
    assert sigs.dtype == np.uint32
    for n, (title, teaser, body) in enumerate(texts):
        assert np.array_equal(sigs[n], reference(title, teaser, body)), n
        assert counts[n] == len(shingles(story_text(title, teaser, body)))
    assert counts[3:6] == [0, 0, 4]  # ärger über δ ǆ x y: four 3-grams
    one, count = sketch(*texts[0])
    assert np.array_equal(one, sigs[0]) and count == counts[0]


def test_no_articles_no_sketches() -> None:
    sigs, counts = sketch_many([])
    assert sigs.shape == (0, NUM_PERM) and counts == []
