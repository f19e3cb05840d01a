"""Ingest: corpus files in, committed articles out.

A file (front matter + body) becomes a validated `Article` (`articles`), its body is split into sentence
units with character offsets (`units`), each unit is embedded and the article's attributions and actor
names are extracted, then units go to Chroma and the article to the catalog in one commit (`pipeline`).
`consistency` reports (and repairs) where the corpus folder, the catalog and Chroma disagree.
"""
