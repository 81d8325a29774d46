"""``python -m revision_pipeline.benchmarks``: check a download against its adapter.

``python -m revision_pipeline.benchmarks NAME ROOT`` reads ROOT with the adapter NAME and
prints what the evaluation would see: rows per class and split, rows dropped (missing
images) and rows without a usable label, the first few of each. ``--json`` prints one
JSON object instead; ``--list`` lists the adapters. Exit status 1 when the adapter
cannot read ROOT (the reason is printed to stderr).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from revision_pipeline.benchmarks import (
    BenchmarkError,
    benchmark_info,
    list_benchmarks,
    load_benchmark,
)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m revision_pipeline.benchmarks",
        description="Read a public benchmark download with its adapter and summarise it.",
    )
    parser.add_argument("name", nargs="?", help="adapter name (--list shows them)")
    parser.add_argument("root", nargs="?", help="the dataset's folder (or CSV for flair_csv)")
    parser.add_argument("--list", action="store_true", help="list the adapters and exit")
    parser.add_argument("--json", action="store_true", help="one JSON object on stdout")
    parser.add_argument("--show", type=int, default=5, help="dropped/unlabelled rows shown")
    args = parser.parse_args(argv)
    if not args.list and (args.name is None or args.root is None):
        parser.error("NAME and ROOT are required (or --list)")
    return args


def summary(name: str, root: str) -> dict[str, Any]:
    """What ``load_benchmark(name, root)`` returns, in numbers."""
    df = load_benchmark(name, root, min_classes=1)
    labels = Counter(v for lab in df["label"] for v in (lab if isinstance(lab, list) else [lab]))
    info = benchmark_info(name, root) if benchmark_info(name).generic else benchmark_info(name)
    return {
        "benchmark": name,
        "root": str(root),
        "rows": len(df),
        "task": info.task,
        "classes": {c: labels.get(c, 0) for c in info.classes},
        "splits": df["split"].value_counts().to_dict() if "split" in df.columns else None,
        "dropped": df.attrs["dropped"],
        "unlabelled": df.attrs["unlabelled"],
    }


def _print(result: dict[str, Any], show: int) -> None:
    print(f"{result['benchmark']}: {result['rows']} labelled images under {result['root']}")
    print(f"  task {result['task']}; images per class:")
    for cls, n in result["classes"].items():
        print(f"    {cls}: {n}")
    if result["splits"]:
        print("  splits: " + ", ".join(f"{k} {v}" for k, v in result["splits"].items()))
    for key in ("dropped", "unlabelled"):
        rows = result[key]
        print(f"  {key}: {len(rows)}")
        for row in rows[:show]:
            print(f"    {row['source']}: {row['reason']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parse(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    if args.list:
        for name in list_benchmarks():
            info = benchmark_info(name)
            print(f"{name}\t{info.task}\t{info.title}")
        return 0
    try:
        result = summary(args.name, args.root)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        _print(result, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
