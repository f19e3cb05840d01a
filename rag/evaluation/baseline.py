"""The plain pipeline we measure against: llama-index dense top-k over the same Chroma store.

No BM25, no reranking, no attribution layer, no abstention and no verification: the answer is the
top passages themselves, each cited. It shows what the rest of our pipeline buys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.response_synthesizers.no_text import NoText

from rag import settings
from rag.question.answer import Answer, check_question, cite

if TYPE_CHECKING:
    from rag.engine import Engine


class BaselinePipeline:
    def __init__(self, engine: Engine, top_k: int = settings.BASELINE_TOP_K) -> None:

        self._engine = engine
        self._query_engine = RetrieverQueryEngine(
            engine.vector_index().as_retriever(similarity_top_k=top_k),
            response_synthesizer=NoText(llm=MockLLM()),
        )

    def ask(self, question: str) -> Answer:
        question = check_question(question)
        nodes = self._query_engine.query(question).source_nodes
        metas = [hit.node.metadata for hit in nodes]
        articles = {a: self._engine.article(a) for a in {meta["article_id"] for meta in metas}}
        shown = [(meta, article) for meta in metas if (article := articles[meta["article_id"]]) is not None]
        citations, lines = [], []
        for n, (meta, article) in enumerate(shown, 1):
            citations.append(cite(n, article, int(meta["start"]), int(meta["end"])))
            lines.append(f"{citations[-1].text} [{n}]")
        return Answer(question, "\n".join(lines), False, citations)
