"""Title chains: "中国工程学会会士、东海大学未来学院教授、国家海洋成像中心主任周明远".

The words before a name, back to the previous name or clause boundary, are a
chain of links separated by 、，兼; each link is ORG TITLE [ORG TITLE…]. A link
without an organization takes the one before it in the chain (副总经理、党组成员
share one), a chain that opens without one takes the previous chain's
organization in the same enumeration, and a bare generic word (集团, 公司)
stands for the organization the article is about. A title right after the name
(…中心主任刘建国院长, 医学院林志明教授) belongs to the last organization.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from extractors.article import Article, Person, Role
from extractors.lexicon import table, words

LINK_SEP = re.compile(r"[、，,]|兼")
# word tags that can be part of a chain (organizations and titles)
CHAIN_TAGS = {"ORG", "LOC", "n", "nz", "nw", "vn", "an", "ad", "s", "f", "a", "m", "q", "j", "w", "PER", "v"}
# verbs that end a chain (the NER tags parts of names as verbs too: 恒元资本, 转化处, 执行副总裁)
CHAIN_STOP_VERBS = {"表示", "指出", "出席", "主持", "致辞", "参加", "邀请", "包括", "有", "是", "为", "作为", "代表",
                    "举办", "举行", "召开", "认为", "介绍", "说", "强调", "谈到", "分享", "发表", "作", "进行", "围绕",
                    "聚焦", "通过", "见证", "率", "陪同", "会见", "看望", "考察", "调研", "参观", "获", "荣获", "颁发"}
CHAIN_PUNCT = set("、，,()（）·《》“”")
STOP_WORDS = {"以及", "暨", "等", "的", "在", "由", "为", "是", "代表", "邀请", "包括", "有", "向",
              "对", "从", "将", "并", "也", "还", "上", "中", "下", "时", "后", "前", "会上", "期间"}
DEPARTMENT = re.compile(r"(部|处|科|室|司|系|办公室|办|所|组)$")
INSTITUTION = re.compile(r"(大学|学院|医院|集团|公司|协会|学会|委员会|政府|研究院|研究所|科学院|工程院|中心|银行|基金会|联合会|商会|实验室|局|厅|委|署)$")
ORG_END_CHARS = set("委会部院局厅办署司处所校")
JOINERS = {"与", "及", "和", "兼"}
HONORIFIC_ONLY = {"院士", "教授", "博士", "专家", "学者", "研究员"}


@lru_cache(maxsize=1)
def _titles() -> tuple[frozenset[str], dict[str, tuple[int, ...]], dict[str, tuple[str, ...]]]:
    """Titles; title lengths by first character (longest first); prefixes by first character
    (longest first). Indexed by first character because title_len_at runs at every position."""
    titles = words("titles")
    lengths: dict[str, set[int]] = {}
    for t in titles:
        lengths.setdefault(t[0], set()).add(len(t))
    prefixes: dict[str, list[str]] = {}
    for p in sorted(words("title_prefixes"), key=len, reverse=True):
        prefixes.setdefault(p[0], []).append(p)
    return (titles, {c: tuple(sorted(n, reverse=True)) for c, n in lengths.items()},
            {c: tuple(ps) for c, ps in prefixes.items()})


def title_len_at(s: str, i: int) -> int:
    """Length of the longest title (with prefixes such as 党委, 原) starting at s[i], or 0."""
    if i >= len(s):
        return 0
    titles, lengths, prefixes = _titles()
    c = s[i]
    best = 0
    for k in lengths.get(c, ()):
        if k >= 2 and i + k <= len(s) and s[i:i + k] in titles:
            best = k
            break
    for p in prefixes.get(c, ()):
        if s.startswith(p, i):
            rest = title_len_at(s, i + len(p))
            if rest:
                best = max(best, len(p) + rest)
    return best


def title_suffix(s: str) -> str:
    """The longest title that `s` ends with, or ""."""
    for i in range(len(s)):
        n = title_len_at(s, i)
        if n and i + n == len(s):
            return s[i:]
    return ""


@dataclass
class Link:
    org: str
    title: str
    start: int
    end: int


def _org_like(art: Article, org: str, start: int, end: int) -> bool:
    if len(org) < 2:
        return False
    # covered by the NER's organization and place names (东华电气|康宁医疗)
    covered = set()
    for s, e, lab in art.ents:
        if lab in ("ORG", "LOC") and e > start and s < end:
            covered.update(range(max(s, start), min(e, end)))
    if len(covered) >= len(org) - 1:
        return True
    suffixes = words("org_suffixes")
    return any(org.endswith(x) for x in suffixes) or org in art.orgs


def _trim_org(art: Article, start: int, end: int) -> tuple[int, int]:
    """Drop leading words that are not part of an organization name (主办方, 著名, 原…)."""
    text = art.text
    while start < end:
        if text[start] in "原前、，, " and start + 1 < end:
            start += 1
            continue
        noise = next((n for n, where in table("org_noise").items() if where == "prefix" and text.startswith(n, start)),
                     None)
        if noise:
            start += len(noise)
            continue
        i = art.word_index(start)
        w = art.words[i] if art.words else None
        if w is not None and w.start == start and w.end < end and w.tag in ("r", "d", "p", "c", "u", "ad", "vd", "w"):
            start = w.end
            continue
        break
    return start, end


def parse_link(art: Article, start: int, end: int) -> list[Link]:
    """ORG TITLE [ORG TITLE…] inside one link of a chain."""
    text = art.text
    s = text[start:end]
    out: list[Link] = []
    org_start = 0
    i = 0
    while i < len(s):
        n = title_len_at(s, i)
        # 江南市委书记: the NER's word runs across the organization's last character
        at_boundary = art.is_boundary(start + i) or n >= 3 or (i > 0 and s[i - 1] in ORG_END_CHARS)
        ends_ok = i + n == len(s) or art.is_boundary(start + i + n) or title_len_at(s, i + n) > 0
        if n and at_boundary and not ends_ok:
            m = re.match(r"[(（][^()（）]{1,8}[)）]", s[i + n:])
            if m:                       # 助理署长(中医药): the bracket belongs to the title
                n += m.end()
                ends_ok = True
        if n and at_boundary and ends_ok:
            raw = s[org_start:i]
            lead = len(raw) - len(raw.lstrip())   # offsets of the stripped name, not of the spaces
            out.append(Link(raw.strip(), s[i:i + n], start + org_start + lead, start + i + n))
            i += n
            org_start = i
        else:
            i += 1
    if org_start < len(s) and s[org_start:].strip():
        raw = s[org_start:]
        lead = len(raw) - len(raw.lstrip())
        out.append(Link(raw.strip(), "", start + org_start + lead, end))
    return out


def title_ending_at(text: str, pos: int, floor: int = 0) -> int:
    """Start of the longest title that ends exactly at `pos` (pos when none)."""
    for k in range(min(8, pos - floor), 1, -1):
        if title_len_at(text, pos - k) == k:
            return pos - k
    return pos


def chain_start(art: Article, pos: int, floor: int) -> int:
    """Walk back over chain words from `pos` to where the chain begins."""
    text = art.text
    # a title right before the name is one unit however the NER split it (公使/衔/参赞, 前/所/长)
    pos = title_ending_at(text, pos, floor)
    i = art.word_index(pos - 1) if pos > 0 else 0
    start = pos
    while i >= 0:
        w = art.words[i]
        if w.end > pos:
            i -= 1
            continue
        if w.start < floor:
            break
        if w.text in STOP_WORDS or (w.tag == "v" and w.text not in JOINERS
                                    and (w.text in CHAIN_STOP_VERBS or len(w.text) == 1)):
            break
        if w.tag == "w" and not set(w.text) <= CHAIN_PUNCT:
            break
        if w.tag not in CHAIN_TAGS and w.text not in JOINERS and title_len_at(w.text, 0) != len(w.text) \
                and not _glued_title(text, w):
            break
        start = w.start
        i -= 1
    return start


def _glued_title(text: str, w) -> bool:
    # LAC sometimes tags a title as a verb (主持) or splits it oddly; accept words that end a title
    return bool(title_suffix(w.text))


def _balanced(org: str) -> str:
    """Strip brackets that do not pair up inside the name."""
    while org and org[-1] in ")）" and org.count("(") + org.count("（") < org.count(")") + org.count("）"):
        org = org[:-1]
    while org and org[0] in "(（" and org.count("(") + org.count("（") > org.count(")") + org.count("）"):
        org = org[1:]
    return org.strip()


def _department(art: Article, org: str) -> bool:
    """国际合作部, 放射科: a unit of the organization before it, not an organization of its own."""
    # short ministries (外交部, 水利部) stand alone; longer units belong to the organization before
    if len(org) == 4 and org.endswith("中心"):
        return True                   # 投资中心总经理: a unit, named by what it does
    return bool(DEPARTMENT.search(org)) and not INSTITUTION.search(org) and 3 < len(org) <= 8


GOVERNMENT_TITLES = re.compile(r"^(常务)?(副)?(省|市|区|县|州)长$")
PARTY_COMMITTEE = re.compile(r"^(.*?(省|市|区|县|州))委$")


def government_for(art: Article, title: str, org: str) -> str:
    """县委副书记、县长: a mayor's title belongs to the government, not the party committee."""
    m = PARTY_COMMITTEE.match(org)
    if m and GOVERNMENT_TITLES.match(title):
        return m.group(1) + "人民政府"
    return org


def split_joined(art: Article, org: str) -> str:
    """医生和海事署: keep the organization after a joiner when the part before is none."""
    pos = art.text.find(org)
    if pos < 0:
        return org
    for k, ch in enumerate(org):
        if ch not in "和与及" or k == 0:
            continue
        i = art.word_index(pos + k)
        w = art.words[i] if art.words else None
        if not w or w.start != pos + k or w.end != pos + k + 1 or w.tag not in ("c", "p"):
            continue   # 共和国, 住房和城乡建设部: the character is inside a word
        before_words = [x for x in art.words[art.word_index(pos):i] if x.start >= pos]
        after = org[k + 1:]
        after_is_name = any(es == pos + k + 1 and ee == pos + len(org) and lab == "ORG" for es, ee, lab in art.ents)
        if before_words and all(x.tag in ("n", "nr", "vn", "a") for x in before_words) and after_is_name:
            return after
    return org


def resolve_generic(art: Article, org: str) -> str:
    """集团 / 公司 / 我校 … → the organization the article is about."""
    generic = words("generic_orgs")
    if org not in generic:
        return org
    tail = org.lstrip("该本我")[-2:] if org not in ("我校", "本校", "该校") else "学"
    counts = Counter(art.text[s:e] for s, e, lab in art.ents if lab == "ORG" and art.text[s:e].endswith(tail[-2:]))
    counts.update({k: 2 for k in art.orgs if k.endswith(tail)})
    if org in ("我校", "本校", "该校", "学校", "该大学", "本大学"):
        counts = Counter({k: v for k, v in counts.items() if k.endswith(("大学", "学院"))})
    counts.pop(org, None)
    if counts:
        return max(sorted(counts), key=lambda k: counts[k])
    return art.main_org or org


def roles_for(art: Article, person: Person, mention_start: int, mention_end: int, floor: int,
              inherited_org: str) -> tuple[list[Role], str]:
    """Roles from the chain before one mention (and a title right after it)."""
    text = art.text
    from extractors.components.persons import HONORIFIC_BEFORE

    h = HONORIFIC_BEFORE.search(text, max(floor, mention_start - 6), mention_start)
    if h:
        mention_start = h.start()     # 校长Dr. John Smith
    cstart = chain_start(art, mention_start, floor)
    raw_links: list[tuple[int, int]] = []
    pos = cstart
    for m in LINK_SEP.finditer(text, cstart, mention_start):
        raw_links.append((pos, m.start()))
        pos = m.end()
    raw_links.append((pos, mention_start))
    links: list[Link] = []
    for s, e in raw_links:
        if e > s:
            links.extend(parse_link(art, s, e))
    # leading pieces without a title are not part of this person's chain
    while links and not links[0].title and len(links) > 1:
        links.pop(0)
    roles: list[Role] = []
    current = ""
    first_org = ""
    last_ok = True      # the last link's organization was read (a title after the name joins it)
    for k, link in enumerate(links):
        org = link.org
        if org:
            o_s, o_e = _trim_org(art, link.start, link.start + len(org))
            org = _balanced(re.sub(r"[《》“”\"「」]", "", text[o_s:o_e]).strip())
            if org.startswith(("原", "前")) and link.title:
                link.title = org[0] + link.title
                org = org[1:]
        title = link.title
        if org and title and current and title not in HONORIFIC_ONLY and _department(art, org):
            title, org = org + title, current          # 国际合作部部长 of the organization before
        had_org = bool(org)
        if org:
            org = resolve_generic(art, split_joined(art, org))
            if not _org_like(art, org, link.start, link.end):
                org = ""
        last_ok = bool(org) or not had_org
        if not org and title and not had_org:
            org = current or (inherited_org if k == 0 else "")
        if org and title:
            org = government_for(art, title, org)
            roles.append(Role(person.key, title, org, link.start, link.end))
            current = org
            first_org = first_org or org
        elif org and not title:
            current = org
    # a title right after the name: 刘建国院长, 林志明教授
    after = title_len_at(text, mention_end)
    if after and current and last_ok:
        title = text[mention_end:mention_end + after]
        if title not in ("院士",) and not any(r.title == title and r.org == current for r in roles):
            roles.append(Role(person.key, title, current, mention_end, mention_end + after))
    return roles, (first_org or inherited_org)


def find_roles(art: Article) -> list[Role]:
    """Roles of every person from every mention's chain, without repeats."""
    mentions = sorted((m for p in art.persons.values() for m in p.mentions), key=lambda m: m.start)
    roles: list[Role] = []
    seen: set[tuple[str, str, str]] = set()
    prev_end_in_sentence = 0
    inherited = ""
    prev_sentence = None
    prev_roles: list[Role] = []
    for m in mentions:
        sent = art.sentence_of(m.start)
        if sent != prev_sentence:
            prev_end_in_sentence, inherited, prev_roles = sent[0], "", []
            prev_sentence = sent
        person = art.persons[m.key]
        found, first_org = roles_for(art, person, m.start, m.end, prev_end_in_sentence, inherited)
        # 中国工程学会会士周立群、陈海峰、林国栋: an honorific title runs over an enumeration of bare names
        if not found and art.text[prev_end_in_sentence - 1:prev_end_in_sentence] != "" and prev_roles \
                and art.text[prev_end_in_sentence:m.start] in ("、",):
            found = [Role(person.key, r.title, r.org, r.start, r.end) for r in prev_roles if r.title in HONORIFIC_ONLY]
        for r in found:
            k = (r.person, r.title, r.org)
            if k not in seen:
                seen.add(k)
                roles.append(r)
        if found:
            inherited = first_org
            prev_roles = found
        # a title right after the name (周立群院士) belongs to it, not to the next chain
        prev_end_in_sentence = m.end + title_len_at(art.text, m.end)
    return roles
