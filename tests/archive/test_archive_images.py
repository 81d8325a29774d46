"""Image listing: file-name patterns, DICOM laterality, rejects."""

from __future__ import annotations

from pathlib import Path

from archive_helpers import FAKE_JPEG, write, write_dicom, write_images

from revision_pipeline.archive.config import CANONICAL_DIALECT, Dialect
from revision_pipeline.archive.images import IMAGE_COLUMNS, list_images


def _by_source(table) -> dict[str, dict]:
    return {row["source"]: row for row in table.images.to_dict("records")}


def test_canonical_names(archive: Path) -> None:
    names = [
        "E1_OD.jpg",
        "E1_os_2.JPEG",
        "A_1-x_R.png",
        "A_1-x_L_12.tif",
        "E2_右.bmp",
        "E2_左_1.TIFF",
        "sub/E3_RE.jpg",
    ]
    write_images(archive / "H1" / "images", names)
    table = list_images(archive, "H1", CANONICAL_DIALECT)
    assert list(table.images.columns) == list(IMAGE_COLUMNS)
    assert table.rejects.empty and table.n_files == len(names)
    rows = _by_source(table)
    assert rows["H1/images/E1_OD.jpg"] | {} == {
        "institution_id": "H1",
        "source": "H1/images/E1_OD.jpg",
        "exam_id": "E1",
        "eye": "OD",
        "seq": "",
        "ext": "jpg",
        "size_bytes": len(FAKE_JPEG),
    }
    assert (rows["H1/images/E1_os_2.JPEG"]["eye"], rows["H1/images/E1_os_2.JPEG"]["seq"]) == (
        "OS",
        "2",
    )
    assert rows["H1/images/E1_os_2.JPEG"]["ext"] == "jpeg"
    assert rows["H1/images/A_1-x_L_12.tif"]["exam_id"] == "A_1-x"
    assert rows["H1/images/A_1-x_L_12.tif"]["seq"] == "12"
    assert rows["H1/images/E2_左_1.TIFF"]["eye"] == "OS"
    assert rows["H1/images/sub/E3_RE.jpg"]["exam_id"] == "E3"


def test_rejects_in_images_folder(archive: Path) -> None:
    folder = archive / "H1" / "images"
    write_images(folder, ["E1_OD.jpg", "notes.txt", ".DS_Store", "Thumbs.db", "._E1_OD.jpg"])
    write_images(folder, ["__MACOSX/E1_OD.jpg", "E1.jpg", "E1_XX.jpg"])
    write(folder / "E2_OS.jpg", b"")
    table = list_images(archive, "H1", CANONICAL_DIALECT)
    reasons = dict(zip(table.rejects["source"], table.rejects["reason"], strict=True))
    assert reasons == {
        "H1/images/notes.txt": "unsupported_file_type",
        "H1/images/.DS_Store": "not_an_image",
        "H1/images/Thumbs.db": "not_an_image",
        "H1/images/._E1_OD.jpg": "not_an_image",
        "H1/images/__MACOSX/E1_OD.jpg": "not_an_image",
        "H1/images/E1.jpg": "unrecognised_file_name",
        "H1/images/E1_XX.jpg": "unrecognised_file_name",
        "H1/images/E2_OS.jpg": "empty_file",
    }
    assert list(table.images["source"]) == ["H1/images/E1_OD.jpg"]
    assert table.n_files == 9


def test_per_exam_folders(archive: Path) -> None:
    write_images(archive / "H5" / "images", ["X-1/R.jpg", "X-1/L_2.jpg", "X-2/OU.jpg"])
    pattern = r"(?P<exam_id>[^/]+)/(?P<eye>[^/_.]+)(?:_(?P<seq>\d+))?\.(?P<ext>[A-Za-z]+)"
    dialect = Dialect.model_validate({"images": {"pattern": pattern}})
    rows = _by_source(list_images(archive, "H5", dialect))
    assert rows["H5/images/X-1/R.jpg"]["exam_id"] == "X-1"
    assert rows["H5/images/X-1/R.jpg"]["eye"] == "OD"
    assert (rows["H5/images/X-1/L_2.jpg"]["eye"], rows["H5/images/X-1/L_2.jpg"]["seq"]) == (
        "OS",
        "2",
    )
    assert rows["H5/images/X-2/OU.jpg"]["eye"] == "unknown"  # not a reject


def test_dicom_eye_from_header(archive: Path) -> None:
    folder = archive / "H6" / "dicom"
    write_dicom(folder / "D1_1.dcm", "R")
    write_dicom(folder / "D1_2.dcm", "L", tag="Laterality")
    write_dicom(folder / "D2_1.dcm", None)
    write(folder / "D3_1.dcm", b"not a dicom file at all")
    dialect = Dialect.model_validate(
        {"images": {"dir": "dicom", "pattern": r"(?P<exam_id>[^/_]+)_(?P<seq>\d+)\.(?P<ext>dcm)"}}
    )
    table = list_images(archive, "H6", dialect)
    eyes = {
        Path(s).name: e for s, e in zip(table.images["source"], table.images["eye"], strict=True)
    }
    assert eyes == {
        "D1_1.dcm": "OD",
        "D1_2.dcm": "OS",
        "D2_1.dcm": "unknown",
        "D3_1.dcm": "unknown",
    }
    assert set(table.images["ext"]) == {"dcm"}


def test_vendor_tokens(archive: Path) -> None:
    write_images(
        archive / "H7" / "images", ["M01_E9_右眼.jpg", "M01_E9_左眼(2).jpg", "M01_E9_中.jpg"]
    )
    dialect = Dialect.model_validate(
        {
            "images": {
                "pattern": r"(?P<patient_id>[^/_]+)_(?P<exam_id>[^/_]+)_(?P<eye>右眼|左眼)"
                r"(?:\((?P<seq>\d+)\))?\.(?P<ext>[A-Za-z]+)",
                "eye_tokens": {"右眼": "OD", "左眼": "OS"},
            }
        }
    )
    table = list_images(archive, "H7", dialect)
    rows = _by_source(table)
    assert rows["H7/images/M01_E9_右眼.jpg"]["eye"] == "OD"
    assert rows["H7/images/M01_E9_左眼(2).jpg"]["seq"] == "2"
    assert rows["H7/images/M01_E9_右眼.jpg"]["exam_id"] == "E9"
    assert list(table.rejects["reason"]) == ["unrecognised_file_name"]


def test_no_images_folder(archive: Path) -> None:
    (archive / "H1").mkdir()
    table = list_images(archive, "H1", CANONICAL_DIALECT)
    assert table.images.empty and table.rejects.empty and table.n_files == 0
    assert list(table.images.columns) == list(IMAGE_COLUMNS)
