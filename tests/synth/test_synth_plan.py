"""Planning the synthetic archive: sizes, determinism, messy records, validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.plan import institution_sizes, plan_archive
from revision_pipeline.synth.truth import exams_truth, images_truth, phi_truth


def test_institution_sizes_are_skewed_and_sum_to_total() -> None:
    sizes = institution_sizes(1100, 162, 1.1)
    assert sum(sizes) == 1100
    assert min(sizes) >= 1
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] >= 20 * sizes[-1]  # a few large centres, a long tail of clinics
    assert sum(sizes[:10]) > 0.3 * 1100


def test_institution_sizes_rejects_too_few_exams() -> None:
    with pytest.raises(ValueError, match="n_exams"):
        institution_sizes(5, 10, 1.0)


@pytest.fixture(scope="module")
def plan():
    return plan_archive(DemoArchiveConfig(n_institutions=30, n_exams=400, seed=7))


def test_plan_is_deterministic(plan) -> None:
    again = plan_archive(DemoArchiveConfig(n_institutions=30, n_exams=400, seed=7))
    assert images_truth(again).equals(images_truth(plan))
    assert phi_truth(again).equals(phi_truth(plan))
    other = plan_archive(DemoArchiveConfig(n_institutions=30, n_exams=400, seed=8))
    assert not images_truth(other).equals(images_truth(plan))


def test_plan_has_defects_at_realistic_rates(plan) -> None:
    images = images_truth(plan)
    defective = images["defect"].ne("") | images["duplicate_of"].ne("")
    assert 0.06 <= defective.mean() <= 0.2
    assert {"blur", "underexposed", "overexposed", "small_pupil"} <= set(images["defect"])
    assert images["duplicate_kind"].isin(["duplicate_exact", "duplicate_reencoded"]).any()


def test_plan_has_messy_records(plan) -> None:
    exams = exams_truth(plan)
    statuses = set(exams["status"])
    assert "ok" in statuses
    assert statuses & {"report_without_images", "images_without_report", "empty_report"}
    no_images = exams[exams["status"] == "report_without_images"]
    assert (no_images["n_images"] == 0).all()


def test_same_patient_seen_at_two_institutions(plan) -> None:
    exams = exams_truth(plan)
    per_id = exams.groupby("id_number")["institution_id"].nunique()
    assert (per_id >= 2).sum() >= 1


def test_findings_cover_every_disease(plan) -> None:
    images = images_truth(plan)
    codes = {c for f in images["findings"] for c in f.split(";")}
    assert {"normal", "glaucoma", "amd", "pathologic_myopia", "hypertensive_retinopathy"} <= codes
    assert any(c.startswith("dr") for c in codes)


def test_every_planted_report_phi_is_in_its_report(plan) -> None:
    for inst in plan.institutions:
        for exam in inst.exams:
            for value in exam.phi:
                assert value in exam.report


def test_config_rejects_unknown_keys_naming_them() -> None:
    with pytest.raises(ValidationError, match="blurr"):
        DemoArchiveConfig.model_validate({"image_rates": {"blurr": 0.1}})
    with pytest.raises(ValidationError, match="no_such_dialect"):
        DemoArchiveConfig.model_validate({"dialects": {"H002": "no_such_dialect"}})
    with pytest.raises(ValidationError, match="unknown disease"):
        DemoArchiveConfig.model_validate({"prevalence": {"cataract": 0.1}})
