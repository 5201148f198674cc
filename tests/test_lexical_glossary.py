"""French lexical analysis and the corpus glossary of acronyms."""

from __future__ import annotations

import pytest

from assistant.glossary import expand_query, extract_glossary
from assistant.lexical import BM25, RELATED_WEIGHT, analyse, weighted_overlap


def test_accents_elisions_and_thousands_are_normalised():
    assert analyse("l'État") == analyse("Etat") == analyse("état")
    assert analyse("1 000 €") == analyse("1000") == ["1000"]
    assert analyse("d’accès aux droits") == analyse("acces droits")


def test_stemming_and_stopwords():
    assert analyse("les familles monoparentales") == analyse("famille monoparentale")
    assert analyse("de la et le les") == []


def test_fse_plus_stays_distinct():
    assert "fse+" in analyse("FSE+")


def test_bm25_ranks_the_matching_document_first():
    docs = [analyse(t) for t in ["cantine à 1 euro", "précarité énergétique et SLIME", "mobilité solidaire"]]
    assert BM25(docs).top(analyse("SLIME précarité"), 1)[0][0] == 1


@pytest.fixture(scope="module")
def glossary(corpus):
    return extract_glossary(corpus)


@pytest.mark.parametrize(
    "acronym, words",
    [
        ("CCAPEX", "commissions de coordination des actions de prévention des expulsions"),
        ("SIAO", "services intégrés de l'accueil et de l'orientation"),
        ("SLIME+", "services locaux d'intervention pour la maîtrise de l'énergie"),
        ("FSATME", "fonds sociaux d'aide aux travaux de maîtrise de l'énergie"),
        ("QF", "quotient familial"),
        ("ZFE", "zones à faible émission"),
        ("CALPAE", "conventions d'appui à la lutte contre la pauvreté et d'accès à l'emploi"),
        ("ASE", "aide sociale à l'enfance"),
        ("PMI", "protection maternelle et infantile"),
    ],
)
def test_acronyms_defined_in_the_corpus(glossary, corpus, acronym, words):
    entry = glossary[acronym]
    assert entry.long_form.lower() == words.lower()
    line = corpus[entry.doc_id].lines[entry.line - 1]
    assert acronym in line


def test_acronyms_used_but_not_defined_are_marked_curated(glossary):
    assert glossary["DEETS"].doc_id is None and glossary["CEE"].doc_id is None


def test_query_expansion_both_ways(glossary):
    assert "prévention des expulsions" in expand_query("indicateur CCAPEX", glossary)
    assert "(FSL)" in expand_query("fonds de solidarité pour le logement", glossary)
    assert expand_query("rien à développer ici", glossary) == "rien à développer ici"


def test_related_french_forms_count_for_part_of_their_weight():
    weights = {t: 1.0 for t in analyse("décrochage alimentaire")}
    exact = weighted_overlap(weights, set(analyse("décrochage alimentaire")))
    related = weighted_overlap(weights, set(analyse("ils décrochent, alimentation")))
    unrelated = weighted_overlap(weights, set(analyse("logement emploi")))
    assert exact == 2.0
    assert related == pytest.approx(2 * RELATED_WEIGHT)
    assert unrelated == 0.0
