"""Whole archives: discovery, pairing, invariants across every dialect."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest
from archive_helpers import CANONICAL_HEADER, assert_invariant, write, write_dicom, write_images

from revision_pipeline.archive import (
    MATCHED_COLUMNS,
    REJECT_COLUMNS,
    discover_institutions,
    iter_institutions,
    load_dialects,
    match_images,
    read_institution,
)
from revision_pipeline.archive.config import CANONICAL_DIALECT

DIALECTS_YML = """
H2:
  reports:
    file: 检查报告.csv
    columns: {检查号: exam_id, 姓名: patient_name, 检查日期: exam_date, 诊断意见: report}
H3:
  reports:
    file: export/reports.jsonl
    format: jsonl
    columns: {examNo: exam_id, conclusion: report}
H4:
  reports:
    file: 登记表.xlsx
    format: excel
    sheet: 0
    columns: {检查编号: exam_id, 报告内容: report}
H5:
  images:
    pattern: '(?P<exam_id>[^/]+)/(?P<eye>[^/_.]+)(?:_(?P<seq>\\d+))?\\.(?P<ext>[A-Za-z]+)'
H6:
  images:
    dir: dicom
    pattern: '(?P<exam_id>[^/_]+)_(?P<seq>\\d+)\\.(?P<ext>dcm)'
H7:
  images:
    pattern: '(?P<patient_id>[^/_]+)_(?P<exam_id>[^/_]+)_(?P<eye>右眼|左眼)\\.(?P<ext>[A-Za-z]+)'
    eye_tokens: {右眼: OD, 左眼: OS}
"""


def _csv_rows(rows: list[tuple[str, str]]) -> str:
    return CANONICAL_HEADER + "".join(f"{e},P,,,,,2023-03-05,{r}\n" for e, r in rows)


@pytest.fixture
def full_archive(archive: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Every dialect, with good and bad items; returns (root, institutions.yml)."""
    # H1 canonical UTF-8 with rejects of every image kind
    write(archive / "H1" / "reports.csv", _csv_rows([("E1", "正常"), ("E2", "白内障"), ("E3", "")]))
    write_images(archive / "H1" / "images", ["E1_OD.jpg", "e1_OS_2.jpg", "E9_OD.jpg", "x.txt"])
    write_images(archive / "H1" / "images", [".DS_Store", "E1.jpg", "E3_OS.jpg"])
    write(archive / "H1" / "images" / "E2_OD.jpg", b"")
    # H2 GBK with Chinese headers
    text = "检查号,姓名,检查日期,诊断意见\nA1,王五,2023年3月5日,右眼黄斑变性\n"
    write(archive / "H2" / "检查报告.csv", text.encode("gbk"))
    write_images(archive / "H2" / "images", ["A1_右.jpg", "A1_左.jpg"])
    # H3 JSON Lines with a broken line
    lines = [json.dumps({"examNo": "J1", "conclusion": "正常"}), "{broken"]
    write(archive / "H3" / "export" / "reports.jsonl", "\n".join(lines))
    write_images(archive / "H3" / "images", ["J1_OD.png"])
    # H4 Excel
    path = archive / "H4" / "登记表.xlsx"
    path.parent.mkdir()
    pd.DataFrame({"检查编号": ["X1", "X2"], "报告内容": ["正常", "青光眼"]}).to_excel(
        path, index=False
    )
    write_images(archive / "H4" / "images", ["X1_L.jpg", "X2_R.jpg"])
    # H5 per-exam folders
    write(archive / "H5" / "reports.csv", _csv_rows([("F1", "正常")]))
    write_images(archive / "H5" / "images", ["F1/R.jpg", "F1/L_2.jpg"])
    # H6 DICOM with the eye in the header
    write(archive / "H6" / "reports.csv", _csv_rows([("D1", "正常")]))
    write_dicom(archive / "H6" / "dicom" / "D1_1.dcm", "R")
    write_dicom(archive / "H6" / "dicom" / "D1_2.dcm", "L")
    # H7 vendor names
    write(archive / "H7" / "reports.csv", _csv_rows([("V1", "正常")]))
    write_images(archive / "H7" / "images", ["M1_V1_右眼.jpg", "M1_V1_左眼.jpg"])
    # H8 images but no reports file; H9 empty; H10 unreadable reports
    write_images(archive / "H8" / "images", ["Z1_OD.jpg"])
    (archive / "H9").mkdir()
    write(archive / "H10" / "reports.csv", "exam_id,report\nQ1,正常\n".encode("utf-16-le"))
    write_images(archive / "H10" / "images", ["Q1_OD.jpg"])
    # not an institution
    (archive / "bad name").mkdir()
    yml = tmp_path / "institutions.yml"
    yml.write_text(DIALECTS_YML, encoding="utf-8")
    return archive, yml


def test_discover(full_archive: tuple[Path, Path], caplog: pytest.LogCaptureFixture) -> None:
    root, _ = full_archive
    with caplog.at_level(logging.WARNING):
        found = discover_institutions(root)
    assert found == ["H1", "H10", "H2", "H3", "H4", "H5", "H6", "H7", "H8", "H9"]
    assert "bad name" in caplog.text


def test_every_dialect_end_to_end(full_archive: tuple[Path, Path]) -> None:
    root, yml = full_archive
    results = {r.institution_id: r for r in iter_institutions(root, load_dialects(yml))}
    for result in results.values():
        assert_invariant(result)
        assert list(result.matched.columns) == list(MATCHED_COLUMNS)
        assert list(result.rejects.columns) == list(REJECT_COLUMNS)

    def reasons(inst: str) -> dict[str, str]:
        rej = results[inst].rejects
        return dict(zip(rej["source"], rej["reason"], strict=True))

    h1 = results["H1"]
    assert sorted(h1.matched["source"]) == ["H1/images/E1_OD.jpg", "H1/images/e1_OS_2.jpg"]
    assert set(h1.matched["exam_id"]) == {"E1"}  # the report's spelling
    assert set(h1.matched["report_source"]) == {"H1/reports.csv#1"}
    assert reasons("H1") == {
        "H1/reports.csv#3": "empty_report",
        "H1/images/x.txt": "unsupported_file_type",
        "H1/images/.DS_Store": "not_an_image",
        "H1/images/E1.jpg": "unrecognised_file_name",
        "H1/images/E2_OD.jpg": "empty_file",
        "H1/images/E9_OD.jpg": "orphan_image",
        "H1/images/E3_OS.jpg": "empty_report",  # the images of a rejected report row
        "H1/reports.csv#2": "report_without_image",
    }
    assert h1.n_images == 8 and h1.n_report_rows == 3

    h2 = results["H2"].matched
    assert sorted(h2["eye"]) == ["OD", "OS"] and set(h2["patient_name"]) == {"王五"}
    assert set(results["H3"].matched["exam_id"]) == {"J1"}
    assert reasons("H3")["H3/export/reports.jsonl#2"].startswith("malformed_json_line")
    assert len(results["H4"].matched) == 2
    assert sorted(results["H5"].matched["eye"]) == ["OD", "OS"]
    assert sorted(results["H6"].matched["eye"]) == ["OD", "OS"]
    assert sorted(results["H7"].matched["eye"]) == ["OD", "OS"]
    assert reasons("H8") == {
        "H8/reports.csv": "missing_reports_file",
        "H8/images/Z1_OD.jpg": "orphan_image",
    }
    assert results["H9"].matched.empty and results["H9"].rejects.empty
    h10 = reasons("H10")
    assert h10["H10/reports.csv"].startswith("unreadable_reports_file:")
    assert h10["H10/images/Q1_OD.jpg"] == "orphan_image"
    total_matched = sum(len(r.matched) for r in results.values())
    assert total_matched == 2 + 2 + 1 + 2 + 2 + 2 + 2


def test_iter_is_lazy_and_can_be_restricted(full_archive: tuple[Path, Path]) -> None:
    root, yml = full_archive
    stream = iter_institutions(root, load_dialects(yml), institutions=["H2", "H5"])
    assert next(stream).institution_id == "H2"
    assert next(stream).institution_id == "H5"
    with pytest.raises(StopIteration):
        next(stream)
    with pytest.raises(FileNotFoundError, match="H42"):
        list(iter_institutions(root, {}, institutions=["H42"]))


def test_images_dir_is_institution_folder_skips_report_file(archive: Path) -> None:
    from revision_pipeline.archive.config import Dialect

    write(archive / "H1" / "reports.csv", _csv_rows([("E1", "正常")]))
    write_images(archive / "H1", ["E1_OD.jpg"])
    result = read_institution(archive, "H1", Dialect.model_validate({"images": {"dir": "."}}))
    assert list(result.matched["source"]) == ["H1/E1_OD.jpg"]
    assert result.rejects.empty and result.n_images == 1


def test_match_images_is_case_and_space_insensitive() -> None:
    reports = pd.DataFrame(
        {"institution_id": ["H"], "exam_id": ["Ab-1"], "report": ["r"], "source": ["H/r.csv#1"]}
    )
    images = pd.DataFrame(
        {
            "institution_id": ["H", "H"],
            "source": ["H/images/ab-1_OD.jpg", "H/images/X_OD.jpg"],
            "exam_id": ["ab-1", "X"],
            "eye": ["OD", "OD"],
            "seq": ["", ""],
            "ext": ["jpg", "jpg"],
            "size_bytes": [1, 1],
        }
    )
    matched, rejects = match_images(reports, images)
    assert list(matched["exam_id"]) == ["Ab-1"]
    assert list(rejects["reason"]) == ["orphan_image"]
    with pytest.raises(ValueError, match="not unique"):
        match_images(pd.concat([reports, reports.assign(exam_id="AB-1 ")]), images)


def test_missing_root() -> None:
    with pytest.raises(FileNotFoundError, match="archive root"):
        discover_institutions(Path("/nonexistent/archive"))


def test_canonical_dialect_used_when_absent(archive: Path) -> None:
    write(archive / "H1" / "reports.csv", _csv_rows([("E1", "正常")]))
    write_images(archive / "H1" / "images", ["E1_R.jpg"])
    (result,) = iter_institutions(archive, {})
    assert result.dialect == CANONICAL_DIALECT and len(result.matched) == 1


def test_a_canonical_folder_under_a_declared_id_is_read_as_canonical(
    archive: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # another archive reuses the demo's ids: H2, H3, H5, H6, H7 are declared in other
    # dialects, but these folders are canonical
    for inst in ("H2", "H3", "H5", "H6", "H7"):
        write(archive / inst / "reports.csv", _csv_rows([("E1", "正常"), ("E2", "正常")]))
        write_images(archive / inst / "images", ["E1_OD.jpg", "E1_OS.jpg", "E2_R.jpg"])
    cfg = write(tmp_path / "institutions.yml", DIALECTS_YML)
    with caplog.at_level(logging.WARNING):
        results = {r.institution_id: r for r in iter_institutions(archive, load_dialects(cfg))}
    for inst, result in results.items():
        assert result.dialect == CANONICAL_DIALECT, inst
        assert len(result.matched) == 3 and result.rejects.empty, (inst, result.rejects)
    assert "H2: the dialect declared in institutions.yml does not fit" in caplog.text
    assert "no reports file 检查报告.csv" in caplog.text
    assert "H7: the dialect declared" in caplog.text and "named as its pattern says" in caplog.text


def test_a_declared_dialect_stays_when_the_folder_is_not_canonical_either(
    archive: Path, tmp_path: Path
) -> None:
    # the declared reports file is missing, and there is no reports.csv: a real problem,
    # reported as such rather than papered over
    write_images(archive / "H2" / "images", ["E1_OD.jpg"])
    cfg = write(tmp_path / "institutions.yml", DIALECTS_YML)
    (result,) = iter_institutions(archive, load_dialects(cfg))
    assert result.dialect.reports.file == "检查报告.csv"
    assert set(result.rejects["reason"]) == {"missing_reports_file", "orphan_image"}


def test_names_that_differ_only_in_case_are_found(
    archive: Path, caplog: pytest.LogCaptureFixture
) -> None:
    write(archive / "H1" / "Reports.CSV", _csv_rows([("E1", "正常")]))
    write_images(archive / "H1" / "Images", ["E1_OD.jpg", "E1_OS.jpg"])
    with caplog.at_level(logging.WARNING):
        (result,) = iter_institutions(archive, {})
    assert (result.dialect.reports.file, result.dialect.images.dir) == ("Reports.CSV", "Images")
    assert len(result.matched) == 2 and result.rejects.empty
    assert "only the case differs" in caplog.text


def test_files_outside_the_images_folder_are_rejected_by_name(archive: Path) -> None:
    write(archive / "H1" / "reports.csv", _csv_rows([("E1", "正常")]))
    write_images(archive / "H1" / "images", ["E1_OD.jpg"])
    write_images(archive / "H1", ["E1_OS.jpg", "scans/E1_OD_2.jpg", "Thumbs.db"])
    (result,) = iter_institutions(archive, {})
    reasons = dict(zip(result.rejects["source"], result.rejects["reason"], strict=True))
    assert reasons == {
        "H1/E1_OS.jpg": "outside_images_folder: images/",
        "H1/scans/E1_OD_2.jpg": "outside_images_folder: images/",
        "H1/Thumbs.db": "not_an_image",
    }
    assert result.n_images == 4 and len(result.matched) == 1  # found = kept + rejected


def test_exam_ids_that_lost_their_leading_zeros_still_pair(
    archive: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the table went through a spreadsheet (000917 -> 917); the photos kept their names
    rows = [("917", "正常"), ("52", "正常"), ("7", "正常")]
    write(archive / "H1" / "reports.csv", _csv_rows(rows))
    names = ["000917_OD.jpg", "0052_OS.jpg", "7_OD.jpg", "07_OS.jpg"]
    write_images(archive / "H1" / "images", names)
    with caplog.at_level(logging.WARNING):
        (result,) = iter_institutions(archive, {})
    pairs = dict(zip(result.matched["source"], result.matched["exam_id"], strict=True))
    assert pairs == {"H1/images/000917_OD.jpg": "917", "H1/images/0052_OS.jpg": "52",
                     "H1/images/7_OD.jpg": "7"}  # fmt: skip
    # 07 is not re-paired: exam 7 has a photo of its own under its exact id
    reasons = result.rejects.set_index("source")["reason"]
    assert reasons["H1/images/07_OS.jpg"] == "orphan_image"
    assert "2 exam id(s) of photos match a report row only without" in caplog.text
    assert "917" not in caplog.text  # identifiers are never logged
