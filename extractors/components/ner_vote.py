"""Combine the span groups of all NER backends (`ner:*`) into `doc.ents`.

Union of the backends' spans; where spans overlap, the one more backends
agree on wins, then the longer one. `doc._.ent_votes[(start, end)]` keeps how
many backends proposed each chosen span (agreement raises confidence).
"""
from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

for _name in ("ent_votes", "ner"):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


@Language.factory("ner_vote")
class NerVote:
    def __init__(self, nlp: Language, name: str):
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        groups = [k for k in doc.spans if k.startswith("ner:")]
        votes: dict[tuple[int, int, str], int] = {}
        spans = {}
        for key in groups:
            for span in doc.spans[key]:
                k = (span.start_char, span.end_char, span.label_)
                votes[k] = votes.get(k, 0) + 1
                spans.setdefault(k, span)
        ordered = sorted(spans.values(), key=lambda s: (-votes[(s.start_char, s.end_char, s.label_)],
                                                         -(s.end - s.start), s.start))
        taken: set[int] = set()
        chosen = []
        for span in ordered:   # greedy: agreement first, then length
            if taken.isdisjoint(range(span.start, span.end)):
                chosen.append(span)
                taken.update(range(span.start, span.end))
        doc.ents = sorted(chosen, key=lambda s: s.start)
        # (start, end, label) by character: what the rule components read, without re-walking doc.ents
        doc._.ner = [(s.start_char, s.end_char, s.label_) for s in sorted(chosen, key=lambda s: s.start)]
        doc._.ent_votes = {(s.start_char, s.end_char): votes[(s.start_char, s.end_char, s.label_)] for s in chosen}
        return doc
