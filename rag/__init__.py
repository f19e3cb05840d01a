"""Discourse-comparison question answering over news articles, with verbatim, offset-checked citations.

An article goes `ingest/` -> `store/`; a question goes `engine.py` (the one door) -> `question/`, which
reads through `index/`; a score comes from `evaluation/`. `attribution/`, `actors/` and `compare/` find
who says what, who the actors are and how outlets differ; `models/` runs the shipped weights; every tuning
constant is in `settings.py`.
"""
