"""Events: names, the main event, sub-events, dates and places.

An event name is a run of words ending in an event word (论坛, 大会, 仪式…),
extended to the left over name-like words and stopped by verbs such as 举办,
particles and punctuation; a quoted name (“…大会”) is taken whole. Names that
one contains the other are one event (数字创新论坛 / 2031示范健康大会数字
创新论坛). A name holding a conference word before its end
(2031示范健康大会数字创新论坛) also names its parent conference. The main
event is the one the headline and the opening sentence are about; ceremonies
and side activities (揭牌仪式, 专场) sit inside the event of their section.
"""
from __future__ import annotations

import re
from functools import lru_cache

from extractors.article import Article, Event
from extractors.lexicon import table
from extractors.matching import chars_in_order

NAME_TAGS = {"n", "nz", "nw", "vn", "an", "ORG", "LOC", "m", "a", "j", "q", "f", "s", "v", "TIME", "PER"}
STOP_VERBS = {"举办", "举行", "召开", "出席", "参加", "主持", "开幕", "闭幕", "开展", "进行", "启动", "见证", "成功",
              "隆重", "圆满", "落幕", "亮相", "表示", "指出", "致辞", "发表", "作", "是", "有", "为", "成为",
              "参与", "组织", "主办", "承办", "协办", "邀请", "围绕", "聚焦", "设有", "设", "还", "了", "迎来", "走进",
              "来到", "前往", "回顾", "会见", "获得", "荣获", "向", "在", "于", "由", "将", "已", "等", "共同",
              "作为", "分为", "要求", "抓住", "包括", "参观", "考察", "期待", "希望", "认为", "推动", "助力", "打造",
              "宣布", "出席会议", "主持会议", "今年", "本届", "今天", "当天", "上午", "下午", "晚上"}
VENUE_AFTER = ("中心", "室", "厅", "馆", "场", "楼")
GENERIC_EVENT_WORDS = {"会议", "对话", "大会", "论坛", "活动月"}
INNER_JOIN = {"与", "和", "及", "暨", "·", "-", "—"}
DEMONSTRATIVE = ("本次", "此次", "这次", "该", "今年", "更多", "开放", "本届", "此届", "上届", "下届", "今年的", "本", "此", "各", "每", "全体",
                 "系列", "会前", "相关", "上述", "这场", "那场", "一场", "多场")
PAST = ("去年", "前年", "上届", "往届", "历届", "上一届", "此前", "以往")   # an earlier event, not this one
THIS = ("本次", "此次", "本届", "这次", "这届", "该")                       # the event the article is about
PARENT_WORDS = ("大会", "博览会", "峰会", "年会")
_QUOTES = re.compile(r"[“”\"《》「」『』]")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年?")
_MONTH_DAY = re.compile(r"(?:((?:19|20)\d{2})年)?(\d{1,2})月(\d{1,2})日")
_ISO = re.compile(r"((?:19|20)\d{2})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_PLACE = re.compile(r"在([\u4e00-\u9fff()（）·A-Za-z0-9]{2,24}?)(?:隆重|成功|盛大|顺利)?(?:举办|举行|召开|开幕|拉开帷幕)")
_ORGANIZERS = re.compile(r"由([^。；;]{2,80}?)(?:共同|联合)?(?:主办|举办|承办)")


@lru_cache(maxsize=1)
def event_words() -> tuple[tuple[str, bool], ...]:
    t = table("event_words")
    return tuple(sorted(((w, v == "minor") for w, v in t.items()), key=lambda x: -len(x[0])))


@lru_cache(maxsize=1)
def _event_word_index() -> tuple[dict[str, bool], tuple[int, ...]]:
    table_ = dict(event_words())
    return table_, tuple(sorted({len(w) for w in table_}, reverse=True))


def _event_word_at_end(s: str) -> tuple[str, bool] | None:
    """The longest event word `s` ends with, and whether it marks a minor event."""
    words_, lengths = _event_word_index()
    for n in lengths:
        tail = s[-n:]
        if len(tail) == n and tail in words_:
            return tail, words_[tail]
    return None


def _clean_name(name: str) -> str:
    name = name.strip(" 、,，:：“”\"《》「」()（）")
    for d in DEMONSTRATIVE:
        if name.startswith(d) and len(name) > len(d) + 2:
            name = name[len(d):]
    return name


def _valid(name: str, heading: bool = False) -> bool:
    hit = _event_word_at_end(name)
    if not hit:
        return False
    word = hit[0]
    head = name[: -len(word)]
    if len(head) < 2 or name.startswith(DEMONSTRATIVE) or name.startswith(PAST):
        return False
    if word in GENERIC_EVENT_WORDS and len(re.sub(r"[^\u4e00-\u9fffA-Za-z]", "", head)) < (2 if heading else 4):
        return False   # 高峰对话, 江湾区会议: too little to name an event
    if re.fullmatch(r"[\d年月日第届一二三四五六七八九十首]+", head):
        return False
    return bool(re.search(r"[\u4e00-\u9fffA-Za-z]{2,}", head))


def candidate_names(art: Article) -> list[tuple[int, int]]:
    """(start, end) of event names in the text."""
    text = art.text
    out: list[tuple[int, int]] = []
    # quoted names
    for m in re.finditer(r"[“\"《「]([^“”\"《》「」\n]{3,60})[”\"》」]", text):
        if _event_word_at_end(m.group(1)):
            out.append(m.span(1))
    ends = set()
    for idx, w in enumerate(art.words):
        hit = _event_word_at_end(w.text)
        if not hit or w.end in ends:
            continue
        # the event word must end the name: not followed by more name words (年会分论坛 ends at 分论坛)
        j = idx
        while j + 1 < len(art.words) and _event_word_at_end(art.words[j + 1].text) and art.words[j + 1].start == art.words[j].end:
            j += 1
        if j != idx:
            continue
        if idx + 1 < len(art.words) and art.words[idx + 1].text in ("暨",) and art.words[idx + 1].start == w.end:
            continue   # 大会暨发布会: the name goes on
        if text.startswith(VENUE_AFTER, w.end):
            continue   # 会议中心, 论坛会场: a venue
        # a verb glued to the event word (出席会议) starts no name
        hit_word = hit[0]
        if w.text != hit_word and w.text[: -len(hit_word)] in STOP_VERBS:
            continue
        start = w.start
        k = idx - 1
        if k >= 0 and art.words[k].text in ("」", "”", "》", "\"") and art.words[k].end == start:
            # 「智慧医疗新未来」论坛: the quoted words are the name
            q = text.rfind({"」": "「", "”": "“", "》": "《", "\"": "\""}[art.words[k].text], 0, art.words[k].start)
            if q >= 0 and art.words[k].start - q <= 40 and "\n" not in text[q:start]:
                name = text[q + 1:art.words[k].start] + text[w.start:w.end]
                if _valid(name):
                    out.append((q + 1, w.end))
                    ends.add(w.end)
            continue
        while k >= 0:
            p = art.words[k]
            if p.end != start or p.text in STOP_VERBS or "\n" in p.text:
                break
            if p.text in INNER_JOIN:
                # joins only two name parts: 与/和/暨 inside, never at the left edge
                if k - 1 >= 0 and art.words[k - 1].tag in NAME_TAGS and art.words[k - 1].text not in STOP_VERBS:
                    start = p.start
                    k -= 1
                    continue
                break
            if p.tag not in NAME_TAGS or (p.tag == "w"):
                break
            if p.tag == "v" and len(p.text) == 1:
                break
            start = p.start
            k -= 1
        # strip leading particles left by the walk
        while start < w.end and text[start] in "与和及暨·-—、":
            start += 1
        name = _clean_name(text[start:w.end])
        ls, le = art.line_of(w.start)
        if _valid(name, heading=text[ls:le].strip() == name):   # a heading line may be short: 产业论坛
            s = text.find(name, start, w.end + 1)
            out.append((s, s + len(name)))
            ends.add(w.end)
    return sorted(set(out))


def _same(a: str, b: str) -> bool:
    """Two names of one event: a shorter form at the end (数字创新论坛), one part of a 暨 name,
    or a competition and its award meeting (摄影大赛 / 摄影大赛表彰大会)."""
    short, long_ = sorted((a, b), key=len)
    hit = _event_word_at_end(short)
    if len(short) < 4 or hit is None:
        return False
    if long_.endswith(short) or any(part.endswith(short) for part in long_.split("暨")):
        return True
    if long_.endswith(hit[0]) and len(short) - len(hit[0]) >= 3 and chars_in_order(short, long_):
        return True   # a headline's short form: 中医药发展大会 / 第六届…中医药传承创新发展大会
    return long_.startswith(short) and hit[0] not in PARENT_WORDS and _event_word_at_end(long_) is not None


def _enumerated(text: str, a: tuple[int, int], b: tuple[int, int], events: dict[str, Event]) -> bool:
    """Two event mentions next to each other in a list (only 、 or other event names between)."""
    (s1, e1), (s2, e2) = sorted((a, b))
    between = text[e1:s2]
    if len(between) > 40:
        return False
    for ev in events.values():
        for s, e in ev.mentions:
            if e1 <= s and e <= s2:
                between = between.replace(text[s:e], "")
    return between.strip() in ("、", "，", ",", "和", "及", "与")


def _split_parent(name: str) -> str | None:
    """2031示范健康大会数字创新论坛 → 2031示范健康大会."""
    if "暨" in name:
        return None
    for w in PARENT_WORDS:
        i = name.find(w)
        if 0 < i and i + len(w) < len(name) - 1:
            parent = name[: i + len(w)]
            rest = name[i + len(w):]
            if _valid(parent) and _event_word_at_end(rest) and len(rest) >= 4 and not rest.startswith(("暨", "和", "与")):
                return parent
    return None


def _date_near(art: Article, pos: int, year_hint: str) -> str:
    sent = art.sentence_of(pos)
    window = art.text[max(0, sent[0] - 200): sent[1]]
    for m in _ISO.finditer(window):
        return f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    for m in _MONTH_DAY.finditer(window):
        year = m.group(1) or year_hint
        if year:
            return f"{year}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return ""


def _doc_year(art: Article) -> str:
    for src in (art.date, art.title, art.original[:300]):
        m = _YEAR.search(src or "")
        if m:
            return m.group(1)
    return ""


def find_events(art: Article) -> dict[str, Event]:
    text = art.text
    spans = candidate_names(art)
    minor_words = {w for w, minor in event_words() if minor}
    events: dict[str, Event] = {}
    names: dict[str, str] = {}              # event name -> event id
    for s, e in spans:
        name = text[s:e]
        eid = names.get(name)
        if eid is None:
            for other, oid in list(names.items()):
                if _same(name, other):
                    eid = oid
                    break
        if eid is None:
            eid = f"E{len(events) + 1}"
            hit = _event_word_at_end(name)
            events[eid] = Event(eid, name, minor=bool(hit and hit[0] in minor_words))
        names[name] = eid
        events[eid].mentions.append((s, e))

    # the display name: the first full form (a longer form that contains it wins)
    for ev in events.values():
        ev.variants = sorted(set(_QUOTES.sub("", text[s:e]) for s, e in ev.mentions), key=lambda v: (-len(v), v))
        name = ev.variants[0]
        plain = [v for v in ev.variants if "暨" not in v]
        if "暨" in name and plain and any(v not in name for v in plain):
            name = plain[0]     # 数字创新论坛暨…专场 names a session; the forum's own full name is better
        ev.name = name

    # parents named inside a child's name
    for ev in list(events.values()):
        parent = next((p for p in map(_split_parent, ev.variants) if p), None)
        if not parent:
            continue
        pid = next((i for i, x in events.items() if x.name == parent or _same(parent, x.name)), None)
        if pid is None:
            pid = f"E{len(events) + 1}"
            events[pid] = Event(pid, parent, mentions=[ev.mentions[0]])
        if pid != ev.id:
            ev.parent = pid

    # siblings enumerated with a sub-event share its parent: 举办A论坛、B论坛、C大会三个系列会前会
    for ev in list(events.values()):
        if not ev.parent:
            continue
        for s, e in ev.mentions:
            sent = art.sentence_of(s)
            for other in events.values():
                if other.parent or other.id in (ev.id, ev.parent) or other.minor:
                    continue
                for os_, oe in other.mentions:
                    if sent[0] <= os_ < sent[1] and _enumerated(text, (s, e), (os_, oe), events):
                        other.parent = ev.parent

    if not events:
        return events
    # the main event: named in the headline or the opening, or most often
    title = art.title
    first_line = next((text[s:e] for s, e in art.lines if len(text[s:e].strip()) > 30), "")
    for ev in events.values():
        ev.score = len(ev.mentions)
        short = ev.name[-8:]
        if title and (ev.name in title or short in title):
            ev.score += 5
        if ev.name in first_line or short in first_line:
            ev.score += 3
        if re.search(r"(举办|举行|召开|开幕|揭幕)", text[ev.mentions[0][1]: ev.mentions[0][1] + 12]):
            ev.score += 2
        if ev.minor:
            ev.score -= 4
        if ev.parent:
            ev.score += 1
    main = max(sorted(events.values(), key=lambda x: x.mentions[0][0]), key=lambda x: x.score)
    while main.parent and main.parent in events and not events[main.parent].minor:
        main = events[main.parent]   # the conference, not one of its forums, is what the article is about
    # 本次东岳一流大学校长论坛: another name the article gives its own event
    for ev in list(events.values()):
        if ev is main or ev.parent or any(x.parent == ev.id for x in events.values()):
            continue
        if all(text[max(0, s - 3):s].endswith(THIS) for s, _ in ev.mentions):
            main.mentions.extend(ev.mentions)
            main.variants.extend(v for v in ev.variants if v not in main.variants)
            del events[ev.id]
    top = main
    while top.parent and top.parent in events:
        top = events[top.parent]
    # ceremonies and side activities sit inside the event whose section or sentence holds them
    for ev in events.values():
        if ev.parent or ev is top or not ev.minor:
            continue
        holder = section_event(art, events, ev.mentions[0][0], exclude=ev.id) or top.id
        if holder != ev.id:
            ev.parent = holder

    year = _doc_year(art)
    for ev in events.values():
        m = _YEAR.match(ev.name)
        y = m.group(1) if m else year
        ev.date = _date_near(art, ev.mentions[0][0], y) or art.date[:10]
        pm = _PLACE.search(text, ev.mentions[0][0], min(len(text), ev.mentions[0][1] + 60))
        if pm:
            ev.place = pm.group(1)
        om = _ORGANIZERS.search(text, max(0, ev.mentions[0][0] - 80), ev.mentions[0][0])
        if om:
            ev.organizers = [o for o in re.split(r"[、和与及,，]", om.group(1)) if o]
    for ev in events.values():   # sub-events without their own date share their parent's
        if not ev.date and ev.parent and ev.parent in events:
            ev.date = events[ev.parent].date
    art.main_event = main.id
    return events


def section_event(art: Article, events: dict[str, Event], pos: int, exclude: str | None = None) -> str | None:
    """The event whose heading line most recently precedes `pos` (a short line naming it)."""
    best = None
    for ev in events.values():
        if ev.id == exclude:
            continue
        for s, e in ev.mentions:
            if s >= pos:
                continue
            ls, le = art.line_of(s)
            line = art.text[ls:le].strip()
            is_heading = len(line) <= len(ev.name) + 12 and not re.search(r"[。，,；]", line)
            if is_heading and (best is None or s > best[0]):
                best = (s, ev.id)
    return best[1] if best else None
