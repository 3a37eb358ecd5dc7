"""Attendance: which event each person took part in, and how.

A mention belongs to the event its sentence names (one event: that one;
several: the event they share as parent), else to the event of its section
(a heading line naming an event), else to the main event. The kind of
participation comes from the words after the name in its clause (致辞,
主持, 主旨演讲…; 出席 by default). Reporters are not attendees.
"""
from __future__ import annotations

import re

from extractors.article import Article, Attendance, Event
from extractors.components.events import section_event
from extractors.lexicon import by_length, table

_CLAUSE_END = re.compile(r"[。；;！？!?\n]")


def _lineage(events: dict[str, Event], eid: str) -> list[str]:
    out = []
    while eid and eid in events and eid not in out:
        out.append(eid)
        eid = events[eid].parent or ""
    return out


def _common_parent(events: dict[str, Event], ids: list[str]) -> str | None:
    lines = [_lineage(events, i) for i in ids]
    for cand in lines[0]:
        if all(cand in ln for ln in lines[1:]):
            return cand
    return None


def participation(text: str, start: int, end: int) -> str:
    """The kind of participation stated after a name in its clause."""
    m = _CLAUSE_END.search(text, end)
    clause = text[end: m.start() if m else len(text)]
    kinds = table("participation")
    best = None
    for word in by_length("participation"):
        i = clause.find(word)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, kinds[word])
    return best[1] if best else "出席"


def event_for(art: Article, pos: int) -> str | None:
    events = art.events
    s, e = art.sentence_of(pos)
    named = [ev.id for ev in events.values() if any(s <= a < e for a, _ in ev.mentions)]
    # minor events named in the sentence count only when nothing else is named
    major = [i for i in named if not events[i].minor]
    if len(major) == 1:
        return major[0]
    if len(major) > 1:
        return _common_parent(events, major) or art.main_event
    if len(named) == 1:
        return named[0]
    sec = section_event(art, events, pos)
    return sec or art.main_event or None


def find_attendance(art: Article) -> list[Attendance]:
    out: list[Attendance] = []
    seen: set[tuple[str, str]] = set()
    if not art.events:
        return out
    for p in art.persons.values():
        if p.reporter:
            continue
        for m in p.mentions:
            eid = event_for(art, m.start)
            if not eid or (p.key, eid) in seen:
                continue
            seen.add((p.key, eid))
            out.append(Attendance(p.key, eid, participation(art.text, m.start, m.end), m.start, m.end))
    return out
