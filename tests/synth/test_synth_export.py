"""A small written archive conforms to docs/contracts.md §3 in every dialect and its truth."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path

import pandas as pd
import pydicom
import pytest
import yaml
from PIL import Image

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.dialects import CANONICAL_COLUMNS, DIALECTS
from revision_pipeline.synth.export import MARKER, write_archive
from revision_pipeline.synth.plan import plan_archive
from revision_pipeline.synth.truth import images_truth, phi_truth

PROJECT = Path(__file__).resolve().parents[2]
PARAMS = yaml.safe_load((PROJECT / "conf/base/parameters_demo_archive.yml").read_text())[
    "demo_archive"
]
INSTITUTIONS = yaml.safe_load((PROJECT / "conf/base/institutions.yml").read_text())
CANONICAL_NAME = re.compile(
    r"(?P<exam_id>.+?)_(?P<eye>OD|OS|R|L|RE|LE|右|左)(?:_(?P<seq>\d+))?\.(?P<ext>jpg|jpeg|png|tif|tiff|bmp|dcm)",
    re.IGNORECASE,
)


def small_config(**overrides) -> DemoArchiveConfig:
    base = dict(
        seed=11, n_institutions=9, n_exams=45, min_image_side=256, max_image_side=320,
        dialects=PARAMS["dialects"], cross_institution_patients=2, workers=1,
    )  # fmt: skip
    base.update(overrides)
    return DemoArchiveConfig(**base)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    root = tmp_path_factory.mktemp("archive")
    plan = plan_archive(small_config())
    write_archive(plan, root, workers=1, progress=False)
    return root, plan, images_truth(plan), phi_truth(plan)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise AssertionError("undecodable report table")


def test_demo_dialects_match_institutions_yml() -> None:
    for inst, name in PARAMS["dialects"].items():
        assert INSTITUTIONS.get(inst) == DIALECTS[name].declaration(), inst


def test_layout_and_canonical_tables(written) -> None:
    root, plan, _, _ = written
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert folders == [i.institution_id for i in plan.institutions]
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+", f) for f in folders)
    assert (root / MARKER).exists()
    for inst in plan.institutions:
        if inst.dialect.name != "canonical":
            continue
        table = pd.read_csv(
            io.StringIO(_decode((root / inst.institution_id / "reports.csv").read_bytes())),
            dtype=str,
        )
        assert set(CANONICAL_COLUMNS) <= set(table.columns)


def test_every_image_name_follows_its_dialect(written) -> None:
    root, plan, _, _ = written
    for inst in plan.institutions:
        images_dir = root / inst.institution_id / inst.dialect.images_dir
        pattern = (
            re.compile(inst.dialect.image_pattern) if inst.dialect.image_pattern else CANONICAL_NAME
        )
        for path in images_dir.rglob("*"):
            if path.is_file():
                rel = path.relative_to(images_dir).as_posix()
                assert pattern.fullmatch(rel), (inst.institution_id, rel)


def test_non_canonical_report_tables_use_declared_headers(written) -> None:
    root, plan, _, _ = written
    seen = set()
    for inst in plan.institutions:
        dialect = inst.dialect
        if dialect.name == "canonical" or dialect.reports_file == "reports.csv":
            continue
        path = root / inst.institution_id / dialect.reports_file
        declared = set(INSTITUTIONS[inst.institution_id]["reports"]["columns"])
        if dialect.reports_format == "csv":
            raw = path.read_bytes()
            with pytest.raises(UnicodeDecodeError):
                raw.decode("utf-8")  # really GBK-family, not UTF-8
            columns = set(pd.read_csv(io.BytesIO(raw), encoding="gb18030", nrows=1).columns)
        elif dialect.reports_format == "jsonl":
            columns = set(json.loads(path.read_text(encoding="utf-8").splitlines()[0]))
        else:
            columns = set(pd.read_excel(path, nrows=1).columns)
        assert declared <= columns, inst.institution_id
        seen.add(dialect.name)
    assert seen == {"gbk_csv_chinese_headers", "jsonl", "excel"}


def test_truth_matches_files_written(written) -> None:
    root, _, images, _ = written
    on_disk = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.suffix.lower() in {".jpg", ".jpeg", ".png", ".tif", ".bmp", ".dcm"}
    }
    assert on_disk == set(images["source"])
    for row in images.itertuples():
        data = (root / row.source).read_bytes()
        if row.defect == "zero_byte":
            assert data == b""
        elif row.defect == "truncated":
            with pytest.raises(OSError):
                Image.open(io.BytesIO(data)).load()
        if row.duplicate_kind == "duplicate_exact":
            assert (
                hashlib.sha256(data).digest()
                == hashlib.sha256((root / row.duplicate_of).read_bytes()).digest()
            )
        elif row.duplicate_kind == "duplicate_reencoded":
            assert data != (root / row.duplicate_of).read_bytes()


def test_dicom_files_carry_phi_and_laterality(written) -> None:
    root, _, images, phi = written
    dicoms = images[images["source"].str.endswith(".dcm") & images["defect"].eq("")]
    assert len(dicoms) > 0
    for row in dicoms.itertuples():
        ds = pydicom.dcmread(root / row.source)
        assert ds.ImageLaterality == ("R" if row.eye == "OD" else "L")
        assert str(ds.PatientName) in set(phi["value"])
        assert ds.pixel_array.shape[2] == 3


def test_report_phi_is_in_the_written_tables(written) -> None:
    root, plan, _, phi = written
    texts = {}
    for inst in plan.institutions:
        path = root / inst.institution_id / inst.dialect.reports_file
        if inst.dialect.reports_format == "excel":
            texts[inst.institution_id] = pd.read_excel(path, dtype=str).to_csv()
        else:
            texts[inst.institution_id] = _decode(path.read_bytes())
    report_phi = phi[phi["kind"] == "report"]
    exams = {(e.institution_id, e.exam_id): e for i in plan.institutions for e in i.exams}
    checked = 0
    for row in report_phi.itertuples():
        if exams[(row.institution_id, row.exam_id)].status == "images_without_report":
            continue
        text = texts[row.institution_id]
        if row.value not in text:  # CSV quoting doubles quotes; JSON escapes newlines
            assert (
                json.dumps(row.value, ensure_ascii=False)[1:-1] in text
                or row.value.replace('"', '""') in text
            )
        checked += 1
    assert checked > 0


def test_written_archive_is_deterministic(tmp_path: Path) -> None:
    config = small_config(n_institutions=3, n_exams=6, dialects={})
    digests = []
    for name in ("a", "b"):
        root = tmp_path / name
        write_archive(plan_archive(config), root, workers=1, progress=False)
        digests.append({
            p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()
        })  # fmt: skip
    assert digests[0] == digests[1]
