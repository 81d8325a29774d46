"""One writer at a time: the run lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from revision_pipeline.hooks import RunLockHook
from revision_pipeline.runlock import RunLock, RunLockedError


def test_second_holder_is_refused_with_the_first_named(tmp_path: Path) -> None:
    first = RunLock(tmp_path / ".run.lock")
    first.acquire("kedro run --pipeline=curate")
    with pytest.raises(RunLockedError, match=rf"pid {os.getpid()}.*--pipeline=curate"):
        RunLock(tmp_path / ".run.lock").acquire("kedro run --pipeline=curate")
    first.release()
    with RunLock(tmp_path / ".run.lock") as again:
        assert again.holder()["pid"] == os.getpid()
    assert RunLock(tmp_path / ".run.lock").holder() == {}


def test_waiting_holder_gets_the_lock_when_it_is_freed(tmp_path: Path) -> None:
    first = RunLock(tmp_path / ".run.lock")
    first.acquire()
    waiter = RunLock(tmp_path / ".run.lock", wait=0.6)
    with pytest.raises(RunLockedError):
        waiter.acquire()
    first.release()
    waiter.acquire()
    waiter.release()


def test_lock_of_a_killed_process_is_not_stale(tmp_path: Path) -> None:
    lock_path = tmp_path / ".run.lock"
    code = (
        "import sys, time; from pathlib import Path;"
        "from revision_pipeline.runlock import RunLock;"
        f"lock = RunLock(Path({str(lock_path)!r})); lock.acquire('holder');"
        "print('held', flush=True);"
        "time.sleep(600)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(RunLockedError, match=f"pid {proc.pid}"):
            RunLock(lock_path).acquire()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    deadline = time.monotonic() + 10
    lock = RunLock(lock_path, wait=10)
    lock.acquire()  # the kernel released the dead holder's lock: no manual clean-up
    assert time.monotonic() < deadline
    lock.release()


def test_hook_holds_the_lock_for_the_run_and_releases_it(tmp_path: Path) -> None:
    hook = RunLockHook()
    hook.before_pipeline_run({"project_path": str(tmp_path), "pipeline_name": "curate"})
    other = RunLockHook()
    with pytest.raises(RunLockedError, match="--pipeline=curate"):
        other.before_pipeline_run({"project_path": str(tmp_path), "pipeline_name": "curate"})
    hook.on_pipeline_error()
    other.before_pipeline_run({"project_path": str(tmp_path), "pipeline_name": None})
    assert RunLock(tmp_path / "data" / ".run.lock").holder()["command"].endswith("__default__")
    other.after_pipeline_run()
