"""Exam records: pseudonyms, the identifiers table, per-eye pairing, no structured PHI."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from revision_pipeline.curation.records import (
    EXAM_COLUMNS,
    deidentify_exams,
    exam_key,
    identifiers_of,
    normalise_id_number,
    pair_rows,
    patient_key,
    says_nothing,
)

SECRET = b"0123456789abcdef0123456789abcdef"
ID_A = "110101199003071234"
REPORT = (
    "患者张伟，电话13812345678。右眼：视网膜可见微动脉瘤及少量出血。左眼：黄斑区可见玻璃膜疣。"
    "诊断：右眼糖尿病视网膜病变（轻度非增殖期）；左眼年龄相关性黄斑变性。"
)


def _reports(rows: list[dict[str, str]]) -> pd.DataFrame:
    base = {
        "patient_name": "张伟",
        "id_number": "",
        "sex": "男",
        "age": "61",
        "exam_date": "2021-03-04",
        "report": REPORT,
    }
    return pd.DataFrame([{**base, **r} for r in rows])


@pytest.fixture
def exams() -> pd.DataFrame:
    reports = _reports(
        [
            {
                "institution_id": "H1",
                "exam_id": "EX0001",
                "patient_id": "MRN-77",
                "id_number": ID_A,
            },
            {
                "institution_id": "H2",
                "exam_id": "9001",
                "patient_id": "ZY-123",
                "id_number": "1101 0119 9003 07123 4",
            },
            {
                "institution_id": "H2",
                "exam_id": "9002",
                "patient_id": "MRN-77",
                "patient_name": "李娜",
                "report": "双眼未见明显异常。",
            },
        ]
    )
    return deidentify_exams(reports, SECRET, progress=False)


def test_same_national_id_at_two_institutions_gets_one_pseudonym(exams) -> None:
    assert exams["patient_pid"].iloc[0] == exams["patient_pid"].iloc[1]
    # the same local record number at another institution is another person
    assert exams["patient_pid"].iloc[2] != exams["patient_pid"].iloc[0]
    assert exams["exam_pid"].is_unique
    again = deidentify_exams(
        _reports(
            [{"institution_id": "H1", "exam_id": "EX0001", "patient_id": "x", "id_number": ID_A}]
        ),
        SECRET,
        False,
    )
    assert again["patient_pid"].iloc[0] == exams["patient_pid"].iloc[0]  # stable across runs
    other = deidentify_exams(
        _reports(
            [{"institution_id": "H1", "exam_id": "EX0001", "patient_id": "x", "id_number": ID_A}]
        ),
        b"x" * 32,
        False,
    )
    assert other["patient_pid"].iloc[0] != exams["patient_pid"].iloc[0]  # keyed by the secret


def test_patient_key_and_id_normalisation() -> None:
    assert normalise_id_number("11010119900307123x") == "11010119900307123X"
    assert normalise_id_number("１１０１０１１９９００３０７１２３４") == ID_A  # full-width
    assert normalise_id_number("12345") == ""
    assert patient_key("H1", "p1", ID_A) == patient_key("H9", "other", ID_A.replace("1", "1 ", 1))
    assert patient_key("H1", " p1 ", "") == "local:H1:p1" != patient_key("H2", "p1", "")
    assert exam_key("H1", " ＥＸ0001 ") == exam_key("H1", "ex0001")


def test_no_structured_phi_in_the_output_columns(exams) -> None:
    assert list(exams.columns) == list(EXAM_COLUMNS)
    phi = ["张伟", "李娜", "MRN-77", "ZY-123", ID_A, "EX0001", "9001", "13812345678", "2021-03-04"]
    public = exams.drop(columns="exam_key")  # exam_key stays inside the PHI boundary
    text = public.astype(str).to_string()
    for value in phi:
        assert value not in text, value
    assert "[姓名]" in exams["report"].iloc[0]


def test_per_eye_reports_and_labels(exams) -> None:
    first = exams.iloc[0]
    assert "右眼" in first["report_od"] and "左眼" not in first["report_od"]
    assert "左眼" in first["report_os"] and "右眼" not in first["report_os"]
    assert list(first["labels_od"]) == ["dr1"]
    assert list(first["labels_os"]) == ["amd"]
    assert sorted(first["labels"]) == ["amd", "dr1"]
    assert list(exams.iloc[2]["labels"]) == ["normal"]


def test_pair_rows_give_each_photo_its_eyes_report(exams) -> None:
    keys = exams["exam_key"].tolist()
    images = pd.DataFrame(
        {
            "institution_id": ["H1", "H1", "H1", "H2"],
            "source": ["a_OD.jpg", "a_OS.jpg", "a_X.jpg", "b_OS.jpg"],
            "exam_key": [keys[0], keys[0], keys[0], keys[2]],
            "eye": ["OD", "OS", "unknown", "OS"],
            "quality_score": [0.9, 0.8, 0.7, 0.6],
            "crop_path": ["c"] * 4,
            "pair_id": list("wxyz"),
        }
    )
    pairs = pair_rows(images, exams).set_index("source")
    first = exams.iloc[0]
    assert pairs.loc["a_OD.jpg", "report"] == first["report_od"]
    assert pairs.loc["a_OD.jpg", "labels"] == ["dr1"]
    assert pairs.loc["a_OS.jpg", "report"] == first["report_os"]
    assert pairs.loc["a_OS.jpg", "labels"] == ["amd"]
    assert pairs.loc["a_X.jpg", "report"] == first["report"]  # unknown eye: whole report
    assert sorted(pairs.loc["a_X.jpg", "labels"]) == ["amd", "dr1"]
    assert pairs.loc["b_OS.jpg", "labels"] == ["normal"]
    assert pairs.loc["a_OD.jpg", "patient_pid"] == first["patient_pid"]


def test_identifiers_table_lists_what_the_archive_holds() -> None:
    reports = _reports(
        [
            {
                "institution_id": "H1",
                "exam_id": "EX0001",
                "patient_id": "MRN-77",
                "id_number": ID_A,
            },
            {
                "institution_id": "H1",
                "exam_id": "EX0002",
                "patient_id": "MRN-77",
                "id_number": ID_A,
            },
            {"institution_id": "H1", "exam_id": "7", "patient_id": "MRN-78", "patient_name": "李"},
        ]
    )
    table = identifiers_of(reports)
    assert list(table.columns) == ["kind", "value"]
    found = set(zip(table["kind"], table["value"], strict=True))
    assert {
        ("patient_name", "张伟"),
        ("patient_id", "MRN-77"),
        ("patient_id", "MRN-78"),
        ("id_number", ID_A),
        ("exam_id", "EX0001"),
        ("exam_id", "EX0002"),
        ("exam_date", "2021-03-04"),
    } <= found
    assert not table.duplicated().any()
    assert "7" not in set(table["value"]) and "李" not in set(table["value"])  # too short


def test_identifiers_keep_an_unparsed_exam_date_as_written() -> None:
    reports = _reports(
        [
            {"institution_id": "H1", "exam_id": "EX1", "patient_id": "MRN-1"},
            {"institution_id": "H1", "exam_id": "EX2", "patient_id": "MRN-2"},
            {"institution_id": "H1", "exam_id": "EX3", "patient_id": "MRN-3"},
        ]
    )
    reports["exam_date"] = [dt.date(2021, 3, 4), None, None]
    reports["exam_date_text"] = ["45355", "05/03/2023", "n/a"]
    dates = set(identifiers_of(reports).query("kind == 'exam_date'")["value"])
    # parsed: the ISO form (the audit adds its spellings); unparsed: as written; a
    # parsed Excel serial and text without digits are not searched for
    assert dates == {"2021-03-04", "05/03/2023"}


@pytest.mark.parametrize(
    ("text", "empty"),
    [("", True), ("  ", True), ("。", True), ("，。 \n", True), (None, True),
     ("右眼正常。", False), ("DR", False), ("双眼未见明显异常", False)],
)  # fmt: skip
def test_says_nothing(text: str | None, empty: bool) -> None:
    assert says_nothing(text) is empty
