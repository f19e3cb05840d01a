import pytest

from rag.index.terms import content_terms, matched, name_terms
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
