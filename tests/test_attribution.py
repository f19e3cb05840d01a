from pathlib import Path

import pytest

from rag.attribution.extract import extract_attributions
from rag.attribution.spans import Attribution, Span, quote_type
from rag.config import PROJECT_ROOT
from rag.evaluation.attribution_scores import score_folder
from rag.evaluation.span_metrics import span_scores
from rag.evaluation.speaker_labels import SpeakerLabel, score_speaker_labels
from rag.evaluation.standoff import read_ann, write_ann
from rag.index.who_said_what import speaker_table
from rag.ingest.articles import load_article
from rag.store.speaker_index import StoredAttribution
from tests.conftest import SEED_ARTICLE

GOLD = PROJECT_ROOT / "eval" / "attribution"


def by_cue(attributions: list[Attribution], cue: str) -> Attribution:
    return next(a for a in attributions if a.cue.text == cue)


@pytest.fixture(scope="module")
def seed() -> list[Attribution]:
    article = load_article(SEED_ARTICLE)
    return extract_attributions(article.text, article.outlet)


def test_every_span_is_a_slice_of_the_text(seed: list[Attribution]) -> None:
    text = load_article(SEED_ARTICLE).text
    spans = [s for a in seed for s in (a.source, a.cue, a.content, a.resolved_source) if s is not None]
    assert spans and all(text[s.start : s.end] == s.text for s in spans)


def test_seed_speakers_keep_their_exact_wording_and_chain(seed: list[Attribution]) -> None:
    admitted = by_cue(seed, "admitted")
    assert admitted.source.text == "an unnamed senior Western military official"
    assert admitted.quote_type == "direct" and admitted.source_kind == "anonymous"
    assert [(link.role, link.text) for link in admitted.chain] == [
        ("speaker", "an unnamed senior Western military official"),
        ("according_to", "The Times"),
        ("published_by", "Mehr News Agency"),
    ]
    told = by_cue(seed, "told")
    assert told.source.text == "A European diplomatic source" and told.quote_type == "mixed"
    assert [(link.role, link.text) for link in told.chain][:2] == [
        ("speaker", "A European diplomatic source"),
        ("told", "The Times"),
    ]
    citing = by_cue(seed, "citing")
    assert citing.source.text.startswith("The Times") and citing.source_kind == "outlet"
    assert citing.content.text == "multiple military and diplomatic sources"
    assert citing.chain[0].text == "multiple military and diplomatic sources" and citing.chain[1].role == "cited_by"
    opposes = by_cue(seed, "opposes")
    assert ("according_to", "The Times") in [(link.role, link.text.rstrip(",")) for link in opposes.chain]
    assert by_cue(seed, "said").source.text == "Kremlin spokesman Dmitry Peskov"


def test_pronoun_sources_resolve_to_an_earlier_speaker(seed: list[Attribution]) -> None:
    argue = by_cue(seed, "argue")
    assert argue.source.text == "they" and argue.resolved_source.text == "Some EU officials"


def test_a_relative_who_or_which_speaks_for_the_noun_phrase_it_hangs_on() -> None:
    text = (
        "The summit was opened by India's Prime Minister Narendra Modi, who said the bloc should admit new members. "
        "The plan was drawn up by the transport ministry, which warned that fares would rise."
    )
    speakers = {a.cue.text: a for a in extract_attributions(text)}
    modi, ministry = speakers["said"], speakers["warned"]
    assert modi.source.text == "who" and modi.speaker.text == "India's Prime Minister Narendra Modi"
    assert modi.source_kind == "named_person"
    assert ministry.source.text == "which" and ministry.speaker.text == "the transport ministry"


def test_a_surname_stands_for_the_fuller_name_given_before() -> None:
    text = (
        "Harbour authority spokesman Andrew Mahaleris said the pier would close.\n\n"
        "“We will deploy every crew we have,” Mahaleris said.\n\n"
        "Bank chief Greg Becker urged calm on Thursday. Mr. Becker said the bank was sound.\n\n"
        "Smith said nothing had changed.\n\n"
        "Health secretary Robert F. Kennedy Jr. visited the ward. Kennedy said the outbreak was not unusual."
    )
    found = extract_attributions(text)
    mahaleris = next(a for a in found if a.source and a.source.text == "Mahaleris")
    assert mahaleris.speaker.text == "Harbour authority spokesman Andrew Mahaleris", "the earlier source, with the role"
    becker = next(a for a in found if a.source and a.source.text == "Mr. Becker")
    assert becker.resolved_source is not None and becker.resolved_source.text.endswith("Greg Becker")
    smith = next(a for a in found if a.source and a.source.text == "Smith")
    assert smith.resolved_source is None and smith.speaker.text == "Smith", "no fuller name before: kept as written"
    kennedy = next(a for a in found if a.source and a.source.text == "Kennedy")
    assert kennedy.resolved_source is not None and "Robert F. Kennedy Jr." in kennedy.resolved_source.text
    ad = extract_attributions("An ad featuring Marta Kell said the port would reopen.\n\nKell said it was true.")
    kell = next(a for a in ad if a.source and a.source.text == "Kell")
    assert kell.resolved_source.text == "Marta Kell", "an earlier source about something else is not the person"
    rows = speaker_table([StoredAttribution("a", 0, a) for a in found])
    assert [row.count for row in rows if "Mahaleris" in row.speaker] == [2], "one speaker, one row"
    shown = {row.as_written for row in rows}
    assert "Harbour authority spokesman Andrew Mahaleris / Mahaleris" in shown, "each phrase as the article writes it"
    assert f"Kennedy ({kennedy.resolved_source.text})" in shown, "the name it stands for beside it"


def test_a_pronoun_without_an_antecedent_is_no_speaker() -> None:
    text = "Dock workers walked out on Monday. It said the strike would last a week."
    said = next(a for a in extract_attributions(text) if a.cue.text == "said")
    assert said.source.text == "It" and said.speaker is None and said.source_kind == "none"
    stored = [StoredAttribution("a", 0, said)]
    assert speaker_table(stored) == [], "an attribution without a speaker is no row of who said what"


def test_a_hedge_alone_has_no_source_and_joins_the_cue_it_modifies(seed: list[Attribution]) -> None:
    hedged = [a for a in seed if "reportedly" in a.cue.text]
    concerned = next(a for a in hedged if "concerned" in a.cue.text)
    assert concerned.source.text.startswith("The Baltic states and Poland")
    alone = [a for a in hedged if a is not concerned]
    assert alone and all(a.source is None and a.source_kind == "none" for a in alone)


@pytest.mark.parametrize(
    ("text", "content", "kind"),
    [
        ('"We will stay," Ana Ortiz said.', '"We will stay,"', "direct"),
        ("Ana Ortiz said: «We will stay.»", "«We will stay.»", "direct"),
        ("“We will stay,” Ana Ortiz said.", "“We will stay,”", "direct"),
        ('Ana Ortiz said the team would stay "for now."', 'the team would stay "for now."', "mixed"),
        ("Ana Ortiz said the team would stay.", "the team would stay", "indirect"),
    ],
)
def test_quotation_marks_of_every_style(text: str, content: str, kind: str) -> None:
    found = extract_attributions(text)
    assert [(a.content.text, a.quote_type) for a in found] == [(content, kind)]
    assert found[0].source.text == "Ana Ortiz" and found[0].source_kind == "named_person"


def test_plain_text_without_attributions_yields_none() -> None:
    assert extract_attributions("The river rose by two metres overnight. Roads were closed.") == []


def test_quote_type_rules() -> None:
    assert quote_type("“All of it,”") == "direct"
    assert quote_type("a “wiser alternative.”") == "mixed"
    assert quote_type("the plan failed") == "indirect"


def test_standoff_round_trip(tmp_path: Path, seed: list[Attribution]) -> None:
    text = load_article(SEED_ARTICLE).text
    ann = tmp_path / "seed.ann"
    ann.write_text(write_ann(seed), encoding="utf-8")
    back = read_ann(ann, text)
    assert [(a.source, a.cue, a.content, a.quote_type, a.source_kind) for a in back] == [
        (a.source, a.cue, a.content, a.quote_type, a.source_kind) for a in seed
    ]


def test_metrics_tell_exact_from_overlap() -> None:
    text = "Officials said the plan failed badly."
    gold = [Attribution(Span.of(text, 0, 9), Span.of(text, 10, 14), Span.of(text, 15, 36), "indirect")]
    shorter = [Attribution(Span.of(text, 0, 9), Span.of(text, 10, 14), Span.of(text, 15, 29), "indirect")]
    scores = span_scores(shorter, gold)
    assert scores["source"]["exact"]["f1"] == 1.0
    assert scores["content"]["exact"]["f1"] == 0.0 and scores["content"]["overlap"]["f1"] == 1.0
    assert span_scores([], gold)["cue"]["exact"]["recall"] == 0.0


def test_the_held_out_gold_is_read_whole_and_scored_per_role() -> None:
    """Its scores are reported by `rag eval-attributions`, never pinned here: that would make it tuning data."""
    scores = score_folder(GOLD / "heldout")
    assert scores["files"] == 3 and scores["attributions"] == 24
    for role in ("source", "cue", "content"):
        for match in ("exact", "overlap"):
            counts = scores["spans"][role][match]
            assert counts["gold"] == 24 and 0 <= counts["matched"] <= counts["predicted"]


def test_he_stands_for_the_person_who_spoke_or_acted_not_an_object_or_a_quoted_name() -> None:
    text = (
        "Mayor Karl Deane thanked Minister Tom Hale for the aid on Monday. "
        "He said the harbour would reopen within a month.\n\n"
        "Dock union leader Maria Solberg said on Tuesday that the strike was over. "
        "“I spoke to Peter Lund this morning,” she added."
    )
    found = {a.source.text: a for a in extract_attributions(text) if a.source}
    assert found["He"].speaker.text.endswith("Karl Deane"), "the subject, not the object it thanked"
    assert found["she"].speaker.text.endswith("Maria Solberg"), "not a name inside the quotation"


def test_a_possessive_pronoun_is_never_shown_as_a_speaker() -> None:
    cue, content = Span(4, 11, "fear of"), Span(12, 20, "collapse")
    attribution = Attribution(Span(0, 3, "his"), cue, content, "indirect")
    assert attribution.named_source is None and attribution.speaker is None


@pytest.mark.parametrize(
    ("text", "cue", "kind"),
    [
        ("The head of the dockers' union, Karl Deane, said the strike would end.", "said", "named_person"),
        ("Politiken reported that the company would cut jobs.", "reported", "outlet"),
        ("KXYZ reported that the school had closed.", "reported", "outlet"),
        ("The regional news site said the road was closed.", "said", "outlet"),
        ("The health department reported that cases had doubled.", "reported", "named_organisation"),
        ("A council report, seen by this newspaper, said the bridge was unsafe.", "said", "anonymous"),
    ],
)
def test_source_kinds_come_from_the_phrase_head_and_its_names(text: str, cue: str, kind: str) -> None:
    found = next(a for a in extract_attributions(text) if a.cue.text == cue)
    assert found.source_kind == kind, found.speaker


def test_shown_speakers_are_scored_against_labels_by_offsets(tmp_path: Path) -> None:
    body = (
        "Harbour minister Ana Ruiz said on Monday that the pier would close.\n\n"
        "“We will rebuild,” she added.\n\n"
        "Karl Deane said the harbour would reopen. He added that the aid had arrived."
    )
    folder = tmp_path / "harbour" / "articles"
    folder.mkdir(parents=True)
    (folder / "pier.md").write_text(
        f"---\nid: pier\ntitle: Pier\noutlet: Beacon Post\ndate: 2025-01-02\n---\n{body}\n", encoding="utf-8"
    )
    text = load_article(folder / "pier.md").text
    found = {a.source.text: a for a in extract_attributions(text) if a.source}

    def label(source: str, speaker: str | None, kind: str | None) -> SpeakerLabel:
        cue = found[source].cue
        at = text.index(speaker) if speaker else -1
        mention = (at, at + len(speaker)) if speaker else None
        return SpeakerLabel("harbour", "pier.md", (cue.start, cue.end), mention, kind)

    labels = [
        label("Harbour minister Ana Ruiz", "Harbour minister Ana Ruiz", "named_person"),
        label("she", "Ana Ruiz", "named_person"),  # another mention of the same person counts
        label("He", None, None),  # labelled as no speaker: shown, so wrong
    ]
    scores = score_speaker_labels(labels, tmp_path)
    assert (scores["shown"], scores["right"], scores["labelled_speakers"]) == (3, 2, 2)
    assert scores["precision"] == pytest.approx(2 / 3) and scores["kinds_right"] == 1.0


def test_a_title_the_tokenizer_cuts_from_a_name_stays_with_it() -> None:
    text = "The ferry was reported overdue on Sunday.\nLt.-Cmdr. Len Hickey said two aircraft were helping the search."
    said = next(a for a in extract_attributions(text) if a.cue.text == "said")
    assert said.speaker.text == "Lt.-Cmdr. Len Hickey" and said.source_kind == "named_person"


def test_a_dateline_is_no_part_of_a_speaker() -> None:
    found = extract_attributions("NORTH VALE – The Harbour Courier reports that the ferry will stop running in May.")
    assert found[0].source.text == "The Harbour Courier"


def test_an_outlet_a_claim_was_confirmed_to_is_its_recipient_and_a_link_of_its_chain() -> None:
    text = "Clinic spokesperson Ana Ruiz confirmed the closure to The Associated Press. According to KXYZ, it is final."
    confirmed, according = extract_attributions(text)
    assert confirmed.recipient.text == "The Associated Press"
    assert ("told", "The Associated Press") in [(link.role, link.text) for link in confirmed.chain]
    assert according.source.text == "KXYZ" and according.recipient is None  # "according to X": X is the source
