import pytest

from rag.question.follow_up import standalone_question


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        ([], "And what did Moscow say?", "what did Moscow say?"),
        (["What did Peskov say?"], "What about Miroshnik?", "What did Miroshnik say?"),
        (["What did Peskov say?"], "Why did he say it?", "Why did Peskov say it?"),
        (["Is Germany against sending troops?"], "What about Poland?", "Is Poland against sending troops?"),
        (
            ["Why is Germany reluctant to send troops?"],
            "and what about France?",
            "Why is France reluctant to send troops?",
        ),
        (
            ["which countries are worried about troops?"],
            "What about Poland?",
            "which countries are worried about troops, regarding Poland?",
        ),
        (["What did Peskov say?"], "Who is Rutte?", "Who is Rutte?"),
    ],
)
def test_follow_ups_become_grammatical_standalone_questions(
    previous: list[str], follow_up: str, standalone: str
) -> None:
    assert standalone_question(follow_up, previous) == standalone
