"""build_pairs and the accounting on small tables: who is paired, who is rejected, the counts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from revision_pipeline.curation.accounting import account_for_items, item_kind
from revision_pipeline.curation.pairing import INDEX_COLUMNS, build_pairs, pair_chunks, pair_index
from revision_pipeline.curation.records import deidentify_exams
from revision_pipeline.curation.schema import PAIR_SCHEMA, REJECT_COLUMNS
from revision_pipeline.curation.splits import SplitConfig
from revision_pipeline.deid import pseudonymize

SECRET = b"0123456789abcdef0123456789abcdef"
BOTH = "右眼：视网膜可见微动脉瘤及少量出血。左眼：黄斑区可见玻璃膜疣。"
RIGHT_ONLY = "右眼：视网膜可见微动脉瘤及少量出血。"
SOURCES = ["H1/EX1_OD.jpg", "H1/EX1_OS.jpg", "H1/EX2_OD.jpg", "H1/EX2_OS.jpg", "H1/EX1_OD(1).jpg"]


@pytest.fixture
def tables() -> dict[str, pd.DataFrame]:
    reports = pd.DataFrame(
        {
            "institution_id": "H1", "exam_id": ["EX1", "EX2"], "patient_id": ["P1", "P2"],
            "patient_name": "张伟", "id_number": "", "sex": "男", "age": "61",
            "exam_date": "2021-03-04", "report": [BOTH, RIGHT_ONLY],
        }
    )  # fmt: skip
    matched = pd.DataFrame(
        {
            "institution_id": "H1", "source": SOURCES,
            "exam_id": ["EX1", "EX1", "EX2", "EX2", "EX1"],
            "eye": ["OD", "OS", "OD", "OS", "OD"],
        }
    )  # fmt: skip
    decisions = matched[["institution_id", "source"]].assign(
        quality_score=0.9, crop_path="", disc_offset=math.nan,
        stage=["", "", "", "", "dedup"], reason=["", "", "", "", "duplicate_of: H1/EX1_OD.jpg"],
    )  # fmt: skip
    decisions["kept"] = decisions["stage"].eq("")
    exams = deidentify_exams(reports, SECRET, progress=False)
    return {"matched": matched, "decisions": decisions, "exams": exams}


def test_a_photo_whose_report_is_silent_about_its_eye_is_not_paired(tables) -> None:
    pairs = build_pairs(**tables, secret=SECRET, splits=SplitConfig())
    assert sorted(pairs["source"]) == ["H1/EX1_OD.jpg", "H1/EX1_OS.jpg", "H1/EX2_OD.jpg"]
    assert pairs["pair_id"].tolist() == sorted(pairs["pair_id"])
    ids = dict(zip(pairs["source"], pairs["pair_id"], strict=True))
    assert ids["H1/EX2_OD.jpg"] == pseudonymize(SECRET, "H1/H1/EX2_OD.jpg", "image")
    by_source = pairs.set_index("source")
    assert "玻璃膜疣" in by_source.loc["H1/EX1_OS.jpg", "report"]
    assert "玻璃膜疣" not in by_source.loc["H1/EX1_OD.jpg", "report"]
    assert list(pair_index(pairs).columns) == list(INDEX_COLUMNS)


def test_nothing_kept_gives_empty_pairs_with_their_schema(tables) -> None:
    tables["decisions"]["kept"] = False
    pairs = build_pairs(**tables, secret=SECRET, splits=SplitConfig())
    assert pairs.empty and list(pair_index(pairs).columns) == list(INDEX_COLUMNS)
    chunks = list(pair_chunks(pairs, rows_per_shard=10))
    assert len(chunks) == 1 and chunks[0].num_rows == 0 and chunks[0].schema.equals(PAIR_SCHEMA)


def test_every_photo_found_is_kept_or_rejected_at_a_stage(tables) -> None:
    index = pair_index(build_pairs(**tables, secret=SECRET, splits=SplitConfig()))
    ingest = pd.DataFrame(
        [("H1", "H1/reports.csv#9", "ingest", "duplicate_exam_row", "report")],
        columns=[*REJECT_COLUMNS, "kind"],
    )
    inventory = pd.DataFrame({"institution_id": "H1", "kind": ["image", "report"], "n": [5, 3]})
    rejects, funnel, metrics = account_for_items(ingest, tables["decisions"], index, inventory)
    assert list(rejects.columns) == list(REJECT_COLUMNS)
    assert rejects[["source", "stage", "reason"]].values.tolist() == [
        ["H1/reports.csv#9", "ingest", "duplicate_exam_row"],
        ["H1/EX1_OD(1).jpg", "dedup", "duplicate_of: H1/EX1_OD.jpg"],
        ["H1/EX2_OS.jpg", "pairing", "no_report_for_eye"],
    ]
    images = funnel[funnel["kind"] == "image"].set_index("stage")
    assert images.loc["dedup", "rejected"] == 1 and images.loc["pairing", "kept"] == 3
    values = {k: v["value"] for k, v in metrics.items()}
    assert values["images_found"] == 5 and values["pairs_kept"] == 3
    assert values["images_kept_rate"] == 3 / 5
    assert values["images_rejected_dedup"] == 1 and values["images_rejected_pairing"] == 1
    assert values["images_rejected_reason/duplicate_of"] == 1
    assert values["quality_alerts"] == 0 and "eye_disc_contradiction_rate" not in values


def test_a_funnel_that_loses_a_photo_fails_loudly(tables) -> None:
    index = pair_index(build_pairs(**tables, secret=SECRET, splits=SplitConfig()))
    inventory = pd.DataFrame({"institution_id": "H1", "kind": ["image"], "n": [6]})  # one extra
    empty = pd.DataFrame(columns=[*REJECT_COLUMNS, "kind"])
    with pytest.raises(AssertionError, match=r"H1: 6 images found but 3 kept \+ 2 rejected"):
        account_for_items(empty, tables["decisions"], index, inventory)


def test_item_kind_reads_report_rows_by_their_file() -> None:
    assert item_kind("H1/reports.csv#12", "H1/reports.csv") == "report"
    assert item_kind("H1/images/a#1.jpg", "H1/reports.csv") == "image"
