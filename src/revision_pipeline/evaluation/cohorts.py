"""Clinical cohorts: the curated test split and the held-out institutions.

Per cohort: zero-shot AUROC of every finding code against the labels extracted from the
cohort's own reports, and image->text / text->image Recall@1/5/10 of the reports
(:func:`revision_pipeline.training.evaluate.recall_at_k`), each with a bootstrap interval.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd

from revision_pipeline.evaluation.metrics import (
    MetricError,
    bootstrap,
    bootstrap_many,
    per_class_auroc,
)
from revision_pipeline.evaluation.zero_shot import class_probabilities, metric_row

logger = logging.getLogger(__name__)

TEST_COHORT = "test_split"


def read_cohort_pairs(pairs_path: str, external: list[str]) -> dict[str, pd.DataFrame]:
    """``{cohort: rows}``: the test split of the other institutions, and each external one.

    Rows have ``pair_id``, ``institution_id``, ``image`` (JPEG bytes), ``report``, ``labels``.
    """
    import pyarrow.compute as pc
    import pyarrow.dataset as pads

    dataset = pads.dataset(pairs_path, format="parquet")
    table = dataset.to_table(
        columns=["pair_id", "institution_id", "image", "report", "labels"],
        filter=pc.field("split") == "test",
    ).to_pandas()
    cohorts = {TEST_COHORT: table[~table["institution_id"].isin(external)].reset_index(drop=True)}
    for inst in external:
        rows = table[table["institution_id"] == inst].reset_index(drop=True)
        cohorts[inst] = rows
    return cohorts


def finding_auroc_rows(
    cohort: str,
    features: np.ndarray,
    labels: list[list[str]],
    codes: list[str],
    prototypes: np.ndarray,
    n_boot: int,
    seed: int,
    logit_scale: float,
) -> list[dict[str, Any]]:
    """Per-finding zero-shot AUROC (with interval) and their mean, against report labels.

    Scores are :func:`~revision_pipeline.evaluation.zero_shot.class_probabilities` over
    the finding codes, as on the benchmarks.
    """
    targets = np.array([[code in set(lab) for code in codes] for lab in labels], dtype=np.int8)
    scores = class_probabilities(features, prototypes, logit_scale)
    rows = []
    base = {"section": "cohort", "benchmark": cohort}
    for c, code in enumerate(codes):
        t = targets[:, c]
        if not 0 < t.sum() < len(t):
            rows.append(metric_row(**base, metric="auroc_finding", label=code, n=int(t.sum())))
            continue

        def _auc(idx: np.ndarray, c: int = c) -> float:
            v = per_class_auroc(scores[idx][:, [c]], targets[idx][:, [c]])[0]
            if np.isnan(v):
                raise MetricError("one class in resample")
            return float(v)

        iv = bootstrap(_auc, len(t), n_boot, seed)
        rows.append(
            metric_row(
                **base,
                metric="auroc_finding",
                label=code,
                value=iv.value,
                ci_low=iv.low,
                ci_high=iv.high,
                n=int(t.sum()),
            )
        )
    scored = [r["value"] for r in rows if not np.isnan(r["value"])]

    def _mean(idx: np.ndarray) -> float:
        v = per_class_auroc(scores[idx], targets[idx])
        if np.all(np.isnan(v)):
            raise MetricError("nothing scorable")
        return float(np.nanmean(v))

    if scored:
        iv = bootstrap(_mean, len(targets), n_boot, seed)
        rows.append(
            metric_row(
                **base,
                metric="auroc",
                value=iv.value,
                ci_low=iv.low,
                ci_high=iv.high,
                n=len(targets),
            )
        )
    return rows


def retrieval_hits(
    image_features: np.ndarray, text_features: np.ndarray, reports: list[str], ks: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """Per-query hits of image->text and text->image retrieval at each K.

    The rule of :func:`revision_pipeline.training.evaluate.recall_at_k` (identical report
    texts are one candidate; a text query hits any image of the same text), kept per query
    so an interval can resample queries against the fixed gallery; the mean of each array
    is ``recall_at_k``'s value.
    """
    index: dict[str, int] = {}
    group = np.array([index.setdefault(r, len(index)) for r in reports])
    first = np.zeros(len(index), dtype=int)
    first[group[::-1]] = np.arange(len(reports) - 1, -1, -1)
    i2t = image_features @ text_features[first].T  # (N, distinct texts)
    t2i = text_features @ image_features.T  # (N, N)
    hits = {}
    for k in ks:
        top_t = np.argsort(-i2t, axis=1, kind="stable")[:, : min(k, i2t.shape[1])]
        hits[f"i2t_R@{k}"] = (top_t == group[:, None]).any(axis=1)
        top_i = np.argsort(-t2i, axis=1, kind="stable")[:, : min(k, t2i.shape[1])]
        hits[f"t2i_R@{k}"] = (group[top_i] == group[:, None]).any(axis=1)
    return hits


def retrieval_rows(
    cohort: str,
    image_features: np.ndarray,
    text_features: np.ndarray,
    reports: list[str],
    n_boot: int,
    seed: int,
    ks: tuple[int, ...] = (1, 5, 10),
) -> list[dict[str, Any]]:
    """Image->text and text->image Recall@K (``training.evaluate.recall_at_k``) with
    bootstrap intervals over queries (the gallery stays the whole cohort)."""
    import torch

    from revision_pipeline.training.evaluate import recall_at_k

    point = recall_at_k(
        torch.from_numpy(image_features), torch.from_numpy(text_features), reports, ks
    )
    hits = retrieval_hits(image_features, text_features, reports, ks)
    intervals = bootstrap_many(
        lambda idx: {key: float(h[idx].mean()) for key, h in hits.items()},
        len(reports),
        n_boot,
        seed,
    )
    rows = [
        metric_row(
            section="retrieval",
            benchmark=cohort,
            metric=key,
            value=value,
            ci_low=intervals[key].low,
            ci_high=intervals[key].high,
            n=len(reports),
        )
        for key, value in point.items()
    ]
    rows.append(
        metric_row(
            section="retrieval",
            benchmark=cohort,
            metric="n_unique_reports",
            value=float(len(set(reports))),
            n=len(reports),
        )
    )
    return rows


def encode_reports(
    model: Any, tokenizer: Any, reports: list[str], batch_size: int = 64
) -> np.ndarray:
    """L2-normalised text features of the reports (already normalised text, as trained)."""
    import torch

    from revision_pipeline.models import encode_batch

    out = []
    max_len = model.config.text.max_len
    device = next(model.parameters()).device
    with torch.no_grad():
        for lo in range(0, len(reports), batch_size):
            enc = encode_batch(tokenizer, reports[lo : lo + batch_size], max_len)
            out.append(
                model.encode_text(enc["input_ids"].to(device), enc["attention_mask"].to(device))
                .float()
                .cpu()
                .numpy()
            )
    if not out:
        return np.zeros((0, model.config.embed_dim), np.float32)
    return np.concatenate(out)
