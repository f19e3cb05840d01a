from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from rag.ingest.articles import Article, load_article
from rag.ingest.units import chunk_article, sentence_spans
from tests.conftest import SEED_ARTICLE


def make(text: str) -> Article:
    return Article(id="t", title="t", outlet="o", date="2025-01-01", text=text)


def test_seed_units_are_exact_slices_and_keep_speakers_with_quotes() -> None:
    article = load_article(SEED_ARTICLE)
    chunks = chunk_article(article)
    assert all(article.text[c.start : c.end] == c.text for c in chunks)
    quote = next(c for c in chunks if "a hammer the idea is dead" in c.text)
    assert quote.text.endswith("an unnamed senior Western military official admitted, according to The Times.")
    argued = next(c for c in chunks if "they argue" in c.text)
    assert argued.text.startswith("Some EU officials believe")


def test_a_quotation_of_several_sentences_stays_with_its_speaker() -> None:
    text = (
        "The port closed on Monday. “If the council does not back it, the plan is dead. I do not see it getting "
        "off the ground,” a senior port official told the Gazette. Trade fell by half over the week."
    )
    units = [c.text for c in chunk_article(make(text))]
    assert units[1].startswith("“If the council") and units[1].endswith("told the Gazette.")
    assert units[0] == "The port closed on Monday." and units[2].startswith("Trade fell")


def test_scrape_date_marker_and_lone_byline_are_not_units() -> None:
    chunks = chunk_article(load_article(SEED_ARTICLE))
    assert chunks[0].text.startswith("Berlin opposes the idea")
    assert all(c.text != "MNA" for c in chunks)


def test_split_quote_and_pronoun_speaker_rejoin_their_sentence() -> None:
    text = (
        'Officials met on Monday in Geneva. "It is over." said Dr. Jane Roe of St. Mary\'s hospital.\n\n'
        'The minister spoke first. "We will not go," she said. "Never."\n\n'
        "A new paragraph starts here with several words."
    )
    units = [c.text for c in chunk_article(make(text))]
    assert units == [
        "Officials met on Monday in Geneva.",
        '"It is over." said Dr. Jane Roe of St. Mary\'s hospital.',
        'The minister spoke first. "We will not go," she said. "Never."',
        "A new paragraph starts here with several words.",
    ]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "The senator said the plan failed.",
                '"We disagree," he added.',
                "Markets fell 3.5 per cent on Jan. 3.",
                "\n\n",
                " ",
                "“Nobody knew,” an unnamed official admitted, according to the Post.",
                "they argue.",
                "Mr. Smith, of the U.S. Treasury, declined to comment.",
            ]
        ),
        min_size=1,
        max_size=12,
    )
)
def test_units_are_always_exact_ordered_non_overlapping_slices(pieces: list[str]) -> None:
    text = "".join(pieces)
    chunks = chunk_article(make(text))
    assert all(text[c.start : c.end] == c.text and c.text.strip() == c.text for c in chunks)
    assert all(a.end <= b.start for a, b in pairwise(chunks))


def test_sentence_splitting_has_no_wall_clock_limit_another_thread_could_trip() -> None:
    import nltk

    assert sentence_spans("One sentence here. Another one there.") == [(0, 18), (19, 37)]
    assert nltk.redos.DEFAULT_TIMEOUT is None, "a thread holding the GIL for 5 s would fail the ingest"


def test_a_title_before_a_name_does_not_end_the_sentence() -> None:
    text = (
        "“The search has found nothing,” said Capt. Ana Ruiz, who leads it. Lt.-Cmdr. Karl Deane agreed. "
        "Gov. Maria Solberg said the port would stay shut. The ferry left at 9 a.m. Sunday. It did not return."
    )
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "“The search has found nothing,” said Capt. Ana Ruiz, who leads it.",
        "Lt.-Cmdr. Karl Deane agreed.",
        "Gov. Maria Solberg said the port would stay shut.",
        "The ferry left at 9 a.m. Sunday.",
        "It did not return.",
    ]
