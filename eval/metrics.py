"""The metrics, as small pure functions over plain values (no I/O, no index, no corpus loading).

Spans are `(doc_id, line_start, line_end)` tuples, 1-based and inclusive. A function that is not
defined on its input (no gold span, no citation, no key fact…) returns None: the caller leaves that
item out of the average instead of counting it as 0 or 1.

Every dataset-level metric is a ratio of two sums over items (questions, actions, contract cases):
a macro average is sum(value)/count, a micro average sum(numerator)/sum(denominator), and
F1 = 2·TP / (2·TP + FP + FN). `bootstrap_ratio_ci` resamples items for all of them the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence

import numpy as np

from .normalize import collapse_whitespace, contains_fact

SpanT = tuple[str, int, int]
LineFilter = Callable[[str, int], bool]  # (doc_id, line) -> does this line count?


def _all_lines(doc_id: str, line: int) -> bool:
    return True


# --- spans --------------------------------------------------------------------------------------


def overlaps(a: SpanT, b: SpanT) -> bool:
    """Same document and at least one line in common."""
    return a[0] == b[0] and a[1] <= b[2] and b[1] <= a[2]


def is_relevant(span: SpanT, gold: Sequence[SpanT]) -> bool:
    """A retrieved or cited span is relevant when it overlaps any gold span."""
    return any(overlaps(span, g) for g in gold)


def span_lines(spans: Iterable[SpanT], counts: LineFilter = _all_lines) -> set[tuple[str, int]]:
    """The (doc_id, line) pairs covered by spans, keeping only lines for which counts() is true."""
    return {(d, n) for d, s, e in spans for n in range(s, e + 1) if counts(d, n)}


# --- retrieval ----------------------------------------------------------------------------------


def recall_at_k(ranked: Sequence[SpanT], gold: Sequence[SpanT], k: int) -> float | None:
    """Fraction of the gold spans overlapped by at least one of the first k ranked spans.

    With one gold span this is the usual hit rate; with two, finding one of them in the top k gives 0.5.
    """
    if not gold:
        return None
    top = ranked[:k]
    found = sum(1 for g in gold if any(overlaps(h, g) for h in top))
    return found / len(gold)


def reciprocal_rank(ranked: Sequence[SpanT], gold: Sequence[SpanT], k: int = 10) -> float | None:
    """1/rank of the first relevant span among the first k (rank 1 = best), 0 when none is relevant."""
    if not gold:
        return None
    for rank, span in enumerate(ranked[:k], start=1):
        if is_relevant(span, gold):
            return 1.0 / rank
    return 0.0


# --- citations ----------------------------------------------------------------------------------


def citation_line_precision(cited: SpanT, gold: Sequence[SpanT], counts: LineFilter = _all_lines) -> float | None:
    """|cited lines ∩ gold lines| / |cited lines| for one citation (None if it covers no counted line)."""
    lines = span_lines([cited], counts)
    if not lines:
        return None
    return len(lines & span_lines(gold, counts)) / len(lines)


def citation_precision(cited: Sequence[SpanT], gold: Sequence[SpanT], counts: LineFilter = _all_lines) -> float | None:
    """Mean of citation_line_precision over the citations of one answer (None without citations)."""
    values = [v for v in (citation_line_precision(c, gold, counts) for c in cited) if v is not None]
    return sum(values) / len(values) if values else None


def citation_accuracy(cited: Sequence[SpanT], gold: Sequence[SpanT]) -> float | None:
    """Fraction of the citations of one answer that overlap a gold span (None without citations)."""
    if not cited:
        return None
    return sum(1 for c in cited if is_relevant(c, gold)) / len(cited)


def citation_recall(cited: Sequence[SpanT], gold: Sequence[SpanT], counts: LineFilter = _all_lines) -> float | None:
    """|gold lines covered by the citations| / |gold lines| (None when the gold covers no counted line)."""
    gold_lines = span_lines(gold, counts)
    if not gold_lines:
        return None
    return len(gold_lines & span_lines(cited, counts)) / len(gold_lines)


def quote_is_verbatim(quote: str, source: str | None) -> bool:
    """A quote is verbatim when, whitespace collapsed on both sides, it is a non-empty substring of
    the text of the lines it cites. `source` is None when those lines do not exist in the corpus."""
    if source is None:
        return False
    q = collapse_whitespace(quote)
    return bool(q) and q in collapse_whitespace(source)


# --- answers ------------------------------------------------------------------------------------


def key_facts_found(answer: str, facts: Sequence[str]) -> list[bool]:
    """For each key fact, whether it occurs in the answer after normalisation (eval.normalize)."""
    return [contains_fact(answer, f) for f in facts]


def key_fact_recall(answer: str, facts: Sequence[str]) -> float | None:
    """Fraction of key facts found in the answer (None when there is no key fact)."""
    if not facts:
        return None
    found = key_facts_found(answer, facts)
    return sum(found) / len(found)


def abstention_counts(should_abstain: bool, abstained: bool) -> tuple[int, int, int, int]:
    """(TP, FP, FN, TN) of one item, the positive class being "should abstain"."""
    return (
        int(should_abstain and abstained),
        int(abstained and not should_abstain),
        int(should_abstain and not abstained),
        int(not should_abstain and not abstained),
    )


def precision_recall_f1(tp: int, fp: int, fn: int) -> tuple[float | None, float | None, float | None]:
    """Precision, recall and F1; each is None when its denominator is 0 (nothing predicted,
    nothing to find, or neither)."""
    p = ratio(tp, tp + fp)
    r = ratio(tp, tp + fn)
    f1 = ratio(2 * tp, 2 * tp + fp + fn)
    return p, r, f1


def confusion_matrix(pairs: Iterable[tuple[str | None, str | None]], labels: Sequence[str]) -> dict:
    """Counts of (gold, predicted) pairs. Rows are gold labels, columns predicted labels; a
    prediction outside `labels` (None, a typo) goes to the extra column "none"."""
    cols = list(labels) + ["none"]
    matrix = {g: {c: 0 for c in cols} for g in labels}
    for gold, pred in pairs:
        if gold not in matrix:
            continue
        matrix[gold][pred if pred in labels else "none"] += 1
    return {"labels": list(labels), "columns": cols, "matrix": matrix}


def accuracy(pairs: Iterable[tuple[object, object]]) -> float | None:
    pairs = list(pairs)
    if not pairs:
        return None
    return sum(1 for g, p in pairs if g == p) / len(pairs)


# --- rules --------------------------------------------------------------------------------------

_SEVERITY = {"ok": 0, "info": 1, "warning": 2, "violation": 3}


def rule_verdict_map(results: Iterable[tuple[str, str | None, str]]) -> dict[tuple[str, str | None], str]:
    """(rule, action) -> verdict; when a rule reports several verdicts for the same action (e.g. one
    per sub-check), the most severe one stands: violation > warning > info > ok."""
    out: dict[tuple[str, str | None], str] = {}
    for rule, action, verdict in results:
        key = (rule, action)
        if key not in out or _SEVERITY.get(verdict, 0) > _SEVERITY.get(out[key], 0):
            out[key] = verdict
    return out


def rule_verdict_pairs(
    expected: Iterable[tuple[str, str | None, str]], predicted: Iterable[tuple[str, str | None, str]]
) -> list[tuple[tuple[str, str | None], str, str]]:
    """(key, gold verdict, predicted verdict) for every (rule, action) that is non-ok on either side.

    A key absent from one side is "ok" on that side, so a missed violation and a spurious warning
    both count as errors, while the many ok results of a clean contract do not inflate accuracy.
    An "info" result is a note, not a finding: an unexpected one is not counted as an error, but an
    expected one must be produced.
    """
    gold = rule_verdict_map(expected)
    pred = rule_verdict_map(predicted)
    keys = sorted(
        {k for k, v in gold.items() if v != "ok"} | {k for k, v in pred.items() if v in ("violation", "warning")},
        key=lambda k: (k[0], k[1] or ""),
    )
    return [(k, gold.get(k, "ok"), pred.get(k, "ok")) for k in keys]


# --- latency and aggregation -------------------------------------------------------------------


def percentile(values: Sequence[float], p: float) -> float | None:
    """Linear-interpolation percentile (numpy's default): rank p/100·(n-1) between sorted values."""
    if not values:
        return None
    xs = sorted(values)
    pos = (len(xs) - 1) * p / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)


def ratio(num: float, den: float) -> float | None:
    return num / den if den else None


def bootstrap_ratio_ci(
    nums: Sequence[float], dens: Sequence[float], n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of sum(nums)/sum(dens), resampling items with replacement.

    Deterministic: the same items and seed give the same interval. Resamples whose denominator is 0
    are dropped; (None, None) when there is nothing to resample.
    """
    num = np.asarray(nums, dtype=float)
    den = np.asarray(dens, dtype=float)
    if num.size == 0 or den.sum() == 0:
        return None, None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, num.size, size=(n_resamples, num.size))
    s_num, s_den = num[idx].sum(axis=1), den[idx].sum(axis=1)
    keep = s_den > 0
    stats = s_num[keep] / s_den[keep]
    tail = (1 - level) / 2 * 100
    return float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))


def bootstrap_percentile_ci(
    values: Sequence[float], p: float, n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float | None, float | None]:
    """Percentile bootstrap interval of the p-th percentile of values (e.g. latency p95)."""
    xs = np.asarray(values, dtype=float)
    if xs.size == 0:
        return None, None
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, xs.size, size=(n_resamples, xs.size))
    stats = np.percentile(xs[idx], p, axis=1)
    tail = (1 - level) / 2 * 100
    return float(np.percentile(stats, tail)), float(np.percentile(stats, 100 - tail))
