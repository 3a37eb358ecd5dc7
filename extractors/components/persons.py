"""Persons: NER names, names the NER missed, short forms, reporters.

- PER entities that look like names (2–4 Han characters, or a foreign name
  with a middle dot);
- names the NER missed where the text itself marks them: right after a title
  (…主任李明远院士) or right before an honorific, starting with a surname;
- every later occurrence of a known name is a mention of it; the last part of
  a foreign name (安德烈·彼得罗夫 → 彼得罗夫) and a given name used alone
  (张建波 → 建波) fold into the full name;
- a name right after 记者/通讯员… is staff of the outlet, not a participant.
"""
from __future__ import annotations

import re
from functools import lru_cache

from extractors.article import Article, Person, PersonMention
from extractors.lexicon import by_length, words


def title_len_at(s: str, i: int) -> int:
    from extractors.components.title_chain import title_len_at as _t
    return _t(s, i)

HAN = r"\u3400-\u4dbf\u4e00-\u9fff"
_CHINESE_NAME = re.compile(rf"^[{HAN}]{{2,4}}$")
_FOREIGN_NAME = re.compile(rf"^[{HAN}]{{1,8}}(·[{HAN}]{{1,8}}){{1,3}}$")
_HONORIFICS = ("院士", "教授", "博士", "先生", "女士", "同志", "主席", "局长", "院长", "校长", "书记", "副校长")
# characters that never end a name: verbs and particles the NER sometimes glues on
_BAD_LAST = set("在与及等的了是为说表示指出认为出席致辞主持")
_NOT_NAMES = {"主任", "院士", "教授", "嘉宾", "领导", "专家", "学者", "代表", "主席", "会长", "总裁", "中华",
              "中国", "国家", "人民", "新华", "大会", "论坛", "院长", "校长"}


_LATIN_NAME = re.compile(r"[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}")
HONORIFIC_BEFORE = re.compile(r"(?:Dr|Prof|Mr|Ms|Mrs|Sir)\.?\s*$")


def valid_name(name: str) -> bool:
    if _LATIN_NAME.fullmatch(name):
        return True
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


@lru_cache(maxsize=1)
def _title_pattern() -> re.Pattern:
    return re.compile("|".join(re.escape(t) for t in by_length("titles")))


_NAME_END = re.compile(r"(院士|教授|博士|先生|女士|[,，、。;；:：\s]|出席|致辞|致欢迎|表示|指出|主持|在|等|作|代表|发表|介绍|认为|谈到|说|分享|强调|通过|以视频)")


def latin_names(art: Article) -> list[tuple[int, int]]:
    """校长Dr. John Smith、: a Latin-script name after a title (and an honorific)."""
    text = art.text
    out = []
    for m in re.finditer(r"(?:(?:Dr|Prof|Mr|Ms|Mrs|Sir)\.?\s*)?([A-Z][a-z]+(?: [A-Z][a-z]+){1,2})(?=\s*[、，,。;；:：(（]|\s*$)",
                         text, re.M):
        s = m.start(1)
        if _title_before(text, m.start()):
            out.append((s, m.end(1)))
    return out


def recovered_names(art: Article) -> list[tuple[int, int]]:
    """Names the NER missed, marked by a title before and a pause, honorific or verb after."""
    text = art.text
    found = []
    for m in _title_pattern().finditer(text):
        p = m.end()
        for n in (3, 2):
            name = text[p:p + n]
            if len(name) < n or not re.fullmatch(rf"[{HAN}]+", name) or not _NAME_END.match(text, p + n):
                continue
            if not starts_with_surname(name) or not valid_name(name):
                continue
            i = art.word_index(p)
            w = art.words[i] if art.words else None
            if w and w.start == p and w.end == p + n and w.tag in ("ORG", "LOC", "TIME"):
                continue
            found.append((p, p + n))
            break
    return found


_PAUSE = set("、，,。；;：:）)」”")


def repair_span(art: Article, s: int, e: int) -> tuple[int, int]:
    """The NER cut a three-character name to two: 饶子|和等, 校长管|中闵."""
    text = art.text
    if e - s == 1 and starts_with_surname(text[s]) and re.match(rf"[{HAN}]{{2}}", text[e:e + 2]) \
            and (text[e + 2:e + 3] in _PAUSE or text.startswith("等", e + 2)):
        return s, e + 2             # 林|名男、
    if e - s != 2 or not re.match(rf"[{HAN}]", text[e:e + 1] or " "):
        pass
    elif text[e + 1:e + 2] in _PAUSE or text.startswith("等", e + 1) or title_len_at(text, e + 1) \
            or any(text.startswith(c, e + 1) for c in ("致辞", "表示", "指出", "出席", "主持")):
        if starts_with_surname(text[s:e]) and text[e] not in "的了是在说等":
            return s, e + 1
    if e - s == 2 and s > 0 and not starts_with_surname(text[s:e]) and starts_with_surname(text[s - 1]) \
            and (s == 1 or _title_before(text, s - 1) or text[s - 2] in _PAUSE
                 or any(oe == s and os_ < s - 2 and lab == "ORG" for os_, oe, lab in art.ents)):
        return s - 1, e             # 成大|林中和: the NER gave the surname to the organization
    if e - s >= 4 and not any(d in text[s:e] for d in _DOT):
        for k in (2, 3):
            if title_len_at(text, e - k) == k and 2 <= e - k - s <= 3:
                return s, e - k     # 周明远主委: a title glued to the name
    return s, e


def _is_reporter(text: str, start: int) -> bool:
    window = text[max(0, start - 6):start].replace(" ", "")
    return any(window.endswith(w) for w in words("reporter_words"))


_DOT = "·•・‧．･"
_GLUED = set("致说在与及等的对向为称")
_PERSON_CUES = ("表示", "指出", "致辞", "致欢迎", "出席", "主持", "认为", "说", "介绍", "强调", "谈到", "分享", "发言",
                "作", "代表", "发表", "通过视频", "以视频", "视频致辞", "院士", "教授", "博士", "先生", "女士", "在",
                "等", "、", "和", "与", "为", "参加", "见证", "对", "围绕", "从", "谈", "也", "则", "还", "担任", "率")


def _foreign_names(art: Article) -> list[tuple[int, int]]:
    """PER pieces joined by a middle dot are one name (安德烈·彼得罗夫, 约翰·史密斯)."""
    text = art.text
    pers = sorted((s, e) for s, e, lab in art.ents if lab == "PER")
    out = []
    piece = re.compile(rf"[{HAN}]{{2,8}}")
    for s, e in pers:
        while e < len(text) and text[e] in _DOT:
            m = piece.match(text, e + 1)
            if not m:
                break
            end = m.end()
            nxt = next((pe for ps, pe in pers if ps == e + 1), None)
            if nxt:
                end = nxt
            else:
                for cue in _PERSON_CUES:
                    i = text.find(cue, e + 2, end)
                    if i > 0:
                        end = i
            e = end
        while s > 1 and text[s - 1] in _DOT:
            prev = next((ps for ps, pe in pers if pe == s - 1 and pe - ps >= 2), None)
            if prev is None:
                m = re.search(rf"[{HAN}]{{2,6}}$", text[max(0, s - 7):s - 1])
                if not m:
                    break
                prev = s - 1 - len(m.group(0))
                # a title or place before the name is not part of it
                while prev < s - 3 and title_ends_at(text, prev) is False:
                    prev += 1
            s = prev
        name = text[s:e]
        if any(d in name for d in _DOT) and all(len(p) >= 2 for p in re.split(f"[{_DOT}]", name)):
            out.append((s, e))
    return out


def title_ends_at(text: str, pos: int) -> bool:
    return _title_before(text, pos) or text[pos - 1:pos] in "，,、。 \n"


def _person_like(art: Article, s: int, e: int) -> bool:
    """Some mention of the name is marked as a person: a title before it or a cue after it."""
    text = art.text
    after = text[e:e + 6]
    h = HONORIFIC_BEFORE.search(text, max(0, s - 6), s)
    if h:
        s = h.start()     # Dr. John Smith: the title stands before the honorific
    if any(after.startswith(c) for c in _PERSON_CUES) or title_ends_at(text, s) or _is_reporter(text, s):
        return True
    # 刘建国院长、 交通部陈志远次长以及 — a title right after the name, not followed by another name
    n = title_len_at(text, e)
    if not n:
        return False
    if text[e + n:e + n + 1] in "，,、。；; " or any(text.startswith(c, e + n) for c in _PERSON_CUES):
        return True
    return not any(ps == e + n for ps, pe, lab in art.ents if lab == "PER") and text[s - 1:s] not in ("", "\n")


def _trimmed(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e


def find_persons(art: Article) -> dict[str, Person]:
    text = art.text
    candidates: list[tuple[int, int]] = _foreign_names(art)
    org_texts = [text[s:e] for s, e, lab in art.ents if lab == "ORG"]
    per_count: dict[str, int] = {}
    for s, e, label in art.ents:
        if label == "PER":
            per_count[text[s:e]] = per_count.get(text[s:e], 0) + 1
    for s, e, label in art.ents:
        if label == "PER":
            if e - s >= 3 and text[e - 1] in _GLUED:
                e -= 1          # 王强致(欢迎辞): a verb glued to the name
            s, e = repair_span(art, s, e)
            name = text[s:e].strip()
            if not valid_name(name) or any(o.startswith(name) and o != name for o in org_texts):
                continue
            if org_texts.count(name) >= per_count.get(name, 1):
                continue   # the NER calls it an organization at least as often
            candidates.append((s, e))
    candidates += recovered_names(art) + latin_names(art)
    # no blank at either end: blanked furniture or spam before a name is not part of it
    candidates = [t for t in (_trimmed(text, s, e) for s, e in candidates) if t[0] < t[1]]
    # a dotted foreign name wins over its pieces
    spans = sorted(set(candidates), key=lambda x: (x[0], -(x[1] - x[0])))
    kept: list[tuple[int, int]] = []
    for s, e in spans:
        if kept and s < kept[-1][1]:
            continue
        kept.append((s, e))
    candidates = kept

    persons: dict[str, Person] = {}
    for s, e in sorted(candidates):
        if text[s:e] in _NOT_NAMES:
            continue
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
    # the last part of a foreign name used alone later (…彼得罗夫代表…), even where the NER missed it
    for p in persons.values():
        tail = re.split(f"[{_DOT}]", p.key)[-1]
        if tail != p.key and len(tail) >= 2 and text.replace(p.key, "").find(tail) >= 0:
            p.aliases.add(tail)
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
    # a name the text never treats as a person (no title, no speech verb) is dropped
    return {k: p for k, p in persons.items()
            if p.mentions and any(_person_like(art, m.start, m.end) for m in p.mentions)}
