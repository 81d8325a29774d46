"""Check fundus photographs before upload: ``python -m revision_pipeline.quality IMAGE...``.

Prints one JSON line per image: ``{"path", "score", "passed", "reasons"}``. A folder
stands for the photographs in it and its sub-folders (by extension, in name order). An
unreadable file is reported with ``passed: false`` and a reason ``unreadable: <why>``.
The verdict is the curate pipeline's own (the same decoding, disc search and checks).
The exit status is 0 (2 on usage errors); with ``--fail-on-reject`` it is 1 when any
image did not pass.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

import yaml

from revision_pipeline.imaging.io import SUPPORTED_EXTENSIONS
from revision_pipeline.imaging.process import process_image
from revision_pipeline.imaging.quality import ANALYSIS_SIDE, QualityThresholds


def load_thresholds(path: Path | None) -> QualityThresholds:
    """Read thresholds from a YAML mapping (optionally nested under ``quality_thresholds``).

    Raises:
        ValueError: Naming the file and the offending key.
    """
    if path is None:
        return QualityThresholds()
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of threshold names to numbers")
    if set(data) == {"quality_thresholds"}:
        data = data["quality_thresholds"] or {}
    try:
        return QualityThresholds.from_dict(data)
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc


def check_image(path: Path, thresholds: QualityThresholds) -> dict[str, object]:
    """Quality verdict for one file as the CLI prints it (the curate pipeline's verdict)."""
    result = process_image(path, ANALYSIS_SIDE, thresholds)
    return {
        "path": str(path),
        "score": round(result.score, 4),
        "passed": result.passed,
        "reasons": result.reasons,
    }


def expand(paths: list[Path]) -> list[Path]:
    """Files as given; a folder replaced by the photographs under it (hidden ones skipped)."""
    out: list[Path] = []
    for path in paths:
        if not path.is_dir():
            out.append(path)
            continue
        found = sorted(
            p
            for p in path.rglob("*")
            if p.is_file()
            and p.suffix.lower() in SUPPORTED_EXTENSIONS
            and not any(part.startswith(".") for part in p.relative_to(path).parts)
        )
        out.extend(found)
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m revision_pipeline.quality",
        description="Judge the quality of colour fundus photographs; one JSON line per image.",
    )
    parser.add_argument(
        "images", nargs="+", type=Path, metavar="IMAGE", help="image files, or folders of them"
    )
    parser.add_argument(
        "--thresholds", type=Path, metavar="FILE.yml", help="YAML mapping of quality thresholds"
    )
    parser.add_argument(
        "--fail-on-reject", action="store_true", help="exit with status 1 if any image fails"
    )
    args = parser.parse_args(argv)
    # stdout carries only the JSON lines; warnings go to stderr
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(message)s"
    )
    try:
        thresholds = load_thresholds(args.thresholds)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        parser.error(str(exc))
    all_passed = True
    for path in expand(args.images):
        line = check_image(path, thresholds)
        all_passed &= bool(line["passed"])
        sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
        sys.stdout.flush()
    return 1 if args.fail_on_reject and not all_passed else 0


if __name__ == "__main__":
    sys.exit(main())
