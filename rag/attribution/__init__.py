"""Who said what: source / cue / content spans, quote type, source kind and reporting chain, as data."""

from rag.attribution.extract import extract_attributions
from rag.attribution.spans import Attribution, ChainLink, Span

__all__ = ["Attribution", "ChainLink", "Span", "extract_attributions"]
