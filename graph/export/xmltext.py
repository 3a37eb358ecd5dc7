"""XML written as text, byte for byte what networkx' writers produce.

networkx builds an element per node, edge and attribute (lxml for GraphML,
ElementTree for GEXF) before serialising; on a graph of 200,000 edges that is
most of the export time and gigabytes of memory. These helpers write the same
bytes from strings. The escaping rules are those of the two serialisers:

* lxml (GraphML): text escapes & < > and CR; attribute values also " TAB LF.
* ElementTree (GEXF): text escapes & < >; attribute values also " CR LF TAB
  (TAB as ``&#09;``, where lxml writes ``&#9;``).

Values must already be XML-safe (`flatten.xml_safe`): the serialisers refuse
or pass through illegal characters, and the writers never produce them.
tests/test_export_speed_equivalence.py compares these writers with networkx'.
"""
from __future__ import annotations

import networkx as nx
from networkx.readwrite.gexf import GEXF
from networkx.readwrite.graphml import GraphML

from graph.export.flatten import _XML_ILLEGAL


def lxml_text(s: str) -> str:
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    return s


def lxml_attr(s: str) -> str:
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "\t" in s:
        s = s.replace("\t", "&#9;")
    if "\n" in s:
        s = s.replace("\n", "&#10;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    return s


def et_text(s: str) -> str:
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    return s


def et_attr(s: str) -> str:
    if "&" in s:
        s = s.replace("&", "&amp;")
    if "<" in s:
        s = s.replace("<", "&lt;")
    if ">" in s:
        s = s.replace(">", "&gt;")
    if '"' in s:
        s = s.replace('"', "&quot;")
    if "\r" in s:
        s = s.replace("\r", "&#13;")
    if "\n" in s:
        s = s.replace("\n", "&#10;")
    if "\t" in s:
        s = s.replace("\t", "&#09;")
    return s


def check_name(name: str) -> str:
    """Attribute names are written as they are; lxml refuses illegal characters, so do we."""
    if _XML_ILLEGAL.search(name):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters")
    return name


def _types(cls) -> dict[type, str]:
    obj = cls()
    obj.construct_types()
    return obj.xml_type


GRAPHML_TYPES = _types(GraphML)
GEXF_TYPES = _types(GEXF)


def graphml_type(t: type) -> str:
    try:
        return GRAPHML_TYPES[t]
    except KeyError as err:
        raise TypeError(f"GraphML does not support type {t} as data values.") from err


def gexf_type(t: type) -> str:
    try:
        return GEXF_TYPES[t]
    except KeyError as err:
        raise TypeError(f"attribute value type is not allowed: {t}") from err


GRAPHML_HEAD = ("<?xml version='1.0' encoding='utf-8'?>\n"
                f'<graphml xmlns="{GraphML.NS_GRAPHML}" xmlns:xsi="{GraphML.NS_XSI}" '
                f'xsi:schemaLocation="{GraphML.SCHEMALOCATION}">')


class GraphMLText:
    """networkx.write_graphml_lxml(G, prettyprint=True, named_key_ids=True) as text pieces.

    `keys` are (scope, name, flat type) in order of first appearance; node and edge data
    are dicts of flat (scalar, XML-safe) values.
    """

    def __init__(self, keys: list[tuple[str, str, type]], directed: bool, multigraph: bool,
                 graph_attrs: dict | None = None):
        self.directed, self.multigraph = directed, multigraph
        self.graph_attrs = dict(graph_attrs or {})
        self.graph_id = self.graph_attrs.pop("id", None)
        self._data: dict[tuple[str, str, type], str] = {}   # (scope, name, type) -> '  <data key="…">'
        head = []
        for scope, name, t in keys:
            check_name(name)
            ident = lxml_attr(name)
            # node and edge data are indented under their element; the graph's own are not
            indent = "" if scope == "graph" else "  "
            self._data[(scope, name, t)] = f'{indent}<data key="{ident}">'
            head.append(f'<key id="{ident}" for="{scope}" attr.name="{ident}" attr.type="{graphml_type(t)}"/>\n')
        self._keys = "".join(reversed(head))   # networkx inserts each new key first
        self._edge_shapes: dict[tuple, object] = {}

    def head(self) -> str:
        edgedefault = "directed" if self.directed else "undirected"
        if self.graph_id is None:
            start = f'<graph edgedefault="{edgedefault}">'
        else:
            start = f'<graph edgedefault="{edgedefault}" id="{lxml_attr(str(self.graph_id))}">'
        return GRAPHML_HEAD + self._keys + start + self._data_lines("graph", self.graph_attrs)

    def _data_lines(self, scope: str, attrs: dict) -> str:
        data = self._data
        return "".join(f"{data[scope, k, _ftype(v)]}{lxml_text(str(v))}</data>\n" for k, v in attrs.items())

    def nodes(self, records, ids: dict[str, str]) -> str:
        """`records`: (flat id, attributes); `ids`: flat id -> escaped id (a cache, filled here)."""
        out = []
        data = self._data
        for s, attrs in records:
            i = ids.get(s)
            if i is None:
                i = ids[s] = lxml_attr(s)
            if not attrs:
                out.append(f'<node id="{i}"/>\n')
                continue
            out.append(f'<node id="{i}">\n')
            for k, v in attrs.items():
                t = type(v)
                if t is str:
                    out.append(f"{data['node', k, str]}{lxml_text(v)}</data>\n")
                else:
                    out.append(f"{data['node', k, _ftype(v)]}{lxml_text(str(v))}</data>\n")
            out.append("</node>\n")
        return "".join(out)

    def edges(self, records, ids: dict[str, str], plain_keys: bool = False) -> str:
        """`records`: (source, target, key, attributes); the key is written as the id of a
        multigraph's edge (`plain_keys`: keys need no escaping, like e0, e1…). Records with a
        `special` set (flatten.Chunk) without & < > or CR have no value to escape."""
        escape = lxml_text if _LXML_TEXT_SPECIAL & getattr(records, "special", _LXML_TEXT_SPECIAL) else None
        out = []
        data = self._data
        multi = self.multigraph
        shapes = self._edge_shapes
        strs = _STRS
        all_str = getattr(records, "all_str", False)
        for u, v, key, attrs in records:
            iu = ids.get(u)
            if iu is None:
                iu = ids[u] = lxml_attr(u)
            iv = ids.get(v)
            if iv is None:
                iv = ids[v] = lxml_attr(v)
            if multi:
                key = key if plain_keys else lxml_attr(str(key))
            if all_str or strs.issuperset(map(type, attrs.values())):
                # every value a string (the usual case): one format call per edge, by shape
                shape = tuple(attrs)
                fmt = shapes.get(shape)
                if fmt is None:
                    fmt = shapes[shape] = self._edge_format(shape)
                values = attrs.values() if escape is None else map(escape, attrs.values())
                out.append(fmt(iu, iv, key, *values) if multi else fmt(iu, iv, *values))
                continue
            tag = f'<edge source="{iu}" target="{iv}" id="{key}"' if multi else f'<edge source="{iu}" target="{iv}"'
            if not attrs:
                out.append(tag + "/>\n")
                continue
            out.append(tag + ">\n")
            for k, x in attrs.items():
                out.append(f"{data['edge', k, type(x)]}{lxml_text(x if type(x) is str else str(x))}</data>\n")
            out.append("</edge>\n")
        return "".join(out)

    def _edge_format(self, shape: tuple):
        """str.format of an edge whose attributes, all strings, are `shape` (names in order)."""
        head = '<edge source="{}" target="{}" id="{}"' if self.multigraph else '<edge source="{}" target="{}"'
        if not shape:
            return (head + "/>\n").format
        lines = [_braces(self._data["edge", k, str]) + "{}</data>\n" for k in shape]
        return (head + ">\n" + "".join(lines) + "</edge>\n").format

    @staticmethod
    def tail() -> str:
        return "</graph></graphml>"


_STRS = frozenset((str,))
_LXML_TEXT_SPECIAL = frozenset("&<>\r")
_ET_ATTR_SPECIAL = frozenset("&<>\r\n\t")   # and '"', replaced on its own


def _braces(text: str) -> str:
    """Literal text inside a str.format template."""
    return text.replace("{", "{{").replace("}", "}}")


def _ftype(v) -> type:
    # flat values are str, bool, int or float (or their subclasses, kept as the type networkx sees)
    return type(v)


def et_value(v) -> str:
    """How networkx' GEXF writer renders a static attribute value."""
    if isinstance(v, bool):
        return "true" if v else "false"
    s = str(v)
    if type(v) is float:
        if s == "inf":
            return "INF"
        if s == "nan":
            return "NaN"
        if s == "-inf":
            return "-INF"
    return s


NX_VERSION = nx.__version__
