"""Questions across outlets ("Do A and B agree on …?", "Which outlets report …?", "Whom does each credit?",
"What does A include that B leaves out?"), asked of each outlet: every outlet in the question's scope (those
it names, or all outlets of the story) answers it within its own article by the same ranking and
answerability decision as any question; the answers are then lined up, each outlet's value and speakers
with its citation, and the outlets that do not answer listed as such."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag import settings
from rag.attribution.spans import Attribution, Span
from rag.compare.article_pairs import stories
from rag.compare.claim_pairs import NUMBER
from rag.compare.positions import ActorRow, Evidence
from rag.compare.story_claims import Cell, Claim, claims
from rag.compare.wire_copy import same_text_groups
from rag.index.library import Library
from rag.index.terms import content_terms, matched, name_terms
from rag.question.answer import Answer, Citation, abstention, cite
from rag.question.answer_phrase import answer_phrase
from rag.question.answerable import answered_probability, unanswered_reason
from rag.question.compose import cite_passages, compose
from rag.question.plan import Plan

if TYPE_CHECKING:
    from llama_index.core.schema import NodeWithScore

# "What does A include that B leaves out / does not mention / omits?" (not any "not": "a child who was not
# vaccinated" asks no such thing).
# What a passage lacks when it gives no answer of the asked type.
VALUE_WORDS = {
    "time": "a date or time",
    "number": "a figure",
    "amount": "an amount",
    "place": "a place",
    "duration": "a length of time",
    "name": "a name",
}
LEAVES_OUT = re.compile(
    r"\b(?:leaves? out|left out|omits?|omitted|drops?|lacks?|miss(?:es)?|(?:does|do|did)(?:\s+not|n['’]t))\b", re.I
)
ASKS_POSITION = re.compile(r"\b(?:positions?|stances?|views?|stand)\b", re.IGNORECASE)


@dataclass(frozen=True)
class OutletAnswer:
    """One outlet's answer to the question: its best passages, and how likely they answer it."""

    outlet: str
    hits: list[NodeWithScore]
    answered: float
    credits_asked: bool = False  # its sources bear every name a question on crediting asks about

    @property
    def answers(self) -> bool:
        return self.answered >= settings.ANSWERED_AT or self.credits_asked


def _story(plan: Plan, library: Library) -> list[str]:
    """The articles of the story asked about: the chosen ones, or the whole story of the best passage
    (always for a question about an outlet group, which is compared with the story's other outlets)."""
    if plan.scope and len(plan.scope) > 1 and not plan.groups:
        return list(plan.scope)
    hits = library.retrieval.retrieve(plan.searched, 1, plan.scope, rerank="lexical")
    if not hits:
        return []
    top = hits[0].node.metadata["article_id"]
    return next(group for group in stories(library.article_views()) if top in group)


def _name_words(outlet: str) -> list[str]:
    """The words of an outlet's name a question may name it by ("Ledger" for "The Ostrian Ledger")."""
    return [w for w in re.findall(r"[\w’'-]{4,}", outlet) if not w.isdigit()]


def _position(question: str, outlet: str) -> int:
    """Where the question first names an outlet (by any word of its name, in any case: "karsa today")."""
    words = _name_words(outlet)
    spots = [m.start() for w in words if (m := re.search(rf"\b{re.escape(w)}\b", question, re.IGNORECASE))]
    return min(spots, default=len(question))


# The words of "What does A include / report / mention that B leaves out?" beside any topic.
OMISSION_WORDS = frozenset(content_terms("include includes leave leaves left out omit omits mention mentions report"))


def _asks_every_omission(plan: Plan) -> bool:
    """ "What does A include that B leaves out?" names no topic: the sentence asking it holds no other word (a
    sentence before it, "A and B run the same wire story.", only sets the scene)."""
    sentences = re.split(r"(?<=[.?!])\s+", plan.searched)
    asking = next((s for s in reversed(sentences) if LEAVES_OUT.search(s)), plan.searched)
    return content_terms(asking) <= OMISSION_WORDS


def _includes_and_omits(question: str, named: list[str], omission: int) -> tuple[str, str]:
    """Of two outlets a question names, the one whose report includes something and the one that leaves it out:
    the one named last before "leaves out" / "does not" omits it ("Which names does Dawn give that The Japan
    News leaves out?"), whatever order they first appear in."""
    before = {outlet: _last_mention(question[:omission], outlet) for outlet in named}
    omits = max(named, key=lambda outlet: before[outlet])
    if before[omits] < 0:
        return named[0], named[1]
    return next(outlet for outlet in named if outlet != omits), omits


def _last_mention(text: str, outlet: str) -> int:
    """Where `text` last names the outlet, by its name or a word of it ("The Age", "Ledger"), or -1."""
    name = re.sub(r"^the\s+", "", outlet, flags=re.IGNORECASE)
    words = [name, *_name_words(name)]
    spots = [m.start() for w in words for m in re.finditer(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]
    return max(spots, default=-1)


def _outlets(library: Library, story: list[str]) -> dict[str, list[str]]:
    """Outlet -> its articles in the story."""
    articles = library.articles(story)
    by_outlet: dict[str, list[str]] = {}
    for article_id in story:
        if article_id in articles:
            by_outlet.setdefault(articles[article_id].outlet, []).append(article_id)
    return by_outlet


def _named(plan: Plan, everyone: dict[str, list[str]]) -> list[str]:
    """The story's outlets the question names, in the order it names them."""
    return sorted((o for o in plan.outlets if o in everyone), key=lambda o: _position(plan.question, o))


def asked_outlets(plan: Plan, library: Library) -> dict[str, list[str]]:
    """Outlet -> its articles, for each outlet the question is asked of: those it names, or every outlet of the
    story."""
    everyone = _outlets(library, _story(plan, library))
    named = _named(plan, everyone)
    return {outlet: everyone[outlet] for outlet in named} if named else everyone


def ask_each(plan: Plan, library: Library, outlets: dict[str, list[str]]) -> list[OutletAnswer]:
    """The question asked of each outlet's articles: its ranked passages and the decision's probability."""
    found = []
    for outlet, article_ids in outlets.items():
        hits = library.retrieval.retrieve(plan.searched, plan.top_k, article_ids)
        answered = answered_probability(plan, hits, library) if hits else 0.0
        crediting = _crediting_names(plan, library, article_ids)
        if crediting:
            credited = {_unit_of(hit) for hit in crediting}
            hits = crediting + [hit for hit in hits if _unit_of(hit) not in credited]
        found.append(OutletAnswer(outlet, hits, answered, credits_asked=bool(crediting)))
    return found


def _unit_of(hit: NodeWithScore) -> tuple[str, int]:
    return hit.node.metadata["article_id"], int(hit.node.metadata["unit"])


def _crediting_names(plan: Plan, library: Library, article_ids: list[str]) -> list[NodeWithScore]:
    """ "Which outlet builds its story on quotes from the Courier and KXYZ?": the passages whose sources (or the
    outlets their sources told) bear the names the question asks about, when together they bear all of them;
    else none."""
    if not (plan.credits and plan.names):
        return []
    passages: dict[tuple[str, int], set[str]] = {}
    for item in library.catalog.speakers.attributions(set(article_ids)):
        spans = (item.attribution.named_source, _told(item.attribution))
        named = matched(set(plan.names), {w for s in spans if s is not None for w in name_terms(f"x {s.text}")})
        if named and item.unit is not None:
            passages.setdefault((item.article_id, item.unit), set()).update(named)
    if set().union(*passages.values()) != plan.names:
        return []
    found = [library.passage(article_id, unit) for article_id, unit in passages]
    return [hit for hit in found if hit is not None]


def _line_up(plan: Plan, answers: list[OutletAnswer], library: Library, named: bool) -> Answer:
    """Each answering outlet's best passages (see `most` below; for a crediting question, also those naming a
    news organisation it credits), cited under the outlet; a first line saying which outlets answer and which do
    not. When the question names figures
    ("Which outlets say the dam would power 400,000 homes?"), an outlet whose passage gives other figures
    does not count as answering; it is shown with its figures."""
    answering = [a for a in answers if a.answers]
    silent = [a.outlet for a in answers if not a.answers]
    if not named:
        answering = sorted(answering, key=lambda a: -a.answered)[: settings.VALUES_CITED]
    asked = NUMBER.findall(plan.searched)  # not the digits of an outlet's name ("B98.5")
    chosen: list[NodeWithScore] = []
    # An outlet the question names is cited as a question asked of it alone would be (up to `MAX_CITED` passages
    # from `CITED_AT`: its answer is often in its second or third sentence); of a whole story's outlets, each
    # cites a second passage only when the ranker rates it as answering too.
    most, cited_at = (settings.MAX_CITED, settings.CITED_AT) if named else (2, settings.ANSWERING_AT)
    by_unit = library.attributions_by_unit({_unit_of(h)[0] for a in answering for h in a.hits}) if plan.credits else {}
    for outlet_answer in answering:
        best, *others = outlet_answer.hits
        also = [hit for hit in others if hit.node.metadata.get("answers", 0.0) >= cited_at]
        chosen += [best, *also[: most - 1]]
        if plan.credits:
            chosen += _crediting(outlet_answer.hits[: settings.CREDIT_WINDOW], chosen, by_unit)
    answered = cite_passages(plan, chosen, library)
    by_outlet: dict[str, list[Citation]] = {}
    for citation in answered.citations:
        by_outlet.setdefault(citation.outlet, []).append(citation)
    texts = {a: article.text for a, article in library.articles([c.article_id for c in answered.citations]).items()}

    def gives_value(outlet: str) -> bool:
        """For "How many …?", a sentence on the subject that gives no number is no answer."""
        cited = by_outlet[outlet]
        return not plan.expects or any(answer_phrase(plan, texts[c.article_id], c.start, c.end) for c in cited)

    giving = [
        a.outlet
        for a in answering
        if all(f in " ".join(c.text for c in by_outlet[a.outlet]) for f in asked) and gives_value(a.outlet)
    ]
    listed = ", ".join(f"{outlet} " + "".join(f"[{c.n}]" for c in by_outlet[outlet]) for outlet in giving)
    share = f"All {len(answers)}" if len(giving) == len(answers) else f"{len(giving)} of {len(answers)}"
    lines = [f"{share} outlets answer this: {listed}." if giving else f"None of {len(answers)} outlets answers this."]
    if silent and named:
        lines[0] += " Not given by " + ", ".join(silent) + ("" if silent[-1].endswith(".") else ".")  # "City A.M."
    elif silent:
        lines[0] += " The other one does not." if len(silent) == 1 else f" The other {len(silent)} do not."
    lines += _same_text(giving, library, answered.citations)
    if plan.credits:
        lines += _credit_lines([a.outlet for a in answering], by_outlet, answered.attributions)
    valueless = [a.outlet for a in answering if a.outlet not in giving and not gives_value(a.outlet)]
    if valueless:
        cited = "; ".join(f"{outlet} " + "".join(f"[{c.n}]" for c in by_outlet[outlet]) for outlet in valueless)
        lines.append(f"Cited without {VALUE_WORDS[plan.expects]}: {cited}.")
    others = [a.outlet for a in answering if a.outlet not in giving and a.outlet not in valueless]
    if others:
        figures = [
            f"{', '.join(f'“{n}”' for n in NUMBER.findall(c.text)) or 'no figure'} in {outlet} [{c.n}]"
            for outlet in others
            for c in by_outlet[outlet]
        ]
        lines.append(f"With other figures: {'; '.join(figures)}.")
    lines += _differences([a.hits[0] for a in answers if a in answering], answered.citations, library)
    body = answered.answer.splitlines()
    if plan.expects and body and not body[0].endswith(" reports:"):  # the values, agreeing or not: right after
        lines.insert(1, body.pop(0))  # the outlets that answer
    answer_text = "\n".join([*lines, *body])
    return Answer(plan.question, answer_text, False, answered.citations, answered.attributions)


def _crediting(
    hits: list[NodeWithScore], chosen: list[NodeWithScore], by_unit: dict[tuple[str, int], list[Attribution]]
) -> list[NodeWithScore]:
    """Of an outlet's passages ranked for the question, those not chosen yet that credit a news organisation
    (its speaker is one, or it was told to one): where the outlet says whose reporting it relays. `by_unit`
    holds the attributions of the outlets' articles, read once for all of them."""

    def credits_an_outlet(hit: NodeWithScore) -> bool:
        return any(a.source_kind == "outlet" or _told(a) is not None for a in by_unit.get(_unit_of(hit), []))

    return [hit for hit in hits if hit not in chosen and credits_an_outlet(hit)]


def _told(attribution: Attribution) -> Span | None:
    """Whom a source told it, when that is a name ("told the Ledger", "confirmed to CNN"; not "told reporters")."""
    recipient = attribution.recipient
    return recipient if recipient is not None and any(w[:1].isupper() for w in recipient.text.split()) else None


def _credit_lines(outlets: list[str], by_outlet: dict[str, list[Citation]], shown: list[dict]) -> list[str]:
    """Whom each outlet credits in its cited passages, as it names them: every speaker, and an outlet told."""
    lines = ["Whom each outlet credits:"]
    for outlet in outlets:
        parts = []
        for citation in by_outlet[outlet]:
            named: list[str] = []
            for item in shown:
                if item["n"] != citation.n:
                    continue
                attribution = Attribution.from_dict(item)
                named += [span.text for span in (attribution.named_source, _told(attribution)) if span is not None]
            if named:
                parts.append(", ".join(f"“{name}”" for name in dict.fromkeys(named)) + f" [{citation.n}]")
        unsourced = "no source given " + "".join(f"[{c.n}]" for c in by_outlet[outlet])
        lines.append(f"- {outlet}: " + ("; ".join(parts) or unsourced))
    return lines


def _same_text(outlets: list[str], library: Library, citations: list[Citation]) -> list[str]:
    """Which of the answering outlets run one text (an agency's copy), and how many accounts that leaves: such
    outlets count once."""
    if len(outlets) < 2:
        return []
    views = library.article_views(list(dict.fromkeys(c.article_id for c in citations if c.outlet in outlets)))
    groups = [group for group in same_text_groups(views) if len(group) > 1]
    if not groups:
        return []
    named = "; ".join(" and ".join(group) for group in groups)
    accounts = len(outlets) - sum(len(group) - 1 for group in groups)
    return [f"Run the same text: {named}; counted once, {accounts} independent account(s) answer."]


def _differences(best: list[NodeWithScore], citations: list[Citation], library: Library) -> list[str]:
    """How the outlets' best sentences differ (stance words, figures, people named, hedges, speakers, relays),
    in the outlets' own words, each value citing the first outlet that has it."""
    if len(best) < 2:
        return []
    views = {view.article.id: view for view in library.article_views([h.node.metadata["article_id"] for h in best])}
    cells = []
    for hit in best:
        view = views[hit.node.metadata["article_id"]]
        unit = next(u for u in view.units if u.unit == int(hit.node.metadata["unit"]))
        cells.append(Cell(view.article, unit))
    found = Claim(cells).differences()
    lines = ["Where their accounts differ:"] if found else []
    for difference in found:
        firsts = [next((c for c in citations if c.outlet in part), None) for part in difference.split("; ")]
        lines.append(f"- {difference} " + "".join(dict.fromkeys(f"[{c.n}]" for c in firsts if c)))
    return lines


def _only_in(plan: Plan, library: Library, first: list[str], second: list[str], names: tuple[str, str]) -> Answer:
    """What the first outlet (or group) reports that the second leaves out, most relevant to the question first:
    its passages ranked for the question, less those whose claim the second carries too."""
    found = claims(library.article_views([*first, *second]))
    only_first = [c for c in found if not any(cell.article.id in second for cell in c.cells)]
    mine = {(cell.article.id, cell.unit.unit) for claim in only_first for cell in claim.cells}
    ranked = library.retrieval.retrieve(plan.searched, settings.RELEVANCE_CANDIDATES, first)
    hits = [hit for hit in ranked if (hit.node.metadata["article_id"], int(hit.node.metadata["unit"])) in mine]
    if not hits:
        return abstention(plan.question, f"{names[0]} carries no claim that is missing from {names[1]}.")
    answered = cite_passages(plan, hits[: settings.MAX_CITED], library)
    shown = "" if len(only_first) <= len(answered.citations) else ", the most relevant first"
    lead = f"{names[0]} carries {len(only_first)} claim(s) missing from {names[1]}{shown}:"
    return Answer(plan.question, f"{lead}\n{answered.answer}", False, answered.citations, answered.attributions)


def _evidence_of(actor: str, rows: list[ActorRow]) -> Evidence | None:
    """The first evidence with a stance among an article's rows for the actor (rows are matched by the actor's
    last name word, so "Kennedy" finds "Robert F. Kennedy Jr" too)."""
    last = actor.split()[-1].lower()
    for row in rows:
        if row.actor == actor or last in row.actor.lower().split():
            found = next((e for e in row.evidence if e.position != "no stated position"), None)
            if found:
                return found
    return None


def _actor_positions(plan: Plan, library: Library, story: list[str]) -> Answer | None:
    """ "Do the outlets agree on X's position?": every outlet that gives X a position, by the stance its text
    gives X (the actor's own clause or statement), with the sentence as evidence."""
    actor = next(iter(plan.actors))
    articles = library.articles(story)
    found = {}
    for article_id in story:
        evidence = _evidence_of(actor, library.actor_table(None, [article_id]))
        if evidence is not None:
            found[article_id] = evidence
    if not found:
        return None
    citations = [cite(n, articles[a], e.sentence.start, e.sentence.end) for n, (a, e) in enumerate(found.items(), 1)]
    by_position: dict[str, list[Citation]] = {}
    for citation, evidence in zip(citations, found.values(), strict=True):
        by_position.setdefault(evidence.position, []).append(citation)
    readings = "; ".join(
        f"{position} in " + ", ".join(f"{c.outlet} [{c.n}]" for c in cited) for position, cited in by_position.items()
    )
    silent = len(story) - len(found)
    lines = [f"{len(found)} of {len(story)} outlets give {actor} a position: {readings}."]
    if silent:
        lines[0] += f" The other {silent} state none."
    for citation in citations:
        lines += [f"{citation.outlet} ({citation.date}) reports:", f"> {citation.text} [{citation.n}]"]
    return Answer(plan.question, "\n".join(lines), False, citations)


def answer(plan: Plan, library: Library) -> Answer | None:
    story = _story(plan, library)
    if not story:
        return None
    if len(story) == 1:
        hits = library.retrieval.retrieve(plan.searched, plan.top_k, story)
        reason = unanswered_reason(plan, hits, library)
        if reason:
            return abstention(plan.question, reason)
        outlet = library.articles(story)[story[0]].outlet
        lead = f"Only {outlet} among the indexed outlets reports this story; there is no other account to compare."
        return compose(plan, hits, library, lead)
    if len(plan.actors) == 1 and ASKS_POSITION.search(plan.question) and not plan.outlets:
        return _actor_positions(plan, library, story)
    everyone = _outlets(library, story)
    named = _named(plan, everyone)
    if LEAVES_OUT.search(plan.question) and len(plan.groups) == 1:
        group, members = next(iter(plan.groups.items()))
        ours = [a for outlet in members for a in everyone.get(outlet, [])]
        theirs = [a for outlet, ids in everyone.items() if outlet not in members for a in ids]
        return _only_in(plan, library, ours, theirs, (f"The {group} coverage", "the other outlets"))
    leaves_out = LEAVES_OUT.search(plan.question)
    if len(named) == 2 and leaves_out:
        first, second = _includes_and_omits(plan.question, named, leaves_out.start())
        if _asks_every_omission(plan):  # "What does A include that B leaves out?": every claim B lacks
            return _only_in(plan, library, everyone[first], everyone[second], (first, second))
        named = [first, second]  # "What size does A give for X that B leaves out?": X asked of each
    answers = ask_each(plan, library, {o: everyone[o] for o in named} if named else everyone)
    if not any(a.answers for a in answers):
        best = max(answers, key=lambda a: a.answered)
        return abstention(plan.question, unanswered_reason(plan, best.hits, library) or "")
    return _line_up(plan, answers, library, named=bool(named))
