"""One writer at a time: a lock file that a second run of the project meets and names.

Two runs that write the same outputs (pairs shards, the image cache, model folders) would
interleave their files. The lock is an ``fcntl`` lock on ``data/.run.lock``: the kernel
drops it when its holder exits, however it exits (``kill -9`` included), so a lock left by
a dead process is never in the way; the file's text (pid, command, start time) only serves
the message the second run prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import IO

logger = logging.getLogger(__name__)


class RunLockedError(RuntimeError):
    """Another live process holds the project's run lock."""


class RunLock:
    """An exclusive, non-blocking lock on ``path``; ``wait`` seconds of patience at most."""

    def __init__(self, path: Path, wait: float = 0.0) -> None:
        self.path = Path(path)
        self.wait = wait
        self._handle: IO[str] | None = None

    def holder(self) -> dict[str, object]:
        """What the current holder wrote (empty when unknown)."""
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def acquire(self, what: str = "") -> None:
        """Take the lock or raise :class:`RunLockedError` naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.close()
                    info = self.holder()
                    raise RunLockedError(
                        f"Another run is writing this project's outputs (pid {info.get('pid', '?')}"
                        f", `{info.get('command', '?')}`, started {info.get('started', '?')}); "
                        f"lock {self.path}. Wait for it to finish or stop it, then run again."
                    ) from None
                time.sleep(0.5)
        handle.seek(0)
        handle.truncate()
        record = {
            "pid": os.getpid(),
            "command": what or " ".join(Path(sys.argv[0]).name.split() + sys.argv[1:]),
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        handle.write(json.dumps(record))
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Drop the lock (idempotent)."""
        if self._handle is None:
            return
        with contextlib.suppress(OSError):
            self._handle.seek(0)
            self._handle.truncate()
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
        self._handle = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
