"""Project hooks: validate configuration at start-up, before any node runs."""

from __future__ import annotations

import atexit
import errno
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kedro.framework.hooks import hook_impl

from revision_pipeline.parameters import (  # noqa: F401  (re-exported: the old import path)
    PARAMETER_MODELS,
    PARAMETER_PATTERNS,
    ConfigError,
    format_validation_error,
    parameter_sources,
    validate_parameters,
)

logger = logging.getLogger(__name__)


class TrackingDatabaseHook:
    """Create or check the MLflow database before kedro-mlflow opens it.

    Runs first (``tryfirst``) among the ``after_context_created`` hooks, so MLflow never
    builds its schema in place, where an interrupted run would leave it half done
    (``revision_pipeline.tracking``).
    """

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: Any) -> None:
        """Create the SQLite tracking database atomically, or fail naming the repair."""
        from kedro.config import MissingConfigException

        from revision_pipeline.tracking import ensure_tracking_db, sqlite_path

        loader = context.config_loader
        if "mlflow" not in loader.config_patterns:
            loader.config_patterns.update({"mlflow": ["mlflow*", "mlflow*/**", "**/mlflow*"]})
        try:
            uri = str(loader["mlflow"].get("server", {}).get("mlflow_tracking_uri") or "")
        except MissingConfigException:
            return
        path = sqlite_path(uri, Path(context.project_path))
        if path is not None:
            ensure_tracking_db(path)


class RunLockHook:
    """One run at a time per project: a second ``kedro run`` stops at once, naming the first.

    The lock (``data/.run.lock``, :mod:`revision_pipeline.runlock`) is released when the
    pipeline ends or fails, and by the kernel when the process dies.
    """

    def __init__(self) -> None:
        self._lock: Any = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, run_params: dict[str, Any]) -> None:
        """Take the project's run lock before any node runs."""
        from revision_pipeline.runlock import RunLock

        project = Path(run_params.get("project_path") or ".")
        pipeline = run_params.get("pipeline_name") or "__default__"
        self._lock = RunLock(project / "data" / ".run.lock")
        self._lock.acquire(f"kedro run --pipeline={pipeline}")

    def _release(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    @hook_impl
    def after_pipeline_run(self) -> None:
        """Release the lock after a complete run."""
        self._release()

    @hook_impl
    def on_pipeline_error(self) -> None:
        """Release the lock after a failed run."""
        self._release()


class InterruptedRunHook:
    """An interrupted run (Ctrl-C, SIGTERM turned into an exception) is KILLED in MLflow.

    Kedro calls ``on_pipeline_error`` for exceptions only, so kedro-mlflow never ends the
    MLflow run of an interrupted ``kedro run``; MLflow's own exit handler then ends it as
    FINISHED, and an interrupted pretraining looks complete in the MLflow UI. An exit
    handler registered after MLflow's runs before it and ends such a run as KILLED. (A
    SIGKILL runs no handler: that run stays RUNNING.)
    """

    def __init__(self) -> None:
        self._running = False
        self._registered = False

    @hook_impl
    def before_pipeline_run(self) -> None:
        """Note that a pipeline runs; register the exit handler once."""
        self._running = True
        if not self._registered:
            atexit.register(self.end_interrupted_run)
            self._registered = True

    @hook_impl
    def after_pipeline_run(self) -> None:
        """The pipeline finished: kedro-mlflow ends its run."""
        self._running = False

    @hook_impl
    def on_pipeline_error(self) -> None:
        """The pipeline failed with an exception: kedro-mlflow marks its run FAILED."""
        self._running = False

    def end_interrupted_run(self) -> None:
        """At exit: end the active MLflow run as KILLED if the pipeline never ended."""
        if not self._running:
            return
        import mlflow

        if mlflow.active_run() is not None:
            logger.warning("run interrupted: its MLflow run is marked KILLED")
        while mlflow.active_run() is not None:  # kedro-mlflow's run can be stacked twice
            mlflow.end_run(status="KILLED")
        self._running = False


def _disk_full(error: BaseException | None) -> OSError | None:
    """The ``ENOSPC`` error in ``error``'s chain, if any."""
    seen = 0
    while error is not None and seen < 20:
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:
            return error
        error = error.__cause__ or error.__context__
        seen += 1
    return None


def _replaced(target: Path) -> Path | None:
    """The existing output a write to ``target`` (or to its temporary) replaces."""
    for path in (target, *target.parents[:2]):
        if path.name.startswith(".") and ".tmp" in path.name:  # .pairs.tmp-1234 -> pairs
            real = path.with_name(path.name[1:].split(".tmp", 1)[0])
            return real if real.exists() else None
    return target if target.is_file() else None


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def disk_full_message(error: BaseException, project_path: Path, where: str) -> str | None:
    """What to tell a user whose run stopped on a full disk (None for other errors).

    Names the file being written, the free space left where it lives, and how much the
    output it replaces takes, when there is one (what the rerun needs at least).
    """
    full = _disk_full(error)
    if full is None:
        return None
    target = Path(full.filename) if full.filename else project_path / "data"
    if not target.is_absolute():
        target = project_path / target
    probe = (
        target if target.exists() else next((p for p in target.parents if p.exists()), project_path)
    )
    free = shutil.disk_usage(probe).free
    replaced = _replaced(target)
    need = (
        f" The output it replaces, {replaced}, takes {_size(replaced) / 2**20:,.0f} MiB: free "
        f"at least that much."
        if replaced is not None
        else ""
    )
    return (
        f"Disk full ({where}) writing {target}: {free / 2**20:,.0f} MiB free on "
        f"that file system.{need} Free space (`make clean` removes generated data; old model "
        f"versions live in data/06_models/), then run the same command again: outputs are "
        f"swapped in only when complete, so nothing half-written is taken for a result."
    )


class DiskFullHook:
    """Turn a full disk into a message naming the path and the space left.

    A node that writes files itself fails in ``on_node_error``; a dataset's save fails
    in ``on_pipeline_error``: both say the same, once.
    """

    def __init__(self) -> None:
        self._told: int | None = None

    def _tell(self, error: BaseException, where: str) -> None:
        message = disk_full_message(error, Path.cwd(), where)
        if message and self._told != id(error):
            self._told = id(error)
            logger.error("%s", message)

    @hook_impl
    def on_node_error(self, error: Exception, node: Any) -> None:
        """A node's own write hit a full disk."""
        self._tell(error, f"node '{getattr(node, 'name', '?')}'")

    @hook_impl
    def on_pipeline_error(self, error: Exception) -> None:
        """Saving a node's output hit a full disk."""
        self._tell(error, "saving an output")


def load_institutions(config_loader: Any, env: str | None) -> dict[str, Any]:
    """``institutions.yml`` through Kedro's config loader, validated.

    ``conf/<env>/institutions.yml`` (``conf/local`` by default) overrides
    ``conf/base/institutions.yml`` institution by institution, like every other file.
    """
    from kedro.config import MissingConfigException

    from revision_pipeline.archive.config import parse_dialects

    where = f"conf/base/institutions.yml or conf/{env or 'local'}/institutions.yml"
    try:
        raw = config_loader["institutions"]
    except MissingConfigException:
        raw = {}
    return parse_dialects(dict(raw or {}), where)


def _parameter_sources(config_loader: Any) -> dict[str, list[str]] | None:
    """The parameter files behind each top-level key (None: the loader is not on disk)."""
    conf_source = getattr(config_loader, "conf_source", None)
    if not conf_source or not Path(conf_source).is_dir():
        return None
    base = getattr(config_loader, "base_env", "") or "base"
    run = getattr(config_loader, "env", None) or getattr(config_loader, "default_run_env", "")
    patterns = getattr(config_loader, "config_patterns", {}).get("parameters", PARAMETER_PATTERNS)
    return parameter_sources(conf_source, [base, run or base], patterns)


class ValidateConfigHook:
    """Fail fast on a typo in parameters or in ``institutions.yml``.

    The validated dialects replace the catalog's ``institutions`` entry, so a site's
    ``conf/local/institutions.yml`` is used by the curate pipeline.
    """

    def __init__(self, extra_checks: list[Callable[[Any], None]] | None = None) -> None:
        self._extra_checks = extra_checks or []
        self._dialects: dict[str, Any] | None = None

    @hook_impl
    def after_context_created(self, context: Any) -> None:
        """Validate as soon as the configuration is loaded."""
        validate_parameters(context.params, sources=_parameter_sources(context.config_loader))
        self._dialects = load_institutions(context.config_loader, getattr(context, "env", None))
        for check in self._extra_checks:
            check(context)

    @hook_impl
    def after_catalog_created(self, catalog: Any) -> None:
        """Serve the merged, validated dialects as the ``institutions`` dataset."""
        if self._dialects is not None and "institutions" in catalog:
            catalog["institutions"] = self._dialects
