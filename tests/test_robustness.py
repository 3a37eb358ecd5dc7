"""Bad input never costs the user their graph: every bad file gives one line naming
the file and the reason, every other file is still read, and exit codes say what happened."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractors import documents
from extractors.documents import (MAX_DOC_CHARS, Document, Skipped, UnreadableDocument, iter_documents,
                                  read_file, read_file_report)
from graph.cli import EXIT_FAILED, EXIT_SKIPPED, cli
from seed_text import seed_line, seed_text

SIMPLIFIED = seed_text("002").replace("\xa0", " ")      # GBK has no NBSP
TRADITIONAL = seed_text("000")


def _big5_text() -> str:
    lines = []
    for line in TRADITIONAL.splitlines():
        try:
            line.encode("big5")
        except UnicodeEncodeError:
            continue
        lines.append(line)
    return "\n".join(lines) + "\n"


def one_line(item: Skipped) -> str:
    msg = item.message()
    assert "\n" not in msg and "\r" not in msg
    assert item.path in msg
    return msg


def skipped_for(items: list, name: str) -> list[Skipped]:
    return [i for i in items if isinstance(i, Skipped) and Path(i.path.split("#")[0]).name == name]


# ---------------------------------------------------------------- each bad case

def test_empty_file(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b" \n\t\n")
    items = list(iter_documents([tmp_path]))
    for name in ("empty.txt", "blank.txt"):
        (s,) = skipped_for(items, name)
        assert "empty" in one_line(s)


def test_binary_file_with_txt_extension(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50)
    (tmp_path / "noise.txt").write_bytes(bytes((i * 73 + 11) % 256 for i in range(20000)).replace(b"\x00", b"\x01"))
    items = list(iter_documents([tmp_path]))
    (s,) = skipped_for(items, "image.txt")
    assert "binary" in one_line(s)
    # bytes that are no encoding at all: either skipped with a reason, or (if some
    # single-byte code page fits) read — but never a crash
    assert all(isinstance(i, (Skipped, Document)) for i in items)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16-le", "utf-16-be"])
def test_undeclared_encodings(tmp_path, encoding):
    f = tmp_path / "a.txt"
    f.write_bytes(SIMPLIFIED.encode(encoding))
    assert read_file(f)[0].text == SIMPLIFIED


def test_undeclared_big5(tmp_path):
    text = _big5_text()
    f = tmp_path / "a.txt"
    f.write_bytes(text.encode("big5"))
    assert read_file(f)[0].text == text


def test_mixed_utf8_and_gbk_is_salvaged_line_by_line_with_a_note(tmp_path):
    lines = SIMPLIFIED.split("\n")
    half = len(lines) // 2
    first, second = "\n".join(lines[:half]) + "\n", "\n".join(lines[half:])
    f = tmp_path / "mixed.txt"
    f.write_bytes(first.encode("utf-8") + second.encode("gbk"))
    docs, notes = read_file_report(f)
    assert docs[0].text == first + second
    (note,) = notes
    assert not note.lost and "mixed encodings" in one_line(note)


def test_truncated_html_keeps_the_text_it_has(tmp_path):
    body = seed_line("002", "侯岩在致辞")
    f = tmp_path / "cut.html"
    f.write_text(f"<html><head><title>t</title></head><body><div><p>{body}</p><p>{body[:30]}<a hr",
                 encoding="utf-8")
    (doc,) = read_file(f)
    assert body in doc.text


def test_html_without_closing_head(tmp_path):
    body = seed_line("002", "侯岩在致辞")
    f = tmp_path / "nohead.html"
    f.write_text(f"<html><head><title>t</title><p>{body}</p>", encoding="utf-8")
    assert body in read_file(f)[0].text


def test_deeply_nested_html_is_read_without_recursion_error(tmp_path):
    body = seed_line("002", "侯岩在致辞")
    f = tmp_path / "deep.html"
    f.write_text("<div>" * 100_000 + f"<p>{body}</p>" + "</div>" * 100_000, encoding="utf-8")
    (doc,) = read_file(f)
    assert doc.text.strip() == body.strip()


def test_deeply_nested_json_is_reported(tmp_path):
    f = tmp_path / "deep.json"
    f.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    (s,) = skipped_for(list(iter_documents([f])), "deep.json")
    one_line(s)


def test_50_mb_single_article_is_skipped_before_reading(tmp_path, monkeypatch):
    block = (SIMPLIFIED + "\n").encode("utf-8")
    f = tmp_path / "huge.txt"
    with open(f, "wb") as fh:
        fh.write(block * (50 * 1024 * 1024 // len(block) + 1))
    read = []
    real = Path.read_bytes
    monkeypatch.setattr(Path, "read_bytes", lambda self: read.append(self) or real(self))
    (tmp_path / "ok.txt").write_text(SIMPLIFIED, encoding="utf-8")
    items = list(iter_documents([tmp_path]))
    (s,) = skipped_for(items, "huge.txt")
    assert "too large" in one_line(s) and "MB" in s.reason
    assert f not in read            # refused by its size: no 50 MB read into memory
    assert [d.id for d in items if isinstance(d, Document)] == ["ok.txt"]


def test_over_long_record_in_jsonl_is_skipped_alone(tmp_path):
    f = tmp_path / "r.jsonl"
    long = "论坛" * (MAX_DOC_CHARS // 2 + 1)
    f.write_text(json.dumps({"text": long}, ensure_ascii=False) + "\n"
                 + json.dumps({"text": SIMPLIFIED}, ensure_ascii=False) + "\n", encoding="utf-8")
    docs, notes = read_file_report(f)
    assert [d.id for d in docs] == ["r.jsonl#2"]
    (s,) = notes
    assert s.lost and s.path == f"{f}#1" and "too long" in one_line(s)


def test_long_line_without_punctuation_is_read(tmp_path):
    f = tmp_path / "line.txt"
    text = ("中国医学装备协会理事长侯岩" * 8000)[:100_000]
    f.write_text(text, encoding="utf-8")
    assert read_file(f)[0].text == text


def test_control_private_use_combining_and_emoji(tmp_path):
    body = seed_line("002", "侯岩在致辞")
    raw = f"\x01\x02\x1b[31m{body}\x7f\x85😀\ue000\U000f0000e\u0301\u200b\ufeff\n"
    f = tmp_path / "odd.txt"
    f.write_text(raw, encoding="utf-8")
    (doc,) = read_file(f)
    # control characters become spaces: same length, so offsets still hold
    assert len(doc.text) == len(raw)
    assert body in doc.text
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", doc.text)
    for kept in ("😀", "\ue000", "\U000f0000", "e\u0301"):
        assert kept in doc.text


def test_jsonl_with_one_broken_line_reports_its_number(tmp_path):
    lines = [json.dumps({"text": SIMPLIFIED}, ensure_ascii=False), '{"text": "未完',
             json.dumps({"text": TRADITIONAL, "title": "三"}, ensure_ascii=False)]
    f = tmp_path / "feed.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(iter_documents([f]))
    docs = [i for i in items if isinstance(i, Document)]
    assert [d.id for d in docs] == ["feed.jsonl#1", "feed.jsonl#3"]
    (s,) = [i for i in items if isinstance(i, Skipped)]
    assert s.path == f"{f}#2" and "line 2" in one_line(s) and "JSON" in s.reason


def test_jsonl_with_only_broken_lines_is_skipped_as_a_file(tmp_path):
    f = tmp_path / "bad.jsonl"
    f.write_text('{"text": \n{oops}\n', encoding="utf-8")
    with pytest.raises(UnreadableDocument) as err:
        read_file(f)
    assert "JSON" in err.value.reason


def test_symlink_loop_and_self_link(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "ok.txt").write_text(SIMPLIFIED, encoding="utf-8")
    os.symlink("..", tmp_path / "a" / "up")
    os.symlink("self.txt", tmp_path / "self.txt")
    items = list(iter_documents([tmp_path]))
    assert [i.id for i in items if isinstance(i, Document)] == ["ok.txt"]
    loops = [i for i in items if isinstance(i, Skipped)]
    assert any("loop" in one_line(s) for s in loops)
    (self_link,) = skipped_for(items, "self.txt")
    assert "symbolic links" in one_line(self_link).lower()


def test_unreadable_file(tmp_path, monkeypatch):
    # tests run as root, where chmod 000 does not stop reading: simulate the error
    (tmp_path / "locked.txt").write_text(SIMPLIFIED, encoding="utf-8")
    (tmp_path / "open.txt").write_text(SIMPLIFIED, encoding="utf-8")
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    items = list(iter_documents([tmp_path]))
    (s,) = skipped_for(items, "locked.txt")
    assert "permission denied" in one_line(s).lower()
    assert [d.id for d in items if isinstance(d, Document)] == ["open.txt"]


def test_unexpected_reader_crash_costs_that_file_only(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_text(f"<p>{SIMPLIFIED}</p>", encoding="utf-8")
    (tmp_path / "b.txt").write_text(SIMPLIFIED, encoding="utf-8")

    def boom(markup: str) -> str:
        raise AssertionError("parser bug\nwith two lines")

    monkeypatch.setattr(documents, "html_to_text", boom)
    items = list(iter_documents([tmp_path]))
    (s,) = skipped_for(items, "a.html")
    assert "AssertionError" in one_line(s)
    assert [d.id for d in items if isinstance(d, Document)] == ["b.txt"]


def test_missing_path(tmp_path):
    (s,) = list(iter_documents([tmp_path / "nope.txt"]))
    assert "no such file" in one_line(s)


# ---------------------------------------------------------------- the build command

def _article(tmp_path: Path, name: str = "good.txt") -> Path:
    f = tmp_path / name
    f.write_text(seed_line("002", "热利科·布迪米尔") + "\n", encoding="utf-8")
    return f


def test_build_exit_0_when_all_went_well(tmp_path):
    good = _article(tmp_path)
    r = CliRunner().invoke(cli, ["build", str(good), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "out" / "graph.graphml").exists()


def test_build_exit_3_with_summary_when_files_were_skipped(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    _article(inp)
    (inp / "empty.txt").write_bytes(b"")
    (inp / "feed.jsonl").write_text(json.dumps({"text": SIMPLIFIED[:300]}, ensure_ascii=False) + "\n{broken\n",
                                    encoding="utf-8")
    r = CliRunner().invoke(cli, ["build", str(inp), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == EXIT_SKIPPED == 3, r.output
    assert f"skipped {inp / 'empty.txt'}: empty file" in r.output
    assert f"skipped {inp / 'feed.jsonl'}#2: line 2" in r.output
    assert "2 input(s) skipped" in r.output
    assert (tmp_path / "out" / "graph.graphml").exists()


def test_build_strict_exit_4_and_nothing_written(tmp_path):
    inp = tmp_path / "in"
    inp.mkdir()
    _article(inp)
    (inp / "bin.txt").write_bytes(b"\x00\x01\x02" * 100)
    out = tmp_path / "out"
    r = CliRunner().invoke(cli, ["build", str(inp), "--out", str(out), "-q", "--strict"])
    assert r.exit_code == EXIT_FAILED == 4, r.output
    assert "nothing written" in r.output
    assert not out.exists() or not list(out.iterdir())


def test_build_exit_4_when_nothing_could_be_read(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    out = tmp_path / "out"
    out.mkdir()
    (out / "graph.graphml").write_text("previous", encoding="utf-8")
    r = CliRunner().invoke(cli, ["build", str(tmp_path / "empty.txt"), "--out", str(out), "-q"])
    assert r.exit_code == EXIT_FAILED, r.output
    # an empty run never replaces a previous graph with an empty one
    assert (out / "graph.graphml").read_text(encoding="utf-8") == "previous"


def test_build_survives_an_extractor_crash_on_one_document(tmp_path, monkeypatch):
    from extractors import pipeline

    inp = tmp_path / "in"
    inp.mkdir()
    _article(inp, "good.txt")
    _article(inp, "poison.txt")
    real = pipeline.Extractor._make_doc

    def make_doc(self, document):
        if document.id == "poison.txt":
            raise IndexError("boom")
        return real(self, document)

    monkeypatch.setattr(pipeline.Extractor, "_make_doc", make_doc)
    r = CliRunner().invoke(cli, ["build", str(inp), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == EXIT_SKIPPED, r.output
    assert "poison.txt: extraction failed: IndexError: boom" in r.output
    assert (tmp_path / "out" / "graph.graphml").exists()


@pytest.mark.slow
def test_build_of_the_whole_bad_corpus(tmp_path):
    """All the bad cases in one folder: one line each, the good files still make a graph."""
    inp = tmp_path / "in"
    inp.mkdir()
    _article(inp, "good.txt")
    (inp / "empty.txt").write_bytes(b"")
    (inp / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 20)
    (inp / "gbk.txt").write_bytes(SIMPLIFIED.encode("gbk"))
    (inp / "big5.txt").write_bytes(_big5_text().encode("big5"))
    (inp / "utf16.txt").write_bytes(SIMPLIFIED.encode("utf-16-be"))
    lines = SIMPLIFIED.split("\n")
    (inp / "mixed.txt").write_bytes("\n".join(lines[:5]).encode() + b"\n" + "\n".join(lines[5:]).encode("gbk"))
    (inp / "cut.html").write_text("<html><body><p>" + SIMPLIFIED[:400] + "<div", encoding="utf-8")
    (inp / "deep.html").write_text("<div>" * 100_000 + SIMPLIFIED[:200] + "</div>" * 100_000, encoding="utf-8")
    with open(inp / "huge.txt", "wb") as fh:
        fh.seek(50 * 1024 * 1024)
        fh.write(b"\n")
    (inp / "odd.txt").write_text("\x00\x01" + SIMPLIFIED[:300] + "😀\ue000e\u0301", encoding="utf-8")
    (inp / "feed.jsonl").write_text(json.dumps({"text": TRADITIONAL[:300]}, ensure_ascii=False) + "\n{\n",
                                    encoding="utf-8")
    os.symlink(".", inp / "loop")
    r = CliRunner().invoke(cli, ["build", str(inp), "--out", str(tmp_path / "out"), "-q"])
    assert r.exit_code == EXIT_SKIPPED, r.output
    problems = [line for line in r.output.splitlines() if line.startswith(("skipped ", "note "))]
    named = {Path(line.split(" ", 1)[1].split(":", 1)[0].split("#")[0]).name for line in problems}
    assert {"empty.txt", "binary.txt", "huge.txt", "feed.jsonl", "loop", "mixed.txt"} <= named, problems
    assert "9 documents" in r.output   # good gbk big5 utf16 mixed cut deep odd feed#1
