"""Follow-up questions in a chat: rewrite "and what about Miroshnik?" into a question that stands alone."""

from __future__ import annotations

import re

from rag.question.plan import SPEAKER_QUESTION, speaker_asked

LEADING_CONNECTIVE = re.compile(r"^(?:and|but|so|also|then|ok(?:ay)?|now)\b[\s,]*", re.IGNORECASE)
WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<topic>.+?)\??$", re.IGNORECASE)
PRONOUN_SPEAKER = re.compile(r"\b(?:he|she|they|him|her|them)\b", re.IGNORECASE)
# A name in the question before (capitalised words after its first word), which a follow-up's topic replaces.
NAME = re.compile(r"(?<=\s)(?:[A-Z][\w.-]*)(?:\s+(?:of\s+|the\s+)?[A-Z][\w.-]*)*")


def standalone_question(question: str, previous: list[str]) -> str:
    """The question with the context it leans on made explicit; a self-contained question is unchanged.

    - "And what did Moscow say?" -> "what did Moscow say?"
    - after "What did Peskov say?": "What about Miroshnik?" -> "What did Miroshnik say?"
    - after "What did Peskov say?": "Why did he say it?" -> "Why did Peskov say it?"
    - after "Why is Germany reluctant?": "What about France?" -> "Why is France reluctant?"
    - after a question Q that names nobody: "What about Berlin?" -> "Q, regarding Berlin?"
    """
    current = LEADING_CONNECTIVE.sub("", question.strip()) or question.strip()
    if not previous:
        return current
    last = previous[-1]
    speaker = speaker_asked(last)
    about = WHAT_ABOUT.match(current)
    if about:
        topic = about["topic"]
        if speaker:
            match = SPEAKER_QUESTION.match(last.strip())
            return last.strip()[: match.start("speaker")] + topic + last.strip()[match.end("speaker") :]
        names = list(NAME.finditer(last.strip()))
        if names:
            name = names[-1]
            return last.strip()[: name.start()] + topic + last.strip()[name.end() :]
        return f"{last.strip().rstrip(' ?')}, regarding {topic}?"
    if speaker and PRONOUN_SPEAKER.search(current):
        return PRONOUN_SPEAKER.sub(speaker, current, count=1)
    return current
