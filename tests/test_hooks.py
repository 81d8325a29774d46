"""Project hooks: the full-disk message."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from types import SimpleNamespace

from kedro.io import DatasetError

from revision_pipeline.hooks import DiskFullHook, disk_full_message


def _enospc(path: Path) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def test_message_names_the_path_the_free_space_and_what_it_replaces(tmp_path: Path) -> None:
    pairs = tmp_path / "data" / "05_model_input" / "pairs"
    pairs.mkdir(parents=True)
    (pairs / "part-00000.parquet").write_bytes(b"x" * 3 * 2**20)
    tmp = pairs.with_name(".pairs.tmp-1a2b") / "part-00001.parquet"
    try:
        try:
            raise _enospc(tmp)
        except OSError as inner:
            raise DatasetError("Failed while saving data to dataset 'pairs'") from inner
    except DatasetError as wrapped:
        message = disk_full_message(wrapped, tmp_path, "saving an output")
    assert message is not None
    assert str(tmp) in message and "MiB free" in message
    assert f"{pairs}, takes 3 MiB" in message
    assert "run the same command again" in message


def test_other_errors_get_no_message(tmp_path: Path) -> None:
    assert disk_full_message(OSError(errno.EACCES, "denied", "x"), tmp_path, "n") is None
    assert disk_full_message(ValueError("bad"), tmp_path, "n") is None


def test_hook_says_it_once(tmp_path: Path, caplog) -> None:
    hook = DiskFullHook()
    error = _enospc(tmp_path / "model.safetensors")
    with caplog.at_level(logging.ERROR):
        hook.on_node_error(error, SimpleNamespace(name="pretrain_model"))
        hook.on_pipeline_error(error)
    assert caplog.text.count("Disk full") == 1
    assert "node 'pretrain_model'" in caplog.text


def _conf(tmp_path: Path, base: str, local: str | None) -> Path:
    conf = tmp_path / "conf"
    (conf / "base").mkdir(parents=True)
    (conf / "local").mkdir()
    (conf / "base" / "institutions.yml").write_text(base, encoding="utf-8")
    (conf / "base" / "parameters.yml").write_text("{}\n")
    if local is not None:
        (conf / "local" / "institutions.yml").write_text(local, encoding="utf-8")
    return conf


def _loader(conf: Path):
    from kedro.config import OmegaConfigLoader

    from revision_pipeline.settings import CONFIG_LOADER_ARGS

    return OmegaConfigLoader(conf_source=str(conf), **CONFIG_LOADER_ARGS)


BASE = "H001:\n  reports: {file: base.csv}\nH002:\n  reports: {file: b2.csv}\n"


def test_a_sites_local_dialect_overrides_base_in_the_catalog(tmp_path: Path) -> None:
    from kedro.io import DataCatalog

    from revision_pipeline.datasets.config_files import DialectsDataset
    from revision_pipeline.hooks import ValidateConfigHook

    local = "H001:\n  reports: {file: site.csv, format: jsonl}\nH003:\n  images: {dir: photos}\n"
    conf = _conf(tmp_path, BASE, local)
    hook = ValidateConfigHook()
    hook.after_context_created(SimpleNamespace(params={}, config_loader=_loader(conf), env="local"))
    catalog = DataCatalog({"institutions": DialectsDataset(str(conf / "base/institutions.yml"))})
    hook.after_catalog_created(catalog)
    dialects = catalog.load("institutions")
    assert set(dialects) == {"H001", "H002", "H003"}
    assert dialects["H001"].reports.file == "site.csv"  # conf/local wins
    assert dialects["H001"].reports.format == "jsonl"
    assert dialects["H002"].reports.file == "b2.csv"  # base kept where local is silent
    assert dialects["H003"].images.dir == "photos"


def test_a_wrong_key_in_local_institutions_fails_at_start_up(tmp_path: Path) -> None:
    import pytest

    from revision_pipeline.archive.config import DialectConfigError
    from revision_pipeline.hooks import ValidateConfigHook

    conf = _conf(tmp_path, BASE, "H009:\n  reports: {fiel: x.csv}\n")
    with pytest.raises(DialectConfigError, match=r"conf/local/institutions.yml.*H009.*fiel"):
        ValidateConfigHook().after_context_created(
            SimpleNamespace(params={}, config_loader=_loader(conf), env="local")
        )


def test_an_interrupted_runs_mlflow_run_is_marked_killed(tmp_path: Path, monkeypatch) -> None:
    import mlflow

    from revision_pipeline.hooks import InterruptedRunHook
    from revision_pipeline.tracking import ensure_tracking_db

    ensure_tracking_db(tmp_path / "mlflow.db")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    monkeypatch.setattr("atexit.register", lambda fn: None)  # called by hand below
    hook = InterruptedRunHook()
    try:
        hook.before_pipeline_run()
        run = mlflow.start_run()  # what kedro-mlflow does next
        inner = mlflow.start_run(nested=True)  # a second entry on MLflow's run stack
        hook.end_interrupted_run()  # Ctrl-C: the interpreter exits, no pipeline hook ran
        assert mlflow.active_run() is None
        for started in (run, inner):
            assert mlflow.get_run(started.info.run_id).info.status == "KILLED"
        hook.before_pipeline_run()
        done = mlflow.start_run()
        hook.after_pipeline_run()
        hook.end_interrupted_run()  # a complete run is left to kedro-mlflow
        assert mlflow.active_run().info.run_id == done.info.run_id
    finally:
        while mlflow.active_run() is not None:
            mlflow.end_run()
        mlflow.set_tracking_uri(None)
