"""Plan a synthetic archive: institutions, patients, exams, photos and their truth.

Planning is cheap and deterministic; rendering and writing files is `export.py`'s job.
The plan records everything later stages are measured against (findings per photo,
planted defects and duplicates, every planted PHI string).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

import numpy as np

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.dialects import CANONICAL_COLUMNS, DIALECTS, Dialect
from revision_pipeline.synth.identity import Person, make_doctor_name, make_person
from revision_pipeline.synth.reports import ReportStyle, make_style, write_report
from revision_pipeline.synth.reports import format_date as report_date
from revision_pipeline.synth.spec import Camera, Eye, EyeState, PhotoSpec

logger = logging.getLogger(__name__)

_EYE_TOKENS: tuple[tuple[str, str], ...] = (
    ("OD", "OS"), ("OD", "OS"), ("OD", "OS"), ("R", "L"), ("RE", "LE"), ("右", "左"), ("od", "os"),
)  # fmt: skip
_EXTENSIONS: tuple[str, ...] = ("jpg", "jpg", "jpg", "jpg", "JPG", "jpeg", "png", "tif", "bmp")
_ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8", "utf-8-sig", "gb18030")
_DATE_STYLES: tuple[str, ...] = ("iso", "slash", "dot", "cn", "compact", "iso_time")
_FIRST_DATE = dt.date(2018, 1, 1)
_LAST_DATE = dt.date(2025, 12, 31)


@dataclass(frozen=True)
class Output:
    """One file written from a rendered photo."""

    source: str  # path relative to the archive root, "/" separators
    fmt: str  # jpg, png, tif, bmp or dcm
    quality: int  # JPEG quality where it applies
    kind: str = "original"  # original | duplicate_exact | duplicate_reencoded
    file_defect: str | None = None  # truncated | zero_byte
    dicom: dict[str, str] | None = None  # header values for DICOM files (PHI included)


@dataclass
class PhotoPlan:
    """One photograph: what is rendered and every file it is written to."""

    institution_id: str
    exam_id: str
    eye: Eye
    seq: int
    spec: PhotoSpec
    outputs: list[Output] = field(default_factory=list)


@dataclass
class ExamPlan:
    """One exam row (and what its photos show)."""

    institution_id: str
    exam_id: str
    patient_id: str
    patient: Person
    exam_date: dt.date
    eyes: tuple[EyeState, EyeState]
    report: str
    phi: tuple[str, ...]
    status: str = "ok"  # ok | empty_report | report_without_images | images_without_report
    duplicate_row: bool = False


@dataclass
class InstitutionPlan:
    """One institution: its habits and what it exports."""

    institution_id: str
    dialect: Dialect
    camera: Camera
    style: ReportStyle
    encoding: str
    eye_tokens: tuple[str, str]
    extension: str
    date_style: str
    sex_style: str  # "zh" (男/女) or "en" (M/F)
    overlay: bool
    column_order: tuple[str, ...]
    exams: list[ExamPlan] = field(default_factory=list)
    photos: list[PhotoPlan] = field(default_factory=list)


@dataclass
class ArchivePlan:
    """The whole synthetic archive."""

    config: DemoArchiveConfig
    institutions: list[InstitutionPlan]

    @property
    def photos(self) -> list[PhotoPlan]:
        """Every planned photo, institution by institution."""
        return [p for inst in self.institutions for p in inst.photos]


def institution_sizes(n_exams: int, n_institutions: int, skew: float) -> list[int]:
    """Exams per institution: Zipf-like, every institution at least one exam."""
    if n_exams < n_institutions:
        raise ValueError(f"n_exams ({n_exams}) must be at least n_institutions ({n_institutions})")
    weights = 1.0 / np.arange(1, n_institutions + 1) ** skew
    extra = n_exams - n_institutions
    sizes = 1 + np.floor(weights / weights.sum() * extra).astype(int)
    remainder = n_exams - int(sizes.sum())
    sizes[:remainder] += 1  # the largest centres absorb the rounding
    return sizes.tolist()


def format_date(day: dt.date, style: str, rng: np.random.Generator) -> str:
    """Write a date the way one institution's system does (``iso_time`` adds a time)."""
    if style == "iso_time":
        return f"{day.isoformat()} {rng.integers(8, 18):02d}:{rng.integers(0, 60):02d}:00"
    if style not in _DATE_STYLES:
        raise ValueError(f"unknown date style {style!r}")
    return report_date(day, style)


def _child(rng: np.random.Generator) -> np.random.Generator:
    return np.random.default_rng(rng.integers(0, 2**63 - 1))


def _camera(rng: np.random.Generator, side_range: tuple[int, int], small: bool) -> Camera:
    low, high = side_range
    sides = [s for s in (1024, 1200, 1536, 1600, 1944, 2048) if low <= s <= high] or [low]
    side = min(sides) if small else int(rng.choice(sides))
    cast = tuple(float(c) for c in np.clip(rng.normal(1.0, 0.06, 3), 0.85, 1.15))
    return Camera(
        side=side,
        aspect="4:3" if rng.random() < 0.6 else "1:1",
        cast=cast,  # type: ignore[arg-type]
        vignetting=float(rng.uniform(0.05, 0.5)),
        jpeg_quality=int(rng.integers(70, 97)),
        field_fraction=float(rng.uniform(0.86, 0.98)),
    )


def _institution(
    index: int, config: DemoArchiveConfig, rng: np.random.Generator
) -> InstitutionPlan:
    inst_id = f"H{index:03d}"
    dialect = DIALECTS[config.dialects.get(inst_id, "canonical")]
    columns = list(CANONICAL_COLUMNS)
    if rng.random() < 0.5:
        rng.shuffle(columns)
    extension = "dcm" if dialect.image_naming == "dicom" else str(rng.choice(_EXTENSIONS))
    # DICOM and lossless exports come from older, lower-resolution cameras (and stay small)
    small = extension.lower() in ("dcm", "png", "tif", "bmp")
    return InstitutionPlan(
        institution_id=inst_id,
        dialect=dialect,
        camera=_camera(rng, config.image_side, small),
        style=make_style(rng),
        encoding=dialect.encoding or str(rng.choice(_ENCODINGS)),
        eye_tokens=_EYE_TOKENS[int(rng.integers(len(_EYE_TOKENS)))],
        extension=extension,
        date_style=str(rng.choice(_DATE_STYLES)),
        sex_style="zh" if rng.random() < 0.75 else "en",
        overlay=bool(rng.random() < config.overlay_institutions),
        column_order=tuple(columns),
    )


def sample_eyes(
    rng: np.random.Generator, prevalence: dict[str, float], age: int
) -> tuple[EyeState, EyeState]:
    """Diseases of one patient's two eyes, correlated the way they are in clinics."""
    od: list[str] = []
    os_: list[str] = []
    severity = float(rng.uniform(0.3, 1.0))
    cdr = [float(rng.uniform(0.2, 0.45)), float(rng.uniform(0.2, 0.45))]
    age_factor = {
        "amd": 2.0 if age >= 60 else 0.3,
        "hypertensive_retinopathy": 1.5 if age >= 50 else 0.4,
    }
    for disease, p in prevalence.items():
        if rng.random() >= min(1.0, p * age_factor.get(disease, 1.0)):
            continue
        if disease == "dr":
            grade = int(rng.choice([1, 2, 3, 4], p=[0.35, 0.3, 0.2, 0.15]))
            other = int(np.clip(grade + rng.integers(-1, 2), 0, 4))
            first, second = (od, os_) if rng.random() < 0.5 else (os_, od)
            first.append(f"dr{grade}")
            if other:
                second.append(f"dr{other}")
        elif disease == "rvo":
            (od if rng.random() < 0.5 else os_).append("rvo")
        else:
            both = rng.random() < 0.75
            side = rng.random() < 0.5
            if both or side:
                od.append(disease)
            if both or not side:
                os_.append(disease)
    for i, codes in enumerate((od, os_)):
        if "glaucoma" in codes:
            cdr[i] = float(rng.uniform(0.6, 0.9))
    return (
        EyeState("OD", tuple(sorted(od)) or ("normal",), severity, cdr[0]),
        EyeState("OS", tuple(sorted(os_)) or ("normal",), severity, cdr[1]),
    )


def _exam_id(inst: InstitutionPlan, number: int) -> str:
    formats = ("E{n:07d}", "FD{n:06d}", "{n:010d}", "YD-{n:05d}", "S{n:08d}")
    return formats[int(inst.institution_id[1:]) % len(formats)].format(n=number)


def _patient_id(inst: InstitutionPlan, rng: np.random.Generator) -> str:
    formats = ("MR{n:07d}", "{n:010d}", "ZY{n:06d}", "P{n:08d}")
    return formats[int(inst.institution_id[1:]) % len(formats)].format(
        n=int(rng.integers(1, 10**6))
    )


def _photo_source(inst: InstitutionPlan, exam: ExamPlan, eye: Eye, seq: int, n_in_exam: int) -> str:
    dialect = inst.dialect
    token = inst.eye_tokens[0] if eye == "OD" else inst.eye_tokens[1]
    if dialect.image_naming == "per_exam_folders":
        name = f"{exam.exam_id}/{'R' if eye == 'OD' else 'L'}{'' if seq == 1 else f'_{seq}'}"
    elif dialect.image_naming == "dicom":
        name = f"{exam.exam_id}_{n_in_exam}"
    elif dialect.image_naming == "vendor":
        name = f"{exam.patient_id}_{exam.exam_id}_{'右眼' if eye == 'OD' else '左眼'}"
        name += "" if seq == 1 else f"({seq})"
    else:
        name = f"{exam.exam_id}_{token}{'' if seq == 1 else f'_{seq}'}"
    return f"{inst.institution_id}/{dialect.images_dir}/{name}.{inst.extension}"


def _overlay(inst: InstitutionPlan, exam: ExamPlan) -> tuple[str, ...]:
    if not inst.overlay:
        return ()
    return (exam.patient.name, exam.exam_date.isoformat(), exam.patient_id)


def _dicom_header(
    inst: InstitutionPlan, exam: ExamPlan, eye: Eye, rng: np.random.Generator
) -> dict[str, str]:
    return {
        "PatientName": exam.patient.name,
        "PatientID": exam.patient_id,
        "PatientBirthDate": exam.patient.birth_date.strftime("%Y%m%d"),
        "PatientSex": "M" if exam.patient.sex == "男" else "F",
        "StudyDate": exam.exam_date.strftime("%Y%m%d"),
        "AccessionNumber": exam.exam_id,
        "InstitutionName": f"{inst.institution_id} 眼科",
        "OperatorsName": make_doctor_name(rng),
        "DeviceSerialNumber": f"SN{int(rng.integers(10**7, 10**8))}",
        "ImageLaterality": "R" if eye == "OD" else "L",
    }


class _PhotoPlanner:
    """Decides the photos of one exam: retakes, defects, duplicates, stray pictures."""

    def __init__(self, inst: InstitutionPlan, config: DemoArchiveConfig, rng: np.random.Generator):
        self.inst = inst
        self.rates = config.image_rates
        self.rng = rng
        self.tone = 0.5

    def _pick_defect(self) -> str | None:
        rates = self.rates
        names = ("blur", "underexposed", "overexposed", "small_pupil", "lid_artefact")
        probs = [getattr(rates, n) for n in names]
        draw = self.rng.random()
        for name, p in zip(names, probs, strict=True):
            if draw < p:
                return name
            draw -= p
        return None

    def _file_defect(self) -> str | None:
        draw = self.rng.random()
        if draw < self.rates.truncated:
            return "truncated"
        if draw < self.rates.truncated + self.rates.zero_byte:
            return "zero_byte"
        return None

    def plan(self, exam: ExamPlan) -> list[PhotoPlan]:
        """All photos (and their files) for one exam."""
        rng = self.rng
        self.tone = float(rng.beta(2.5, 2.5))
        photos: list[PhotoPlan] = []
        counter = 0
        for state in exam.eyes:
            seq = 1
            shots = [self._pick_defect()]
            if (
                shots[0] is not None and rng.random() < self.rates.retake
            ) or rng.random() < self.rates.second_photo:
                shots.append(None)
            for defect in shots:
                counter += 1
                photos.append(self._photo(exam, state, seq, counter, defect))
                seq += 1
            if rng.random() < self.rates.non_fundus / 2:
                counter += 1
                kind = "external_eye" if rng.random() < 0.6 else "scanned_paper"
                photos.append(self._photo(exam, state, seq, counter, kind))
        self._add_duplicates(exam, photos)
        return photos

    def _photo(
        self, exam: ExamPlan, state: EyeState, seq: int, counter: int, defect: str | None
    ) -> PhotoPlan:
        inst, rng = self.inst, self.rng
        spec = PhotoSpec(
            seed=int(rng.integers(0, 2**31 - 1)),
            state=state,
            camera=inst.camera,
            fundus_tone=self.tone,
            defect=defect,
            overlay=_overlay(inst, exam),
        )
        fmt = inst.extension.lower().replace("jpeg", "jpg")
        source = _photo_source(inst, exam, state.eye, seq, counter)
        dicom = _dicom_header(inst, exam, state.eye, rng) if fmt == "dcm" else None
        output = Output(
            source, fmt, inst.camera.jpeg_quality, file_defect=self._file_defect(), dicom=dicom
        )
        return PhotoPlan(inst.institution_id, exam.exam_id, state.eye, seq, spec, [output])

    def _add_duplicates(self, exam: ExamPlan, photos: list[PhotoPlan]) -> None:
        inst, rng = self.inst, self.rng
        next_seq = {
            eye: max((p.seq for p in photos if p.eye == eye), default=0) + 1 for eye in ("OD", "OS")
        }
        counter = len(photos)
        for photo in list(photos):
            original = photo.outputs[0]
            if photo.spec.defect is not None or original.file_defect is not None:
                continue
            rates = self.rates
            for kind, rate in (("duplicate_exact", rates.duplicate_exact),
                               ("duplicate_reencoded", rates.duplicate_reencoded)):  # fmt: skip
                if rng.random() >= rate:
                    continue
                counter += 1
                seq = next_seq[photo.eye]
                next_seq[photo.eye] += 1
                source = _photo_source(inst, exam, photo.eye, seq, counter)
                quality = (
                    original.quality
                    if kind == "duplicate_exact"
                    else max(50, original.quality - 25)
                )
                photo.outputs.append(
                    Output(source, original.fmt, quality, kind=kind, dicom=original.dicom)
                )


def plan_archive(config: DemoArchiveConfig) -> ArchivePlan:
    """Plan the whole synthetic archive, deterministically from ``config.seed``."""
    root = np.random.default_rng(config.seed)
    sizes = institution_sizes(config.n_exams, config.n_institutions, config.size_skew)
    institutions = [_institution(i + 1, config, _child(root)) for i in range(config.n_institutions)]
    span = (_LAST_DATE - _FIRST_DATE).days
    shared: list[tuple[str, Person, tuple[EyeState, EyeState]]] = []
    for inst, size in zip(institutions, sizes, strict=True):
        rng = _child(root)
        planner = _PhotoPlanner(inst, config, rng)
        for number in range(1, size + 1):
            exam_date = _FIRST_DATE + dt.timedelta(days=int(rng.integers(0, span)))
            person = make_person(rng)
            age = exam_date.year - person.birth_date.year
            eyes = sample_eyes(rng, config.prevalence, age)
            if len(shared) < config.cross_institution_patients and rng.random() < 0.3:
                shared.append((inst.institution_id, person, eyes))
            exam = _exam(inst, number, person, exam_date, eyes, config, rng)
            inst.exams.append(exam)
            if exam.status != "report_without_images":
                inst.photos.extend(planner.plan(exam))
    _add_cross_institution_visits(institutions, shared, config, _child(root))
    plan = ArchivePlan(config, institutions)
    logger.info(
        "Planned %d institutions, %d exams, %d photos",
        len(institutions), sum(len(i.exams) for i in institutions), len(plan.photos),
    )  # fmt: skip
    return plan


def _exam(
    inst: InstitutionPlan,
    number: int,
    person: Person,
    exam_date: dt.date,
    eyes: tuple[EyeState, EyeState],
    config: DemoArchiveConfig,
    rng: np.random.Generator,
    messy: bool = True,
) -> ExamPlan:
    patient_id = _patient_id(inst, rng)
    report, phi = write_report(
        inst.style, eyes, person, make_doctor_name(rng), exam_date, patient_id, rng
    )
    exam = ExamPlan(
        inst.institution_id,
        _exam_id(inst, number),
        patient_id,
        person,
        exam_date,
        eyes,
        report,
        phi,
    )
    rates = config.record_rates
    draw = rng.random() if messy else 1.0
    for status, p in (("report_without_images", rates.report_without_images),
                      ("images_without_report", rates.images_without_report),
                      ("empty_report", rates.empty_report)):  # fmt: skip
        if draw < p:
            exam.status = status
            break
        draw -= p
    if exam.status == "empty_report":
        exam.report, exam.phi = str(rng.choice(["", " ", "\u3000"])), ()
    exam.duplicate_row = messy and exam.status == "ok" and rng.random() < rates.duplicate_exam_row
    return exam


def _add_cross_institution_visits(
    institutions: list[InstitutionPlan],
    shared: list[tuple[str, Person, tuple[EyeState, EyeState]]],
    config: DemoArchiveConfig,
    rng: np.random.Generator,
) -> None:
    """The same person (same national ID) examined again at another institution."""
    if len(institutions) < 2:
        return
    span = (_LAST_DATE - _FIRST_DATE).days
    for home, person, eyes in shared:
        others = [i for i in institutions[:20] if i.institution_id != home]
        inst = others[int(rng.integers(0, len(others)))]
        exam_date = _FIRST_DATE + dt.timedelta(days=int(rng.integers(0, span)))
        exam = _exam(inst, len(inst.exams) + 1, person, exam_date, eyes, config, rng, messy=False)
        inst.exams.append(exam)
        inst.photos.extend(_PhotoPlanner(inst, config, rng).plan(exam))
