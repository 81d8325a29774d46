"""Report tables in every declared dialect."""

from __future__ import annotations

import codecs
import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
from archive_helpers import CANONICAL_HEADER, write

from revision_pipeline.archive.config import CANONICAL_DIALECT, Dialect
from revision_pipeline.archive.reports import (
    REJECT_COLUMNS,
    REPORT_COLUMNS,
    csv_delimiter,
    read_reports,
    reason_code,
)

CN_COLUMNS = {
    "检查号": "exam_id",
    "病历号": "patient_id",
    "姓名": "patient_name",
    "身份证号": "id_number",
    "性别": "sex",
    "年龄": "age",
    "检查日期": "exam_date",
    "诊断意见": "report",
}


def _csv(rows: list[str]) -> str:
    return CANONICAL_HEADER + "".join(r + "\n" for r in rows)


def _reasons(table) -> dict[str, str]:
    return dict(zip(table.rejects["source"], table.rejects["reason"], strict=True))


def test_canonical_utf8(archive: Path) -> None:
    write(
        archive / "H1" / "reports.csv",
        _csv(
            [
                'E1,P1,张三,110101199003071234,男,33,2023-03-05,"双眼未见异常，建议随访"',
                "E2,P2,李四,,女,,2023年3月6日,右眼黄斑水肿",
            ]
        ),
    )
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert list(table.reports.columns) == list(REPORT_COLUMNS)
    assert list(table.rejects.columns) == list(REJECT_COLUMNS)
    assert table.n_rows == 2 and table.rejects.empty
    first = table.reports.iloc[0].to_dict()
    assert first["report"] == "双眼未见异常，建议随访"
    assert first["exam_date"] == dt.date(2023, 3, 5)
    assert first["source"] == "H1/reports.csv#1"
    assert first["institution_id"] == "H1"
    assert table.reports.iloc[1]["id_number"] == ""
    assert table.reports.iloc[1]["exam_date"] == dt.date(2023, 3, 6)
    assert list(table.reports["exam_date_text"]) == ["2023-03-05", "2023年3月6日"]


def test_a_date_that_does_not_parse_is_kept_as_written(archive: Path) -> None:
    write(archive / "H1" / "reports.csv", _csv(["E1,P1,张三,,男,33,05/03/2023,正常"]))
    row = read_reports(archive, "H1", CANONICAL_DIALECT).reports.iloc[0]
    assert row["exam_date"] is None  # day/month order unknown
    assert row["exam_date_text"] == "05/03/2023"


def test_bom_whitespace_headers_any_case_and_extra_columns(archive: Path) -> None:
    text = " Exam_ID ,REPORT,notes, Exam_Date\nE1,正常,x,2023/3/5\n"
    write(archive / "H1" / "reports.csv", codecs.BOM_UTF8 + text.encode())
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    row = table.reports.iloc[0]
    assert (row["exam_id"], row["report"], row["exam_date"]) == ("E1", "正常", dt.date(2023, 3, 5))
    assert row["patient_name"] == ""  # absent optional columns are empty


@pytest.mark.parametrize("delimiter", ["\t", ";", "|"])
def test_other_field_separators_are_detected(archive: Path, delimiter: str) -> None:
    """Exports from other tools and locales: tab-, semicolon- or bar-separated reports.csv,
    with commas inside the report text left alone."""
    header = CANONICAL_HEADER.strip().split(",")
    rows = [
        ["E1", "P1", "张三", "", "男", "60", "2023-03-05", "右眼：杯盘比0.6, 左眼正常"],
        ["E2", "P2", "李四", "", "女", "", "2023-03-06", "双眼未见异常"],
    ]
    text = "".join(delimiter.join(r) + "\n" for r in [header, *rows])
    write(archive / "H1" / "reports.csv", text)
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert table.rejects.empty and table.n_rows == 2
    assert table.reports["exam_id"].tolist() == ["E1", "E2"]
    assert table.reports.iloc[0]["report"] == "右眼：杯盘比0.6, 左眼正常"


def test_comma_stays_the_separator_of_a_canonical_file() -> None:
    assert csv_delimiter(CANONICAL_HEADER + 'E1,P1,x,,,,2023-01-01,"a; b | c"\n') == ","
    assert csv_delimiter("exam_id\nE1\n") == ","  # one column: nothing to detect
    assert csv_delimiter("") == ","


def test_gbk_chinese_headers_mapped(archive: Path) -> None:
    header = ",".join(CN_COLUMNS) + ",备注\n"
    body = "A-001,M9,王五,,男,61,2023年03月05日 星期日,左眼视网膜静脉阻塞,无\n"
    write(archive / "H2" / "检查报告.csv", (header + body).encode("gbk"))
    dialect = Dialect.model_validate({"reports": {"file": "检查报告.csv", "columns": CN_COLUMNS}})
    table = read_reports(archive, "H2", dialect)
    row = table.reports.iloc[0]
    assert row["exam_id"] == "A-001" and row["patient_name"] == "王五"
    assert row["report"] == "左眼视网膜静脉阻塞"
    assert row["exam_date"] == dt.date(2023, 3, 5)
    assert row["source"] == "H2/检查报告.csv#1"


def test_gb18030_explicit_encoding(archive: Path) -> None:
    write(archive / "H1" / "reports.csv", _csv(["E1,,,,,,,𠀀糖网病变"]), encoding="gb18030")
    dialect = Dialect.model_validate({"reports": {"encoding": "gb18030"}})
    assert read_reports(archive, "H1", dialect).reports.iloc[0]["report"] == "𠀀糖网病变"


def test_row_rejects_and_duplicates(archive: Path) -> None:
    rows = [
        "E1,P1,,,,,2023-03-05,报告一",  # 1 kept
        ",P2,,,,,,报告二",  # 2 missing exam id
        "E3,P3,,,,,,  ",  # 3 empty report
        "E1,P1,,,,,2023-03-05,报告一",  # 4 identical duplicate of 1
        "e1 ,P9,,,,,,另一份报告",  # 5 differing duplicate (case, space)
        "",  # 6 blank: skipped, keeps its number
        "E7,P7,,,,,,报告七,extra",  # 7 too many fields
        "E8,P8,,,,,,报告八,",  # 8 a trailing empty field is fine
    ]
    write(archive / "H1" / "reports.csv", _csv(rows))
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert list(table.reports["source"]) == ["H1/reports.csv#1", "H1/reports.csv#8"]
    reasons = _reasons(table)
    assert reasons == {
        "H1/reports.csv#2": "missing_exam_id",
        "H1/reports.csv#3": "empty_report",
        "H1/reports.csv#4": "duplicate_exam_row: kept H1/reports.csv#1 (identical)",
        "H1/reports.csv#5": "duplicate_exam_row: kept H1/reports.csv#1 (differs)",
        "H1/reports.csv#7": "malformed_row: 9 fields, header has 8",
    }
    assert set(table.rejects["stage"]) == {"ingest"}
    assert table.n_rows == len(table.reports) + len(table.rejects) == 7


def test_multiline_quoted_report_keeps_record_numbers(archive: Path) -> None:
    write(archive / "H1" / "reports.csv", _csv(['E1,,,,,,,"第一行\n第二行"', "E2,,,,,,,二"]))
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert table.reports.iloc[0]["report"] == "第一行\n第二行"
    assert list(table.reports["source"]) == ["H1/reports.csv#1", "H1/reports.csv#2"]


def test_jsonl_with_a_broken_line(archive: Path) -> None:
    lines = [
        json.dumps({"examNo": 20230305001, "conclusion": "正常", "studyDate": "20230305"}),
        '{"examNo": "X2", "conclusion": "broken',
        "",
        json.dumps(["not", "an", "object"]),
        json.dumps({"examNo": "X5", "conclusion": "右眼白内障", "age": 70.0}, ensure_ascii=False),
    ]
    write(archive / "H3" / "export" / "reports.jsonl", "\n".join(lines) + "\n")
    dialect = Dialect.model_validate(
        {
            "reports": {
                "file": "export/reports.jsonl",
                "format": "jsonl",
                "columns": {"examNo": "exam_id", "conclusion": "report", "studyDate": "exam_date"},
            }
        }
    )
    table = read_reports(archive, "H3", dialect)
    assert list(table.reports["exam_id"]) == ["20230305001", "X5"]
    assert table.reports.iloc[0]["exam_date"] == dt.date(2023, 3, 5)
    assert table.reports.iloc[1]["age"] == "70"
    reasons = _reasons(table)
    assert reasons["H3/export/reports.jsonl#2"].startswith("malformed_json_line:")
    assert reasons["H3/export/reports.jsonl#4"].startswith("malformed_json_line: a list")
    assert table.n_rows == 4


def test_excel_sheet(archive: Path) -> None:
    frame = pd.DataFrame(
        {
            "检查编号": [1001, 1002],
            "患者姓名": ["赵六", "钱七"],
            "拍摄日期": [pd.Timestamp("2023-03-05"), "2023年3月6日"],
            "报告内容": ["双眼正常", None],
        }
    )
    path = archive / "H4" / "登记表.xlsx"
    path.parent.mkdir(parents=True)
    with pd.ExcelWriter(path) as writer:
        pd.DataFrame({"x": [1]}).to_excel(writer, sheet_name="说明", index=False)
        frame.to_excel(writer, sheet_name="数据", index=False)
    columns = {"检查编号": "exam_id", "患者姓名": "patient_name", "拍摄日期": "exam_date"}
    columns["报告内容"] = "report"
    dialect = Dialect.model_validate(
        {"reports": {"file": "登记表.xlsx", "sheet": "数据", "columns": columns}}
    )
    table = read_reports(archive, "H4", dialect)
    assert list(table.reports["exam_id"]) == ["1001"]
    assert table.reports.iloc[0]["exam_date"] == dt.date(2023, 3, 5)
    assert _reasons(table) == {"H4/登记表.xlsx#2": "empty_report"}
    by_index = Dialect.model_validate(
        {"reports": {"file": "登记表.xlsx", "sheet": 1, "columns": columns}}
    )
    assert len(read_reports(archive, "H4", by_index).reports) == 1


@pytest.mark.parametrize(
    ("file", "data", "fmt", "why"),
    [
        ("reports.csv", "exam_id,report\nE1,正常\n".encode("utf-16-le"), None, "NUL"),
        ("reports.csv", b"", None, "no header"),
        ("r.xlsx", b"PK\x03\x04 this is not a workbook", None, "xlsx"),
        ("r.xlsx", b"", "excel", "xlsx"),
    ],
)
def test_unreadable_file_is_one_reject(
    archive: Path, file: str, data: bytes, fmt: str | None, why: str
) -> None:
    write(archive / "H1" / file, data)
    dialect = Dialect.model_validate({"reports": {"file": file, "format": fmt}})
    table = read_reports(archive, "H1", dialect)
    assert table.reports.empty and list(table.reports.columns) == list(REPORT_COLUMNS)
    assert len(table.rejects) == 1
    row = table.rejects.iloc[0]
    assert row["source"] == f"H1/{file}"
    assert row["reason"].startswith("unreadable_reports_file: ")
    assert why in row["reason"]


def test_missing_required_columns(archive: Path) -> None:
    write(archive / "H1" / "reports.csv", "exam_id,诊断\nE1,正常\n")
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert table.reports.empty
    assert _reasons(table) == {"H1/reports.csv": "missing_column: report"}
    assert table.n_rows == 1


def test_missing_reports_file(archive: Path) -> None:
    (archive / "H1").mkdir()
    table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert _reasons(table) == {"H1/reports.csv": "missing_reports_file"}


def test_unknown_sheet_is_unreadable(archive: Path) -> None:
    path = archive / "H4" / "r.xlsx"
    path.parent.mkdir(parents=True)
    pd.DataFrame({"exam_id": ["E1"], "report": ["正常"]}).to_excel(path, index=False)
    dialect = Dialect.model_validate({"reports": {"file": "r.xlsx", "sheet": "数据"}})
    (reason,) = read_reports(archive, "H4", dialect).rejects["reason"]
    assert reason.startswith("unreadable_reports_file: no sheet '数据'")
    assert reason_code(reason) == "unreadable_reports_file"


def test_a_file_without_header_row_is_rejected_without_logging_its_first_row(
    archive: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(archive / "H1" / "reports.csv", "E1,P1,张三丰,110101199003071234,男,33,2023-03-05,正常\n")
    with caplog.at_level("WARNING"):
        table = read_reports(archive, "H1", CANONICAL_DIALECT)
    assert set(table.rejects["reason"]) == {"missing_column: exam_id", "missing_column: report"}
    assert "lacks column(s)" in caplog.text
    assert "张三丰" not in caplog.text and "110101199003071234" not in caplog.text
