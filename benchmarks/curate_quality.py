"""Quality of ``kedro run --pipeline=curate`` against the demo archive's ground truth.

Generates a demo archive (``kedro run --pipeline=demo_archive``) in a throw-away copy of
the project, curates it, and prints:

* planted-defect rejection rate, overall and per defect type (target >= 0.95);
* good-photo keep rate (target >= 0.97);
* deduplication precision and recall, and whether each duplicate names its kept copy;
* label macro-F1 per kept photo, by eye, against the truth findings (target >= 0.95),
  and F1 per finding code;
* planted PHI values (``demo_truth/phi.csv``) found in the pairs' report text or in any
  file under ``data/03_primary`` ... ``data/08_reporting`` (target 0), and the rows of
  the pipeline's own ``phi_audit.csv``.

Usage::

    python benchmarks/curate_quality.py [--institutions 20] [--exams 150]
        [--min-side 512] [--max-side 768] [--image-side 256] [--keep DIR]

The helpers (:func:`evaluate`, :func:`find_planted_phi`, :func:`label_f1`) are also used
by ``tests/pipelines/test_curate_pipeline.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

PROJECT_ROOT = Path(__file__).resolve().parents[1]
KEDRO = Path(sys.executable).with_name("kedro")
#: Data layers across the PHI boundary (docs/contracts.md §4).
BOUNDARY_LAYERS: tuple[str, ...] = (
    "03_primary",
    "04_feature",
    "05_model_input",
    "06_models",
    "07_model_output",
    "08_reporting",
)


def make_project(root: Path) -> Path:
    """A throw-away copy of the project's configuration (the package is the installed one)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_ROOT / "pyproject.toml", root)
    shutil.copytree(PROJECT_ROOT / "conf" / "base", root / "conf" / "base")
    (root / "conf" / "local").mkdir(exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "src").mkdir(exist_ok=True)
    return root


def kedro(project: Path, *args: str) -> tuple[float, str]:
    """Run ``kedro <args>`` in ``project``; returns (seconds, output); raises on failure."""
    env = {**os.environ, "DO_NOT_TRACK": "true", "KEDRO_DISABLE_TELEMETRY": "true"}
    t0 = time.perf_counter()
    proc = subprocess.run(
        [str(KEDRO), *args], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"kedro {' '.join(args)} failed:\n{proc.stdout[-3000:]}{proc.stderr[-5000:]}"
        )
    return time.perf_counter() - t0, proc.stdout + proc.stderr


def params_arg(section: str, values: dict[str, Any]) -> str:
    """``--params=section.k=v,...``."""
    return "--params=" + ",".join(f"{section}.{k}={v}" for k, v in values.items())


def read_csv(path: Path) -> pd.DataFrame:
    """A CSV with every cell a string (empty, not NaN)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _codes(value: Any) -> frozenset[str]:
    if isinstance(value, str):
        return frozenset(c for c in value.split(";") if c)
    return frozenset(str(c) for c in value)


def label_f1(
    truth: Sequence[Iterable[str]], predicted: Sequence[Iterable[str]]
) -> tuple[float, dict[str, float]]:
    """Macro-F1 over finding codes (multi-label), and F1 per code.

    Codes are those present in the truth or the predictions; a code never predicted
    and never true does not count.
    """
    t = [_codes(x) for x in truth]
    p = [_codes(x) for x in predicted]
    per_code: dict[str, float] = {}
    for code in sorted(set().union(*t, *p)):
        tp = sum(code in a and code in b for a, b in zip(t, p, strict=True))
        fp = sum(code not in a and code in b for a, b in zip(t, p, strict=True))
        fn = sum(code in a and code not in b for a, b in zip(t, p, strict=True))
        per_code[code] = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
    macro = sum(per_code.values()) / len(per_code) if per_code else 1.0
    return macro, per_code


def _text_of_file(path: Path) -> str:
    if path.suffix == ".parquet":
        table = pq.read_table(path)
        parts = []
        for column in table.columns:
            if pa.types.is_binary(column.type) or pa.types.is_large_binary(column.type):
                continue
            parts.append(json.dumps(column.to_pylist(), ensure_ascii=False, default=str))
        return "\n".join(parts)
    return path.read_bytes().decode("utf-8", errors="ignore")


def find_planted_phi(roots: Iterable[Path], values: Iterable[str]) -> list[tuple[str, str]]:
    """``(file, value)`` for every planted value found in any file under ``roots``.

    Parquet files are read (their text columns, not the raw compressed bytes); other
    files are searched as UTF-8 text.
    """
    needles = sorted({v for v in values if len(v) >= 2})
    hits = []
    for root in roots:
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            text = _text_of_file(path)
            hits.extend((str(path), v) for v in needles if v in text)
    return hits


def load_pairs(project: Path) -> pd.DataFrame:
    """The pairs dataset as a DataFrame (image bytes included)."""
    return (
        ds.dataset(project / "data/05_model_input/pairs", format="parquet").to_table().to_pandas()
    )


def _rate(mask: pd.Series) -> float:
    return float(mask.mean()) if len(mask) else float("nan")


def evaluate(project: Path) -> dict[str, Any]:
    """Every quality figure of a curated demo archive in ``project`` (see module doc)."""
    data = project / "data"
    truth = read_csv(data / "01_raw/demo_truth/images.csv")
    phi = read_csv(data / "01_raw/demo_truth/phi.csv")
    rejects = pd.read_parquet(data / "02_intermediate/rejects.parquet")
    index = pd.read_parquet(data / "02_intermediate/pair_index.parquet")
    pairs = load_pairs(project).merge(index[["pair_id", "source"]], on="pair_id", how="left")
    kept = set(pairs["source"])
    rejected = dict(zip(rejects["source"], rejects["reason"], strict=True))

    defects = truth[truth["defect"] != ""]
    defect_rejected = defects["source"].isin(rejected)
    per_defect = {
        d: {"n": len(g), "rejected": _rate(g["source"].isin(rejected))}
        for d, g in defects.groupby("defect")
    }
    good = truth[truth["expected"] == "keep"]

    # duplicates: truth pair {copy, original}; found when one is rejected naming the other
    # (a planted copy whose exam has no report is an orphan first: not counted here)
    dup_truth = truth[(truth["duplicate_of"] != "") & (truth["expected_reason"] == "duplicate")]
    truth_pairs = {
        frozenset((s, o))
        for s, o in zip(dup_truth["source"], dup_truth["duplicate_of"], strict=True)
    }
    dedup = rejects[rejects["stage"] == "dedup"]
    named = dedup["reason"].str.removeprefix("duplicate_of:").str.strip()
    found_pairs = {frozenset((s, n)) for s, n in zip(dedup["source"], named, strict=True)}
    names_kept = bool(named.isin(kept).all())

    kept_truth = truth.set_index("source").loc[pairs["source"]]
    macro, per_code = label_f1(kept_truth["findings"].tolist(), pairs["labels"].tolist())
    eye_ok = _rate(pd.Series(kept_truth["eye"].to_numpy() == pairs["eye"].to_numpy()))

    report_hits = [
        v
        for v in sorted(set(phi["value"]))
        if len(v) >= 2 and pairs["report"].str.contains(v, regex=False).any()
    ]
    boundary = [data / layer for layer in BOUNDARY_LAYERS if (data / layer).exists()]
    file_hits = find_planted_phi(boundary, phi["value"])
    audit = data / "08_reporting/phi_audit.csv"
    audit_rows = len(read_csv(audit)) if audit.exists() else -1

    accounted = truth["source"].isin(kept | set(rejected))
    return {
        "images": len(truth),
        "pairs": len(pairs),
        "unaccounted_images": int((~accounted).sum()),
        "defects": len(defects),
        "defect_rejection_rate": _rate(defect_rejected),
        "defect_rejection_by_type": per_defect,
        "good_photos": len(good),
        "good_keep_rate": _rate(good["source"].isin(kept)),
        "good_lost": sorted(
            f"{s} ({rejected.get(s, 'missing')})" for s in good["source"] if s not in kept
        ),
        "duplicates_truth": len(truth_pairs),
        "duplicates_rejected": len(dedup),
        "dedup_precision": len(found_pairs & truth_pairs) / len(found_pairs)
        if found_pairs
        else 1.0,
        "dedup_recall": len(found_pairs & truth_pairs) / len(truth_pairs) if truth_pairs else 1.0,
        "duplicates_name_kept_copy": names_kept,
        "eye_agreement": eye_ok,
        "label_macro_f1": macro,
        "label_f1_by_code": per_code,
        "phi_values_planted": int(phi["value"].nunique()),
        "phi_in_pair_reports": report_hits,
        "phi_in_boundary_files": file_hits,
        "phi_audit_rows": audit_rows,
    }


def format_report(figures: dict[str, Any]) -> str:
    """The figures as readable lines."""
    f = figures
    lines = [
        f"images {f['images']}, pairs {f['pairs']}, unaccounted {f['unaccounted_images']}",
        f"planted-defect rejection: {f['defect_rejection_rate']:.3f} of {f['defects']} "
        "(target >= 0.95)",
    ]
    for defect, v in f["defect_rejection_by_type"].items():
        lines.append(f"  {defect:<22} {v['rejected']:.3f} of {v['n']}")
    lines += [
        f"good-photo keep rate: {f['good_keep_rate']:.3f} of {f['good_photos']} (target >= 0.97)",
        *(f"  lost: {s}" for s in f["good_lost"]),
        f"dedup: {f['duplicates_truth']} planted, {f['duplicates_rejected']} rejected; "
        f"precision {f['dedup_precision']:.3f}, recall {f['dedup_recall']:.3f}; "
        f"names a kept copy: {f['duplicates_name_kept_copy']}",
        f"eye agreement with truth: {f['eye_agreement']:.3f}",
        f"label macro-F1: {f['label_macro_f1']:.3f} (target >= 0.95)",
    ]
    lines += [f"  {code:<26} {v:.3f}" for code, v in f["label_f1_by_code"].items()]
    lines += [
        f"PHI: {f['phi_values_planted']} planted values; in pair reports: "
        f"{len(f['phi_in_pair_reports'])}; in files across the boundary: "
        f"{len(f['phi_in_boundary_files'])}; phi_audit.csv rows: {f['phi_audit_rows']}",
    ]
    return "\n".join(lines)


def main() -> None:
    """Generate, curate, evaluate, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--institutions", type=int, default=20)
    parser.add_argument("--exams", type=int, default=150)
    parser.add_argument("--min-side", type=int, default=512)
    parser.add_argument("--max-side", type=int, default=768)
    parser.add_argument("--image-side", type=int, default=256)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", type=Path, default=None, help="project folder to keep")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = make_project(args.keep or Path(tmp) / "project")
        demo = {
            "n_institutions": args.institutions,
            "n_exams": args.exams,
            "min_image_side": args.min_side,
            "max_image_side": args.max_side,
        }
        if args.seed is not None:
            demo["seed"] = args.seed
        t_demo, _ = kedro(
            project,
            "run",
            "--pipeline=demo_archive",
            "--nodes=generate_demo_archive",
            params_arg("demo_archive", demo),
        )
        t_cur, _ = kedro(
            project,
            "run",
            "--pipeline=curate",
            params_arg("curate", {"image_side": args.image_side}),
        )
        figures = evaluate(project)
    print(
        f"demo archive: {args.institutions} institutions, {args.exams} exams, "
        f"sides {args.min_side}-{args.max_side}; generate {t_demo:.1f} s, curate {t_cur:.1f} s"
    )
    print(format_report(figures))


if __name__ == "__main__":
    main()
