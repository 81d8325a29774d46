"""Hundreds of uneven Parquet shards over 4 gloo ranks: no hang, no silent loss, flat memory."""

from __future__ import annotations

import datetime as dt
import json
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from pairs_helpers import pair_rows
from torch.utils.data import DataLoader

from revision_pipeline.training.data import PairsDataset

WORLD_SIZE = 4
BATCH = 8
N_FILES = 240
#: seconds a collective may wait before gloo raises (a rank that ran out of batches
#: while the others wait shows up as this error, not as a test that never ends)
COLLECTIVE_TIMEOUT = 60


def _write_uneven_shards(root: Path, n_files: int, seed: int = 0, total: int | None = None) -> Path:
    """``n_files`` Parquet files of 1 to ~30 rows (or ``total`` rows in all), uneven row groups."""
    rng = np.random.default_rng(seed)
    sizes = (
        rng.integers(1, 31, n_files)
        if total is None
        else np.diff(
            np.sort(
                np.concatenate(
                    [[0, total], rng.choice(np.arange(1, total), n_files - 1, replace=False)]
                )
            )
        )
    )
    root.mkdir(parents=True, exist_ok=True)
    start = 0
    for i, size in enumerate(sizes.tolist()):
        rows = pair_rows(size, splits=("train", "train", "train", "val"), start=start)
        pq.write_table(
            pa.table(rows), root / f"part-{i:04d}.parquet", row_group_size=int(rng.integers(1, 9))
        )
        start += size
    return root


def _ids(samples: list[dict]) -> list[str]:
    return [s["pair_id"] for s in samples]


def _rank(rank: int, root: str, init: str, out: str) -> None:
    import torch.distributed as dist

    dist.init_process_group(
        "gloo", init_method=f"file://{init}", rank=rank, world_size=WORLD_SIZE,
        timeout=dt.timedelta(seconds=COLLECTIVE_TIMEOUT),
    )  # fmt: skip
    try:
        result: dict[str, object] = {}
        for drop in (True, False):
            ds = PairsDataset(root, "train", seed=5, shuffle_buffer=32, drop_remainder=drop)
            for epoch in (0, 1):
                ds.set_epoch(epoch)
                loader = DataLoader(ds, batch_size=BATCH, drop_last=drop, collate_fn=_ids)
                seen: list[str] = []
                for batch in loader:  # one collective per step, as DDP's gradient all-reduce
                    step = torch.tensor([len(batch)])
                    dist.all_reduce(step)
                    seen.extend(batch)
                result[f"{drop}/{epoch}"] = seen
            result[f"{drop}/planned"] = ds.batches_per_epoch(BATCH) if drop else None
        dist.barrier()
        Path(out, f"rank{rank}.json").write_text(json.dumps(result))
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # four spawned interpreters with torch: ~10 s idle, longer on a busy host
def test_hundreds_of_uneven_shards_over_four_gloo_ranks(tmp_path: Path) -> None:
    mp = pytest.importorskip("torch.multiprocessing")
    root = _write_uneven_shards(tmp_path / "pairs", N_FILES)
    table = pq.read_table(root, columns=["pair_id", "split"]).to_pydict()
    train = {p for p, s in zip(table["pair_id"], table["split"], strict=True) if s == "train"}
    context = mp.spawn(
        _rank,
        args=(str(root), str(tmp_path / "init"), str(tmp_path)),
        nprocs=WORLD_SIZE,
        join=False,
    )
    deadline = time.monotonic() + 6 * COLLECTIVE_TIMEOUT
    while not context.join(timeout=5):
        if time.monotonic() > deadline:
            for process in context.processes:
                process.kill()
            pytest.fail("a rank hung at an epoch's end")
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(WORLD_SIZE)]
    for epoch in (0, 1):
        # training (drop_remainder): every rank the same number of full batches ...
        seen = [r[f"True/{epoch}"] for r in ranks]
        assert {len(s) for s in seen} == {ranks[0]["True/planned"] * BATCH}
        flat = [p for s in seen for p in s]
        assert len(set(flat)) == len(flat) and set(flat) <= train  # disjoint, right split
        # ... and only a few rows (less than a batch per rank) wait for another epoch
        assert len(train) - len(flat) < WORLD_SIZE * BATCH
        # evaluation (no dropping): every row exactly once over the ranks
        every = [p for r in ranks for p in r[f"False/{epoch}"]]
        assert sorted(every) == sorted(train)
    assert ranks[0]["True/0"] != ranks[0]["True/1"]  # a new order each epoch


def _epoch_peak(root: Path) -> int:
    ds = PairsDataset(root, "train", seed=1, shuffle_buffer=32, rank=1, world_size=4)
    tracemalloc.start()
    for _ in DataLoader(ds, batch_size=BATCH, collate_fn=_ids):
        pass
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_loader_memory_does_not_grow_with_the_number_of_shards(tmp_path: Path) -> None:
    few = _epoch_peak(_write_uneven_shards(tmp_path / "few", 20, total=1200))
    many = _epoch_peak(_write_uneven_shards(tmp_path / "many", 400, total=1200))
    assert many < 1.5 * few, (few, many)
