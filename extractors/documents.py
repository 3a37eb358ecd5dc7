"""Read article files into `Document`s: plain text, Markdown with front matter,
HTML fragments and JSON/JSONL records, in any of the encodings Chinese news
sites use (UTF-8 with or without BOM, GB18030/GBK, Big5, UTF-16).

A file that cannot be read raises `UnreadableDocument` naming the file and the
reason; `iter_documents` turns those into `Skipped` entries so that one bad
file never stops a run. Part of a file can be lost too (a broken JSONL line,
an over-long record): `read_file_report` returns those as `Skipped` entries
named `path#line`. Remarks that lose nothing (a file salvaged line by line
from mixed encodings) are `Skipped` with `lost=False`. See docs/robustness.md.
"""
from __future__ import annotations

import codecs
import json
import os
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Iterable, Iterator

import yaml

SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".json", ".jsonl"}
MAX_BYTES = 64 * 1024 * 1024      # larger files are refused, not read into memory
# One article is at most this many characters. Extraction runs at roughly 10,000
# characters a second, so a longer "article" (a 50 MB log, a whole book) would
# stall a build for many minutes; news articles are 1,000-20,000 characters.
MAX_DOC_CHARS = 500_000
# a single-article file (.txt .md .html) above this size cannot hold an article
# of MAX_DOC_CHARS characters (4 bytes a character at most) and is not read at all
MAX_ARTICLE_BYTES = MAX_DOC_CHARS * 4
_CONTAINERS = {".json", ".jsonl"}   # may hold many articles: bounded by MAX_BYTES only


@dataclass
class Document:
    id: str                  # stable id: file name (plus #n for JSONL records)
    text: str                # the article text, original script
    path: str = ""
    title: str = ""
    date: str = ""
    source: str = ""
    url: str = ""
    meta: dict = field(default_factory=dict)


@dataclass
class Skipped:
    path: str                # file, or file#line for one record of a JSON/JSONL file
    reason: str
    lost: bool = True        # False: nothing was lost, this is a remark about how the file was read

    def message(self) -> str:
        """One line naming the file and the reason."""
        reason = " ".join(self.reason.split())   # exception texts may carry newlines
        return f"{'skipped' if self.lost else 'note'} {self.path}: {reason}"


class UnreadableDocument(Exception):
    def __init__(self, path: str | os.PathLike, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


# ---------------------------------------------------------------- bytes → str

_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]
# charset-normalizer guesses among these for CJK text; trying the common ones
# strictly first avoids its rare mislabels of short GBK text as e.g. cp1252.
_CJK_CANDIDATES = ("utf-8", "gb18030", "big5")


def decode_bytes(data: bytes, path: str = "<bytes>") -> str:
    """Decode article bytes; raise UnreadableDocument for binary or undecodable data."""
    return _decode(data, path)[0]


def _decode(data: bytes, path: str) -> tuple[str, str]:
    """(text, remark): remark is "" unless the text had to be salvaged."""
    text = _decode_whole(data, path)
    if text is None:
        text = _decode_lines(data)
        if text is None:
            raise UnreadableDocument(path, "cannot detect the text encoding (binary or mixed encodings?)")
        return text, "mixed encodings: each line decoded as UTF-8, else GB18030"
    return text, ""


def _decode_lines(data: bytes) -> str | None:
    """A file pasted together from parts in different encodings (UTF-8 and GBK
    are the usual pair): decode each line on its own, or give up (None)."""
    out = []
    for line in data.split(b"\n"):
        for enc in ("utf-8", "gb18030"):
            try:
                out.append(line.decode(enc))
                break
            except UnicodeDecodeError:
                continue
        else:
            return None
    text = "\n".join(out)
    return text if _cjk_ratio(text) > 0.2 else None


def _decode_whole(data: bytes, path: str) -> str | None:
    if not data.strip():
        raise UnreadableDocument(path, "empty file")
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(enc)
            except UnicodeDecodeError as exc:
                raise UnreadableDocument(path, f"broken {enc} text ({exc.reason})") from exc
    if _looks_utf16(data):
        # both byte orders decode almost any even-length data: keep the one that reads as text
        best, best_score = None, -1.0
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                text = data.decode(enc)
            except UnicodeDecodeError:
                continue
            score = _plausibility(text)
            if score > best_score:
                best, best_score = text, score
        if best is not None:
            return best
    head = data[:8192]
    # a stray NUL in a scraped page is noise; binary formats are full of them
    if head.count(0) * 100 > len(head) or _control_ratio(head.decode("latin-1"), c0_only=True) > 0.05:
        raise UnreadableDocument(path, "binary file (NUL or control bytes), not text")
    for enc in _CJK_CANDIDATES:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "big5" or enc == "gb18030":
            # both decode almost anything; let charset-normalizer arbitrate
            break
        return text
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["gb18030", "big5", "utf_16", "utf_8", "cp950"]).best()
    if best is None:
        best = from_bytes(data).best()
    if best is None:
        return None
    return str(best)


def _looks_utf16(data: bytes) -> bool:
    head = data[:4096]
    if len(head) < 4:
        return False
    even = head[0::2].count(0)
    odd = head[1::2].count(0)
    # ASCII-heavy UTF-16 has NULs in every other byte; CJK UTF-16 has none but
    # then decodes to CJK letters, which `_cjk_ratio` checks.
    if even > len(head) // 6 or odd > len(head) // 6:
        return True
    try:
        # valid UTF-8 is never taken for UTF-16 below: say so before decoding it twice as UTF-16
        data.decode("utf-8")
        return False
    except UnicodeDecodeError:
        pass
    for enc in ("utf-16-le", "utf-16-be"):
        try:
            text = data[: len(data) // 2 * 2].decode(enc)
        except UnicodeDecodeError:
            continue
        if _cjk_ratio(text) > 0.6 and _common_hanzi_ratio(text) > 0.5:
            try:
                data.decode("utf-8")
                return False
            except UnicodeDecodeError:
                return True
    return False


def _common_hanzi_ratio(text: str) -> float:
    """Share of the Han characters among the most frequent (GB2312 level 1 or Big5 level 1).

    Real Chinese text is made of them; pairs of ASCII bytes read as UTF-16 land anywhere in
    the 20,000 Han code points (`is` → 獩), so mostly-ASCII GB18030 is not taken for UTF-16."""
    han = [c for c in text[:2048] if "\u4e00" <= c <= "\u9fff"]
    if not han:
        return 0.0
    common = 0
    for c in han:
        for enc, low, high in (("gb2312", 0xB0, 0xD7), ("big5", 0xA4, 0xC6)):
            try:
                lead = c.encode(enc)[0]
            except UnicodeEncodeError:
                continue
            if low <= lead <= high:
                common += 1
                break
    return common / len(han)


_C0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _control_ratio(text: str, c0_only: bool = False) -> float:
    """Share of control characters: text has almost none (C1 bytes are common in
    GBK/Big5/UTF-8 multi-byte sequences, so the byte-level check counts C0 only)."""
    if not text:
        return 0.0
    return len((_C0 if c0_only else _CONTROL).findall(text[:8192])) / min(len(text), 8192)


# counted by deleting them (in C), not by a Python loop over every character
_PLAUSIBLE = re.compile("[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef -~\n\r\t\u00b7\u2014\u201c\u201d]")
_CJK = re.compile("[\u4e00-\u9fff]")


def _plausibility(text: str) -> float:
    """Share of characters usual in Chinese news: CJK letters and punctuation, ASCII, white space."""
    sample = text[:4096]
    if not sample:
        return 0.0
    ok = len(sample) - len(_PLAUSIBLE.sub("", sample))
    return ok / len(sample)


def _cjk_ratio(text: str) -> float:
    if not text:
        return 0.0
    cjk = len(text) - len(_CJK.sub("", text))
    return cjk / len(text)


# ---------------------------------------------------------------- formats

_FRONT = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n", re.S)
# libyaml's loader when PyYAML was built with it: the same documents, ~10x faster than the
# pure-Python one (front matter was a third of reading a corpus of Markdown files)
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_markdown(text: str) -> tuple[str, dict]:
    """Split YAML front matter from the body; the body keeps HTML fragments, turned to text."""
    meta: dict = {}
    m = _FRONT.match(text)
    if m:
        try:
            loaded = yaml.load(m.group(1), Loader=_YAML_LOADER)
            if isinstance(loaded, dict):
                meta = {str(k): v for k, v in loaded.items()}
        except yaml.YAMLError:
            meta = {}
        # keep offsets honest: the front matter becomes blank lines of equal length
        text = re.sub(r"[^\n]", " ", m.group(0)) + text[m.end():]
    if re.search(r"<(p|div|br|span|a|table|h\d)\b", text, re.I):
        text = html_to_text(text)
    # Markdown links: keep the anchor text, drop the target
    text = re.sub(r"\[([^\]]*)\]\((?:[^)]*)\)", r"\1", text)
    text = re.sub(r"<(https?://[^>]+)>", "", text)
    return text, meta


_BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
           "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dd", "dt", "figcaption"}


_SKIP = {"script", "style", "noscript", "template", "iframe", "svg", "head", "title", "object"}


class _TextParser(HTMLParser):
    """Streaming HTML → text. No tree is built, so a page of 100,000 nested
    <div>s or a truncated page costs linear time and no recursion (a tree
    walk over such pages was quadratic)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip: list[str] = []      # open elements whose text is not article text

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag == "body" or tag in _BLOCKS:
            self.skip = [t for t in self.skip if t != "head"]   # pages that never close <head>
        if tag in _SKIP:
            self.skip.append(tag)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.skip:
            while self.skip and self.skip.pop() != tag:
                pass
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Text of an HTML page or fragment: scripts and styles removed, block breaks kept."""
    parser = _TextParser()
    parser.feed(markup)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t\u00a0\u3000]*\n[ \t\u00a0\u3000]*", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _meta_str(value) -> str:
    if value is None:
        return ""
    return str(value)


def _records_from_json(obj, base_id: str) -> list[Document]:
    items = obj if isinstance(obj, list) else [obj]
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        text = item.get("text") or item.get("content") or item.get("body")
        if not isinstance(text, str) or not text.strip():
            continue
        if re.search(r"<(p|div|br)\b", text, re.I):
            text = html_to_text(text)
        doc_id = base_id if len(items) == 1 else f"{base_id}#{i + 1}"
        out.append(Document(id=doc_id, text=text, title=_meta_str(item.get("title")),
                            date=_meta_str(item.get("date")), url=_meta_str(item.get("url")),
                            source=_meta_str(item.get("source"))))
    return out


# C0/C1 control characters other than tab and line breaks, and the noncharacters
# U+FFFE/U+FFFF: never article text, and illegal in XML outputs. Replaced by
# spaces so that offsets are unchanged.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def read_file(path: str | os.PathLike) -> list[Document]:
    """Read one file into documents (JSON/JSONL may hold several); parts lost are dropped silently."""
    return read_file_report(path)[0]


def read_file_report(path: str | os.PathLike) -> tuple[list[Document], list[Skipped]]:
    """Read one file: its documents, and `Skipped` entries for parts of it that were lost
    (`path#line`) or remarks. Raises UnreadableDocument when nothing can be read."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise UnreadableDocument(p, (exc.strerror or str(exc)).lower()) from exc
    if p.is_dir():
        raise UnreadableDocument(p, "is a directory")
    suffix = p.suffix.lower()
    if size > MAX_BYTES:
        raise UnreadableDocument(p, f"file too large ({_mb(size)} > {_mb(MAX_BYTES)}); split it")
    if suffix not in _CONTAINERS and size > MAX_ARTICLE_BYTES:
        raise UnreadableDocument(p, f"file too large for one article ({_mb(size)} > {_mb(MAX_ARTICLE_BYTES)}); "
                                    f"split it, or give many articles as .jsonl")
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise UnreadableDocument(p, (exc.strerror or str(exc)).lower()) from exc
    text, remark = _decode(data, str(p))
    if _control_ratio(text) > 0.05:
        raise UnreadableDocument(p, "binary file (control characters), not text")
    notes: list[Skipped] = [Skipped(str(p), remark, lost=False)] if remark else []
    text = _CONTROL.sub(" ", text)
    doc_id = p.name
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
        docs = [Document(id=doc_id, text=text, path=str(p))]
    elif suffix in (".md", ".markdown") or (suffix == ".txt" and _FRONT.match(text)):
        body, meta = parse_markdown(text)
        docs = [Document(id=doc_id, text=body, path=str(p), title=_meta_str(meta.get("title")),
                         date=_meta_str(meta.get("date")), source=_meta_str(meta.get("source")),
                         url=_meta_str(meta.get("url")), meta=meta)]
    elif suffix == ".json":
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UnreadableDocument(p, f"invalid JSON at line {exc.lineno}: {exc.msg}") from exc
        except RecursionError as exc:
            raise UnreadableDocument(p, "JSON nested too deeply") from exc
        docs = _records_from_json(obj, doc_id)
    elif suffix == ".jsonl":
        docs = []
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                # one broken line costs that line only, and is reported with its number
                notes.append(Skipped(f"{p}#{n}", f"line {n}: invalid JSON ({exc.msg}; column {exc.colno})"))
                continue
            except RecursionError:
                notes.append(Skipped(f"{p}#{n}", f"line {n}: JSON nested too deeply"))
                continue
            for d in _records_from_json(obj, f"{doc_id}#{n}"):
                d.path = str(p)
                docs.append(d)
    else:
        if re.search(r"<(p|div|br)\b[^>]*>", text[:5000], re.I):
            text = html_to_text(text)
        docs = [Document(id=doc_id, text=text, path=str(p))]
    kept = []
    for d in docs:
        d.path = str(p)
        if len(d.text) > MAX_DOC_CHARS:
            where = str(p) if d.id == doc_id else f"{p}#{d.id.rpartition('#')[2]}"
            notes.append(Skipped(where, f"too long for one article ({len(d.text):,} characters > {MAX_DOC_CHARS:,}); split it"))
        else:
            kept.append(d)
    if not any(d.text.strip() for d in kept):
        lost = [n for n in notes if n.lost]
        if len(lost) == 1 and lost[0].path == str(p):
            raise UnreadableDocument(p, lost[0].reason)
        if docs and not kept:
            raise UnreadableDocument(p, f"no record short enough ({len(docs)} too long)")
        if lost:
            raise UnreadableDocument(p, f"no readable record ({len(lost)} broken, first: {lost[0].reason})")
        raise UnreadableDocument(p, "no article text in the file")
    return kept, notes


def find_files(paths: Iterable[str | os.PathLike]) -> Iterator[Path | Skipped]:
    """Files under the given paths, sorted, with a known suffix; loops and dead links are skipped."""
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            seen: set[tuple[int, int]] = set()
            for root, dirs, files in os.walk(p, followlinks=True):
                st = os.stat(root)
                if (st.st_dev, st.st_ino) in seen:
                    dirs[:] = []
                    yield Skipped(root, "symlink loop: directory already visited")
                    continue
                seen.add((st.st_dev, st.st_ino))
                dirs.sort()
                for name in sorted(files):
                    f = Path(root) / name
                    if f.suffix.lower() in SUFFIXES and not name.startswith("."):
                        yield f
        elif p.exists():
            yield p
        else:
            yield Skipped(str(p), "no such file or directory")


def read_path(f: Path) -> tuple[list[Document], list[Skipped]] | Skipped:
    """One file found by `find_files`: its documents and remarks, or a `Skipped` saying why
    nothing of it could be read (any failure costs this file only, never the run)."""
    try:
        return read_file_report(f)
    except UnreadableDocument as exc:
        return Skipped(exc.path, exc.reason)
    except Exception as exc:   # any other failure costs this file only, never the run
        return Skipped(str(f), f"cannot read: {type(exc).__name__}: {exc}")


def iter_documents(paths: Iterable[str | os.PathLike]) -> Iterator[Document | Skipped]:
    """Documents of all files under paths; unreadable files become `Skipped`."""
    for f in find_files(paths):
        if isinstance(f, Skipped):
            yield f
            continue
        result = read_path(f)
        if isinstance(result, Skipped):
            yield result
            continue
        docs, notes = result
        yield from notes
        yield from docs
