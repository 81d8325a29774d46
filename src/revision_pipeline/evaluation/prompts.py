"""Class -> text: prompts from the expert-knowledge dictionary, and class prototypes.

The dictionary is data (``evaluation/data/class_prompts.yml``): concepts with canonical
finding codes and Chinese descriptions written the way the reports speak, templates, and
per-benchmark class maps. A class prototype is the mean of its prompts' normalised text
embeddings, normalised again (FLAIR's and CLIP's ensembling).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import yaml

logger = logging.getLogger(__name__)

DEFAULT_DICTIONARY = Path(__file__).with_name("data") / "class_prompts.yml"
_ALIAS_DROP = re.compile(r"[\W\d_]+", re.UNICODE)


class PromptError(KeyError):
    """A class has no concept in the prompt dictionary (names the benchmark and class)."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0])


@dataclass(frozen=True)
class Concept:
    """What one class means: finding codes and Chinese descriptions."""

    name: str
    codes: tuple[str, ...]
    descriptions: tuple[str, ...]


class PromptDictionary:
    """The parsed dictionary: concepts, templates, per-benchmark maps and aliases."""

    def __init__(self, data: dict[str, Any], source: str = "<dict>") -> None:
        self.source = source
        for key in ("templates", "concepts", "benchmarks"):
            if key not in data:
                raise ValueError(f"{source}: missing top-level key {key!r}")
        self.templates: tuple[str, ...] = tuple(data["templates"])
        if not self.templates or any("{}" not in t for t in self.templates):
            raise ValueError(f"{source}: every template must contain {{}}")
        raw = data["concepts"]
        self.concepts = {name: self._resolve(name, raw, source, ()) for name in raw}
        self.benchmarks: dict[str, dict[str, str]] = {
            b: {str(k): v for k, v in (m or {}).items()} for b, m in data["benchmarks"].items()
        }
        self.aliases: dict[str, str] = dict(data.get("aliases") or {})
        for where, mapping in [("aliases", self.aliases), *self.benchmarks.items()]:
            unknown = sorted({v for v in mapping.values() if v not in self.concepts})
            if unknown:
                raise ValueError(f"{source}: {where} names unknown concept(s) {unknown}")

    @staticmethod
    def _resolve(name: str, raw: dict[str, Any], source: str, seen: tuple[str, ...]) -> Concept:
        if name in seen:
            raise ValueError(f"{source}: concept {name!r} includes itself via {seen}")
        if name not in raw:
            raise ValueError(f"{source}: unknown concept {name!r} in an include")
        entry = raw[name] or {}
        descriptions = list(entry.get("descriptions") or [])
        for other in entry.get("include") or []:
            descriptions += PromptDictionary._resolve(
                other, raw, source, (*seen, name)
            ).descriptions
        if not descriptions:
            raise ValueError(f"{source}: concept {name!r} has no descriptions")
        return Concept(name, tuple(entry.get("codes") or ()), tuple(dict.fromkeys(descriptions)))

    @staticmethod
    def alias_key(class_name: str) -> str:
        """``"1_Normal"`` -> ``"normal"``: lower case, no digits, punctuation or spaces."""
        return _ALIAS_DROP.sub("", class_name.lower())

    def concept_for(self, benchmark: str, class_name: str) -> Concept:
        """The concept of ``class_name`` in ``benchmark`` (its own map first, then aliases).

        Raises:
            PromptError: the class is in neither.
        """
        mapping = self.benchmarks.get(benchmark, {})
        if class_name in mapping:
            return self.concepts[mapping[class_name]]
        key = self.alias_key(class_name)
        if key in self.aliases:
            return self.concepts[self.aliases[key]]
        if key in self.concepts:
            return self.concepts[key]
        raise PromptError(
            f"class {class_name!r} of benchmark {benchmark!r} has no prompts: add it under "
            f"benchmarks.{benchmark} or aliases in {self.source}"
        )

    def prompts(self, benchmark: str, class_name: str) -> list[str]:
        """Every template filled with every description of the class's concept."""
        concept = self.concept_for(benchmark, class_name)
        return [t.format(d) for d in concept.descriptions for t in self.templates]

    def codes(self, benchmark: str, class_name: str) -> tuple[str, ...]:
        """Canonical finding codes of a class (empty when outside the label set)."""
        return self.concept_for(benchmark, class_name).codes


@functools.lru_cache(maxsize=4)
def load_prompt_dictionary(path: str | Path | None = None) -> PromptDictionary:
    """Read and check the YAML dictionary (default: the one shipped with the package)."""
    path = Path(path) if path else DEFAULT_DICTIONARY
    if not path.is_file():
        raise FileNotFoundError(f"prompt dictionary not found: {path}")
    return PromptDictionary(yaml.safe_load(path.read_text("utf-8")), str(path))


def finding_prompts(code: str, dictionary: PromptDictionary | None = None) -> list[str]:
    """Prompts of a canonical finding code (for cohorts labelled with codes)."""
    dictionary = dictionary or load_prompt_dictionary()
    if code not in dictionary.concepts:
        raise PromptError(f"finding code {code!r} has no concept in {dictionary.source}")
    concept = dictionary.concepts[code]
    return [t.format(d) for d in concept.descriptions for t in dictionary.templates]


def class_prototypes(
    model: Any,
    tokenizer: Any,
    prompts: list[list[str]],
    *,
    normalise_text: bool = True,
    batch_size: int = 64,
) -> np.ndarray:
    """``(C, D)`` prototypes: per class the mean of its normalised prompt embeddings.

    Args:
        model: a :class:`~revision_pipeline.models.RetinaCLIP` (eval mode is set here).
        tokenizer: the model's tokenizer.
        prompts: one list of prompts per class.
        normalise_text: pass prompts through the report normaliser first, as the
            training reports were.
        batch_size: prompts per forward pass.
    """
    import torch

    from revision_pipeline.models import encode_batch

    if normalise_text:
        from revision_pipeline.text import normalize

        prompts = [[normalize(p) for p in group] for group in prompts]
    flat = [p for group in prompts for p in group]
    if not flat:
        raise ValueError("no prompts to embed")
    max_len = model.config.text.max_len
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    chunks = []
    try:
        with torch.no_grad():
            for lo in range(0, len(flat), batch_size):
                enc = encode_batch(tokenizer, flat[lo : lo + batch_size], max_len)
                emb = model.encode_text(
                    enc["input_ids"].to(device), enc["attention_mask"].to(device)
                )
                chunks.append(emb.float().cpu().numpy())
    finally:
        model.train(was_training)
    emb = np.concatenate(chunks)
    out, lo = [], 0
    for group in prompts:
        mean = emb[lo : lo + len(group)].mean(axis=0)
        out.append(mean / max(np.linalg.norm(mean), 1e-12))
        lo += len(group)
    return np.stack(out).astype(np.float32)
