"""Training checkpoints: full state, atomic writes, rotation, resume."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

logger = logging.getLogger(__name__)

_NAME = re.compile(r"^step_(\d{8})\.pt$")
_TMP = re.compile(r"^step_\d{8}\.pt\.(\d+)\.tmp$")


def rng_state() -> dict[str, Any]:
    """Every RNG state the loop depends on: python, numpy, torch CPU and CUDA."""
    state: dict[str, Any] = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore states saved by :func:`rng_state`."""
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        cuda = state["cuda"]
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        else:
            logger.warning("checkpoint has %d CUDA RNG states; not restoring them", len(cuda))


def checkpoint_path(directory: Path, step: int) -> Path:
    """File name of the checkpoint after optimiser step ``step``."""
    return Path(directory) / f"step_{step:08d}.pt"


def list_checkpoints(directory: str | Path) -> list[Path]:
    """Checkpoints in ``directory`` ordered by step (oldest first)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [p for p in directory.iterdir() if _NAME.match(p.name)]
    return sorted(found, key=lambda p: int(_NAME.match(p.name).group(1)))  # type: ignore[union-attr]


def latest_checkpoint(directory: str | Path) -> Path | None:
    """The newest checkpoint in ``directory``, or ``None``."""
    found = list_checkpoints(directory)
    return found[-1] if found else None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


def remove_stale_temporaries(directory: str | Path) -> list[Path]:
    """Delete ``*.tmp`` checkpoints left by writers that were killed mid-write.

    A temporary whose writer (the process id in its name) still runs is kept.
    """
    removed = []
    for path in Path(directory).glob("step_*.pt.*.tmp"):
        match = _TMP.match(path.name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        logger.info("removed %d checkpoint(s) left half-written by a killed run", len(removed))
    return removed


def _fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a power cut keeps the new name)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some platforms cannot open a directory
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def save_checkpoint(
    state: dict[str, Any], directory: str | Path, step: int, keep_last: int
) -> Path:
    """Write ``state`` atomically (temporary file + rename) and keep the last ``keep_last``.

    A crash during the write leaves at most a ``*.tmp`` file that is never read (and
    that the next save removes once its writer is gone).
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(directory)
    final = checkpoint_path(directory, step)
    tmp = final.with_name(final.name + f".{os.getpid()}.tmp")
    with tmp.open("wb") as fh:
        torch.save(state, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, final)
    _fsync_directory(directory)
    if keep_last > 0:
        for old in list_checkpoints(directory)[:-keep_last]:
            old.unlink(missing_ok=True)
    logger.info("saved checkpoint %s", final)
    return final


def set_aside(directory: str | Path) -> Path | None:
    """Move the checkpoints in ``directory`` into ``directory/earlier-<time>/``.

    For a run that starts over (``resume`` off, or a new configuration) in a folder that
    holds an earlier run's checkpoints: left in place, their higher step numbers would
    make rotation delete the new run's checkpoints, and a later resume would continue
    the earlier run. Nothing is deleted. Returns the folder they went to, or ``None``.
    """
    found = list_checkpoints(directory)
    if not found:
        return None
    aside = Path(directory) / time.strftime("earlier-%Y%m%d-%H%M%S")
    aside.mkdir(exist_ok=True)
    for path in found:
        os.replace(path, aside / path.name)
    logger.warning(
        "starting over: %d checkpoint(s) of an earlier run in %s moved to %s "
        "(set resume: true to continue a run instead; delete the folder to free the space)",
        len(found), directory, aside,
    )  # fmt: skip
    return aside


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint` onto the CPU."""
    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise ValueError(f"cannot read checkpoint {path}: {exc}") from exc


TOKENIZER_STAMP = "tokenizer.sha256"


def vocabulary_digest(tokenizer: Any) -> str:
    """SHA-256 of a tokenizer's vocabulary: every token with its id."""
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: (kv[1], kv[0]))
    return hashlib.sha256(json.dumps(vocab, ensure_ascii=False).encode("utf-8")).hexdigest()


def check_tokenizer(directory: str | Path, tokenizer: Any, resume: bool, write: bool) -> None:
    """Refuse to resume checkpoints that were trained with another vocabulary.

    The vocabulary's digest is kept beside the checkpoints (``tokenizer.sha256``). A
    resumed run whose tokenizer differs (the pairs changed since the checkpoints were
    written, say) would read the checkpoint's embeddings with other token ids and train
    on silently; it stops instead. ``write``: record this run's digest (one process).

    Raises:
        ValueError: ``resume`` is on, ``directory`` holds checkpoints and its stamp names
            another vocabulary.
    """
    directory = Path(directory)
    stamp, digest = directory / TOKENIZER_STAMP, vocabulary_digest(tokenizer)
    if resume and latest_checkpoint(directory) is not None and stamp.is_file():
        recorded = stamp.read_text("utf-8").strip()
        if recorded != digest:
            raise ValueError(
                f"the checkpoints in {directory} were trained with another tokenizer "
                f"(vocabulary {recorded[:12]}, now {digest[:12]}): were the pairs curated "
                "again since? Resuming would read the embeddings with other token ids. Set "
                "resume: false to start over (those checkpoints are set aside, not deleted)."
            )
    if write:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = stamp.with_name(f"{stamp.name}.{os.getpid()}.tmp")
        tmp.write_text(digest + "\n", "utf-8")
        os.replace(tmp, stamp)
