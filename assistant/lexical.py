"""French lexical index: normalisation (accents, elisions, apostrophes, numbers), stop-words, Snowball stemming, BM25."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache

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
    """Okapi BM25 over pre-analysed documents. Small corpus: plain postings dicts are fast enough."""

    def __init__(self, documents: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.k1, self.b = k1, b
        self.n = len(documents)
        self.lengths = [len(d) for d in documents]
        self.avg_len = (sum(self.lengths) / self.n) if self.n else 0.0
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc_index, tokens in enumerate(documents):
            for term, tf in Counter(tokens).items():
                self.postings[term].append((doc_index, tf))
        self.idf = {
            term: math.log(1 + (self.n - len(p) + 0.5) / (len(p) + 0.5)) for term, p in self.postings.items()
        }
        self._max_idf: float | None = None

    def query_weights(self, text: str) -> dict[str, float]:
        """The text's stems weighted by idf; stems the corpus never uses get the highest idf (specific, missing)."""
        if self._max_idf is None:
            self._max_idf = max(self.idf.values(), default=1.0)
        return {t: self.idf.get(t, self._max_idf) for t in set(analyse(text))}

    def scores(self, query_tokens: list[str], weights: dict[str, float] | None = None) -> dict[int, float]:
        """BM25 score per document index (only documents matching at least one term)."""
        scores: dict[int, float] = defaultdict(float)
        for term in set(query_tokens):
            postings = self.postings.get(term)
            if not postings:
                continue
            idf = self.idf[term] * (weights.get(term, 1.0) if weights else 1.0)
            for doc_index, tf in postings:
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc_index] / self.avg_len)
                scores[doc_index] += idf * tf * (self.k1 + 1) / (tf + norm)
        return scores

    def top(self, query_tokens: list[str], k: int, weights: dict[str, float] | None = None) -> list[tuple[int, float]]:
        scores = self.scores(query_tokens, weights)
        return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]


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
