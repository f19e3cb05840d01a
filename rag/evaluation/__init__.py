"""Measuring the product: QA files in, scores and reports out.

`qa` runs a QA file (JSONL) through the pipeline and the plain `baseline` and scores answers, retrieval and
`citation_quality`; `report` writes Markdown / HTML / JSON. Attribution extraction is scored against brat
gold or PolNeAR by `attribution_scores`, with `span_metrics`, and the readers `standoff` and `polnear`.
"""
