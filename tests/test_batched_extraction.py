"""Batched extraction (`Extractor.pipe`) and what makes it fast must not change a single record."""
from __future__ import annotations

import re

import pytest
import spacy.util

from extractors.char_tokenizer import words_and_spaces
from extractors.components.lac_ner import lac_cuts, pieces, trigger_clauses
from extractors.documents import Document, read_file
from extractors.pipeline import Extractor
from seed_text import SEEDS, seed_text


@pytest.fixture(scope="module")
def extractor():
    return Extractor()


@pytest.fixture(scope="module")
def seed_documents():
    return [d for p in sorted(SEEDS.glob("*.txt")) for d in read_file(p)]


def test_pipe_gives_the_records_of_one_document_at_a_time(extractor, seed_documents):
    one_by_one = [extractor(d) for d in seed_documents]
    batched = list(extractor.pipe(seed_documents))
    assert batched == one_by_one
    assert sum(len(r.roles) for r in batched) > 20   # real records, not empty ones


def test_pipe_isolates_a_document_whose_extraction_fails(extractor, seed_documents, monkeypatch):
    hostile = Document(id="hostile.txt", text="论坛开幕。")
    real = extractor._make_doc

    def make_doc(document):
        if document.id == "hostile.txt":
            raise IndexError("boom")
        return real(document)

    monkeypatch.setattr(extractor, "_make_doc", make_doc)
    out = list(extractor.pipe([seed_documents[0], hostile, seed_documents[1]]))
    assert isinstance(out[1], IndexError)
    monkeypatch.setattr(extractor, "_make_doc", real)
    assert out[0] == extractor(seed_documents[0]) and out[2] == extractor(seed_documents[1])


@pytest.mark.parametrize("text", [
    "", " ", "a", "  lead", "trail  ", "一 二  三\n\n四\u3000五 \u00a0六", "x \t y", " \n",
])
def test_char_tokens_equal_spacys_char_segmenter(text):
    assert words_and_spaces(text) == spacy.util.get_words_and_spaces(list(text), text)


def test_char_tokens_equal_spacys_on_seed_articles():
    for path in sorted(SEEDS.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        assert words_and_spaces(text) == spacy.util.get_words_and_spaces(list(text), text), path.name


TRIGGER = re.compile("院长|出席|论坛")


def test_clause_after_a_trigger_is_kept_and_a_far_clause_is_skipped():
    piece = "会上，江南大学院长王明出席，他说：“天气很好，风也很大，我们明天再来。”"
    runs = trigger_clauses(100, piece, TRIGGER)
    kept = "".join(r for _, r in runs)
    assert "江南大学院长王明出席，" in kept and "他说：" in kept      # the trigger clause and the next
    assert "风也很大" not in kept                                     # two clauses from any trigger
    for offset, run in runs:                                          # offsets point into the text
        assert piece[offset - 100:offset - 100 + len(run)] == run


def test_a_list_after_a_trigger_word_is_kept_whole():
    piece = "获奖嘉宾院长包括：张一、李二、王三、赵四。"
    assert "".join(r for _, r in trigger_clauses(0, piece, TRIGGER)) == piece


def test_selective_cuts_are_a_subset_of_all_pieces_at_the_same_offsets():
    text = seed_text("000")
    whole = {o: p for o, p in pieces(text)}
    selected = lac_cuts(text, selective=True)
    assert 0 < sum(len(p) for _, p in selected) < sum(len(p) for p in whole.values())
    for offset, run in selected:
        assert text[offset:offset + len(run)] == run
