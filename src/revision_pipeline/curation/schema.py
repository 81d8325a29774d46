"""The output contract of curation (docs/contracts.md §5), as constants other code can share."""

from __future__ import annotations

import pyarrow as pa

#: Columns of the pairs dataset, in order.
PAIR_COLUMNS: tuple[str, ...] = (
    "pair_id", "institution_id", "patient_pid", "exam_pid", "eye", "split",
    "image", "quality_score", "report", "labels",
)  # fmt: skip

#: Arrow schema of the pairs dataset: ``string``, not pandas' default ``large_string``.
PAIR_SCHEMA = pa.schema(
    [
        *((name, pa.string()) for name in PAIR_COLUMNS[:6]),
        ("image", pa.binary()),
        ("quality_score", pa.float64()),
        ("report", pa.string()),
        ("labels", pa.list_(pa.string())),
    ]
)

#: Columns of ``data/02_intermediate/rejects.parquet``.
REJECT_COLUMNS: tuple[str, ...] = ("institution_id", "source", "stage", "reason")
