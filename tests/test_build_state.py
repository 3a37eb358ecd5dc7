"""A build that goes on from the saved state of the last one gives the graph a full build gives."""
from __future__ import annotations

import random

import networkx as nx
import pytest

from graph import build_state
from graph.build import GraphBuilder, build_graph
from test_build_equivalence import _random_records


def layout(g: nx.MultiDiGraph):
    """Everything an exporter can see, in iteration order, attribute order included."""
    return ([(n, list(d.items())) for n, d in g.nodes(data=True)],
            [(n, [(v, [(k, list(d.items())) for k, d in keys.items()]) for v, keys in g._succ[n].items()]) for n in g],
            [(n, [(u, list(keys)) for u, keys in g._pred[n].items()]) for n in g])


def documents(records) -> build_state.Documents:
    return sorted({(r.doc, f"key-of-{r.doc}") for r in records})


@pytest.mark.parametrize("seed", range(25))
def test_going_on_from_a_saved_state_gives_the_full_build(seed, tmp_path):
    rng = random.Random(seed)
    records = _random_records(rng, 40)
    ids = sorted({r.doc for r in records})
    pivot = rng.choice(ids)                       # documents before it were in the last build
    before = [r for r in records if r.doc < pivot]
    after = [r for r in records if r.doc >= pivot]
    builder = GraphBuilder().add_all(before)
    first = builder.graph()                       # the last build's graph, as its exporters saw it
    path = tmp_path / build_state.FILENAME
    build_state.save(path, builder, documents(before))
    assert layout(first) == layout(build_graph(before))

    header = build_state.read_header(path)
    assert header is not None and header["documents"] == documents(before)
    assert build_state.appended(header["documents"], documents(records)) == documents(after)
    resumed = build_state.load(path, header)
    assert resumed is not None
    assert layout(resumed.add_all(after).graph()) == layout(build_graph(records))


def test_a_document_before_the_last_one_added_is_refused():
    records = _random_records(random.Random(3), 10)
    ids = sorted({r.doc for r in records})
    builder = GraphBuilder().add_all([r for r in records if r.doc != ids[0]])
    with pytest.raises(ValueError, match="does not come after"):
        builder.add([r for r in records if r.doc == ids[0]])


def test_only_documents_appended_after_the_saved_ones_go_on_from_it():
    saved = [("a.txt", "k1"), ("b.txt", "k2")]
    assert build_state.appended(saved, saved + [("c.txt", "k3")]) == [("c.txt", "k3")]
    assert build_state.appended(saved, saved) == []
    assert build_state.appended(saved, [("a.txt", "k1"), ("b.txt", "changed")]) is None      # changed
    assert build_state.appended(saved, [("a.txt", "k1")]) is None                              # removed
    assert build_state.appended(saved, [("a.txt", "k1"), ("aa.txt", "k9"), ("b.txt", "k2")]) is None   # among them


@pytest.mark.parametrize("damage", ["truncate", "flip-body", "flip-header", "other-code", "not-a-state", "empty"])
def test_a_damaged_or_foreign_state_is_not_used(damage, tmp_path, monkeypatch):
    records = _random_records(random.Random(5), 20)
    path = tmp_path / build_state.FILENAME
    build_state.save(path, GraphBuilder().add_all(records), documents(records))
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        path.write_bytes(bytes(data[:len(data) // 2]))
    elif damage == "flip-body":
        data[-10] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "flip-header":
        data[len(build_state._MAGIC) + 20] ^= 0xFF
        path.write_bytes(bytes(data))
    elif damage == "other-code":
        monkeypatch.setattr(build_state, "code_version", lambda: "other code")
    elif damage == "not-a-state":
        path.write_bytes(b"<graphml/>")
    elif damage == "empty":
        path.write_bytes(b"")
    header = build_state.read_header(path)
    if damage in ("truncate", "flip-body"):
        assert header is not None and build_state.load(path, header) is None
    else:
        assert header is None


def test_an_alias_claimed_before_the_saved_state_still_joins_later_mentions(tmp_path):
    # doc a introduces 东研 as the short name of 东方研究院; doc b, appended later, says 东研 alone
    from extractors.records import DocumentRecords, OrganizationRecord, PersonRecord, RoleRecord

    a = DocumentRecords("a.txt", "", "", [PersonRecord("吉一", "吉一")],
                        [OrganizationRecord("东方研究院", "东方研究院", ["东研"])], [],
                        [RoleRecord("吉一", "院长", "东方研究院")], [])
    b = DocumentRecords("b.txt", "", "", [PersonRecord("吉二", "吉二")],
                        [OrganizationRecord("东研", "东研")], [], [RoleRecord("吉二", "主任", "东研")], [])
    path = tmp_path / build_state.FILENAME
    build_state.save(path, GraphBuilder().add_all([a]), documents([a]))
    resumed = build_state.load(path, build_state.read_header(path)).add_all([b]).graph()
    assert layout(resumed) == layout(build_graph([a, b]))
    assert "org:东研" not in resumed and resumed.has_edge("person:吉二", "org:东方研究院")
