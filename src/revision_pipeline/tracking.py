"""The MLflow tracking database: created so that an interruption cannot leave it half done.

MLflow creates its SQLite schema on first use, in place, in dozens of migration steps. A
run killed in the middle (Ctrl-C, an out-of-memory kill, a reboot) leaves a database that
every later run refuses (``table ... already exists``). Here the schema is built on a
temporary file and linked into place in one atomic step, before MLflow ever opens the
database; a database found half-migrated is named with the command that repairs it.

Command line (also run by ``make install``)::

    python -m revision_pipeline.tracking init   [--db mlflow.db]
    python -m revision_pipeline.tracking check  [--db mlflow.db]
    python -m revision_pipeline.tracking repair [--db mlflow.db]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import sqlite3
import sys
import time
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

#: The tracking database of the project (``conf/base/mlflow.yml``), project-relative.
DEFAULT_DB = Path("mlflow.db")
REPAIR_COMMAND = ".venv/bin/python -m revision_pipeline.tracking repair"
_TMP_SUFFIX = ".creating"


class TrackingDatabaseError(RuntimeError):
    """The tracking database is not a complete MLflow database; the message says what to run."""


def sqlite_path(tracking_uri: str, project_path: Path) -> Path | None:
    """The file behind a ``sqlite:///`` tracking URI (relative to the project), else None."""
    prefix = "sqlite:///"
    if not tracking_uri.startswith(prefix):
        return None
    path = Path(tracking_uri[len(prefix) :])
    return path if path.is_absolute() else project_path / path


def _head_revision() -> str:
    from mlflow.store.db.utils import _get_latest_schema_revision

    return _get_latest_schema_revision()


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows}


def schema_state(path: Path) -> tuple[str | None, int]:
    """The schema revision recorded in ``path`` (None when absent) and its number of runs."""
    # read-write on purpose: a run killed mid-write leaves a hot journal that SQLite
    # rolls back on open, which a read-only connection cannot do
    conn = sqlite3.connect(path)
    try:
        tables = _tables(conn)
        revision = None
        if "alembic_version" in tables:
            row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            revision = row[0] if row else None
        runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] if "runs" in tables else 0
        return revision, int(runs)
    finally:
        conn.close()


def check_tracking_db(path: Path) -> None:
    """Raise :class:`TrackingDatabaseError` unless ``path`` holds MLflow's current schema."""
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist: create it with {REPAIR_COMMAND[:-6]}init")
    try:
        revision, runs = schema_state(path)
    except sqlite3.DatabaseError as error:
        raise TrackingDatabaseError(
            f"{path} is not a readable SQLite database ({error}). Repair it with: "
            f"{REPAIR_COMMAND} (the damaged file is kept as a backup)."
        ) from None
    head = _head_revision()
    if revision != head:
        raise TrackingDatabaseError(
            f"{path} holds an incomplete MLflow schema (revision {revision}, expected {head}; "
            f"{runs} runs recorded): an earlier run was probably interrupted while creating or "
            f"upgrading it. Repair it with: {REPAIR_COMMAND} (no run's history is lost: the "
            f"file is backed up first, and a database with runs is upgraded, not recreated)."
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temporaries(path: Path) -> None:
    """Delete temporaries of creations whose process is gone (killed mid-way)."""
    for tmp in path.parent.glob(f".{path.name}.*{_TMP_SUFFIX}"):
        pid_text = tmp.name[len(path.name) + 2 : -len(_TMP_SUFFIX)]
        if pid_text.isdigit() and not _pid_alive(int(pid_text)):
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


def _create_schema(path: Path) -> None:
    from mlflow.store.db.utils import _initialize_tables, create_sqlalchemy_engine

    engine = create_sqlalchemy_engine(f"sqlite:///{path}")
    try:
        _initialize_tables(engine)
    finally:
        engine.dispose()


def ensure_tracking_db(path: Path = DEFAULT_DB) -> str:
    """Create the tracking database atomically when it is missing, else check it.

    The schema is built on ``.<name>.<pid>.creating`` beside ``path`` and hard-linked into
    place, so ``path`` either does not exist or holds the whole schema; two processes that
    race both end with the one database the first linked.

    Returns:
        ``"created"`` or ``"existing"``.

    Raises:
        TrackingDatabaseError: ``path`` exists but is half-migrated or unreadable.
    """
    path = Path(path)
    _remove_stale_temporaries(path)
    if path.exists() and path.stat().st_size == 0:
        path.unlink()  # an empty file (created, never written) holds no history
    if path.exists():
        check_tracking_db(path)
        return "existing"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}{_TMP_SUFFIX}")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    try:
        _create_schema(tmp)
        try:
            os.link(tmp, path)
        except FileExistsError:
            check_tracking_db(path)
            return "existing"
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    logger.info("Created the MLflow tracking database %s", path)
    return "created"


def repair_tracking_db(path: Path = DEFAULT_DB) -> str:
    """Bring a half-migrated or unreadable database back, keeping a backup and every run.

    A database without runs (an interrupted first creation) is replaced by a fresh one; one
    with runs is upgraded to the current schema in place.

    Returns:
        What was done: ``"ok"``, ``"recreated"`` or ``"upgraded"``.
    """
    path = Path(path)
    if not path.exists():
        ensure_tracking_db(path)
        return "recreated"
    try:
        check_tracking_db(path)
        return "ok"
    except TrackingDatabaseError:
        pass
    backup = path.with_name(f"{path.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
    shutil.copy2(path, backup)
    logger.warning("Backed up %s to %s", path, backup)
    try:
        _, runs = schema_state(path)
    except sqlite3.DatabaseError:
        runs = 0
    if runs == 0:
        path.unlink()
        ensure_tracking_db(path)
        return "recreated"
    from mlflow.store.db.utils import _upgrade_db, create_sqlalchemy_engine

    engine = create_sqlalchemy_engine(f"sqlite:///{path}")
    try:
        _upgrade_db(engine)
    finally:
        engine.dispose()
    check_tracking_db(path)
    return "upgraded"


def main(argv: Sequence[str] | None = None) -> int:
    """``init`` / ``check`` / ``repair`` the project's tracking database."""
    parser = argparse.ArgumentParser(prog="python -m revision_pipeline.tracking")
    parser.add_argument("action", choices=["init", "check", "repair"])
    parser.add_argument("--db", type=Path, default=DEFAULT_DB, help="default: mlflow.db")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.action == "init":
            outcome = ensure_tracking_db(args.db)
        elif args.action == "check":
            check_tracking_db(args.db)
            outcome = "ok"
        else:
            outcome = repair_tracking_db(args.db)
    except (TrackingDatabaseError, FileNotFoundError) as error:
        logger.error("%s", error)
        return 1
    logger.info("%s: %s", args.db, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main())
