"""Reading every supported format and encoding, with fixtures made from real seed text."""
from __future__ import annotations

import codecs
import json

import pytest

from extractors.documents import Document, Skipped, UnreadableDocument, decode_bytes, iter_documents, read_file
from seed_text import encodable_lines, seed_line, seed_text

SIMPLIFIED = seed_line("001", "程和平在")       # a long Simplified sentence
TRADITIONAL = seed_line("000", "馬可輝")         # a long Traditional sentence


# ---------------------------------------------------------------- encodings

ENCODINGS = [
    ("utf-8", b""),
    ("utf-8", codecs.BOM_UTF8),
    ("gb18030", b""),
    ("gbk", b""),
    ("utf-16-le", codecs.BOM_UTF16_LE),
    ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-16-le", b""),
    ("utf-16-be", b""),
]


@pytest.mark.parametrize("prefix", ["001", "002", "000"])
@pytest.mark.parametrize("encoding,bom", ENCODINGS)
def test_txt_in_every_encoding_decodes_to_the_original(tmp_path, prefix, encoding, bom):
    text = encodable_lines(prefix, encoding)
    f = tmp_path / f"a_{encoding}.txt"
    f.write_bytes(bom + text.encode(encoding))
    (doc,) = read_file(f)
    assert doc.text == text
    assert doc.id == f.name and doc.path == str(f)


def _big5_lines(text: str) -> str:
    out = []
    for line in text.splitlines():
        try:
            line.encode("big5")
        except UnicodeEncodeError:
            continue
        if len(line) >= 40:
            out.append(line)
    return "\n".join(out) + "\n"


@pytest.mark.parametrize("prefix", ["000", "002"])
def test_big5_decodes_to_the_original(tmp_path, prefix):
    # 000 is Traditional as published; 002 is Simplified, and its Traditional form
    # (OpenCC s2t) is what a Taiwan/Hong Kong site would serve
    import opencc

    text = seed_text(prefix)
    if prefix != "000":
        text = opencc.OpenCC("s2t").convert(text)
    text = _big5_lines(text)
    assert len(text) > 200
    f = tmp_path / "big5.txt"
    f.write_bytes(text.encode("big5"))
    assert read_file(f)[0].text == text


def test_short_gbk_sentence_is_not_mislabelled():
    sentence = seed_line("002", "侯岩在致辞")
    assert decode_bytes(sentence.encode("gbk")) == sentence


def test_crlf_line_endings_are_kept(tmp_path):
    text = "\r\n".join(seed_text("002").splitlines()[:8])
    f = tmp_path / "crlf.txt"
    f.write_bytes(text.encode("utf-8"))
    assert read_file(f)[0].text == text


# ---------------------------------------------------------------- formats

def test_markdown_front_matter_is_metadata_and_offsets_stay_honest(tmp_path):
    front = "---\ntitle: 海医汇平台发布会\ndate: 2024-04-10\nsource: 人民网\n---\n"
    raw = front + SIMPLIFIED + "\n"
    f = tmp_path / "a.md"
    f.write_text(raw, encoding="utf-8")
    (doc,) = read_file(f)
    assert doc.title == "海医汇平台发布会"
    assert doc.date == "2024-04-10"
    assert doc.source == "人民网"
    # the front matter became blanks of equal length: the body keeps its offsets
    assert len(doc.text) == len(raw)
    i = raw.index("程和平")
    assert doc.text[i:i + 3] == "程和平"
    assert not doc.text[: len(front)].strip()


def test_markdown_links_keep_anchor_text(tmp_path):
    f = tmp_path / "b.markdown"
    f.write_text(f"[{SIMPLIFIED[:20]}](https://example.com/x.html)\n\n{SIMPLIFIED}\n", encoding="utf-8")
    (doc,) = read_file(f)
    assert SIMPLIFIED[:20] in doc.text
    assert "example.com" not in doc.text


def test_txt_with_front_matter_is_read_like_markdown(tmp_path):
    f = tmp_path / "c.txt"
    f.write_text(f"---\ntitle: 标题\n---\n{SIMPLIFIED}\n", encoding="utf-8")
    (doc,) = read_file(f)
    assert doc.title == "标题" and SIMPLIFIED in doc.text


@pytest.mark.parametrize("suffix", [".html", ".htm"])
def test_html_drops_scripts_and_styles_and_keeps_paragraphs(tmp_path, suffix):
    first, second = [line.strip() for line in seed_text("002").splitlines() if len(line.strip()) > 30][1:3]
    page = (f"<html><head><title>x</title><style>p {{color: red}}</style></head><body>"
            f"<script>var 程和平 = 1;</script><p>{first}</p><p>{second}</p>"
            f"<noscript>请启用脚本</noscript></body></html>")
    f = tmp_path / f"page{suffix}"
    f.write_text(page, encoding="utf-8")
    (doc,) = read_file(f)
    assert "color" not in doc.text and "var" not in doc.text and "请启用脚本" not in doc.text
    assert first.strip() in doc.text and second.strip() in doc.text
    # the paragraph break survives: the two paragraphs are on different lines
    assert doc.text.index(second.strip()) > doc.text.index(first.strip())
    between = doc.text[doc.text.index(first.strip()) + len(first.strip()):doc.text.index(second.strip())]
    assert "\n" in between


def test_html_in_gbk_with_br_breaks(tmp_path):
    lines = seed_text("003").splitlines()[:3]
    f = tmp_path / "gbk.html"
    f.write_bytes(("<div>" + "<br>".join(lines) + "</div>").encode("gbk"))
    (doc,) = read_file(f)
    for line in lines:
        if line.strip():
            assert line.strip() in doc.text


def test_json_object(tmp_path):
    f = tmp_path / "one.json"
    f.write_text(json.dumps({"title": "标题", "date": "2025-11-01", "url": "https://x.cn/a", "text": TRADITIONAL},
                            ensure_ascii=False), encoding="utf-8")
    (doc,) = read_file(f)
    assert doc == Document(id="one.json", text=TRADITIONAL, path=str(f), title="标题", date="2025-11-01",
                           url="https://x.cn/a")


def test_json_list_gives_one_document_per_record(tmp_path):
    records = [{"text": SIMPLIFIED, "title": "一"}, {"content": TRADITIONAL}, {"text": ""}, "not a record"]
    f = tmp_path / "many.json"
    f.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    docs = read_file(f)
    assert [d.id for d in docs] == ["many.json#1", "many.json#2"]
    assert docs[0].text == SIMPLIFIED and docs[0].title == "一"
    assert docs[1].text == TRADITIONAL and docs[1].title == ""


def test_jsonl_records_with_optional_metadata(tmp_path):
    lines = [json.dumps({"text": SIMPLIFIED, "title": "甲", "date": "2024-04-11", "url": "u1"}, ensure_ascii=False),
             "",
             json.dumps({"text": TRADITIONAL}, ensure_ascii=False)]
    f = tmp_path / "r.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs = read_file(f)
    assert [d.id for d in docs] == ["r.jsonl#1", "r.jsonl#3"]
    assert (docs[0].title, docs[0].date, docs[0].url) == ("甲", "2024-04-11", "u1")
    assert docs[1].text == TRADITIONAL and docs[1].date == ""


def test_jsonl_in_utf16(tmp_path):
    f = tmp_path / "r16.jsonl"
    f.write_bytes(codecs.BOM_UTF16_LE + (json.dumps({"text": SIMPLIFIED}, ensure_ascii=False) + "\n").encode("utf-16-le"))
    assert read_file(f)[0].text == SIMPLIFIED


def test_iter_documents_walks_folders_in_sorted_order_and_ignores_other_suffixes(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text(SIMPLIFIED, encoding="utf-8")
    (tmp_path / "1.txt").write_text(TRADITIONAL, encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".hidden.txt").write_text(SIMPLIFIED, encoding="utf-8")
    items = list(iter_documents([tmp_path]))
    assert [i.id for i in items if isinstance(i, Document)] == ["1.txt", "2.txt"]
    assert not [i for i in items if isinstance(i, Skipped)]


def test_unreadable_document_names_file_and_reason(tmp_path):
    f = tmp_path / "empty.txt"
    f.write_bytes(b"")
    with pytest.raises(UnreadableDocument) as err:
        read_file(f)
    assert err.value.path == str(f) and "empty" in err.value.reason
