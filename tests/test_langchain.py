"""Our retriever inside a real LangChain LCEL chain, and the naive LangChain recipe used as a baseline."""

from __future__ import annotations

from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant.langchain_adapter import PacteRetriever


def test_retriever_in_an_lcel_chain(retriever, corpus):
    lc_retriever = PacteRetriever(retriever=retriever, k=3)

    def format_docs(docs):
        return "\n\n".join(f"[{d.metadata['doc_id']} l.{d.metadata['line_start']}-{d.metadata['line_end']}] {d.page_content}" for d in docs)

    prompt = ChatPromptTemplate.from_template("Contexte :\n{context}\n\nQuestion : {question}")
    # An offline "model": echoes the prompt, so the chain really runs retriever -> prompt -> model -> parser.
    model = RunnableLambda(lambda value: value.to_string())
    chain = {"context": lc_retriever | format_docs, "question": RunnablePassthrough()} | prompt | model | StrOutputParser()
    output = chain.invoke("Quelle part de l'État dans le cofinancement de chaque action ?")
    assert "Question : Quelle part" in output
    docs = lc_retriever.invoke("Quelle part de l'État dans le cofinancement de chaque action ?")
    assert len(docs) == 3
    for d in docs:
        assert d.page_content == corpus[d.metadata["doc_id"]].span_text(d.metadata["line_start"], d.metadata["line_end"])
        assert f"l.{d.metadata['line_start']}-{d.metadata['line_end']}" in output


def test_batch_and_async_interfaces(retriever):
    import asyncio

    lc_retriever = PacteRetriever(retriever=retriever, k=2, mode="bm25")
    batch = lc_retriever.batch(["le SLIME", "la cantine à 1 €"])
    assert [len(b) for b in batch] == [2, 2]
    assert len(asyncio.run(lc_retriever.ainvoke("le SLIME"))) == 2
