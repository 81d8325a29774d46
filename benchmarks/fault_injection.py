"""Kill curate at seeded random points, rerun it, and compare with an uninterrupted run.

    python benchmarks/fault_injection.py [--points 20] [--seed 0] [--signal KILL|INT|both]

Builds a small demo archive in a throw-away copy of the project, curates it once without
interruption, then for each point: clears every output (as before a first run), starts
curate, sends the signal after a seeded random fraction of the clean run's duration, reruns
curate, and compares pairs, rejects and funnel with the clean run (same pseudonym secret).
Ends with one JSON line: ``points``, ``equal``, ``seconds``, ``failures``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds

logger = logging.getLogger("fault_injection")

ROOT = Path(__file__).resolve().parents[1]
KEDRO = Path(sys.executable).with_name("kedro")
DEMO = "--params=" + ",".join(
    f"demo_archive.{k}={v}"
    for k, v in {
        "n_institutions": 4,
        "n_exams": 24,
        "min_image_side": 320,
        "max_image_side": 384,
    }.items()
)
CURATE = "--params=curate.image_side=128,curate.progress=false"
#: What a clean start lacks: every output and cache of curate, and the tracking database.
OUTPUTS = (
    "data/02_intermediate",
    "data/03_primary",
    "data/04_feature",
    "data/05_model_input",
    "data/08_reporting",
    "mlflow.db",
)


def make_project(root: Path) -> Path:
    """A copy of the project's configuration; the package is the installed one."""
    root.mkdir(parents=True)
    shutil.copy(ROOT / "pyproject.toml", root)
    shutil.copytree(ROOT / "conf" / "base", root / "conf" / "base")
    for sub in ("conf/local", "data", "src"):
        (root / sub).mkdir(parents=True)
    return root


def _env() -> dict[str, str]:
    return {**os.environ, "DO_NOT_TRACK": "true", "KEDRO_DISABLE_TELEMETRY": "true"}


def kedro(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run kedro to completion; raise with its output on failure."""
    proc = subprocess.run(
        [str(KEDRO), *args], cwd=project, env=_env(), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kedro {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return proc


def clear_outputs(project: Path) -> None:
    """Remove everything a first curate run would not find."""
    for rel in OUTPUTS:
        path = project / rel
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def digest(project: Path) -> dict[str, str]:
    """Order-independent digests of curate's contract outputs."""
    data = project / "data"
    pairs = ds.dataset(data / "05_model_input/pairs", format="parquet").to_table().to_pandas()
    pairs["image"] = pairs["image"].map(lambda b: hashlib.sha256(b).hexdigest())
    pairs["labels"] = pairs["labels"].map(lambda v: ";".join(v))
    tables = {
        "pairs": pairs.sort_values("pair_id"),
        "rejects": pd.read_parquet(data / "02_intermediate/rejects.parquet").sort_values(
            ["source", "stage", "reason"]
        ),
        "funnel": pd.read_csv(data / "08_reporting/curation_funnel.csv", dtype=str),
    }
    return {
        name: hashlib.sha256(frame.to_csv(index=False).encode()).hexdigest()
        for name, frame in tables.items()
    }


def interrupted_then_rerun(project: Path, after: float, sig: int) -> dict[str, str]:
    """Start curate from scratch, signal it after ``after`` seconds, rerun, digest."""
    clear_outputs(project)
    proc = subprocess.Popen(
        [str(KEDRO), "run", "--pipeline=curate", CURATE],
        cwd=project,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # the signal reaches the workers too, as Ctrl-C would
    )
    time.sleep(after)
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
    proc.wait()
    kedro(project, "run", "--pipeline=curate", CURATE)
    return digest(project)


#: Imported first by every Python process of the run (workers too) when on PYTHONPATH:
#: ``pyarrow.parquet.write_table`` fails with ENOSPC for paths containing the marker.
_SITECUSTOMIZE = """
import errno, os
_marker = os.environ.get("FAULT_ENOSPC_PATH")
if _marker:
    import pyarrow.parquet as _pq
    _real = _pq.write_table
    def _full(table, where, *args, **kwargs):
        if _marker in str(where):
            raise OSError(errno.ENOSPC, "No space left on device", str(where))
        return _real(table, where, *args, **kwargs)
    _pq.write_table = _full
"""


def disk_full_run(project: Path, marker: str = ".pairs.tmp") -> subprocess.CompletedProcess[str]:
    """Run curate with writes to paths containing ``marker`` failing with ENOSPC."""
    inject = project / ".fault_injection"
    inject.mkdir(exist_ok=True)
    (inject / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    env = {
        **_env(),
        "FAULT_ENOSPC_PATH": marker,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(inject), os.environ.get("PYTHONPATH")])),
        "COLUMNS": "400",
    }
    return subprocess.run(
        [str(KEDRO), "run", "--pipeline=curate", CURATE],
        cwd=project, env=env, capture_output=True, text=True,
    )  # fmt: skip


def prepare(project: Path) -> tuple[dict[str, str], float]:
    """Demo archive and one clean curate run: its digest and duration."""
    kedro(project, "run", "--pipeline=demo_archive", "--nodes=generate_demo_archive", DEMO)
    start = time.monotonic()
    kedro(project, "run", "--pipeline=curate", CURATE)
    return digest(project), time.monotonic() - start


def main(argv: list[str] | None = None) -> int:
    """Run the kill points and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--signal", choices=["KILL", "INT", "both"], default="both")
    parser.add_argument("--work", type=Path, default=None, help="default: a temporary folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import tempfile

    work = args.work or Path(tempfile.mkdtemp(prefix="faults-"))
    project = make_project(work / "project")
    started = time.monotonic()
    clean, duration = prepare(project)
    logger.info("clean curate run: %.1f s", duration)
    rng = random.Random(args.seed)
    signals = {"KILL": [signal.SIGKILL], "INT": [signal.SIGINT]}.get(
        args.signal, [signal.SIGKILL, signal.SIGINT]
    )
    failures = []
    for point in range(args.points):
        after = rng.uniform(0.05, 0.95) * duration
        sig = signals[point % len(signals)]
        result = interrupted_then_rerun(project, after, sig)
        equal = result == clean
        logger.info("point %d: %s after %.1f s -> %s", point, sig.name, after, equal)
        if not equal:
            failures.append({"point": point, "signal": sig.name, "after_s": round(after, 2)})
    print(
        json.dumps(
            {
                "points": args.points,
                "equal": args.points - len(failures),
                "seconds": round(time.monotonic() - started, 1),
                "failures": failures,
            }
        )
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
