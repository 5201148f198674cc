"""The real Pas-de-Calais 2024 table (examples/) and the evaluation cases built from it (eval/datasets/)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import yaml

from assistant.rules import check_contract, load_contract

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "pas-de-calais-2024.yaml"
CASES = [json.loads(line) for line in (ROOT / "eval" / "datasets" / "contract_cases.jsonl").read_text(
    encoding="utf-8").splitlines() if line.strip()]


def non_ok(report):
    return Counter((r["rule"], r["action"], r["verdict"]) for r in report["results"] if r["verdict"] != "ok")


def test_the_real_pas_de_calais_table_has_no_violation():
    report = check_contract(EXAMPLE)
    assert report["ok"] is True
    # What it does report, each explained in the example's header: a département has no axis 2 in its CLS,
    # action 4.2 funds job-seeker mobility on axis 4, and the fiches' volets of 1.3 and 4.2 do not add up
    # to the action's cost (93 500 € for 93 560 €; 340 260 € = the State share of 680 520 €).
    # The proposed amounts per axis are not in the document, so the ceilings are not verifiable, and no
    # fiche names the action carrying the social impact evaluation.
    assert non_ok(report) == Counter({
        ("total_ceiling", None, "info"): 1,
        ("axis_floor", None, "info"): 1,
        ("axis_coverage", None, "warning"): 1,
        ("mobility_job_seekers_axis", "4.2", "warning"): 1,
        ("arithmetic", "1.3", "warning"): 1,
        ("arithmetic", "4.2", "info"): 1,
        ("impact_evaluation", None, "info"): 1,
    })
    (gap,) = [r for r in report["results"] if r["rule"] == "arithmetic" and r["action"] == "1.3" and r["verdict"] != "ok"]
    assert "93 500 €" in gap["message"] and "93 560 €" in gap["message"]


def test_the_example_is_the_document_s_table_figure_for_figure(corpus):
    """Every amount of the table (lines 4651-4751) in order, against the example's actions and totals."""
    lines = corpus["pas-de-calais-contrat-2024"].lines[4650:4751]
    in_document = [int(m.replace(" ", "")) for line in lines for m in re.findall(r"(\d[\d ]*),00 €", line)]
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    expected = []
    for axis in (1, 3, 4):
        for a in (a for a in data["actions"] if a["axe"] == axis):
            f = a["financement"]
            expected += [f["etat"], f["collectivite"], f["total"]]  # rows leave the empty column C out
        s = data["sous_totaux"][axis]
        expected += [s["etat"], s["collectivite"], s["autres"], s["total"]]
    t = data["totaux"]
    expected += [t["etat"], t["collectivite"], t["autres"], t["total"]]
    assert in_document == expected


def test_the_state_amounts_per_axis_match_article_2_2(corpus):
    doc = corpus["pas-de-calais-contrat-2024"]
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for line, axis in ((340, 1), (342, 3), (344, 4)):
        stated = int(re.search(r"(\d[\d ]*\d) €", doc.lines[line - 1]).group(1).replace(" ", ""))
        assert stated == data["sous_totaux"][axis]["etat"] == sum(
            a["financement"]["etat"] for a in data["actions"] if a["axe"] == axis)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_the_spreadsheet_versions_hold_the_same_contract_and_get_the_same_report(suffix):
    import dataclasses

    from_yaml = load_contract(EXAMPLE).facts()
    from_table = load_contract(EXAMPLE.with_suffix(suffix)).facts()
    # Everything the rules read, volets and indicators included; only the names of the other financers
    # differ (column C of a table holds their sum, and the example has none).
    strip = lambda a: dataclasses.replace(a, autres_detail=())  # noqa: E731
    assert [strip(a) for a in from_table.actions] == [strip(a) for a in from_yaml.actions]
    assert dataclasses.replace(from_table, actions=()) == dataclasses.replace(from_yaml, actions=())
    assert check_contract(EXAMPLE.with_suffix(suffix)) == check_contract(EXAMPLE)


def test_the_spreadsheets_are_up_to_date_with_the_yaml():
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_example_xlsx.py"), "--check"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_eval_dataset_has_enough_cases_and_valid_lines():
    assert len(CASES) >= 12
    assert len({c["id"] for c in CASES}) == len(CASES)
    for case in CASES:
        assert set(case) == {"id", "file", "expected"}
        assert (ROOT / case["file"]).is_file(), case["file"]
        for e in case["expected"]:
            assert set(e) == {"rule", "action", "verdict"} and e["verdict"] != "ok"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_each_eval_case_gets_exactly_its_expected_verdicts(case):
    report = check_contract(ROOT / case["file"])
    expected = Counter((e["rule"], e["action"], e["verdict"]) for e in case["expected"])
    assert non_ok(report) == expected
    assert report["ok"] == all(e["verdict"] != "violation" for e in case["expected"])
