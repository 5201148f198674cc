"""Each metric on tiny hand-made cases whose values can be checked by hand."""

import pytest

from eval import metrics as m

D = "doc"
GOLD = [(D, 10, 12), (D, 30, 30)]


# --- retrieval ----------------------------------------------------------------------------------


def test_overlap_needs_the_same_document_and_a_common_line():
    assert m.overlaps((D, 1, 5), (D, 5, 9))
    assert not m.overlaps((D, 1, 4), (D, 5, 9))
    assert not m.overlaps(("other", 1, 9), (D, 5, 9))


def test_recall_at_k_counts_gold_spans_found_in_the_top_k():
    ranked = [(D, 1, 2), (D, 12, 15), ("other", 30, 30), (D, 29, 31)]
    assert m.recall_at_k(ranked, GOLD, 1) == 0.0
    assert m.recall_at_k(ranked, GOLD, 2) == 0.5  # (10-12) found, (30) not yet
    assert m.recall_at_k(ranked, GOLD, 3) == 0.5  # same lines in another document do not count
    assert m.recall_at_k(ranked, GOLD, 4) == 1.0
    assert m.recall_at_k(ranked, [], 5) is None


def test_reciprocal_rank_is_one_over_the_first_relevant_rank_within_k():
    ranked = [(D, 1, 2), (D, 3, 4), (D, 11, 11)]
    assert m.reciprocal_rank(ranked, GOLD) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(ranked, GOLD, k=2) == 0.0
    assert m.reciprocal_rank([], GOLD) == 0.0
    assert m.reciprocal_rank(ranked, []) is None


# --- citations ----------------------------------------------------------------------------------


def test_citation_line_precision_and_recall():
    # cited 9-12: lines 9, 10, 11, 12 -> 3 of 4 inside gold (10-12)
    assert m.citation_line_precision((D, 9, 12), GOLD) == 0.75
    # answer-level precision: mean over citations: (0.75 + 1.0 + 0.0) / 3
    cited = [(D, 9, 12), (D, 30, 30), (D, 50, 51)]
    assert m.citation_precision(cited, GOLD) == pytest.approx(1.75 / 3)
    # citations that overlap a gold span: 2 of 3
    assert m.citation_accuracy(cited, GOLD) == pytest.approx(2 / 3)
    # gold lines 10, 11, 12, 30 all covered
    assert m.citation_recall(cited, GOLD) == 1.0
    assert m.citation_recall([(D, 11, 11)], GOLD) == 0.25
    assert m.citation_precision([], GOLD) is None
    assert m.citation_accuracy([], GOLD) is None
    assert m.citation_recall([], GOLD) == 0.0


def test_lines_that_do_not_count_are_left_out_of_precision_and_recall():
    blank = {(D, 11)}  # say line 11 is empty

    def counts(doc, line):
        return (doc, line) not in blank

    # cited 9-12 without line 11: 9, 10, 12 -> 2 of 3 inside gold
    assert m.citation_line_precision((D, 9, 12), GOLD, counts) == pytest.approx(2 / 3)
    # gold lines without line 11: 10, 12, 30 -> citation 10-11 covers 1 of 3
    assert m.citation_recall([(D, 10, 11)], GOLD, counts) == pytest.approx(1 / 3)
    # a citation made only of blank lines is not judged
    assert m.citation_line_precision((D, 11, 11), GOLD, counts) is None


def test_quote_is_verbatim_after_collapsing_whitespace_only():
    source = "Ce cofinancement est fixé à 50\u00a0% part État\net 50 % part métropole."
    assert m.quote_is_verbatim("fixé à 50 % part État et 50 %", source)
    assert m.quote_is_verbatim("  part   État\n", source)
    assert not m.quote_is_verbatim("fixé à 50 % part Etat", source)  # an accent dropped is not verbatim
    assert not m.quote_is_verbatim("fixe a 50%", source)
    assert not m.quote_is_verbatim("   ", source)  # an empty quote proves nothing
    assert not m.quote_is_verbatim("part État", None)  # lines that do not exist


# --- answers ------------------------------------------------------------------------------------


def test_key_fact_recall():
    answer = "La part État est plafonnée à 70\u00a0% ; la tarification est au plus 1 €."
    assert m.key_fact_recall(answer, ["70 %", "1 €", "QF 1 000 €"]) == pytest.approx(2 / 3)
    assert m.key_facts_found(answer, ["70 %", "30 %"]) == [True, False]
    assert m.key_fact_recall(answer, []) is None


def test_abstention_counts_and_f1():
    # positives = should abstain. 4 items: TP, FP, FN, TN
    items = [(True, True), (False, True), (True, False), (False, False)]
    counts = [m.abstention_counts(s, a) for s, a in items]
    assert counts == [(1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1)]
    tp, fp, fn = 3, 1, 2
    p, r, f1 = m.precision_recall_f1(tp, fp, fn)
    assert (p, r) == (0.75, 0.6)
    assert f1 == pytest.approx(2 * 0.75 * 0.6 / (0.75 + 0.6))  # = 2·TP / (2·TP + FP + FN) = 6/9
    assert f1 == pytest.approx(6 / 9)
    assert m.precision_recall_f1(0, 0, 2) == (None, 0.0, 0.0)  # never abstains: precision undefined, F1 0
    assert m.precision_recall_f1(0, 0, 0) == (None, None, None)


def test_confusion_matrix_and_accuracy():
    pairs = [("eligible", "eligible"), ("eligible", "excluded"), ("excluded", None), ("excluded", "excluded")]
    cm = m.confusion_matrix(pairs, ["eligible", "excluded"])
    assert cm["columns"] == ["eligible", "excluded", "none"]
    assert cm["matrix"] == {
        "eligible": {"eligible": 1, "excluded": 1, "none": 0},
        "excluded": {"eligible": 0, "excluded": 1, "none": 1},
    }
    assert m.accuracy(pairs) == 0.5
    assert m.accuracy([]) is None


# --- rules --------------------------------------------------------------------------------------


def test_rule_verdicts_compare_non_ok_keys_with_absent_meaning_ok():
    expected = [("parity", "A1", "violation"), ("axis_floor", None, "violation")]
    predicted = [
        ("parity", "A1", "ok"),
        ("parity", "A1", "violation"),  # several sub-checks: the most severe stands
        ("axis_floor", None, "warning"),  # wrong verdict
        ("renewal_limited", "A2", "warning"),  # not expected: counts as an error
        ("cee_cap", "A3", "ok"),  # ok on both sides: not counted
        ("total_ceiling", None, "info"),  # an unexpected note: not counted
    ]
    pairs = m.rule_verdict_pairs(expected, predicted)
    assert pairs == [
        (("axis_floor", None), "violation", "warning"),
        (("parity", "A1"), "violation", "violation"),
        (("renewal_limited", "A2"), "ok", "warning"),
    ]
    assert m.rule_verdict_pairs([], [("parity", "A1", "ok")]) == []
    # an expected note must be there
    assert m.rule_verdict_pairs([("axis_floor", None, "info")], []) == [(("axis_floor", None), "info", "ok")]


# --- aggregation --------------------------------------------------------------------------------


def test_percentile_interpolates_linearly():
    assert m.percentile([10, 20, 30, 40], 50) == 25
    assert m.percentile([10, 20, 30, 40], 95) == pytest.approx(38.5)
    assert m.percentile([7], 95) == 7
    assert m.percentile([], 50) is None


def test_bootstrap_interval_is_deterministic_and_brackets_the_value():
    nums = [1, 0, 1, 1, 0, 1, 1, 1, 0, 1]
    dens = [1] * 10
    a = m.bootstrap_ratio_ci(nums, dens, seed=0)
    assert a == m.bootstrap_ratio_ci(nums, dens, seed=0)
    assert a[0] < 0.7 < a[1]
    assert m.bootstrap_ratio_ci([1, 1, 1], [1, 1, 1]) == (1.0, 1.0)
    assert m.bootstrap_ratio_ci([0, 0], [0, 0]) == (None, None)
    lo, hi = m.bootstrap_percentile_ci([10.0, 20.0, 30.0, 40.0, 50.0], 50)
    assert 10 <= lo <= 30 <= hi <= 50
