"""Validated parameters of the synthetic benchmark stand-ins (``demo_archive.benchmarks``).

Each stand-in has its own camera profile: the *shifted domain* that the benchmark
photos come from, unlike any camera of the synthetic archive (whose casts stay within
±15% per channel, vignetting ≤ 0.5, 4:3 or square frames of 1024–2048 px, mostly JPEG).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CameraProfile(_Strict):
    """How one benchmark's photos look: frame, field of view, colour, file format."""

    #: frame heights in pixels, one drawn per photo
    heights: tuple[int, ...] = Field((640,), min_length=1)
    #: frame width / height, one drawn per photo
    aspects: tuple[float, ...] = Field((1.5,), min_length=1)
    #: visible fraction of the field's diameter, top to bottom (< 1: the circle is cut
    #: flat at the top and bottom, as on many wide-frame cameras), a range
    field_crop: tuple[float, float] = (1.0, 1.0)
    #: per-channel RGB gain (mean), and the s.d. of its per-photo jitter
    cast: tuple[float, float, float] = (1.0, 1.0, 1.0)
    cast_jitter: float = Field(0.03, ge=0, le=0.3)
    #: vignetting range, 0 (none) .. 1 (strong)
    vignetting: tuple[float, float] = (0.3, 0.3)
    #: tone curve: output = brightness * input ** gamma
    gamma: float = Field(1.0, gt=0.3, lt=3.0)
    brightness: float = Field(1.0, gt=0.3, lt=2.0)
    #: Beta(a, b) of fundus pigmentation (0 blond .. 1 dark): the population photographed
    tone: tuple[float, float] = (2.5, 2.5)
    format: Literal["png", "jpg", "tif"] = "jpg"
    quality: int = Field(90, ge=40, le=100)

    @model_validator(mode="after")
    def _ranges(self) -> CameraProfile:
        if any(not 64 <= h <= 4096 for h in self.heights):
            raise ValueError(f"heights must lie in 64..4096, got {list(self.heights)}")
        if any(not 0.75 <= a <= 2.0 for a in self.aspects):
            raise ValueError(f"aspects must lie in 0.75..2.0, got {list(self.aspects)}")
        lo, hi = self.field_crop
        if not 0.6 <= lo <= hi <= 1.0:
            raise ValueError(f"field_crop must be a range within 0.6..1.0, got {[lo, hi]}")
        lo, hi = self.vignetting
        if not 0 <= lo <= hi <= 1:
            raise ValueError(f"vignetting must be a range within 0..1, got {[lo, hi]}")
        if any(not 0.5 <= c <= 1.5 for c in self.cast):
            raise ValueError(f"cast gains must lie in 0.5..1.5, got {list(self.cast)}")
        if any(t <= 0 for t in self.tone):
            raise ValueError(f"tone needs two positive Beta parameters, got {list(self.tone)}")
        return self


class StandInConfig(_Strict):
    """One stand-in: how many photos per split, its oddities and its camera.

    ``splits`` maps the split name to a number of photos (for ``odir5k``, of patients:
    each has two photos); ``all`` for the sets whose publisher defines no split
    (``messidor2``, ``odir5k``). Only the splits named are written.
    """

    enabled: bool = True
    splits: dict[Literal["train", "val", "test", "all"], int]
    #: photos listed in the label file but absent on disk
    missing_files: int = Field(1, ge=0)
    #: set-specific oddities: messidor2 ungradable rows (empty grade), odir5k eyes with
    #: ``lens dust`` among their keywords, aptos2019 unlabelled ``test.csv`` photos,
    #: imagefolder_demo files with an upper-case ``.JPG`` extension
    odd: int = Field(0, ge=0)
    camera: CameraProfile = CameraProfile()

    @model_validator(mode="after")
    def _sizes(self) -> StandInConfig:
        if any(n < 0 for n in self.splits.values()):
            raise ValueError(f"split sizes must be >= 0, got {dict(self.splits)}")
        if self.enabled and sum(self.splits.values()) == 0:
            raise ValueError("an enabled stand-in needs at least one photo")
        return self


def _default_sets() -> dict[str, StandInConfig]:
    cp = CameraProfile
    return {
        # APTOS-2019 (Aravind, India): many clinics; wide frames, a field cut flat at top and
        # bottom, warm cast, strong vignetting, PNG, darkly pigmented fundi.
        "aptos2019": StandInConfig(
            splits={"train": 280},
            missing_files=2,
            odd=10,
            camera=cp(
                heights=(576, 640, 704),
                aspects=(1.5, 1.33),
                field_crop=(0.82, 0.95),
                cast=(1.10, 0.95, 0.78),
                cast_jitter=0.05,
                vignetting=(0.55, 0.9),
                gamma=0.9,
                tone=(3.5, 2.0),
                format="png",
            ),
        ),
        # Messidor-2 (France, Topcon TRC NW6): full circle on a 3:2 frame, reddish, dim, PNG.
        "messidor2": StandInConfig(
            splits={"all": 180},
            missing_files=1,
            odd=4,
            camera=cp(
                heights=(576,),
                aspects=(1.5,),
                field_crop=(1.0, 1.0),
                cast=(1.12, 0.88, 0.85),
                cast_jitter=0.02,
                vignetting=(0.2, 0.35),
                gamma=1.1,
                brightness=0.88,
                tone=(2.0, 3.0),
                format="png",
            ),
        ),
        # IDRiD (India, Kowa VX-10α, 4288×2848 JPEG): here 960×640, strongly orange.
        "idrid": StandInConfig(
            splits={"train": 112, "test": 28},
            missing_files=1,
            camera=cp(
                heights=(640,),
                aspects=(1.5,),
                field_crop=(0.9, 0.94),
                cast=(1.18, 0.90, 0.68),
                cast_jitter=0.02,
                vignetting=(0.6, 0.8),
                gamma=0.95,
                tone=(4.0, 2.0),
                format="jpg",
                quality=92,
            ),
        ),
        # ODIR-5K (China, several camera makes): mixed frames and casts, JPEG.
        "odir5k": StandInConfig(
            splits={"all": 150},
            missing_files=1,
            odd=6,
            camera=cp(
                heights=(512, 576, 640),
                aspects=(1.0, 1.33, 1.5),
                field_crop=(0.9, 1.0),
                cast=(1.02, 0.96, 0.92),
                cast_jitter=0.09,
                vignetting=(0.1, 0.7),
                tone=(2.5, 2.5),
                format="jpg",
                quality=85,
            ),
        ),
        # RFMiD (India; Topcon and Kowa): 3:2 and 4:3 frames, PNG, orange-brown.
        "rfmid": StandInConfig(
            splits={"train": 120, "val": 40, "test": 40},
            missing_files=1,
            camera=cp(
                heights=(576, 640),
                aspects=(1.5, 1.33),
                field_crop=(0.95, 1.0),
                cast=(1.08, 0.86, 0.74),
                cast_jitter=0.03,
                vignetting=(0.4, 0.6),
                tone=(3.0, 2.0),
                format="png",
            ),
        ),
        # A RETFound-style class-folder set: small square JPEGs with a cool cast.
        "imagefolder_demo": StandInConfig(
            splits={"train": 70, "val": 20, "test": 30},
            missing_files=0,
            odd=3,
            camera=cp(
                heights=(512,),
                aspects=(1.0,),
                field_crop=(1.0, 1.0),
                cast=(0.94, 1.02, 1.12),
                cast_jitter=0.02,
                vignetting=(0.15, 0.25),
                gamma=1.1,
                tone=(2.0, 2.0),
                format="jpg",
                quality=90,
            ),
        ),
    }


class BenchmarksConfig(_Strict):
    """Parameters of the synthetic benchmark stand-ins written by ``demo_archive``."""

    #: seed of the stand-ins' own random stream (mixed with a salt: even the archive's seed
    #: would give other photos than the archive's)
    seed: int = 20260101
    #: every class of a stand-in gets at least this many photos (rare grades included)
    min_per_class: int = Field(4, ge=0)
    #: processes used to render photos; 0 means one per CPU core
    workers: int = Field(0, ge=0)
    #: multiplies every split size (at least one photo per split named), e.g. 0.05 for a
    #: quick end-to-end test; oddities and missing files keep their counts
    scale: float = Field(1.0, gt=0, le=50)
    sets: dict[str, StandInConfig] = Field(default_factory=_default_sets)

    def scaled(self, name: str) -> StandInConfig:
        """The stand-in ``name`` with its split sizes multiplied by ``scale``."""
        cfg = self.sets[name]
        if self.scale == 1.0:
            return cfg
        splits = {k: max(1, round(n * self.scale)) if n else 0 for k, n in cfg.splits.items()}
        return cfg.model_copy(update={"splits": splits})

    @field_validator("sets", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """Keys given override the stand-in's defaults key by key (``splits`` as a whole)."""
        if not isinstance(value, dict):
            return value
        defaults = {k: v.model_dump() for k, v in _default_sets().items()}
        merged = dict(defaults)
        for name, given in value.items():
            if isinstance(given, StandInConfig):
                given = given.model_dump()
            merged[name] = _deep_merge(defaults.get(name, {}), given)
            if isinstance(given, dict) and "splits" in given:  # the splits named, no others
                merged[name]["splits"] = given["splits"]
        return merged

    @model_validator(mode="after")
    def _known_sets(self) -> BenchmarksConfig:
        from revision_pipeline.synth.standins.sets import STANDINS

        unknown = sorted(set(self.sets) - set(STANDINS))
        if unknown:
            raise ValueError(f"unknown stand-in(s) {unknown}; expected some of {sorted(STANDINS)}")
        for name, cfg in self.sets.items():
            bad = sorted(set(cfg.splits) - set(STANDINS[name].splits))
            if bad:
                raise ValueError(
                    f"sets.{name}.splits: its layout has splits {list(STANDINS[name].splits)}, "
                    f"not {bad}"
                )
            if cfg.missing_files and not STANDINS[name].label_files:
                raise ValueError(
                    f"sets.{name}.missing_files: a class-folder set has no label file that "
                    "could list a missing photo; set it to 0"
                )
        return self


def _deep_merge(base: dict[str, Any], over: Any) -> Any:
    if not isinstance(over, dict):
        return over
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        out[key] = _deep_merge(old, value) if isinstance(old, dict) else value
    return out
