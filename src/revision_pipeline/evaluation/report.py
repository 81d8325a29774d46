"""The Markdown evaluation report: one table per task, built from the tidy metrics table."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

#: Per-class zero-shot AUROC below this is flagged in the report (issue target).
CLASS_FLOOR = 0.70


def _fmt(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float | np.floating):
        return f"{value:.{digits}f}"
    return str(value)


def _ci(row: pd.Series) -> str:
    if pd.isna(row.get("ci_low")) or row.get("ci_low") == row.get("ci_high"):
        return _fmt(row["value"])
    return f"{_fmt(row['value'])} [{_fmt(row['ci_low'])}, {_fmt(row['ci_high'])}]"


def _table(header: Sequence[str], rows: list[Sequence[Any]]) -> str:
    if not rows:
        return "_none_\n"
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def _pick(df: pd.DataFrame, **where: Any) -> pd.DataFrame:
    mask = np.ones(len(df), bool)
    for key, value in where.items():
        mask &= (df[key] == value).to_numpy()
    return df[mask]


def zero_shot_section(metrics: pd.DataFrame, counts: dict[str, dict[str, Any]]) -> str:
    """The zero-shot table (trained, random-init, chance) and the mean over benchmarks."""
    zs = _pick(metrics, section="zero_shot")
    rows = []
    for bench in dict.fromkeys(zs["benchmark"]):
        b = _pick(zs, benchmark=bench)
        t = _pick(b, model="trained", metric="auroc")
        if t.empty:
            continue
        get = lambda model, metric, b=b: _pick(b, model=model, metric=metric)["value"]  # noqa: E731
        rand, bacc, kappa = (
            get("random_init", "auroc"),
            get("trained", "balanced_accuracy"),
            get("trained", "kappa"),
        )
        c = counts.get(bench, {})
        rows.append(
            [
                bench,
                c.get("task", ""),
                c.get("test", ""),
                _ci(t.iloc[0]),
                rand.iloc[0] if len(rand) else None,
                0.5,
                bacc.iloc[0] if len(bacc) else None,
                kappa.iloc[0] if len(kappa) else None,
            ]
        )
    means = [
        _pick(zs, model=m, metric="auroc")["value"].mean()
        if len(_pick(zs, model=m, metric="auroc"))
        else None
        for m in ("trained", "random_init")
    ]
    if rows:
        rows.append(["**mean**", "", "", _fmt(means[0]), means[1], 0.5, None, None])
    text = _table(
        [
            "benchmark",
            "task",
            "n test",
            "AUROC [95% CI]",
            "random init",
            "chance",
            "balanced acc.",
            "quadratic κ",
        ],
        rows,
    )
    per_class = _pick(zs, model="trained", metric="auroc_class")
    low = per_class[per_class["value"] < CLASS_FLOOR]
    scored = per_class[per_class["value"].notna()]
    crows = [
        [r.benchmark, r.label, int(r.n) if not pd.isna(r.n) else None, r.value]
        for r in scored.itertuples()
    ]
    text += "\n**Per class** (trained model; n = positives in the scored set):\n\n"
    text += _table(["benchmark", "class", "n", "AUROC"], crows)
    unscored = per_class[per_class["value"].isna()]
    if len(unscored):
        text += (
            "\nNot scored (no positive, or no negative, in the test rows): "
            + ", ".join(
                f"{b}: " + " ".join(g["label"])
                for b, g in unscored.groupby("benchmark", sort=False)
            )
            + ".\n"
        )
    if len(low):
        text += (
            f"\n{len(low)} class(es) score below {CLASS_FLOOR:.2f}: "
            + ", ".join(f"{r.benchmark}/{r.label} ({r.value:.2f})" for r in low.itertuples())
            + ". Why, on the demo's stand-ins: some classes are out of reach at the demo's "
            "resolution (the model sees 112 px: mild DR is a handful of microaneurysms under a "
            "pixel wide, moderate vs severe DR differ by lesion counts), and classes the renderer "
            "cannot paint (cataract, most RFMiD diseases) are drawn as another class's sign or as "
            "a hazy/normal fundus, so no model can separate them (docs/evaluation.md). Few "
            "positives (n) also widen the error of a class's AUROC.\n"
        )
    return text


def cohort_section(metrics: pd.DataFrame) -> tuple[str, str]:
    """The cohorts table (per-finding AUROC) and the retrieval table."""
    co = _pick(metrics, section="cohort")
    rows = []
    for cohort in dict.fromkeys(co["benchmark"]):
        c = _pick(co, benchmark=cohort)
        mean = _pick(c, metric="auroc")
        per = _pick(c, metric="auroc_finding")
        findings = ", ".join(
            f"{r.label} {_fmt(r.value, 2)} (n={int(r.n)})" for r in per.itertuples()
        )
        rows.append(
            [
                cohort,
                int(mean["n"].iloc[0]) if len(mean) else None,
                _ci(mean.iloc[0]) if len(mean) else "–",
                findings,
            ]
        )
    cohorts = _table(
        ["cohort", "n photos", "mean AUROC [95% CI]", "per finding (AUROC, positives)"], rows
    )
    re = _pick(metrics, section="retrieval")
    keys = [f"{d}_R@{k}" for d in ("i2t", "t2i") for k in (1, 5, 10)]
    rrows = []
    for cohort in dict.fromkeys(re["benchmark"]):
        c = _pick(re, benchmark=cohort)
        vals = [_ci(c[c["metric"] == k].iloc[0]) if (c["metric"] == k).any() else "–" for k in keys]
        uniq = _pick(c, metric="n_unique_reports")["value"]
        rrows.append([cohort, int(c["n"].iloc[0]), int(uniq.iloc[0]) if len(uniq) else None, *vals])
    retrieval = _table(["cohort", "pairs", "distinct reports", *keys], rrows)
    return cohorts, retrieval


def _mean_sd(values: pd.Series) -> str:
    if values.empty:
        return "–"
    if len(values) == 1:
        return f"{values.mean():.3f}"
    return f"{values.mean():.3f} ± {values.std(ddof=1):.3f}"


def kshot_section(metrics: pd.DataFrame, section: str = "linear_probe") -> str:
    """Mean ± sd AUROC over seeds per shots, one row per benchmark and model."""
    lp = _pick(metrics, section=section, metric="auroc")
    if lp.empty:
        return "_none_\n"
    shots = sorted(int(s) for s in lp["shots"].dropna().unique())
    shots = [s for s in shots if s >= 0] + ([-1] if -1 in shots else [])
    rows = []
    for (bench, model), g in lp.groupby(["benchmark", "model"], sort=False):
        params = g["trainable_params"].dropna()
        rows.append(
            [
                bench,
                model,
                *[_mean_sd(g[g["shots"] == s]["value"]) for s in shots],
                int(params.iloc[0]) if len(params) else None,
            ]
        )
    return _table(
        ["benchmark", "model", *[("all" if s < 0 else str(s)) for s in shots], "trainable params"],
        rows,
    )


def adapters_section(metrics: pd.DataFrame) -> str:
    """Every adaptation method at its shots: AUROC, trainable parameters, seconds."""
    ad = metrics[
        (metrics["metric"] == "auroc")
        & metrics["section"].isin(
            ["linear_probe", "tip_adapter_f", "lora", "lora_finetune", "full_finetune"]
        )
        & (metrics["model"] == "trained")
    ]
    rows = []
    for (bench, section, shots), g in ad.groupby(["benchmark", "section", "shots"], sort=False):
        if section == "linear_probe" and shots not in (16, -1):
            continue
        params = g["trainable_params"].dropna()
        secs = g["seconds"].dropna() if "seconds" in g else pd.Series(dtype=float)
        rows.append(
            [
                bench,
                section,
                "all" if shots < 0 else int(shots),
                _mean_sd(g["value"]),
                int(params.iloc[0]) if len(params) else None,
                secs.mean() if len(secs) else None,
            ]
        )
    return _table(
        ["benchmark", "method", "shots", "AUROC (mean ± sd)", "trainable params", "seconds"], rows
    )


def baselines_section(metrics: pd.DataFrame, shots: int = 16) -> str:
    """Linear probe at ``shots`` and on all data, per model, beside zero-shot chance."""
    lp = _pick(metrics, section="linear_probe", metric="auroc")
    rows = []
    for bench in dict.fromkeys(lp["benchmark"]):
        b = _pick(lp, benchmark=bench)
        cells = []
        for model in ("trained", "random_init", "imagenet"):
            for s in (shots, -1):
                cells.append(_mean_sd(b[(b["model"] == model) & (b["shots"] == s)]["value"]))
        t16 = b[(b["model"] == "trained") & (b["shots"] == shots)]["value"].mean()
        r16 = b[(b["model"] == "random_init") & (b["shots"] == shots)]["value"].mean()
        verdict = "yes" if t16 > r16 else ("no" if not math.isnan(t16 - r16) else "–")
        rows.append([bench, *cells, 0.5, verdict])
    header = ["benchmark"] + [
        f"{m} {('all' if s < 0 else f'{s}-shot')}"
        for m in ("trained", "random init", "ImageNet")
        for s in (shots, -1)
    ]
    return _table([*header, "chance", f"trained beats random init at {shots}"], rows)


def contamination_section(contamination: pd.DataFrame, counts: dict[str, dict[str, Any]]) -> str:
    """Photos found among the pretraining pairs, per benchmark and kind of match."""
    rows = []
    for bench, c in counts.items():
        sub = (
            contamination[contamination["benchmark"] == bench]
            if len(contamination)
            else contamination
        )
        kinds = {
            k: sub[sub["match"] == k]["image_path"].nunique() if len(sub) else 0
            for k in ("crop", "file", "near")
        }
        rows.append(
            [
                bench,
                c.get("photos", ""),
                kinds["crop"],
                kinds["file"],
                kinds["near"],
                c.get("contaminated", 0),
            ]
        )
    return _table(
        [
            "benchmark",
            "photos",
            "same crop bytes",
            "same file",
            "near copy (hash + vessels)",
            "excluded from scoring",
        ],
        rows,
    )


def data_section(counts: dict[str, dict[str, Any]]) -> str:
    """What each benchmark contributed: rows, drops, crops, split."""
    rows = [
        [
            b,
            c.get("task"),
            c.get("classes"),
            c.get("photos"),
            c.get("dropped_by_adapter"),
            c.get("unreadable"),
            c.get("no_disc_centre_crop"),
            c.get("train"),
            c.get("test"),
            c.get("split"),
            c.get("seconds"),
        ]
        for b, c in counts.items()
    ]
    return _table(
        [
            "benchmark",
            "task",
            "classes",
            "photos",
            "dropped by adapter (missing file)",
            "unreadable",
            "no disc found (centre crop)",
            "train",
            "test",
            "split",
            "seconds",
        ],
        rows,
    )


def build_report(
    metrics: pd.DataFrame,
    counts: dict[str, dict[str, Any]],
    skips: list[dict[str, str]],
    contamination: pd.DataFrame,
    header: dict[str, Any],
) -> str:
    """The whole Markdown report."""
    cohorts, retrieval = cohort_section(metrics)
    lines = [
        "# Evaluation report",
        "",
        *(f"- **{k}**: {v}" for k, v in header.items()),
        "",
        "## Zero-shot classification",
        "",
        "Scored on each benchmark's test split (or a seeded, stratified held-out part when the "
        "publisher defines none). AUROC is macro one-vs-rest with a 95% percentile bootstrap "
        "interval; the random-init model is the same architecture with untrained weights.",
        "",
        zero_shot_section(metrics, counts),
        "## Clinical cohorts (zero-shot, against the findings extracted from the reports)",
        "",
        cohorts,
        "## Retrieval (cohorts)",
        "",
        retrieval,
        "## k-shot linear probe (AUROC, mean ± sd over seeds)",
        "",
        kshot_section(metrics),
        "## Adapters and fine-tuning",
        "",
        adapters_section(metrics),
        "## Baselines (linear probe on each model's frozen features)",
        "",
        baselines_section(metrics),
        "## Contamination",
        "",
        contamination_section(contamination, counts),
        "## Data",
        "",
        data_section(counts),
        "## Skipped",
        "",
        _table(
            ["benchmark", "task", "reason"],
            [[s["benchmark"], s["task"], s["reason"]] for s in skips],
        ),
    ]
    return "\n".join(lines)
