"""ODIR-5K: one Excel row per patient, per-eye labels derived from diagnostic keywords.

The sheet's ``N D G C A H M O`` flags describe the patient (both eyes together); each
eye's label list comes from its own keywords through ``data/odir_keywords.yml``.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from revision_pipeline.benchmarks._files import (
    ImageIndex,
    find_dir,
    find_file,
    pick_columns,
    read_table,
    records,
    source,
)
from revision_pipeline.benchmarks._table import RawTable
from revision_pipeline.benchmarks.registry import register_benchmark

logger = logging.getLogger(__name__)

KEYWORDS_PATH = Path(__file__).parent / "data" / "odir_keywords.yml"
LETTERS: tuple[str, ...] = ("N", "D", "G", "C", "A", "H", "M", "O")
_SEPARATORS = re.compile(r"[，,;；]")
_LABEL_FILES = [
    "ODIR-5K_Training_Annotations(Updated)_V2.xlsx",
    "ODIR-5K_Training_Annotations(Updated).xlsx",
    "ODIR-5K_Training_Annotations.xlsx",
    "data.xlsx",
    "full_df.csv",
]
_IMAGE_DIRS = [  # the originals first; Kaggle's 512 px copies last
    "ODIR-5K_Training_Dataset",
    "ODIR-5K_Training_Images",
    "Training Images",
    "Training_Images",
    "preprocessed_images",
]


@dataclass(frozen=True)
class KeywordMap:
    """ODIR's keyword dictionary (``data/odir_keywords.yml``)."""

    letters: dict[str, str]
    to_letter: dict[str, str]
    artefacts: frozenset[str]
    not_fundus: frozenset[str]

    def classify(self, keywords: str) -> tuple[list[str], list[str], str | None]:
        """Letters of one eye's keyword cell, in ``N D G C A H M O`` order.

        Returns:
            (letters, keywords mapped to "O" for not being listed, reason the eye is not
            labelled or None).
        """
        found: set[str] = set()
        unlisted: list[str] = []
        for part in _SEPARATORS.split(keywords):
            word = normalize_keyword(part)
            if not word or word in self.artefacts:
                continue
            if word in self.not_fundus:
                return [], [], f"not a fundus photograph ({word!r})"
            letter = self.to_letter.get(word)
            if letter is None:
                unlisted.append(word)
                letter = "O"
            found.add(letter)
        if not found:
            return [], unlisted, f"no diagnostic keyword ({keywords!r})"
        return [x for x in LETTERS if x in found], unlisted, None


def normalize_keyword(text: str) -> str:
    """Lower case, single spaces, no stray quotes: ``' Normal  fundus'`` -> ``'normal fundus'``."""
    return re.sub(r"\s+", " ", text.strip().strip("'\"").casefold())


@functools.cache
def keyword_map(path: Path = KEYWORDS_PATH) -> KeywordMap:
    """The packaged ODIR keyword dictionary."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    to_letter = {
        normalize_keyword(word): letter
        for letter, words in data["keywords"].items()
        for word in words
    }
    return KeywordMap(
        letters=dict(data["letters"]),
        to_letter=to_letter,
        artefacts=frozenset(normalize_keyword(w) for w in data["artefacts"]),
        not_fundus=frozenset(normalize_keyword(w) for w in data["not_fundus"]),
    )


_COLUMNS = {
    "id": ("ID",), "age": ("Patient Age",), "sex": ("Patient Sex",),
    "left": ("Left-Fundus",), "right": ("Right-Fundus",),
    "left_kw": ("Left-Diagnostic Keywords",), "right_kw": ("Right-Diagnostic Keywords",),
}  # fmt: skip


def _eye_row(
    row: dict[str, str], cols: dict[str, str | None], eye: str, where: str, images: ImageIndex
) -> tuple[dict[str, object] | None, list[str], str | None]:
    """One eye's table row (None when unlabelled), its unlisted keywords, the reason."""
    name = row[cols[eye]]
    if not name:
        return None, [], "no image file named"
    keywords = row[cols[f"{eye}_kw"]]
    letters, unlisted, reason = keyword_map().classify(keywords)
    if reason is not None:
        return None, unlisted, reason
    out = {
        **images.row(name),
        "label": letters,
        "image_id": name,
        "source": where,
        "patient_id": row[cols["id"]],
        "eye": eye,
        "keywords": keywords,
    }
    out.update({key: row[cols[key]] for key in ("age", "sex") if cols[key]})
    return out, unlisted, None


@register_benchmark("odir5k")
def load_odir5k(root: Path) -> RawTable:
    """ODIR-5K training set: one row per eye, labels a list of category letters.

    Kaggle's ``full_df.csv`` (the same columns, one row per image, so each patient twice)
    is read too; a patient's repeated rows are read once.
    """
    sheet = find_file(root, _LABEL_FILES, what="annotation sheet")
    images = ImageIndex(find_dir(sheet.parent, _IMAGE_DIRS))
    df = read_table(sheet)
    cols = pick_columns(df, sheet, _COLUMNS, optional=("age", "sex"))
    raw = RawTable()
    unlisted: dict[str, int] = {}
    seen: set[str] = set()
    repeats = 0
    for n, row in enumerate(records(df), start=1):
        patient = row[cols["id"]]
        if not patient:
            continue
        if patient in seen:
            repeats += 1
            continue
        seen.add(patient)
        for eye in ("left", "right"):
            where = f"{source(sheet, n)} ({eye} eye)"
            out, others, reason = _eye_row(row, cols, eye, where, images)
            for word in others:
                unlisted[word] = unlisted.get(word, 0) + 1
            if out is None:
                raw.unlabelled.append({"source": where, "reason": str(reason)})
            else:
                raw.rows.append(out)
    if repeats:
        logger.info("odir5k: %d repeated patient rows in %s read once", repeats, sheet.name)
    if unlisted:
        logger.warning(
            "odir5k: %d keywords not in odir_keywords.yml counted as O (other): %s",
            len(unlisted), ", ".join(sorted(unlisted)),
        )  # fmt: skip
    return raw
