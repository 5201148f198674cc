"""The axis of each action against the référentiel, through the eligibility engine (`Assistant.eligibility`),
and the on-disk cache that lets a second audit skip the index altogether."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.audit.axes import AxisChecker
from assistant.audit.extract import extract
from assistant.audit.report import audit
from assistant.config import PROJECT_ROOT

DATASET = PROJECT_ROOT / "eval" / "datasets" / "audit"


@pytest.fixture(scope="module")
def assistant(built_index):
    from assistant.answer import Assistant

    return Assistant.load(built_index)


@pytest.fixture
def settings(built_index, tmp_path):
    return replace(built_index, cache_dir=tmp_path / "cache")  # a fresh eligibility cache per test


class Unloadable:
    """Stands for the engine when every answer must come from the cache."""

    def eligibility(self, *args, **kwargs):
        raise AssertionError("the eligibility engine was called although the answer was cached")


def test_job_seekers_mobility_on_axis_4_is_reported_with_the_framework_rule(settings, assistant, corpus):
    checker = AxisChecker(settings, assistant=assistant)
    findings = checker.findings(extract("pas-de-calais-contrat-2024"))
    assert [(f.action, f.stated, f.computed) for f in findings] == [("4.2", 4, 2)]
    finding = findings[0]
    assert "l'axe 2" in finding.message and "Mobilité solidaire" in finding.message
    # Both sides are cited: the document's line, and the référentiel's, verbatim.
    assert finding.citations[0].doc_id == "pas-de-calais-contrat-2024"
    instruction = [c for c in finding.citations if c.doc_id == "instruction-2023-168"]
    assert instruction
    for c in instruction:
        text = " ".join(corpus["instruction-2023-168"].span_text(c.line_start, c.line_end).split())
        assert " ".join(c.quote.split()).replace("**", "") in text.replace("**", "")


def test_an_action_whose_words_belong_to_another_axis_is_reported(settings, assistant):
    findings = AxisChecker(settings, assistant=assistant).findings(extract(DATASET / "contrat-metropole-lisiere-2024.md"))
    assert sorted((f.action, f.stated, f.computed) for f in findings) == [("4.1", 4, 2), ("4.2", 4, 1)]


def test_clean_documents_get_no_axis_finding(settings, assistant):
    for name in ("contrat-metropole-lisiere-2024-conforme.md", "synthese-regionale-2024-conforme.md",
                 "deliberation-haut-verdon-2024-conforme.txt"):
        assert AxisChecker(settings, assistant=assistant).findings(extract(DATASET / name)) == [], name


def test_a_second_audit_answers_from_the_cache_without_the_engine(settings, assistant):
    extraction = extract("pas-de-calais-contrat-2024")
    first = AxisChecker(settings, assistant=assistant)
    found = first.findings(extraction)
    assert first.lookups and first.cached == 0
    second = AxisChecker(settings, assistant=Unloadable())
    assert [f.to_dict() for f in second.findings(extraction)] == [f.to_dict() for f in found]
    assert second.cached == second.lookups == first.lookups


def test_without_an_index_the_audit_says_the_axes_were_not_checked(tmp_path):
    from assistant.config import Settings

    bare = Settings(corpus_dir=PROJECT_ROOT / "corpus", index_dir=tmp_path / "none", cache_dir=tmp_path / "cache")
    report = audit(DATASET / "deliberation-haut-verdon-2024.txt", bare).to_dict()
    assert any("axes non vérifiés" in n for n in report["notes"])
    assert len(report["findings"]) == 8  # everything else is checked
