"""The read side: from a question's words to the passages that may answer it.

`library` is what answer components read through (retrieval, article texts, attributions by unit,
article views, actor tables); `retrieval` assembles the llama-index pipeline once (dense over Chroma +
BM25, fused, filtered to visible units, reranked); `terms` holds the word-level signals (stemmed content
words, names) shared by reranking and abstention; `who_said_what` groups stored attributions by speaker.
"""
