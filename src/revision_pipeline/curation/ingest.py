"""Read every institution of an archive, one at a time, into curate's tables."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from revision_pipeline.archive import Dialect, iter_institutions
from revision_pipeline.curation.accounting import item_kind


def ingest_archive(
    archive: Path, dialects: dict[str, Dialect]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read every institution, one at a time.

    Returns:
        matched images (one row per image with a report, PHI included), the report
        rows (one per exam), ingest rejects (with ``kind``), and the inventory of items
        found (``institution_id, kind, n``).

    Raises:
        ValueError: the archive holds no institution folder.
    """
    matched, reports, rejects, inventory = [], [], [], []
    for inst in iter_institutions(archive, dialects):
        report_file = f"{inst.institution_id}/{inst.dialect.reports.file}"
        kinds = inst.rejects["source"].map(lambda s, f=report_file: item_kind(s, f))
        matched.append(inst.matched)
        reports.append(inst.reports)
        rejects.append(inst.rejects.assign(kind=kinds))
        inventory.append(pd.DataFrame({"institution_id": inst.institution_id, "kind": "image",
                                       "n": [inst.n_images]}))  # fmt: skip
        inventory.append(pd.DataFrame({"institution_id": inst.institution_id, "kind": "report",
                                       "n": [inst.n_report_rows]}))  # fmt: skip
    if not inventory:
        raise ValueError(f"{archive}: no institution folders found (docs/contracts.md §3)")
    return (
        pd.concat(matched, ignore_index=True).astype({"exam_id": str}),
        pd.concat(reports, ignore_index=True),
        pd.concat(rejects, ignore_index=True),
        pd.concat(inventory, ignore_index=True),
    )
