"""Hypothetical questions written by the optional LLM for passages that have none (issue 11, item 3): stored as data
tied to the passage's id and text hash, entry points to their passage, regenerated when the passage changes, and
never needed: without PACTE_LLM_URL, or with an endpoint that fails, the build goes on without them."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace

import pytest

from assistant.chunking import chunk_corpus
from assistant.config import PROJECT_ROOT
from assistant.corpus import load_corpus
from assistant.learned.entry_points import build_entry_points, load_passage_questions, text_sha256
from assistant.learned.question_generation import (clean_questions, forget_questions, generate_missing,
                                                    generated_dir, needing_questions, questions_for_new_passages)

try:
    from .llm_fixtures import REPLY, llm_url  # noqa: F401 - fixture
except ImportError:
    from llm_fixtures import REPLY, llm_url  # noqa: F401


@pytest.fixture
def private_corpus(tmp_path, built_index):
    """A copy of the shipped corpus (and the settings of the session's index): generated files go there."""
    corpus = tmp_path / "corpus"
    shutil.copytree(PROJECT_ROOT / "corpus", corpus)
    return replace(built_index, corpus_dir=corpus)


@pytest.fixture(scope="module")
def chunks():
    return chunk_corpus(load_corpus(PROJECT_ROOT / "corpus"))


class FakeWriter:
    model_name = "fake"

    def __init__(self, fail_after: int | None = None):
        self.calls = []
        self.fail_after = fail_after

    def __call__(self, chunk):
        if self.fail_after is not None and len(self.calls) >= self.fail_after:
            raise ConnectionError("endpoint down")
        self.calls.append(chunk.id)
        words = chunk.text.split()[:4]
        return [f"Que dit le passage sur {' '.join(words)} ?", f"Comment s'applique {words[0]} ici ?",
                f"Qui est concerné par {' '.join(words[:2])} ?"]


def test_model_replies_are_cleaned():
    assert clean_questions({"questions": ["Peut-on financer X ?", "peut-on financer x ?", "Qui décide de Y ?",
                                          "Court", 42, "Quel montant pour Z ?"]}) == \
        ["Peut-on financer X ?", "Qui décide de Y ?", "Quel montant pour Z ?"]
    assert clean_questions({"questions": ["Une seule question valable ?"]}) == []  # fewer than 3: no answer
    assert clean_questions({"questions": "pas une liste"}) == []
    assert clean_questions(None) == []
    many = {"questions": [f"Question numéro {n} sur le passage ?" for n in range(10)]}
    assert len(clean_questions(many)) == 6


def test_only_passages_without_fresh_questions_are_asked(chunks):
    records = load_passage_questions(PROJECT_ROOT / "corpus")
    todo = needing_questions(chunks, records)
    covered = {r["passage_id"] for r in records if r.get("questions")}
    assert todo and len(todo) < len(chunks) // 10  # the shipped corpus comes with its questions
    assert not any(c.id in covered and any(r["passage_id"] == c.id and r["text_sha256"] == text_sha256(c.text)
                                           for r in records) for c in todo)


def test_generated_questions_are_entry_points_and_stale_ones_are_regenerated(private_corpus, chunks):
    settings = private_corpus
    writer = FakeWriter()
    report = generate_missing(settings, chunks, load_passage_questions(settings.corpus_dir), writer)
    assert report.generated == len(writer.calls) > 0 and report.error is None
    records = load_passage_questions(settings.corpus_dir)
    generated = [r for r in records if r.get("generator") == "llm:fake"]
    assert {r["passage_id"] for r in generated} == set(writer.calls)
    # Each leads to its passage.
    by_id = {c.id: n for n, c in enumerate(chunks)}
    points = build_entry_points(chunks, records, [], {})
    first = generated[0]
    assert any(e.text == first["questions"][0] and e.targets == (by_id[first["passage_id"]],) for e in points.entries)
    # Nothing left to ask.
    again = FakeWriter()
    generate_missing(settings, chunks, load_passage_questions(settings.corpus_dir), again)
    assert again.calls == []
    # A passage whose text changed is asked again, and its old questions are replaced, not duplicated.
    changed = [replace(c, text=c.text + " Texte modifié.") if c.id == first["passage_id"] else c for c in chunks]
    third = FakeWriter()
    generate_missing(settings, changed, load_passage_questions(settings.corpus_dir), third)
    assert third.calls == [first["passage_id"]]
    mine = [r for r in load_passage_questions(settings.corpus_dir) if r["passage_id"] == first["passage_id"]
            and r.get("generator")]
    assert len(mine) == 1 and mine[0]["text_sha256"] == text_sha256(changed[by_id[first["passage_id"]]].text)


def test_a_failing_endpoint_stops_generation_and_keeps_what_was_written(private_corpus, chunks):
    settings = private_corpus
    report = generate_missing(settings, chunks, load_passage_questions(settings.corpus_dir), FakeWriter(fail_after=2))
    assert report.generated == 2
    assert "relancez `pacte index`" in report.error
    assert len([r for r in load_passage_questions(settings.corpus_dir) if r.get("generator")]) == 2


def test_without_an_endpoint_nothing_is_generated(private_corpus):
    settings = replace(private_corpus, llm_url=None)
    assert questions_for_new_passages(settings).generated == 0
    assert not generated_dir(settings.corpus_dir).exists()


def test_questions_from_an_openai_compatible_endpoint(private_corpus, llm_url):
    """The real client against the fake server: the passage is sent, invalid replies are dropped, valid ones kept
    and embedded into the query cache at once."""
    # A private query cache: the project's is not written by tests.
    settings = replace(private_corpus, llm_url=llm_url, llm_model="fake", cache_dir=private_corpus.corpus_dir.parent / "cache")
    sent = []

    def reply(body):
        passage = body["messages"][-1]["content"]
        sent.append(passage)
        if len(sent) == 1:
            return "Je ne réponds pas en JSON."
        return json.dumps({"questions": ["Que prévoit ce passage pour les familles ?", "Qui finance cette action ?",
                                         f"Que dit la section numéro {len(sent)} ?"]})

    REPLY["content"] = reply
    try:
        report = questions_for_new_passages(settings)
    finally:
        REPLY["content"] = ""
    assert report.rejected == 1 and report.generated == len(sent) - 1 > 0
    assert all("Passage :" in s for s in sent)
    from assistant.embedding import make_embedder
    from assistant.learned.vectors import QueryVectors

    vectors = QueryVectors(make_embedder(settings.embedder), settings.cache_dir)
    assert vectors._cache.missing(["Qui finance cette action ?"]) == 0
    doc_ids = {r["passage_id"].split(":")[0] for r in load_passage_questions(settings.corpus_dir) if r.get("generator")}
    for doc_id in doc_ids:
        forget_questions(settings.corpus_dir, doc_id)
    assert not [r for r in load_passage_questions(settings.corpus_dir) if r.get("generator")]
