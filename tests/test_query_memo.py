"""Whole-graph answers (communities, betweenness) are computed once per graph.db and kept."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from explore_fixtures import large_graph, sample_graph
from graph import query as q
from graph.cli import cli
from graph.export import write_all
from graph.query_index import INDEX_NAME, write_query_index
from graph.query_memo import FOLDER, QueryMemo


def run(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.fixture
def counted(monkeypatch) -> dict[str, int]:
    """How often communities and the betweenness ranking were computed."""
    calls = {"communities": 0, "top": 0}
    # what both ways of asking end in: a graph's skeleton ranked (graph.db's read directly)
    real_communities, real_ranking = q.communities_of, q.betweenness_ranking

    def communities(*a, **k):
        calls["communities"] += 1
        return real_communities(*a, **k)

    def ranking(*a, **k):
        calls["top"] += 1
        return real_ranking(*a, **k)

    monkeypatch.setattr(q, "communities_of", communities)
    monkeypatch.setattr(q, "betweenness_ranking", ranking)
    return calls


def test_answers_are_computed_once_per_index_and_equal_the_graph_files(tmp_path, counted):
    write_all(sample_graph(), tmp_path)
    asks = [["communities", "--format", "json"], ["top", "--by", "betweenness", "--format", "json"],
            ["top", "--by", "betweenness", "-n", "2", "--kind", "person"]]
    first = [run("query", str(tmp_path), *a) for a in asks]
    assert counted == {"communities": 1, "top": 1}      # the two rankings share one computation
    again = [run("query", str(tmp_path), *a) for a in asks]
    assert again == first and counted == {"communities": 1, "top": 1}
    from_json = [run("query", str(tmp_path / "graph.json"), *a) for a in asks]
    assert from_json == first
    assert len(json.loads(first[0])) >= 2
    assert len(list((tmp_path / FOLDER).glob("*.json"))) == 2


def test_a_new_index_is_asked_again_and_old_answers_are_removed(tmp_path, counted):
    write_all(sample_graph(), tmp_path)
    before = run("query", str(tmp_path), "communities", "--format", "json")
    write_query_index(large_graph(persons=60, events=6), tmp_path / INDEX_NAME)   # a rebuilt graph.db
    after = run("query", str(tmp_path), "communities", "--format", "json")
    assert counted["communities"] == 2
    assert after != before
    assert json.loads(after) == q.communities(large_graph(persons=60, events=6))
    assert len(list((tmp_path / FOLDER).glob("*.json"))) == 1


def test_a_damaged_answer_is_computed_again(tmp_path, counted):
    write_all(sample_graph(), tmp_path)
    first = run("query", str(tmp_path), "communities")
    (entry,) = (tmp_path / FOLDER).glob("*.json")
    entry.write_text("{not json", encoding="utf-8")
    assert run("query", str(tmp_path), "communities") == first
    assert counted["communities"] == 2
    assert json.loads(entry.read_text(encoding="utf-8"))["question"] == "communities"


def test_an_unwritable_folder_only_means_nothing_is_kept(tmp_path, counted):
    write_all(sample_graph(), tmp_path)
    (tmp_path / FOLDER).parent.mkdir(exist_ok=True)
    (tmp_path / FOLDER).write_text("a file where the folder would be", encoding="utf-8")
    first = run("query", str(tmp_path), "communities")
    assert run("query", str(tmp_path), "communities") == first
    assert counted["communities"] == 2


def test_memo_keys_on_the_question_and_its_parameters(tmp_path):
    write_query_index(sample_graph(), tmp_path / INDEX_NAME)
    memo = QueryMemo(tmp_path / INDEX_NAME)
    assert memo.put("communities", {"seed": 1}, [{"size": 1}])
    assert memo.get("communities", {"seed": 1}) == [{"size": 1}]
    assert memo.get("communities", {"seed": 2}) is None
    assert memo.get("top", {"seed": 1}) is None
    assert QueryMemo(tmp_path / "missing.db").get("communities", {"seed": 1}) is None


def test_an_answer_kept_by_other_query_code_is_a_miss(tmp_path, monkeypatch):
    from graph import query_memo

    write_query_index(sample_graph(), tmp_path / INDEX_NAME)
    memo = QueryMemo(tmp_path / INDEX_NAME)
    assert memo.put("communities", {"seed": 1}, [{"size": 1}])
    monkeypatch.setattr(query_memo, "code_version", lambda: "an upgraded ranking")
    assert memo.get("communities", {"seed": 1}) is None


def test_an_answer_is_renamed_into_place_and_temporaries_of_dead_writers_go(tmp_path):
    write_query_index(sample_graph(), tmp_path / INDEX_NAME)
    memo = QueryMemo(tmp_path / INDEX_NAME)
    assert memo.put("communities", {"seed": 1}, [{"size": 1}])
    (entry,) = (tmp_path / FOLDER).glob("*.json")
    stale = entry.with_name(f".{entry.name}.999999999.tmp")     # a writer killed midway (no such pid)
    stale.write_text("{half an answ", encoding="utf-8")
    assert memo.put("communities", {"seed": 1}, [{"size": 2}])
    assert [p.name for p in (tmp_path / FOLDER).iterdir()] == [entry.name]
    assert memo.get("communities", {"seed": 1}) == [{"size": 2}]


def test_a_large_graph_is_written_with_its_answers_kept(tmp_path, counted, monkeypatch):
    import graph.export as export

    monkeypatch.setattr(export, "KEEP_ANSWERS_MIN_NODES", 50)
    g = large_graph(persons=60, events=6)
    write_all(g, tmp_path)
    assert counted == {"communities": 1, "top": 1}        # by the build, with graph.db
    from graph.query_memo import keep_whole_graph_answers

    keep_whole_graph_answers(g, tmp_path / INDEX_NAME)
    assert counted == {"communities": 1, "top": 1}        # graph.db unchanged: its answers are kept already
    asks = [["communities", "--format", "json"], ["top", "--by", "betweenness", "--format", "json"]]
    first = [run("query", str(tmp_path), *a) for a in asks]
    assert counted == {"communities": 1, "top": 1}        # the first questions read them
    # the same answers as computing them from the index, and as the graph file gives
    for f in (tmp_path / FOLDER).glob("*.json"):
        f.unlink()
    assert [run("query", str(tmp_path), *a) for a in asks] == first
    assert counted == {"communities": 2, "top": 2}
    assert [run("query", str(tmp_path / "graph.json"), *a) for a in asks] == first


def test_a_small_graph_is_written_without_computing_answers(tmp_path, counted):
    write_all(sample_graph(), tmp_path)
    assert counted == {"communities": 0, "top": 0}
