"""Deterministic patient-level train/val/test splits, and external cohorts."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SplitConfig(BaseModel):
    """Fractions of patients per split; institutions held out whole as external cohorts."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    val: float = Field(0.1, ge=0, lt=1)
    test: float = Field(0.1, ge=0, lt=1)
    salt: str = "revision-split-v1"
    external_institutions: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _fractions(self) -> SplitConfig:
        if self.val + self.test >= 1:
            raise ValueError(f"val + test must be below 1, got {self.val + self.test}")
        return self


def _unit(value: str, salt: str) -> float:
    digest = hashlib.blake2b(f"{salt}:{value}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def assign_split(patient_pid: str, config: SplitConfig) -> str:
    """``train``, ``val`` or ``test`` for one patient pseudonym; stable across runs and sites."""
    u = _unit(patient_pid, config.salt)
    if u < config.test:
        return "test"
    if u < config.test + config.val:
        return "val"
    return "train"


def assign_splits(
    patient_pids: Iterable[str], institution_ids: Iterable[str], config: SplitConfig
) -> list[str]:
    """Split per row, by patient pseudonym; held-out institutions go to ``test`` whole.

    The contract (docs/contracts.md §5) knows three splits, so an external cohort is the ``test``
    rows of its institutions (``config.external_institutions``). A patient of a held-out
    institution who was also seen elsewhere is ``test`` everywhere, so no patient is in
    two splits.
    """
    pids = list(patient_pids)
    insts = list(institution_ids)
    held_out = set(config.external_institutions)
    external_patients = {p for p, i in zip(pids, insts, strict=True) if i in held_out}
    return ["test" if p in external_patients else assign_split(p, config) for p in pids]
