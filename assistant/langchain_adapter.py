"""LangChain integration: our hybrid retriever as a `BaseRetriever`, and our embedder as LangChain `Embeddings`
(used by the naive baseline so both compare with the same model)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import Embeddings
from langchain_core.retrievers import BaseRetriever

from .embedding import Embedder, EmbeddingCache
from .schema import Hit


def hit_to_document(hit: Hit) -> LCDocument:
    c = hit.chunk
    return LCDocument(
        page_content=c.text,
        metadata={
            "id": c.id,
            "doc_id": c.doc_id,
            "section_path": list(c.section_path),
            "line_start": c.line_start,
            "line_end": c.line_end,
            "score": hit.score,
            "rank": hit.rank,
        },
    )


class PacteRetriever(BaseRetriever):
    """`PacteRetriever(retriever=Retriever.load(), k=5)` plugs into any LCEL chain (`retriever | format_docs`)."""

    retriever: Any
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        return [hit_to_document(h) for h in self.retriever.search(query, k=self.k, mode=self.mode)]


class PacteEmbeddings(Embeddings):
    """LangChain view of an Embedder; document embeddings go through the on-disk cache."""

    def __init__(self, embedder: Embedder, cache: EmbeddingCache | None = None):
        self.embedder = embedder
        self.cache = cache

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if self.cache is None:
            return self.embedder.embed_passages(texts).tolist()
        vectors = self.cache.embed(self.embedder, texts)
        self.cache.save()
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_queries([text])[0].tolist()
