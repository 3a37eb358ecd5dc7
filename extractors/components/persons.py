"""Persons: NER names, names the NER missed, short forms, reporters.

- PER entities that look like names (2–4 Han characters, or a foreign name
  with a middle dot);
- names the NER missed where the text itself marks them: right after a title
  (…主任房建成院士) or right before an honorific, starting with a surname;
- every later occurrence of a known name is a mention of it; the last part of
  a foreign name (热利科·布迪米尔 → 布迪米尔) and a given name used alone
  (王予波 → 予波) fold into the full name;
- a name right after 记者/通讯员… is staff of the outlet, not a participant.
"""
from __future__ import annotations

import re

from extractors.article import Article, Person, PersonMention
from extractors.lexicon import by_length, words

HAN = r"\u4e00-\u9fff"
_CHINESE_NAME = re.compile(rf"^[{HAN}]{{2,4}}$")
_FOREIGN_NAME = re.compile(rf"^[{HAN}]{{1,8}}(·[{HAN}]{{1,8}}){{1,3}}$")
_HONORIFICS = ("院士", "教授", "博士", "先生", "女士", "同志", "主席", "局长", "院长", "校长", "书记", "副校长")
# characters that never end a name: verbs and particles the NER sometimes glues on
_BAD_LAST = set("在和与及等的了是为说表示指出认为出席致辞主持")
_NOT_NAMES = {"主任", "院士", "教授", "嘉宾", "领导", "专家", "学者", "代表", "主席", "会长", "总裁", "中华",
              "中国", "国家", "人民", "新华", "大会", "论坛", "院长", "校长"}


def valid_name(name: str) -> bool:
    if name in _NOT_NAMES or name[-1] in _BAD_LAST:
        return False
    if _FOREIGN_NAME.match(name):
        return True
    if not _CHINESE_NAME.match(name):
        return False
    if any(name.endswith(t) for t in ("院士", "教授", "主任", "书记", "局长")):
        return False
    return True


def starts_with_surname(name: str) -> bool:
    surnames = words("surnames")
    return name[:1] in surnames or name[:2] in surnames


def _title_before(text: str, pos: int) -> bool:
    return any(text.endswith(t, 0, pos) for t in by_length("titles"))


def recovered_names(art: Article) -> list[tuple[int, int]]:
    """Names the NER missed, marked by a title before and a delimiter or honorific after."""
    text = art.text
    found = []
    pattern = re.compile(rf"(?<=[{HAN}])([{HAN}]{{2,3}}?)(?=(院士|教授|博士|先生|女士|[,，、。;；:：\s]|出席|致辞|表示|指出|主持|在|等))")
    for m in pattern.finditer(text):
        name = m.group(1)
        s, e = m.span(1)
        if not starts_with_surname(name) or not valid_name(name):
            continue
        if not _title_before(text, s):
            continue
        # the NER saw a word across this boundary: only recover when it did not call it a name
        i = art.word_index(s)
        w = art.words[i] if art.words else None
        if w and w.tag == "PER":
            continue
        if w and w.start == s and w.end == e and w.tag in ("ORG", "LOC", "TIME"):
            continue
        found.append((s, e))
    return found


def _is_reporter(text: str, start: int) -> bool:
    window = text[max(0, start - 6):start].replace(" ", "")
    return any(window.endswith(w) for w in words("reporter_words"))


def find_persons(art: Article) -> dict[str, Person]:
    text = art.text
    candidates: list[tuple[int, int]] = []
    for s, e, label in art.ents:
        if label == "PER":
            name = text[s:e].strip()
            if valid_name(name):
                candidates.append((s, e))
    candidates += recovered_names(art)

    persons: dict[str, Person] = {}
    for s, e in sorted(candidates):
        key = text[s:e]
        if key not in persons:
            persons[key] = Person(key=key, first=(s, e))

    # a 2-character "name" that is the given name or surname-less tail of a longer known name is that person
    for key in sorted(persons, key=len):
        for other in persons:
            if other != key and len(other) > len(key):
                tail = other.split("·")[-1]
                if key == tail or (len(other) == 3 and "·" not in other and key == other[1:]):
                    persons[other].aliases.add(key)
    for p in list(persons.values()):
        if any(p.key in q.aliases for q in persons.values()):
            del persons[p.key]

    # every occurrence of a known name or alias is a mention
    forms = sorted(((f, p.key) for p in persons.values() for f in {p.key, *p.aliases}), key=lambda x: -len(x[0]))
    taken: set[int] = set()
    for form, key in forms:
        for m in re.finditer(re.escape(form), text):
            s, e = m.span()
            if taken.intersection(range(s, e)):
                continue
            taken.update(range(s, e))
            persons[key].mentions.append(PersonMention(key, s, e))
    for p in persons.values():
        p.mentions.sort(key=lambda m: m.start)
        # keep aliases that actually occur
        p.aliases = {a for a in p.aliases if any(text[m.start:m.end] == a for m in p.mentions)}
        p.reporter = bool(p.mentions) and all(_is_reporter(text, m.start) for m in p.mentions)
    return {k: p for k, p in persons.items() if p.mentions}
