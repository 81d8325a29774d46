"""Tests for revision_pipeline.text.eyes.split_by_eye."""

from __future__ import annotations

import pytest

from revision_pipeline.text import split_by_eye


def test_heading_style_report_keeps_following_sentences_with_the_eye() -> None:
    parts = split_by_eye("右眼：视盘界清，黄斑区出血。可见硬性渗出。左眼：未见明显异常。")
    assert parts["OD"] == "右眼：视盘界清，黄斑区出血。可见硬性渗出。"
    assert parts["OS"] == "左眼：未见明显异常。"


def test_abbreviated_labels_on_one_line() -> None:
    parts = split_by_eye("OD: DR2期 OS: 未见异常")
    assert "中度非增殖期糖尿病视网膜病变" in parts["OD"]
    assert "未见异常" not in parts["OD"]
    assert parts["OS"] == "左眼：未见异常。"


def test_two_eyes_in_one_sentence_and_bilateral_sentences() -> None:
    parts = split_by_eye("右眼视网膜出血，左眼未见出血。双眼动脉变细。")
    assert parts["OD"] == "右眼视网膜出血。双眼动脉变细。"
    assert parts["OS"] == "左眼未见出血。双眼动脉变细。"


def test_sentences_without_an_eye_go_to_both() -> None:
    text = "视盘界清，C/D 0.3，黄斑中心凹反光可见。"
    parts = split_by_eye(text)
    assert parts["OD"] == parts["OS"] == "视盘界清，杯盘比0.3，黄斑中心凹反光可见。"


def test_two_section_report_splits_each_section() -> None:
    parts = split_by_eye(
        "眼底所见：右眼视网膜可见点状出血，左眼视盘界清。诊断：右眼DR2期 左眼未见明显异常"
    )
    assert parts["OD"] == (
        "眼底所见：右眼视网膜可见点状出血。诊断：右眼中度非增殖期糖尿病视网膜病变。"
    )
    assert parts["OS"] == "眼底所见：左眼视盘界清。诊断：左眼未见明显异常。"


def test_section_header_resets_an_eye_heading() -> None:
    parts = split_by_eye("右眼：出血。诊断：高血压性视网膜病变")
    assert "高血压性视网膜病变" in parts["OS"]


def test_numbered_diagnoses_with_single_letter_labels() -> None:
    parts = split_by_eye(
        "检查结论：\n1. R 糖尿病视网膜病变3期\n2. L 老年性黄斑变性\n3.高血压性视网膜病变"
    )
    assert "重度非增殖期糖尿病视网膜病变" in parts["OD"]
    assert "黄斑变性" not in parts["OD"]
    assert "年龄相关性黄斑变性" in parts["OS"]
    assert "糖尿病" not in parts["OS"]
    assert "高血压性视网膜病变" in parts["OD"] and "高血压性视网膜病变" in parts["OS"]


@pytest.mark.parametrize(
    "text",
    ["右眼视网膜分支静脉阻塞。左眼同右眼。", "右眼视网膜分支静脉阻塞。左眼同前。"],
)
def test_back_reference_copies_the_other_eye(text: str) -> None:
    parts = split_by_eye(text)
    assert parts["OS"] == "左眼视网膜分支静脉阻塞。"


def test_forward_back_reference() -> None:
    parts = split_by_eye("右眼同左眼。左眼：豹纹状眼底，视盘旁萎缩弧。")
    assert parts["OD"] == "右眼豹纹状眼底，视盘旁萎缩弧。"


def test_comparison_is_not_an_eye_marker() -> None:
    parts = split_by_eye("右眼出血较左眼重")
    assert parts == {"OD": "右眼出血较左眼重。", "OS": ""}


def test_uncertainty_mark_survives_as_terminator() -> None:
    parts = split_by_eye("诊断：1.右眼视网膜中央静脉阻塞 2.左眼年龄相关性黄斑变性?")
    assert parts["OS"].endswith("年龄相关性黄斑变性？")


def test_placeholders_kept_and_empty_input() -> None:
    parts = split_by_eye("患者[姓名]，[日期]就诊。右眼：青光眼")
    assert parts["OD"].startswith("患者[姓名]，[日期]就诊。")
    assert "青光眼" not in parts["OS"]
    assert split_by_eye("") == {"OD": "", "OS": ""}


def test_leading_cue_is_given_to_each_eye() -> None:
    parts = split_by_eye("考虑右眼视网膜分支静脉阻塞，左眼年龄相关性黄斑变性")
    assert parts["OD"] == "右眼考虑视网膜分支静脉阻塞。"
    assert parts["OS"] == "左眼考虑年龄相关性黄斑变性。"
