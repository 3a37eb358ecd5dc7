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


# the more telling kind wins when one action names several (出席会议并致辞 → 致辞)
PRIORITY = ("视频致辞", "主旨演讲", "主持", "致辞", "点评", "颁奖", "签约", "发言", "出席")


def participation(text: str, start: int, end: int, others: list[int] | None = None) -> str:
    """The kind of participation stated after a name: the action that follows it (over an
    enumeration of names: 甲、乙出席并致辞), up to the next person who acts on their own."""
    m = _CLAUSE_END.search(text, end)
    stop = m.start() if m else len(text)
    kinds = table("participation")
    found = []
    for word in by_length("participation"):
        i = text.find(word, end, stop)
        while i >= 0:
            found.append((i, word))
            i = text.find(word, i + len(word), stop)
    if not found:
        return "出席"
    first = min(i for i, _ in found)
    # the action ends where another person starts after it (甲出席，乙致辞)
    nxt = min((o for o in (others or []) if o > first), default=stop)
    seen = {kinds[w] for i, w in found if first <= i < nxt}
    return next((k for k in PRIORITY if k in seen), "出席")


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
    starts = sorted(m.start for p in art.persons.values() for m in p.mentions)
    for p in art.persons.values():
        if p.reporter:
            continue
        for m in p.mentions:
            eid = event_for(art, m.start)
            if not eid or (p.key, eid) in seen:
                continue
            seen.add((p.key, eid))
            out.append(Attendance(p.key, eid, participation(art.text, m.start, m.end, starts), m.start, m.end))
    return out
