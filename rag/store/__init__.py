"""Persistence: what is committed and where it lives.

`catalog` is the SQLite catalog of committed articles (their texts, versions, attributions, actor names
and speaker phrases), the single source of truth for what is visible; `chroma` holds the Chroma client,
the unit collection and unit ids. Ingest writes here; the index reads.
"""
