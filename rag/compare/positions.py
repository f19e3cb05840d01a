"""Actors and their positions: who takes which stance, with the sentences that decided it.

Evidence for an actor is (a) what it is reported as saying (the attribution layer) and (b) sentences in
which it is the grammatical subject ("Berlin opposes the idea"). Names that mean the same actor ("Berlin",
"German") are grouped by the corpus's `ActorNames`; each row keeps the article's exact phrases. Outlets
that relay a report are not actors of it. A position comes from stance words in the evidence
(`stance_words.STANCE_MARKERS`, whole words), read with their negation; with none, it is "no stated position".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rag import settings
from rag.actors.names import ActorNames
from rag.attribution.extract import lemma, parse
from rag.attribution.spans import Attribution, Span
from rag.compare.stance_words import ACTOR_HEADS, NEGATED, NEGATION, POSITIONS, stance_hits
from rag.ingest.articles import Article

if TYPE_CHECKING:
    from spacy.tokens import Token


def _negated(before: str) -> bool:
    """Whether the words just before a stance word negate it ("does not support", "never backed")."""
    return bool(NEGATION.search(" ".join(before.split()[-settings.NEGATION_WINDOW :])))


def stance(text: str) -> str:
    """The first stance family, in `STANCE_MARKERS` order, with a word in the text. A negated stance word
    turns support into opposition and the reverse ("does not support"); a negated worry is no stance."""
    for position, start, _ in stance_hits(text):
        if not _negated(text[:start]):
            return position
        if position in NEGATED:
            return NEGATED[position]
    return "no stated position"


CLAUSES = ("advcl", "conj", "parataxis", "ccomp")
NOUN_CLAUSES = ("relcl", "acl")  # a clause that describes a noun, not what the subject does


@dataclass(frozen=True)
class Evidence:
    article_id: str
    sentence: Span
    phrase: Span
    position: str
    reported_by: str


@dataclass
class ActorRow:
    actor: str
    phrases: list[str] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def position(self) -> str:
        """The most frequent stance among the evidence; ties go to the earlier one in POSITIONS."""
        counts = Counter(e.position for e in self.evidence if e.position != "no stated position")
        if not counts:
            return "no stated position"
        return max(counts, key=lambda p: (counts[p], -POSITIONS.index(p)))

    @property
    def deciding(self) -> list[Evidence]:
        return [e for e in self.evidence if e.position == self.position]

    def to_dict(self) -> dict:
        return {
            "actor": self.actor,
            "phrases": self.phrases,
            "position": self.position,
            "evidence": [
                {
                    "article_id": e.article_id,
                    **e.sentence.to_dict(),
                    "phrase": e.phrase.text,
                    "position": e.position,
                    "reported_by": e.reported_by,
                }
                for e in self.evidence
            ],
        }


def _describe(attribution: Attribution) -> str:
    speaker = attribution.speaker.text if attribution.speaker else "no named source"
    relays = [link.text for link in attribution.chain if link.role in ("told", "according_to", "cited_by")]
    via = f", via {' / '.join(relays)}" if relays else ""
    return f"{speaker} ({attribution.cue.text}{via})"


def _subject_head(tok: Token) -> Token:
    while tok.dep_ in ("conj", "appos"):
        tok = tok.head
    return tok


def _is_subject(tok: Token) -> bool:
    """A subject, or a name coordinated or in apposition with one ("The UK, France, and the Nordic nations")."""
    return _subject_head(tok).dep_ in ("nsubj", "nsubjpass")


def _predicate(subject: Token) -> str:
    """What the sentence says of its subject: the verb's words, without the subject, without clauses
    that have a subject of their own ("Lima moved closer, while La Paz does not support the plan") and
    without clauses that describe another noun ("Berlin sent a force that would fight against Russia",
    "measles harms people who are not protected against it")."""
    verb = subject.head
    own_clauses = [
        c for c in verb.children if c.dep_ in CLAUSES and any(g.dep_ in ("nsubj", "nsubjpass") for g in c.children)
    ]
    own_clauses += [t for t in verb.subtree if t.dep_ in NOUN_CLAUSES and t != verb]
    left_out = {t.i for t in subject.subtree} | {t.i for c in own_clauses for t in c.subtree}
    return " ".join(t.text for t in verb.subtree if t.i not in left_out)


def actor_rows(article: Article, attributions: list[Attribution], names: ActorNames) -> list[ActorRow]:
    """Every actor of one article with its evidence, in order of first appearance."""
    doc = parse(article.text)
    relays = {link.text for a in attributions for link in a.chain if link.role != "speaker"}
    outlets = {names.actor_of(o) or o for o in {article.outlet, *relays}}
    start = article.body_start
    rows: dict[str, ActorRow] = {}

    def add(actor: str, phrase: Span, sentence: Span, stance_text: str, reported_by: str) -> None:
        if actor in outlets:
            return
        row = rows.setdefault(actor, ActorRow(actor))
        if phrase.text not in row.phrases:
            row.phrases.append(phrase.text)
        if all(e.sentence != sentence for e in row.evidence):
            row.evidence.append(Evidence(article.id, sentence, phrase, stance(stance_text), reported_by))

    def sentence_of(offset: int) -> Span:
        sent = next(s for s in doc.sents if s.start_char <= offset < s.end_char)
        return Span.of(article.text, max(start, sent.start_char), sent.start_char + len(sent.text.rstrip()))

    for a in attributions:
        speaker = a.speaker
        if speaker is None or a.source_kind == "outlet":
            continue
        for actor in names.actors_of(speaker.text) or [speaker.text]:
            stated = f"{a.cue.text} {a.content.text}"
            add(actor, speaker, sentence_of(a.cue.start), stated, f"stated by {_describe(a)}")
    for sent in doc.sents:
        for tok in sent:
            named_head = tok.pos_ == "PROPN" or lemma(tok).lower() in ACTOR_HEADS or tok.lower_ in ACTOR_HEADS
            if not _is_subject(tok) or not named_head:
                continue
            phrase = Span.of(article.text, max(start, tok.left_edge.idx), tok.idx + len(tok))
            actor = names.actor_of(phrase.text, possessive=False)
            if actor is None:
                continue
            predicate = _predicate(_subject_head(tok))
            enclosing = [a for a in attributions if a.content.start <= tok.idx < a.content.end]
            reported = f"attributed by {_describe(enclosing[0])}" if enclosing else f"reported by {article.outlet}"
            add(actor, phrase, sentence_of(tok.idx), predicate, reported)
    return list(rows.values())


def merge_rows(per_article: list[list[ActorRow]]) -> list[ActorRow]:
    """One row per actor across articles."""
    merged: dict[str, ActorRow] = {}
    for rows in per_article:
        for row in rows:
            target = merged.setdefault(row.actor, ActorRow(row.actor))
            target.phrases += [p for p in row.phrases if p not in target.phrases]
            target.evidence += row.evidence
    return list(merged.values())
