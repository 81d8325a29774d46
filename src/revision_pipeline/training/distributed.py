"""torch.distributed set-up: torchrun environment, DDP wrapping, single-machine launch.

Under ``torchrun`` every process has ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
``MASTER_ADDR`` and ``MASTER_PORT`` in its environment; :func:`init_distributed` reads
them. :func:`launch` covers the plain ``python ...`` case: one process per visible GPU
when there are several, the calling process otherwise.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.distributed as dist
from torch import nn

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistInfo:
    """Where this process sits in the job."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """Rank 0 logs, evaluates and writes files."""
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        """Whether more than one process takes part."""
        return self.world_size > 1


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from exc


def init_distributed(device: str = "auto", backend: str | None = None) -> DistInfo:
    """Initialise the process group from torchrun's environment variables.

    A single process (no ``WORLD_SIZE`` or ``WORLD_SIZE=1``) gets no process group.

    Args:
        device: ``auto`` (CUDA ``LOCAL_RANK`` when available, else CPU), ``cpu`` or ``cuda``.
        backend: ``nccl`` / ``gloo``; default NCCL on CUDA, gloo on CPU.

    Returns:
        The rank, world size, local rank and the device this process should use.
    """
    rank, world = _env_int("RANK", 0), _env_int("WORLD_SIZE", 1)
    local_rank = _env_int("LOCAL_RANK", 0)
    use_cuda = torch.cuda.is_available() if device == "auto" else device.startswith("cuda")
    if use_cuda and not torch.cuda.is_available():
        raise RuntimeError("device=cuda was asked for but CUDA is not available")
    if use_cuda:
        torch.cuda.set_device(local_rank % torch.cuda.device_count())
        dev = torch.device("cuda", torch.cuda.current_device())
    else:
        dev = torch.device("cpu")
    if world > 1 and not dist.is_initialized():
        for var in ("MASTER_ADDR", "MASTER_PORT"):
            if var not in os.environ:
                raise RuntimeError(f"WORLD_SIZE={world} but {var} is unset (launch with torchrun)")
        backend = backend or ("nccl" if use_cuda else "gloo")
        dist.init_process_group(backend=backend, rank=rank, world_size=world)
        logger.info("rank %d/%d (local %d) %s %s", rank, world, local_rank, dev, backend)
    return DistInfo(rank=rank, world_size=world, local_rank=local_rank, device=dev)


def cleanup_distributed() -> None:
    """Destroy the process group if one exists."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def wrap_ddp(model: nn.Module, info: DistInfo) -> nn.Module:
    """Wrap ``model`` (already on ``info.device``) in DDP when the job is distributed."""
    if not info.distributed:
        return model
    ids = [info.device.index] if info.device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(model, device_ids=ids)


def unwrap(model: nn.Module) -> nn.Module:
    """The bare model inside DDP and/or ``torch.compile`` wrappers."""
    while True:
        if isinstance(model, nn.parallel.DistributedDataParallel):
            model = model.module
        elif hasattr(model, "_orig_mod"):
            model = model._orig_mod  # torch.compile's OptimizedModule
        else:
            return model


def barrier() -> None:
    """``dist.barrier()`` when distributed, no-op otherwise."""
    if dist.is_available() and dist.is_initialized():
        dist.barrier()


def free_port() -> int:
    """A free TCP port on localhost for ``MASTER_PORT``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spawned(local_rank: int, fn: Callable[..., Any], nprocs: int, args: tuple) -> None:
    os.environ.update(
        RANK=str(local_rank),
        LOCAL_RANK=str(local_rank),
        WORLD_SIZE=str(nprocs),
        LOCAL_WORLD_SIZE=str(nprocs),
    )
    fn(*args)


def launch(fn: Callable[..., Any], nprocs: int | None = None, args: tuple = ()) -> None:
    """Run ``fn(*args)`` on every GPU of this machine (or once).

    Under torchrun (``RANK`` already set) or with a single process, ``fn`` runs in the
    calling process. Otherwise ``nprocs`` processes (default: the number of visible
    GPUs) are spawned with the torchrun variables set, so ``fn`` can call
    :func:`init_distributed`. ``fn`` must be picklable (a module-level function).
    """
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ:
        fn(*args)
        return
    if nprocs is None:
        nprocs = max(1, torch.cuda.device_count())
    if nprocs == 1:
        fn(*args)
        return
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    logger.info("spawning %d processes (master port %s)", nprocs, os.environ["MASTER_PORT"])
    torch.multiprocessing.spawn(_spawned, args=(fn, nprocs, args), nprocs=nprocs, join=True)
