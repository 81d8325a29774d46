"""The whole curate pipeline at N, 4N and 16N exams: per node time and memory, growth, and
a projection to the paper's 485,980 photos.

Part 1, per size (each in a fresh throw-away project and process):

* ``kedro run --pipeline=demo_archive`` with 162 Zipf-sized institutions, ``N`` exams and
  tiny photos (``--min-side``/``--max-side``, so that pixels do not dominate), with the
  demo's planted PHI, duplicates and defects (the disc-size and blur limits are relaxed
  for tiny photos, so blurred ones pass: the other defects are still rejected);
* ``curate`` in-process with ``workers: 1`` (one core) and a hook that records, per node,
  wall and CPU time (from the node's start to the next node's: its run, its outputs'
  saving and the next node's loading) and the peak RSS sampled every 20 ms while it runs.

Then the growth exponent of each node between the last two sizes (``log(t16/t4) / log 4``,
from CPU time: the host is shared) and a projection to 485,980 photos on a 16-core
machine: the image stage from the measured per-core rate on camera-sized photos
(``--camera-rate``, docs/benchmarks.md, curate throughput) with one worker process per
core; every other node on one core, as the pipeline runs it, from a fixed part plus a
per-photo cost fitted on the last two sizes (or its power law where it grew faster than
linearly, whichever is larger). Peak RSS is extrapolated linearly in photos.

Part 2, the PHI audit's identifier matcher (``deid.audit``) at ``--identifiers`` synthetic
identifiers (names, patient, national and exam numbers in their real shapes): compile
CPU time, peak RSS, and scan speed (CPU time) over 8 MB of report-like text searched as
text and as bytes, each size in a fresh process.

Usage::

    python benchmarks/curate_scale.py [--n 500] [--identifiers 100000 400000 1600000]

Targets (issue 11): no node grows faster than n^1.15; the projected paper-scale curate
run <= 1 hour on 16 cores with peak RSS <= 16 GB. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import curate_quality as cq

PAPER_PHOTOS = 485_980
INSTITUTIONS = 162
CORES = 16
#: Peak RSS of one photo worker process on camera-sized JPEGs (docs/benchmarks.md,
#: curation throughput, 4N = 800): the pool adds one per core at paper scale.
WORKER_RSS_MB = 152.0
TINY_PHOTO_QUALITY = {"min_fov_diameter_px": 50.0, "min_focus": 0.01, "min_sharpness": 0.001}


class NodeMeter:
    """Kedro hooks: per node wall/CPU time and the peak RSS while it ran."""

    def __init__(self) -> None:
        import psutil

        self.process = psutil.Process()
        self.rows: list[dict[str, Any]] = []
        self.current: dict[str, Any] | None = None
        self._stop = threading.Event()
        threading.Thread(target=self._sample, daemon=True).start()

    def _rss(self) -> int:
        total = self.process.memory_info().rss
        for child in self.process.children(recursive=True):
            with contextlib.suppress(Exception):
                total += child.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.02):
            row = self.current
            if row is not None:
                row["peak_rss_mb"] = max(row["peak_rss_mb"], self._rss() / 2**20)

    def _close(self) -> None:
        if self.current is not None:
            row = self.current
            row["wall_s"] = round(time.perf_counter() - row.pop("_wall"), 3)
            row["cpu_s"] = round(time.process_time() - row.pop("_cpu"), 3)
            row["peak_rss_mb"] = round(row["peak_rss_mb"], 1)
            self.rows.append(row)
            self.current = None

    def before_node_run(self, node: Any) -> None:
        self._close()
        self.current = {
            "node": node.name,
            "_wall": time.perf_counter(),
            "_cpu": time.process_time(),
            "peak_rss_mb": self._rss() / 2**20,
        }

    def after_pipeline_run(self) -> None:
        self._close()
        self._stop.set()


def _hooks(meter: NodeMeter) -> Any:
    from kedro.framework.hooks import hook_impl

    class Hooks:
        @hook_impl
        def before_node_run(self, node: Any) -> None:
            meter.before_node_run(node)

        @hook_impl
        def after_pipeline_run(self) -> None:
            meter.after_pipeline_run()

    return Hooks()


def run_curate(project: Path) -> dict[str, Any]:
    """Curate ``project`` in this process; per node rows and the photo count."""
    import pandas as pd
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    os.environ.update(DO_NOT_TRACK="true", KEDRO_DISABLE_TELEMETRY="true")
    os.chdir(project)
    bootstrap_project(project)
    meter = NodeMeter()
    with KedroSession.create(project_path=project) as session:
        session._hook_manager.register(_hooks(meter))
        start = time.perf_counter()
        session.run(pipeline_name="curate")
    total = time.perf_counter() - start
    funnel = pd.read_csv(project / "data/08_reporting/curation_funnel.csv")
    photos = sum(1 for _ in (project / "data/01_raw/archive").rglob("*") if _is_photo(_))
    return {
        "nodes": meter.rows,
        "wall_s": round(total, 2),
        "photos": photos,
        "funnel_rows": len(funnel),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _is_photo(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in {
        ".jpg",
        ".jpeg",
        ".png",
        ".tif",
        ".tiff",
        ".bmp",
        ".dcm",
    }


def prepare(root: Path, n_exams: int, min_side: int, max_side: int, image_side: int) -> float:
    """A throw-away project with a demo archive of ``n_exams``; seconds to generate it."""
    project = cq.make_project(root)
    params = yaml.safe_load((project / "conf/base/parameters_curate.yml").read_text())
    params["curate"].update(workers=1, progress=False, image_side=image_side)
    # tiny photos: disc-size and blur limits relaxed so that good photos pass as they do
    # at camera size (otherwise nearly all would be rejected and the later nodes idle)
    params["curate"]["quality"] = TINY_PHOTO_QUALITY
    (project / "conf/local/parameters_curate.yml").write_text(yaml.safe_dump(params))
    demo = {
        "n_institutions": INSTITUTIONS,
        "n_exams": n_exams,
        "min_image_side": min_side,
        "max_image_side": max_side,
        "workers": 1,
    }
    seconds, _ = cq.kedro(
        project,
        "run",
        "--pipeline=demo_archive",
        "--nodes=generate_demo_archive",
        cq.params_arg("demo_archive", demo),
    )
    return seconds


# ---------------------------------------------------------------- PHI audit matcher


def synthetic_identifiers(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct identifiers shaped like an archive's: names, patient/national/exam ids."""
    import numpy as np

    rng = np.random.default_rng(seed)
    surnames = list(
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
    )
    given = list(
        "伟芳娜秀敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁龙林欣雪梅琳晨阳瑞博"
    )
    out: set[str] = set()
    while len(out) < n:
        k = n - len(out)
        kind = rng.integers(0, 4, k)
        digits = rng.integers(0, 10, (k, 18))
        for j in range(k):
            if kind[j] == 0:
                name = surnames[rng.integers(len(surnames))] + "".join(
                    given[i] for i in rng.integers(len(given), size=int(rng.integers(1, 3)))
                )
                out.add(name)
            elif kind[j] == 1:
                out.add("".join(map(str, digits[j, :10])))
            elif kind[j] == 2:
                out.add("".join(map(str, digits[j, :17])) + "X")
            else:
                out.add("FD" + "".join(map(str, digits[j, :8])))
    return sorted(out)[:n]


def run_matcher(n: int) -> dict[str, Any]:
    """Compile the audit's matcher over ``n`` identifiers and scan 8 MB of text."""
    import random

    from revision_pipeline.deid.audit import _Matcher, _usable

    values = synthetic_identifiers(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.process_time()
    matcher = _Matcher(_usable(values), patterns=True)
    compile_s = time.process_time() - start  # CPU time: the host is shared
    rng = random.Random(0)
    words = [
        "眼底",
        "视网膜",
        "未见明显异常",
        "黄斑",
        "出血",
        "渗出",
        "C/D 0.3",
        "2024年",
        "右眼",
        "左眼",
    ]
    text = " ".join(rng.choice(words) for _ in range(1_000_000))[: 8 * 2**20 // 3]
    from collections import Counter

    counts: Counter[str] = Counter()
    start = time.process_time()
    matcher.count_str(text, counts)
    matcher.count_bytes(text.encode("utf-8"), counts)
    scan_s = time.process_time() - start
    mb = len(text.encode("utf-8")) / 2**20
    return {
        "identifiers": n,
        "compile_s": round(compile_s, 2),
        "scan_mb_per_s": round(mb / scan_s, 2),
        "rss_before_mb": round(base, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


# ---------------------------------------------------------------- driver


def _child(*args: str, timeout: float) -> dict[str, Any] | None:
    cmd = [sys.executable, __file__, *args]
    try:
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"{' '.join(args)} failed:\n{exc.stderr[-4000:]}") from exc
    return json.loads(out.stdout.strip().splitlines()[-1])


def growth(small: float, large: float, factor: float = 4.0) -> float:
    """Exponent ``e`` with ``large = small * factor**e``."""
    return math.log(max(large, 1e-3) / max(small, 1e-3)) / math.log(factor)


def project_paper(runs: list[dict[str, Any]], camera_rate: float) -> dict[str, Any]:
    """Per node: growth exponent (4N -> 16N) and projected hours/RSS at paper scale."""
    mid, big = runs[-2], runs[-1]
    scale = PAPER_PHOTOS / big["photos"]
    nodes, hours, peak = [], 0.0, 0.0
    mid_rows = {r["node"]: r for r in mid["nodes"]}
    for row in big["nodes"]:
        before = mid_rows.get(row["node"])
        exponent = (
            growth(before["cpu_s"], row["cpu_s"], big["photos"] / mid["photos"]) if before else 1.0
        )
        if before is None:
            seconds = row["cpu_s"] * scale
        else:
            # per-photo cost plus a fixed part, fitted on the last two sizes; a node that
            # grew faster than linearly is extrapolated by its power law (the larger wins)
            slope_s = (row["cpu_s"] - before["cpu_s"]) / (big["photos"] - mid["photos"])
            linear = max(0.0, row["cpu_s"] + slope_s * (PAPER_PHOTOS - big["photos"]))
            seconds = max(linear, row["cpu_s"] * scale**exponent if exponent > 1 else 0.0)
        workers_rss = 0.0
        if row["node"].startswith("assess_photos"):
            seconds = PAPER_PHOTOS / (camera_rate * CORES)
            workers_rss = CORES * WORKER_RSS_MB
        # linear in photos from the last two sizes (a node that streams stays flat)
        slope = (
            (row["peak_rss_mb"] - before["peak_rss_mb"]) / (big["photos"] - mid["photos"])
            if before
            else 0.0
        )
        rss = row["peak_rss_mb"] + max(0.0, slope) * (PAPER_PHOTOS - big["photos"]) + workers_rss
        nodes.append(
            {
                "node": row["node"],
                "exponent": round(exponent, 2),
                "projected_hours": round(seconds / 3600, 3),
                "projected_rss_gb": round(rss / 1024, 2),
            }
        )
        hours += seconds / 3600
        peak = max(peak, rss)
    return {"nodes": nodes, "hours": round(hours, 2), "peak_rss_gb": round(peak / 1024, 2)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=500, help="exams at the smallest size")
    parser.add_argument("--steps", type=int, default=3, help="sizes N, 4N, 16N, ...")
    parser.add_argument("--min-side", type=int, default=96)
    parser.add_argument("--max-side", type=int, default=128)
    parser.add_argument("--image-side", type=int, default=64)
    parser.add_argument("--camera-rate", type=float, default=44.3, help="images/s per core")
    parser.add_argument("--identifiers", type=int, nargs="*", default=[100_000, 400_000, 1_600_000])
    parser.add_argument("--matcher-timeout", type=float, default=900)
    parser.add_argument("--curate", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--matcher", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.curate:
        print(json.dumps(run_curate(args.curate)))
        return
    if args.matcher:
        print(json.dumps(run_matcher(args.matcher)))
        return
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for step in range(args.steps):
            n = args.n * 4**step
            project = Path(tmp) / f"p{n}"
            generate = prepare(project, n, args.min_side, args.max_side, args.image_side)
            run = _child("--curate", str(project), timeout=24 * 3600)
            run.update(exams=n, generate_s=round(generate, 1))
            runs.append(run)
            print(json.dumps(run))
    report = project_paper(runs, args.camera_rate) if len(runs) >= 2 else {}
    for node in report.get("nodes", []):
        print(json.dumps(node))
    matchers = []
    for n in args.identifiers:
        result = _child("--matcher", str(n), timeout=args.matcher_timeout)
        matchers.append(result or {"identifiers": n, "timed_out_s": args.matcher_timeout})
        print(json.dumps(matchers[-1]))
    print(
        json.dumps(
            {
                "exams": [r["exams"] for r in runs],
                "photos": [r["photos"] for r in runs],
                "curate_wall_s": [r["wall_s"] for r in runs],
                "peak_rss_mb": [r["peak_rss_mb"] for r in runs],
                "max_exponent": max((n["exponent"] for n in report.get("nodes", [])), default=None),
                "projected_hours_16_cores": report.get("hours"),
                "projected_peak_rss_gb": report.get("peak_rss_gb"),
                "matcher": matchers,
            }
        )
    )


if __name__ == "__main__":
    main()
