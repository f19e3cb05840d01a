"""Who said what: source / cue / content spans, quote type, source kind and reporting chain, as data.

`extract.extract_attributions` is the entry point; `spans` holds the data types, `lexicon` the word
lists and quotation marks that chunking and verification share.
"""
