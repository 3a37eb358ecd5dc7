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
from extractors.records import DocumentRecords, EventRecord

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
    person: dict[tuple[str, str], str] = field(default_factory=dict)   # (doc, folded) -> node id
    org: dict[tuple[str, str], str] = field(default_factory=dict)      # (doc, folded) -> node id
    event: dict[tuple[str, str], str] = field(default_factory=dict)    # (doc, local id) -> node id


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
    """Two event reports name the same event."""
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


def _merge_named(res: Resolution, nid: str, kind: str, rec, doc: str, evidence: int) -> Node:
    """Add a person or organization record to its node: label, aliases, document, evidence."""
    node = res.nodes.get(nid)
    if node is None:
        node = res.nodes[nid] = Node(nid, kind, rec.name)
    elif node.label != rec.name:
        node.add_alias(rec.name)
    for a in rec.aliases:
        node.add_alias(a)
    node.add_doc(doc)
    node.add_evidence(rec.evidence[:evidence])
    return node


class _EventIndex:
    """Known events bucketed by the end of their name's core, so that a new report is compared
    only with events it could be (same_event needs equal cores or one core ending the other,
    at least six characters long): linear in the number of events, not quadratic."""

    TAIL = 6

    def __init__(self) -> None:
        self._buckets: dict[str, list[tuple[str, EventRecord]]] = {}

    def _keys(self, name: str) -> set[str]:
        core = _event_core(name)
        parts = {core} | {_NOISE.sub("", _YEAR.sub("", p)) for p in fold_name(name).split("暨")}
        return {p[-self.TAIL:] for p in parts if p}

    def add(self, nid: str, record: EventRecord) -> None:
        for k in self._keys(record.name):
            self._buckets.setdefault(k, []).append((nid, record))

    def candidates(self, name: str) -> list[tuple[str, EventRecord]]:
        seen, out = set(), []
        for k in sorted(self._keys(name)):
            for nid, rec in self._buckets.get(k, ()):
                if nid not in seen:
                    seen.add(nid)
                    out.append((nid, rec))
        return sorted(out, key=lambda x: x[0])   # the first match does not depend on bucket order


def resolve(documents: list[DocumentRecords]) -> Resolution:
    res = Resolution()
    org_alias_owner: dict[str, str] = {}
    events_seen = _EventIndex()

    for dr in sorted(documents, key=lambda d: d.doc):
        for p in dr.persons:
            nid = f"person:{p.folded}"
            _merge_named(res, nid, "person", p, dr.doc, evidence=2)
            res.person[(dr.doc, p.folded)] = nid

        for o in dr.organizations:
            nid = f"org:{o.folded}"
            if nid not in res.nodes and o.folded in org_alias_owner:
                nid = org_alias_owner[o.folded]
            _merge_named(res, nid, "organization", o, dr.doc, evidence=1)
            res.org[(dr.doc, o.folded)] = nid
            for a in o.aliases:
                org_alias_owner.setdefault(fold_name(a), nid)

        own_nodes: set[str] = set()
        for e in dr.events:
            nid = None
            for other_id, other in events_seen.candidates(e.name):
                # one document's events are distinct: the extractor already folded its variants
                if other_id not in own_nodes and same_event(e.name, e.date, other.name, other.date):
                    nid = other_id
                    break
            if nid is None:
                nid = f"event:{e.folded}"
                while nid in res.nodes:       # same name, contradicting dates
                    nid += "'"
                res.nodes[nid] = Node(nid, "event", e.name, date=e.date, place=e.place, minor=e.minor)
                events_seen.add(nid, e)
            node = res.nodes[nid]
            if node.label != e.name:
                node.add_alias(e.name)
            node.date = node.date or e.date
            node.place = node.place or e.place
            node.minor = node.minor and e.minor
            node.add_doc(dr.doc)
            node.add_evidence(e.evidence[:1])
            res.event[(dr.doc, e.local_id)] = nid
            own_nodes.add(nid)
    return res
