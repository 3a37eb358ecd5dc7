"""One token per character, as spaCy's Chinese "char" segmenter makes them, only faster.

spaCy's `ChineseTokenizer` (segmenter "char") aligns every character with the text by
searching the rest of the text for it, which is quadratic in the article's length. This
tokenizer gives the same tokens: each non-space character is a token, a single space after
it is that token's trailing whitespace, and any other run of white space is one token.
"""
from __future__ import annotations

import re

from spacy.tokens import Doc
from spacy.vocab import Vocab

_WHITESPACE = re.compile(r"(\s+)")


def words_and_spaces(text: str) -> tuple[list[str], list[bool]]:
    """`spacy.util.get_words_and_spaces(list(text), text)`, in linear time."""
    words: list[str] = []
    spaces: list[bool] = []
    parts = _WHITESPACE.split(text)      # text, white, text, white, … (text parts may be "")
    for k, part in enumerate(parts):
        if not part:
            continue
        if k % 2 == 0:
            words.extend(part)
            spaces.extend([False] * len(part))
            continue
        if part[0] == " " and parts[k - 1]:
            spaces[-1] = True            # one space after a character is its trailing space
            part = part[1:]
            if not part:
                continue
        words.append(part)
        spaces.append(False)
    return words, spaces


class CharTokenizer:
    """`nlp.tokenizer` for `spacy.blank("zh")` pipelines: Doc of character tokens."""

    def __init__(self, vocab: Vocab):
        self.vocab = vocab

    def __call__(self, text: str) -> Doc:
        words, spaces = words_and_spaces(text)
        return Doc(self.vocab, words=words, spaces=spaces)
