"""`kedro run --pipeline=curate` on a canonical archive this project did not generate.

Everything here is written by hand: reports in a clinician's own phrasing (not the
generator's templates), real fundus photos (``skimage.data.retina``) at other camera
sizes and formats, and the quirks of real exports (UTF-8 with BOM, GB18030, columns in
another order plus unknown ones, exam ids with ``-``, ``_`` and leading zeros, a report
written over two lines, every eye token, a ``_<seq>`` suffix, burned-in overlay text, a
blurred photo, a copy of a photo sent again by another institution, a report about one
eye only and a diagnosis outside the label set, an institution id that the shipped
``institutions.yml`` declares for another dialect). Curate must treat it as it treats
the demo archive.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import cv2
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
import pytest
from PIL import Image
from skimage import data as skdata

from revision_pipeline.archive import CANONICAL_COLUMNS

IMAGE_SIDE = 256
CURATE = f"--params=curate.image_side={IMAGE_SIDE},curate.progress=false"

NORTH = "clinic-north"
#: An id the shipped institutions.yml declares for the demo's GBK/Chinese-header export;
#: this archive's H002 is canonical, and must be read as such.
SOUTH = "H002"

#: (exam row, {file name: (photo seed, frame, eye, labels)}); None labels = rejected.
NORTH_EXAMS = [
    (
        {
            "exam_id": "2023-0001",
            "patient_id": "MRN-88231",
            "patient_name": "李建国",
            "id_number": "11010519491231002X",
            "sex": "M",
            "age": "62",
            "exam_date": "2023/1/5",
            "report": "患者李建国，电话13912345678。右眼：视网膜散在微血管瘤及点状出血，"
            "静脉扩张明显，诊断中度非增殖期糖尿病视网膜病变。左眼：眼底未见明显异常。",
            "department": "内分泌科",
            "doctor": "王芳",
        },
        {
            "2023-0001_od.jpg": (0, "camera", "OD", ["dr2"]),
            "2023-0001_OS.JPG": (1, "camera", "OS", ["normal"]),
        },
    ),
    (
        {
            "exam_id": "A_17",
            "patient_id": "MRN-77120",
            "patient_name": "欧阳娜娜",
            "id_number": "",
            "sex": "女",
            "age": "71",
            "exam_date": "2023年2月14日",
            "report": "OD：C/D约0.8，盘沿变窄，青光眼。OS：黄斑区玻璃膜疣，年龄相关性黄斑变性。"
            "建议3个月后复查。报告医生：赵敏",
            "department": "眼科",
            "doctor": "赵敏",
        },
        {
            "A_17_R_1.png": (2, "square", "OD", ["glaucoma"]),
            "A_17_L.tif": (3, "wide", "OS", ["amd"]),
        },
    ),
    (
        {
            "exam_id": "000917",
            "patient_id": "MRN-60004",
            "patient_name": "Zhang Wei",
            "id_number": "",
            "sex": "",
            "age": "",
            "exam_date": "20230301",
            "report": "双眼豹纹状眼底，视盘旁萎缩弧，病理性近视。",
            "department": "",
            "doctor": "",
        },
        {
            "000917_右.jpg": (4, "large", "OD", ["pathologic_myopia"]),
            "000917_左.jpg": (5, "large", "OS", ["pathologic_myopia"]),
        },
    ),
]

SOUTH_EXAMS = [
    (
        {
            "exam_id": "S-1",
            "patient_id": "0000451",
            "patient_name": "张明",
            "id_number": "44030419560218462X",
            "sex": "男",
            "age": "67",
            "exam_date": "2022-11-30",
            "report": "患者张明。右眼视网膜中央静脉阻塞，火焰状出血。左眼未见异常。"
            "联系电话：0755-83451234",
        },
        {
            "S-1_RE.jpg": (6, "camera", "OD", ["rvo"]),
            "S-1_le.jpg": (7, "camera", "OS", ["normal"]),
        },
    ),
    (
        {
            "exam_id": "S-2",
            "patient_id": "0000452",
            "patient_name": "黄海涛",
            "id_number": "",
            "sex": "男",
            "age": "58",
            "exam_date": "2022.12.01",
            "report": "左眼：动脉变细，动静脉交叉压迫征，高血压性视网膜病变。\n右眼：眼底正常。",
        },
        {
            "S-2_RE.bmp": (8, "square", "OD", ["normal"]),
            "S-2_LE.jpg": (9, "camera", "OS", ["hypertensive_retinopathy"]),
        },
    ),
    (
        {
            "exam_id": "S-3",
            "patient_id": "0000452",
            "patient_name": "黄海涛",
            "id_number": "",
            "sex": "男",
            "age": "58",
            "exam_date": "2022-12-08",
            "report": "双眼眼底未见明显异常。",
        },
        {
            "S-3_RE.jpg": (10, "blurred", "OD", None),
            "S-3_LE.jpg": (0, "resent", "OS", None),  # the north's 2023-0001_od.jpg again
        },
    ),
    (
        {
            "exam_id": "S-4",
            "patient_id": "0000453",
            "patient_name": "司马光",
            "id_number": "",
            "sex": "男",
            "age": "45",
            "exam_date": "2022-12-09",
            "report": "右眼孔源性视网膜脱离，累及黄斑。",  # the left eye is not mentioned
        },
        {
            # a diagnosis outside the label set: abnormal, so not "normal", but no code
            "S-4_RE.jpg": (1, "mirrored", "OD", []),
            # nothing said about this eye: not paired (no_report_for_eye)
            "S-4_LE.jpg": (2, "mirrored", "OS", None),
        },
    ),
]

#: PHI planted above that must not cross the boundary.
PHI = [
    "李建国", "13912345678", "11010519491231002X", "王芳", "欧阳娜娜", "赵敏", "Zhang Wei",
    "44030419560218462X", "0755-83451234", "黄海涛", "MRN-88231", "MRN-77120", "司马光",
    "2023/1/5", "2023年2月14日", "2022-11-30", "2022.12.01",
]  # fmt: skip


def _disc(seed: int) -> np.ndarray:
    """The real retina photo turned by ``seed`` x 33 degrees: one distinct photo per seed."""
    base = skdata.retina()
    side = base.shape[0]
    turn = cv2.getRotationMatrix2D((side / 2, side / 2), 33.0 * seed, 1.0)
    return cv2.warpAffine(base, turn, (side, side))


def _photo(seed: int, kind: str) -> np.ndarray:
    """A frame as different cameras write it (sizes, margins, overlay text)."""
    frames = {
        "camera": ((2048, 1536), 1400),
        "square": ((1200, 1200), 1150),
        "wide": ((1600, 1200), 1100),
        "large": ((3000, 2000), 1900),
        "blurred": ((2048, 1536), 1400),
        "resent": ((2048, 1536), 1400),
        "mirrored": ((2048, 1536), 1400),
    }
    (w, h), d = frames[kind]
    disc = cv2.resize(_disc(seed), (d, d), interpolation=cv2.INTER_AREA)
    if kind == "blurred":
        disc = cv2.GaussianBlur(disc, (0, 0), 9)
    if kind == "mirrored":  # another eye entirely: its vessels are not any photo's above
        disc = np.ascontiguousarray(disc[:, ::-1])
    frame = np.zeros((h, w, 3), np.uint8)
    y0, x0 = (h - d) // 2, (w - d) // 2
    frame[y0 : y0 + d, x0 : x0 + d] = disc
    cv2.putText(frame, "ZHANG WEI 2023-03-01", (10, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                (255, 255, 255), 2)  # fmt: skip
    if kind == "resent":  # sent again by another clinic: smaller and re-encoded
        frame = cv2.resize(frame, (1536, 1152), interpolation=cv2.INTER_AREA)
    return frame


def _encode(img: np.ndarray, name: str, quality: int) -> bytes:
    buffer = io.BytesIO()
    fmt = {"jpg": "JPEG", "png": "PNG", "tif": "TIFF", "bmp": "BMP"}[name.rsplit(".", 1)[1].lower()]
    options = {"quality": quality} if fmt == "JPEG" else {}
    Image.fromarray(img).save(buffer, fmt, **options)
    return buffer.getvalue()


def _write(root: Path, inst: str, exams: list, columns: list[str], encoding: str) -> None:
    images = root / inst / "images"
    images.mkdir(parents=True)
    for _row, photos in exams:
        for name, (seed, kind, _eye, _labels) in photos.items():
            quality = 70 if kind == "resent" else 92
            (images / name).write_bytes(_encode(_photo(seed, kind), name, quality))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row, _photos in exams:
        writer.writerow(row)
    (root / inst / "reports.csv").write_bytes(text.getvalue().encode(encoding))


@pytest.fixture
def foreign_archive(kedro_project: Path) -> Path:
    root = kedro_project / "data/01_raw/archive"
    north_columns = ["report", "exam_date", "patient_name", "department", "exam_id",
                     "patient_id", "sex", "age", "id_number", "doctor"]  # fmt: skip
    _write(root, NORTH, NORTH_EXAMS, north_columns, "utf-8-sig")
    _write(root, SOUTH, SOUTH_EXAMS, list(CANONICAL_COLUMNS), "gb18030")
    return kedro_project


@pytest.mark.slow
def test_foreign_archive_is_curated_like_the_demo(foreign_archive: Path, run_kedro) -> None:
    proc = run_kedro(foreign_archive, "run", "--pipeline=curate", CURATE)
    assert "H002: the dialect declared in institutions.yml does not fit" in proc.stdout
    data = foreign_archive / "data"
    pairs = ds.dataset(data / "05_model_input/pairs", format="parquet").to_table().to_pandas()
    index = pd.read_parquet(data / "02_intermediate/pair_index.parquet")
    rejects = pd.read_parquet(data / "02_intermediate/rejects.parquet")
    reason = dict(zip(rejects["source"], rejects["reason"], strict=True))
    by_source = index.merge(pairs, on=["pair_id", "institution_id", "split", "eye"])
    by_source = by_source.set_index("source")

    expected = {
        f"{inst}/images/{name}": (eye, labels)
        for inst, exams in ((NORTH, NORTH_EXAMS), (SOUTH, SOUTH_EXAMS))
        for _row, photos in exams
        for name, (_seed, _kind, eye, labels) in photos.items()
    }
    kept = {s for s, (_e, labels) in expected.items() if labels is not None}
    assert set(by_source.index) == kept, (set(by_source.index) ^ kept, reason)
    for source in kept:
        eye, labels = expected[source]
        row = by_source.loc[source]
        assert row["eye"] == eye, source
        assert sorted(row["labels"]) == labels, (source, row["report"])
        img = Image.open(io.BytesIO(row["image"]))
        assert img.size == (IMAGE_SIDE, IMAGE_SIDE)
        corner = np.asarray(img)[:20, :20]
        assert corner.max() <= 10, source  # the overlay text is outside the disc: gone
    # per-eye reports: the glaucoma eye does not carry the other eye's AMD sentence
    glaucoma = by_source.loc[f"{NORTH}/images/A_17_R_1.png", "report"]
    assert "青光眼" in glaucoma and "黄斑变性" not in glaucoma
    # the blurred photo and the copy sent again are rejected, by name and why
    assert "blurred" in reason[f"{SOUTH}/images/S-3_RE.jpg"]
    assert f"{NORTH}/images/2023-0001_od.jpg" in reason[f"{SOUTH}/images/S-3_LE.jpg"]
    # a report about the right eye only: the left photo has nothing to be paired with
    assert reason[f"{SOUTH}/images/S-4_LE.jpg"] == "no_report_for_eye"
    # both eyes of an exam share its pseudonyms; six patients, nobody in two splits
    for od, os_ in (("2023-0001_od.jpg", "2023-0001_OS.JPG"), ("000917_右.jpg", "000917_左.jpg")):
        a, b = by_source.loc[f"{NORTH}/images/{od}"], by_source.loc[f"{NORTH}/images/{os_}"]
        assert (a["patient_pid"], a["exam_pid"]) == (b["patient_pid"], b["exam_pid"])
    assert pairs["patient_pid"].nunique() == 6
    assert pairs.groupby("patient_pid")["split"].nunique().max() == 1
    assert not {"MRN-88231", "0000451"} & set(pairs["patient_pid"])
    # no planted identifier crosses the boundary, and the run's own audit agrees; the
    # short name 张明 goes, the clinical phrase 扩张明显 of another patient's report stays
    text = "\n".join(pairs["report"])
    assert [p for p in PHI if p in text] == []
    assert "扩张明显" in by_source.loc[f"{NORTH}/images/2023-0001_od.jpg", "report"]
    assert "张明" not in text.replace("扩张明显", "")
    for path in (data / "08_reporting").rglob("*"):
        if path.is_file() and path.suffix in {".csv", ".json", ".txt"}:
            content = path.read_text(encoding="utf-8", errors="replace")
            assert [p for p in PHI if p in content] == [], path
    assert pd.read_csv(data / "08_reporting/phi_audit.csv").empty
    # every photo is accounted for
    funnel = pd.read_csv(data / "08_reporting/curation_funnel.csv")
    for inst, rows in funnel[funnel["kind"] == "image"].groupby("institution_id"):
        n_kept = int((index["institution_id"] == inst).sum())
        assert rows["items_in"].iloc[0] == n_kept + rows["rejected"].sum(), inst
