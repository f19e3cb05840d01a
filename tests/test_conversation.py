import pytest

from rag.actors.names import ActorNames, place_names
from rag.question.follow_up import standalone_question
from rag.store.catalog import Outlets


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


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        (
            "How many residents would have to be moved, according to the Coast Herald?",
            "And Karsa Today?",
            "How many residents would have to be moved, according to Karsa Today?",
        ),
        (
            "What is Germany's position on sending troops?",
            "And France?",
            "What is France's position on sending troops?",
        ),
        (
            "What did the Coast Herald report about Germany?",
            "And Poland?",
            "What did the Coast Herald report about Poland?",
        ),
        ("Who opposes the dam?", "And the pier?", "Who opposes the dam, regarding the pier?"),
        (
            "What set off the fire, according to the Coast Herald?",
            "And according to Karsa Today?",
            "What set off the fire, according to Karsa Today?",
        ),
    ],
)
def test_a_follow_up_changes_the_one_slot_it_names(previous: str, follow_up: str, standalone: str) -> None:
    outlets = Outlets({"Coast Herald": ("coast-herald-dam",), "Karsa Today": ("karsa-today-dam",)})
    assert standalone_question(follow_up, [previous], outlets, ActorNames(place_names())) == standalone
