"""Who said what, at run time: source / cue / content spans, quote type, source kind and reporting chain.

`extract.extract_attributions` is the entry point: the trained `tagger` finds spans, the rules over a
spaCy parse add relays, chains and pronoun antecedents; `spans` holds the data types, `cues` the cue
lexicon and quotation marks that chunking and verification share. Scoring lives in `rag.evaluation`.
"""
