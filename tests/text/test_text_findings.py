"""Tests for revision_pipeline.text.findings."""

from __future__ import annotations

from pathlib import Path

import pytest

from revision_pipeline.text import extract_eye_findings, extract_findings
from revision_pipeline.text.findings import FindingExtractor, get_extractor
from revision_pipeline.text.normalize import Normalizer
from revision_pipeline.text.vocab import DEFAULT_VOCAB_PATH, load_vocabulary


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("眼底未见明显异常", ["normal"]),
        ("未见明显异常", ["normal"]),
        ("视盘界清，C/D 0.3，黄斑中心凹反光可见", ["normal"]),  # silence means normal
        ("视网膜平伏，未见出血、渗出及新生血管", ["normal"]),  # negation covers the list
        ("无新生血管但可见硬性渗出", []),  # lesion without a diagnosis: not normal
        ("视网膜可见散在出血", []),
        ("", []),
        ("不伴有黄斑水肿", ["normal"]),
    ],
)
def test_normal_convention(text: str, codes: list[str]) -> None:
    assert extract_findings(text) == codes


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("DR2期", ["dr2"]),
        ("DR I期", ["dr1"]),
        ("糖尿病视网膜病变III期", ["dr3"]),
        ("糖尿病视网膜病变V期", ["dr4"]),  # Chinese stages IV-VI are proliferative
        ("重度非增殖期糖尿病视网膜病变", ["dr3"]),
        ("非增殖期糖尿病视网膜病变（中度）", ["dr2"]),
        ("增殖期糖尿病视网膜病变", ["dr4"]),
        ("增生性糖尿病视网膜病变", ["dr4"]),
        ("糖网2期", ["dr2"]),
        ("轻度NPDR，PDR", ["dr4"]),  # highest grade only
        ("糖尿病视网膜病变", []),  # ungraded: abnormal, no code
        ("DR筛查：双眼未见异常", ["normal"]),  # the screening programme is no finding
    ],
)
def test_dr_grades(text: str, codes: list[str]) -> None:
    assert extract_findings(text) == codes


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("可疑青光眼", ["normal"]),
        ("青光眼待排", ["normal"]),
        ("考虑年龄相关性黄斑变性", ["normal"]),
        ("青光眼?", ["normal"]),
        ("不除外视网膜静脉阻塞", ["normal"]),
        ("排除青光眼", ["normal"]),
        ("否认高血压性视网膜病变", ["normal"]),
        ("黄斑区可疑玻璃膜疣，建议随访", ["normal"]),
        ("青光眼，可疑年龄相关性黄斑变性", ["glaucoma"]),
        ("未见青光眼，年龄相关性黄斑变性", ["amd"]),  # negation stops at the comma
        ("动静脉交叉压迫征(+)", ["hypertensive_retinopathy"]),
    ],
)
def test_negation_and_uncertainty(text: str, codes: list[str]) -> None:
    assert extract_findings(text) == codes


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("視網膜中央靜脈阻塞", ["rvo"]),
        ("ＡＭＤ（濕性）", ["amd"]),
        ("豹纹状眼底，视盘旁萎缩弧", ["pathologic_myopia"]),
        ("视杯扩大，盘沿变窄", ["glaucoma"]),
        ("BRVO，高血压眼底改变，青光眼", ["glaucoma", "hypertensive_retinopathy", "rvo"]),
    ],
)
def test_terms_synonyms_and_sorting(text: str, codes: list[str]) -> None:
    assert extract_findings(text) == codes


def test_eye_findings_with_scoped_negation() -> None:
    got = extract_eye_findings("右眼未见出血，左眼可见出血")
    assert got == {"OD": ["normal"], "OS": []}
    got = extract_eye_findings("右眼：DR3期。左眼：未见明显异常。双眼动脉变细。")
    assert got == {"OD": ["dr3", "hypertensive_retinopathy"], "OS": ["hypertensive_retinopathy"]}
    got = extract_eye_findings("OD: CRVO OS: 同右眼")
    assert got == {"OD": ["rvo"], "OS": ["rvo"]}


def test_mentions_report_status_and_position() -> None:
    mentions = get_extractor().mentions("未见新生血管，可疑青光眼，右眼黄斑变性")
    by_term = {m.term: m for m in mentions}
    assert by_term["新生血管"].status == "negated"
    assert by_term["青光眼"].status == "uncertain"
    assert by_term["黄斑变性"].status == "positive"
    assert by_term["黄斑变性"].code == "amd"
    assert mentions == sorted(mentions, key=lambda m: m.start)


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        # diagnoses outside the label set: abnormal, so not "normal", but no code
        ("右眼孔源性视网膜脱离", []),
        ("左眼黄斑裂孔，黄斑前膜", []),
        ("双眼视网膜色素变性", []),
        ("视神经萎缩，视盘苍白", []),
        ("CSC", []),  # abbreviation expanded to 中心性浆液性脉络膜视网膜病变
        ("CRAO", []),
        ("屈光间质混浊，白内障", []),
        # negated, they leave a healthy eye
        ("未见视网膜脱离及裂孔", ["normal"]),
        ("排除视网膜色素变性", ["normal"]),
        # beside a labelled finding, the code stands
        ("青光眼，伴黄斑前膜", ["glaucoma"]),
        ("视网膜中央静脉阻塞，黄斑囊样水肿", ["rvo"]),
    ],
)
def test_unlabelled_diagnoses_are_not_normal(text: str, codes: list[str]) -> None:
    assert extract_findings(text) == codes


def test_other_findings_come_from_the_dictionary(tmp_path: Path) -> None:
    text = DEFAULT_VOCAB_PATH.read_text(encoding="utf-8")
    assert "other_findings:" in text
    path = tmp_path / "findings.yml"
    path.write_text(text.replace("other_findings: [", "other_findings: [葡萄肿样变, "), "utf-8")
    extractor = FindingExtractor(Normalizer(load_vocabulary(path)))
    assert extractor.extract("右眼葡萄肿样变") == []
    assert get_extractor().extract("右眼葡萄肿样变") == ["normal"]  # unknown to the default
