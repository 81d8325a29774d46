"""Tests for revision_pipeline.text.segment (jieba with the dictionary as user words)."""

from __future__ import annotations

import jieba

from revision_pipeline.text import normalize, segment
from revision_pipeline.text.segment import Segmenter


def test_dictionary_terms_are_single_tokens() -> None:
    tokens = segment("右眼视网膜中央静脉阻塞，黄斑水肿，左眼年龄相关性黄斑变性")
    for term in ("视网膜中央静脉阻塞", "黄斑水肿", "年龄相关性黄斑变性", "右眼", "左眼"):
        assert term in tokens


def test_user_dictionary_changes_jieba_output() -> None:
    plain = jieba.Tokenizer()
    text = "视网膜中央静脉阻塞"
    assert list(plain.cut(text, HMM=False)) != [text]  # stock jieba splits the term
    assert segment(text) == [text]


def test_placeholders_and_decimals_are_kept_whole() -> None:
    tokens = segment(normalize("患者[姓名]于[日期]检查，C/D 0.3，A:V 1:2"))
    assert "[姓名]" in tokens and "[日期]" in tokens
    assert "0.3" in tokens and "1:2" in tokens
    assert not any(t.isspace() or not t for t in tokens)


def test_private_tokenizer_does_not_touch_the_global_one() -> None:
    seg = Segmenter(words=("测试专用词",))
    assert "测试专用词" in seg("这是测试专用词")
    assert seg.tokenizer is seg.tokenizer  # initialised once
    assert "测试专用词" not in jieba.dt.FREQ
    assert segment("") == []
