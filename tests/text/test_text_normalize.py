"""Tests for revision_pipeline.text.normalize."""

from __future__ import annotations

import pytest

from revision_pipeline.text import normalize
from revision_pipeline.text.normalize import Normalizer
from revision_pipeline.text.vocab import load_vocabulary, parse_vocabulary


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # full width -> half width digits/Latin, Chinese sentence punctuation kept
        ("ＯＤ：ＤＲ３期，Ｃ/Ｄ＝０.６", "右眼：重度非增殖期糖尿病视网膜病变，杯盘比=0.6"),
        # traditional -> simplified
        ("雙眼視網膜靜脈阻塞", "双眼视网膜静脉阻塞"),
        ("黃斑區玻璃膜疣", "黄斑区玻璃膜疣"),
        # half-width punctuation between Chinese -> full width; numbers and ratios kept
        ("视盘界清,C/D 0.3;黄斑中心凹反光可见.", "视盘界清，杯盘比0.3；黄斑中心凹反光可见。"),
        ("A:V=1:2,时间10:30", "A:V=1:2，时间10:30"),
        # repeated punctuation collapses to its strongest mark
        ("出血，，渗出。。", "出血，渗出。"),
        ("出血，。渗出", "出血。渗出"),
        ("青光眼？？", "青光眼？"),
        # whitespace
        ("  右眼   视盘  界清 ", "右眼视盘界清"),
        ("右眼：\n视盘界清\n\n左眼：正常", "右眼：视盘界清。左眼：正常"),
    ],
)
def test_normalize_width_script_punctuation_space(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("OD:视盘界清 OS:出血", "右眼：视盘界清左眼：出血"),
        ("od：正常", "右眼：正常"),
        ("OU未见异常", "双眼未见异常"),
        ("R眼出血，L眼正常", "右眼出血，左眼正常"),
        ("R：出血", "右眼：出血"),
        ("1.R 青光眼 2.L 正常", "1.右眼青光眼2.左眼正常"),
        ("DR2期", "中度非增殖期糖尿病视网膜病变"),
        ("DR II期", "中度非增殖期糖尿病视网膜病变"),
        ("糖网4期", "增殖期糖尿病视网膜病变"),
        ("轻度NPDR", "轻度非增殖期糖尿病视网膜病变"),
        ("PDR", "增殖期糖尿病视网膜病变"),
        ("BRVO", "视网膜分支静脉阻塞"),
        ("CRVO", "视网膜中央静脉阻塞"),
        ("wAMD", "湿性年龄相关性黄斑变性"),
        ("C/D 0.7", "杯盘比0.7"),
        ("散在MA及HE", "散在微血管瘤及硬性渗出"),
    ],
)
def test_normalize_expands_abbreviations(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "IRMA",  # contains MA and R, but is one Latin word
        "A:V 1:2 L x",  # a lone L in running text is not an eye
        "NPDR".lower() + "x",  # glued to other letters: not an abbreviation
    ],
)
def test_normalize_respects_latin_word_boundaries(raw: str) -> None:
    out = normalize(raw)
    assert "眼" not in out
    assert "微血管瘤" not in out
    assert "糖尿病" not in out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("老年性黄斑变性", "年龄相关性黄斑变性"),
        ("高血压视网膜病变", "高血压性视网膜病变"),
        ("静脉阻塞", "视网膜静脉阻塞"),
        # sub-types and signs stay as written
        ("视网膜中央静脉阻塞", "视网膜中央静脉阻塞"),
        ("豹纹状眼底", "豹纹状眼底"),
        ("视盘未见异常", "视盘未见异常"),
        # typos from the dictionary
        ("黄班区玻璃膜优", "黄斑区玻璃膜疣"),
        ("视乳头边界清", "视盘边界清"),
    ],
)
def test_normalize_rewrites_synonyms_and_typos(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_normalize_keeps_placeholders_emails_and_urls() -> None:
    raw = "患者[姓名]，［日期］就诊。[ID] OD:DR2期 邮箱 ma1335@qq.com [病历号]"
    out = normalize(raw)
    for kept in ("[姓名]", "[日期]", "[ID]", "[病历号]", "ma1335@qq.com"):
        assert kept in out
    assert "微血管瘤" not in out  # "ma" inside the e-mail is not an abbreviation
    assert out.count("[") == 4


def test_normalize_is_idempotent() -> None:
    samples = [
        "ＯＤ：視網膜可見點狀出血，，黃斑區水腫。。OS: 未见明显异常",
        "诊断：1.R DR II期 2.L 青光眼? 建议：：复查",
        "[姓名] 双眼OU AMD?? 杯盘比 0.6 , A:V 1:2",
    ]
    for raw in samples:
        once = normalize(raw)
        assert normalize(once) == once


def test_normalize_empty_and_type_errors() -> None:
    assert normalize("") == ""
    assert normalize(" \u3000 ") == ""
    with pytest.raises(TypeError, match="expects str"):
        normalize(None)  # type: ignore[arg-type]


def test_vocabulary_keeps_canonical_codes_and_rejects_bad_files() -> None:
    vocab = load_vocabulary()
    assert list(vocab.findings)[:5] == ["normal", "dr1", "dr2", "dr3", "dr4"]
    assert {"glaucoma", "amd", "pathologic_myopia", "rvo", "hypertensive_retinopathy"} <= set(
        vocab.findings
    )
    with pytest.raises(ValueError, match="lacks the canonical codes"):
        parse_vocabulary({"findings": {"normal": {"zh": "正常"}}})
    with pytest.raises(ValueError, match=r"findings\.dr1\.terms"):
        bad = {code: {"zh": code} for code in vocab.findings}
        bad["dr1"]["terms"] = "not a list"
        parse_vocabulary({"findings": bad})


def test_normalizer_accepts_a_custom_dictionary() -> None:
    vocab = load_vocabulary()
    custom = Normalizer(
        parse_vocabulary(
            {
                "findings": {
                    c: {"zh": f.zh, "terms": list(f.terms)} for c, f in vocab.findings.items()
                },
                "abbreviations": {"XY": "测试眼"},
            }
        )
    )
    assert custom("XY眼出血") == "测试眼出血"
    assert custom("OD出血") == "OD出血"  # not in this dictionary
