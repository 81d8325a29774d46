"""Streaming image/report pairs from the curated Parquet dataset (docs/contracts.md §5).

The dataset never loads the whole table. At construction it reads only the small
``split`` and ``institution_id`` columns of every row group to build an index; each
epoch it then derives a pure *index plan* (which row of which row group comes when, for
which shard) from ``(seed, epoch)``, and reads the row groups its shard needs lazily,
one at a time. Because the plan is pure arithmetic, skipping to a data position
(``set_position``) costs no I/O and no decoding.

Sharding: shard ``s = rank * num_workers + worker_id`` of ``S = world_size *
num_workers`` takes a contiguous slice of the epoch's global stream (row groups in a
shuffled order, rows shuffled within each row group, optional institution balancing),
then applies a bounded shuffle buffer. The shards are disjoint and, with
``drop_remainder=False``, cover every row of the split. With ``drop_remainder=True``
(training) every shard gets exactly ``len(stream) // S`` samples, so all DDP ranks and
DataLoader workers see the same number of batches; the few dropped samples (< S)
change each epoch.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import torch
from PIL import Image
from torch.utils.data import IterableDataset, get_worker_info
from torchvision import transforms as T

logger = logging.getLogger(__name__)

CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

REQUIRED_COLUMNS = ("pair_id", "institution_id", "split", "image", "report", "labels")
_READ_COLUMNS = ["pair_id", "institution_id", "image", "report", "labels"]


def build_transforms(
    image_size: int,
    train: bool,
    *,
    hflip: bool = False,
    mean: Sequence[float] = CLIP_MEAN,
    std: Sequence[float] = CLIP_STD,
) -> Callable[[Image.Image], torch.Tensor]:
    """Build the image transform for fundus photographs.

    Training: small rotation (±15°, black fill like the area outside the disc), a mild
    random resized crop (scale 0.8–1.0, near-square), small colour jitter (hue very
    small). No horizontal flip unless ``hflip`` — reports name the eye, so a flip would
    contradict its text. Evaluation: resize to ``image_size`` square.

    Args:
        image_size: Output side in pixels.
        train: Whether to augment.
        hflip: Add a random horizontal flip (training only).
        mean: Normalisation mean (default CLIP's).
        std: Normalisation std (default CLIP's).

    Returns:
        A callable mapping an RGB PIL image to a normalised ``(3, S, S)`` float tensor.
    """
    normalise = [T.ToTensor(), T.Normalize(mean=list(mean), std=list(std))]
    if not train:
        return T.Compose([T.Resize((image_size, image_size), antialias=True), *normalise])
    ops: list[Any] = [
        T.RandomRotation(15, interpolation=T.InterpolationMode.BILINEAR, fill=0),
        T.RandomResizedCrop(image_size, scale=(0.8, 1.0), ratio=(0.9, 1.1), antialias=True),
        T.ColorJitter(brightness=0.2, contrast=0.2, saturation=0.1, hue=0.02),
    ]
    if hflip:
        ops.append(T.RandomHorizontalFlip())
    return T.Compose([*ops, *normalise])


@dataclass(frozen=True)
class _Unit:
    """One row group restricted to the rows of the wanted split."""

    file: str
    row_group: int
    rows: np.ndarray  # row indices inside the row group
    institutions: np.ndarray  # institution code per row (index into PairsDataset.institutions)


def _scan_units(path: Path, split: str) -> tuple[list[_Unit], list[str]]:
    """Index every row group of the dataset at ``path`` (reads two small columns)."""
    if not path.exists():
        raise FileNotFoundError(f"pairs dataset not found: {path}")
    try:
        files = sorted(pads.dataset(str(path), format="parquet").files)
    except Exception as exc:  # pyarrow raises several types for unreadable inputs
        raise ValueError(f"cannot open pairs dataset at {path}: {exc}") from exc
    if not files:
        raise ValueError(f"pairs dataset at {path} holds no Parquet files")
    units: list[_Unit] = []
    inst_codes: dict[str, int] = {}
    for file in files:
        pf = pq.ParquetFile(file)
        missing = [c for c in REQUIRED_COLUMNS if c not in pf.schema_arrow.names]
        if missing:
            raise KeyError(f"{file}: missing column(s) {missing}; expected {REQUIRED_COLUMNS}")
        for rg in range(pf.num_row_groups):
            table = pf.read_row_group(rg, columns=["split", "institution_id"])
            splits = np.asarray(table.column("split").to_pylist(), dtype=object)
            rows = np.flatnonzero(splits == split)
            if rows.size == 0:
                continue
            insts = table.column("institution_id").to_pylist()
            codes = np.array([inst_codes.setdefault(insts[i], len(inst_codes)) for i in rows])
            units.append(_Unit(file, rg, rows, codes))
    if not units:
        raise ValueError(f"pairs dataset at {path} has no rows with split == {split!r}")
    return units, list(inst_codes)


def balanced_repeats(
    inst: np.ndarray, alpha: float, rng: np.random.Generator, n_out: int | None = None
) -> np.ndarray:
    """Per-row repeat counts that sample institutions with weight ∝ count^-alpha per row.

    Institution ``i`` with ``c_i`` rows receives ``n_i ∝ c_i^(1-alpha)`` draws
    (``alpha=0``: natural frequencies; ``alpha=1``: equal per institution), the total
    being ``n_out`` (default: the number of rows), so an epoch keeps its length. Each
    row gets ``n_i // c_i`` copies plus one more for a random subset of the remainder.

    Args:
        inst: Institution code per row.
        alpha: Balancing exponent in [0, 1].
        rng: Random generator (drives which rows get the extra copy).
        n_out: Total number of draws.

    Returns:
        Integer repeat count per row (same length as ``inst``).
    """
    n_out = len(inst) if n_out is None else n_out
    codes, counts = np.unique(inst, return_counts=True)
    weights = counts.astype(float) ** (1.0 - alpha)
    exact = weights / weights.sum() * n_out
    target = np.floor(exact).astype(int)
    short = n_out - target.sum()  # largest-remainder rounding keeps the total exact
    target[np.argsort(-(exact - target), kind="stable")[:short]] += 1
    repeats = np.zeros(len(inst), dtype=np.int64)
    for code, count, n_i in zip(codes, counts, target, strict=True):
        idx = np.flatnonzero(inst == code)
        repeats[idx] = n_i // count
        extra = rng.choice(idx, size=n_i % count, replace=False)
        repeats[extra] += 1
    return repeats


class PairsDataset(IterableDataset):
    """Stream ``{image, report, labels, institution_id, pair_id}`` samples of one split.

    Args:
        path: Directory (or file) of the curated pairs Parquet dataset.
        split: ``train``, ``val`` or ``test``.
        transform: Image transform (PIL → tensor); ``None`` yields PIL images.
        seed: Base seed; the epoch plan depends only on ``(seed, epoch)``.
        shuffle: Shuffle row-group order, rows within row groups, and via a buffer.
        shuffle_buffer: Size of the bounded shuffle buffer (samples held in memory).
        balance_alpha: Institution balancing exponent (``None``/0: off).
        drop_remainder: Give every shard exactly the same number of samples.
        rank: DDP rank (default: from ``torch.distributed`` when initialised, else 0).
        world_size: DDP world size (default likewise, else 1).
        decode_size: Hint for JPEG DCT-scaled decoding (``PIL.Image.draft``).

    Raises:
        FileNotFoundError: When ``path`` does not exist.
        ValueError: When it holds no Parquet files or no rows of ``split``.
        KeyError: When a file lacks a required column.
    """

    def __init__(
        self,
        path: str | Path,
        split: str = "train",
        transform: Callable[[Image.Image], Any] | None = None,
        *,
        seed: int = 0,
        shuffle: bool = True,
        shuffle_buffer: int = 2048,
        balance_alpha: float | None = None,
        drop_remainder: bool = False,
        rank: int | None = None,
        world_size: int | None = None,
        decode_size: int | None = None,
    ) -> None:
        super().__init__()
        self.path = Path(path)
        self.split = split
        self.transform = transform
        self.seed = seed
        self.shuffle = shuffle
        self.shuffle_buffer = max(1, shuffle_buffer)
        self.balance_alpha = balance_alpha
        self.drop_remainder = drop_remainder
        dist_on = torch.distributed.is_available() and torch.distributed.is_initialized()
        self.rank = rank if rank is not None else (torch.distributed.get_rank() if dist_on else 0)
        self.world_size = (
            world_size
            if world_size is not None
            else (torch.distributed.get_world_size() if dist_on else 1)
        )
        self.decode_size = decode_size
        self._units, self.institutions = _scan_units(self.path, split)
        self.num_rows = int(sum(u.rows.size for u in self._units))
        self._unit_offset = np.cumsum([0] + [u.rows.size for u in self._units])
        self._inst_flat = np.concatenate([u.institutions for u in self._units])
        self.epoch = 0
        self._skip_samples = 0  # samples of this rank's stream already consumed
        self._skip_batch = 1
        logger.info(
            "pairs %s split=%s: %d rows in %d row groups from %d institutions",
            self.path,
            split,
            self.num_rows,
            len(self._units),
            len(self.institutions),
        )

    # ----------------------------------------------------------------- position
    def set_epoch(self, epoch: int) -> None:
        """Start ``epoch`` from its beginning."""
        self.set_position(epoch, 0)

    def set_position(self, epoch: int, samples_seen: int, batch_size: int = 1) -> None:
        """Resume ``epoch`` after this rank has consumed ``samples_seen`` samples.

        With several DataLoader workers, batches of ``batch_size`` come from the workers
        in turn, so ``samples_seen`` must be a multiple of ``batch_size`` and the same
        ``num_workers``, world size and seed as before are needed.
        """
        if samples_seen % batch_size:
            raise ValueError(f"samples_seen={samples_seen} is not a multiple of {batch_size=}")
        self.epoch, self._skip_samples, self._skip_batch = epoch, samples_seen, batch_size

    def __len__(self) -> int:
        return self.num_rows

    def samples_per_shard(self, num_workers: int = 0) -> list[int]:
        """Samples each shard of this epoch gets, for shards of all ranks × workers."""
        n_shards = self.world_size * max(1, num_workers)
        m = self._stream_length()
        if self.drop_remainder:
            return [m // n_shards] * n_shards
        return [(s + 1) * m // n_shards - s * m // n_shards for s in range(n_shards)]

    def batches_per_epoch(self, batch_size: int, num_workers: int = 0) -> int:
        """Full batches per epoch that *every* rank gets (``drop_last`` per worker)."""
        per_shard = self.samples_per_shard(num_workers)
        nw = max(1, num_workers)
        per_rank = [
            sum(n // batch_size for n in per_shard[r * nw : (r + 1) * nw])
            for r in range(self.world_size)
        ]
        return min(per_rank)

    # ----------------------------------------------------------------- planning
    def _stream_length(self) -> int:
        return self.num_rows  # balancing redistributes draws but keeps the total

    def _global_stream(self, epoch: int) -> tuple[np.ndarray, np.ndarray]:
        """The epoch's ordered (unit, row-within-unit) pairs before sharding."""
        rng = np.random.default_rng([self.seed, epoch])
        n_units = len(self._units)
        order = rng.permutation(n_units) if self.shuffle else np.arange(n_units)
        unit_idx, row_idx = [], []
        for u in order:
            n = self._units[u].rows.size
            rows = rng.permutation(n) if self.shuffle else np.arange(n)
            unit_idx.append(np.full(n, u))
            row_idx.append(rows)
        units, rows = np.concatenate(unit_idx), np.concatenate(row_idx)
        if self.balance_alpha:
            inst = self._inst_flat[self._unit_offset[units] + rows]
            reps = balanced_repeats(inst, self.balance_alpha, rng)
            units, rows = np.repeat(units, reps), np.repeat(rows, reps)
        return units, rows

    def shard_plan(self, epoch: int, shard: int, n_shards: int) -> np.ndarray:
        """Positions (into the epoch's global stream) that ``shard`` yields, in order."""
        m = self._stream_length()
        if self.drop_remainder:
            lo, hi = shard * (m // n_shards), (shard + 1) * (m // n_shards)
        else:
            lo, hi = shard * m // n_shards, (shard + 1) * m // n_shards
        positions = np.arange(lo, hi)
        if not self.shuffle or self.shuffle_buffer <= 1:
            return positions
        rng = np.random.default_rng([self.seed, epoch, shard, n_shards])
        out = np.empty_like(positions)
        buf: list[int] = []
        k = 0
        for p in positions.tolist():
            if len(buf) < self.shuffle_buffer:
                buf.append(p)
                continue
            j = int(rng.integers(len(buf)))
            out[k], buf[j] = buf[j], p
            k += 1
        rest = rng.permutation(len(buf))
        out[k:] = np.asarray(buf, dtype=positions.dtype)[rest] if buf else out[k:]
        return out

    # ----------------------------------------------------------------- reading
    def _shard_and_skip(self) -> tuple[int, int, int]:
        info = get_worker_info()
        wid, nw = (info.id, info.num_workers) if info is not None else (0, 1)
        batches_seen = self._skip_samples // self._skip_batch
        # The DataLoader takes batch i from worker i % nw and a fresh loader starts at
        # worker 0, so after b batches loader worker w continues logical shard (w + b) % nw.
        logical = (wid + batches_seen) % nw
        skip = (batches_seen - logical + nw - 1) // nw * self._skip_batch
        return self.rank * nw + logical, self.world_size * nw, max(0, skip)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        shard, n_shards, skip = self._shard_and_skip()
        epoch = self.epoch
        units, rows = self._global_stream(epoch)
        plan = self.shard_plan(epoch, shard, n_shards)[skip:]
        yield from self._read(plan, units, rows, epoch)

    def _read(
        self, plan: np.ndarray, units: np.ndarray, rows: np.ndarray, epoch: int
    ) -> Iterator[dict[str, Any]]:
        # rows are read unit by unit in the order they first appear in the plan
        needed: dict[tuple[int, int], int] = {}
        for p in plan.tolist():
            key = (int(units[p]), int(rows[p]))
            needed[key] = needed.get(key, 0) + 1
        load_order = list(dict.fromkeys(int(units[p]) for p in plan.tolist()))
        loaded: dict[tuple[int, int], dict[str, Any]] = {}
        next_load = 0
        for p in plan.tolist():
            key = (int(units[p]), int(rows[p]))
            while key not in loaded:
                self._load_unit(load_order[next_load], needed, loaded)
                next_load += 1
            record = loaded[key]
            needed[key] -= 1
            if needed[key] == 0:
                del loaded[key]
            yield self._make_sample(record, epoch, p)

    def _load_unit(
        self,
        u: int,
        needed: dict[tuple[int, int], int],
        loaded: dict[tuple[int, int], dict[str, Any]],
    ) -> None:
        unit = self._units[u]
        table = pq.ParquetFile(unit.file).read_row_group(unit.row_group, columns=_READ_COLUMNS)
        cols = {name: table.column(name) for name in _READ_COLUMNS}
        for r, row in enumerate(unit.rows.tolist()):
            if (u, r) in needed:
                rec = {name: col[row].as_py() for name, col in cols.items()}
                rec["_source"] = f"{unit.file}#rowgroup={unit.row_group},row={row}"
                loaded[(u, r)] = rec

    def _make_sample(self, rec: dict[str, Any], epoch: int, position: int) -> dict[str, Any]:
        try:
            image = Image.open(io.BytesIO(rec["image"]))
            if self.decode_size:
                image.draft("RGB", (self.decode_size, self.decode_size))
            image = image.convert("RGB")
        except Exception as exc:
            raise ValueError(f"cannot decode image of {rec['_source']}: {exc}") from exc
        if self.transform is not None:
            # per-sample seed: augmentation is reproducible whatever the worker layout
            seed = int(np.random.SeedSequence([self.seed, epoch, position]).generate_state(1)[0])
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(seed)
                image = self.transform(image)
        return {
            "image": image,
            "report": rec["report"] or "",
            "labels": list(rec["labels"] or []),
            "institution_id": rec["institution_id"],
            "pair_id": rec["pair_id"],
        }


class PairCollator:
    """Collate samples into a training batch, tokenising the reports.

    Args:
        tokenizer: Tokenizer passed to ``encode_fn``.
        max_len: Maximum token length.
        group_by: False-negative grouping: ``report`` (identical report texts are
            positives of each other), ``labels`` (identical label sets), or ``none``.
        encode_fn: ``(tokenizer, texts, max_len) -> {input_ids, attention_mask}``
            (default: ``revision_pipeline.models.encode_batch``).
        group_fn: ``texts -> group ids`` (default: ``models.group_ids_from_texts``).
    """

    def __init__(
        self,
        tokenizer: Any,
        max_len: int,
        group_by: str = "report",
        encode_fn: Callable[..., dict[str, torch.Tensor]] | None = None,
        group_fn: Callable[[list[str]], Any] | None = None,
    ) -> None:
        if group_by not in {"report", "labels", "none"}:
            raise ValueError(f"group_by must be report, labels or none, got {group_by!r}")
        if encode_fn is None or group_fn is None:
            from revision_pipeline.models import encode_batch, group_ids_from_texts

            encode_fn = encode_fn or encode_batch
            group_fn = group_fn or group_ids_from_texts
        self.tokenizer, self.max_len, self.group_by = tokenizer, max_len, group_by
        self.encode_fn, self.group_fn = encode_fn, group_fn

    def __call__(self, samples: list[dict[str, Any]]) -> dict[str, Any]:
        reports = [s["report"] for s in samples]
        tokens = self.encode_fn(self.tokenizer, reports, self.max_len)
        batch: dict[str, Any] = {
            "images": torch.stack([s["image"] for s in samples]),
            "input_ids": tokens["input_ids"],
            "attention_mask": tokens["attention_mask"],
            "reports": reports,
            "pair_ids": [s["pair_id"] for s in samples],
            "group_ids": None,
        }
        if self.group_by == "report":
            batch["group_ids"] = torch.as_tensor(self.group_fn(reports))
        elif self.group_by == "labels":
            keys = ["|".join(sorted(s["labels"])) for s in samples]
            batch["group_ids"] = torch.as_tensor(self.group_fn(keys))
        return batch
