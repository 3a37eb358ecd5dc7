"""HanLP NER backend: pure helpers everywhere, the real model where the [hanlp] extra is installed."""
from __future__ import annotations

import builtins
import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from extractors.components import hanlp_ner as H
from extractors.normalize import fold

REPO = Path(__file__).resolve().parents[1]
FIXTURE = REPO / "tests" / "fixtures" / "hanlp_ner_small"
SEEDS = REPO / "seeds"
SEED_000 = SEEDS / "000_cd806ab9ccaf8080.txt"
# Persons named in the first paragraph of seeds/000 (checked below to be in the text).
SEED_PERSONS = ("马可辉", "古琎", "姚建红", "吉训明", "郝立顺", "侯岩")


# ---------------------------------------------------------------- pure helpers (no hanlp)

@pytest.mark.parametrize("tag, label", [
    ("NR", "PER"), ("NS", "LOC"), ("NT", "ORG"),                       # MSRA
    ("PERSON", "PER"), ("ORG", "ORG"), ("GPE", "LOC"), ("LOC", "LOC"),  # OntoNotes
    ("DATE", "TIME"), ("TIME", "TIME"),
    ("nr", "PER"), ("ns", "LOC"), ("nt", "ORG"), ("t", "TIME"),        # PKU
    ("PER", "PER"), ("person", "PER"), ("Organization", "ORG"),
])
def test_map_tag_known(tag: str, label: str) -> None:
    assert H.map_tag(tag) == label


@pytest.mark.parametrize("tag", ["MONEY", "NORP", "FAC", "INTEGER", "PERCENT", "nz", "T", "O", "", "CARDINAL"])
def test_map_tag_dropped(tag: str) -> None:
    assert H.map_tag(tag) is None


def test_split_sentences_cover_text_and_respect_max() -> None:
    text = "第一句。第二句！\n第三句？" + "甲乙丙，" * 80 + "结尾"
    pieces = H.split_sentences(text, max_len=50)
    assert all(e - s <= 50 for s, e in pieces)
    # pieces are in order, do not overlap, and every non-space character is in one
    covered = "".join(text[s:e] for s, e in pieces)
    assert covered.replace("\n", "") == text.replace("\n", "")
    assert text[pieces[0][0]:pieces[0][1]] == "第一句。"
    # the long tail was cut at a comma, not mid-word
    assert all(text[e - 1] == "，" for s, e in pieces[3:-1])


def test_split_sentences_skips_blank_and_keeps_closing_quote() -> None:
    text = "他说：“好。”\n\n  \n下一段"
    pieces = [text[s:e] for s, e in H.split_sentences(text)]
    assert pieces == ["他说：“好。”", "下一段"]


def test_find_forward_normalised_and_spaced() -> None:
    text = "会见ＡＢＣ公司 董事长 王 小明。王小明说"
    assert H.find_forward(text, "abc公司", 0) == (2, 7)           # full-width + case fold
    s, e = H.find_forward(text, "王小明", 0)
    assert text[s:e] == "王 小明"                                  # white space inside skipped
    assert H.find_forward(text, "王小明", e) == (17, 20)          # searching forward
    assert H.find_forward(text, "李四", 0) is None
    assert H.find_forward(text, "  ", 0) is None


def test_align_tokens_forward_with_unknown_token() -> None:
    text = "北京 航空航天大学房建成院士"
    tokens = ["北京", "航空航天大学", "???", "房建成", "院士"]
    got = H.align_tokens(text, tokens)
    assert got[2] is None
    assert [text[s:e] for s, e in (g for g in got if g)] == ["北京", "航空航天大学", "房建成", "院士"]
    # a repeated token resolves to the next occurrence, not the first
    assert H.align_tokens("王王", ["王", "王"]) == [(0, 1), (1, 2)]


def test_align_entities_indices_and_fallback() -> None:
    text = "　院长 吉训明出席。"
    tokens, offsets = H._char_tokens(text, 0, len(text))
    assert "".join(tokens) == "院长吉训明出席。"
    ents = [
        ("吉训明", "NR", 2, 5),        # token indices over the non-space characters
        ("院长", "MONEY", 0, 2),       # dropped tag
        ("出席", "nt", 99, 101),       # bad indices: found by searching the surface
        ("不存在", "NR", 0, 2),        # indices do not fit and surface absent: dropped
    ]
    assert H.align_entities(text, offsets, ents) == [(4, 7, "PER"), (7, 9, "ORG")]


def test_hanlp_spans_with_stub_model_batches_and_offsets() -> None:
    calls: list[int] = []

    def stub(batch: list[list[str]], batch_size: int = 32) -> list[list[tuple]]:
        # a fake HanLP component: tags every "张三" as NR, in the (surface, tag, b, e) format
        calls.append(len(batch))
        out = []
        for toks in batch:
            s = "".join(toks)
            out.append([("张三", "NR", i, i + 2) for i in range(len(s)) if s.startswith("张三", i)])
        return out

    texts = ["张三来了。\n 张三 走了！" * 3, "", "无人"]
    spans = H.hanlp_spans(texts, stub, batch_size=4)
    assert calls == [4, 3]                                         # 7 pieces, batches of 4
    assert spans[1] == [] and spans[2] == []
    assert len(spans[0]) == 6
    for s, e, label in spans[0]:
        assert label == "PER" and texts[0][s:e].replace(" ", "") == "张三"


def test_missing_hanlp_raises_one_line_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_hanlp(name: str, *args, **kwargs):
        if name == "hanlp" or name.startswith("hanlp."):
            raise ImportError("No module named 'hanlp'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_hanlp)
    monkeypatch.delitem(sys.modules, "hanlp", raising=False)
    nlp = spacy.blank("zh")
    with pytest.raises(ImportError) as err:
        nlp.add_pipe("hanlp_ner", config={"model": str(FIXTURE)})
    msg = str(err.value)
    assert "\n" not in msg
    assert "pip install torch==2.13.0" in msg and "pip install 'forumgraph[hanlp]'" in msg
    assert msg.index("torch==2.13.0") < msg.index("forumgraph[hanlp]")   # torch pin first


def test_seed_persons_are_in_seed_text() -> None:
    text = fold(SEED_000.read_text(encoding="utf-8"))
    for name in SEED_PERSONS:
        assert name in text


# ---------------------------------------------------------------- with the real HanLP

@pytest.fixture(scope="module")
def hanlp_model():
    hanlp = pytest.importorskip("hanlp")
    assert (FIXTURE / "config.json").is_file(), "fixture model missing: run extractors.training.train_hanlp_ner"
    return hanlp.load(str(FIXTURE))


@pytest.mark.hanlp
def test_fixture_is_small_and_loadable(hanlp_model) -> None:
    size = sum(p.stat().st_size for p in FIXTURE.iterdir())
    assert size < 5_000_000
    config = json.loads((FIXTURE / "config.json").read_text(encoding="utf-8"))
    assert config["classpath"].endswith("RNNNamedEntityRecognizer")
    # HanLP's own call format: a batch of character-token sentences
    out = hanlp_model([list("副总经理姚建红出席。")])
    assert isinstance(out, list) and len(out) == 1


@pytest.mark.hanlp
def test_hanlp_spans_finds_seed_persons(hanlp_model) -> None:
    text = fold(SEED_000.read_text(encoding="utf-8"))
    spans = H.hanlp_spans([text], hanlp_model)[0]
    assert spans, "no entities at all"
    for s, e, label in spans:
        assert label in H.LABELS
        assert 0 <= s < e <= len(text) and text[s:e].strip() == text[s:e]
    persons = {text[s:e] for s, e, label in spans if label == "PER"}
    found = [n for n in SEED_PERSONS if n in persons]
    assert len(found) >= 4, (found, sorted(persons))


@pytest.mark.hanlp
def test_component_writes_span_group(hanlp_model) -> None:
    nlp = spacy.blank("zh")
    nlp.add_pipe("hanlp_ner", config={"model": str(FIXTURE)})
    raw = SEED_000.read_text(encoding="utf-8")
    para = fold(raw[: raw.index("\n")] if "\n" in raw else raw[:400])
    docs = list(nlp.pipe([para, "无关的一句话", "集团董事马可辉出席。"]))
    doc = docs[0]
    group = doc.spans[H.SPAN_KEY]
    assert len(group) > 0 and not doc.ents                       # only the span group is written
    assert {sp.label_ for sp in group} <= set(H.LABELS)
    for sp in group:
        assert para[sp.start_char:sp.end_char] == sp.text        # offsets point at their own text
    assert {"吉训明", "郝立顺"} <= {sp.text for sp in group if sp.label_ == "PER"}
    assert H.SPAN_KEY in docs[1].spans
    assert "马可辉" in {sp.text for sp in docs[2].spans[H.SPAN_KEY] if sp.label_ == "PER"}


@pytest.mark.hanlp
def test_missing_local_model_dir_is_clear(tmp_path: Path) -> None:
    pytest.importorskip("hanlp")
    with pytest.raises(FileNotFoundError, match="HanLP model directory not found"):
        H.load_model(str(tmp_path / "nope"))


def _pipeline_with_ner_spec():
    pytest.importorskip("hanlp")
    pipeline = pytest.importorskip("extractors.pipeline")
    if not hasattr(pipeline, "parse_ner_spec"):
        pytest.skip("extractors.pipeline has no parse_ner_spec (--ner) yet")
    return pipeline


@pytest.mark.hanlp
def test_pipeline_runs_hanlp_next_to_lac_and_votes() -> None:
    pipeline = _pipeline_with_ner_spec()
    assert pipeline.parse_ner_spec(f"lac+hanlp:{FIXTURE}") == [("lac", None), ("hanlp", str(FIXTURE))]
    nlp = pipeline.build_nlp(f"lac+hanlp:{FIXTURE}")
    assert "hanlp_ner" in nlp.pipe_names
    text = "集团董事马可辉、通用健康公司董事长姚建红出席。"
    doc = nlp.make_doc(text)
    for name in ("lac_ner", "hanlp_ner", "ner_vote"):      # just the NER stage of the pipeline
        doc = nlp.get_pipe(name)(doc)
    hanlp_persons = {sp.text for sp in doc.spans[H.SPAN_KEY] if sp.label_ == "PER"}
    assert {"马可辉", "姚建红"} <= hanlp_persons
    assert {"马可辉", "姚建红"} <= {e.text for e in doc.ents if e.label_ == "PER"}


@pytest.mark.hanlp
@pytest.mark.parametrize("spec", ["lac+hanlp", "hanlp"])
def test_build_with_hanlp_backend(tmp_path: Path, spec: str) -> None:
    _pipeline_with_ner_spec()
    out = tmp_path / "out"
    cmd = [sys.executable, "-c", "from graph.cli import cli; cli()", "build", str(SEEDS),
           "--ner", f"{spec}:{FIXTURE}", "--out", str(out)]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (out / "graph.graphml").is_file()


@pytest.mark.hanlp
def test_pretrained_identifiers_resolve_without_network() -> None:
    hanlp = pytest.importorskip("hanlp")
    url = hanlp.pretrained.ner.MSRA_NER_ELECTRA_SMALL_ZH
    assert H._resolve_identifier(hanlp, H.DEFAULT_MODEL) == url
    assert H._resolve_identifier(hanlp, "MSRA_NER_ELECTRA_SMALL_ZH") == url
    assert H._resolve_identifier(hanlp, "some/local/dir") == "some/local/dir"
