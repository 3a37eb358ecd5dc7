"""The rule components on made-up sentences shaped like real news (names invented here)."""
from __future__ import annotations

import pytest

from extractors.components.events import _same, _split_parent
from extractors.components.organizations import is_abbreviation
from extractors.components.title_chain import title_len_at, title_suffix
from extractors.documents import Document
from extractors.pipeline import Extractor, parse_ner_spec


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor()


def analyse(extractor: Extractor, text: str, title: str = ""):
    return extractor.analyse(Document(id="t.txt", text=text, title=title))


def roles_of(art, person: str) -> set[tuple[str, str]]:
    return {(r.title, r.org) for r in art.roles if r.person == person}


def test_titles_take_prefixes_and_brackets():
    assert title_len_at("党委副书记张", 0) == 5
    assert title_len_at("原校长", 0) == 3
    assert title_suffix("东海大学常务副校长") == "常务副校长"
    assert title_len_at("委员会", 0) == 2   # the chain decides from word boundaries, not this lookup


def test_abbreviations_an_article_introduces():
    assert is_abbreviation("市卫健委", "江南市卫生健康委员会")
    assert is_abbreviation("华西医院", "西川大学华西医院")
    assert is_abbreviation("中国科普会", "中国科学普及委员会")
    assert is_abbreviation("台大", "国立台湾大学")
    assert is_abbreviation("东升集团", "北京东升投资(集团)有限公司")
    assert not is_abbreviation("县委", "白杨县人大常委会")             # a body of its own
    assert not is_abbreviation("水利部", "某国水利发展与建设部")        # fits in, abbreviates nothing
    assert not is_abbreviation("东方科学院", "东方医学科学院某某医学院")


def test_event_names_fold_and_nest():
    assert _same("产业创新论坛", "2031示范健康大会产业创新论坛")
    assert _same("征文大赛", "征文大赛表彰大会")
    assert _same("中医药发展大会", "第九届湾区中医药传承创新发展大会")
    assert not _same("示范健康大会", "示范健康大会产业创新论坛")   # a conference and its forum
    assert _split_parent("2031示范健康大会产业创新论坛") == "2031示范健康大会"
    assert _split_parent("示范生态大会暨平台发布会") is None


def test_chain_shares_organizations_and_government_titles(extractor):
    art = analyse(extractor, "10月9日，江南市举行2031江南数字医疗大会。江南市委常委、副市长王建华，"
                             "江南大学副校长、医学院院长刘志强出席大会并致辞。")
    assert ("副市长", "江南市人民政府") in roles_of(art, "王建华")
    assert ("常委", "江南市委") in roles_of(art, "王建华")
    assert roles_of(art, "刘志强") >= {("副校长", "江南大学"), ("院长", "医学院")} or \
        ("院长", "江南大学医学院") in roles_of(art, "刘志强")
    ev = next(iter(art.events.values()))
    assert ev.name == "2031江南数字医疗大会"
    assert {a.person for a in art.attendance} == {"王建华", "刘志强"}
    assert {a.participation for a in art.attendance} == {"致辞"}


def test_generic_group_word_resolves_to_the_article_group(extractor):
    art = analyse(extractor, "5月6日，东华控股集团举办2031东华创新论坛。集团董事、党组副书记赵立新出席论坛。")
    assert roles_of(art, "赵立新") == {("董事", "东华控股集团"), ("党组副书记", "东华控股集团")}


def test_reporter_is_no_attendee(extractor):
    art = analyse(extractor, "本报讯（记者孙晓梅）2031江北医药论坛昨日在江北举行，江北医院院长周文斌出席。")
    assert art.persons["孙晓梅"].reporter
    assert {a.person for a in art.attendance} == {"周文斌"}


def test_section_headings_route_attendance(extractor):
    text = ("6月1日，南岭集团举办2031南岭健康大会产业论坛、医药转化论坛两个系列会前会。\n"
            "产业论坛\n南岭集团总经理陈海峰出席活动并致辞。\n"
            "医药转化论坛\n南岭大学教授林国栋作主旨演讲。\n")
    art = analyse(extractor, text)
    by_person = {a.person: art.events[a.event].name for a in art.attendance}
    assert by_person["陈海峰"].endswith("产业论坛")
    assert by_person["林国栋"] == "医药转化论坛"
    parents = {art.events[e.parent].name for e in art.events.values() if e.parent}
    assert parents == {"2031南岭健康大会"}


def test_ner_spec_parsing():
    assert parse_ner_spec("lac") == [("lac", None)]
    assert parse_ner_spec("lac+hanlp:/m") == [("lac", None), ("hanlp", "/m")]
    with pytest.raises(ValueError):
        parse_ner_spec("spacy")


def test_this_event_and_earlier_editions(extractor):
    text = ("12月3日，2031东岳大学校长对话在东岳举行。东岳大学校长马国庆出席并致辞。\n"
            "马国庆表示，本次东岳一流大学校长论坛意义重大。自去年首届东岳大学校长对话举办以来，交流日益密切。\n")
    art = analyse(extractor, text)
    assert [e.name for e in art.events.values()] == ["2031东岳大学校长对话"]
    assert "东岳一流大学校长论坛" in art.events[art.main_event].variants


def test_quoted_event_name_before_the_event_word(extractor):
    art = analyse(extractor, "研究院二十日举办「智慧医疗新未来」论坛，西山医院院长黄志明出席。")
    assert [e.name for e in art.events.values()] == ["智慧医疗新未来论坛"]


def test_a_name_right_after_blanked_spam_starts_at_the_name(extractor):
    # the spam word is blanked to spaces; LAC may take a blank into the name (found by
    # tests/test_properties.py): the person is the name alone, its mention starts at it
    text = "升博体育吉訓達通過視頻致辭。他指出,創新產業不僅是技術的單點突破,更是理念的革新、模式的重構與生態的協同。"
    art = analyse(extractor, text)
    assert list(art.persons) == ["吉训达"]
    assert [(m.start, m.end) for m in art.persons["吉训达"].mentions] == [(4, 7)]
