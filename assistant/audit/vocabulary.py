"""The vocabulary of contract documents (assistant/data/audit_vocabulary.yaml), compiled once.

The words live in data: a document family with other column names or rubric labels needs a line
there, not code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .text import norm

VOCABULARY_FILE = Path(__file__).resolve().parent.parent / "data" / "audit_vocabulary.yaml"


def _alternation(terms) -> re.Pattern:
    """One regex matching any of the (normalised) terms as whole words, longest first."""
    unique = sorted({norm(t) for t in terms}, key=len, reverse=True)
    body = "|".join(re.escape(t) for t in unique)
    return re.compile(rf"(?<![\w+])(?:{body})(?![\w+])")


@dataclass(frozen=True)
class Vocabulary:
    column_terms: re.Pattern  # every column term, to split a header text into columns in order
    column_role: dict[str, tuple[str, bool]]  # normalised term -> (share or "ignore", is a sub-financer)
    subtotal_re: re.Pattern
    grand_total_re: re.Pattern
    statuses: tuple[tuple[str, re.Pattern], ...]
    fiche_markers: re.Pattern
    budget_captions: re.Pattern
    volet_labels: tuple[str, ...]
    public_labels: re.Pattern
    rubric_labels: re.Pattern
    indicator_t0: re.Pattern
    indicator_target: re.Pattern
    indicator_result: re.Pattern
    indicator_starts: re.Pattern
    dispositifs: dict[str, tuple[tuple[re.Pattern, ...], ...]]
    axis_word_re: re.Pattern  # « axe 3 », « pilier 1 », « Axe : … »
    axis_names: tuple[tuple[int, re.Pattern], ...]
    shares: tuple[tuple[str, re.Pattern], ...]
    anaphora: re.Pattern
    percent_total_base: re.Pattern
    contract_names: re.Pattern
    volet_excluded: re.Pattern
    status_labels: re.Pattern
    distribution: re.Pattern
    part_heads: tuple[tuple[str, re.Pattern], ...]
    territory_stop_words: frozenset[str]
    contract_total_words: re.Pattern

    def named_axis(self, text: str) -> int | None:
        """The axis whose name a (normalised) text contains, if exactly one."""
        found = {axis for axis, rx in self.axis_names if rx.search(text)}
        return found.pop() if len(found) == 1 else None

    def first_share(self, text: str) -> str | None:
        """Whose money a (normalised) sentence speaks of: the share named first."""
        best = None
        for share, rx in self.shares:
            m = rx.search(text)
            if m and (best is None or m.start() < best[0]):
                best = (m.start(), share)
        return best[1] if best else None

    def role(self, term: str) -> tuple[str, bool]:
        return self.column_role[norm(term)]


@lru_cache(maxsize=1)
def vocabulary(path: Path = VOCABULARY_FILE) -> Vocabulary:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    roles: dict[str, tuple[str, bool]] = {}
    for key, terms in data["columns"].items():
        share, sub = (key[:-4], True) if key.endswith("_sub") else (key, False)
        for term in terms:
            roles.setdefault(norm(term), (share, sub))
    rows = data["rows"]
    statuses = tuple((status, _alternation(words)) for status, words in data["statuses"].items())
    ind = data["indicator_columns"]
    dispositifs = {
        name: tuple(tuple(re.compile(p) for p in group) for group in groups)
        for name, groups in data["dispositifs"].items()
    }
    return Vocabulary(
        column_terms=_alternation(roles),
        column_role=roles,
        subtotal_re=re.compile(r"^(?:" + "|".join(re.escape(norm(t)) for t in rows["subtotal"]) + r")\b"),
        grand_total_re=re.compile(r"^(?:" + "|".join(re.escape(norm(t)) for t in rows["grand_total"]) + r")\b"),
        statuses=statuses,
        fiche_markers=_alternation(data["fiche_markers"]),
        budget_captions=_alternation(data["budget_captions"]),
        volet_labels=tuple(norm(t) for t in data["volet_amount_labels"]),
        public_labels=_alternation(data["public_labels"]),
        rubric_labels=_alternation(data["rubric_labels"]),
        indicator_t0=_alternation(ind["t0"]),
        indicator_target=_alternation(ind["target"]),
        indicator_result=_alternation(ind["result"]),
        indicator_starts=re.compile(r"^(?:" + "|".join(re.escape(norm(t)) for t in data["indicator_starts"]) + r")\b"),
        dispositifs=dispositifs,
        axis_word_re=re.compile(
            r"(?<![\w])(?:" + "|".join(re.escape(norm(w)) for w in data["axis_words"]) + r")\s*(?::\s*)?(?:n°\s*)?([1-4])?\b"
        ),
        axis_names=tuple((int(axis), _alternation(names)) for axis, names in data["axis_names"].items()),
        shares=tuple((share, _alternation(words)) for share, words in data["shares"].items()),
        anaphora=_alternation(data["anaphora"]),
        percent_total_base=_alternation(data["percent_bases"]["total"]),
        contract_names=_alternation(data["contract_names"]),
        volet_excluded=_alternation(data["volet_excluded"]),
        status_labels=_alternation(data["status_labels"]),
        distribution=_alternation(data["distribution_words"]),
        part_heads=tuple((kind, re.compile(r"^(?:" + "|".join(re.escape(norm(w)) for w in words) + r")\b"))
                         for kind, words in data["parts"].items()),
        territory_stop_words=frozenset(norm(w) for w in data["territory_stop_words"]),
        contract_total_words=_alternation(data["contract_total_words"]),
    )
