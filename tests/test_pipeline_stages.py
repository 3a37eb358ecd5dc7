"""Each extraction stage on real sentences from seeds/ (the project's own corpus)."""
from __future__ import annotations

import pytest

from extractors.documents import Document, read_file
from extractors.normalize import fold
from extractors.pipeline import Extractor
from graph.build import build_graph
from seed_text import seed_line, seed_path


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()   # loads the ONNX model once for the module


def analyse(extractor: Extractor, *lines: str, doc_id: str = "t.txt"):
    return extractor.analyse(Document(id=doc_id, text="\n".join(lines) + "\n"))


def roles_of(art, person: str) -> list[tuple[str, str]]:
    return [(r.title, r.org) for r in art.roles if r.person == person]


def test_title_chain_gives_one_title_and_org_per_link(extractor):
    line = seed_line("001", "中国科学院院士、北京大学未来技术学院教授、国家生物医学成像科学中心主任程和平")
    art = analyse(extractor, line)
    assert "程和平" in art.persons
    assert sorted(roles_of(art, "程和平")) == sorted([("院士", "中国科学院"), ("教授", "北京大学未来技术学院"),
                                                   ("主任", "国家生物医学成像科学中心")])


def test_role_offsets_point_at_the_chain_link(extractor):
    line = seed_line("001", "国家生物医学成像科学中心主任程和平")
    art = analyse(extractor, line)
    for r in art.roles:
        link = art.text[r.start:r.end]
        assert r.title in link, (r, link)


def test_bare_group_resolves_to_the_group_the_article_is_about(extractor):
    line = seed_line("000", "集團董事、黨組副書記馬可輝")   # Traditional, as published
    art = analyse(extractor, line)
    assert "马可辉" in art.persons
    assert set(roles_of(art, "马可辉")) == {("董事", "通用技术集团"), ("党组副书记", "通用技术集团")}
    # the bare 集团 is not an organization of its own
    assert "集团" not in art.orgs


def test_dotted_foreign_name_and_its_short_form_are_one_person(extractor):
    art = analyse(extractor, seed_line("002", "热利科·布迪米尔"), seed_line("002", "布迪米尔代表"))
    assert "热利科·布迪米尔" in art.persons
    assert "布迪米尔" not in art.persons
    assert ("部长", "波黑塞族共和国科技发展与高等教育部") in roles_of(art, "热利科·布迪米尔")


def test_short_form_of_dotted_name_is_a_mention_of_the_full_name(extractor):
    art = analyse(extractor, seed_line("002", "热利科·布迪米尔"), seed_line("002", "布迪米尔代表"))
    person = art.persons["热利科·布迪米尔"]
    short = [m for m in person.mentions if art.text[m.start:m.end] == "布迪米尔"]
    assert short, "the later short form is a mention of the full name"
    assert not [o for o in art.orgs if o.startswith("布迪米尔")]


def test_reporter_is_a_person_but_not_an_attendee(extractor):
    opening = seed_line("004", "大健康生态大会暨海医汇平台发布会在上海召开")
    byline = seed_line("001", "记者栗翘楚")
    speaker = seed_line("001", "程和平在《生命观象台")
    art = analyse(extractor, byline, opening, speaker)
    assert "栗翘楚" in art.persons and art.persons["栗翘楚"].reporter
    attendees = {a.person for a in art.attendance}
    assert "栗翘楚" not in attendees
    assert "程和平" in attendees


def test_abbreviation_introduced_by_the_article_is_folded_into_the_full_name(extractor):
    art = analyse(extractor, seed_line("002", "上海市卫生健康委员会副主任罗蒙"),
                  seed_line("002", "市卫健委、市经信委"))
    assert "市卫健委" in art.orgs.get("上海市卫生健康委员会", set())
    assert "市卫健委" not in art.orgs
    assert "市经信委" in art.orgs.get("上海市经济和信息化委员会", set())


def test_forums_are_sub_events_of_the_conference(extractor):
    art = analyse(extractor, seed_line("000", "三個系列會前會"))
    by_name = {e.name: e for e in art.events.values()}
    conference = by_name.get("2025通用健康管理大会")
    assert conference is not None and conference.parent is None
    forums = ["2025通用健康管理大会产业创新论坛", "医药医疗科技成果转化生态论坛", "通用健康征文大赛表彰大会"]
    for name in forums:
        assert name in by_name, name
        assert by_name[name].parent == conference.id, name


def test_event_mentions_point_at_their_text(extractor):
    art = analyse(extractor, seed_line("000", "三個系列會前會"))
    for ev in art.events.values():
        for s, e in ev.mentions:
            assert fold(art.original[s:e]) == art.text[s:e]


@pytest.fixture(scope="module")
def seed_records(extractor):
    return {p: extractor(read_file(seed_path(p))[0]) for p in ("001", "004")}


def test_part_of_edges_in_graph(extractor):
    doc = read_file(seed_path("000"))[0]
    g = build_graph([extractor(doc)])
    # labels are shown in the article's script or folded; compare folded
    conference = [n for n, d in g.nodes(data=True) if d["kind"] == "event" and fold(d["label"]).endswith("通用健康管理大会")]
    assert len(conference) == 1
    children = {fold(g.nodes[u]["label"]) for u, v, d in g.edges(data=True)
                if d["relation"] == "part_of" and v == conference[0]}
    assert {"医药医疗科技成果转化生态论坛", "通用健康征文大赛表彰大会"} <= children


def test_same_event_in_two_articles_is_one_node(seed_records):
    g = build_graph(seed_records.values())
    events = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == "event" and "大健康生态大会" in d["label"]]
    assert len(events) == 1, events
    _, data = events[0]
    assert sorted(data["docs"]) == sorted(r.doc for r in seed_records.values())


def test_same_person_in_two_articles_is_one_node_with_both_roles(seed_records):
    g = build_graph(seed_records.values())
    people = [(n, d) for n, d in g.nodes(data=True) if d["kind"] == "person" and d["label"] == "程和平"]
    assert len(people) == 1
    node, data = people[0]
    assert len(data["docs"]) == 2
    orgs = {g.nodes[v]["label"] for _, v, d in g.out_edges(node, data=True) if d["relation"] == "holds_role"}
    assert {"北京大学未来技术学院", "国家生物医学成像科学中心"} <= orgs
