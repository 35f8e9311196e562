"""The sparse ranker: BM25 (bm25s) over each entry's whole text, Snowball-stemmed.

An entry is one BM25 document (aliases and taxonomy names included), so entry ``i`` of
the index is record ``i``. Tokenising lives here too: the index is built and queried
with the same stemmer and stopwords, or words would not meet.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
import numpy.typing as npt

# BM25's term-frequency saturation and length normalisation. k1 1.2 is the textbook value
# (Robertson; Lucene's default), not bm25s's 1.5. Measured with `kb eval` on
# tests/eval/queries.yaml (91 case studies, 117 queries): hybrid plain hit@3 / MRR
# 0.967 / 0.925 at k1 1.5, 0.983 / 0.935 at any k1 from 1.0 to 1.3, and the hard kinds
# 0.940 MRR at 1.5, 0.935-0.944 over that range; b 0.75 (both libraries' default) did as
# well as 0.8 and better than 0.5-0.7. `kb eval --variants` scores bm25s's 1.5 beside it.
K1 = 1.2
B = 0.75
# Candidates passed to fusion. All of them below this many entries (every real
# collection so far); past it, only the best, so a query stays fast at 100k entries.
BM25_CANDIDATES = 1000


@functools.cache
def stemmer() -> Any:
    """One English Snowball stemmer: the evaluation found stemming helps BM25 here."""
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> Any:
    """Stemmed, stopword-free tokens for indexing (a bm25s.Tokenized)."""
    import bm25s

    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer(), show_progress=False)


def build(texts: list[str], k1: float = K1) -> Any:
    """A bm25s index of ``texts`` (a bm25s.BM25), entry ``i`` being ``texts[i]``."""
    import bm25s

    retriever = bm25s.BM25(k1=k1, b=B)
    retriever.index(tokenize(texts), show_progress=False)
    return retriever


def query_tokens(text: str) -> list[str]:
    """The query's stemmed words, as the index knows them."""
    import bm25s

    tokens: list[str] = bm25s.tokenize([text], stopwords="en", stemmer=stemmer(), return_ids=False, show_progress=False)[0]
    return tokens


class Bm25Ranker:
    """Scores entries for a query's stemmed words."""

    def __init__(self, retriever: Any):  # a loaded bm25s.BM25
        self.retriever = retriever

    def scores(self, terms: list[str], allowed: npt.NDArray[np.int64], limit: int = BM25_CANDIDATES) -> dict[int, float]:
        """Entry → BM25 score for the best ``limit`` allowed entries with any query word."""
        tokens = [t for t in terms if t in self.retriever.vocab_dict]  # bm25s rejects unknown words
        if not tokens or len(allowed) == 0:
            return {}
        scores = self.retriever.get_scores(tokens)[allowed]
        hits = np.flatnonzero(scores > 0)
        if len(hits) > limit:
            hits = hits[np.argpartition(-scores[hits], limit)[:limit]]
        return dict(zip(allowed[hits].tolist(), scores[hits].tolist(), strict=True))  # plain ints and floats, made in C
