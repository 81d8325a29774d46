"""The MLflow tracking database survives an interrupted creation."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from revision_pipeline.hooks import TrackingDatabaseHook
from revision_pipeline.tracking import (
    TrackingDatabaseError,
    check_tracking_db,
    ensure_tracking_db,
    repair_tracking_db,
    schema_state,
    sqlite_path,
)


def _half_migrated(path: Path) -> None:
    """What a kill between MLflow's table creation and its migrations leaves behind."""
    from mlflow.store.db.utils import create_sqlalchemy_engine
    from mlflow.store.tracking.dbmodels.initial_models import Base as InitialBase

    engine = create_sqlalchemy_engine(f"sqlite:///{path}")
    InitialBase.metadata.create_all(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def complete_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("db") / "mlflow.db"
    assert ensure_tracking_db(path) == "created"
    return path


def test_created_once_then_checked(complete_db: Path) -> None:
    assert ensure_tracking_db(complete_db) == "existing"
    revision, runs = schema_state(complete_db)
    assert revision is not None and runs == 0
    check_tracking_db(complete_db)
    assert not list(complete_db.parent.glob(".*.creating"))


def test_mlflow_uses_the_created_database(complete_db: Path, tmp_path: Path) -> None:
    import mlflow

    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{complete_db}")
    experiment = client.create_experiment("e", artifact_location=str(tmp_path))
    client.create_run(experiment)
    assert schema_state(complete_db)[1] == 1
    assert ensure_tracking_db(complete_db) == "existing"


def test_half_migrated_database_is_named_with_its_repair(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    _half_migrated(db)
    with pytest.raises(TrackingDatabaseError, match=r"incomplete MLflow schema.*tracking repair"):
        ensure_tracking_db(db)
    assert repair_tracking_db(db) == "recreated"
    check_tracking_db(db)
    backups = list(tmp_path.glob("mlflow.db.broken-*"))
    assert len(backups) == 1 and backups[0].stat().st_size > 0


def test_garbage_file_is_not_taken_for_a_database(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(b"not a database at all" * 100)
    with pytest.raises(TrackingDatabaseError, match="not a readable SQLite database"):
        check_tracking_db(db)
    assert repair_tracking_db(db) == "recreated"
    check_tracking_db(db)


def test_a_hot_journal_left_by_a_killed_writer_is_recovered(
    complete_db: Path, tmp_path: Path
) -> None:
    """A kill in the middle of a write transaction leaves a -journal beside the file."""
    db = tmp_path / "mlflow.db"
    db.write_bytes(complete_db.read_bytes())
    code = (
        "import os, sqlite3, sys; c = sqlite3.connect(sys.argv[1]);"
        "c.execute('PRAGMA journal_mode=DELETE'); c.execute('BEGIN IMMEDIATE');"
        "c.execute(\"UPDATE experiments SET name = name || 'x'\");"
        "c.execute('PRAGMA cache_size=1');"
        "q = \"INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, 'r')\";"
        "[c.execute(q, (str(i), 'v' * 500)) for i in range(3000)];"
        "os.kill(os.getpid(), 9)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=False)
    assert (tmp_path / "mlflow.db-journal").exists(), "the writer did not leave a hot journal"
    assert ensure_tracking_db(db) == "existing"
    check_tracking_db(db)


def test_empty_file_is_replaced(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.touch()
    assert ensure_tracking_db(db) == "created"


def test_repair_never_deletes_recorded_runs(complete_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    db.write_bytes(complete_db.read_bytes())
    runs_before = schema_state(db)[1]
    conn = sqlite3.connect(db)
    conn.execute("DELETE FROM alembic_version")  # as if an upgrade had been interrupted
    conn.execute(
        "INSERT INTO runs (run_uuid, experiment_id, lifecycle_stage) VALUES ('r1', 0, 'active')"
    )
    conn.commit()
    conn.close()
    with pytest.raises(TrackingDatabaseError, match=f"{runs_before + 1} runs recorded"):
        check_tracking_db(db)
    # The upgrade cannot succeed on this hand-made state; what matters is the history.
    with pytest.raises(Exception):  # noqa: B017 - any failure, as long as nothing is lost
        repair_tracking_db(db)
    assert schema_state(db)[1] == runs_before + 1
    assert list(tmp_path.glob("mlflow.db.broken-*"))


def test_sqlite_path_is_project_relative(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:///mlflow.db", tmp_path) == tmp_path / "mlflow.db"
    assert sqlite_path("sqlite:////abs/m.db", tmp_path) == Path("/abs/m.db")
    assert sqlite_path("http://127.0.0.1:5000", tmp_path) is None


class _Loader(dict):
    def __init__(self, mlflow_conf: dict) -> None:
        super().__init__(mlflow=mlflow_conf)
        self.config_patterns: dict[str, list[str]] = {}


def test_hook_creates_the_database_before_mlflow(tmp_path: Path) -> None:
    loader = _Loader({"server": {"mlflow_tracking_uri": "sqlite:///mlflow.db"}})
    TrackingDatabaseHook().after_context_created(
        SimpleNamespace(config_loader=loader, project_path=tmp_path)
    )
    check_tracking_db(tmp_path / "mlflow.db")
    assert "mlflow" in loader.config_patterns


def test_hook_stops_on_a_half_migrated_database(tmp_path: Path) -> None:
    _half_migrated(tmp_path / "mlflow.db")
    loader = _Loader({"server": {"mlflow_tracking_uri": "sqlite:///mlflow.db"}})
    with pytest.raises(TrackingDatabaseError, match="tracking repair"):
        TrackingDatabaseHook().after_context_created(
            SimpleNamespace(config_loader=loader, project_path=tmp_path)
        )


def _init(db: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "revision_pipeline.tracking", "init", "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait_for(predicate, timeout: float = 600.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.3, 1.0, "after"])
def test_kill_during_creation_never_leaves_a_broken_database(
    tmp_path: Path, delay: float | str
) -> None:
    """SIGKILL while the schema is being built (or just after); the next start works."""
    db = tmp_path / "mlflow.db"
    proc = _init(db)
    if delay == "after":
        assert _wait_for(db.exists)
    else:
        assert _wait_for(lambda: bool(list(tmp_path.glob(".*.creating"))))
        time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    if db.exists():  # the kill came after the atomic link: it must be complete
        check_tracking_db(db)
    assert _init(db).wait(timeout=600) == 0
    check_tracking_db(db)
    assert not list(tmp_path.glob(".*.creating")), "stale temporary left behind"
