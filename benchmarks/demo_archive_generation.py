"""How long the default demo archive takes to generate, and how big it is.

Usage: python benchmarks/demo_archive_generation.py [--out DIR] [--workers N] [--n-exams N]

Prints planning time, rendering/writing time, photos per second, archive size on disk
and the make-up of the archive. Figures go to docs/benchmarks.md.
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
from revision_pipeline.synth.truth import exams_truth, images_truth

PARAMS = Path(__file__).resolve().parents[1] / "conf/base/parameters_demo_archive.yml"


def main() -> None:
    """Generate the archive once and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="keep the archive here")
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--n-exams", type=int, default=None)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    params = yaml.safe_load(PARAMS.read_text(encoding="utf-8"))["demo_archive"]
    if args.n_exams:
        params["n_exams"] = args.n_exams
    config = DemoArchiveConfig.model_validate(params)
    out = args.out or Path(tempfile.mkdtemp(prefix="demo_archive_"))
    t0 = time.perf_counter()
    plan = plan_archive(config)
    t1 = time.perf_counter()
    write_archive(plan, out, workers=args.workers, progress=False)
    t2 = time.perf_counter()
    files = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files)
    images, exams = images_truth(plan), exams_truth(plan)
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
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
    if args.out is None:
        shutil.rmtree(out)


if __name__ == "__main__":
    main()
