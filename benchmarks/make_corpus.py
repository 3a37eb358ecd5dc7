"""Generate a scaling corpus from the real seed articles.

    python benchmarks/make_corpus.py N OUTDIR [--seed 0]

Each of the N output articles is one of /work/main/seeds/*.txt (round robin)
with its person, organization and event names replaced by GENERATED names.
The names to replace are found with forumgraph's own extractor, on the folded
(Simplified) text, so the output is folded text too.

Recurrence: persons are drawn from a pool of ~20*sqrt(N) generated names with
Zipf-like weights (a few people appear in many articles, most in few), orgs
from ~10*sqrt(N), events from ~N/3 (the same forum reported more than once).
Everything is deterministic in --seed. No gold/eval names are used.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import random
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CACHE = Path(__file__).resolve().parent / ".corpus" / "seed_names.json"

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉萍红娥玲芬燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹香月莺媛瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽峰建国志明海波宏文斌辉力永健世广义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘")
PLACES = ["北京", "无锡", "佛山", "深圳", "天津", "重庆", "杭州", "南京", "武汉", "成都", "西安", "苏州", "温州", "郑州", "青岛",
          "济南", "合肥", "福州", "厦门", "昆明", "沈阳", "大连", "哈尔滨", "长春", "南昌", "泉州", "南宁", "太原", "石家庄", "兰州",
          "宁波", "无锡", "珠海", "佛山", "东莞", "烟台", "温州", "常州", "徐州", "洛阳", "中国", "华东", "华南", "西部", "东方"]
FIELDS = ["医学", "生物", "科技", "信息", "智能", "能源", "材料", "健康", "制造", "数据", "工程", "农业", "海洋", "航空", "环境",
          "药物", "金融", "交通", "通信", "电子", "光电", "基因", "康复", "影像", "数字", "低空", "量子", "化工", "装备", "创新"]
ORG_SUFFIX = ["研究院", "大学", "学院", "协会", "学会", "集团", "有限公司", "研究所", "实验室", "中心", "医院", "基金会", "联盟", "委员会"]
TOPICS = ["人工智能", "生物医药", "数字经济", "智能制造", "新能源", "医疗器械", "健康产业", "科技创新", "低空经济", "新材料", "脑科学",
          "精准医学", "绿色发展", "产教融合", "智慧城市", "数字医疗", "量子科技", "海洋经济", "集成电路", "创新药", "康养产业"]
EVENT_KIND = ["论坛", "大会", "峰会", "高峰论坛", "发展大会", "创新大会", "学术年会", "博览会"]


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")


def person_pool(size: int, rng: random.Random) -> list[str]:
    out, seen = [], set()
    while len(out) < size:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2, 2))))
        if name not in seen and len(set(name)) == len(name):
            seen.add(name)
            out.append(name)
    return out


def org_pool(size: int, rng: random.Random) -> list[str]:
    out, seen = [], set()
    while len(out) < size:
        name = rng.choice(PLACES) + rng.choice(FIELDS) + rng.choice(FIELDS) + rng.choice(ORG_SUFFIX)
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def event_pool(size: int, rng: random.Random) -> list[str]:
    out, seen = [], set()
    while len(out) < size:
        style = rng.random()
        topic, kind = rng.choice(TOPICS), rng.choice(EVENT_KIND)
        if style < 0.4:
            name = f"{rng.randint(2015, 2026)}{rng.choice(PLACES)}{topic}{kind}"
        elif style < 0.8:
            name = f"第{_cn_number(rng.randint(1, 30))}届{rng.choice(PLACES)}{topic}{kind}"
        else:
            name = f"{rng.choice(PLACES)}{topic}{kind}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def seed_names() -> list[dict]:
    """Folded text and the names forumgraph finds in each seed article (cached by content hash)."""
    files = sorted(SEEDS.glob("*.txt"))
    texts = [p.read_text(encoding="utf-8") for p in files]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()
    if CACHE.is_file():
        cached = json.loads(CACHE.read_text(encoding="utf-8"))
        if cached.get("digest") == digest:
            return cached["seeds"]
    sys.path.insert(0, str(ROOT))
    from extractors.documents import Document
    from extractors.normalize import fold
    from extractors.pipeline import Extractor

    ex = Extractor()
    seeds = []
    for p, text in zip(files, texts):
        art = ex.analyse(Document(id=p.name, text=text))
        events = {}
        for ev in art.events.values():
            for n in [ev.name, *ev.variants]:
                if n and len(n) >= 3:
                    events.setdefault(n, ev.id)
        seeds.append({"name": p.name, "text": fold(text),
                      "persons": sorted(k for k in art.persons if len(k) >= 2),
                      "orgs": sorted(k for k in art.orgs if len(k) >= 2),
                      "events": events})
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    CACHE.write_text(json.dumps({"digest": digest, "seeds": seeds}, ensure_ascii=False), encoding="utf-8")
    return seeds


def zipf_sample(rng: random.Random, pool: list[str], weights: list[float], k: int) -> list[str]:
    k = min(k, len(pool))
    chosen: list[str] = []
    seen = set()
    while len(chosen) < k:
        name = rng.choices(pool, weights=weights, k=1)[0]
        if name not in seen:
            seen.add(name)
            chosen.append(name)
    return chosen


def make_corpus(n: int, out_dir: Path, seed: int = 0) -> dict:
    rng = random.Random(seed)
    seeds = seed_names()
    persons = person_pool(max(40, int(20 * math.sqrt(n))), rng)
    orgs = org_pool(max(30, int(10 * math.sqrt(n))), rng)
    events = event_pool(max(5, n // 3), rng)
    pw = [1.0 / (i + 1) ** 0.9 for i in range(len(persons))]
    ow = [1.0 / (i + 1) ** 0.9 for i in range(len(orgs))]
    out_dir.mkdir(parents=True, exist_ok=True)
    total_chars = 0
    for i in range(n):
        s = seeds[i % len(seeds)]
        mapping: dict[str, str] = {}
        for old, new in zip(s["persons"], zipf_sample(rng, persons, pw, len(s["persons"]))):
            mapping[old] = new
        for old, new in zip(s["orgs"], zipf_sample(rng, orgs, ow, len(s["orgs"]))):
            mapping[old] = new
        by_event: dict[str, str] = {}
        for old, ev_id in s["events"].items():
            if ev_id not in by_event:
                by_event[ev_id] = rng.choice(events)
            mapping.setdefault(old, by_event[ev_id])
        # one pass, longest name first: no replacement is ever replaced again
        pattern = re.compile("|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True)))
        text = pattern.sub(lambda m: mapping[m.group(0)], s["text"]) if mapping else s["text"]
        (out_dir / f"{i:06d}_{Path(s['name']).stem}.txt").write_text(text, encoding="utf-8")
        total_chars += len(text)
    info = {"articles": n, "seed": seed, "chars": total_chars, "person_pool": len(persons),
            "org_pool": len(orgs), "event_pool": len(events)}
    (out_dir.parent / f"{out_dir.name}.info.json").write_text(json.dumps(info), encoding="utf-8")
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    print(json.dumps(make_corpus(a.n, a.out_dir, a.seed)))


if __name__ == "__main__":
    main()
