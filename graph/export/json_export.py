"""Node-link JSON (`networkx.node_link_data`, edges under "edges"): lists and
evidence kept as JSON values, so nothing is lost and `graph/load.py` reads it back.

The file is `json.dumps(node_link(g), ensure_ascii=False, indent=1, sort_keys=True)`
plus a newline. json.dumps with an indent runs Python's pure-Python encoder
(CPython's C encoder has no indent), which took most of the time on large
graphs; `IndentedJSON` writes the same text, using the C encoder for every
container that holds only scalars and Python only for the nesting, and
streams the nodes and edges to the file a chunk at a time. With `reuse`, the
chunks are those of `fragments.plan`, and one the previous file holds is copied
from it (fragments.py).
"""
from __future__ import annotations

import json
import os
import re
from json.encoder import JSONEncoder, encode_basestring
from typing import IO, Sequence

import networkx as nx

from graph.export import fragments
from graph.export.flatten import CHUNK, FlatGraph, prepared, xml_safe
from graph.export.fragments import Output, sorted_nodes

try:
    from json.encoder import c_make_encoder
except ImportError:  # pragma: no cover
    c_make_encoder = None


def _clean(value):
    # the same control-character policy as the XML exports, so every format shows the same text
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in sorted(value.items())}
    return value


def _node_record(g: nx.MultiDiGraph, n, clean=_clean) -> dict:
    return {"id": str(n), **{k: clean(v) for k, v in sorted(g.nodes[n].items())}}


def _edge_record(u, v, k, d: dict, clean=_clean) -> dict:
    return {"source": str(u), "target": str(v), "key": str(k), **{a: clean(x) for a, x in sorted(d.items())}}


def node_link(g: nx.MultiDiGraph) -> dict:
    nodes = [_node_record(g, n) for n in sorted(g.nodes, key=str)]
    edges = [_edge_record(u, v, k, d) for u, v, k, d in
             sorted(g.edges(keys=True, data=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2])))]
    return {"directed": True, "multigraph": True, "graph": _clean(dict(g.graph)), "nodes": nodes, "edges": edges}


# ---------------------------------------------------------------- indented JSON, fast

_SCALARS = (str, int, float, bool, type(None))
_PLAIN = frozenset(_SCALARS)
_STR = frozenset((str,))


def _float(o: float) -> str:
    if o != o:
        return "NaN"
    if o == float("inf"):
        return "Infinity"
    if o == -float("inf"):
        return "-Infinity"
    return float.__repr__(o)


class _Unclean(Exception):
    """A value `_clean` would change in a way a search of the text cannot see (a non-string key)."""


class IndentedJSON:
    """`json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True)`, the text of any value at any depth.

    With `raw_keys`, dicts below the top level must have string keys (else `_Unclean`): that is
    the encoding of not-yet-cleaned records, and `_clean` would turn other keys into strings."""

    def __init__(self, indent: int = 1, raw_keys: bool = False):
        self.indent = indent
        self.raw_keys = raw_keys
        self._flat: dict[int, object] = {}   # depth -> C encoder whose item separator carries that depth's indent
        self._keys: dict[str, str] = {}

    def _c(self, depth: int):
        enc = self._flat.get(depth)
        if enc is None:
            sep = ",\n" + " " * (self.indent * depth)
            enc = self._flat[depth] = c_make_encoder(None, JSONEncoder().default, encode_basestring, None,
                                                     ": ", sep, True, False, True)
        return enc

    def scalar(self, o) -> str:
        if isinstance(o, str):
            return encode_basestring(o)
        if o is None:
            return "null"
        if o is True:
            return "true"
        if o is False:
            return "false"
        if isinstance(o, int):
            return int.__repr__(o)
        if isinstance(o, float):
            return _float(o)
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    def encode(self, o, level: int = 0) -> str:
        """The text of `o` whose own line is indented `level` steps (its items `level + 1`)."""
        t = type(o)
        if t is str:
            return encode_basestring(o)
        if t is dict or t is not list and isinstance(o, dict):
            return self._dict(o, level)
        if t is list or t is tuple or isinstance(o, (list, tuple)):
            return self._list(o, level)
        if isinstance(o, _SCALARS):
            return self.scalar(o)
        raise TypeError(f"Object of type {o.__class__.__name__} is not JSON serializable")

    def _list(self, lst, level: int) -> str:
        if not lst:
            return "[]"
        inner = level + 1
        pad = " " * (self.indent * inner)
        if _PLAIN.issuperset(map(type, lst)):
            text = "".join(self._c(inner)(lst, 0))   # "[a,\n  b]" -> "[\n  a,\n  b\n]"
            return "[\n" + pad + text[1:-1] + "\n" + " " * (self.indent * level) + "]"
        items = [self.encode(x, inner) for x in lst]
        return "[\n" + pad + (",\n" + pad).join(items) + "\n" + " " * (self.indent * level) + "]"

    def _dict(self, dct: dict, level: int) -> str:
        if not dct:
            return "{}"
        inner = level + 1
        pad = " " * (self.indent * inner)
        str_keys = _STR.issuperset(map(type, dct))
        if str_keys and _PLAIN.issuperset(map(type, dct.values())):
            text = "".join(self._c(inner)(dct, 0))
            return "{\n" + pad + text[1:-1] + "\n" + " " * (self.indent * level) + "}"
        if self.raw_keys and level > 2 and not str_keys:
            raise _Unclean
        keys = self._keys
        items = []
        for k, v in sorted(dct.items()):
            key = keys.get(k) if type(k) is str else None
            if key is None:
                key = self._key(k)
            if type(v) is str:
                items.append(key + encode_basestring(v))
            else:
                items.append(key + self.encode(v, inner))
        return "{\n" + pad + (",\n" + pad).join(items) + "\n" + " " * (self.indent * level) + "}"

    def _key(self, k) -> str:
        """`"key": ` as json writes a dict key (remembered for string keys)."""
        if isinstance(k, str):
            key = k
        elif isinstance(k, float):
            key = _float(k)
        elif k is True:
            key = "true"
        elif k is False:
            key = "false"
        elif k is None:
            key = "null"
        elif isinstance(k, int):
            key = int.__repr__(k)
        else:
            raise TypeError(f"keys must be str, int, float, bool or None, not {k.__class__.__name__}")
        text = encode_basestring(key) + ": "
        if type(k) is str and len(self._keys) < 10000:
            self._keys[k] = text
        return text


# text that `_clean` would change: an XML-illegal character as it is (DEL, U+FFFE/FFFF; lone
# surrogates fail the UTF-8 encoding instead) or as JSON escapes it (\u0000–\u001f but for
# \t \n \r, which have their own escapes, plus \b \f). A false alarm (a literal backslash
# before "b") only costs a second, cleaned encoding of the chunk.
_ESCAPED_ILLEGAL = re.compile(r"\\(?:u00[01]|[bf])")


def _needs_clean(text: str) -> bool:
    return ("\x7f" in text or "\ufffe" in text or "\uffff" in text
            or ("\\" in text and _ESCAPED_ILLEGAL.search(text) is not None))


_RAW = IndentedJSON(1, raw_keys=True)
_CLEANED = IndentedJSON(1)


# ---------------------------------------------------------------- edges, fast

def _evidence_text(ev: list) -> str | None:
    """An evidence list ({doc, end, sentence, start} of str/int) as a value at level 3, or None."""
    parts = []
    for x in ev:
        if type(x) is dict and len(x) == 4:
            try:
                doc, end, sentence, start = x["doc"], x["end"], x["sentence"], x["start"]
            except KeyError:
                return None
            if type(doc) is str and type(sentence) is str and type(end) is int and type(start) is int:
                parts.append(f'{{\n     "doc": {encode_basestring(doc)},\n     "end": {end},\n'
                             f'     "sentence": {encode_basestring(sentence)},\n     "start": {start}\n    }}')
                continue
        return None
    return "[\n    " + ",\n    ".join(parts) + "\n   ]"


class _EdgeShapes:
    """The text of an edge record at level 2, by the shape of its data (attribute names in
    insertion order): a str.format template of the sorted keys, and which value goes where.
    The same text as `_RAW.encode(_edge_record(u, v, k, d, clean=_raw), 2)`, without building
    the record or going through the generic encoder for every value."""

    def __init__(self):
        self._shapes: dict[tuple, tuple | None] = {}

    def _shape(self, d: dict) -> tuple | None:
        names = tuple(d)
        got = self._shapes.get(names, False)
        if got is False:
            got = None
            if _STR.issuperset(map(type, names)) and not ({"source", "target", "key"} & set(names)):
                keys = sorted((*names, "source", "target", "key"))
                slot = {k: i for i, k in enumerate(keys)}
                template = "{{\n" + ",\n".join("   " + _braces(encode_basestring(k)) + ": {}" for k in keys) + "\n  }}"
                got = (len(keys), slot["source"], slot["target"], slot["key"], [slot[n] for n in names], template.format)
            self._shapes[names] = got
        return got

    def text(self, u, v, k, d: dict) -> str:
        shape = self._shape(d) if (type(u) is str and type(v) is str and type(k) is str) else None
        if shape is None:
            return _RAW.encode(_edge_record(u, v, k, d, clean=_raw), 2)
        n, su, sv, sk, slots, fmt = shape
        vals = [""] * n
        vals[su], vals[sv], vals[sk] = encode_basestring(u), encode_basestring(v), encode_basestring(k)
        for slot, x in zip(slots, d.values()):
            t = type(x)
            if t is str:
                vals[slot] = encode_basestring(x)
            elif t is list and x and _STR.issuperset(map(type, x)):
                vals[slot] = "[\n    " + ",\n    ".join(map(encode_basestring, x)) + "\n   ]"
            else:
                text = _evidence_text(x) if t is list and x and type(x[0]) is dict else None
                vals[slot] = text if text is not None else _RAW.encode(x, 3)
        return fmt(*vals)


def _braces(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _records_bytes(make, items: list, level: int, fast=None) -> bytes:
    """The items' texts joined as list items at `level`, UTF-8. Records are encoded as they are
    (by `fast(*item)` if given) and cleaned (`_clean`) only when the text shows a value that
    cleaning would change."""
    sep = ",\n" + " " * level
    try:
        if fast is not None:
            text = sep.join([fast(*it) for it in items])
        else:
            text = sep.join([_RAW.encode(make(*it, clean=_raw), level) for it in items])
        if not _needs_clean(text):
            return text.encode("utf-8")   # a lone surrogate raises here
    except (_Unclean, UnicodeEncodeError):
        pass
    return sep.join([_CLEANED.encode(make(*it), level) for it in items]).encode("utf-8")


def _raw(value):
    return value


def _write_list(out: Output, make, items: Sequence, level: int, fast=None,
                run: fragments.Run | None = None, salt: bytes = b"") -> None:
    """A list of records (`make(*item)`) at `level`, written a chunk at a time: fixed-size
    chunks, or with a `run` (fragments.Plan) its chunks, each copied from the previous file
    where `out` knows its key. A chunk's bytes start with the list separator but for the first."""
    outer = " " * (level - 1)
    pad = " " * level
    if not items:
        out.write(b"[]")
        return
    out.write(("[\n" + pad).encode("utf-8"))
    sep = (",\n" + pad).encode("utf-8")
    if run is None:
        for start in range(0, len(items), CHUNK):
            data = _records_bytes(make, items[start:start + CHUNK], level, fast)
            out.write(data if start == 0 else sep + data)
    else:
        for start, end, digest in run.chunks():
            k = fragments.key(salt, digest, b"first" if start == 0 else b"")
            if not out.copy(k):
                data = _records_bytes(make, items[start:end], level, fast)
                out.chunk(k, data if start == 0 else sep + data)
    out.write(("\n" + outer + "]").encode("utf-8"))


def write_json_to(g: nx.MultiDiGraph, fh: IO[bytes], fg: FlatGraph | None = None) -> None:
    """json_text(g) as UTF-8 into `fh`, a chunk of nodes or edges at a time."""
    _write_json(g, Output(fh), fg or prepared(g), None)


def _write_json(g: nx.MultiDiGraph, out: Output, fg: FlatGraph, plan: fragments.Plan | None) -> None:
    if c_make_encoder is None:  # pragma: no cover
        out.write(json_text_reference(g).encode("utf-8"))
        return
    salt = fragments.salt("graph.json")
    # top-level keys in sorted order: directed, edges, graph, multigraph, nodes
    out.write(b'{\n "directed": true,\n "edges": ')
    _write_list(out, _edge_record, fg.sorted_edges(), 2, fast=_EdgeShapes().text,
                run=plan.json_edges if plan else None, salt=salt + b"edges")
    graph = _CLEANED.encode(_clean(dict(g.graph)), 1)
    out.write(f',\n "graph": {graph},\n "multigraph": true,\n "nodes": '.encode("utf-8"))
    _write_list(out, lambda n, clean=_clean: _node_record(g, n, clean), [(n,) for n in sorted_nodes(g)], 2,
                run=plan.json_nodes if plan else None, salt=salt + b"nodes")
    out.write(b"\n}\n")


def json_text_reference(g: nx.MultiDiGraph) -> str:
    """The reference the streaming writer must match: json.dumps of node_link."""
    return json.dumps(node_link(g), ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def json_text(g: nx.MultiDiGraph) -> str:
    import io

    buf = io.BytesIO()
    write_json_to(g, buf)
    return buf.getvalue().decode("utf-8")


def write_json(g: nx.MultiDiGraph, path: str | os.PathLike, reuse: bool = False) -> None:
    """graph.json, atomically. With `reuse`, the chunks that did not change since the previous
    write are copied from the previous file (fragments.py): the same bytes."""
    fg = prepared(g)
    plan = fragments.plan(fg) if reuse else None
    salts = {"graph.json": fragments.salt("graph.json")} if reuse else None
    fragments.write_files({"graph.json": path}, salts,
                          lambda outs: _write_json(g, outs["graph.json"], fg, plan))
