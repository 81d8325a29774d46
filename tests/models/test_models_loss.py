"""ClipLoss: reference values, false-negative-aware soft targets, and a real 2-rank gather."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from revision_pipeline.models.loss import ClipLoss, group_ids_from_texts

WORLD_SIZE = 2
# (local_loss, gather_with_grad) settings exercised in the distributed test.
DIST_SETTINGS = ((False, True), (True, True), (False, False))


def _features(n: int = 8, d: int = 16, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    img = F.normalize(torch.randn(n, d, generator=gen), dim=-1)
    txt = F.normalize(torch.randn(n, d, generator=gen), dim=-1)
    return img, txt


def test_matches_hand_computed_infonce() -> None:
    img = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.6, 0.8]])
    txt = torch.tensor([[0.8, 0.6], [0.0, 1.0], [1.0, 0.0]])
    scale = 2.0
    sim = [[scale * sum(a * b for a, b in zip(i, t, strict=True)) for t in txt.tolist()]
           for i in img.tolist()]  # fmt: skip

    def ce(rows: list[list[float]]) -> float:
        return sum(math.log(sum(math.exp(v) for v in row)) - row[k] for k, row in enumerate(rows))

    cols = [list(c) for c in zip(*sim, strict=True)]
    expected = (ce(sim) + ce(cols)) / (2 * len(sim))
    got = ClipLoss()(img, txt, torch.tensor(scale))
    assert got.item() == pytest.approx(expected, abs=1e-6)


def test_distinct_group_ids_equal_standard_infonce() -> None:
    img, txt = _features()
    scale = torch.tensor(1 / 0.07)
    hard = ClipLoss()(img, txt, scale)
    soft = ClipLoss()(img, txt, scale, group_ids=torch.arange(100, 108))
    assert soft.item() == pytest.approx(hard.item(), abs=1e-6)


def test_soft_targets_row_normalised_equality() -> None:
    targets = ClipLoss().get_soft_targets(torch.tensor([7, 3, 7, 7]))
    expected = torch.tensor(
        [[1 / 3, 0, 1 / 3, 1 / 3], [0, 1, 0, 0], [1 / 3, 0, 1 / 3, 1 / 3], [1 / 3, 0, 1 / 3, 1 / 3]]
    )
    torch.testing.assert_close(targets, expected)


def test_duplicates_as_soft_positives_lower_the_loss() -> None:
    img, noise = _features(n=6)
    txt = F.normalize(img + 0.1 * noise, dim=-1)  # well-aligned pairs
    # samples 0 and 1 carry the same report (same text); their images look alike too
    txt[1] = txt[0]
    img[1] = F.normalize(img[0] + 0.01 * noise[1], dim=-1)
    scale = torch.tensor(1 / 0.07)
    ids = group_ids_from_texts(["眼底未见明显异常", "眼底未见明显异常", "a", "b", "c", "d"])
    hard = ClipLoss()(img, txt, scale)
    soft = ClipLoss()(img, txt, scale, group_ids=ids)
    assert soft.item() < hard.item() - 0.1
    assert soft.item() == pytest.approx(0.0, abs=1e-3)  # nothing left to learn


def test_group_ids_from_texts_stable_and_whitespace_insensitive() -> None:
    ids = group_ids_from_texts(["黄斑水肿", " 黄斑水肿\n", "黄斑 水肿", "青光眼"])
    assert ids.dtype == torch.int64
    assert ids[0] == ids[1]
    assert ids[0] != ids[2] and ids[0] != ids[3]
    assert torch.equal(ids, group_ids_from_texts(["黄斑水肿", "黄斑水肿", "黄斑 水肿", "青光眼"]))


def test_group_ids_shape_checked() -> None:
    img, txt = _features(n=4)
    with pytest.raises(ValueError, match="group_ids must have shape"):
        ClipLoss()(img, txt, torch.tensor(10.0), group_ids=torch.arange(3))


def test_local_loss_equals_global_in_single_process() -> None:
    grads = []
    values = []
    for local in (False, True):
        img, txt = (t.clone().requires_grad_(True) for t in _features())
        loss = ClipLoss(local_loss=local)(img, txt, torch.tensor(14.0))
        loss.backward()
        values.append(loss.item())
        grads.append(torch.cat([img.grad.flatten(), txt.grad.flatten()]))
    assert values[0] == pytest.approx(values[1], abs=1e-6)
    assert F.cosine_similarity(grads[0], grads[1], dim=0).item() == pytest.approx(1.0, abs=1e-6)
    torch.testing.assert_close(grads[0], grads[1])


def _full_batch() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    img, txt = _features(n=8, seed=3)
    # duplicates across ranks (0 and 5) and within a rank (1 and 2)
    ids = torch.tensor([11, 12, 12, 13, 14, 11, 15, 16])
    return img, txt, ids


def _reference(group: bool) -> tuple[float, torch.Tensor, torch.Tensor]:
    img, txt, ids = _full_batch()
    img.requires_grad_(True)
    txt.requires_grad_(True)
    loss = ClipLoss()(img, txt, torch.tensor(10.0), group_ids=ids if group else None)
    loss.backward()
    return loss.item(), img.grad, txt.grad


def _worker(rank: int, init_file: str, out_dir: str) -> None:
    import torch.distributed as dist

    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=2)
    try:
        img, txt, ids = _full_batch()
        n = img.shape[0] // WORLD_SIZE
        sl = slice(rank * n, (rank + 1) * n)
        results = {}
        for local, gwg in DIST_SETTINGS:
            for group in (False, True):
                li = img[sl].clone().requires_grad_(True)
                lt = txt[sl].clone().requires_grad_(True)
                loss_fn = ClipLoss(local, gwg, rank=rank, world_size=WORLD_SIZE)
                loss = loss_fn(li, lt, torch.tensor(10.0), group_ids=ids[sl] if group else None)
                loss.backward()
                results[(local, gwg, group)] = (loss.item(), li.grad, lt.grad)
        torch.save(results, Path(out_dir) / f"rank{rank}.pt")
    finally:
        dist.destroy_process_group()


@pytest.mark.slow  # ~3 s idle, ~20 s on a busy 2-core machine (two spawned interpreters)
def test_two_rank_gather_equals_single_process_full_batch(tmp_path: Path) -> None:
    mp = pytest.importorskip("torch.multiprocessing")
    mp.spawn(_worker, args=(str(tmp_path / "init"), str(tmp_path)), nprocs=WORLD_SIZE)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(WORLD_SIZE)]
    for group in (False, True):
        ref_loss, ref_img_grad, ref_txt_grad = _reference(group)
        for local, gwg in DIST_SETTINGS:
            key = (local, gwg, group)
            losses = [ranks[r][key][0] for r in range(WORLD_SIZE)]
            # local loss: each rank holds the mean over its rows; the batch loss is their mean
            total = sum(losses) / WORLD_SIZE if local else losses[0]
            assert total == pytest.approx(ref_loss, abs=1e-5), key
            img_grad = torch.cat([ranks[r][key][1] for r in range(WORLD_SIZE)])
            txt_grad = torch.cat([ranks[r][key][2] for r in range(WORLD_SIZE)])
            # with the gather's autograd each rank's gradient is the sum over all ranks'
            # losses = WORLD_SIZE x the full-batch gradient; DDP's averaging divides it out
            factor = WORLD_SIZE if gwg else 1
            torch.testing.assert_close(img_grad / factor, ref_img_grad, atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(txt_grad / factor, ref_txt_grad, atol=1e-5, rtol=1e-4)
