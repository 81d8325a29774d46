"""Kill curate and pretrain at seeded random points, rerun, and compare with a clean run.

    python benchmarks/fault_injection.py [--pipeline curate|pretrain|both] [--points 20]
        [--seed 0] [--signal KILL|INT|both] [--work DIR]

Builds a small demo archive in a throw-away copy of the project (running the code of this
checkout), curates it once without interruption, then for each curate point: clears every
output (as before a first run), starts curate, sends the signal after a seeded random share
of the clean run's duration, reruns curate, and compares pairs, rejects and funnel with the
clean run (same pseudonym secret).

For pretrain (a tiny model, 2 epochs, a checkpoint every 2 steps, on those pairs): one clean
run, then per point: pretrain's outputs cleared, ``kedro run --pipeline=pretrain`` started,
the signal sent at a seeded random time of the clean run's timeline (one point in three
in the start-up: tokenizer node, training set-up; the others in the first epoch's training
steps), every checkpoint left checked whole, the run repeated with ``resume: true``; the
rerun must give the clean run's weights (within the resume test's tolerance), an identical
tokenizer, a complete model folder, the same steps / epochs / validation recall, and a
healthy MLflow database whose newest run finished.

Signals alternate (SIGKILL, SIGINT) and go to the whole process group, as Ctrl-C would.
Ends with one JSON line: ``points``, ``equal``, ``seconds``, ``failures`` and one object per
pipeline.
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
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    """The children's environment: this checkout's code first, unbuffered, wide logs."""
    path = os.pathsep.join(filter(None, [str(ROOT / "src"), os.environ.get("PYTHONPATH")]))
    return {
        **os.environ,
        "DO_NOT_TRACK": "true",
        "KEDRO_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": path,
        "PYTHONUNBUFFERED": "1",  # log lines reach the kill timer as they are written
        "COLUMNS": "400",  # rich does not wrap them either
    }


def kedro(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run kedro to completion; raise with its output on failure."""
    proc = subprocess.run(
        [str(KEDRO), *args], cwd=project, env=_env(), capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise RuntimeError(f"kedro {' '.join(args)} failed:\n{proc.stderr[-4000:]}")
    return proc


def clear_outputs(project: Path, outputs: tuple[str, ...] = OUTPUTS) -> None:
    """Remove everything a first run (of curate, by default) would not find."""
    for rel in outputs:
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
    env = _env()
    env |= {"FAULT_ENOSPC_PATH": marker, "PYTHONPATH": f"{inject}{os.pathsep}{env['PYTHONPATH']}"}
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


# ---------------------------------------------------------------- a child, watched live
class Watched:
    """A kedro run in its own process group, its output lines timed as they arrive."""

    def __init__(self, project: Path, args: list[str]) -> None:
        self.proc = subprocess.Popen(
            [str(KEDRO), *args],
            cwd=project,
            env=_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # the signal reaches the workers too, as Ctrl-C would
        )
        self.started = time.monotonic()
        self.lines: list[tuple[float, str]] = []
        self._changed = threading.Condition()
        self._done = False
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append((time.monotonic() - self.started, line.rstrip()))
                self._changed.notify_all()
        with self._changed:
            self._done = True
            self._changed.notify_all()

    def first(self, text: str) -> float | None:
        """Seconds from the start to the first line holding ``text``, or ``None``."""
        return next((t for t, line in list(self.lines) if text in line), None)

    def wait_for(self, text: str, timeout: float = 600) -> float | None:
        """Block until a line holds ``text`` (its time) or the run ends (``None``)."""
        with self._changed:
            self._changed.wait_for(lambda: self._done or self.first(text) is not None, timeout)
        return self.first(text)

    def signal(self, sig: int) -> bool:
        """Send ``sig`` to the run's process group; ``False`` if it had already ended."""
        if self.proc.poll() is not None:
            return False
        os.killpg(self.proc.pid, sig)
        return True

    def finish(self, timeout: float = 900) -> str:
        """Wait for the end; the whole output."""
        self.proc.wait(timeout)
        self._reader.join(timeout)
        return "\n".join(line for _, line in self.lines)


# ---------------------------------------------------------------- pretrain
#: A very small RetinaCLIP (a timm test network, one text layer): seconds per epoch on a CPU.
TINY_MODEL = {
    "embed_dim": 32,
    "vision": {"timm_name": "test_efficientnet", "image_size": 64, "proj": "linear"},
    "text": {
        "hidden_size": 32,
        "num_layers": 1,
        "num_heads": 2,
        "intermediate_size": 64,
        "max_len": None,
        "pooling": "mean",
        "proj": "linear",
        "dropout": 0.1,  # the RNG state matters: resume must restore it
    },
}
#: 2 epochs of ~7 steps on the demo pairs' ~28 train rows, a checkpoint every 2 steps.
PRETRAIN_PARAMS = {
    "model": "tiny_model.json",
    "train.epochs": 2,
    "train.batch_size": 4,
    "train.warmup_steps": 2,
    "train.checkpoint_every": 2,
    "train.log_every": 1,
    "train.progress": "false",
}
PRETRAIN_OUTPUTS = (
    "data/06_models",
    "data/08_reporting/pretrain_summary.json",
    "data/08_reporting/phi_audit_pretrain.csv",
)
WORK_DIR = "data/06_models/pretrain_run"
#: Log lines that mark pretrain's phases (the first node starts, a checkpoint is saved).
FIRST_NODE, CHECKPOINT = "Running node: build_tokenizer", "saved checkpoint"
FIRST_STEPS = ("step 1 loss=", "step 2 loss=")
#: tests/training/test_training_loop.py::test_kill_and_resume_reaches_the_same_weights
RTOL, ATOL = 1e-5, 1e-6


def pretrain_args(resume: bool) -> list[str]:
    """``kedro run`` arguments of the tiny pretrain, first run or rerun."""
    params = {**PRETRAIN_PARAMS, "train.resume": str(resume).lower()}
    return ["run", "--pipeline=pretrain", "--params=" + ",".join(
        f"pretrain.{k}={v}" for k, v in params.items()
    )]  # fmt: skip


def _latest(folder: Path, name: str) -> Path:
    """The newest complete version of a versioned folder dataset, as Kedro picks it."""
    versions = sorted(folder.glob(f"*/{name}"), reverse=True)
    if not versions:
        raise FileNotFoundError(f"no saved version in {folder}")
    return versions[0]


def _file_digests(folder: Path) -> dict[str, str]:
    return {
        str(f.relative_to(folder)): hashlib.sha256(f.read_bytes()).hexdigest()
        for f in sorted(folder.rglob("*"))
        if f.is_file()
    }


@dataclass
class PretrainReference:
    """What a clean pretrain run produced, and when (seconds after its first node started)."""

    weights: dict[str, Any]
    tokenizer: dict[str, str]
    model_files: dict[str, str]
    summary: dict[str, Any]
    epoch0_end: float
    training_start: float
    checkpoints: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _outputs(project: Path) -> tuple[dict[str, Any], dict[str, str], dict[str, str], dict]:
    from safetensors.torch import load_file

    models = project / "data/06_models"
    model = _latest(models / "retina_clip", "retina_clip")
    files = _file_digests(model)
    files.pop("model.safetensors", None)
    summary = json.loads((project / "data/08_reporting/pretrain_summary.json").read_text())
    return (
        load_file(str(model / "model.safetensors")),
        _file_digests(_latest(models / "tokenizer", "tokenizer")),
        files,
        summary,
    )


def prepare_pretrain(project: Path) -> PretrainReference:
    """One clean pretrain run on the curated pairs: its outputs and its timeline."""
    (project / PRETRAIN_PARAMS["model"]).write_text(json.dumps(TINY_MODEL, indent=2))
    clear_outputs(project, PRETRAIN_OUTPUTS)
    run = Watched(project, pretrain_args(resume=False))
    output = run.finish()
    if run.proc.returncode != 0:
        raise RuntimeError(f"clean pretrain run failed:\n{output[-4000:]}")
    weights, tokenizer, files, summary = _outputs(project)
    last = f"step {summary['steps'] // int(PRETRAIN_PARAMS['train.epochs'])} loss="
    marks = [run.first(m) for m in (FIRST_NODE, *FIRST_STEPS, last)]
    if None in marks:  # (validation lines are absent when the pairs have no val split)
        raise RuntimeError(f"no {FIRST_NODE!r} or step lines in:\n{output[-4000:]}")
    start, step1, step2, end = marks
    return PretrainReference(
        weights, tokenizer, files, summary, end - start,
        max(0.0, step1 - (step2 - step1) - start),  # when step 1 began, about
        [t - start for t, line in run.lines if CHECKPOINT in line],
        time.monotonic() - run.started,
    )  # fmt: skip


def _checkpoints_after_kill(work: Path) -> tuple[list[int], bool]:
    """Steps of the checkpoints a killed run left, and whether every one of them loads."""
    from revision_pipeline.training.checkpoint import list_checkpoints, load_checkpoint

    steps, whole = [], True
    for path in list_checkpoints(work / "checkpoints"):
        try:
            state = load_checkpoint(path)
        except ValueError:
            whole = False
            continue
        whole &= f"step_{state['step']:08d}.pt" == path.name
        steps.append(state["step"])
    return steps, whole


def _tracking(project: Path) -> tuple[bool, str | None]:
    """Whether ``mlflow.db`` is a complete MLflow database, and its newest run's status."""
    from revision_pipeline.tracking import check_tracking_db

    try:
        check_tracking_db(project / "mlflow.db")
    except Exception:  # any failure means "not healthy"
        return False, None
    with sqlite3.connect(project / "mlflow.db") as conn:
        row = conn.execute("SELECT status FROM runs ORDER BY start_time DESC LIMIT 1").fetchone()
    return True, row[0] if row else None


def _same_weights(got: dict[str, Any], want: dict[str, Any]) -> tuple[bool, float]:
    import torch

    if set(got) != set(want):
        return False, float("inf")
    worst, close = 0.0, True
    for name, value in want.items():
        diff = (got[name].double() - value.double()).abs()
        worst = max(worst, float(diff.max()) if diff.numel() else 0.0)
        close &= bool(torch.allclose(got[name], value, rtol=RTOL, atol=ATOL))
    return close, worst


def compare_pretrain(project: Path, reference: PretrainReference) -> dict[str, Any]:
    """The rerun's outputs against the clean run's: one entry per check."""
    weights, tokenizer, files, summary = _outputs(project)
    same, worst = _same_weights(weights, reference.weights)
    want = reference.summary
    healthy, status = _tracking(project)
    return {
        "weights": same,
        "max_abs_diff": worst,
        "tokenizer": tokenizer == reference.tokenizer,
        "model_folder": files == reference.model_files,
        "summary": all(summary[k] == want[k] for k in ("steps", "epochs_completed", "val_metrics"))
        and summary["final_loss"] is not None
        and abs(summary["final_loss"] - want["final_loss"]) <= 1e-4 * abs(want["final_loss"]),
        "tracking_db": healthy,
        "last_run_finished": status == "FINISHED",
        "no_temporaries": not list((project / WORK_DIR / "checkpoints").glob("*.tmp")),
    }


def pretrain_interrupted_then_rerun(
    project: Path, reference: PretrainReference, after: float, sig: int, anchor: str = FIRST_NODE
) -> dict[str, Any]:
    """Start pretrain from scratch, signal it ``after`` s past the ``anchor`` line, rerun.

    Returns:
        The kill's phase (checkpoints it left), the checks of :func:`compare_pretrain`
        plus ``checkpoints_whole`` and ``resumed_as_expected``, and ``equal`` (all passed).
    """
    clear_outputs(project, PRETRAIN_OUTPUTS)
    run = Watched(project, pretrain_args(resume=False))
    seen = run.wait_for(anchor)
    if seen is not None:
        time.sleep(max(0.0, after - (time.monotonic() - run.started - seen)))
    signalled = run.signal(sig)
    run.finish()
    steps, whole = _checkpoints_after_kill(project / WORK_DIR)
    healthy_after_kill, _ = _tracking(project)
    rerun = kedro(project, *pretrain_args(resume=True))
    output = rerun.stdout + rerun.stderr
    resumed = "resumed from" in output
    checks = compare_pretrain(project, reference)
    checks |= {
        "checkpoints_whole": whole,
        "tracking_db_after_kill": healthy_after_kill,
        # a kill before the first checkpoint reruns from scratch, else from the newest
        "resumed_as_expected": resumed == bool(steps),
    }
    passed = all(v for k, v in checks.items() if k != "max_abs_diff")
    return {
        "signalled": signalled,
        "checkpoint_steps": steps,
        "resumed": resumed,
        "checks": checks,
        "equal": passed,
    }


# ---------------------------------------------------------------- the run
def _signals(choice: str) -> list[int]:
    return {"KILL": [signal.SIGKILL], "INT": [signal.SIGINT]}.get(
        choice, [signal.SIGKILL, signal.SIGINT]
    )


def curate_points(project: Path, n: int, rng: random.Random, signals: list[int]) -> dict:
    """``n`` curate kill points against one clean run."""
    clean, duration = prepare(project)
    logger.info("clean curate run: %.1f s", duration)
    failures, afters = [], []
    for point in range(n):
        after = rng.uniform(0.05, 0.95) * duration
        sig = signals[point % len(signals)]
        equal = interrupted_then_rerun(project, after, sig) == clean
        afters.append(after)
        logger.info("curate point %d: %s after %.1f s -> %s", point, sig.name, after, equal)
        if not equal:
            failures.append({"point": point, "signal": sig.name, "after_s": round(after, 2)})
    return {
        "points": n,
        "equal": n - len(failures),
        "clean_s": round(duration, 1),
        "after_s": [round(a, 1) for a in afters],
        "failures": failures,
    }


def pretrain_points(project: Path, n: int, rng: random.Random, signals: list[int]) -> dict:
    """``n`` kill points of pretrain's first node and first epoch against one clean run.

    One point in three falls in the start-up (the tokenizer node, the training node's
    set-up: no checkpoint yet) at a seeded uniform time of that phase in the clean run; the
    others in the first epoch's training: a seeded random share of one step's time after
    the log line of a seeded random step of epoch 0 (a time alone drifts out of the epoch
    as the shared host's load changes).
    """
    reference = prepare_pretrain(project)
    logger.info(
        "clean pretrain run: %.1f s; after the first node starts, training starts at %.1f s, "
        "epoch 0 ends at %.1f s, checkpoints at %s s",
        reference.seconds, reference.training_start, reference.epoch0_end,
        [round(t, 1) for t in reference.checkpoints],
    )  # fmt: skip
    failures, rows = [], []
    per_epoch = reference.summary["steps"] // int(PRETRAIN_PARAMS["train.epochs"])
    step_s = (reference.epoch0_end - reference.training_start) / per_epoch
    for point in range(n):
        if point % 3 == 0:
            anchor, after = FIRST_NODE, rng.uniform(0.0, reference.training_start)
        else:
            anchor, after = f"step {rng.randint(1, per_epoch)} loss=", rng.uniform(0.0, step_s)
        sig = signals[point % len(signals)]
        result = pretrain_interrupted_then_rerun(project, reference, after, sig, anchor)
        label = "tokenizer start" if anchor == FIRST_NODE else anchor.replace(" loss=", "")
        rows.append((after, result | {"anchor": label}))
        logger.info(
            "pretrain point %d: %s %.2f s after %r, checkpoints %s, resumed %s -> %s%s",
            point, sig.name, after, anchor, result["checkpoint_steps"], result["resumed"],
            result["equal"], "" if result["equal"] else f" {result['checks']}",
        )  # fmt: skip
        if not result["equal"]:
            failures.append({"point": point, "signal": sig.name, "after_s": round(after, 2)}
                            | {"checks": result["checks"]})  # fmt: skip
    return {
        "points": n,
        "equal": n - len(failures),
        "clean_s": round(reference.seconds, 1),
        "training_start_s": round(reference.training_start, 1),
        "epoch0_end_s": round(reference.epoch0_end, 1),
        "steps_per_epoch": per_epoch,
        "kills": [f"{r['anchor']} +{a:.2f} s" for a, r in rows],
        "before_first_checkpoint": sum(not r["checkpoint_steps"] for _, r in rows),
        "checkpoint_steps_at_kill": [r["checkpoint_steps"] for _, r in rows],
        "resumed": sum(r["resumed"] for _, r in rows),
        "max_abs_diff": max((r["checks"]["max_abs_diff"] for _, r in rows), default=0.0),
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    """Run the kill points and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", choices=["curate", "pretrain", "both"], default="both")
    parser.add_argument("--points", type=int, default=20, help="in all (both: half each)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--signal", choices=["KILL", "INT", "both"], default="both")
    parser.add_argument("--work", type=Path, default=None, help="default: a temporary folder")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    import tempfile

    work = args.work or Path(tempfile.mkdtemp(prefix="faults-"))
    project = work / "project"
    reuse = args.pipeline == "pretrain" and (project / "data/05_model_input/pairs").is_dir()
    if not reuse:  # a pretrain-only run may reuse a project curated by an earlier one
        make_project(project)
    started = time.monotonic()
    rng = random.Random(args.seed)
    signals = _signals(args.signal)
    n_curate = {"curate": args.points, "pretrain": 0}.get(args.pipeline, (args.points + 1) // 2)
    report: dict[str, Any] = {}
    if args.pipeline != "pretrain":
        report["curate"] = curate_points(project, n_curate, rng, signals)
    elif not reuse:  # pretrain reads curated pairs
        prepare(project)
    if args.pipeline != "curate":
        report["pretrain"] = pretrain_points(project, args.points - n_curate, rng, signals)
    failures = [f | {"pipeline": k} for k, part in report.items() for f in part["failures"]]
    print(
        json.dumps(
            {
                "points": args.points,
                "equal": sum(part["equal"] for part in report.values()),
                "seconds": round(time.monotonic() - started, 1),
                "failures": failures,
                **report,
            }
        )
    )
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
