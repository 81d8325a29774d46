"""Screen fundus photographs on a CPU: ``python -m revision_pipeline.screen PHOTO_OR_FOLDER...``.

Also installed as ``revision-screen``. Each photo gets curate's own quality verdict, then,
when it passes, the zero-shot probabilities of the canonical findings from the exported
ONNX model (``kedro run --pipeline=export``; without ``--model`` the latest export under
``data/06_models/screening/`` of the current folder or a parent of it). A folder stands
for the photographs in it and its sub-folders. Never imports torch: onnxruntime, numpy,
OpenCV and Pillow are all it needs.

Output: a table, or with ``--json`` one JSON line per photo: ``path``, ``passed``,
``reasons``, ``scores`` ({finding: probability}, absent when the photo fails) and ``model``.
Progress and warnings go to stderr; stdout carries only the results.

Exit status: 0 every photo was screened (passed or not); 1 with ``--fail-on-reject`` when
a photo did not pass; 2 usage error (a path that does not exist, no photo found); 3 no
usable model export (none found, incomplete or altered). See docs/deployment.md.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_MODEL = 0, 1, 2, 3
_TOP = 3  # findings shown per photo in the table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="revision-screen",
        description=(
            "Quality verdict and zero-shot finding probabilities for colour fundus photographs "
            "(CPU, ONNX). Exit status: 0 done, 1 a photo failed (--fail-on-reject), "
            "2 usage error, 3 no usable model."
        ),
    )
    parser.add_argument(
        "photos", nargs="+", type=Path, metavar="PHOTO_OR_FOLDER", help="photos, or folders"
    )
    parser.add_argument(
        "--model",
        type=Path,
        metavar="DIR",
        help="an export folder (or data/06_models/screening: its latest version); "
        "default: the latest under ./data/06_models/screening/",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per photo")
    parser.add_argument(
        "--variant",
        choices=("fp32", "int8"),
        default="fp32",
        help="model weights: fp32 (default) or the INT8-quantised file (smaller, faster)",
    )
    parser.add_argument(
        "--threads", type=int, default=None, help="CPU threads for the model (default: all)"
    )
    parser.add_argument(
        "--fail-on-reject", action="store_true", help="exit with status 1 if a photo fails"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    return parser


def _table_line(path: str, width: int, verdict) -> str:
    if verdict.scores is None:
        result = "REJECTED  " + ", ".join(verdict.reasons)
    else:
        top = sorted(verdict.scores.items(), key=lambda kv: -kv[1])[:_TOP]
        result = "passed    " + "  ".join(f"{k} {v:.2f}" for k, v in top)
    return f"{path:<{width}}  {verdict.quality_score:>7.2f}  {result}"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status."""
    from tqdm.auto import tqdm

    from revision_pipeline.deploy.bundle import ExportError, find_latest_export, resolve_export
    from revision_pipeline.quality import expand

    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        stream=sys.stderr, level=logging.WARNING, format="%(levelname)s %(message)s"
    )
    missing = [str(p) for p in args.photos if not p.exists()]
    if missing:
        parser.print_usage(sys.stderr)
        print(
            f"revision-screen: error: no such file or folder: {', '.join(missing)}", file=sys.stderr
        )
        return EXIT_USAGE
    files = expand(args.photos)
    if not files:
        print(
            "revision-screen: error: no photos found (looked for .jpg .jpeg .png .tif .tiff "
            f".bmp .dcm under {', '.join(map(str, args.photos))})",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        from revision_pipeline.deploy.runtime import ScreeningModel

        folder = resolve_export(args.model) if args.model else find_latest_export()
        model = ScreeningModel(folder, args.variant, args.threads)
    except ExportError as exc:
        print(f"revision-screen: error: {exc}", file=sys.stderr)
        return EXIT_MODEL
    width = min(max(len(str(f)) for f in files), 80)
    if not args.json:
        sys.stdout.write(
            f"model {model.model_id} ({folder}); probabilities: softmax over "
            f"{len(model.labels)} findings, top {_TOP} shown\n"
            f"{'photo':<{width}}  {'quality':>7}  result\n"
        )
    all_passed = True
    bar = tqdm(
        files,
        desc="screen",
        unit="photo",
        file=sys.stderr,
        disable=args.no_progress or len(files) < 2,
    )
    # on one terminal, lines are written around the bar; redirected, stdout is left alone
    interleave = sys.stdout.isatty() and sys.stderr.isatty()
    try:
        for path in bar:
            verdict = model.screen(path)
            all_passed &= verdict.passed
            if args.json:
                line = json.dumps(verdict.to_json(model.model_id), ensure_ascii=False)
            else:
                line = _table_line(str(path), width, verdict)
            if interleave:
                tqdm.write(line, file=sys.stdout)
            else:
                sys.stdout.write(line + "\n")
            sys.stdout.flush()
    except BrokenPipeError:  # e.g. `| head`: the reader has what it wanted
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - Python's own advice for SIGPIPE
        return EXIT_OK
    finally:
        bar.close()
    return EXIT_REJECTED if args.fail_on_reject and not all_passed else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
