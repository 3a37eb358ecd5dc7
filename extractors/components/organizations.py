"""Organizations: NER names that end like an organization, the organizations
of title chains, and the abbreviations an article introduces itself
(江南市交通运输委员会 … 市交委; 西川大学东湖医院 … 东湖医院)."""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from extractors.article import Article
from extractors.lexicon import by_length, table, words
from extractors.matching import chars_in_order

_EVENTISH = re.compile(r"(论坛|大会|峰会|会议|仪式|典礼|博览会|发布会|研讨会|颁奖)")
_BAD = re.compile(r"[\d\s“”\"《》:：]|^[的在与和]")


_GENERIC_HEAD = re.compile(r"^(产业|相关|有关|各|该|本|这些|其他|多家|一家|我|贵)")


def org_like_name(name: str) -> bool:
    if len(name) < 2 or _BAD.search(name) or _EVENTISH.search(name):
        return False
    suffixes = words("org_suffixes")
    if name in suffixes or name in words("generic_orgs"):
        return False          # 杂志社, 集团: a kind of organization, not one
    if _GENERIC_HEAD.match(name) and name[2:] in suffixes | {name[1:]}:
        return False          # 产业集团, 该公司
    return name.endswith(_suffix_tuple())


@lru_cache(maxsize=1)
def _suffix_tuple() -> tuple[str, ...]:
    return tuple(words("org_suffixes"))   # str.endswith takes a tuple: one call, not one per suffix


def _extend(art: Article, e: int) -> int:
    """中国研究型医院|学会: the NER stopped before a word that ends organization names."""
    text = art.text
    m = re.match(r"[)）]([\u4e00-\u9fff]{0,4}?(总公司|有限公司|公司|集团))?", text[e:e + 8])
    if m and "(" in text[max(0, e - 12):e] + "（":
        e += len(m.group(0))        # 东华电气(集团)总公司
    i = art.word_index(e)
    if i < len(art.words) and art.words[i].start == e:
        w = art.words[i]
        # (学会 is tagged a verb, "to learn", as often as not)
        if w.text in words("org_suffixes") and len(w.text) >= 2 and w.tag in ("n", "nz", "ORG", "v", "vn"):
            return w.end
    return e


@lru_cache(maxsize=2)
def _noise(where: str) -> tuple[str, ...]:
    """org_noise entries of one kind ("prefix" or "suffix"), in file order."""
    return tuple(w for w, kind in table("org_noise").items() if kind == where)


def _trim_end(art: Article, s: int, e: int) -> int:
    """东华医疗党委 / 南山医学院院(校长): the NER took the start of a title into the name."""
    from extractors.components.title_chain import title_len_at

    text = art.text
    for w in _noise("suffix"):
        if text.endswith(w, s, e) and e - len(w) - s >= 2:
            e -= len(w)
    for k in (3, 2):   # 县人大常委, 规划会主委: a whole title at the end
        if e - k - s >= 2 and title_len_at(text, e - k) == k:
            return e - k
    for k in (1, 2):
        if e - k > s + 2 and title_len_at(text, e - k) > k:
            return e - k
    for p in by_length("title_prefixes"):
        if len(p) >= 2 and text.endswith(p, s, e) and e - len(p) > s + 2:
            return e - len(p)
    return e


def ner_orgs(art: Article) -> Counter:
    """ORG entities that look like organization names, with their counts."""
    counts: Counter = Counter()
    raw: Counter = Counter()
    person_chars = {i for p in art.persons.values() for m in p.mentions for i in range(m.start, m.end)}
    for s, e, label in art.ents:
        if label != "ORG":
            continue
        e = _trim_end(art, s, _extend(art, e))
        for w in _noise("prefix"):
            if art.text.startswith(w, s) and e - s - len(w) >= 2:
                s += len(w)
        name = art.text[s:e].strip()
        raw[name] += 1
        if raw[name] == 2 and len(name) >= 3 and not _BAD.search(name) and not _EVENTISH.search(name) \
                and not person_chars.intersection(range(s, e)):
            counts[name] += 2     # named as an organization twice: trust the NER without a suffix
        if name.startswith(("原", "前")):
            name = name[1:]
        if person_chars.intersection(range(s, e)):
            continue
        if org_like_name(name) and len(name) >= 3:
            counts[name] += 1
    return counts


_LEGAL = re.compile(r"(股份有限公司|有限责任公司|有限公司|总公司)$")


def _core(name: str) -> str:
    """北京东升投资(集团)有限公司 → 北京东升投资集团: brackets opened, legal form dropped."""
    return _LEGAL.sub("", re.sub(r"[()（）]", "", name)) or name


def is_abbreviation(short: str, long: str) -> bool:
    """`short` abbreviates `long`: 市交委/江南市交通运输委员会, 东湖医院/西川大学东湖医院,
    中国科普会/中国科学普及委员会, 成大/国立成功大学, 东升集团/北京东升投资(集团)有限公司."""
    if len(short) >= len(long) or len(short) < 2:
        return False
    if long.endswith(short) and len(short) >= 4:
        return True
    core = _core(long)
    if core.startswith(short) and core[len(short):] in ("集团", "公司", "控股", "集团公司", "股份"):
        return True    # 东华电气 / 东华电气(集团)总公司
    if long.startswith(short):
        return False   # a longer name that goes on is another (or a misread) organization
    if re.sub(r"[(（][^()（）]*[)）]", "", long) == short:
        return True    # 示范特别行政区(示范特区)政府卫生局 without its bracket
    if core != long and len(short) >= 4 and short[-2:] == core[-2:] and chars_in_order(short, core) and short[:2] in core:
        return True
    head = re.sub(r"^(国立|省立|市立|私立)", "", long)
    starts_alike = short[0] == head[0] or (short[0] in "市省区县" and short[0] in long[:5])
    if not chars_in_order(short, long) or not starts_alike:
        return False   # 水利部 is no short form of 某国水利发展与建设部
    last = short[-1]
    if 3 <= len(short) <= 4 and (long.endswith(last) or long.endswith(last + "员会") or long.endswith(last + "会")):
        return True   # (two characters — 县委 — are an organization of their own)
    if last == "大" and long.endswith("大学") and len(short) <= 3:
        return True
    # a five-character short form only for committees, bureaus and banks (科普会, 江南卫生局, 江南农商行):
    # "东方科学院" fits into a longer institute's name without abbreviating it
    return len(short) <= 6 and last in "会委局行" and (long.endswith(last) or long.endswith("委员会"))


_LOCAL = re.compile(r"^(市|省|区|县)(委|政府|人民政府|人大常委会|人大|政协|侨联|工商联|科协|妇联|总工会|纪委|[\u4e00-\u9fff]{1,4}(局|厅|委|办))$")
_PLACE = re.compile(r"^([\u4e00-\u9fff]{2,3}?(市|省|区|县))")


def place_of_level(art: Article, level: str) -> str:
    """The place of that level the article is about (江南市, 东湖区): the most named one."""
    counts: Counter = Counter()
    for s, e, lab in art.ents:
        if lab in ("LOC", "ORG"):
            m = _PLACE.match(art.text[s:e])
            if m and m.group(2) == level and not m.group(1).startswith(("全国", "中国")):
                counts[m.group(1)] += 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else ""


def qualify_local(art: Article, name: str) -> str:
    """县委 → 江南县委, 省妇联 → 西川省妇联: a local body named without its place gets it."""
    m = _LOCAL.match(name)
    if not m:
        return name
    place = place_of_level(art, m.group(1))
    return place + name[1:] if place else name


def main_org(art: Article, counts: Counter) -> str:
    if not counts:
        return ""
    return max(sorted(counts), key=lambda k: counts[k])


def collect_orgs(art: Article) -> dict[str, set[str]]:
    """Folded organization name -> aliases, with abbreviations folded into their long forms."""
    counts = ner_orgs(art)
    for r in art.roles:
        counts[r.org] += 1
    names = sorted(counts, key=lambda n: (-len(n), n))
    canonical: dict[str, str] = {}
    chars = {n: set(n) for n in names}
    for short in sorted(counts, key=len):
        for long in names:
            if len(long) <= len(short):
                break          # longest first: no longer name is left
            # every short form keeps its characters (in order): most pairs end here, cheaply
            if chars[short] <= chars[long] and is_abbreviation(short, long):
                canonical[short] = long
                break
    for name in counts:
        if name not in canonical:
            local = qualify_local(art, name)
            if local != name:
                canonical[name] = local
    def final(name: str) -> str:
        seen = {name}
        while name in canonical and canonical[name] not in seen:
            name = canonical[name]
            seen.add(name)
        return name

    out: dict[str, set[str]] = {}
    for name in counts:
        target = final(name)
        out.setdefault(target, set())
        if target != name:
            out[target].add(name)
    for r in art.roles:
        r.org = final(r.org)
    return out


def prune_event_words(art: Article) -> None:
    """Drop organizations named only inside event names before a title (世界大学|校长论坛)."""
    from extractors.components.title_chain import title_len_at

    spans = [(s, e) for ev in art.events.values() for s, e in ev.mentions]
    in_roles = {r.org for r in art.roles}
    for name in list(art.orgs):
        if name in in_roles or any(name in ev.organizers for ev in art.events.values()):
            continue
        hits = [m.start() for m in re.finditer(re.escape(name), art.text)]
        # 世界大学|校长论坛: the name qualifies a title inside the event's name, it is no party to it
        if hits and all(any(s <= h < e for s, e in spans) and title_len_at(art.text, h + len(name))
                        for h in hits):
            del art.orgs[name]
