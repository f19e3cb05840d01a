import pytest

from rag.index.bm25 import bm25_tokenizer
from rag.index.terms import content_terms, matched, name_terms, words
from rag.question.plan import speaker_asked


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did Olaf Scholz say?", "Olaf Scholz"),
        ("What did the Chinese foreign ministry say about the UN force?", "the Chinese foreign ministry"),
        ("How does Trump's position contrast with what the European diplomatic source said?", None),
        ("Who said the idea is dead?", None),
    ],
)
def test_speaker_asked(question: str, speaker: str | None) -> None:
    assert speaker_asked(question) == speaker


def test_word_families_match_across_stems_but_unrelated_names_do_not() -> None:
    present = content_terms("Russia’s Foreign Intelligence Service warned Europe")
    assert matched(name_terms("What did the Russian service and European leaders say?"), present) == {
        "russian",
        "european",
    }
    assert not matched(name_terms("What did Iraq and Austria say?"), content_terms("Iran and Australia"))


def test_single_letters_are_not_names() -> None:
    assert name_terms("Who told Reuters that a startup had $20M stuck in U.S. banks?") == {"reuter"}


def test_one_tokeniser_splits_hyphens_keeps_accents_and_feeds_bm25() -> None:
    text = "Tomás Herrera backed the water-sharing pact; Russia’s 1,000 troops"
    assert words(text) == ["tomás", "herrera", "backed", "the", "water", "sharing", "pact", "russia", "1,000", "troops"]
    indexed = bm25_tokenizer().tokenize([text], return_as="string", show_progress=False)[0]
    assert indexed == ["tomá", "herrera", "back", "water", "share", "pact", "russia", "1,000", "troop"]
    assert content_terms("the water-sharing pact") == {"water", "share", "pact"}, "the lexical checks see BM25's words"
