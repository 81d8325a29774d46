"""One benchmark as arrays: targets, the train/test split used for scoring, and checks.

Bad input never crashes the evaluation: :func:`check_scorable` raises :class:`SkipBenchmark`
with a reason the report prints (an empty split, a single class, nothing left after the
contamination check).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

logger = logging.getLogger(__name__)


class SkipBenchmark(Exception):
    """A benchmark (or one of its tasks) cannot be scored; the message is the report's reason."""


@dataclass
class BenchmarkArrays:
    """Labels of one benchmark, aligned with its prepared table's rows.

    Attributes:
        name: benchmark name (the key in ``evaluate.benchmarks``).
        task: ``single`` or ``multi``.
        classes: class names in the adapter's order (only those in the data are kept for
            ``imagefolder``-style sets whose class list is discovered).
        graded: ordinal DR grades.
        targets: class index ``(N,)`` or multi-hot ``(N, C)``.
        is_test: rows scored (the benchmark's test split, or the seeded held-out part).
        split_source: ``publisher`` or ``seeded``.
        excluded: rows left out of scoring (contaminated or unreadable).
    """

    name: str
    task: str
    classes: list[str]
    graded: bool
    targets: np.ndarray
    is_test: np.ndarray
    split_source: str
    excluded: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    @property
    def train_idx(self) -> np.ndarray:
        return np.flatnonzero(~self.is_test & ~self.excluded)

    @property
    def test_idx(self) -> np.ndarray:
        return np.flatnonzero(self.is_test & ~self.excluded)


def targets_from_labels(labels: pd.Series, classes: list[str], task: str, name: str) -> np.ndarray:
    """Class indices (``single``) or multi-hot rows (``multi``) of the adapter's labels.

    Raises:
        SkipBenchmark: a label outside ``classes`` (names the row and the value).
    """
    index = {c: i for i, c in enumerate(classes)}

    def _idx(value: object, row: int) -> int:
        if str(value) not in index:
            raise SkipBenchmark(f"{name}: row {row} has label {value!r}, not one of {classes}")
        return index[str(value)]

    if task == "single":
        return np.array([_idx(v, r) for r, v in enumerate(labels)], dtype=np.int64)
    out = np.zeros((len(labels), len(classes)), dtype=np.int8)
    for r, values in enumerate(labels):
        for v in values:
            out[r, _idx(v, r)] = 1
    return out


def seeded_split(
    keys: np.ndarray, test_fraction: float, seed: int, groups: np.ndarray | None = None
) -> np.ndarray:
    """Boolean test mask: stratified by ``keys``, whole ``groups`` (patients) on one side."""
    rng = np.random.default_rng(seed)
    groups = np.arange(len(keys)) if groups is None else groups
    group_ids, first = np.unique(groups, return_index=True)
    group_key = keys[first]
    test_groups: set = set()
    for key in np.unique(group_key):
        members = group_ids[group_key == key]
        members = members[rng.permutation(len(members))]
        n_test = round(len(members) * test_fraction)
        if len(members) >= 2:
            n_test = min(max(n_test, 1), len(members) - 1)
        test_groups.update(members[:n_test].tolist())
    return np.array([g in test_groups for g in groups])


def build_arrays(
    name: str,
    table: pd.DataFrame,
    *,
    task: str,
    classes: list[str],
    graded: bool,
    test_fraction: float = 0.4,
    seed: int = 0,
) -> BenchmarkArrays:
    """Targets and the scoring split of a benchmark table.

    The publisher's ``test`` split is scored when it has rows (``val`` rows join the
    training side); otherwise a seeded split stratified by label (and grouped by
    ``patient_id`` when the table has one) holds out ``test_fraction``.
    """
    if not classes:  # discovered class lists (folder layouts): the labels present
        values = table["label"] if task == "single" else table["label"].explode().dropna()
        classes = sorted({str(v) for v in values})
    targets = targets_from_labels(table["label"], classes, task, name)
    if "split" in table and (table["split"] == "test").any():
        is_test, source = (table["split"] == "test").to_numpy(), "publisher"
    else:
        if task == "single":
            keys = targets.astype(str)
        else:
            keys = np.array(["|".join(map(str, np.flatnonzero(t))) for t in targets])
            counts = pd.Series(keys).value_counts()
            keys = np.where(pd.Series(keys).map(counts).to_numpy() < 2, "rare", keys)
        groups = table["patient_id"].astype(str).to_numpy() if "patient_id" in table else None
        is_test, source = seeded_split(keys, test_fraction, seed, groups), "seeded"
    return BenchmarkArrays(
        name, task, list(classes), graded, targets, is_test, source, np.zeros(len(table), bool)
    )


def check_scorable(arrays: BenchmarkArrays, part: str = "test") -> None:
    """Raise :class:`SkipBenchmark` when ``part`` (``test``/``train``) cannot be scored."""
    idx = arrays.test_idx if part == "test" else arrays.train_idx
    if len(idx) == 0:
        raise SkipBenchmark(f"{arrays.name}: the {part} split is empty after exclusions")
    t = arrays.targets[idx]
    if arrays.task == "single":
        present = np.unique(t)
        if len(present) < 2:
            only = arrays.classes[int(present[0])]
            raise SkipBenchmark(f"{arrays.name}: the {part} split has one class only ({only!r})")
    else:
        scorable = ((t.sum(axis=0) > 0) & (t.sum(axis=0) < len(t))).sum()
        if scorable == 0:
            raise SkipBenchmark(
                f"{arrays.name}: no label of the {part} split has both positives and negatives"
            )
