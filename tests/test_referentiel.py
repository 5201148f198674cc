"""The structured référentiels (assistant/data/referentiel.yaml): every quote is verbatim, every axis is
covered, and the items a commissaire asks about are there with the right lines. The framework rules that cut
across sections (assistant/data/framework.yaml) are tested in tests/test_framework.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from assistant.corpus import load_corpus
from assistant.errors import CorpusError
from assistant.referentiel import AXES, load_referentiel, plain

ROOT = Path(__file__).resolve().parent.parent
DOC_ID = "instruction-2023-168"
DINUM_OPINION = (908, 1032)  # appended to Annexe 3, names no action
ANNEXE_6 = (1453, 1631)


def collapse(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(ROOT / "corpus")


@pytest.fixture(scope="module")
def ref():
    return load_referentiel()


def assert_verbatim(corpus, quote, where: str) -> None:
    doc = corpus[quote.doc_id]
    assert 1 <= quote.line_start <= quote.line_end <= len(doc.lines), f"{where}: bad span"
    cited = collapse(doc.span_text(quote.line_start, quote.line_end))
    assert collapse(quote.text) and collapse(quote.text) in cited, (
        f"{where}: not verbatim in lines {quote.line_start}-{quote.line_end}: {quote.text[:80]!r}"
    )


# --------------------------------------------------------------------------------------------------
# Verbatim quotes and provenance
# --------------------------------------------------------------------------------------------------


def test_every_quote_of_the_referentiel_is_verbatim_from_its_lines(corpus, ref):
    quotes = list(ref.quotes())
    assert len(quotes) > 300  # sanity: the walk reaches actions, conditions, indicators, definitions
    for where, quote in quotes:
        assert_verbatim(corpus, quote, where)


def test_data_was_built_from_the_current_corpus_file(corpus, ref):
    assert ref.doc_id == DOC_ID
    assert ref.source_sha256 == corpus[DOC_ID].sha256


def test_build_script_reproduces_the_data_file():
    # Hand corrections live in the script as overrides: re-running it must give the committed file.
    spec = importlib.util.spec_from_file_location("build_referentiel", ROOT / "scripts" / "build_referentiel.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main(["--check"]) == 0


def test_plain_removes_markdown_but_keeps_the_words():
    assert plain("**des démarches** (ingénierie) *d'empowerment* 1<sup>er</sup> [France Services](#)") == (
        "des démarches (ingénierie) d'empowerment 1er France Services"
    )


# --------------------------------------------------------------------------------------------------
# Structure: axes, sections, action types, indicators
# --------------------------------------------------------------------------------------------------


def test_every_axis_has_sections_with_action_types_and_national_indicators(ref):
    assert [a.axis for a in ref.axes] == list(AXES)
    for axis in ref.axes:
        assert axis.sections, axis.axis
        assert axis.indicators, axis.axis
        assert any(s.indicators for s in axis.sections), axis.axis
        for s in axis.sections:
            assert s.axis == axis.axis
            assert s.action_types, s.id
            assert axis.line_start <= s.line_start <= s.line_end <= axis.line_end, s.id
            for a in s.action_types:
                assert s.line_start <= a.line_start <= a.line_end <= s.line_end, (s.id, a.line_start)


def test_sections_are_in_document_order_and_do_not_overlap(ref):
    sections = ref.sections()
    assert len({s.id for s in sections}) == len(sections)
    for before, after in zip(sections, sections[1:]):
        assert before.line_end < after.line_start, (before.id, after.id)


def test_each_section_starts_at_its_heading_line(corpus, ref):
    lines = corpus[DOC_ID].lines
    for s in ref.sections():
        assert s.title in plain(lines[s.line_start - 1]), s.id
        assert s.section_path[-1] == s.heading
        assert s.section_path[0].startswith(ref.axis(s.axis).annex)


def test_the_dinum_opinion_appended_to_annexe_3_is_not_a_section(ref):
    for s in ref.sections(3):
        assert s.line_end < DINUM_OPINION[0], s.id


@pytest.mark.parametrize(
    "section_id, axis, title_start",
    [
        ("axe1/1.1", 1, "Mieux repérer les familles en situation de fragilité"),
        ("axe1/3.3", 1, "Renforcer les modalités du partenariat"),
        ("axe2/2.1.4", 2, "Favoriser la mobilité des BRSA"),
        ("axe2/2.2.3", 2, "Faciliter les démarches d'insertion des sortants de prison"),
        ("axe3/I/2.1.2", 3, "Les démarches d'aller vers"),
        ("axe3/II", 3, "Sous-axe « Prévenir les expulsions locatives »"),
        ("axe4/I", 4, "Sous-axe 1 : lutte contre la précarité énergétique"),
        ("axe4/III", 4, "Sous-axe 3 : accès à l'alimentation durable pour tous"),
    ],
)
def test_known_sections_are_present(ref, section_id, axis, title_start):
    s = ref.section(section_id)
    assert s.axis == axis
    assert s.title.startswith(title_start)


def test_known_action_types_are_listed_with_their_own_line(ref):
    def actions(section_id):
        return {a.line_start: a.plain for a in ref.section(section_id).action_types}

    assert "garages solidaires" in actions("axe4/II")[1182]
    assert "chargé de mission" in actions("axe3/II")[723]
    assert "Convergence, Sève, Premières heures en chantier, TAPAJ" in actions("axe2/2.2.1")[510]
    assert actions("axe1/3.1")[371].startswith("développer l'activité des points d'accueil écoute jeunes (PAEJ)")
    assert actions("axe3/IV")[866] == "2.4. Faciliter l'accès à la domiciliation"  # a heading with no body


def test_exclusions_and_conditions_of_the_referentiel(ref):
    pmi = [q for q in ref.section("axe1/1.1").exclusions if q.line_start == 263]
    assert pmi and "entretiens prénataux" in pmi[0].text
    zfe = ref.section("axe4/II").exclusions
    assert [q.line_start for q in zfe] == [1187] and "ZFE" in zfe[0].text
    slime = [q for q in ref.section("axe4/I").conditions if "SLIME+" in q.text and "70%" in q.text]
    assert slime and slime[0].line_start == 1088
    assert any("1 000 €" in q.text and "30 %" in q.text for q in ref.section("axe4/III").conditions)
    assert any("20 %" in q.text for q in ref.section("axe4/II").conditions)
    # the coordination prerequisite of the access-to-rights sub-axis reaches its sections
    assert any(q.line_start == 573 for q in ref.section("axe3/I/2.2").conditions)
    assert ref.axis(4).conditions and "ne sont pas indiquées dans ce référentiel" in ref.axis(4).conditions[0].text


def test_cross_references_made_by_the_instruction_point_to_existing_sections(ref):
    ids = {s.id for s in ref.sections()}
    for s in ref.sections():
        for related_id, line in s.related:
            assert related_id in ids and related_id != s.id
            assert s.line_start <= line <= s.line_end, (s.id, line)  # the reference is in the section
    assert ("axe4/II", 488) in ref.section("axe2/2.1.4").related


def test_no_action_type_is_an_exclusion(ref):
    for s in ref.sections():
        for a in s.action_types:
            assert "ne peuvent être financées" not in a.text, (s.id, a.line_start)


# --------------------------------------------------------------------------------------------------
# National indicators and Annexe 6
# --------------------------------------------------------------------------------------------------


def test_ccapex_indicators_belong_to_axis_3_expulsions(ref):
    ccapex = [i for i in ref.indicators(3) if "CCAPEX" in i.text]
    assert [(i.line_start, i.guide_wording.line_start) for i in ccapex] == [(741, 1571), (742, 1575)]
    assert all(i.section_ids == ("axe3/II",) for i in ccapex)
    assert "ETP cofinancés" in ccapex[0].definition[0].text


def test_every_indicator_of_annexe_6_is_matched_once_with_its_definition(ref):
    in_guide = [i for i in ref.indicators() if i.in_guide]
    assert len(in_guide) == 18
    assert len({i.guide_wording.line_start for i in in_guide}) == 18
    for i in in_guide:
        assert ANNEXE_6[0] <= i.guide_wording.line_start <= ANNEXE_6[1], i.id
        assert i.definition, i.id
        for d in i.definition:
            assert i.guide_wording.line_start < d.line_start <= ANNEXE_6[1], i.id
            assert d.kind in {"perimetre", "decompte", "periode", "indicateurs_locaux", "autre"}


def test_the_axis_1_coordination_tool_indicator_is_flagged_as_absent_from_annexe_6(ref):
    tool = [i for i in ref.indicators(1) if not i.in_guide]
    assert [i.line_start for i in tool] == [403]
    assert tool[0].guide_wording is None and tool[0].note


def test_shared_indicators_cover_all_their_sections(ref):
    families = [i for i in ref.indicators(1) if i.line_start == 297][0]
    assert families.section_ids == ("axe1/1.1", "axe1/1.2", "axe1/1.3")
    for sid in families.section_ids:
        assert families in ref.section(sid).indicators
    mobility = [i for i in ref.indicators(4) if i.line_start == 1191][0]
    assert "axe2/2.1.4" in mobility.section_ids  # Annexe 4 l. 1193: axis 2 mobility actions count too


def test_wording_differences_between_referentiel_and_annexe_6_are_flagged(ref):
    differs = {i.id for i in ref.indicators() if i.wording_differs}
    # "touchées par" (l. 619) vs "bénéficiant de" (l. 1543); "proposer" (l. 1092) vs "proposé" (l. 1607)
    assert differs == {"axe3.aller-vers-droits", "axe4.precarite-energetique"}


def test_vulnerable_publics_indicator_keeps_its_three_categories(ref):
    ind = [i for i in ref.indicators(2) if i.text.startswith("Parmi les personnes")][0]
    assert [q.text for q in ind.breakdown] == ["personnes en très grande précarité", "familles monoparentales", "sortants de prison"]
    assert (ind.line_start, ind.line_end) == (524, 528)


def test_reporting_calendar_has_t0_yearly_targets_and_mid_term_evaluation(ref):
    text = " ".join(collapse(r.text) for r in ref.reporting)
    kinds = {r.kind for r in ref.reporting}
    assert {"indicateurs_locaux", "indicateurs_nationaux", "remontee_nationale", "mi_parcours"} <= kinds
    assert "indicateur T0" in text and "Cible 2024" in text and "Cible 2027" in text
    assert "31 mars 2026" in text and "En mars 2025" in text and "mars 2028" in text


# --------------------------------------------------------------------------------------------------
# Loading errors
# --------------------------------------------------------------------------------------------------


def test_missing_or_broken_data_file_gives_a_french_error(tmp_path):
    with pytest.raises(CorpusError, match="introuvable"):
        load_referentiel(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("axes: [1, 2\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="illisible"):
        load_referentiel(broken)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("doc_id: x\naxes: []\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="invalide"):
        load_referentiel(wrong)
