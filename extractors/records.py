"""The records that flow from extraction into the graph.

Every record carries `Evidence`: which document, which sentence, and the
character offsets of the mention in the document's *original* text (the text
as read, before Traditional→Simplified folding; folding keeps offsets, see
`normalize.py`).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Evidence:
    doc: str        # document id (file name)
    sentence: str   # the sentence, in the article's own script
    start: int      # offsets of the mention in the document's original text
    end: int

    def to_dict(self) -> dict:
        # by hand: dataclasses.asdict deep-copies, and graphs of many documents call this a lot
        return {"doc": self.doc, "sentence": self.sentence, "start": self.start, "end": self.end}


@dataclass(frozen=True)
class Mention:
    """A span of the document recognised as a name."""
    text: str       # as written (original script)
    folded: str     # Simplified form, used for matching
    label: str      # PER, ORG, LOC, TIME, EVENT, TITLE
    start: int
    end: int


@dataclass
class PersonRecord:
    name: str                   # as written, the fullest form in the document
    folded: str
    aliases: list[str] = field(default_factory=list)   # short forms, other scripts
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class OrganizationRecord:
    name: str
    folded: str
    aliases: list[str] = field(default_factory=list)   # abbreviations introduced by the article
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class EventRecord:
    local_id: str               # unique within the document: "E1", "E2"…
    name: str
    folded: str
    date: str = ""              # ISO date when known, "YYYY" or "" otherwise
    place: str = ""
    parent: str | None = None   # local id of the event this one is part of
    minor: bool = False         # ceremonies and side activities inside a larger event
    organizers: list[str] = field(default_factory=list)  # organization names (folded)
    evidence: list[Evidence] = field(default_factory=list)


@dataclass
class RoleRecord:
    person: str                 # folded person name
    title: str                  # Simplified title, e.g. 副校长
    organization: str           # folded organization name
    evidence: Evidence | None = None


@dataclass
class AttendanceRecord:
    person: str                 # folded person name
    event: str                  # local event id
    participation: str          # 出席, 致辞, 主旨演讲, 主持, 发言, 视频致辞, 签约, 点评, 颁奖…
    evidence: Evidence | None = None


@dataclass
class DocumentRecords:
    """Everything extracted from one document."""
    doc: str
    title: str = ""
    date: str = ""
    persons: list[PersonRecord] = field(default_factory=list)
    organizations: list[OrganizationRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    roles: list[RoleRecord] = field(default_factory=list)
    attendance: list[AttendanceRecord] = field(default_factory=list)
