"""Discourse-comparison question answering over news articles, with verbatim, offset-checked citations."""
