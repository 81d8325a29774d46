"""Planners of the stand-ins, one per publisher layout, in a registry.

Each planner turns a `StandInConfig` into a `StandInSet`: which photo shows what, under
which file name, and the label files exactly as the publisher lays them out
(``/work`` docs: ``docs/synthetic-benchmarks.md``). Class balances follow the real sets
(counts below), scaled to the configured size with a floor per class.

What each class is painted as (the renderer knows DR grades 1-4, glaucomatous cupping,
AMD drusen and atrophy, myopic degeneration, retinal vein occlusion and hypertensive
changes): classes it cannot paint get their nearest visible sign (RFMiD ``TSLN`` a
tessellated, mildly myopic fundus; ``DN`` sparse drusen) or media haze (cataract, RFMiD
``MH``), or a normal fundus (ODIR ``epiretinal membrane``); see `Look` tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from revision_pipeline.synth.standins.config import StandInConfig
from revision_pipeline.synth.standins.model import (
    Look,
    StandInPhoto,
    StandInSet,
    Table,
    allocate,
    draw_frame,
    merge_looks,
    stratify,
)

Planner = Callable[[str, StandInConfig, int, np.random.Generator], StandInSet]


@dataclass(frozen=True)
class StandInKind:
    """A registered stand-in: its planner and the splits its layout has."""

    name: str
    planner: Planner
    splits: tuple[str, ...]
    label_files: bool = True  # False: the classes are the folder names


#: name -> registered stand-in
STANDINS: dict[str, StandInKind] = {}


def standin(
    name: str, splits: tuple[str, ...], label_files: bool = True
) -> Callable[[Planner], Planner]:
    """Register a planner for the stand-in ``name`` (whose layout has ``splits``)."""

    def register(planner: Planner) -> Planner:
        STANDINS[name] = StandInKind(name, planner, splits, label_files)
        return planner

    return register


# ---------------------------------------------------------------------------- looks
_NORMAL = Look.of("normal")
DR_LOOKS: dict[str, Look] = {"0": _NORMAL, **{str(g): Look.of(f"dr{g}") for g in range(1, 5)}}
_HAZE = Look((("normal",),), haze=(0.55, 1.0))
_GLAUCOMA = Look.of("glaucoma", severity=(0.5, 1.0))
_AMD = Look.of("amd", severity=(0.4, 1.0))
_MYOPIA = Look.of("pathologic_myopia", severity=(0.55, 1.0))
_RVO = Look.of("rvo", severity=(0.4, 1.0))
_HTN = Look.of("hypertensive_retinopathy", severity=(0.55, 1.0))

# ---------------------------------------------------------------------------- real balances
#: APTOS-2019 train.csv, diagnosis 0..4 (3,662 photos)
APTOS_TRAIN = {"0": 1805, "1": 370, "2": 999, "3": 193, "4": 295}
#: Messidor-2, adjudicated grade of the 1,744 gradable photos
MESSIDOR2 = {"0": 1017, "1": 270, "2": 347, "3": 75, "4": 35}
#: IDRiD disease grading, training (413) and testing (103) sets
IDRID = {
    "train": {"0": 134, "1": 20, "2": 136, "3": 74, "4": 49},
    "test": {"0": 34, "1": 5, "2": 32, "3": 19, "4": 13},
}
#: ODIR-5K per-eye category shares (N most common, then D, O, C, G, A, H, M)
ODIR_EYES = {"N": 42, "D": 27, "O": 11, "C": 5.5, "G": 5, "A": 4.5, "H": 3, "M": 2}
#: ODIR-5K keywords per category, with what is painted and the share within the category
ODIR_KEYWORDS: dict[str, tuple[tuple[str, Look, float], ...]] = {
    "N": (("normal fundus", _NORMAL, 1.0),),
    "D": (
        ("mild nonproliferative retinopathy", DR_LOOKS["1"], 0.3),
        ("moderate non proliferative retinopathy", DR_LOOKS["2"], 0.45),
        ("severe nonproliferative retinopathy", DR_LOOKS["3"], 0.15),
        ("proliferative diabetic retinopathy", DR_LOOKS["4"], 0.1),
    ),
    "G": (("glaucoma", _GLAUCOMA, 1.0),),
    "C": (("cataract", _HAZE, 1.0),),
    "A": (
        ("dry age-related macular degeneration", Look.of("amd", severity=(0.4, 0.8)), 0.7),
        ("wet age-related macular degeneration", Look.of("amd", severity=(0.8, 1.0)), 0.3),
    ),
    "H": (("hypertensive retinopathy", _HTN, 1.0),),
    "M": (("pathological myopia", _MYOPIA, 1.0),),
    "O": (
        ("branch retinal vein occlusion", _RVO, 0.55),
        ("central retinal vein occlusion", Look.of("rvo", severity=(0.7, 1.0)), 0.2),
        ("epiretinal membrane", _NORMAL, 0.25),  # not paintable: a normal-looking fundus
    ),
}
ODIR_LETTERS = ("N", "D", "G", "C", "A", "H", "M", "O")
#: Keyword that marks an annotation artefact, not a disease (no category)
LENS_DUST = "lens dust"
#: RFMiD's 45 disease columns, in the publisher's order
RFMID_COLUMNS = (
    "DR", "ARMD", "MH", "DN", "MYA", "BRVO", "TSLN", "ERM", "LS", "MS", "CSR", "ODC", "CRVO",
    "TV", "AH", "ODP", "ODE", "ST", "AION", "PT", "RT", "RS", "CRS", "EDN", "RPEC", "MHL",
    "RP", "CWS", "CB", "ODPM", "PRH", "MNF", "HR", "CRAO", "TD", "CME", "PTCR", "CF", "VH",
    "MCA", "VS", "BRAO", "PLQ", "HPED", "CL",
)  # fmt: skip
#: The RFMiD diseases the stand-in draws (training-set counts) and how each is painted;
#: the other 36 columns are written, always 0
RFMID_DISEASES: dict[str, tuple[int, Look]] = {
    "DR": (376, Look((("dr1",), ("dr2",), ("dr2",), ("dr3",), ("dr4",)))),
    "MH": (317, _HAZE),  # media haze
    "ODC": (282, _GLAUCOMA),  # optic disc cupping
    "TSLN": (186, Look.of("pathologic_myopia", severity=(0.05, 0.2))),  # tessellation
    "DN": (138, Look.of("amd", severity=(0.02, 0.2))),  # drusen
    "MYA": (101, _MYOPIA),
    "ARMD": (100, _AMD),
    "BRVO": (73, _RVO),
    "CRVO": (28, Look.of("rvo", severity=(0.7, 1.0))),
}
#: Share of RFMiD training photos with Disease_Risk 1 (1,519 of 1,920)
RFMID_RISK = 0.79
#: Classes of the RETFound-style folder stand-in and their shares
IMAGEFOLDER = {"normal": 30, "glaucoma": 20, "amd": 20, "myopia": 15, "rvo": 15}
IMAGEFOLDER_LOOKS = {
    "normal": _NORMAL, "glaucoma": _GLAUCOMA, "amd": _AMD, "myopia": _MYOPIA, "rvo": _RVO,
}  # fmt: skip
_UNGRADABLE = ("blur", "underexposed", "small_pupil")


# ---------------------------------------------------------------------------- helpers
class _Builder:
    """Collects the photos of one stand-in, drawing every random choice from one stream."""

    def __init__(self, name: str, cfg: StandInConfig, rng: np.random.Generator) -> None:
        self.set = StandInSet(name, cfg.camera)
        self.cfg = cfg
        self.rng = rng
        self.ext = cfg.camera.format

    def eye(self) -> str:
        return "OD" if self.rng.random() < 0.5 else "OS"

    def add(
        self,
        image_id: str,
        path: str,
        split: str,
        label: str | tuple[str, ...] | None,
        looks: list[Look],
        eye: str | None = None,
        **extra,
    ) -> StandInPhoto:
        rng = self.rng
        state, haze = merge_looks(looks, rng, eye or self.eye())  # type: ignore[arg-type]
        photo = StandInPhoto(
            image_id=image_id,
            path=path,
            split=split,
            label=label,
            seed=int(rng.integers(0, 2**31 - 1)),
            state=state,
            tone=float(rng.beta(*self.cfg.camera.tone)),
            frame=draw_frame(self.cfg.camera, rng),
            haze=haze,
            **extra,
        )
        self.set.photos.append(photo)
        return photo

    def labels(self, weights: dict[str, float], n: int, floor: int) -> list[str]:
        """``n`` class names in the scaled balance, shuffled."""
        return self._shuffled(allocate(weights, n, floor))

    def split_labels(
        self, weights: dict[str, float], splits: tuple[str, ...], floor: int
    ) -> dict[str, list[str]]:
        """Class names per split: the floor holds over the whole set, splits stratified."""
        sizes = {s: self.cfg.splits.get(s, 0) for s in splits}
        counts = allocate(weights, sum(sizes.values()), floor)
        return {s: self._shuffled(c) for s, c in stratify(counts, sizes).items()}

    def _shuffled(self, counts: dict[str, int]) -> list[str]:
        out = [k for k, c in counts.items() for _ in range(c)]
        self.rng.shuffle(out)
        return out

    def hex_ids(self, n: int, length: int = 12) -> list[str]:
        ids: list[str] = []
        seen: set[str] = set()
        while len(ids) < n:
            value = "".join(f"{b:02x}" for b in self.rng.integers(0, 256, length // 2))
            if value not in seen:
                seen.add(value)
                ids.append(value)
        return ids

    def drop_files(self, n: int) -> None:
        """Mark ``n`` labelled photos (with no other oddity) as listed but missing on disk."""
        photos = self.set.photos
        pool = [i for i, p in enumerate(photos) if p.label is not None and not p.note]
        if not pool or n <= 0:
            return
        for i in self.rng.choice(pool, size=min(n, len(pool)), replace=False):
            photos[int(i)] = replace(photos[int(i)], written=False, note="missing_file")


def _check_splits(name: str, cfg: StandInConfig) -> None:
    allowed = STANDINS[name].splits
    bad = sorted(set(cfg.splits) - set(allowed))
    if bad:
        raise ValueError(f"{name}: its layout has splits {list(allowed)}, not {bad}")


# ---------------------------------------------------------------------------- DR grading sets
@standin("aptos2019", splits=("train",))
def plan_aptos(name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator) -> StandInSet:
    """APTOS-2019: ``train.csv`` + ``train_images/``; ``odd`` unlabelled ``test_images/``."""
    b = _Builder(name, cfg, rng)
    n = cfg.splits.get("train", 0)
    labels = b.labels(APTOS_TRAIN, n, floor)
    ids = b.hex_ids(n + cfg.odd)
    for label, id_code in zip(labels, ids, strict=False):
        b.add(id_code, f"train_images/{id_code}.{b.ext}", "train", label, [DR_LOOKS[label]])
    for id_code in ids[n:]:
        grade = b.labels(APTOS_TRAIN, 1, 0)[0]
        b.add(id_code, f"test_images/{id_code}.{b.ext}", "test", None, [DR_LOOKS[grade]],
              note="unlabelled_test")  # fmt: skip
    b.drop_files(cfg.missing_files)
    train = [p for p in b.set.photos if p.label is not None]
    b.set.tables = [
        Table("train.csv", pd.DataFrame({
            "id_code": [p.image_id for p in train],
            "diagnosis": [int(p.label) for p in train],  # type: ignore[arg-type]
        })),
        Table("test.csv", pd.DataFrame(
            {"id_code": [p.image_id for p in b.set.photos if p.label is None]}
        )),
    ]  # fmt: skip
    return b.set


def _messidor_id(b: _Builder, i: int) -> str:
    if b.rng.random() < 0.4:  # the Messidor-Extension part is named IM00xxxx.JPG
        return f"IM{2000 + 3 * i:06d}.JPG"
    day = pd.Timestamp("2005-10-01") + pd.Timedelta(days=int(b.rng.integers(0, 400)))
    return f"{day:%Y%m%d}_{10000 + 7 * i:05d}_0100_PP.{b.ext}"  # unique by construction


@standin("messidor2", splits=("all",))
def plan_messidor2(
    name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator
) -> StandInSet:
    """Messidor-2: ``messidor_data.csv`` + ``IMAGES/``; ``odd`` ungradable rows (no grade)."""
    b = _Builder(name, cfg, rng)
    labels: list[str | None] = list(b.labels(MESSIDOR2, cfg.splits.get("all", 0), floor))
    labels += [None] * cfg.odd
    b.rng.shuffle(labels)  # type: ignore[arg-type]
    dme: dict[str, int] = {}
    for i, label in enumerate(labels):
        image_id = _messidor_id(b, i)
        if label is None:
            defect = _UNGRADABLE[int(b.rng.integers(len(_UNGRADABLE)))]
            b.add(image_id, f"IMAGES/{image_id}", "", None, [_NORMAL], defect=defect,
                  note="ungradable")  # fmt: skip
            continue
        p_dme = 0.45 if int(label) >= 2 else 0.05 if label == "1" else 0.0
        dme[image_id] = int(b.rng.random() < p_dme)
        b.add(image_id, f"IMAGES/{image_id}", "", label, [DR_LOOKS[label]])
    b.drop_files(cfg.missing_files)
    photos = sorted(b.set.photos, key=lambda p: p.image_id)
    frame = pd.DataFrame({
        "image_id": [p.image_id for p in photos],
        "adjudicated_dr_grade": pd.array(
            [None if p.label is None else int(p.label) for p in photos], dtype="Int64"  # type: ignore[arg-type]
        ),
        "adjudicated_dme": pd.array([dme.get(p.image_id) for p in photos], dtype="Int64"),
        "adjudicated_gradable": [0 if p.label is None else 1 for p in photos],
    })  # fmt: skip
    b.set.tables = [Table("messidor_data.csv", frame)]
    return b.set


_IDRID_ROOT = "B. Disease Grading"
_IDRID_SETS = {"train": "a. Training Set", "test": "b. Testing Set"}
_IDRID_LABELS = {
    "train": "a. IDRiD_Disease Grading_Training Labels.csv",
    "test": "b. IDRiD_Disease Grading_Testing Labels.csv",
}


@standin("idrid", splits=("train", "test"))
def plan_idrid(name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator) -> StandInSet:
    """IDRiD disease grading: training and testing sets, each with its label CSV."""
    b = _Builder(name, cfg, rng)
    both = {k: IDRID["train"][k] + IDRID["test"][k] for k in IDRID["train"]}
    per_split = b.split_labels(both, ("train", "test"), floor)
    for split in ("train", "test"):
        labels = per_split[split]
        rows = []
        for i, label in enumerate(labels, start=1):
            image_id = f"IDRiD_{i:03d}"
            path = f"{_IDRID_ROOT}/1. Original Images/{_IDRID_SETS[split]}/{image_id}.{b.ext}"
            b.add(image_id, path, split, label, [DR_LOOKS[label]])
            grade = int(label)
            probs = [1.0, 0, 0] if grade == 0 else [0.9, 0.05, 0.05] if grade == 1 else (
                [0.4, 0.2, 0.4] if grade == 2 else [0.15, 0.15, 0.7])  # fmt: skip
            rows.append({
                "Image name": image_id,
                "Retinopathy grade": grade,
                "Risk of macular edema ": int(b.rng.choice(3, p=probs)),
            })  # fmt: skip
        if labels:
            b.set.tables.append(
                Table(f"{_IDRID_ROOT}/2. Groundtruths/{_IDRID_LABELS[split]}", pd.DataFrame(rows))
            )
    b.drop_files(cfg.missing_files)
    return b.set


# ---------------------------------------------------------------------------- multi-label sets
def _odir_keyword(b: _Builder, letter: str) -> tuple[str, Look]:
    options = ODIR_KEYWORDS[letter]
    weights = np.array([w for _, _, w in options])
    keyword, look, _ = options[int(b.rng.choice(len(options), p=weights / weights.sum()))]
    return keyword, look


def _odir_eye(b: _Builder, letter: str) -> tuple[list[str], list[Look], tuple[str, ...]]:
    """Keywords, looks and categories of one eye whose main category is ``letter``."""
    keyword, look = _odir_keyword(b, letter)
    keywords, looks, letters = [keyword], [look], [letter]
    if letter == "H" and b.rng.random() < 0.35:  # hypertensive and diabetic changes together
        keyword, look = _odir_keyword(b, "D")
        keywords.insert(0, keyword)
        looks.insert(0, look)
        letters.append("D")
    return keywords, looks, tuple(sorted(letters, key=ODIR_LETTERS.index))


@standin("odir5k", splits=("all",))
def plan_odir5k(name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator) -> StandInSet:
    """ODIR-5K: one Excel row per patient, per-eye keywords, patient-level category flags."""
    b = _Builder(name, cfg, rng)
    patients = cfg.splits.get("all", 0)
    eyes = b.labels(ODIR_EYES, 2 * patients, floor)
    # most diseases are bilateral: pair 60% of the eyes with an eye of the same category
    k = int(len(eyes) * 0.6) // 2 * 2
    paired = sorted(eyes[:k], key=ODIR_LETTERS.index) + eyes[k:]
    pairs = [(paired[i], paired[i + 1]) for i in range(0, len(paired) - 1, 2)]
    b.rng.shuffle(pairs)  # type: ignore[arg-type]
    dusty = set(b.rng.choice(2 * patients, size=min(cfg.odd, 2 * patients), replace=False).tolist())
    rows = []
    for pid, (left, right) in enumerate(pairs):
        row: dict[str, object] = {
            "ID": pid,
            "Patient Age": int(b.rng.integers(25, 86)),
            "Patient Sex": "Male" if b.rng.random() < 0.53 else "Female",
        }
        found: set[str] = set()
        for side, letter, eye, n in (
            ("Left", left, "OS", 2 * pid),
            ("Right", right, "OD", 2 * pid + 1),
        ):
            keywords, looks, letters = _odir_eye(b, letter)
            note = ""
            if n in dusty:  # an annotation artefact, not a disease: no category
                keywords.insert(0 if b.rng.random() < 0.5 else len(keywords), LENS_DUST)
                note = "lens_dust"
            file = f"{pid}_{side.lower()}.{b.ext}"
            b.add(file, f"ODIR-5K_Training_Dataset/{file}", "", letters, looks, eye=eye, note=note)
            row[f"{side}-Fundus"] = file
            row[f"{side}-Diagnostic Keywords"] = "，".join(keywords)
            found |= set(letters)
        for letter in ODIR_LETTERS:  # N only when both eyes are normal (the publisher's rule)
            row[letter] = int(found == {"N"}) if letter == "N" else int(letter in found)
        rows.append(row)
    b.drop_files(cfg.missing_files)
    columns = ["ID", "Patient Age", "Patient Sex", "Left-Fundus", "Right-Fundus",
               "Left-Diagnostic Keywords", "Right-Diagnostic Keywords", *ODIR_LETTERS]  # fmt: skip
    b.set.tables = [
        Table(
            "ODIR-5K_Training_Annotations(Updated)_V2.xlsx",
            pd.DataFrame(rows, columns=columns),
            kind="xlsx",
        )
    ]
    return b.set


_RFMID_PARTS = {
    "train": ("Training_Set/Training_Set", "RFMiD_Training_Labels.csv", "Training"),
    "val": ("Evaluation_Set/Evaluation_Set", "RFMiD_Validation_Labels.csv", "Validation"),
    "test": ("Test_Set/Test_Set", "RFMiD_Testing_Labels.csv", "Test"),
}


@standin("rfmid", splits=("train", "val", "test"))
def plan_rfmid(name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator) -> StandInSet:
    """RFMiD: three sets, each a label CSV (``Disease_Risk`` + 45 disease columns) and PNGs."""
    b = _Builder(name, cfg, rng)
    total = sum(w for w, _ in RFMID_DISEASES.values())
    weights = {"normal": (1 - RFMID_RISK) * total / RFMID_RISK}
    weights |= {k: float(w) for k, (w, _) in RFMID_DISEASES.items()}
    diseases = list(RFMID_DISEASES)
    p_disease = np.array([RFMID_DISEASES[k][0] for k in diseases], float)
    per_split = b.split_labels(weights, tuple(_RFMID_PARTS), floor)
    for split, (folder, label_file, images) in _RFMID_PARTS.items():
        firsts = per_split[split]
        rows = []
        for i, first in enumerate(firsts, start=1):
            found = [] if first == "normal" else [first]
            if found and b.rng.random() < 0.2:  # a second disease
                others = [k != first for k in diseases]
                p = p_disease * others
                found.append(diseases[int(b.rng.choice(len(diseases), p=p / p.sum()))])
            found = sorted(found, key=RFMID_COLUMNS.index)
            label = tuple(found) or ("normal",)
            looks = [RFMID_DISEASES[k][1] for k in found] or [_NORMAL]
            b.add(str(i), f"{folder}/{images}/{i}.{b.ext}", split, label, looks)
            rows.append({"ID": i, "Disease_Risk": int(bool(found)),
                         **{c: int(c in found) for c in RFMID_COLUMNS}})  # fmt: skip
        if firsts:
            columns = ["ID", "Disease_Risk", *RFMID_COLUMNS]
            b.set.tables.append(
                Table(f"{folder}/{label_file}", pd.DataFrame(rows, columns=columns))
            )
    b.drop_files(cfg.missing_files)
    return b.set


# ---------------------------------------------------------------------------- class folders
@standin("imagefolder_demo", splits=("train", "val", "test"), label_files=False)
def plan_imagefolder(
    name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator
) -> StandInSet:
    """RETFound-style ``<split>/<class>/<image>``; ``odd`` files with an upper-case ``.JPG``."""
    b = _Builder(name, cfg, rng)
    per_split = b.split_labels(IMAGEFOLDER, ("train", "val", "test"), floor)
    for split, labels in per_split.items():
        for label, image_id in zip(labels, b.hex_ids(len(labels), 10), strict=True):
            b.add(image_id, f"{split}/{label}/{image_id}.{b.ext}", split, label,
                  [IMAGEFOLDER_LOOKS[label]])  # fmt: skip
    photos = b.set.photos
    for i in b.rng.choice(len(photos), size=min(cfg.odd, len(photos)), replace=False):
        p = photos[int(i)]
        stem = p.path.rsplit(".", 1)[0]
        photos[int(i)] = replace(p, path=f"{stem}.{b.ext.upper()}", note="upper_case_extension")
    return b.set  # no missing files: no label file could list them


# ---------------------------------------------------------------------------- entry point
def plan_standin(name: str, cfg: StandInConfig, floor: int, rng: np.random.Generator) -> StandInSet:
    """Plan the stand-in ``name`` (registered above)."""
    if name not in STANDINS:
        raise ValueError(f"unknown stand-in {name!r}; expected one of {sorted(STANDINS)}")
    _check_splits(name, cfg)
    return STANDINS[name].planner(name, cfg, floor, rng)
