"""Planning the benchmark stand-ins: balances, oddities, determinism, validation."""

from __future__ import annotations

from collections import Counter

import pandas as pd
import pytest
from pydantic import ValidationError
from standin_helpers import tiny_config

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.plan import plan_archive
from revision_pipeline.synth.standins import STANDINS, BenchmarksConfig, plan_standins
from revision_pipeline.synth.standins.model import allocate, stratify
from revision_pipeline.synth.standins.sets import APTOS_TRAIN, MESSIDOR2, RFMID_COLUMNS


def test_allocate_is_proportional_with_a_floor() -> None:
    counts = allocate(APTOS_TRAIN, 280, 4)
    assert sum(counts.values()) == 280
    assert counts == {"0": 138, "1": 28, "2": 76, "3": 15, "4": 23}
    rare = allocate(MESSIDOR2, 60, 4)
    assert sum(rare.values()) == 60 and min(rare.values()) == 4
    assert rare["0"] > rare["2"] > rare["1"]
    assert allocate({"a": 1, "b": 1, "c": 1}, 2, 5) == {"a": 1, "b": 1, "c": 0}  # floor shrinks


def test_stratify_keeps_split_sizes_and_class_totals() -> None:
    counts = {"a": 17, "b": 5, "c": 3}
    out = stratify(counts, {"train": 15, "val": 4, "test": 6})
    assert {s: sum(c.values()) for s, c in out.items()} == {"train": 15, "val": 4, "test": 6}
    assert {k: sum(out[s][k] for s in out) for k in counts} == counts
    with pytest.raises(ValueError, match="do not add up"):
        stratify(counts, {"train": 3})


@pytest.fixture(scope="module")
def default_sets() -> dict[str, pd.DataFrame]:
    return {s.name: s.truth() for s in plan_standins(BenchmarksConfig())}


def test_default_stand_ins_have_about_1200_photos_in_six_layouts(default_sets) -> None:
    assert set(default_sets) == set(STANDINS) == {
        "aptos2019", "messidor2", "idrid", "odir5k", "rfmid", "imagefolder_demo",
    }  # fmt: skip
    written = sum(int(t["written"].sum()) for t in default_sets.values())
    assert 1100 <= written <= 1300


def test_class_balances_follow_the_real_sets(default_sets) -> None:
    aptos = Counter(default_sets["aptos2019"].query("labelled")["label"])
    assert [k for k, _ in aptos.most_common()] == ["0", "2", "1", "4", "3"]
    messidor = Counter(default_sets["messidor2"].query("labelled")["label"])
    assert [k for k, _ in messidor.most_common()] == ["0", "2", "1", "3", "4"]
    # ODIR per eye: N most common, then D, O, C, G, A, H, M (an eye may carry D and H)
    odir = Counter(c for lab in default_sets["odir5k"]["label"] for c in lab.split(";"))
    assert [k for k, _ in odir.most_common()] == ["N", "D", "O", "C", "G", "A", "H", "M"]
    rfmid = default_sets["rfmid"]
    risk = (rfmid["label"] != "normal").mean()
    assert 0.74 <= risk <= 0.84
    diseases = Counter(c for lab in rfmid["label"] for c in lab.split(";") if c != "normal")
    assert set(dict(diseases.most_common(4))) == {"DR", "MH", "ODC", "TSLN"}
    assert set(diseases) <= set(RFMID_COLUMNS)
    idrid = default_sets["idrid"]
    assert Counter(idrid["split"]) == {"train": 112, "test": 28}
    for truth in default_sets.values():  # every class has its floor
        labels = Counter(c for lab in truth.query("labelled")["label"] for c in lab.split(";"))
        assert min(labels.values()) >= 4, labels


def test_oddities_are_planted(default_sets) -> None:
    notes = {name: Counter(t["note"]) for name, t in default_sets.items()}
    assert notes["aptos2019"]["missing_file"] == 2
    assert notes["aptos2019"]["unlabelled_test"] == 10
    assert notes["messidor2"]["ungradable"] == 4
    assert notes["odir5k"]["lens_dust"] == 6
    assert notes["imagefolder_demo"]["upper_case_extension"] == 3
    for name in ("messidor2", "idrid", "odir5k", "rfmid"):
        assert notes[name]["missing_file"] == 1, name
    ungradable = default_sets["messidor2"].query("note == 'ungradable'")
    assert not ungradable["labelled"].any()
    assert ungradable["rendered_as"].str.contains("defect=").all()


def test_classes_are_painted_with_the_renderers_signs(default_sets) -> None:
    painted = pd.concat(default_sets.values())
    pairs = set(zip(painted["label"], painted["rendered_as"].str.split(";").str[0], strict=True))
    assert ("4", "dr4") in pairs and ("0", "normal") in pairs
    odir = default_sets["odir5k"]
    assert odir.query("label == 'C'")["rendered_as"].str.contains("haze=").all()
    assert odir.query("label == 'M'")["rendered_as"].str.startswith("pathologic_myopia").all()
    rfmid = default_sets["rfmid"]
    assert rfmid.query("label == 'ODC'")["rendered_as"].str.startswith("glaucoma").all()
    assert rfmid.query("label == 'MH'")["rendered_as"].str.contains("haze=").all()


def test_plan_is_deterministic_and_sets_have_their_own_streams() -> None:
    first = {s.name: s.truth() for s in plan_standins(tiny_config())}
    again = {s.name: s.truth() for s in plan_standins(tiny_config())}
    assert all(first[k].equals(again[k]) for k in first)
    other = {s.name: s.truth() for s in plan_standins(tiny_config(seed=12))}
    assert not first["aptos2019"].equals(other["aptos2019"])
    bigger = tiny_config().model_dump()
    bigger["sets"]["aptos2019"]["splits"] = {"train": 20}
    grown = {s.name: s.truth() for s in plan_standins(BenchmarksConfig.model_validate(bigger))}
    assert grown["rfmid"].equals(first["rfmid"])  # one set's size leaves the others alone


def test_no_photo_seed_shared_with_the_archive() -> None:
    archive = plan_archive(DemoArchiveConfig(n_institutions=20, n_exams=300))
    archive_seeds = {p.spec.seed for p in archive.photos}
    standin_seeds = {p.seed for s in plan_standins(BenchmarksConfig()) for p in s.photos}
    assert not archive_seeds & standin_seeds


def test_parameters_override_defaults_key_by_key() -> None:
    config = BenchmarksConfig.model_validate({"sets": {"rfmid": {"splits": {"train": 10}}}})
    rfmid = config.sets["rfmid"]
    assert rfmid.splits == {"train": 10}  # the splits named, and no others
    assert rfmid.camera.format == "png"  # the set's own camera is kept
    assert config.sets["aptos2019"].splits == {"train": 280}


def test_scale_multiplies_every_split() -> None:
    sets = {s.name: s.truth() for s in plan_standins(BenchmarksConfig(scale=0.05))}
    assert len(sets["rfmid"]) == 6 + 2 + 2  # 120/40/40 scaled, odd items unchanged
    assert (sets["odir5k"]["note"] == "lens_dust").sum() == 6
    assert Counter(sets["idrid"]["split"]) == {"train": 6, "test": 1}


@pytest.mark.parametrize(
    ("sets", "message"),
    [
        ({"aptos": {"splits": {"train": 3}}}, "unknown stand-in"),
        ({"aptos2019": {"splits": {"val": 3}}}, r"its layout has splits \['train'\]"),
        ({"rfmid": {"camera": {"heights": [10]}}}, "heights must lie"),
        ({"rfmid": {"camera": {"field_crop": [0.9, 0.8]}}}, "field_crop"),
        ({"rfmid": {"splits": {"train": 0, "val": 0, "test": 0}}}, "at least one photo"),
        ({"rfmid": {"missing": 1}}, "Extra inputs"),
        ({"imagefolder_demo": {"missing_files": 1}}, "no label file"),
    ],
)
def test_bad_parameters_are_named(sets, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BenchmarksConfig.model_validate({"sets": sets})


def test_archive_parameters_validate_the_benchmarks_section() -> None:
    with pytest.raises(ValidationError, match=r"benchmarks\.sets\.rfmid\.cam"):
        DemoArchiveConfig.model_validate({"benchmarks": {"sets": {"rfmid": {"cam": 1}}}})
