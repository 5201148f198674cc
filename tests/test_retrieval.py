"""Retrieval on the real corpus: the paragraph that answers is found for questions in users' own words."""

from __future__ import annotations

import pytest

from assistant.errors import InvalidInput
from assistant.retrieval import MAX_QUERY_CHARS


def spans(hits, k=5):
    return [(h.chunk.doc_id, h.chunk.line_start, h.chunk.line_end) for h in hits[:k]]


def found(hits, doc_id, line, k=5):
    return any(d == doc_id and a <= line <= b for d, a, b in spans(hits, k))


@pytest.mark.parametrize(
    "question, line",
    [
        ("le SLIME", 1088),  # SLIME+ / CEE précarité: 70 % cap
        ("la cantine à 1 €", 1255),
        ("quelle part doit financer l'Etat pour chaque action ?", 1321),
        ("socle minimal par axe et fongibilité des crédits", 1315),
        ("peut-on cofinancer avec le FSE+ ?", 1307),
        ("aide à l'achat de véhicules propres en zone à faibles émissions", 1178),
    ],
)
def test_known_paragraph_in_top_5(retriever, question, line):
    hits = retriever.search(question, k=10)
    assert found(hits, "instruction-2023-168", line), spans(hits)


def test_acronym_query_is_expanded_from_the_corpus_glossary(retriever):
    hits = retriever.search("qui compte-t-on dans l'indicateur CCAPEX ?", k=10)
    top = " ".join(h.chunk.text for h in hits[:5])
    assert "CCAPEX" in top


def test_hybrid_returns_k_hits_with_positions(retriever):
    hits = retriever.search("accompagnement des personnes sans domicile", k=12)
    assert len(hits) == 12
    assert [h.rank for h in hits] == list(range(1, 13))
    assert all(h.chunk.text for h in hits)
    assert hits == sorted(hits, key=lambda h: -h.score)


@pytest.mark.parametrize("mode", ["bm25", "dense"])
def test_single_side_modes(retriever, mode):
    hits = retriever.search("précarité énergétique", k=5, mode=mode)
    assert len(hits) == 5 and all(mode in h.sources for h in hits)


# The retriever takes a follow-up together with the question it follows: up to two questions' length.
@pytest.mark.parametrize("bad, message", [("", "vide"), ("   \n ", "vide"), ("x" * (MAX_QUERY_CHARS + 1), "trop longue")])
def test_bad_questions_are_refused_in_french(retriever, bad, message):
    with pytest.raises(InvalidInput, match=message):
        retriever.search(bad)


def test_hit_json_shape(retriever, corpus):
    hit = retriever.search("comité de suivi annuel", k=1)[0]
    data = hit.to_dict()
    assert set(data) == {"doc_id", "section_path", "line_start", "line_end", "text", "score"}
    assert data["text"] == corpus[data["doc_id"]].span_text(data["line_start"], data["line_end"])
