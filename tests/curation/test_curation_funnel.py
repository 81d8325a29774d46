"""The curation funnel: per institution and stage, and its accounting invariant."""

from __future__ import annotations

import pandas as pd
import pytest

from revision_pipeline.curation.funnel import (
    STAGES,
    build_funnel,
    check_funnel,
    eye_disc_agreement,
    laterality_alerts,
    quality_alerts,
    reason_family,
)


def _found(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = [{"institution_id": i, "kind": k} for (i, k), n in counts.items() for _ in range(n)]
    return pd.DataFrame(rows)


def _rejects(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["institution_id", "kind", "stage", "reason"]).assign(
        source=lambda f: [f"x{i}" for i in range(len(f))]
    )


@pytest.fixture
def example() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    found = _found({("H1", "image"): 10, ("H1", "report"): 4, ("H2", "image"): 3})
    rejects = _rejects(
        [
            ("H1", "image", "ingest", "orphan_image"),
            ("H1", "image", "read", "unreadable: truncated"),
            ("H1", "image", "quality", "quality: blurred; underexposed"),
            ("H1", "image", "quality", "quality: blurred"),
            ("H1", "image", "dedup", "duplicate_of: H1/images/a.jpg"),
            ("H1", "report", "ingest", "empty_report"),
            ("H2", "image", "read", "unreadable: unsupported"),
        ]
    )
    kept = pd.DataFrame({"institution_id": ["H1"] * 5 + ["H2"] * 2})
    return found, rejects, kept


def test_reason_family_drops_the_detail() -> None:
    assert reason_family("unreadable: truncated") == "unreadable"
    assert reason_family("duplicate_of: H1/a.jpg") == "duplicate_of"
    assert reason_family("orphan_image") == "orphan_image"
    assert reason_family("missing_column: exam_id") == "missing_column"
    # one family per item: a quality rejection counts under its first reason
    assert reason_family("quality: blurred; underexposed") == "blurred"
    assert reason_family("quality: small_field") == "small_field"
    assert reason_family("no_fov; no_fundus") == "no_fundus"
    assert reason_family("no_fov; underexposed") == "underexposed"
    assert reason_family("no_fov") == "no_fov"


def test_funnel_counts_flow_through_the_stages(example) -> None:
    found, rejects, kept = example
    funnel = build_funnel(found, rejects, kept)
    h1 = funnel[(funnel["institution_id"] == "H1") & (funnel["kind"] == "image")]
    assert h1["stage"].tolist() == list(STAGES)
    assert h1["items_in"].tolist() == [10, 9, 8, 6, 5]
    assert h1["rejected"].tolist() == [1, 1, 2, 1, 0]
    assert (h1["kept"] == h1["items_in"] - h1["rejected"]).all()
    quality = h1[h1["stage"] == "quality"].iloc[0]
    assert quality["rejected:blurred"] == 2 and quality["rejected:unreadable"] == 0
    assert "rejected:underexposed" not in quality.index  # a second reason is not counted
    # the invariant: found = kept + all rejected, per institution
    for inst, rows in funnel[funnel["kind"] == "image"].groupby("institution_id"):
        n_kept = int((kept["institution_id"] == inst).sum())
        assert rows["items_in"].iloc[0] == n_kept + rows["rejected"].sum()
    assert h1["kept"].iloc[-1] == 5
    reports = funnel[(funnel["institution_id"] == "H1") & (funnel["kind"] == "report")]
    assert reports["items_in"].iloc[0] == 4 and reports["rejected"].sum() == 1
    assert (
        "H2" in set(funnel["institution_id"])
        and not (funnel["kind"] == "report").loc[funnel["institution_id"] == "H2"].any()
    )
    check_funnel(funnel, kept)  # does not raise


def test_check_funnel_raises_naming_the_institution_when_a_photo_is_lost(example) -> None:
    found, rejects, kept = example
    funnel = build_funnel(found, rejects, kept)
    one_lost = kept.iloc[:-1]  # H2 has 3 images: 2 kept + 1 rejected; drop a kept one
    with pytest.raises(AssertionError, match=r"institution H2: 3 images found but 1 kept \+ 1"):
        check_funnel(funnel, one_lost)
    unrecorded = rejects[rejects["stage"] != "dedup"]  # a reject without its row
    with pytest.raises(AssertionError, match="institution H1"):
        check_funnel(build_funnel(found, unrecorded, kept), kept)


def test_empty_inputs_give_an_empty_funnel_with_its_columns() -> None:
    empty = pd.DataFrame(columns=["institution_id", "kind"])
    funnel = build_funnel(empty, _rejects([]), pd.DataFrame(columns=["institution_id"]))
    assert funnel.empty
    assert list(funnel.columns) == [
        "institution_id",
        "kind",
        "stage",
        "items_in",
        "kept",
        "rejected",
    ]


def test_quality_alerts_name_the_site_reason_and_parameters() -> None:
    rows = [("PADDED", f"PADDED/images/{i}_OD.jpg", "quality", "quality: small_field")
            for i in range(30)]  # fmt: skip
    rows += [("PADDED", "PADDED/images/x_OS.jpg", "quality", "quality: small_field; blurred")]
    rows += [("MIXED", f"MIXED/images/{i}_OD.jpg", "quality", f"quality: {r}")
             for i, r in enumerate(["blurred"] * 9 + ["underexposed"] * 9)]  # fmt: skip
    rows += [("TINY", f"TINY/images/{i}_OD.jpg", "quality", "quality: blurred") for i in range(5)]
    rows += [("PADDED", "PADDED/images/y_OD.jpg", "read", "unreadable: truncated")]
    rejects = pd.DataFrame(rows, columns=["institution_id", "source", "stage", "reason"])
    alerts = quality_alerts(rejects, {"PADDED": 40, "MIXED": 30, "TINY": 5})
    assert len(alerts) == 1  # MIXED: no single reason above half; TINY: too few photos
    assert alerts[0].startswith("PADDED: 31 of 40 photos (78%) rejected as small_field")
    assert "curate.quality.min_fov_fraction" in alerts[0]
    assert "curate.quality.min_fov_diameter_px" in alerts[0]
    assert quality_alerts(rejects, {"PADDED": 40}, max_share=0.8) == []


def test_a_site_whose_discs_sit_on_the_wrong_side_is_named() -> None:
    def site(inst: str, n: int, wrong: int, centred: int = 0) -> list[dict]:
        rows = []
        for i in range(n):
            eye = "OD" if i % 2 else "OS"
            right_side = 0.6 if eye == "OD" else -0.6
            offset = 0.05 if i < centred else (-right_side if i < wrong else right_side)
            rows.append({"institution_id": inst, "eye": eye, "disc_offset": offset})
        return rows

    pairs = pd.DataFrame(
        site("SWAPPED", 40, wrong=38)
        + site("FINE", 40, wrong=3)
        + site("SMALL", 10, wrong=10)
        + site("CENTRED", 40, wrong=30, centred=25)  # 15 judged: too few to say
        + [{"institution_id": "FINE", "eye": "unknown", "disc_offset": -0.6},
           {"institution_id": "FINE", "eye": "OD", "disc_offset": float("nan")}]
    )  # fmt: skip
    agreement = eye_disc_agreement(pairs).set_index("institution_id")
    assert agreement.loc["SWAPPED"].tolist() == [40, 38]
    assert agreement.loc["FINE"].tolist() == [40, 3]  # unknown eye and NaN offset not judged
    assert agreement.loc["CENTRED"].tolist() == [15, 5]
    alerts = laterality_alerts(agreement.reset_index())
    assert len(alerts) == 1
    assert alerts[0].startswith("SWAPPED: in 38 of 40 photos (95%)")
    assert "institutions.yml" in alerts[0]
    assert laterality_alerts(agreement.reset_index(), max_share=0.96) == []
