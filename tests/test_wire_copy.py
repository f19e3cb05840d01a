"""Outlets that run one text: found by the narration their sentences share, never by a quotation alone."""

from __future__ import annotations

import numpy as np

from rag.attribution.spans import Span
from rag.compare.article_pairs import ArticleView, UnitView
from rag.compare.wire_copy import narration, same_text_groups
from rag.ingest.articles import Article
from rag.ingest.units import sentence_spans


def view(outlet: str, text: str) -> ArticleView:
    article = Article(outlet.lower().replace(" ", "-"), "A story", outlet, "2025-03-01", text)
    units = [UnitView(n, Span.of(text, a, b), np.zeros(3)) for n, (a, b) in enumerate(sentence_spans(text))]
    return ArticleView(article, units)


AGENCY = (
    "Regulators closed the regional lender on Friday after depositors pulled billions of dollars in two days. "
    "The bank had been the sixteenth largest in the country by assets at the end of last year. "
)
QUOTE = '"We will protect every depositor in full and without delay," the finance minister said. '


def test_two_outlets_running_one_agency_text_are_grouped_and_a_shared_quotation_is_not() -> None:
    wire = view("Harbour Post", AGENCY + "Local shops reported long queues at cash machines.")
    rewrite = view("Valley Times", "HOUSTON - " + AGENCY.replace("sixteenth", "16th") + QUOTE)
    quoting = view("Daily Ledger", QUOTE + "Our reporter spoke to several savers outside a branch in the old town.")
    other = view("North Wire", QUOTE + "Savers outside the head office said they had waited since dawn to be served.")
    assert same_text_groups([wire, rewrite, quoting, other]) == [["Harbour Post", "Valley Times"]]


def test_narration_leaves_out_what_is_quoted() -> None:
    assert narration('"We will protect every depositor," the minister said on Friday.') == [
        "the",
        "minister",
        "said",
        "on",
        "friday",
    ]
