"""A graph file supplied by a user is parsed without entity expansion or external
references (`forumgraph query` reads GraphML from anyone)."""
from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from graph.load import GraphFileError, load_graph

NS = 'xmlns="http://graphml.graphdrawing.org/xmlns"'


def billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10)]
    return ('<?xml version="1.0"?>\n<!DOCTYPE graphml [\n' + "\n".join(entities) + "\n]>\n"
            f'<graphml {NS}><key id="d0" for="node" attr.name="label" attr.type="string"/>'
            '<graph edgedefault="directed"><node id="n0"><data key="d0">&lol9;</data></node></graph></graphml>')


def test_billion_laughs_graphml_is_refused(tmp_path):
    f = tmp_path / "laughs.graphml"
    f.write_text(billion_laughs(), encoding="utf-8")
    with pytest.raises(GraphFileError) as err:
        load_graph(f)
    msg = str(err.value)
    assert str(f) in msg and "\n" not in msg
    assert "DTD" in msg or "entit" in msg.lower()


def test_external_entity_graphml_is_refused(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret", encoding="utf-8")
    f = tmp_path / "xxe.graphml"
    f.write_text(f'<?xml version="1.0"?>\n<!DOCTYPE graphml [<!ENTITY x SYSTEM "file://{secret}">]>\n'
                 f'<graphml {NS}><key id="d0" for="node" attr.name="label" attr.type="string"/>'
                 '<graph edgedefault="directed"><node id="n0"><data key="d0">&x;</data></node></graph></graphml>',
                 encoding="utf-8")
    with pytest.raises(GraphFileError):
        load_graph(f)


def test_query_command_reports_the_refusal_in_one_line(tmp_path):
    from graph.cli import cli

    f = tmp_path / "laughs.graphml"
    f.write_text(billion_laughs(), encoding="utf-8")
    result = CliRunner().invoke(cli, ["query", str(f), "top"])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit)    # a clean error exit, not a crash
    assert "laughs.graphml" in result.output


def test_billion_laughs_gexf_is_refused(tmp_path):
    # whatever load_graph does with GEXF (read safely or refuse the format), it never expands entities
    f = tmp_path / "laughs.gexf"
    f.write_text(billion_laughs().replace("graphml", "gexf"), encoding="utf-8")
    with pytest.raises(GraphFileError):
        load_graph(f)


def test_ordinary_graphml_still_loads(tmp_path):
    g = nx.MultiDiGraph()
    g.add_node("person:侯岩", kind="person", label="侯岩", docs="a.txt|b.txt")
    f = tmp_path / "ok.graphml"
    nx.write_graphml(g, f)
    back = load_graph(f)
    assert back.nodes["person:侯岩"]["docs"] == ["a.txt", "b.txt"]


def test_not_xml_is_a_clear_error(tmp_path: Path):
    f = tmp_path / "junk.graphml"
    f.write_bytes(b"\x00\x01 not xml")
    with pytest.raises(GraphFileError) as err:
        load_graph(f)
    assert "junk.graphml" in str(err.value)
