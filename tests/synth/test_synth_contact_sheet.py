"""The contact sheet picks photos covering every finding and defect, and renders a grid."""

from __future__ import annotations

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.contact_sheet import main, pick_photos, render_sheet
from revision_pipeline.synth.plan import plan_archive
from revision_pipeline.synth.spec import FINDINGS


def test_pick_covers_findings_and_defects() -> None:
    plan = plan_archive(DemoArchiveConfig(n_institutions=40, n_exams=600, seed=5))
    picked = pick_photos(plan.photos, 24)
    assert len(picked) == 24
    codes = {c for p in picked for c in p.spec.state.codes}
    assert set(FINDINGS) <= codes
    assert {"blur", "underexposed", "external_eye"} <= {p.spec.defect for p in picked}


def test_render_sheet_and_cli(tmp_path) -> None:
    plan = plan_archive(DemoArchiveConfig(n_institutions=5, n_exams=10, seed=5))
    sheet = render_sheet(plan.photos[:4], columns=2, side=256)
    assert sheet.size[0] == 2 * 320
    out = tmp_path / "sheet.png"
    main(["--out", str(out), "--n", "6"])
    assert out.stat().st_size > 10_000
