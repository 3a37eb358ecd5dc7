"""Merge the entities of many documents into canonical graph nodes.

- persons: one node per folded name; within a document the extractor has
  already folded short forms (彼得罗夫) into the full name (安德烈·彼得罗夫).
- organizations: one node per folded name; an abbreviation an article
  introduces is an alias, and an alias joins an existing node only when it
  equals that node's name (two counties' "县委" never become one node).
- events: the same event reported by two outlets is one node when the names
  agree after dropping years and punctuation, or one contains the other, and
  the dates do not contradict; different editions (第六届/第七届) stay apart.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field

from extractors.normalize import fold_name
from extractors.records import DocumentRecords

_EDITION = re.compile(r"第([一二三四五六七八九十百零〇\d]+)[届次期]|首届")
_YEAR = re.compile(r"(19|20)\d{2}年?")
_NOISE = re.compile(r"[\s“”\"《》「」『』()（）·:：,，、]")


MAX_NODE_EVIDENCE = 5   # where a node comes from: a few sentences, not one per document


@dataclass
class Node:
    id: str
    kind: str
    label: str
    aliases: list[str] = field(default_factory=list)
    docs: list[str] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    date: str = ""
    place: str = ""
    minor: bool = True

    def add_doc(self, doc: str) -> None:
        # documents arrive in order, one after the other: only the last can repeat
        if not self.docs or self.docs[-1] != doc:
            self.docs.append(doc)

    def add_evidence(self, items) -> None:
        for item in items:
            if len(self.evidence) >= MAX_NODE_EVIDENCE:
                return
            self.evidence.append(item.to_dict())

    def add_alias(self, name: str) -> None:
        if name and name != self.label and name not in self.aliases:
            self.aliases.append(name)


@dataclass
class Resolution:
    nodes: dict[str, Node] = field(default_factory=dict)
    # per document (one dict each, so that building the edges needs no (doc, name) tuple per record)
    person: dict[str, dict[str, str]] = field(default_factory=dict)   # doc -> folded -> node id
    org: dict[str, dict[str, str]] = field(default_factory=dict)      # doc -> folded -> node id
    event: dict[str, dict[str, str]] = field(default_factory=dict)    # doc -> local id -> node id


@lru_cache(maxsize=65536)
def _event_core(name: str) -> str:
    core = _YEAR.sub("", fold_name(name))
    return _NOISE.sub("", core)


@lru_cache(maxsize=65536)
def _edition(name: str) -> str | None:
    m = _EDITION.search(fold_name(name))
    if not m:
        return None
    return "一" if m.group(0) == "首届" else m.group(1)


def same_event(a_name: str, a_date: str, b_name: str, b_date: str) -> bool:
    """Two event reports name the same event. (`_EventIndex.first_match` applies this rule
    without calling it: change both; tests/test_build_equivalence.py compares them.)"""
    if a_date and b_date and a_date[:10] != b_date[:10]:
        # dates are often only "YYYY" or missing; full dates must agree
        if len(a_date) >= 10 and len(b_date) >= 10:
            return False
    ea, eb = _edition(a_name), _edition(b_name)
    if ea and eb and ea != eb:
        return False
    ca, cb = _event_core(a_name), _event_core(b_name)
    if not ca or not cb:
        return False
    if ca == cb:
        return True
    short, long_ = sorted((ca, cb), key=len)
    # one outlet's shorter name at the end of the other's (a longer name that goes on is a sub-event)
    return len(short) >= 6 and bool(a_date and b_date) and (
        long_.endswith(short) or any(part.endswith(short) for part in long_.split("暨")))


class _EventIndex:
    """Known events, indexed so that a new report is compared only with the events
    `same_event` can pair it with: those of the same core, and those whose core (or a
    暨-part of it) ends with the report's core or the other way round, at least six
    characters long. Linear in the number of events, not quadratic.

    `first_match` returns what comparing the report with every known event in order of node
    id would find first: the smallest matching id."""

    MIN_SUFFIX = 6

    def __init__(self) -> None:
        self._by_core: dict[str, list[tuple]] = {}     # core -> entries
        self._by_suffix: dict[str, list[tuple]] = {}   # suffix (>= 6) of a core or a part -> entries

    @classmethod
    def _suffixes(cls, core: str) -> set[str]:
        out = set()
        for part in {core, *core.split("暨")}:
            out.update(part[i:] for i in range(len(part) - cls.MIN_SUFFIX + 1))
        return out

    def add(self, nid: str, name: str, date: str) -> None:
        """A known event: node `nid`, created from a report of `name` on `date`."""
        core = _event_core(name)
        if not core:
            return      # same_event never pairs an empty core
        entry = (nid, date, _edition(name), core)
        self._by_core.setdefault(core, []).append(entry)
        for suffix in self._suffixes(core):
            self._by_suffix.setdefault(suffix, []).append(entry)

    def first_match(self, name: str, date: str, exclude: set[str]) -> str | None:
        """The smallest id, not in `exclude`, of a known event for which
        `same_event(name, date, event.name, event.date)` holds, or None."""
        ca = _event_core(name)
        if not ca:
            return None
        candidates = list(self._by_core.get(ca, ()))
        if date and len(ca) >= self.MIN_SUFFIX:
            # cores ending with this one (or with a part ending with it) …
            candidates += [e for e in self._by_suffix.get(ca, ()) if len(e[3]) > len(ca)]
            # … and the cores this one (or one of its parts) ends with
            for suffix in self._suffixes(ca):
                if len(suffix) < len(ca):
                    candidates += self._by_core.get(suffix, ())
        ea, best = _edition(name), None
        for nid, b_date, eb, cb in candidates:
            if (best is not None and nid >= best) or nid in exclude:
                continue
            if date and b_date and date[:10] != b_date[:10] and len(date) >= 10 and len(b_date) >= 10:
                continue
            if ea and eb and ea != eb:
                continue
            if cb != ca and not (date and b_date):
                continue
            best = nid
        return best


class Resolver:
    """`resolve`, one document at a time in id order: the state between documents (nodes, which
    node claimed which organization alias, the known events) is kept here, so that a later
    build can go on from it with documents whose ids sort after all those seen (build_state.py)."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.org_alias_owner: dict[str, str] = {}    # folded alias -> the organization node that claimed it first
        self.events = _EventIndex()
        # (node id, name, date) of the report each event node was created from, in order: what the
        # index is rebuilt from (the node's own date may be filled in by a later report)
        self.event_reports: list[tuple[str, str, str]] = []
        self._folded_alias: dict[str, str] = {}      # fold_name of aliases, remembered

    def add_event_node(self, nid: str, name: str, date: str) -> None:
        self.events.add(nid, name, date)
        self.event_reports.append((nid, name, date))

    def add(self, dr: DocumentRecords, persons_here: dict[str, str], orgs_here: dict[str, str],
            events_here: dict[str, str]) -> None:
        """Resolve the names of `dr`, filling its maps name -> node id."""
        nodes, org_alias_owner, folded_alias = self.nodes, self.org_alias_owner, self._folded_alias
        doc = dr.doc
        # hundreds of thousands of person and organization records: plain loops, no calls
        for p in dr.persons:
            folded = p.folded
            nid = f"person:{folded}"
            node = nodes.get(nid)
            if node is None:
                node = nodes[nid] = Node(nid, "person", p.name)
            elif node.label != p.name:
                node.add_alias(p.name)
            for a in p.aliases:
                node.add_alias(a)
            if not node.docs or node.docs[-1] != doc:
                node.docs.append(doc)
            if len(node.evidence) < MAX_NODE_EVIDENCE and p.evidence:
                node.add_evidence(p.evidence[:2])
            persons_here[folded] = nid

        for o in dr.organizations:
            folded = o.folded
            nid = f"org:{folded}"
            node = nodes.get(nid)
            if node is None and folded in org_alias_owner:
                nid = org_alias_owner[folded]
                node = nodes.get(nid)
            if node is None:
                node = nodes[nid] = Node(nid, "organization", o.name)
            elif node.label != o.name:
                node.add_alias(o.name)
            for a in o.aliases:
                node.add_alias(a)
            if not node.docs or node.docs[-1] != doc:
                node.docs.append(doc)
            if len(node.evidence) < MAX_NODE_EVIDENCE and o.evidence:
                node.add_evidence(o.evidence[:1])
            orgs_here[folded] = nid
            for a in o.aliases:
                f = folded_alias.get(a)
                if f is None:
                    f = folded_alias[a] = fold_name(a)
                org_alias_owner.setdefault(f, nid)

        own_nodes: set[str] = set()
        for e in dr.events:
            # one document's events are distinct: the extractor already folded its variants
            nid = self.events.first_match(e.name, e.date, own_nodes)
            if nid is None:
                nid = f"event:{e.folded}"
                while nid in nodes:       # same name, contradicting dates
                    nid += "'"
                nodes[nid] = Node(nid, "event", e.name, date=e.date, place=e.place, minor=e.minor)
                self.add_event_node(nid, e.name, e.date)
            node = nodes[nid]
            if node.label != e.name:
                node.add_alias(e.name)
            node.date = node.date or e.date
            node.place = node.place or e.place
            node.minor = node.minor and e.minor
            node.add_doc(doc)
            node.add_evidence(e.evidence[:1])
            events_here[e.local_id] = nid
            own_nodes.add(nid)


def resolve(documents: list[DocumentRecords]) -> Resolution:
    resolver = Resolver()
    res = Resolution(nodes=resolver.nodes)
    for dr in sorted(documents, key=lambda d: d.doc):
        doc = dr.doc
        resolver.add(dr, res.person.setdefault(doc, {}), res.org.setdefault(doc, {}), res.event.setdefault(doc, {}))
    return res
