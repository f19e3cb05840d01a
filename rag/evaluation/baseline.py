"""The plain pipeline we measure against: llama-index dense top-k over the same Chroma store.

No BM25, no reranking, no attribution layer, no abstention and no verification: the answer is the
top passages themselves, each cited. It shows what the rest of our pipeline buys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rag import settings
from rag.question.answer import Answer, Citation, check_question

if TYPE_CHECKING:
    from rag.engine import Engine


class BaselinePipeline:
    def __init__(self, engine: Engine, top_k: int = settings.BASELINE_TOP_K) -> None:
        from llama_index.core.llms import MockLLM
        from llama_index.core.query_engine import RetrieverQueryEngine
        from llama_index.core.response_synthesizers.no_text import NoText

        self._engine = engine
        self._query_engine = RetrieverQueryEngine(
            engine.library.retrieval.index.as_retriever(similarity_top_k=top_k),
            response_synthesizer=NoText(llm=MockLLM()),
        )

    def ask(self, question: str) -> Answer:
        question = check_question(question)
        nodes = self._query_engine.query(question).source_nodes
        catalog = self._engine.catalog
        metas = [hit.node.metadata for hit in nodes]
        entries = {a: catalog.get(a) for a in {meta["article_id"] for meta in metas}}
        shown = [(meta, entry.article) for meta in metas if (entry := entries[meta["article_id"]]) is not None]
        citations, lines = [], []
        for n, (meta, article) in enumerate(shown, 1):
            start, end = int(meta["start"]), int(meta["end"])
            text = article.text[start:end]
            citations.append(Citation(n, article.id, article.outlet, start, end, text, article.title, article.date))
            lines.append(f"{text} [{n}]")
        return Answer(question, "\n".join(lines), False, citations)
