"""Tiny benchmark sets written in each publisher's layout (8x8 images), for the adapter tests.

Every writer takes the folder to write into and returns an :class:`Expected`: what
``load_benchmark`` must return for it. Options let a test break one thing at a time.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from PIL import Image


@dataclass
class Expected:
    """What the adapter must return for a written set."""

    root: Path
    labels: Counter[str]  # label (or "|".join(list) for multi-label) -> count
    splits: Counter[str] | None = None  # split -> count, None when no split column
    unlabelled: int = 0
    label_file: Path | None = None
    images: list[Path] = field(default_factory=list)


def image(path: Path, value: int = 0) -> Path:
    """An 8x8 image, format from the suffix (``.jpeg``/``.JPG``/``.tif``/``.png``)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = {".jpg": "JPEG", ".jpeg": "JPEG", ".tif": "TIFF", ".tiff": "TIFF"}.get(
        path.suffix.casefold(), "PNG"
    )
    Image.new("RGB", (8, 8), (value % 256, 40, 20)).save(path, format=fmt)
    return path


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _key(label: str | list[str]) -> str:
    return "|".join(label) if isinstance(label, list) else label


def labels_of(df: pd.DataFrame) -> Counter[str]:
    """The loaded labels in :class:`Expected` form."""
    return Counter(_key(v) for v in df["label"])


def aptos2019(
    root: Path, grades: Sequence[object] = (0, 0, 0, 1, 2, 3, 4), *, missing: int = 0
) -> Expected:
    """``train.csv`` + ``train_images/<id>.png``; ``test.csv`` unlabelled. ``missing``: the
    last rows have no image."""
    ids = [f"{i:04x}ab{i}" for i in range(len(grades))]
    label_file = write_csv(
        root / "train.csv", ["id_code", "diagnosis"], zip(ids, grades, strict=True)
    )
    write_csv(root / "test.csv", ["id_code"], [["ffff01"]])
    image(root / "test_images" / "ffff01.png")
    kept = len(ids) - missing
    images = [image(root / "train_images" / f"{i}.png", n) for n, i in enumerate(ids[:kept])]
    return Expected(root, Counter(str(g) for g in grades[:kept]), None, 0, label_file, images)


def eyepacs(root: Path, *, with_test: bool = False) -> Expected:
    """``trainLabels.csv`` + ``train/<image>.jpeg`` (+ the test solution)."""
    rows = [("10_left", 0), ("10_right", 0), ("13_left", 1), ("15_left", 2), ("16_right", 4)]
    label_file = write_csv(root / "trainLabels.csv", ["image", "level"], rows)
    for name, _ in rows:
        image(root / "train" / f"{name}.jpeg")
    labels = Counter(str(g) for _, g in rows)
    splits = None
    if with_test:
        test = [("1_left", 0, "Public"), ("1_right", 3, "Private")]
        write_csv(root / "retinopathy_solution.csv", ["image", "level", "Usage"], test)
        for name, _, _ in test:
            image(root / "test" / f"{name}.jpeg")
        labels += Counter(str(g) for _, g, _ in test)
        splits = Counter(train=len(rows), test=len(test))
    return Expected(root, labels, splits, 0, label_file)


_IDRID = Path("B. Disease Grading")


def idrid(root: Path) -> Expected:
    """Training/testing label CSVs (trailing-space header, blank padding rows) + JPGs."""
    header = ["Image name", "Retinopathy grade", "Risk of macular edema ", "", ""]
    sets = [
        ("a. Training Set", "a. IDRiD_Disease Grading_Training Labels.csv", [0, 1, 2, 3, 4, 2]),
        ("b. Testing Set", "b. IDRiD_Disease Grading_Testing Labels.csv", [0, 3]),
    ]
    labels: Counter[str] = Counter()
    first = None
    for folder, csv_name, grades in sets:
        names = [f"IDRiD_{i + 1:03d}" for i in range(len(grades))]
        rows = [[n, g, 0, "", ""] for n, g in zip(names, grades, strict=True)] + [
            ["", "", "", "", ""]
        ]
        path = write_csv(root / _IDRID / "2. Groundtruths" / csv_name, header, rows)
        first = first or path
        for n in names:
            image(root / _IDRID / "1. Original Images" / folder / f"{n}.jpg")
        labels += Counter(str(g) for g in grades)
    return Expected(root, labels, Counter(train=6, test=2), 0, first)


def messidor2(root: Path) -> Expected:
    """``messidor_data.csv`` (image ids with extension, one ungradable) + ``IMAGES/``."""
    rows = [
        ("20051020_43808_0100_PP.png", 0, 0, 1),
        ("20051020_43832_0100_PP.png", 1, 0, 1),
        ("20051020_43882_0100_PP.png", 2, 1, 1),
        ("IM002385.jpg", 4, 1, 1),  # the file is IM002385.JPG: extension case differs
        ("IM003718.jpg", "", "", 0),  # ungradable: not a labelled row
    ]
    header = ["image_id", "adjudicated_dr_grade", "adjudicated_dme", "adjudicated_gradable"]
    label_file = write_csv(root / "messidor_data.csv", header, rows)
    for name, *_ in rows[:3]:
        image(root / "IMAGES" / name)
    image(root / "IMAGES" / "IM002385.JPG")
    image(root / "IMAGES" / "IM003718.JPG")
    return Expected(root, Counter(["0", "1", "2", "4"]), None, 1, label_file)


def ddr(root: Path) -> Expected:
    """``DR_grading/{train,valid,test}.txt`` (``<name> <grade>``, 5 = ungradable) + folders."""
    base = root / "DDR-dataset" / "DR_grading"
    sets = {"train": [0, 0, 1, 2, 5], "valid": [3, 4], "test": [0, 2]}
    labels: Counter[str] = Counter()
    for stem, grades in sets.items():
        lines = []
        for i, g in enumerate(grades):
            name = f"007-{i:04d}-{stem}.jpg"
            lines.append(f"{name} {g}")
            image(base / stem / name)
        (base / f"{stem}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        labels += Counter(str(g) for g in grades if g != 5)
    return Expected(root, labels, Counter(train=4, val=2, test=2), 1, base / "train.txt")


ODIR_SHEET = "ODIR-5K_Training_Annotations(Updated)_V2.xlsx"


def odir5k(root: Path, keywords: Sequence[tuple[str, str]] | None = None) -> Expected:
    """The annotation sheet (per-eye keywords, Chinese comma) + ``<ID>_{left,right}.jpg``."""
    keywords = keywords or [
        ("normal fundus", "normal fundus"),
        ("moderate non proliferative retinopathy，hypertensive retinopathy", "lens dust，glaucoma"),
        ("cataract", "dry age-related macular degeneration"),
        ("pathological myopia", "tessellated fundus，mysterious spots"),
        ("no fundus image", "normal fundus"),
    ]
    rows = []
    for pid, (left, right) in enumerate(keywords):
        rows.append({
            "ID": pid, "Patient Age": 60 + pid, "Patient Sex": "Female" if pid % 2 else "Male",
            "Left-Fundus": f"{pid}_left.jpg", "Right-Fundus": f"{pid}_right.jpg",
            "Left-Diagnostic Keywords": left, "Right-Diagnostic Keywords": right,
            **dict.fromkeys("NDGCAHMO", 0),
        })  # fmt: skip
        for eye in ("left", "right"):
            image(root / "ODIR-5K_Training_Dataset" / f"{pid}_{eye}.jpg")
    sheet = root / ODIR_SHEET
    pd.DataFrame(rows).to_excel(sheet, index=False)
    expected = Counter({"N": 3, "D|H": 1, "G": 1, "C": 1, "A": 1, "M": 1, "O": 1})
    return Expected(root, expected, None, 1, sheet)


RFMID_DISEASES = [
    "DR",
    "ARMD",
    "MH",
    "DN",
    "MYA",
    "BRVO",
    "TSLN",
    "ERM",
    "LS",
    "MS",
    "CSR",
    "ODC",
    "CRVO",
    "TV",
    "AH",
    "ODP",
    "ODE",
    "ST",
    "AION",
    "PT",
    "RT",
    "RS",
    "CRS",
    "EDN",
    "RPEC",
    "MHL",
    "RP",
    "CWS",
    "CB",
    "ODPM",
    "PRH",
    "MNF",
    "HR",
    "CRAO",
    "TD",
    "CME",
    "PTCR",
    "CF",
    "VH",
    "MCA",
    "VS",
    "BRAO",
    "PLQ",
    "HPED",
    "CL",
]


def rfmid(root: Path, extra_value: str | None = None) -> Expected:
    """Three label CSVs in their doubled folders + ``<ID>.png``; ``extra_value`` replaces one
    0/1 cell (to test the error)."""
    sets = {
        "train": ("Training_Set/Training_Set", "RFMiD_Training_Labels.csv", "Training"),
        "val": ("Evaluation_Set/Evaluation_Set", "RFMiD_Validation_Labels.csv", "Validation"),
        "test": ("Test_Set/Test_Set", "RFMiD_Testing_Labels.csv", "Test"),
    }
    plan = {  # ID -> diseases set
        "train": [[], ["DR"], ["DR", "MH"], ["ODC"]],
        "val": [["ARMD"], []],
        "test": [["MYA", "TSLN"], []],
    }
    labels: Counter[str] = Counter()
    first = None
    for split, (folder, name, images) in sets.items():
        rows = []
        for i, diseases in enumerate(plan[split], start=1):
            flags = [int(d in diseases) for d in RFMID_DISEASES]
            rows.append([i, int(bool(diseases)), *flags])
            image(root / folder / images / f"{i}.png")
            ordered = [d for d in RFMID_DISEASES if d in diseases] or ["normal"]
            labels[_key(ordered)] += 1
        if extra_value is not None and split == "train":
            rows[1][3] = extra_value
        path = write_csv(root / folder / name, ["ID", "Disease_Risk", *RFMID_DISEASES], rows)
        first = first or path
    return Expected(root, labels, Counter(train=4, val=2, test=2), 0, first)


def class_folders(
    root: Path, classes: Sequence[str], *, splits: Sequence[str] | None = ("train", "val", "test"),
    per_class: int = 2, suffix: str = ".png",
) -> list[Path]:  # fmt: skip
    """``[<split>/]<class>/<n>.png``; the images written."""
    written = []
    for split in splits or [None]:
        for c, name in enumerate(classes):
            folder = root / split / name if split else root / name
            for i in range(per_class):
                written.append(image(folder / f"{name[:3]}{c}_{i}{suffix}", c * 10 + i))
    return written


def imagefolder(root: Path) -> Expected:
    """The RETFound layout with the demo stand-in's classes."""
    classes = ["normal", "glaucoma", "amd", "myopia", "rvo"]
    class_folders(root, classes)
    return Expected(root, Counter(dict.fromkeys(classes, 6)), Counter(train=10, val=10, test=10))


def flair_csv(root: Path) -> Expected:
    """A CSV of relative paths and labels (one FLAIR-style ``['label']`` cell)."""
    rows = [("images/a.png", "normal", "train"), ("images/b.png", "['glaucoma']", "train"),
            ("images/c.png", "glaucoma", "test"), ("images/d.png", "normal", "test")]  # fmt: skip
    for path, *_ in rows:
        image(root / path)
    label_file = write_csv(root / "labels.csv", ["image", "categories", "split"], rows)
    return Expected(
        label_file, Counter(normal=2, glaucoma=2), Counter(train=2, test=2), 0, label_file
    )


def refuge(root: Path) -> Expected:
    """REFUGE 2018: Training400 class folders, Validation400 and Test400 with label sheets."""
    train = root / "REFUGE-Training400" / "Training400"
    images = [image(train / "Glaucoma" / "g0001.jpg"), image(train / "Non-Glaucoma" / "n0001.jpg")]
    images.append(image(train / "Non-Glaucoma" / "n0002.jpg"))
    # ground truth repeating the class folders and photo names: never read as photos
    notes = root / "Annotation-Training400" / "Annotation-Training400"
    image(notes / "Disc_Cup_Fovea_Illustration" / "Glaucoma" / "g0001.jpg")
    image(notes / "Disc_Cup_Masks" / "Non-Glaucoma" / "n0001.bmp")
    val_sheet = root / "REFUGE-Validation400-GT" / "Fovea_locations.xlsx"
    val_sheet.parent.mkdir(parents=True)
    pd.DataFrame({
        "ID": [1, 2], "ImgName": ["V0001.jpg", "V0002.jpg"],
        "Fovea_X": [1.0, 2.0], "Fovea_Y": [1.0, 2.0], "Glaucoma Label": [0, 1],
    }).to_excel(val_sheet, index=False)  # fmt: skip
    for name in ("V0001.jpg", "V0002.jpg"):
        image(root / "REFUGE-Validation400" / "REFUGE-Validation400" / name)
    test_sheet = root / "REFUGE-Test-GT" / "Glaucoma_label_and_Fovea_location.xlsx"
    test_sheet.parent.mkdir(parents=True)
    pd.DataFrame({
        "ID": [1, 2], "ImgName": ["T0001.jpg", "T0002.jpg"], "Label(Glaucoma=1)": [1, 0],
        "Fovea_X": [1.0, 2.0], "Fovea_Y": [1.0, 2.0],
    }).to_excel(test_sheet, index=False)  # fmt: skip
    for name in ("T0001.jpg", "T0002.jpg"):
        image(root / "Test400" / name)
        image(root / "REFUGE-Test-GT" / "Disc_Cup_Masks" / name.replace(".jpg", ".bmp"))
    return Expected(
        root, Counter({"glaucoma": 3, "non-glaucoma": 4}), Counter(train=3, val=2, test=2),
        0, val_sheet, images,
    )  # fmt: skip


def papila_sheet(path: Path, diagnoses: Sequence[object]) -> Path:
    """PAPILA's clinical sheet: a header row, a sub-header row, a blank row, then patients
    (``#002`` ids in an unnamed first column)."""
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    book = Workbook()
    sheet = book.active
    sheet.append([None, "Age", "Gender", "Diagnosis", "Refractive_Defect", None, None])
    sheet.append([None, None, None, None, "dioptre_1", "dioptre_2", "astigmatism"])
    sheet.append([])
    for n, diagnosis in enumerate(diagnoses):
        sheet.append([f"#{n * 2 + 2:03d}", 50 + n, n % 2, diagnosis, -1.5, -1.0, 90])
    book.save(path)
    return path


def papila(root: Path, diagnoses: Sequence[object] = (0, 1, 2, 0)) -> Expected:
    """``ClinicalData/patient_data_{od,os}.xlsx`` + ``FundusImages/RET<id><eye>.jpg``."""
    base = root / "PapilaDB-PAPILA-9c67b80983805f0f886b068af800ef2b507e7dc0"
    sheet = papila_sheet(base / "ClinicalData" / "patient_data_od.xlsx", diagnoses)
    papila_sheet(base / "ClinicalData" / "patient_data_os.xlsx", diagnoses)
    for n in range(len(diagnoses)):
        for eye in ("OD", "OS"):
            image(base / "FundusImages" / f"RET{n * 2 + 2:03d}{eye}.jpg")
    names = {0: "healthy", 1: "glaucoma", 2: "suspect"}
    labels = Counter(names[int(d)] for d in diagnoses if str(d) in {"0", "1", "2"})
    return Expected(root, labels + labels, None, 0, sheet)


def glaucoma_fundus(root: Path) -> Expected:
    """The Dataverse set's three class folders (no split)."""
    folders = ["normal_control", "early_glaucoma", "advanced_glaucoma"]
    class_folders(root / "Glaucoma_fundus", folders, splits=None, per_class=2, suffix=".JPG")
    return Expected(root, Counter(normal=2, early=2, advanced=2))


JSIEC_FOLDERS = [
    "0.0.Normal",
    "0.3.DR1",
    "10.0.Possible glaucoma",
    "29.1.Blur fundus with suspected PDR",
]


def jsiec(root: Path) -> Expected:
    """``1000images/<class folder>/`` (four of the 39 folders)."""
    class_folders(root / "1000images", JSIEC_FOLDERS, splits=None, per_class=2, suffix=".jpg")
    return Expected(root, Counter(dict.fromkeys(JSIEC_FOLDERS, 2)))


def retina(root: Path) -> Expected:
    """Kaggle's ``dataset/{1_normal,2_cataract,2_glaucoma,3_retina_disease}/``."""
    folders = ["1_normal", "2_cataract", "2_glaucoma", "3_retina_disease"]
    class_folders(root / "dataset", folders, splits=None, per_class=2)
    return Expected(root, Counter(normal=2, cataract=2, glaucoma=2, retina_disease=2))


def retfound_release(root: Path, folders: Sequence[str], classes: Sequence[str]) -> Expected:
    """RETFound's ``train|val|test/<prefixed class>/`` release of a public set."""
    class_folders(root, folders, per_class=1)
    n = len(folders)
    return Expected(root, Counter(dict.fromkeys(classes, 3)), Counter(train=n, val=n, test=n))


#: Registered name -> writer of a small set in its publisher's layout.
LAYOUTS: dict[str, Callable[[Path], Expected]] = {
    "aptos2019": aptos2019,
    "eyepacs": eyepacs,
    "idrid": idrid,
    "messidor2": messidor2,
    "ddr": ddr,
    "odir5k": odir5k,
    "rfmid": rfmid,
    "refuge": refuge,
    "papila": papila,
    "glaucoma_fundus": glaucoma_fundus,
    "jsiec": jsiec,
    "retina": retina,
    "imagefolder": imagefolder,
    "flair_csv": flair_csv,
}
