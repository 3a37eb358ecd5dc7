"""Page furniture and injected spam are blanked to spaces of equal length; article text stays."""
from __future__ import annotations

from extractors.furniture import clean, mask_furniture, mask_spam
from extractors.lexicon import by_length
from extractors.normalize import fold
from seed_text import seed_line, seed_text


def test_spam_words_from_the_lexicon_are_blanked_in_seed_004():
    text = seed_text("004")
    spam = [w for w in by_length("spam_words") if w in text]
    assert spam, "seed 004 carries injected spam"
    masked = mask_spam(text)
    assert len(masked) == len(text)
    for w in spam:
        assert w not in masked
    # the sentence around the spam is intact
    line = seed_line("004", "龚雯雯")
    i = text.index(line)
    assert masked[i:i + len(line)].replace(" ", "") == line.replace(" ", "").replace("升博体育", "")
    assert "盈康一生战略总经理、海医汇理事龚雯雯" in masked


def test_every_spam_word_is_blanked_wherever_it_stands():
    sentence = seed_line("002", "侯岩在致辞")
    for w in by_length("spam_words"):
        text = sentence[:10] + w + sentence[10:]
        out = mask_spam(text)
        assert out == sentence[:10] + " " * len(w) + sentence[10:]


def test_furniture_tail_of_seed_001_is_blanked():
    text = seed_text("001")
    out = mask_furniture(text)
    assert len(out) == len(text)
    # the article is kept
    for kept in ("记者栗翘楚", "程和平在《生命观象台,看见生命力》的主旨演讲", "谭丽霞"):
        assert kept in out, kept
    # the "more news" heading and everything after it is gone, timestamps included
    assert "更多关于科技的资讯" in text and "更多关于科技的资讯" not in out
    for gone in ("中亦科技荣膺华为云", "记者桑雪骐", "厦门日报记者 李晓平", "2026-02-05 08:49:00"):
        assert gone in text and gone not in out, gone


def test_headline_list_before_the_more_heading_is_blanked():
    # "headline / snippet / timestamp" triples above the furniture marker
    text = seed_text("001")
    out = mask_furniture(text)
    for gone in ("2023服贸会|年均增长23% 医药研发的钱投哪了", "2024-03-02 07:29:00",
                 "西部省市携手,构建西部创新发展新引擎"):
        assert gone in text and gone not in out, gone


def test_navigation_lines_are_blanked():
    text = seed_text("001")
    out = mask_furniture(text)
    head = text[: text.index("人民网北京4月11日电")]
    assert "我的订阅" in head
    out_head = out[: len(head)]
    assert "我的订阅" not in out_head
    assert "发布时间:2024-04-11" not in out_head


def test_url_only_lines_are_blanked_but_lines_with_text_are_kept():
    article = seed_line("002", "侯岩在致辞")
    text = f"{article}\nhttps://www.example.com/news/index_2.shtml\n{article}"
    out = mask_furniture(text)
    assert out.split("\n")[1].strip() == ""
    assert out.split("\n")[0] == article and out.split("\n")[2] == article


def test_clean_keeps_offsets_on_folded_traditional_seed():
    text = seed_text("000")
    out = clean(fold(text))
    assert len(out) == len(text)
    i = text.index("馬可輝")
    assert out[i:i + 3] == "马可辉"
