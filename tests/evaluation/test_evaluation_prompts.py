"""The class-prompt dictionary: every class of every registered benchmark has prompts."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from revision_pipeline.evaluation.prompts import (
    PromptDictionary,
    PromptError,
    class_prototypes,
    finding_prompts,
    load_prompt_dictionary,
)
from revision_pipeline.text import FINDING_CODES


def test_every_class_of_every_registered_benchmark_has_prompts() -> None:
    benchmarks = pytest.importorskip("revision_pipeline.benchmarks")
    dictionary = load_prompt_dictionary()
    missing = []
    for name in benchmarks.list_benchmarks():
        for cls in benchmarks.benchmark_info(name).classes:
            try:
                assert dictionary.prompts(name, cls)
            except PromptError:
                missing.append(f"{name}/{cls}")
    assert not missing, f"classes without prompts: {missing}"


@pytest.mark.parametrize(
    "folder", ["normal", "glaucoma", "amd", "myopia", "rvo", "1_normal", "2_cataract", "Glaucoma"]
)
def test_folder_class_names_resolve_through_aliases(folder: str) -> None:
    assert load_prompt_dictionary().prompts("imagefolder", folder)


def test_every_finding_code_has_prompts_naming_signs() -> None:
    dictionary = load_prompt_dictionary()
    for code in FINDING_CODES:
        prompts = finding_prompts(code, dictionary)
        assert len(prompts) >= 3 * len(dictionary.templates)
        assert code in dictionary.concepts[code].codes
    # signs, not only the diagnosis: the mild-DR prompts mention microaneurysms
    assert any("微血管瘤" in p for p in finding_prompts("dr1", dictionary))
    assert any(
        "动静脉交叉压迫" in p for p in finding_prompts("hypertensive_retinopathy", dictionary)
    )


def test_concept_codes_are_canonical() -> None:
    dictionary = load_prompt_dictionary()
    for concept in dictionary.concepts.values():
        assert set(concept.codes) <= set(FINDING_CODES), concept.name


def test_unknown_class_is_a_named_error() -> None:
    with pytest.raises(PromptError, match="'zebra' of benchmark 'imagefolder'"):
        load_prompt_dictionary().prompts("imagefolder", "zebra")


def test_bad_dictionary_is_rejected() -> None:
    base = {
        "templates": ["{}"],
        "concepts": {"a": {"descriptions": ["x"]}},
        "benchmarks": {"b": {"1": "nope"}},
    }
    with pytest.raises(ValueError, match="unknown concept"):
        PromptDictionary(base)
    with pytest.raises(ValueError, match="template"):
        PromptDictionary({**base, "templates": ["no slot"], "benchmarks": {}})
    with pytest.raises(ValueError, match="includes itself"):
        PromptDictionary(
            {"templates": ["{}"], "concepts": {"a": {"include": ["a"]}}, "benchmarks": {}}
        )


def test_include_pools_descriptions(tmp_path) -> None:
    path = tmp_path / "p.yml"
    path.write_text(
        yaml.safe_dump(
            {
                "templates": ["{}", "诊断：{}"],
                "concepts": {
                    "x": {"descriptions": ["甲"]},
                    "y": {"descriptions": ["乙"], "include": ["x"]},
                },
                "benchmarks": {"b": {"1": "y"}},
            },
            allow_unicode=True,
        )
    )
    assert load_prompt_dictionary(path).prompts("b", "1") == ["乙", "诊断：乙", "甲", "诊断：甲"]


def test_prototypes_are_unit_means_of_prompt_embeddings(tmp_path) -> None:
    from evaluation_helpers import save_tiny_model

    from revision_pipeline.evaluation.features import load_model

    loaded = load_model(save_tiny_model(tmp_path / "m"))
    protos = class_prototypes(
        loaded.model, loaded.tokenizer, [["青光眼"], ["青光眼", "眼底未见明显异常"]]
    )
    assert protos.shape == (2, 32)
    assert np.allclose(np.linalg.norm(protos, axis=1), 1.0, atol=1e-5)
