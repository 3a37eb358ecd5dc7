"""Cross-document resolution: persons by folded name, events across outlets, editions apart."""
from extractors.records import DocumentRecords, EventRecord, OrganizationRecord, PersonRecord
from graph.build import build_graph
from graph.resolve import same_event


def _doc(doc, events=(), persons=(), orgs=()):
    return DocumentRecords(doc=doc, events=list(events), persons=list(persons), organizations=list(orgs))


def test_same_event_reported_by_two_outlets_is_one_node():
    a = _doc("a.txt", [EventRecord("E1", "2030示例健康生态大会暨示例平台发布会", "2030示例健康生态大会暨示例平台发布会", "2030-04-10")])
    b = _doc("b.txt", [EventRecord("E1", "示例平台发布会", "示例平台发布会", "2030-04-10")])
    g = build_graph([a, b])
    events = [n for n, d in g.nodes(data=True) if d["kind"] == "event"]
    assert len(events) == 1
    assert sorted(g.nodes[events[0]]["docs"]) == ["a.txt", "b.txt"]


def test_sub_event_in_one_document_is_not_merged_into_its_conference():
    doc = _doc("a.txt", [
        EventRecord("E1", "2030示例管理大会", "2030示例管理大会", "2030-11-01"),
        EventRecord("E2", "2030示例管理大会产业创新论坛", "2030示例管理大会产业创新论坛", "2030-11-01", parent="E1"),
    ])
    g = build_graph([doc])
    assert g.number_of_nodes() == 2
    assert g.has_edge("event:2030示例管理大会产业创新论坛", "event:2030示例管理大会")


def test_editions_and_contradicting_dates_stay_apart():
    assert not same_event("第六届示例发展大会", "", "第七届示例发展大会", "")
    assert not same_event("示例发展大会", "2030-01-01", "示例发展大会", "2031-01-01")
    assert same_event("2030示例发展大会", "2030-01-01", "示例发展大会", "2030-01-01")


def test_person_in_two_scripts_is_one_node_with_both_labels():
    a = _doc("a.txt", persons=[PersonRecord("張偉", "张伟")])
    b = _doc("b.txt", persons=[PersonRecord("张伟", "张伟")])
    g = build_graph([a, b])
    assert list(g.nodes) == ["person:张伟"]
    assert g.nodes["person:张伟"]["label"] == "張偉"
    assert g.nodes["person:张伟"]["aliases"] == ["张伟"]


def test_organization_name_meeting_an_introduced_abbreviation_joins_it():
    a = _doc("a.txt", orgs=[OrganizationRecord("示例市卫生健康委员会", "示例市卫生健康委员会", ["市卫健委"])])
    b = _doc("b.txt", orgs=[OrganizationRecord("市卫健委", "市卫健委")])
    c = _doc("c.txt", orgs=[OrganizationRecord("另例市卫生健康委员会", "另例市卫生健康委员会", ["市卫健委"])])
    g = build_graph([a, b, c])
    orgs = sorted(n for n, d in g.nodes(data=True) if d["kind"] == "organization")
    # b's name is a's abbreviation: one node; c only shares an abbreviation: its own node
    assert orgs == ["org:另例市卫生健康委员会", "org:示例市卫生健康委员会"]
