"""Hostile text, generated: readers, the normalizer and the extractors never crash,
and every offset they report points at its own text."""
from __future__ import annotations


import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.documents import Document, UnreadableDocument, decode_bytes, html_to_text, parse_markdown
from extractors.furniture import clean
from extractors.normalize import fold, fold_name
from seed_text import seed_text

FAST = settings(max_examples=100, deadline=None)
SLOW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ---------------------------------------------------------------- readers

@FAST
@given(st.binary(max_size=4096))
def test_decode_bytes_gives_text_or_unreadable(data):
    try:
        text = decode_bytes(data, "x.txt")
    except UnreadableDocument as exc:
        assert exc.path == "x.txt" and exc.reason and "\n" not in exc.reason
    else:
        assert isinstance(text, str)


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"])
SEED_LINES = [line for p in ("000", "001", "002", "003", "004") for line in seed_text(p).splitlines()
              if len(line) > 20]


@FAST
@given(st.sampled_from(SEED_LINES), ENCODINGS)
def test_seed_lines_round_trip_through_any_encoding(line, encoding):
    try:
        data = line.encode(encoding)
    except UnicodeEncodeError:
        return
    assert decode_bytes(data) == line


MARKUP = st.sampled_from(["<p>", "</p>", "<div>", "</div>", "<br>", "<br/>", "<script>", "</script>", "<style>",
                          "<!--", "-->", "<![CDATA[", "]]>", "&amp;", "&#x4e2d;", "&#99999999;", "&", "<", ">",
                          "<a href='", "'>", "</a", "<head>", "<body>", "<", "<?xml", "<!DOCTYPE html>", "\n"])


@FAST
@given(st.lists(st.one_of(MARKUP, st.text(max_size=30), st.sampled_from(SEED_LINES)), max_size=40))
def test_html_to_text_never_raises(parts):
    assert isinstance(html_to_text("".join(parts)), str)


@FAST
@given(st.text(max_size=300))
def test_parse_markdown_never_raises(text):
    body, meta = parse_markdown("---\n" + text if text.startswith("x") else text)
    assert isinstance(body, str) and isinstance(meta, dict)


# ---------------------------------------------------------------- normalizer

@FAST
@given(st.text(max_size=500))
def test_fold_keeps_length(text):
    folded = fold(text)
    assert len(folded) == len(text)
    assert [i for i, c in enumerate(folded) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]


@FAST
@given(st.text(max_size=500))
def test_clean_keeps_length(text):
    assert len(clean(fold(text))) == len(text)


@FAST
@given(st.text(max_size=50))
def test_fold_name_is_idempotent(name):
    assert fold_name(fold_name(name)) == fold_name(name)


# ---------------------------------------------------------------- extractors

# name-like text taken from the seeds: persons, titles, organizations, joiners
NAMEISH = st.sampled_from(["马可辉", "馬可輝", "侯巖", "侯岩", "热利科·布迪米尔", "布迪米尔", "程和平", "栗翘楚",
                           "中国科学院院士", "北京大学未来技术学院教授", "集團董事、黨組副書記", "理事长", "主任",
                           "记者", "（记者", "出席", "致辞", "论坛", "大会", "暨", "、", "，", "。", "：“", "”",
                           "2025通用健康管理大会", "上海市卫生健康委员会", "市卫健委", "升博体育", "相关阅读",
                           "2024-04-11 21:50:00", "·", "•", "（", "）"])
HOSTILE = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12)


@pytest.fixture(scope="module")
def extractor():
    from extractors.pipeline import Extractor

    return Extractor()   # one ONNX model for the whole module


@SLOW
@given(parts=st.lists(st.one_of(NAMEISH, NAMEISH, MARKUP, HOSTILE, st.sampled_from(SEED_LINES)), max_size=30))
def test_extractor_never_raises_and_offsets_point_at_their_text(extractor, parts):
    original = "".join(parts)
    art = extractor.analyse(Document(id="h.txt", text=original))
    assert art.original == original and len(art.text) == len(original)
    for key, person in art.persons.items():
        assert person.mentions
        for m in person.mentions:
            assert 0 <= m.start < m.end <= len(original)
            seen = art.text[m.start:m.end]
            # the offsets point into the original at the same name, folded
            assert fold(original[m.start:m.end]) == seen
            assert seen.strip()
        s, e = person.first
        assert fold_name(fold(original[s:e])) == fold_name(key)
    for r in art.roles:
        assert 0 <= r.start < r.end <= len(original)
    records = extractor(Document(id="h.txt", text=original))
    for p in records.persons:
        for ev in p.evidence:
            assert original[ev.start:ev.end]
            assert ev.sentence in original


def test_every_seed_line_round_trips_through_every_encoding():
    """The property above, exhaustively: Hypothesis samples, and found a mostly-ASCII GB18030
    line that had been read as UTF-16 (ASCII byte pairs decode to rare Han characters)."""
    failures = []
    for line in SEED_LINES:
        for encoding in ["utf-8", "utf-8-sig", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]:
            try:
                data = line.encode(encoding)
            except UnicodeEncodeError:
                continue
            if decode_bytes(data) != line:
                failures.append((encoding, line[:40]))
    assert failures == []


@pytest.mark.parametrize("line", [
    "[返回首页](//news.example.com/category/index.html)｜[返回列表](//news.example.com/)",
    "Copyright 2031 示范日报 All rights reserved｜ICP备00000000号",
])
def test_mostly_ascii_gb18030_is_not_taken_for_utf16(line):
    assert decode_bytes(line.encode("gb18030")) == line
