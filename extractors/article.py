"""`Article`: what the rule components share about one document.

Built once per document by the pipeline from the spaCy `Doc`: the original
text, the folded-and-cleaned text recognition works on (same length, same
offsets), LAC's words, the NER entities, and sentence boundaries. Each rule
component adds its findings (persons, roles, events, attendance) to it.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass, field

from extractors.components.lac_ner import Word
from extractors.sentences import line_spans, sentence_spans


@dataclass
class PersonMention:
    key: str                      # folded full name
    start: int
    end: int


@dataclass
class Person:
    key: str                      # folded full name (node identity)
    first: tuple[int, int]        # offsets of the first full-name mention
    mentions: list[PersonMention] = field(default_factory=list)
    aliases: set[str] = field(default_factory=set)   # folded short forms
    reporter: bool = False
    outlet: str = ""


@dataclass
class Role:
    person: str                   # person key
    title: str
    org: str                      # folded organization name
    start: int                    # offsets of the chain link the role comes from
    end: int


@dataclass
class Event:
    id: str
    name: str                     # folded full name
    mentions: list[tuple[int, int]] = field(default_factory=list)
    parent: str | None = None
    minor: bool = False
    date: str = ""
    place: str = ""
    organizers: list[str] = field(default_factory=list)
    score: float = 0.0
    variants: list[str] = field(default_factory=list)   # other names of it in the text


@dataclass
class Attendance:
    person: str
    event: str
    participation: str
    start: int
    end: int


@dataclass
class Article:
    doc_id: str
    original: str
    text: str                     # folded, furniture and spam blanked; same length as original
    words: list[Word]
    ents: list[tuple[int, int, str]]
    title: str = ""               # folded title from metadata
    date: str = ""                # date from metadata or dateline
    sentences: list[tuple[int, int]] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)
    persons: dict[str, Person] = field(default_factory=dict)
    orgs: dict[str, set[str]] = field(default_factory=dict)      # folded name -> aliases
    roles: list[Role] = field(default_factory=list)
    events: dict[str, Event] = field(default_factory=dict)
    attendance: list[Attendance] = field(default_factory=list)
    main_org: str = ""
    main_event: str = ""
    _word_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.sentences = sentence_spans(self.text)
        self.lines = line_spans(self.text)
        self._word_starts = [w.start for w in self.words]
        self._sentence_starts = [s for s, _ in self.sentences]

    def word_index(self, pos: int) -> int:
        """Index of the word containing character `pos` (or the next one)."""
        i = bisect.bisect_right(self._word_starts, pos) - 1
        return max(i, 0)

    def sentence_of(self, pos: int) -> tuple[int, int]:
        i = bisect.bisect_right(self._sentence_starts, pos) - 1
        if i < 0:
            return (0, 0)
        return self.sentences[i]

    def line_of(self, pos: int) -> tuple[int, int]:
        for s, e in self.lines:
            if s <= pos <= e:
                return (s, e)
        return (pos, pos)

    def is_boundary(self, pos: int) -> bool:
        """True when a word starts (or the text ends) at `pos`."""
        if pos >= len(self.text) or pos == 0:
            return True
        i = bisect.bisect_left(self._word_starts, pos)
        return i < len(self._word_starts) and self._word_starts[i] == pos
