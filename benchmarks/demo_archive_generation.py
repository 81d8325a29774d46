"""How long the default demo archive and benchmark stand-ins take to generate, and their size.

Usage: python benchmarks/demo_archive_generation.py [--out DIR] [--workers N] [--n-exams N]
       [--only archive|benchmarks] [--benchmarks-out DIR]

Prints planning time, rendering/writing time, photos per second, size on disk and the
make-up of the archive, then the same for the benchmark stand-ins (``demo_benchmarks``).
Figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import tempfile
import time
from pathlib import Path

import yaml

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.export import write_archive
from revision_pipeline.synth.plan import plan_archive
from revision_pipeline.synth.standins import plan_standins, write_standins
from revision_pipeline.synth.truth import exams_truth, images_truth

PARAMS = Path(__file__).resolve().parents[1] / "conf/base/parameters_demo_archive.yml"


def main() -> None:
    """Generate the archive and the stand-ins once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep the archive here")
    parser.add_argument("--benchmarks-out", type=Path, default=None, help="keep the stand-ins")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--n-exams", type=int, default=None)
    parser.add_argument("--only", choices=("archive", "benchmarks"), default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))["demo_archive"]
    if args.n_exams:
        params["n_exams"] = args.n_exams
    config = DemoArchiveConfig.model_validate(params)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    if args.only != "benchmarks":
        archive(config, args.out, args.workers)
    if args.only != "archive":
        benchmarks(config, args.benchmarks_out, args.workers)


def archive(config: DemoArchiveConfig, keep: Path | None, workers: int) -> None:
    """Generate the archive and print its figures."""
    out = keep or Path(tempfile.mkdtemp(prefix="demo_archive_"))
    t0 = time.perf_counter()
    plan = plan_archive(config)
    t1 = time.perf_counter()
    write_archive(plan, out, workers=workers, progress=False)
    t2 = time.perf_counter()
    files = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    images, exams = images_truth(plan), exams_truth(plan)
    print(
        f"institutions: {len(plan.institutions)}   exams: {len(exams)}   image files: {len(images)}"
    )
    print(f"planning: {t1 - t0:.1f} s   rendering+writing: {t2 - t1:.1f} s   "
          f"({len(images) / (t2 - t1):.1f} files/s)   total: {t2 - t0:.1f} s")  # fmt: skip
    print(f"archive on disk: {size / 1e6:.0f} MB in {len(files)} files")
    print(f"expected fate: {images['expected'].value_counts().to_dict()}")
    print(f"defects: {images.loc[images['defect'] != '', 'defect'].value_counts().to_dict()}")
    print(f"largest institution: {images.groupby('institution_id').size().max()} files; "
          f"median: {images.groupby('institution_id').size().median():.0f}")  # fmt: skip
    if keep is None:
        shutil.rmtree(out)


def benchmarks(config: DemoArchiveConfig, keep: Path | None, workers: int) -> None:
    """Generate the benchmark stand-ins and print their figures."""
    out = keep or Path(tempfile.mkdtemp(prefix="demo_benchmarks_"))
    t0 = time.perf_counter()
    sets = plan_standins(config.benchmarks)
    t1 = time.perf_counter()
    written = write_standins(
        sets, out, workers=workers or config.benchmarks.workers, progress=False
    )
    t2 = time.perf_counter()
    n = sum(written.values())
    print(f"stand-ins: {len(sets)}   photos: {n}   per stand-in: {written}")
    print(f"planning: {t1 - t0:.1f} s   rendering+writing: {t2 - t1:.1f} s   "
          f"({n / (t2 - t1):.1f} photos/s)   total: {t2 - t0:.1f} s")  # fmt: skip
    for name in sorted(written):
        files = [p for p in (out / name).rglob("*") if p.is_file()]
        size = sum(p.stat().st_size for p in files)
        print(f"  {name}: {size / 1e6:.0f} MB in {len(files)} files")
    if keep is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
