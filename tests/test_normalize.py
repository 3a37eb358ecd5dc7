"""Traditional→Simplified folding keeps every offset; name keys unify punctuation."""
from __future__ import annotations

import pytest

from extractors.normalize import fold, fold_name, has_traditional
from seed_text import seed_line, seed_text


def test_fold_keeps_length_of_every_seed():
    for prefix in ("000", "001", "002", "003", "004"):
        text = seed_text(prefix)
        folded = fold(text)
        assert len(folded) == len(text), prefix
        # line breaks stay where they were, so line offsets carry over too
        assert [i for i, c in enumerate(folded) if c == "\n"] == [i for i, c in enumerate(text) if c == "\n"]


def test_traditional_seed_folds_to_simplified():
    text = seed_text("000")
    assert has_traditional(text)
    folded = fold(text)
    assert not has_traditional(folded)
    for trad, simp in [("通用技術集團", "通用技术集团"), ("馬可輝", "马可辉"), ("侯巖", "侯岩"),
                       ("中國醫學裝備協會", "中国医学装备协会")]:
        i = text.index(trad)
        # the same offsets hold the Simplified form
        assert folded[i:i + len(trad)] == simp


def test_simplified_seed_is_unchanged_apart_from_width():
    text = seed_text("002")
    assert not has_traditional(seed_line("002", "侯岩在致辞"))
    folded = fold(text)
    changed = {(a, b) for a, b in zip(text, folded) if a != b}
    # only full-width ASCII / ideographic spaces may differ in Simplified text
    assert all(ord(a) >= 0xFF01 or a in "\u3000\u00a0" for a, _ in changed)


def test_full_width_ascii_is_narrowed_but_cjk_punctuation_kept():
    assert fold("ＡＢＣ１２３") == "ABC123"
    assert fold("（，：；！？）") == "（，：；！？）"
    assert fold("\u3000") == " "


@pytest.mark.parametrize("variant", ["热利科·布迪米尔", "热利科•布迪米尔", "热利科・布迪米尔", "热利科．布迪米尔",
                                     "熱利科·布迪米爾", "热利科 · 布迪米尔", " 热利科·布迪米尔\n"])
def test_fold_name_unifies_dots_spaces_and_script(variant):
    assert fold_name(variant) == "热利科·布迪米尔"


def test_fold_name_unifies_brackets():
    assert fold_name("上海电气（集团）总公司") == fold_name("上海电气(集团)总公司") == "上海电气(集团)总公司"


def test_fold_of_ascii_and_empty():
    assert fold("") == ""
    assert fold("abc 123") == "abc 123"


def test_short_texts_fold_the_same_without_the_traditional_table():
    """A name typed into a query is folded without building the table of Traditional characters."""
    from extractors import normalize
    from seed_text import seed_text

    names = sorted({w for line in seed_text("000").splitlines() for w in line.split("，") if 0 < len(w) <= 64})
    names += ["陳明遠", "星河大學", "ａｂｃ１２３", "丶", "﨑", "㐀", ""]
    normalize._traditional.cache_clear()
    quick = [normalize.fold(n) for n in names]
    assert normalize._traditional.cache_info().currsize == 0       # the table was not built
    normalize._traditional()
    assert [normalize.fold(n) for n in names] == quick
    assert normalize.fold("陳明遠") == "陈明远"


def test_traditional_characters_read_from_the_table_are_those_conversion_changes():
    # `_traditional()` reads OpenCC's character table instead of converting every CJK character:
    # the same set, or a Simplified line would be taken as Traditional (or the other way round)
    from extractors import normalize

    assert normalize.opencc_characters(), "OpenCC's TSCharacters.txt not found"
    assert normalize._traditional() == normalize._traditional_by_conversion()


def test_simplified_text_is_folded_without_loading_opencc(monkeypatch):
    from extractors import normalize

    normalize._converter.cache_clear()
    normalize._traditional.cache_clear()
    monkeypatch.setattr(normalize, "_converter", lambda: pytest.fail("OpenCC's converter was loaded"))
    text = seed_text("002")
    assert normalize.fold(text) == text.translate(normalize._WIDTH)
    normalize._traditional.cache_clear()
