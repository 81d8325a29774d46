"""De-identification on an annotated report set the rules were not written from.

Prints PHI span recall (overall, per category, person names alone), the share of
clinical phrases kept, and reports per CPU second on one core, then one JSON line of
these figures. Nothing of the set's content is printed unless ``--show-misses`` is
given, so the script can run on a sealed set.

Usage::

    python benchmarks/deid_generalisation.py --set tests/deid/data/generalisation_dev.jsonl
    python benchmarks/deid_generalisation.py --set SET.jsonl --show-misses   # dev set only
"""

from __future__ import annotations

import argparse
import json
import logging
from collections import Counter
from pathlib import Path

from revision_pipeline.deid.evaluate import evaluate, load_set, throughput
from revision_pipeline.deid.text import scrub

logger = logging.getLogger("deid_generalisation")


def main() -> None:
    """Measure and print the figures (and the misses when asked)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", required=True, type=Path, help="annotated JSON Lines file")
    parser.add_argument(
        "--show-misses", action="store_true", help="print missed PHI and damaged phrases"
    )
    parser.add_argument("--seconds", type=float, default=3.0, help="CPU seconds of timing")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    import jieba

    jieba.setLogLevel(logging.WARNING)  # its dictionary may load for a rare check
    reports = load_set(args.set)
    ev = evaluate(reports, keep_misses=args.show_misses)
    rate = throughput([r.text for r in reports], scrub, args.seconds)
    figures = {"set": args.set.name, **ev.figures(), "reports_per_s": round(rate)}
    mean_chars = sum(len(r.text) for r in reports) / max(1, len(reports))
    styles = Counter(r.style for r in reports)
    print(
        f"{args.set.name}: {len(reports)} reports in {len(styles)} styles, "
        f"{mean_chars:.0f} chars mean"
    )
    print(f"PHI spans removed: {ev.recall:.4f} of {sum(ev.spans.values())}")
    for category, row in figures["per_category"].items():
        print(f"  {category:<14} {row['recall']:.4f} of {row['spans']}")
    print(f"person names removed: {figures['person_name_recall']:.4f}")
    print(f"clinical phrases kept: {ev.kept:.4f} of {ev.clinical}")
    print(f"speed: {rate:,.0f} reports/s (CPU time, one core)")
    if args.show_misses:
        for rid, category, value in ev.misses + ev.damaged:
            print(f"MISS {rid} {category}: {value}")
    print(json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
