"""Every parameter section is validated at start-up, naming the key and the file."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from kedro.config import OmegaConfigLoader

from revision_pipeline.hooks import ValidateConfigHook
from revision_pipeline.parameters import (
    PARAMETER_MODELS,
    ConfigError,
    parameter_sources,
    validate_parameters,
)
from revision_pipeline.settings import CONFIG_LOADER_ARGS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _conf(tmp_path: Path, local: str | None = None, name: str = "parameters.yml") -> Path:
    """The shipped conf/base parameter files, and one conf/local file of ``local``."""
    conf = tmp_path / "conf"
    (conf / "local").mkdir(parents=True)
    (conf / "base").mkdir()
    for path in (PROJECT_ROOT / "conf/base").glob("parameters*.yml"):
        shutil.copy(path, conf / "base")
    if local is not None:
        (conf / "local" / name).write_text(local, encoding="utf-8")
    return conf


def _start(conf: Path) -> None:
    """What `kedro run` does before the first node: the hook over the loaded parameters."""
    loader = OmegaConfigLoader(conf_source=str(conf), **CONFIG_LOADER_ARGS)
    context = SimpleNamespace(params=loader["parameters"], config_loader=loader, env="local")
    ValidateConfigHook().after_context_created(context)


def test_the_shipped_parameters_are_valid_and_every_section_has_a_model(tmp_path: Path) -> None:
    conf = _conf(tmp_path)
    _start(conf)
    sources = parameter_sources(conf, ["base", "local"])
    assert set(sources) == set(PARAMETER_MODELS)
    assert sources["curate"] == ["conf/base/parameters_curate.yml"]


@pytest.mark.parametrize(
    ("local", "key"),
    [
        ("curate:\n  quality:\n    min_focuss: 0.3\n", "curate.quality"),  # a threshold's name
        ("curate:\n  quality:\n    min_focus: -1\n", "curate.quality"),  # out of range
        ("curate:\n  splits:\n    vall: 0.1\n", "curate.splits.vall"),
        ("curate:\n  audit:\n    fail_on_hits: true\n", "curate.audit.fail_on_hits"),
        ("pretrain:\n  train:\n    batchsize: 8\n", "pretrain.train.batchsize"),
        ("pretrain:\n  tokenizer:\n    vocab_size: 3\n", "pretrain.tokenizer.vocab_size"),
        ("demo_archive:\n  n_exam: 10\n", "demo_archive.n_exam"),
        ("demo_archive:\n  benchmarks:\n    sed: 1\n", "demo_archive.benchmarks.sed"),
        ("evaluate:\n  bootstrp: 10\n", "evaluate.bootstrp"),
    ],
)
def test_a_wrong_key_in_any_section_names_the_key_and_the_files(
    tmp_path: Path, local: str, key: str
) -> None:
    section = key.split(".")[0]
    files = f"conf/base/parameters_{section}.yml or conf/local/parameters.yml"
    with pytest.raises(ConfigError, match=re.escape(f"{files}:\n  {key}")):
        _start(_conf(tmp_path, local))


def test_a_bad_quality_threshold_says_which_and_why(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown quality threshold 'min_focuss'"):
        _start(_conf(tmp_path / "a", "curate:\n  quality:\n    min_focuss: 0.3\n"))
    with pytest.raises(ConfigError, match=r"'min_focus' must lie between 0 and"):
        _start(_conf(tmp_path / "b", "curate:\n  quality:\n    min_focus: -1\n"))


def test_an_unknown_section_names_the_file_that_holds_it(tmp_path: Path) -> None:
    conf = _conf(tmp_path, "curte:\n  image_side: 256\n", name="parameters_site.yml")
    with pytest.raises(ConfigError, match=r"'curte' in conf/local/parameters_site\.yml"):
        _start(conf)


def test_a_section_only_on_the_command_line_is_named_as_such() -> None:
    with pytest.raises(ConfigError, match=r"'pretrian' in the run's --params"):
        validate_parameters({"pretrian": {}}, sources={})
    with pytest.raises(ConfigError, match=r"conf/\*/parameters_curate\.yml:\n  curate\.x"):
        validate_parameters({"curate": {"x": 1}})  # no sources: the conventional file


def test_models_live_beside_their_libraries_not_in_pipelines() -> None:
    assert not [m for m in PARAMETER_MODELS.values() if ".pipelines." in m]
