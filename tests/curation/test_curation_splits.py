"""Patient-level splits: deterministic, one split per patient, external cohorts."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from revision_pipeline.curation.splits import SplitConfig, assign_split, assign_splits

PIDS = [f"P{i:016x}" for i in range(5000)]


def test_splits_are_deterministic_and_independent_of_the_other_rows() -> None:
    config = SplitConfig()
    first = assign_splits(PIDS, ["H1"] * len(PIDS), config)
    assert first == assign_splits(PIDS, ["H1"] * len(PIDS), SplitConfig())
    # a patient's split does not depend on row order or on who else is in the archive
    reverse = assign_splits(PIDS[::-1], ["H1"] * len(PIDS), config)
    assert reverse == first[::-1]
    assert assign_splits(PIDS[100:110], ["H9"] * 10, config) == first[100:110]


def test_split_fractions_follow_the_configuration() -> None:
    splits = assign_splits(PIDS, ["H1"] * len(PIDS), SplitConfig(val=0.2, test=0.1))
    assert set(splits) == {"train", "val", "test"}
    assert splits.count("val") / len(PIDS) == pytest.approx(0.2, abs=0.025)
    assert splits.count("test") / len(PIDS) == pytest.approx(0.1, abs=0.02)


def test_salt_changes_the_assignment() -> None:
    a = [assign_split(p, SplitConfig()) for p in PIDS[:500]]
    b = [assign_split(p, SplitConfig(salt="other")) for p in PIDS[:500]]
    assert a != b


def test_a_patient_seen_at_two_institutions_is_in_one_split() -> None:
    pids = PIDS[:300] * 2
    insts = ["H1"] * 300 + ["H2"] * 300
    splits = assign_splits(pids, insts, SplitConfig(val=0.3, test=0.3))
    by_patient: dict[str, set[str]] = {}
    for pid, split in zip(pids, splits, strict=True):
        by_patient.setdefault(pid, set()).add(split)
    assert all(len(s) == 1 for s in by_patient.values())


def test_external_institutions_go_to_test_whole_with_their_patients_elsewhere() -> None:
    config = SplitConfig(val=0.1, test=0.1, external_institutions=("EXT",))
    pids = [*PIDS[:200], *PIDS[:50], *PIDS[500:700]]  # the first 50 also seen at EXT
    insts = ["EXT"] * 200 + ["H1"] * 50 + ["H1"] * 200
    splits = assign_splits(pids, insts, config)
    assert splits[:250] == ["test"] * 250  # EXT rows, and EXT patients seen at H1
    rest = splits[250:]
    assert rest == [assign_split(p, config) for p in PIDS[500:700]]
    assert rest.count("train") > 100


@pytest.mark.parametrize(
    ("values", "match"),
    [
        ({"val": 0.5, "test": 0.5}, "val \\+ test"),
        ({"vall": 0.1}, "vall"),
        ({"test": -0.1}, "test"),
    ],
)
def test_bad_split_configuration_is_refused(values, match) -> None:
    with pytest.raises(ValidationError, match=match):
        SplitConfig(**values)
