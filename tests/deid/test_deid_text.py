"""Unit behaviour of the text scrubber."""

from __future__ import annotations

import pytest

from revision_pipeline.deid.text import PhiSpan, find_phi, normalize, scrub


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("患者张三，男，65岁", "患者[姓名]，男，65岁"),
        ("姓名：欧阳娜娜 年龄：95", "姓名：[姓名] 年龄：[年龄]"),
        ("姓 名：于巧", "姓 名：[姓名]"),
        ("王医生建议复查", "[姓名]医生建议复查"),
        ("李女士诉眼干", "[姓名]诉眼干"),
        ("Patient: John Smith", "Patient: [姓名]"),
        ("手机１３８００１３８０００", "手机[电话]"),
        ("电话 138 0013 8000", "电话 [电话]"),
        ("(0755)1234567", "[电话]"),
        ("+86 20 8765 4321", "[电话]"),
        ("zs1978@163.com", "[邮箱]"),
        ("微信：zhang_san88", "微信：[社交账号]"),
        ("身份证 110101 19900101 123X", "身份证 [身份证号]"),
        ("住址：广州市天河区中山大道西123号", "住址：[地址]"),
        ("家住北京市朝阳区建国路88号3栋1201室。", "家住[地址]。"),
        ("门诊号：MZ23081234567", "门诊号：[编号]"),
        ("12床", "[编号]床"),
        ("设备号：TRC-NW8-20391", "设备号：[编号]"),
        ("2023-03-05", "[日期]"),
        ("2023/3/5", "[日期]"),
        ("2023.03.05", "[日期]"),
        ("2023年3月5日", "[日期]"),
        ("二〇二三年三月五日", "[日期]"),
        ("23-3-5", "[日期]"),
        ("92岁", "[年龄]"),
        ("醫生：張學友", "醫生：[姓名]"),
    ],
)
def test_phi_is_replaced(text, expected):
    assert scrub(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "患者黄斑区水肿，白内障术后，高血压病史10年",
        "常规检查，既往史无特殊，毛细血管扩张，包括视盘",
        "杯盘比0.6，C/D 0.7，眼压21mmHg，视力0.8，1.0",
        "DR2期，III期，病史10年，3个月，67岁，89岁",
        "OD/OS NPDR PDR AMD BRVO，右眼，左眼，E11.3",
        "患者周边视网膜格子样变性，陈旧性出血，孔源性视网膜脱离",
        "视力20/40，眼压 18/17 mmHg，2019年确诊",
    ],
)
def test_clinical_text_untouched(text):
    assert find_phi(text) == []
    assert scrub(text) == text


def test_known_identifiers_removed_without_cue():
    text = "张伟双眼视力下降，检查号EX-2023-0005，复查号 P000 123"
    out = scrub(text, known=["张伟", "EX-2023-0005", "P000123", "7", ""])
    assert "张伟" not in out and "EX-2023-0005" not in out and "P000 123" not in out
    assert out.startswith("[姓名]双眼视力下降")


def test_short_known_numbers_do_not_eat_measurements():
    assert scrub("视力0.12，眼压12mmHg", known=["12"]) == "视力0.12，眼压12mmHg"


def test_spans_map_to_original_offsets():
    text = "姓名：刘德华　電話：１３９ １２３４ ５６７８"
    spans = find_phi(text)
    assert [s.kind for s in spans] == ["姓名", "电话"]
    assert text[spans[1].start : spans[1].end] == "１３９ １２３４ ５６７８"
    assert all(isinstance(s, PhiSpan) for s in spans)
    assert len(normalize(text)) == len(text)


def test_untouched_characters_are_the_original_ones():
    text = "ＯＤ：视盘界清，患者张三（男）"
    assert scrub(text) == "ＯＤ：视盘界清，患者[姓名]（男）"


@pytest.mark.parametrize(
    ("text", "phi"),
    [
        ("报告医师：：张凯  审核医师：余月", ["张凯", "余月"]),
        ("联系电话：：13800138000", ["13800138000"]),
        ("病历号：：MR0012345，诊断：DR2期", ["MR0012345"]),
        ("Doctor:: John Smith", ["John Smith"]),
    ],
)
def test_doubled_colon_after_a_cue_still_scrubs(text: str, phi: list[str]) -> None:
    out = scrub(text)
    for value in phi:
        assert value not in out


def test_known_short_name_inside_clinical_words_is_left_alone() -> None:
    """Patient 张明's own report: the name goes wherever it is written as a name, but
    扩张明显 (扩张 / 明显) stays whole."""
    out = scrub("视网膜静脉扩张明显。患者张明复查，张明天复诊。", known=["张明"])
    assert out == "视网膜静脉扩张明显。患者[姓名]复查，[姓名]天复诊。"
    assert scrub("右眼扩张明显", known=["张明显"]) == "右眼扩[姓名]"  # 3 characters: always
