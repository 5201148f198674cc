"""French lexical index: normalisation (accents, elisions, apostrophes, numbers), stop-words, Snowball stemming, BM25."""

from __future__ import annotations

import os
import re
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np
import Stemmer

# Function words and words present in nearly every passage of this corpus (they carry no signal here).
STOPWORDS = frozenset(
    """
    a ai aie ait as au aux avec c ce ceci cela celle celles celui ces cet cette ceux chaque comme d dans de des du
    elle elles en entre est et etc eu eux il ils j je l la le les leur leurs lui m ma mais me meme memes mes moi mon
    n ne ni nos notre nous o on ont ou par pas peu plus pour qu quand que quel quelle quelles quels qui s sa sans se
    ses si son sont sur t ta te tes toi ton tous tout toute toutes tu un une vos votre vous y ete etre avoir fait
    faire peut peuvent doit doivent ainsi afin dont lors cas tres bien aussi alors donc car or leur puis
    quoi est-ce estce quoi comment combien pourquoi
    """.split()
)

_ELISION = re.compile(r"\b(?:l|d|j|m|n|s|t|c|qu|jusqu|lorsqu|puisqu|quoiqu)['’`](?=\w)", re.IGNORECASE)
_THOUSANDS = re.compile(r"(?<=\d)[\s\u00a0\u202f.](?=\d{3}\b)")
_TOKEN = re.compile(r"[a-z0-9]+(?:\+)?")
_stemmer = Stemmer.Stemmer("french")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalise(text: str) -> str:
    """Lower-case, accent-free, elisions removed, '1 000' -> '1000', 'œ' -> 'oe'."""
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae")
    text = _ELISION.sub(" ", text)
    text = _THOUSANDS.sub("", text)
    return strip_accents(text).lower()


_MARKUP = re.compile(r"<[^>]+>|\*")
_JOINERS = re.compile(r"['’`´\-‐–]")


def fold(text: str, spaces: bool = True) -> str:
    """The one normalisation for matching text against text (keywords, facts, aliases): lower case, accents and
    markup (HTML tags, `*`) removed, œ -> oe, apostrophes and hyphens as spaces, whitespace collapsed — or, with
    `spaces=False`, removed (for substring tests that must ignore how a PDF broke its lines)."""
    text = _MARKUP.sub("", (text or "").replace("œ", "oe").replace("Œ", "OE"))
    text = _JOINERS.sub(" ", strip_accents(text).lower())
    return " ".join(text.split()) if spaces else "".join(text.split())


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer.stemWord(word)


def analyse(text: str) -> list[str]:
    """Tokens for BM25: normalised, stop-words removed, stemmed. 'FSE+' stays distinct from 'FSE'."""
    tokens = []
    for token in _TOKEN.findall(normalise(text)):
        if token in STOPWORDS or (len(token) == 1 and not token.isdigit()):
            continue
        tokens.append(token if token.endswith("+") or token.isdigit() else _stem(token))
    return tokens


@lru_cache(maxsize=100_000)
def terms(text: str) -> frozenset[str]:
    """The set of analysed tokens of a text, cached: passages and their sentences are matched against every question."""
    return frozenset(analyse(text))


class BM25:
    """Okapi BM25 over pre-analysed documents, postings in flat numpy arrays.

    The arrays (terms, postings offsets, document indices, term frequencies, document lengths) are what a build
    saves (`save`) and what every serving worker maps from disk (`load`): nothing is re-analysed at load, and the
    pages are shared between the processes that read them. Scores are summed term by term in sorted term order,
    so a query scores the same, bit for bit, in every process.
    """

    FILES = ("terms.npy", "offsets.npy", "docs.npy", "tfs.npy", "lengths.npy", "params.npy")

    def __init__(self, documents: list[list[str]] | None = None, k1: float = 1.2, b: float = 0.75, *, arrays=None):
        if arrays is None:
            arrays = self._index(documents or [])
        terms, self.offsets, self.docs, self.tfs, lengths = arrays
        self.k1, self.b = float(k1), float(b)
        self.terms = [str(t) for t in terms]
        self._term_index = {t: i for i, t in enumerate(self.terms)}
        self.lengths = np.asarray(lengths, dtype=np.float64)
        self.n = int(len(self.lengths))
        self.avg_len = float(self.lengths.mean()) if self.n else 0.0
        df = np.diff(self.offsets).astype(np.float64)
        idf = np.log(1 + (self.n - df + 0.5) / (df + 0.5))
        self.idf = dict(zip(self.terms, idf.tolist()))
        self._idf = idf
        average = self.avg_len or 1.0  # only empty documents: nothing can match anyway
        self._norm = self.k1 * (1 - self.b + self.b * self.lengths / average)
        self._max_idf: float | None = None

    @staticmethod
    def _index(documents: list[list[str]]):
        vocabulary: dict[str, int] = {}
        term_ids: list[int] = []
        doc_ids: list[int] = []
        freqs: list[int] = []
        for doc_index, tokens in enumerate(documents):
            for term, tf in Counter(tokens).items():
                term_ids.append(vocabulary.setdefault(term, len(vocabulary)))
                doc_ids.append(doc_index)
                freqs.append(tf)
        terms = sorted(vocabulary)
        rank = np.empty(len(vocabulary), dtype=np.int64)
        rank[[vocabulary[t] for t in terms]] = np.arange(len(terms))
        by_term = rank[np.asarray(term_ids, dtype=np.int64)] if term_ids else np.zeros(0, np.int64)
        order = np.lexsort((np.asarray(doc_ids, dtype=np.int64), by_term)) if term_ids else by_term
        offsets = np.zeros(len(terms) + 1, dtype=np.int64)
        np.cumsum(np.bincount(by_term, minlength=len(terms)), out=offsets[1:])
        return (
            terms,
            offsets,
            np.asarray(doc_ids, dtype=np.int32)[order],
            np.asarray(freqs, dtype=np.float32)[order],
            np.asarray([len(d) for d in documents], dtype=np.float32),
        )

    # -- persistence ------------------------------------------------------------------------------------------
    def save(self, directory: Path) -> list[Path]:
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {
            "terms.npy": np.asarray(self.terms, dtype=str) if self.terms else np.zeros(0, dtype="<U1"),
            "offsets.npy": np.asarray(self.offsets, dtype=np.int64),
            "docs.npy": np.asarray(self.docs, dtype=np.int32),
            "tfs.npy": np.asarray(self.tfs, dtype=np.float32),
            "lengths.npy": np.asarray(self.lengths, dtype=np.float32),
            "params.npy": np.asarray([self.k1, self.b], dtype=np.float64),
        }
        paths = []
        for name, array in arrays.items():
            with open(directory / name, "wb") as handle:
                np.save(handle, array, allow_pickle=False)
                handle.flush()
                os.fsync(handle.fileno())
            paths.append(directory / name)
        return paths

    @classmethod
    def load(cls, directory: Path) -> "BM25":
        """The saved index, its postings memory-mapped read-only. ValueError/OSError when a file is damaged."""
        def read(name, mmap=False):
            return np.load(directory / name, mmap_mode="r" if mmap else None, allow_pickle=False)

        terms, offsets, lengths, params = read("terms.npy"), read("offsets.npy"), read("lengths.npy"), read("params.npy")
        docs, tfs = read("docs.npy", mmap=True), read("tfs.npy", mmap=True)
        if (
            terms.ndim != 1 or offsets.shape != (len(terms) + 1,) or params.shape != (2,)
            or docs.shape != tfs.shape or int(offsets[-1]) != len(docs) or docs.ndim != 1
            or (len(docs) and (int(docs.max()) >= len(lengths) or int(docs.min()) < 0))
            or np.any(np.diff(offsets) < 0)
        ):
            raise ValueError("inconsistent lexical index arrays")
        return cls(k1=float(params[0]), b=float(params[1]), arrays=(terms, offsets, docs, tfs, lengths))

    # -- scoring ----------------------------------------------------------------------------------------------
    def query_weights(self, text: str) -> dict[str, float]:
        """The text's stems weighted by idf; stems the corpus never uses get the highest idf (specific, missing)."""
        if self._max_idf is None:
            self._max_idf = max(self.idf.values(), default=1.0)
        return {t: self.idf.get(t, self._max_idf) for t in set(analyse(text))}

    def _accumulate(self, query_tokens: list[str], weights: dict[str, float] | None) -> np.ndarray:
        scores = np.zeros(self.n, dtype=np.float64)
        for term in sorted(set(query_tokens)):
            index = self._term_index.get(term)
            if index is None:
                continue
            lo, hi = int(self.offsets[index]), int(self.offsets[index + 1])
            docs = self.docs[lo:hi]
            tf = self.tfs[lo:hi].astype(np.float64)
            idf = self._idf[index] * (weights.get(term, 1.0) if weights else 1.0)
            scores[docs] += idf * tf * (self.k1 + 1) / (tf + self._norm[docs])
        return scores

    def scores(self, query_tokens: list[str], weights: dict[str, float] | None = None) -> dict[int, float]:
        """BM25 score per document index (only documents matching at least one term)."""
        scores = self._accumulate(query_tokens, weights)
        matched = np.flatnonzero(scores)
        return dict(zip(matched.tolist(), scores[matched].tolist()))

    def top(self, query_tokens: list[str], k: int, weights: dict[str, float] | None = None) -> list[tuple[int, float]]:
        """The k best documents, by score then document index."""
        scores = self._accumulate(query_tokens, weights)
        matched = np.flatnonzero(scores)
        if k <= 0 or not len(matched):
            return []
        values = scores[matched]
        if len(matched) > k:  # keep every document tied with the k-th score, then order exactly
            threshold = np.partition(values, len(values) - k)[len(values) - k]
            keep = values >= threshold
            matched, values = matched[keep], values[keep]
        order = np.argsort(-values, kind="stable")[:k]
        return list(zip(matched[order].tolist(), values[order].tolist()))


# The Snowball stemmer leaves related French forms apart (alimentaire / alimentation, décrochent / décrochage): a
# stem sharing its first RELATED_PREFIX letters with a passage stem counts for RELATED_WEIGHT of its weight (seven
# letters: six would take mobilisation for mobilité).
RELATED_PREFIX = 7
RELATED_WEIGHT = 0.7


def weighted_overlap(weights: dict[str, float], terms: set[str]) -> float:
    """The weight of the query stems present in `terms` (the idf mass a passage shares with a question), related
    forms (same first RELATED_PREFIX letters) counting for RELATED_WEIGHT."""
    prefixes = None
    total = 0.0
    for term, weight in weights.items():
        if term in terms:
            total += weight
        elif len(term) >= RELATED_PREFIX and not term.isdigit():
            if prefixes is None:
                prefixes = {t[:RELATED_PREFIX] for t in terms if len(t) >= RELATED_PREFIX}
            if term[:RELATED_PREFIX] in prefixes:
                total += RELATED_WEIGHT * weight
    return total
