"""Sparse TF-IDF features: word uni/bigrams, word-boundary char n-grams, marker tokens.

Char n-grams make the model tolerant of typos and SMS spellings it never saw;
word n-grams carry the meaning. Each block is L2-normalised on its own so that
the many char n-grams do not drown the few words.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

CHAR_MIN, CHAR_MAX = 3, 5
# Share of the vector norm carried by word features (the rest by char n-grams).
WORD_SHARE = 0.65
_WORD_CACHE_SIZE = 20000


def word_features(words: list[str], markers: list[str]) -> list[str]:
    padded = ["<s>", *words, "</s>"]
    feats = [f"w:{w}" for w in words]
    feats.extend(f"b:{a} {b}" for a, b in zip(padded, padded[1:]))
    feats.extend(f"m:{m}" for m in markers)
    return feats


def char_ngrams(word: str) -> list[str]:
    padded = f" {word} "
    grams = []
    for n in range(CHAR_MIN, CHAR_MAX + 1):
        grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


@dataclass
class Featurizer:
    word_index: dict[str, int]
    char_index: dict[str, int]
    idf: np.ndarray  # float32, one per feature (word block first, then char block)

    @property
    def size(self) -> int:
        return len(self.word_index) + len(self.char_index)

    @classmethod
    def fit(cls, docs: list[tuple[list[str], list[str]]]) -> Featurizer:
        """``docs``: (normalised words, marker tokens) per training example."""
        word_df: dict[str, int] = {}
        char_df: dict[str, int] = {}
        for words, markers in docs:
            for f in set(word_features(words, markers)):
                word_df[f] = word_df.get(f, 0) + 1
            grams = {g for w in words for g in char_ngrams(w)}
            for g in grams:
                char_df[g] = char_df.get(g, 0) + 1
        word_index = {f: i for i, f in enumerate(sorted(word_df))}
        offset = len(word_index)
        char_index = {g: offset + i for i, g in enumerate(sorted(char_df))}
        n = len(docs)
        idf = np.empty(offset + len(char_index), dtype=np.float32)
        for f, i in word_index.items():
            idf[i] = math.log((1 + n) / (1 + word_df[f])) + 1.0
        for g, i in char_index.items():
            idf[i] = math.log((1 + n) / (1 + char_df[g])) + 1.0
        return cls(word_index, char_index, idf)

    def __post_init__(self) -> None:
        self._word_cache: dict[str, list[int]] = {}

    def _char_ids(self, word: str) -> list[int]:
        ids = self._word_cache.get(word)
        if ids is None:
            index = self.char_index
            ids = [index[g] for g in char_ngrams(word) if g in index]
            if len(self._word_cache) >= _WORD_CACHE_SIZE:
                self._word_cache.clear()
            self._word_cache[word] = ids
        return ids

    def transform(self, words: list[str], markers: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(feature indices, weights) of one message; unseen features are dropped."""
        counts: dict[int, int] = {}
        index = self.word_index
        for f in word_features(words, markers):
            i = index.get(f)
            if i is not None:
                counts[i] = counts.get(i, 0) + 1
        n_word = len(counts)
        for w in words:
            for i in self._char_ids(w):
                counts[i] = counts.get(i, 0) + 1
        if not counts:
            return np.empty(0, dtype=np.int32), np.empty(0, dtype=np.float32)
        ids = np.fromiter(counts.keys(), dtype=np.int32, count=len(counts))
        tf = np.fromiter(counts.values(), dtype=np.float32, count=len(counts))
        values = (1.0 + np.log(tf)) * self.idf[ids]
        # Block-wise L2 norm: dict order keeps word features first.
        for block, share in ((slice(0, n_word), WORD_SHARE), (slice(n_word, None), 1.0 - WORD_SHARE)):
            norm = float(np.sqrt(np.dot(values[block], values[block])))
            if norm > 0:
                values[block] *= math.sqrt(share) / norm
        return ids, values
