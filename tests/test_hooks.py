"""Project hooks: the full-disk message."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from types import SimpleNamespace

from kedro.io import DatasetError

from revision_pipeline.hooks import DiskFullHook, disk_full_message


def _enospc(path: Path) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def test_message_names_the_path_the_free_space_and_what_it_replaces(tmp_path: Path) -> None:
    pairs = tmp_path / "data" / "05_model_input" / "pairs"
    pairs.mkdir(parents=True)
    (pairs / "part-00000.parquet").write_bytes(b"x" * 3 * 2**20)
    tmp = pairs.with_name(".pairs.tmp-1a2b") / "part-00001.parquet"
    try:
        try:
            raise _enospc(tmp)
        except OSError as inner:
            raise DatasetError("Failed while saving data to dataset 'pairs'") from inner
    except DatasetError as wrapped:
        message = disk_full_message(wrapped, tmp_path, "saving an output")
    assert message is not None
    assert str(tmp) in message and "MiB free" in message
    assert f"{pairs}, takes 3 MiB" in message
    assert "run the same command again" in message


def test_other_errors_get_no_message(tmp_path: Path) -> None:
    assert disk_full_message(OSError(errno.EACCES, "denied", "x"), tmp_path, "n") is None
    assert disk_full_message(ValueError("bad"), tmp_path, "n") is None


def test_hook_says_it_once(tmp_path: Path, caplog) -> None:
    hook = DiskFullHook()
    error = _enospc(tmp_path / "model.safetensors")
    with caplog.at_level(logging.ERROR):
        hook.on_node_error(error, SimpleNamespace(name="pretrain_model"))
        hook.on_pipeline_error(error)
    assert caplog.text.count("Disk full") == 1
    assert "node 'pretrain_model'" in caplog.text
