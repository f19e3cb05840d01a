"""The trained tagger: decoding, windows, the PolNeAR reader, and the attributions it finds in text it never saw."""

import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest

from rag.attribution.extract import extract_attributions
from rag.attribution.spans import Attribution
from rag.attribution.tagger import LABELS, RoleSpan, decode, group, piece_labels, viterbi, windows
from rag.config import PROJECT_ROOT
from rag.evaluation.polnear import read_polnear_ann, read_split


def attribution_with(found: list[Attribution], content_words: str) -> Attribution:
    return next(a for a in found if content_words in a.content.text)


def test_viterbi_never_continues_a_role_it_did_not_begin() -> None:
    probs = np.full((3, len(LABELS)), np.log(0.01))
    probs[0, LABELS.index("O")] = np.log(0.5)
    probs[0, LABELS.index("I-Cue")] = np.log(0.49)
    probs[1, LABELS.index("I-Cue")] = np.log(0.9)
    probs[2, LABELS.index("O")] = np.log(0.9)
    tags = [LABELS[t] for t in viterbi(probs)]
    assert tags[1] == "I-Cue" and tags[0] == "B-Cue", "the run is opened by a B- tag, not left dangling"
    assert viterbi(np.zeros((0, len(LABELS)))) == []


def test_decode_joins_pieces_and_group_gives_each_cue_its_nearest_spans() -> None:
    text = "Ana Ortiz said the bridge opens soon. Critics argue it costs too much."
    offsets = [(0, 3), (4, 9), (10, 14), (15, 36), (38, 45), (46, 51), (52, 70)]
    names = ["B-Source", "I-Source", "B-Cue", "B-Content", "B-Source", "B-Cue", "B-Content"]
    spans = decode([LABELS.index(n) for n in names], offsets)
    assert spans[0] == RoleSpan("Source", 0, 9)
    found = group(text, spans)
    assert [(text[a.source.start : a.source.end], text[a.cue.start : a.cue.end]) for a in found] == [
        ("Ana Ortiz", "said"),
        ("Critics", "argue"),
    ]
    assert text[found[1].content.start : found[1].content.end] == "it costs too much."


def test_windows_cover_every_piece_with_overlap() -> None:
    assert windows(10) == [(0, 10)]
    spans = windows(1000)
    assert spans[0][0] == 0 and spans[-1][1] == 1000
    assert all(b[0] < a[1] for a, b in pairwise(spans)), "consecutive windows overlap"


def test_piece_labels_mark_the_first_piece_of_each_fragment() -> None:
    offsets = [(0, 3), (4, 9), (10, 14), (15, 18)]
    labels = piece_labels(offsets, [("Source", 0, 9), ("Cue", 10, 14)])
    assert [LABELS[i] for i in labels] == ["B-Source", "I-Source", "B-Cue", "O"]


def test_polnear_reader_takes_events_discontinuous_spans_and_wrapped_lines(tmp_path: Path) -> None:
    text = "The plan, he said, is dead. Voters, polls show, want change."
    ann = "\n".join(
        [
            "T1\tContent 0 8;19 26\tThe plan is dead",
            "T2\tSource 10 12\the",
            "T3\tCue 13 17\tsaid",
            "T4\tAttribution 13 17\tsaid",
            "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2",
            "T5\tSource 36 41\tpolls",
            "T6\tCue 42 46\tshow",
            "T7\tContent 28 34;48 59\tVoters",
            "want change",
            "T8\tAttribution 42 46\tshow",
            "E2\tAttribution:T8 Content:T7 Cue:T6 Source:T5",
        ]
    )
    split = tmp_path / "data" / "dev"
    (split / "text").mkdir(parents=True)
    (split / "attributions").mkdir()
    (split / "text" / "story.txt").write_text(text, encoding="utf-8")
    (split / "attributions" / "story_ab12.ann").write_text(ann, encoding="utf-8")
    (document,) = read_split(tmp_path, "dev")
    first, second = document.attributions
    assert (first.source.text, first.cue.text, first.content.text) == ("he", "said", "The plan, he said, is dead")
    assert (second.source.text, second.content.text) == ("polls", "Voters, polls show, want change")
    assert ("Content", 48, 59) in document.fragments
    assert read_polnear_ann(split / "attributions" / "story_ab12.ann", text)[0] == list(document.attributions)
    with pytest.raises(ValueError, match="never read"):
        read_split(tmp_path, "test")


def test_a_multi_sentence_quotation_keeps_its_speaker() -> None:
    text = (
        "“If the council does not back it, the plan is dead. I do not see it getting off the ground,” "
        "a senior port official told the Gazette."
    )
    found = extract_attributions(text)
    first = attribution_with(found, "the plan is dead")
    assert first.source.text == "a senior port official"
    assert "getting off the ground" in first.content.text and first.quote_type == "direct"


def test_a_colon_quotation_and_a_poll_as_source() -> None:
    colon = "Shapps said: “We will not accept this deal under any circumstances.”"
    quote = attribution_with(extract_attributions(colon), "not accept")
    assert quote.source.text == "Shapps" and "said" in quote.cue.text
    poll = "Recent polls show that most voters want a change of government."
    found = attribution_with(extract_attributions(poll), "most voters")
    assert "polls" in found.source.text and "show" in found.cue.text


def test_a_nominal_cue_is_an_attribution() -> None:
    text = "In a statement, the ministry rejected any link between the two attacks."
    found = attribution_with(extract_attributions(text), "any link")
    assert found.source is not None and "ministry" in found.source.text


@pytest.mark.subprocess
def test_the_model_loads_and_tags_with_the_network_off() -> None:
    code = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network is off')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from rag.attribution.tagger import tagger\n"
        "spans = tagger().tag('The minister said the border would stay closed.')\n"
        "print(sorted({s.role for s in spans}))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['Content', 'Cue', 'Source']"


@pytest.mark.export
def test_the_onnx_export_tags_as_the_trained_torch_model_does(tmp_path: Path) -> None:
    import torch

    from rag.attribution.tagger import (
        INPUTS,
        MODEL_DIR,
        SpanTagger,
        logits_module,
        onnx_logits,
        pieces,
        tagger,
        word_pieces,
    )
    from rag.models.onnx import TOKEN_AXES, exported

    model = logits_module(MODEL_DIR).eval()

    def torch_logits(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            return model(torch.from_numpy(ids), torch.from_numpy(mask)).numpy()

    onnx_file = exported(tmp_path / "tagger.onnx", lambda: model, INPUTS, "logits", TOKEN_AXES)
    assert [p.name for p in tmp_path.iterdir()] == ["tagger.onnx"]
    fresh = SpanTagger(word_pieces(MODEL_DIR), onnx_logits(onnx_file))
    reference = SpanTagger(word_pieces(MODEL_DIR), torch_logits)
    long = " ".join(["Officials said the port would reopen, but the union warned that the strike would go on."] * 45)
    texts = ["The minister said the border would stay closed.", "Rain.", long]
    assert len(pieces(reference.tokenizer, long)[0]) > 3 * 254, "read in several overlapping windows"
    for text in texts:
        ids, _ = pieces(reference.tokenizer, text)
        expected = reference.log_probs(ids)
        for onnx_tagger in (fresh, tagger()):  # a fresh export, and the product's cached one
            assert np.abs(onnx_tagger.log_probs(ids) - expected).max() < 1e-4
            assert onnx_tagger.tag(text) == reference.tag(text)
    assert {span.role for span in tagger().tag(texts[0])} == {"Source", "Cue", "Content"}
