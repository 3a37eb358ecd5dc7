"""GraphML, GEXF, nodes.csv and edges.csv from one pass over the flattened graph.

The four formats show the same flattened attributes (`flatten.FlatGraph`), so
`write_flat` flattens each node and edge once, a chunk at a time, and hands the
chunk to every format asked for; each writes its text for the chunk to its own
atomic temporary file (`atomic.atomic_open`). Memory is bounded by a chunk, not
by the file. A writer alone (`write_graphml`, …) is the same pass with one format.

The files are byte for byte those networkx' writers made from `flat_graph(g)`
before (tests/test_export_speed_equivalence.py); graphs using attribute names
that networkx' GEXF writer treats specially (start, end, weight, …) still go
through networkx, as before.

With `reuse`, the chunks are those of `fragments.plan` (cut by content) and a
chunk whose key the previous file's sidecar knows is copied from that file, not
flattened or rendered (`fragments.py`); the bytes are the same either way.
"""
from __future__ import annotations

import csv
import io
import os
from typing import IO, Callable

import networkx as nx

from graph.export import fragments
from graph.atomic import write_bytes
from graph.export.flatten import FlatGraph, discover, flat_graph, prepared
from graph.export.fragments import Output, drop_index
from graph.export.style import kind_style, node_size, rgb
from graph.export.xmltext import _ET_ATTR_SPECIAL, _STRS, GraphMLText, NX_VERSION, _braces, check_name, et_attr, et_text, et_value, gexf_type

LINE_SEPARATORS = (("\u2028", "&#8232;"), ("\u2029", "&#8233;"))


def _line_separators_as_references(text: str) -> str:
    # U+2028/2029 are legal XML 1.0 but xmldom (graphology's parser) and browsers fold them to
    # spaces or line breaks; a character reference survives every parser
    for raw, ref in LINE_SEPARATORS:
        if raw in text:
            text = text.replace(raw, ref)
    return text


class _Format:
    """One file's text: head, node chunks, `between`, edge chunks, tail. The text of a chunk
    depends only on its records, on what `salt` covers and on `node_extra` (fragments.py)."""
    uses_nodes = uses_edges = True
    name = ""

    def head(self) -> str:
        return ""

    def nodes(self, chunk: list) -> str:
        return ""

    def between(self, has_edges: bool) -> str:
        return ""

    def edges(self, chunk: list) -> str:
        return ""

    def tail(self, has_edges: bool) -> str:
        return ""

    def salt(self) -> bytes:
        """What the chunks' text depends on besides the records: the code, and globals."""
        return fragments.salt(self.name)

    def node_extra(self, sids: list[str]) -> bytes:
        """What a node chunk's text depends on besides its nodes' data (derived from the graph)."""
        return b""


# ---------------------------------------------------------------- GraphML

GRAPHML_RESERVED = {"node_default", "edge_default"}   # networkx reads these graph attributes as defaults


class GraphMLFormat(_Format):
    """graph.graphml: networkx.write_graphml_lxml(flat_graph(g), prettyprint=True, named_key_ids=True),
    U+2028/2029 as character references."""

    name = "graph.graphml"   # element text depends on attribute names only, not on the declared keys

    def __init__(self, fg: FlatGraph, found: list):
        keys = [(scope, name, t) for scope, name, t, _ in found if not (scope == "graph" and name == "id")]
        self.w = GraphMLText(keys, directed=True, multigraph=True, graph_attrs=fg.graph_attrs)
        self.ids: dict[str, str] = {}

    @staticmethod
    def usable(fg: FlatGraph) -> bool:
        return not (GRAPHML_RESERVED & set(fg.graph_attrs))

    def head(self) -> str:
        return _line_separators_as_references(self.w.head())

    def nodes(self, chunk: list) -> str:
        return _line_separators_as_references(self.w.nodes(chunk, self.ids))

    def edges(self, chunk: list) -> str:
        return _line_separators_as_references(self.w.edges(chunk, self.ids, plain_keys=True))

    def tail(self, has_edges: bool) -> str:
        return self.w.tail()


def graphml_via_networkx(g: nx.MultiDiGraph) -> bytes:
    """The reference: what the GraphML writer made before it wrote text itself."""
    buf = io.BytesIO()
    nx.write_graphml_lxml(flat_graph(g), buf, encoding="utf-8", prettyprint=True, named_key_ids=True)
    return buf.getvalue().replace("\u2028".encode(), b"&#8232;").replace("\u2029".encode(), b"&#8233;")


# ---------------------------------------------------------------- GEXF

# attribute names networkx' GEXF writer turns into XML attributes or elements of their own
GEXF_NODE_SPECIAL = {"id", "pid", "start", "end", "parents", "spells", "slices", "viz"}
GEXF_EDGE_SPECIAL = {"weight", "type", "start", "end", "spells", "slices", "viz", "key", "networkx_key"}
GEXF_GRAPH_SPECIAL = {"mode", "name"}


class GEXFFormat(_Format):
    """graph.gexf: networkx.write_gexf(version="1.2draft", prettyprint=True) of the flattened graph
    with viz colour and size per node and each edge's stable id (flatten.edge_ids) as its id and
    its relation as label (see gexf.gexf_graph); no lastmodifieddate; U+2028/2029 as character
    references."""
    name = "graph.gexf"

    def __init__(self, fg: FlatGraph, found: list):
        self.sizes = {s: node_size(c) for s, c in fg.flat_neighbour_counts().items()}
        self.node_count = fg.node_count()
        node_attrs: dict[str, type] = {}
        for scope, name, t, _i in found:
            if scope == "node" and name != "label" and name not in node_attrs:
                node_attrs[name] = t
        edge_attrs: dict[str, type] = {}
        edge_found = [(name, t, i) for scope, name, t, i in found if scope == "edge"]
        for name, t, i in edge_found:   # the first edge's attributes, then its key, then the rest
            if i == 0 and name not in ("id", "label") and name not in edge_attrs:
                edge_attrs[name] = t
        if edge_found:
            edge_attrs.setdefault("networkx_key", str)
        for name, t, _i in edge_found:
            if name not in ("id", "label") and name not in edge_attrs:
                edge_attrs[name] = t
        self.node_ids: dict[str, str] = {}
        self.edge_ids: dict[str, str] = {}
        counter = 0
        blocks = []
        for cls, attrs, ids in (("node", node_attrs, self.node_ids), ("edge", edge_attrs, self.edge_ids)):
            if not attrs:
                continue
            lines = [f'    <attributes mode="static" class="{cls}">\n']
            for name, t in attrs.items():
                ids[name] = str(counter)
                lines.append(f'      <attribute id="{counter}" title="{et_attr(check_name(name))}" type="{gexf_type(t)}" />\n')
                counter += 1
            lines.append("    </attributes>\n")
            blocks.append("".join(lines))
        self.attributes = "".join(reversed(blocks))   # networkx inserts each class's block first
        self.node_for = {k: f'          <attvalue for="{v}" value="' for k, v in self.node_ids.items()}
        self.edge_for = {k: f'          <attvalue for="{v}" value="' for k, v in self.edge_ids.items()}
        self.colours = {}
        self.ids: dict[str, str] = {}
        self.shapes: dict[tuple, tuple] = {}
        self.labels: dict[str, str] = {}   # relation -> escaped, for the edge's label attribute

    @staticmethod
    def usable(fg: FlatGraph, found: list) -> bool:
        if GEXF_GRAPH_SPECIAL & set(fg.graph_attrs):
            return False
        for scope, name, _t, _i in found:
            if scope == "node" and name in GEXF_NODE_SPECIAL or scope == "edge" and name in GEXF_EDGE_SPECIAL:
                return False
        return True

    def head(self) -> str:
        from networkx.readwrite.gexf import GEXF

        spec = GEXF()
        spec.set_version("1.2draft")
        viz = f'xmlns:viz="{spec.NS_VIZ}" ' if self.node_count else ""   # declared only where used
        return ("<?xml version='1.0' encoding='utf-8'?>\n"
                f'<gexf {viz}xmlns="{spec.NS_GEXF}" xmlns:xsi="{spec.NS_XSI}" '
                f'xsi:schemaLocation="{spec.SCHEMALOCATION}" version="{spec.VERSION}">\n'
                f"  <meta>\n    <creator>{et_text(f'NetworkX {NX_VERSION}')}</creator>\n  </meta>\n"
                '  <graph defaultedgetype="directed" mode="static" name="">\n'
                + self.attributes + ("    <nodes>\n" if self.node_count else "    <nodes />\n"))

    def _colour(self, kind) -> str:
        kind = str(kind)
        c = self.colours.get(kind)
        if c is None:
            r, g, b = rgb(kind_style(kind)[0])
            c = self.colours[kind] = f'        <viz:color r="{r}" g="{g}" b="{b}" a="1.0" />\n'
        return c

    def salt(self) -> bytes:
        # attribute ids (the for="…" of every value) are numbered in order of discovery
        return fragments.salt(self.name, sorted(self.node_ids.items()), sorted(self.edge_ids.items()))

    def node_extra(self, sids: list[str]) -> bytes:
        sizes = self.sizes
        return "|".join([repr(sizes[s]) for s in sids]).encode()

    def nodes(self, chunk: list) -> str:
        out = []
        for s, attrs in chunk:
            i = self.ids.get(s)
            if i is None:
                i = self.ids[s] = et_attr(s)
            label = attrs.get("label", s)
            out.append(f'      <node id="{i}" label="{et_attr(str(label))}">\n')
            out.append(self._colour(attrs.get("kind", "")))
            out.append(f'        <viz:size value="{self.sizes[s]}" />\n')
            values = [(k, v) for k, v in attrs.items() if k != "label"]
            if values:
                out.append("        <attvalues>\n")
                for k, v in values:
                    out.append(f'{self.node_for[k]}{et_attr(v if type(v) is str else et_value(v))}" />\n')
                out.append("        </attvalues>\n")
            out.append("      </node>\n")
        return _line_separators_as_references("".join(out))

    def between(self, has_edges: bool) -> str:
        if not has_edges:
            return ""
        return "    </nodes>\n    <edges>\n" if self.node_count else "    <edges>\n"

    def edges(self, chunk: list) -> str:
        out = []
        ids = self.ids
        efor = self.edge_for
        shapes = self.shapes
        labels = self.labels
        strs = _STRS
        all_str = getattr(chunk, "all_str", False)
        special = getattr(chunk, "special", _ET_ATTR_SPECIAL)
        # a chunk whose values hold no & < > CR LF TAB needs at most its quotes replaced
        quotes_only = not (_ET_ATTR_SPECIAL & special)
        quotes = '"' in special
        for u, v, key, attrs in chunk:
            iu = ids.get(u)
            if iu is None:
                iu = ids[u] = et_attr(u)
            iv = ids.get(v)
            if iv is None:
                iv = ids[v] = et_attr(v)
            label = attrs["label"] if "label" in attrs else attrs.get("relation", "")
            escaped = labels.get(label) if type(label) is str else None
            if escaped is None:
                escaped = et_attr(label if type(label) is str else str(label))
                if type(label) is str and len(labels) < 1000:
                    labels[label] = escaped
            if all_str or strs.issuperset(map(type, attrs.values())):
                shape = tuple(attrs)
                got = shapes.get(shape)
                if got is None:
                    got = shapes[shape] = (self._edge_format(shape), "label" in shape or "id" in shape)
                fmt, label_or_id = got
                if label_or_id:
                    out.append(fmt(iu, iv, key, escaped, *[et_attr(x) for k, x in attrs.items() if k != "label" and k != "id"], key))
                elif not quotes_only:
                    out.append(fmt(iu, iv, key, escaped, *map(et_attr, attrs.values()), key))
                elif quotes:
                    out.append(fmt(iu, iv, key, escaped, *[x.replace('"', "&quot;") for x in attrs.values()], key))
                else:
                    out.append(fmt(iu, iv, key, escaped, *attrs.values(), key))
                continue
            out.append(f'      <edge source="{iu}" target="{iv}" id="{key}" label="{escaped}">\n'
                       "        <attvalues>\n")
            for k, x in attrs.items():
                if k != "label" and k != "id":
                    out.append(f'{efor[k]}{et_attr(x if type(x) is str else et_value(x))}" />\n')
            out.append(f'{efor["networkx_key"]}{key}" />\n        </attvalues>\n      </edge>\n')
        return _line_separators_as_references("".join(out))

    def _edge_format(self, shape: tuple):
        lines = [_braces(self.edge_for[k]) + '{}" />\n' for k in shape if k != "label" and k != "id"]
        return ('      <edge source="{}" target="{}" id="{}" label="{}">\n        <attvalues>\n' + "".join(lines)
                + _braces(self.edge_for["networkx_key"]) + '{}" />\n        </attvalues>\n      </edge>\n').format

    def tail(self, has_edges: bool) -> str:
        if not has_edges:
            start = "    </nodes>\n" if self.node_count else ""
            return start + "    <edges />\n  </graph>\n</gexf>\n"
        return "    </edges>\n  </graph>\n</gexf>\n"


# ---------------------------------------------------------------- CSV

NODE_COLUMNS = ["Id", "Label", "Kind", "Aliases", "Date", "Place", "Minor", "Degree", "Docs", "Evidence"]
EDGE_COLUMNS = ["Source", "Target", "Type", "Id", "Label", "Weight", "Title", "Participation", "Docs", "Evidence"]


def _cell(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"   # what Gephi and Neo4j parse as booleans
    return "" if value is None else str(value)


def _quoting_characters() -> tuple[str, ...]:
    """The characters that make csv.writer(lineterminator="\n") quote a field, asked of the
    csv module itself (so the rows below stay what it writes on any Python version)."""
    found = []
    for c in [",", '"', "\n", "\r", "\t", " ", "'", ";", "\x00"]:
        buf = io.StringIO()
        try:
            csv.writer(buf, lineterminator="\n").writerow([f"a{c}b", "x"])
        except csv.Error:
            continue
        if buf.getvalue().startswith('"'):
            found.append(c)
    return tuple(found)


_QUOTE_IF = _quoting_characters()


def _csv_field(value) -> str:
    """A cell as csv.writer writes it (QUOTE_MINIMAL, quotes doubled)."""
    s = value if type(value) is str else _cell(value)
    for c in _QUOTE_IF:
        if c in s:
            return '"' + s.replace('"', '""') + '"'
    return s


def _csv_row(cells) -> str:
    return ",".join(map(_csv_field, cells)) + "\n"


class _CSVFormat(_Format):
    columns: list[str]

    def __init__(self, fg: FlatGraph, found: list):
        self.fg = fg

    def head(self) -> str:
        return _csv_row(self.columns)

    def salt(self) -> bytes:
        return fragments.salt(self.name, _QUOTE_IF)


class NodesCSVFormat(_CSVFormat):
    """nodes.csv in Gephi's spreadsheet layout (Id,Label,…); Degree counts distinct neighbours in `g`."""
    columns = NODE_COLUMNS
    uses_edges = False
    name = "nodes.csv"

    def node_extra(self, sids: list[str]) -> bytes:
        degree = self.fg.neighbour_count_in_g
        return "|".join([str(degree(s)) for s in sids]).encode()

    def nodes(self, chunk: list) -> str:
        degree = self.fg.neighbour_count_in_g
        rows = []
        for n, d in chunk:
            g = d.get
            rows.append(_csv_row((
                n, g("label", n), g("kind", ""), g("aliases", ""), g("date", ""), g("place", ""),
                g("minor", "") if g("kind") == "event" else "", degree(n), g("docs", ""), g("evidence", ""))))
        return "".join(rows)


class EdgesCSVFormat(_CSVFormat):
    """edges.csv in Gephi's spreadsheet layout (Source,Target,Type,Id,Label,…)."""
    columns = EDGE_COLUMNS
    uses_nodes = False
    name = "edges.csv"

    def edges(self, chunk: list) -> str:
        q = _csv_field
        rows = []
        if getattr(chunk, "all_str", False) and _QUOTE_IF == (",", '"', "\n"):
            # one check of the row's other fields together: if it has exactly its eight commas
            # and no quote or line feed, none of them needs quoting; only the evidence might
            for u, v, k, d in chunk:
                g = d.get
                rest = f"{u},{v},Directed,{k},{g('relation', '')},1,{g('title', '')},{g('participation', '')},{g('docs', '')}"
                if rest.count(",") == 8 and '"' not in rest and "\n" not in rest:
                    rows.append(f"{rest},{q(g('evidence', ''))}\n")
                else:
                    rows.append(f"{q(u)},{q(v)},Directed,{q(k)},{q(g('relation', ''))},1,{q(g('title', ''))},"
                                f"{q(g('participation', ''))},{q(g('docs', ''))},{q(g('evidence', ''))}\n")
            return "".join(rows)
        for u, v, k, d in chunk:
            g = d.get
            rows.append(f"{q(u)},{q(v)},Directed,{q(k)},{q(g('relation', ''))},1,{q(g('title', ''))},"
                        f"{q(g('participation', ''))},{q(g('docs', ''))},{q(g('evidence', ''))}\n")
        return "".join(rows)


# ---------------------------------------------------------------- one pass, several files

FORMATS: dict[str, type[_Format]] = {
    "graph.graphml": GraphMLFormat,
    "graph.gexf": GEXFFormat,
    "nodes.csv": NodesCSVFormat,
    "edges.csv": EdgesCSVFormat,
}


def _usable(name: str, fg: FlatGraph, found: list) -> bool:
    fmt = FORMATS[name]
    if fmt is GraphMLFormat:
        return GraphMLFormat.usable(fg)
    if fmt is GEXFFormat:
        return GEXFFormat.usable(fg, found)
    return True


def stream_flat(fg: FlatGraph, found: list, handles: dict[str, IO[bytes]]) -> None:
    """The pass itself, without reuse: each format of `handles` (name -> binary file) gets every chunk."""
    _stream(fg, [(FORMATS[name](fg, found), Output(fh)) for name, fh in handles.items()], None)


def _stream(fg: FlatGraph, outs: list[tuple[_Format, Output]], plan: fragments.Plan | None) -> None:
    """Every format's text into its output: fixed-size chunks without a `plan`; with one, its
    chunks, each copied from the previous file where the output knows its key, flattened
    (once for all formats) and rendered only where some output does not."""
    for fmt, out in outs:
        out.write(fmt.head().encode("utf-8"))
    on_nodes = [(fmt, out) for fmt, out in outs if fmt.uses_nodes]
    on_edges = [(fmt, out) for fmt, out in outs if fmt.uses_edges]
    has_edges = any(fg.g._succ.values())   # (number_of_edges() adds up every node's degree)
    if plan is None:
        for chunk in (fg.node_chunks() if on_nodes else ()):
            for fmt, out in on_nodes:
                out.write(fmt.nodes(chunk).encode("utf-8"))
    elif on_nodes:
        sids = list(fg.groups)
        salted = [(fmt, out, fmt.salt() + b"nodes") for fmt, out in on_nodes]
        for start, end, digest in plan.nodes.chunks():
            todo = []
            for fmt, out, salt in salted:
                k = fragments.key(salt, digest, fmt.node_extra(sids[start:end]))
                if not out.copy(k):
                    todo.append((fmt, out, k))
            if todo:
                chunk = fg.node_records(sids[start:end])
                for fmt, out, k in todo:
                    out.chunk(k, fmt.nodes(chunk).encode("utf-8"))
    for fmt, out in outs:
        out.write(fmt.between(has_edges).encode("utf-8"))
    if plan is None:
        for chunk in (fg.edge_chunks() if on_edges else ()):
            for fmt, out in on_edges:
                out.write(fmt.edges(chunk).encode("utf-8"))
    elif on_edges:
        order = fg.edge_sequence()
        salted = [(fmt, out, fmt.salt() + b"edges") for fmt, out in on_edges]
        for start, end, digest in plan.edges.chunks():
            todo = []
            for fmt, out, salt in salted:
                k = fragments.key(salt, digest)
                if not out.copy(k):
                    todo.append((fmt, out, k))
            if todo:
                chunk = fg.edge_records(order[start:end])
                for fmt, out, k in todo:
                    out.chunk(k, fmt.edges(chunk).encode("utf-8"))
    for fmt, out in outs:
        out.write(fmt.tail(has_edges).encode("utf-8"))


def _fallback(name: str) -> Callable[[nx.MultiDiGraph], bytes] | None:
    """networkx' writer for a graph the text writer does not cover."""
    if name == "graph.graphml":
        return graphml_via_networkx
    if name == "graph.gexf":
        from graph.export.gexf import gexf_via_networkx

        return gexf_via_networkx
    return None


def _found(g: nx.MultiDiGraph, names) -> tuple[FlatGraph, list]:
    fg = prepared(g)
    return fg, (discover(fg) if ("graph.graphml" in names or "graph.gexf" in names) else [])


def write_flat(g: nx.MultiDiGraph, targets: dict[str, "str | os.PathLike"], reuse: bool = False) -> None:
    """Write each of `targets` (format name -> path; names from FORMATS) atomically, in one pass over `g`.

    With `reuse`, what did not change since the previous write is copied from the previous
    files (fragments.py): same bytes, a fraction of the time after a small change. A format
    whose fast writer does not apply to this graph (`usable` is False) is written separately
    the way it was before (`_fallback`), in full."""
    fg, found = _found(g, targets)
    paths = {}
    for name, path in targets.items():
        slow = None if _usable(name, fg, found) else _fallback(name)
        if slow is None:
            paths[name] = path
        else:
            write_bytes(path, slow(g))
            if reuse:
                drop_index(path)   # its chunks are not recorded
    if not paths:
        return
    formats = {name: FORMATS[name](fg, found) for name in paths}
    plan = fragments.plan(fg) if reuse else None
    salts = {name: fmt.salt() for name, fmt in formats.items()} if reuse else None

    def body(outs: dict[str, Output]) -> None:
        _stream(fg, [(formats[name], outs[name]) for name in paths], plan)

    fragments.write_files(paths, salts, body)


def flat_bytes(g: nx.MultiDiGraph, name: str) -> bytes:
    """One format's file as bytes."""
    fg, found = _found(g, [name])
    slow = None if _usable(name, fg, found) else _fallback(name)
    if slow is not None:
        return slow(g)
    buf = io.BytesIO()
    stream_flat(fg, found, {name: buf})
    return buf.getvalue()
