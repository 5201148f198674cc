"""The naive LangChain recipe we compare against: RecursiveCharacterTextSplitter(1000, 200) over each whole file,
a Chroma vector store, the same embedder, plain similarity search. No structure, no lexical side, no glossary."""

from __future__ import annotations

import bisect
import uuid
import os

from .config import Settings
from .corpus import load_corpus
from .embedding import EmbeddingCache, make_embedder
from .schema import Chunk, Hit
from .validation import clean_text

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")


class NaiveLangChainRetriever:
    def __init__(self, settings: Settings, chunk_size: int = 1000, chunk_overlap: int = 200):
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        from .langchain_adapter import PacteEmbeddings

        embedder = make_embedder(settings.embedder)
        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap, add_start_index=True)
        self.chunks: list[Chunk] = []
        texts, metadatas = [], []
        for doc in load_corpus(settings.corpus_dir).values():
            full = "\n".join(doc.lines)
            line_starts = [0]
            for line in doc.lines:
                line_starts.append(line_starts[-1] + len(line) + 1)
            for split in splitter.create_documents([full]):
                start = split.metadata["start_index"]
                first = bisect.bisect_right(line_starts, start)
                last = bisect.bisect_right(line_starts, start + max(len(split.page_content) - 1, 0))
                chunk = Chunk(f"{doc.doc_id}:{first}-{last}:{start}", doc.doc_id, (), first, last, split.page_content)
                metadatas.append({"position": len(self.chunks)})
                self.chunks.append(chunk)
                texts.append(split.page_content)
        client = chromadb.EphemeralClient(settings=ChromaSettings(anonymized_telemetry=False))
        embeddings = PacteEmbeddings(embedder, EmbeddingCache(settings.cache_dir, embedder.name))
        self.store = Chroma(
            collection_name=f"naive-{uuid.uuid4().hex[:12]}",
            embedding_function=embeddings,
            client=client,
            collection_metadata={"hnsw:space": "cosine"},
        )
        self.store.add_texts(texts, metadatas=metadatas, ids=[c.id for c in self.chunks])

    def search(self, query: str, k: int = 10, mode: str = "naive") -> list[Hit]:
        query = clean_text(query)
        results = self.store.similarity_search_with_relevance_scores(query, k=k)
        return [
            Hit(self.chunks[doc.metadata["position"]], float(score), rank, {"naive": rank})
            for rank, (doc, score) in enumerate(results, start=1)
        ]


def naive_langchain_retriever(settings: Settings | None = None) -> NaiveLangChainRetriever:
    return NaiveLangChainRetriever(settings or Settings.from_env())
