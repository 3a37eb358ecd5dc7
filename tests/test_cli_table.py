"""`forumgraph query`'s tables: cell widths, clipping and control characters, checked against
the plain per-character definitions on arbitrary text (the table code takes shortcuts)."""
from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from graph.cli_query import _cell, _clip, _width, table

TEXT = st.text(alphabet=st.one_of(st.characters(blacklist_categories=["Cs"]),
                                  st.sampled_from("中文名称论坛ＡＢ\u0301\u200b\u2028\x07\t")), max_size=80)


def width_by_definition(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def clip_by_definition(text: str, width: int) -> str:
    if width_by_definition(text) <= width:
        return text
    out, w = "", 0
    for c in text:
        cw = width_by_definition(c)
        if w + cw > width - 1:
            return out + "…"
        out, w = out + c, w + cw
    return out


@given(TEXT)
def test_width_is_columns_per_character(text):
    assert _width(text) == width_by_definition(text)


@given(TEXT, st.integers(min_value=1, max_value=70))
def test_clip_keeps_what_fits_and_cuts_the_rest(text, width):
    clipped = _clip(text, width)
    assert clipped == clip_by_definition(text, width)
    assert _width(clipped) <= max(width, 1)


@given(TEXT)
def test_a_cell_is_one_line_without_control_characters(text):
    cell = _cell(text)
    assert len(cell) == len(text)
    assert not any(unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" for c in cell)
    # every other character is kept where it was
    assert all(c == t or c == " " and (unicodedata.category(t)[0] == "C" or t in "\u2028\u2029")
               for c, t in zip(cell, text))


@given(st.lists(st.one_of(TEXT, st.floats(allow_nan=False), st.lists(TEXT, max_size=3)), max_size=6))
def test_a_list_cell_joins_its_cleaned_items(items):
    def by_definition(value):
        if isinstance(value, list):
            return "、".join(by_definition(v) for v in value)
        if isinstance(value, float):
            return f"{value:.4f}"
        return "".join(" " if unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" else c for c in value)

    assert _cell(items) == by_definition(items)


def test_long_lists_are_clipped_and_columns_line_up():
    rows = [{"person": "王一", "titles": ["示范大学 校长"] * 500}, {"person": "Li Lei", "titles": ["院长"]}]
    lines = table(rows, ["person", "titles"]).splitlines()
    assert lines[2].endswith("…") and _width(lines[2].split("  ", 1)[1].strip()) <= 60
    # every row's second column starts in the same terminal column
    starts = {_width(line[:line.index(cell)]) for line, cell in zip(lines[2:], ["示范大学", "院长"])}
    assert len(starts) == 1
