"""Time ``load_benchmark`` on publisher layouts at the public datasets' real sizes.

The images are empty files (the adapters only check that they exist), so a layout of
tens of thousands of photos is written in seconds. Prints one JSON line per adapter:
``name``, ``rows``, ``seconds`` (best of ``--repeat``), ``rows_per_s``.

Usage::

    python benchmarks/benchmark_adapters_scale.py [--eyepacs 35126] [--odir 3500]
        [--rfmid 1920] [--imagefolder 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from revision_pipeline.benchmarks import load_benchmark

RFMID = ["DR", "ARMD", "MH", "DN", "MYA", "BRVO", "TSLN", "ERM", "LS", "MS", "CSR", "ODC"]


def _touch(folder: Path, names: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).touch()


def eyepacs(root: Path, n: int) -> None:
    names = [f"{i // 2}_{'left' if i % 2 == 0 else 'right'}" for i in range(n)]
    with (root / "trainLabels.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["image", "level"])
        writer.writerows((name, i % 5) for i, name in enumerate(names))
    _touch(root / "train", [f"{name}.jpeg" for name in names])


def odir(root: Path, n: int) -> None:
    words = ["normal fundus", "moderate non proliferative retinopathy，hypertensive retinopathy",
             "glaucoma", "cataract", "lens dust，pathological myopia", "drusen"]  # fmt: skip
    rows = [{
        "ID": i, "Patient Age": 60, "Patient Sex": "Male",
        "Left-Fundus": f"{i}_left.jpg", "Right-Fundus": f"{i}_right.jpg",
        "Left-Diagnostic Keywords": words[i % 6], "Right-Diagnostic Keywords": words[(i + 1) % 6],
        **dict.fromkeys("NDGCAHMO", 0),
    } for i in range(n)]  # fmt: skip
    pd.DataFrame(rows).to_excel(root / "ODIR-5K_Training_Annotations(Updated)_V2.xlsx", index=False)
    _touch(
        root / "ODIR-5K_Training_Dataset",
        [f"{i}_{e}.jpg" for i in range(n) for e in ("left", "right")],
    )


def rfmid(root: Path, n: int) -> None:
    base = root / "Training_Set" / "Training_Set"
    base.mkdir(parents=True)
    with (base / "RFMiD_Training_Labels.csv").open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "Disease_Risk", *RFMID])
        for i in range(1, n + 1):
            writer.writerow([i, int(i % 3 > 0), *[int(j == i % 12) for j in range(len(RFMID))]])
    _touch(base / "Training", [f"{i}.png" for i in range(1, n + 1)])
    other = root / "Test_Set" / "Test_Set"
    other.mkdir(parents=True)
    (other / "RFMiD_Testing_Labels.csv").write_text(
        (base / "RFMiD_Training_Labels.csv").read_text()
    )
    _touch(other / "Test", [f"{i}.png" for i in range(1, n + 1)])


def imagefolder(root: Path, n: int) -> None:
    classes = ["normal", "glaucoma", "amd", "myopia", "rvo"]
    for split in ("train", "val", "test"):
        for c in classes:
            _touch(root / split / c, [f"{c}_{i}.png" for i in range(n // 15)])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eyepacs", type=int, default=35126)
    parser.add_argument("--odir", type=int, default=3500)
    parser.add_argument("--rfmid", type=int, default=1920)
    parser.add_argument("--imagefolder", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    sets = {
        "eyepacs": (eyepacs, args.eyepacs),
        "odir5k": (odir, args.odir),
        "rfmid": (rfmid, args.rfmid),
        "imagefolder": (imagefolder, args.imagefolder),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for name, (write, n) in sets.items():
            root = Path(tmp) / name
            root.mkdir()
            write(root, n)
            best = float("inf")
            for _ in range(args.repeat):
                start = time.perf_counter()
                df = load_benchmark(name, root)
                best = min(best, time.perf_counter() - start)
            print(json.dumps({
                "name": name, "rows": len(df), "seconds": round(best, 3),
                "rows_per_s": round(len(df) / best),
            }))  # fmt: skip


if __name__ == "__main__":
    main()
