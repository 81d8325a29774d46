"""Streaming Parquet pairs: sharding, shuffling, resume, balancing, errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from pairs_helpers import pair_rows, write_pairs
from PIL import Image
from torch.utils.data import DataLoader

from revision_pipeline.training.data import (
    PairCollator,
    PairsDataset,
    balanced_repeats,
    build_transforms,
)


def _ids(samples) -> list[str]:
    return [s["pair_id"] for s in samples]


def _identity(x):
    return x


def _rank_ids(ds: PairsDataset, num_workers: int) -> list[str]:
    loader = DataLoader(ds, batch_size=None, num_workers=num_workers, collate_fn=_identity)
    return _ids(loader)


@pytest.fixture(scope="module")
def pairs(tmp_path_factory) -> Path:
    # 47 train rows (odd count on purpose), 3 files, row groups of 4
    root = tmp_path_factory.mktemp("pairs")
    return write_pairs(root, 70, n_files=3, row_group_size=4, splits=("train", "train", "val"))


def test_split_across_two_ranks_and_two_workers_is_disjoint_and_complete(pairs):
    per_rank = []
    for rank in (0, 1):
        ds = PairsDataset(pairs, "train", seed=3, shuffle_buffer=8, rank=rank, world_size=2)
        per_rank.append(_rank_ids(ds, num_workers=2))
    all_ids = per_rank[0] + per_rank[1]
    expected = PairsDataset(pairs, "train", shuffle=False).num_rows
    assert len(all_ids) == expected == 47
    assert len(set(all_ids)) == len(all_ids)  # disjoint
    table = pq.read_table(pairs, columns=["pair_id", "split"])
    train_ids = {
        p
        for p, s in zip(*(table.column(c).to_pylist() for c in table.column_names), strict=True)
        if s == "train"
    }
    assert set(all_ids) == train_ids  # complete, and only the wanted split
    assert abs(len(per_rank[0]) - len(per_rank[1])) <= 1


def test_drop_remainder_gives_every_shard_the_same_count(pairs):
    counts = []
    seen: list[str] = []
    for rank in (0, 1):
        ds = PairsDataset(pairs, "train", rank=rank, world_size=2, drop_remainder=True)
        loader = DataLoader(ds, batch_size=None, num_workers=2, collate_fn=_identity)
        ids = _ids(loader)
        counts.append(len(ids))
        seen += ids
    assert counts == [46 // 4 * 2] * 2  # 4 shards × 11 samples, 3 dropped
    assert len(set(seen)) == len(seen)
    assert ds.batches_per_epoch(batch_size=5, num_workers=2) == 2 * (11 // 5)


def test_shuffle_differs_between_epochs_and_is_deterministic_per_seed(pairs):
    def order(seed: int, epoch: int) -> list[str]:
        ds = PairsDataset(pairs, "train", seed=seed, shuffle_buffer=6)
        ds.set_epoch(epoch)
        return _ids(ds)

    e0, e1 = order(1, 0), order(1, 1)
    assert sorted(e0) == sorted(e1)
    assert e0 != e1
    assert order(1, 0) == e0
    assert order(2, 0) != e0
    unshuffled = _ids(PairsDataset(pairs, "train", shuffle=False))
    assert unshuffled == sorted(unshuffled)


def test_resume_from_position_yields_exactly_the_remaining_batches(pairs):
    ds = PairsDataset(pairs, "train", seed=5, shuffle_buffer=8, drop_remainder=True)
    ds.transform = build_transforms(8, train=True)

    def batches(skip: int) -> list[tuple[list[str], torch.Tensor]]:
        ds.set_position(2, skip * 4, batch_size=4)
        loader = DataLoader(ds, batch_size=4, num_workers=2, drop_last=True, collate_fn=_stack)
        return list(loader)

    full = batches(0)
    assert len(full) == ds.batches_per_epoch(4, num_workers=2) == 10
    for skip in (1, 3, 4):
        rest = batches(skip)
        assert [b[0] for b in rest] == [b[0] for b in full[skip:]]
        # augmentation is seeded per sample, so the resumed pixels match too
        assert all(torch.equal(a[1], b[1]) for a, b in zip(rest, full[skip:], strict=True))


def _stack(samples):
    return _ids(samples), torch.stack([s["image"] for s in samples])


def test_set_position_rejects_partial_batches(pairs):
    ds = PairsDataset(pairs, "train")
    with pytest.raises(ValueError, match="multiple"):
        ds.set_position(0, 5, batch_size=4)


def test_balanced_repeats_follow_count_power_law():
    inst = np.array([0] * 90 + [1] * 10)
    rng = np.random.default_rng(0)
    natural = balanced_repeats(inst, 0.0, rng)
    assert (natural == 1).all()
    equal = balanced_repeats(inst, 1.0, rng)
    assert equal.sum() == 100
    assert equal[inst == 0].sum() == 50 and equal[inst == 1].sum() == 50
    half = balanced_repeats(inst, 0.5, rng)  # ∝ sqrt(count): 3:1
    assert half[inst == 0].sum() == 75 and half[inst == 1].sum() == 25


def test_balancing_rebalances_institutions_in_the_stream(tmp_path):
    root = tmp_path / "pairs"
    root.mkdir()
    big = pa.table(pair_rows(36, institutions=("big",)))
    small = pa.table(pair_rows(4, institutions=("small",), start=100))
    pq.write_table(big, root / "a.parquet", row_group_size=6)
    pq.write_table(small, root / "b.parquet", row_group_size=6)
    plain = PairsDataset(root, "train", seed=0)
    balanced = PairsDataset(root, "train", seed=0, balance_alpha=1.0)
    assert Counter(s["institution_id"] for s in plain) == {"big": 36, "small": 4}
    counts = Counter(s["institution_id"] for s in balanced)
    assert counts == {"big": 20, "small": 20}


def test_samples_decode_and_transform(pairs):
    ds = PairsDataset(pairs, "val", build_transforms(24, train=False), shuffle=False)
    sample = next(iter(ds))
    assert sample["image"].shape == (3, 24, 24)
    assert sample["report"].startswith("眼底")
    assert isinstance(sample["labels"], list)


def test_missing_and_empty_inputs_name_path_and_split(tmp_path, pairs):
    with pytest.raises(FileNotFoundError, match="nowhere"):
        PairsDataset(tmp_path / "nowhere", "train")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no Parquet files"):
        PairsDataset(tmp_path / "empty", "train")
    with pytest.raises(ValueError, match=r"split == 'test'") as info:
        PairsDataset(pairs, "test")
    assert str(pairs) in str(info.value)
    bad = tmp_path / "bad"
    bad.mkdir()
    rows = pair_rows(3)
    del rows["report"]
    pq.write_table(pa.table(rows), bad / "x.parquet")
    with pytest.raises(KeyError, match="report"):
        PairsDataset(bad, "train")


def test_train_transform_augments_reproducibly_and_eval_is_plain():
    img = Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 40, 3), dtype=np.uint8))
    train_tf = build_transforms(32, train=True)
    torch.manual_seed(0)
    a = train_tf(img)
    torch.manual_seed(0)
    b = train_tf(img)
    c = train_tf(img)
    assert a.shape == (3, 32, 32) and torch.equal(a, b) and not torch.equal(b, c)
    eval_tf = build_transforms(32, train=False)
    assert torch.equal(eval_tf(img), eval_tf(img))
    names = [type(t).__name__ for t in train_tf.transforms]
    assert "RandomHorizontalFlip" not in names
    flip_names = [type(t).__name__ for t in build_transforms(32, True, hflip=True).transforms]
    assert "RandomHorizontalFlip" in flip_names


def test_collator_tokenises_and_groups_duplicates():
    def encode(tok, texts, max_len):
        ids = torch.tensor([[len(t)] * max_len for t in texts])
        return {"input_ids": ids, "attention_mask": torch.ones_like(ids)}

    samples = [
        {"image": torch.zeros(3, 4, 4), "report": r, "labels": lab, "pair_id": str(i)}
        for i, (r, lab) in enumerate([("正常", []), ("出血", ["H"]), ("正常", []), ("渗出", ["H"])])
    ]
    by_report = PairCollator(None, 5, "report", encode_fn=encode)(samples)
    assert by_report["images"].shape == (4, 3, 4, 4)
    assert by_report["input_ids"].shape == (4, 5)
    g = by_report["group_ids"].tolist()
    assert g[0] == g[2] and len({g[0], g[1], g[3]}) == 3
    g = PairCollator(None, 5, "labels", encode_fn=encode)(samples)["group_ids"].tolist()
    assert g[1] == g[3] and g[0] == g[2] and g[0] != g[1]
    assert PairCollator(None, 5, "none", encode_fn=encode)(samples)["group_ids"] is None
