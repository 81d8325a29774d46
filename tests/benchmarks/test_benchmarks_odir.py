"""ODIR-5K: per-eye letters from the diagnostic keywords."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml
from benchmark_layouts import labels_of, odir5k

from revision_pipeline.benchmarks import benchmark_info, load_benchmark
from revision_pipeline.benchmarks.odir import KEYWORDS_PATH, LETTERS, keyword_map


@pytest.mark.parametrize(
    ("cell", "letters"),
    [
        ("normal fundus", ["N"]),
        ("moderate non proliferative retinopathy，hypertensive retinopathy", ["D", "H"]),
        ("lens dust，glaucoma", ["G"]),
        ("Dry Age-related  Macular Degeneration", ["A"]),
        ("pathological myopia，cataract", ["C", "M"]),
        ("tessellated fundus", ["O"]),
        ("something new", ["O"]),
        ("suspected glaucoma, drusen", ["G", "O"]),
    ],
)
def test_keywords_map_to_letters(cell: str, letters: list[str]) -> None:
    assert keyword_map().classify(cell)[0] == letters


def test_artefact_only_and_non_fundus_eyes_are_not_labelled() -> None:
    assert keyword_map().classify("lens dust")[2].startswith("no diagnostic keyword")
    assert keyword_map().classify("no fundus image")[2].startswith("not a fundus photograph")
    assert keyword_map().classify("anterior segment image，cataract")[0] == []


def test_keyword_data_is_plain_and_consistent() -> None:
    data = yaml.safe_load(KEYWORDS_PATH.read_text(encoding="utf-8"))
    assert tuple(data["letters"]) == LETTERS == benchmark_info("odir5k").classes
    assert set(data["keywords"]) <= set(LETTERS)
    words = [w for ws in data["keywords"].values() for w in ws]
    assert len(words) == len(set(words))


def test_per_eye_rows_with_extras(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    odir5k(tmp_path)
    with caplog.at_level(logging.WARNING, logger="revision_pipeline.benchmarks"):
        df = load_benchmark("odir5k", tmp_path)
    row = df.loc[df["image_id"] == "1_left.jpg"].iloc[0]
    assert row["label"] == ["D", "H"]
    assert row["eye"] == "left" and row["patient_id"] == "1"
    # a keyword in no list counts as O and is named once; listed ones are not
    assert (
        "1 keywords not in odir_keywords.yml counted as O (other): mysterious spots" in caplog.text
    )
    assert "tessellated" not in caplog.text
    [unlabelled] = df.attrs["unlabelled"]
    assert "(left eye)" in unlabelled["source"] and "not a fundus" in unlabelled["reason"]
    assert "4_left.jpg" not in set(df["image_id"])


def test_kaggle_full_df_csv_lists_each_patient_once(tmp_path: Path) -> None:
    import pandas as pd

    expected = odir5k(tmp_path)
    sheet = pd.read_excel(expected.label_file)
    expected.label_file.unlink()
    repeated = pd.concat([sheet, sheet]).sort_values("ID", kind="stable")
    repeated.assign(filepath="x", labels="['N']").to_csv(tmp_path / "full_df.csv", index=False)
    (tmp_path / "ODIR-5K_Training_Dataset").rename(tmp_path / "preprocessed_images")
    df = load_benchmark("odir5k", tmp_path)
    assert labels_of(df) == expected.labels
    assert df.attrs["dropped"] == []
