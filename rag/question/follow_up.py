"""Follow-up questions in a chat: "And France?" or "What about Miroshnik?" becomes a question that stands alone.

A follow-up keeps the question before it and changes the one slot it names: an outlet for an outlet ("And
Karsa Today?" after "…, according to the Coast Herald?"), an actor for an actor ("And France?" after "What is
Germany's position …?"), the speaker asked about, or else the last name of that question.
"""

from __future__ import annotations

import re

from rag.actors.names import ActorNames
from rag.question.plan import SPEAKER_QUESTION, outlet_mentions, speaker_asked
from rag.store.catalog import Outlets

LEADING_CONNECTIVE = re.compile(r"^(?:and|but|so|also|then|ok(?:ay)?|now)\b[\s,]*", re.IGNORECASE)
WHAT_ABOUT = re.compile(r"^(?:what|how)\s+about\s+(?P<topic>.+?)\??$", re.IGNORECASE)
# A few words that ask nothing by themselves ("Karsa Today?", "the Ledger?"): the topic of a follow-up.
FRAGMENT = re.compile(
    r"^(?!(?:what|who|whom|whose|which|when|where|why|how|is|are|was|were|do|does|did|has|have|had|can|could"
    r"|will|would|should|may|might|must)\b)(?P<topic>(?:\S+\s+){0,5}\S+?)\s*\?*$",
    re.IGNORECASE,
)
POSSESSIVE = re.compile(r"['’]s?$")
PRONOUN_SPEAKER = re.compile(r"\b(?:he|she|they|him|her|them)\b", re.IGNORECASE)
# A name in the question before (capitalised words after its first word), which a follow-up's topic replaces.
NAME = re.compile(r"(?<=\s)(?:[A-Z][\w.-]*)(?:\s+(?:of\s+|the\s+)?[A-Z][\w.-]*)*")


def standalone_question(
    question: str, previous: list[str], outlets: Outlets | None = None, names: ActorNames | None = None
) -> str:
    """The question with the context it leans on made explicit; a self-contained question is unchanged.

    - "And what did Moscow say?" -> "what did Moscow say?"
    - after "What did Peskov say?": "What about Miroshnik?" -> "What did Miroshnik say?"
    - after "What did Peskov say?": "Why did he say it?" -> "Why did Peskov say it?"
    - after "What is Germany's position on troops?": "And France?" -> "What is France's position on troops?"
    - after "How many …, according to the Coast Herald?": "And Karsa Today?" -> "How many …, according to
      Karsa Today?"
    - after a question Q that names nobody: "What about Berlin?" -> "Q, regarding Berlin?"
    """
    current = LEADING_CONNECTIVE.sub("", question.strip()) or question.strip()
    if not previous:
        return current
    last = previous[-1].strip()
    speaker = speaker_asked(last)
    about = WHAT_ABOUT.match(current) or FRAGMENT.match(current)
    if about:
        return _with_topic(last, about["topic"].strip(), speaker, outlets or Outlets(), names or ActorNames([]))
    if speaker and PRONOUN_SPEAKER.search(current):
        return PRONOUN_SPEAKER.sub(speaker, current, count=1)
    return current


def _with_topic(last: str, topic: str, speaker: str | None, outlets: Outlets, names: ActorNames) -> str:
    """The question before with the slot the topic fills replaced by it."""
    asked = outlet_mentions(topic, outlets, names)
    if asked:
        mentioned = outlet_mentions(last, outlets, names)
        if mentioned:
            _, start, end = mentioned[-1]
            # Only the outlet's name replaces the one before: "And according to CNN?" keeps one "according to".
            return last[:start] + topic[asked[0][1] : asked[0][2]] + last[end:]
    if names.find(topic):
        named = [found for found in names.find(last) if found.kind != "nested"]
        if named:
            start, end = named[-1].start, named[-1].end
            end = start + len(POSSESSIVE.sub("", last[start:end]))  # "Germany's position": 's stays
            return last[:start] + topic + last[end:]
    if speaker:
        match = SPEAKER_QUESTION.match(last)
        return last[: match.start("speaker")] + topic + last[match.end("speaker") :]
    found = list(NAME.finditer(last))
    if found:
        return last[: found[-1].start()] + topic + last[found[-1].end() :]
    return f"{last.rstrip(' ?')}, regarding {topic}?"
