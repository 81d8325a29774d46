"""Ground truth of a planned synthetic archive, as tables.

Written outside the archive (``data/01_raw/demo_truth/``): later stages measure
themselves against it. It holds PHI (the planted list), so it stays in ``01_raw``.
"""

from __future__ import annotations

import pandas as pd

from revision_pipeline.synth.plan import ArchivePlan, ExamPlan, Output, PhotoPlan

_REJECTED_STATUSES = {"images_without_report": "orphan_image", "empty_report": "empty_report"}


def _expected(exam: ExamPlan, photo: PhotoPlan, output: Output) -> tuple[str, str]:
    if exam.status in _REJECTED_STATUSES:
        return "reject", _REJECTED_STATUSES[exam.status]
    if output.file_defect:
        return "reject", f"unreadable:{output.file_defect}"
    if output.kind != "original":
        return "reject", "duplicate"
    if photo.spec.defect:
        return "reject", f"quality:{photo.spec.defect}"
    return "keep", ""


def images_truth(plan: ArchivePlan) -> pd.DataFrame:
    """One row per image file written: findings, eye, defect, duplicate, expected fate."""
    rows = []
    for inst in plan.institutions:
        exams = {e.exam_id: e for e in inst.exams}
        for photo in inst.photos:
            exam = exams[photo.exam_id]
            original = photo.outputs[0].source
            for output in photo.outputs:
                expected, reason = _expected(exam, photo, output)
                state = photo.spec.state
                rows.append({
                    "institution_id": inst.institution_id,
                    "source": output.source,
                    "exam_id": photo.exam_id,
                    "eye": photo.eye,
                    "seq": photo.seq,
                    "findings": ";".join(state.codes),
                    "dr_grade": state.dr_grade,
                    "cup_disc": round(state.cup_disc, 3),
                    "defect": photo.spec.defect or output.file_defect or "",
                    "duplicate_of": original if output.kind != "original" else "",
                    "duplicate_kind": output.kind if output.kind != "original" else "",
                    "overlay": bool(photo.spec.overlay),
                    "expected": expected,
                    "expected_reason": reason,
                })  # fmt: skip
    return pd.DataFrame(rows)


def exams_truth(plan: ArchivePlan) -> pd.DataFrame:
    """One row per planned exam: status, patient key, findings per eye."""
    rows = []
    for inst in plan.institutions:
        n_photos: dict[str, int] = {}
        for photo in inst.photos:
            n_photos[photo.exam_id] = n_photos.get(photo.exam_id, 0) + len(photo.outputs)
        for exam in inst.exams:
            rows.append({
                "institution_id": inst.institution_id,
                "dialect": inst.dialect.name,
                "exam_id": exam.exam_id,
                "patient_id": exam.patient_id,
                "id_number": exam.patient.id_number,
                "status": exam.status,
                "duplicate_row": exam.duplicate_row,
                "od_findings": ";".join(exam.eyes[0].codes),
                "os_findings": ";".join(exam.eyes[1].codes),
                "n_images": n_photos.get(exam.exam_id, 0),
            })  # fmt: skip
    return pd.DataFrame(rows)


def phi_truth(plan: ArchivePlan) -> pd.DataFrame:
    """Every planted PHI string: in report text, structured columns, overlays, DICOM headers."""
    rows: list[dict[str, str]] = []

    def add(inst_id: str, exam_id: str, kind: str, value: str) -> None:
        if value and value.strip():
            rows.append(
                {"institution_id": inst_id, "exam_id": exam_id, "kind": kind, "value": value}
            )

    for inst in plan.institutions:
        for exam in inst.exams:
            iid, eid = inst.institution_id, exam.exam_id
            for value in exam.phi:
                add(iid, eid, "report", value)
            add(iid, eid, "structured:patient_name", exam.patient.name)
            add(iid, eid, "structured:patient_id", exam.patient_id)
            add(iid, eid, "structured:id_number", exam.patient.id_number)
            add(iid, eid, "structured:exam_id", exam.exam_id)
        for photo in inst.photos:
            for value in photo.spec.overlay:
                add(inst.institution_id, photo.exam_id, "overlay", value)
            for tag, value in (photo.outputs[0].dicom or {}).items():
                if tag not in ("ImageLaterality", "PatientSex", "InstitutionName"):
                    add(inst.institution_id, photo.exam_id, f"dicom:{tag}", value)
    return pd.DataFrame(
        rows, columns=["institution_id", "exam_id", "kind", "value"]
    ).drop_duplicates()
