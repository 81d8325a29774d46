"""`kedro run --pipeline=demo_archive` end to end, at a small size, in a throw-away project."""

from __future__ import annotations

import pandas as pd
import pytest

SMALL = ",".join(
    f"demo_archive.{key}={value}"
    for key, value in {
        "n_institutions": 8,
        "n_exams": 30,
        "min_image_side": 256,
        "max_image_side": 384,
        "benchmarks.min_per_class": 0,
        "benchmarks.sets.aptos2019.splits.train": 3,
        "benchmarks.sets.aptos2019.odd": 1,
        "benchmarks.sets.messidor2.splits.all": 3,
        "benchmarks.sets.idrid.splits.train": 2,
        "benchmarks.sets.idrid.splits.test": 2,
        "benchmarks.sets.odir5k.splits.all": 2,
        "benchmarks.sets.rfmid.splits.train": 2,
        "benchmarks.sets.rfmid.splits.val": 1,
        "benchmarks.sets.rfmid.splits.test": 1,
        "benchmarks.sets.imagefolder_demo.splits.train": 3,
        "benchmarks.sets.imagefolder_demo.splits.val": 1,
        "benchmarks.sets.imagefolder_demo.splits.test": 1,
    }.items()
)
STANDINS = ("aptos2019", "idrid", "imagefolder_demo", "messidor2", "odir5k", "rfmid")


@pytest.mark.slow
def test_demo_archive_pipeline_writes_archive_and_truth(kedro_project, run_kedro) -> None:
    run_kedro(kedro_project, "run", "--pipeline=demo_archive", f"--params={SMALL}")
    archive = kedro_project / "data/01_raw/archive"
    institutions = sorted(p.name for p in archive.iterdir() if p.is_dir())
    assert institutions == [f"H{i:03d}" for i in range(1, 9)]
    truth = pd.read_csv(
        kedro_project / "data/01_raw/demo_truth/images.csv", dtype=str, keep_default_na=False
    )
    assert len(truth) >= 60
    assert all((archive / s).exists() for s in truth["source"])
    phi = pd.read_csv(
        kedro_project / "data/01_raw/demo_truth/phi.csv", dtype=str, keep_default_na=False
    )
    assert {"report", "structured:patient_name"} <= set(phi["kind"])
    benchmarks = kedro_project / "data/01_raw/benchmarks"
    assert sorted(p.name for p in benchmarks.iterdir()) == list(STANDINS)
    for name in STANDINS:
        standin = pd.read_csv(benchmarks / name / "_truth.csv", dtype=str, keep_default_na=False)
        assert 3 <= len(standin) <= 10, name  # the small sizes given on the command line
        written = standin.loc[standin["written"] == "True", "path"]
        assert all((benchmarks / name / p).exists() for p in written)

    # a second run replaces the generated archive instead of mixing two
    run_kedro(
        kedro_project, "run", "--pipeline=demo_archive", f"--params={SMALL},demo_archive.seed=3"
    )
    truth2 = pd.read_csv(
        kedro_project / "data/01_raw/demo_truth/images.csv", dtype=str, keep_default_na=False
    )
    files = {
        p.relative_to(archive).as_posix()
        for p in archive.rglob("*")
        if p.is_file() and p.parent.name != "archive"
    }
    image_files = {f for f in files if not f.endswith((".csv", ".jsonl", ".xlsx"))}
    assert image_files == set(truth2["source"])


def test_bad_parameter_stops_at_start_naming_key_and_file(kedro_project, run_kedro) -> None:
    proc = run_kedro(
        kedro_project,
        "run",
        "--pipeline=demo_archive",
        "--params=demo_archive.image_rates.blurr=0.5",
        check=False,
    )
    assert proc.returncode != 0
    output = proc.stdout + proc.stderr
    assert "demo_archive.image_rates.blurr" in output
    assert "parameters_demo_archive.yml" in output
    assert not (kedro_project / "data/01_raw/archive").exists()


def test_refuses_to_overwrite_a_real_archive(kedro_project, run_kedro) -> None:
    real = kedro_project / "data/01_raw/archive/H001"
    real.mkdir(parents=True)
    (real / "reports.csv").write_text("exam_id,report\n1,x\n", encoding="utf-8")
    proc = run_kedro(
        kedro_project, "run", "--pipeline=demo_archive", f"--params={SMALL}", check=False
    )
    assert proc.returncode != 0
    assert "Refusing to overwrite" in proc.stdout + proc.stderr
    assert (real / "reports.csv").read_text(encoding="utf-8").startswith("exam_id")
