"""graph.json_text.sorted_compact gives json.dumps' text, whichever encoder writes it."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graph import json_text
from graph.json_text import sorted_compact


def reference(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# what the exporters put in JSON: text of any script (control characters, quotes, backslashes,
# U+2028, astral characters), 64-bit integers, node sizes rounded to two decimals, booleans, null
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)
scalars = (texts | st.integers(-(2 ** 63), 2 ** 63 - 1) | st.booleans() | st.none()
           | st.floats(min_value=0, max_value=1e6).map(lambda x: round(x, 2)))
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=5) | st.dictionaries(texts, inner, max_size=5),
                      max_leaves=30)


@settings(max_examples=300, deadline=None)
@given(values)
def test_same_text_as_the_standard_library(obj):
    assert sorted_compact(obj) == reference(obj)


@pytest.mark.parametrize("obj", [
    {1: "keys that are not strings", 2: "b"},
    {"lone surrogate": "\ud800"},
    {"beyond 64 bits": 2 ** 70},
    [(1, 2), ("tuple", "as list")],
])
def test_what_orjson_refuses_or_writes_otherwise_takes_the_standard_library(obj):
    assert sorted_compact(obj) == reference(obj)


def test_orjson_is_used_when_installed():
    # the point of the module: a page of 30 MB must not fall back to the slow path silently
    pytest.importorskip("orjson")
    assert json_text.orjson is not None


def test_without_orjson(monkeypatch):
    monkeypatch.setattr(json_text, "orjson", None)
    obj = {"名": ["</script>", 1, 2.5, None], "a": {"z": True}}
    assert sorted_compact(obj) == reference(obj)
