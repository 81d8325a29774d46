"""The curation funnel: per institution and stage, items in, kept, rejected per reason."""

from __future__ import annotations

import pandas as pd

from revision_pipeline.imaging.laterality import MIN_OFFSET, eye_from_disc
from revision_pipeline.imaging.quality import thresholds_for

#: Stages in the order items pass them.
STAGES: tuple[str, ...] = ("ingest", "read", "quality", "dedup", "pairing")


def reason_family(reason: str) -> str:
    """The reason a funnel counts a rejected item under: one per item, so the counts of
    a stage add up to its rejections.

    ``unreadable: truncated`` -> ``unreadable``; a quality rejection counts under its
    first (most important) reason, ``quality: blurred; underexposed`` -> ``blurred``; a
    photo without a visible disc under what it was instead, ``no_fov; no_fundus`` ->
    ``no_fundus`` (``no_fov; underexposed`` -> ``underexposed``).
    """
    text = reason.strip()
    if text.startswith("quality:"):
        text = text.removeprefix("quality:")
    names = [part.strip() for part in text.split(";") if part.strip()]
    if len(names) > 1 and names[0] == "no_fov":
        names = names[1:]
    first = names[0] if names else text
    return first.split(":", 1)[0].strip()


def build_funnel(found: pd.DataFrame, rejects: pd.DataFrame, kept: pd.DataFrame) -> pd.DataFrame:
    """Funnel table: one row per institution, item kind and stage.

    Args:
        found: one row per input item: ``institution_id``, ``kind`` (image or report).
        rejects: the rejects table (``institution_id, source, stage, reason``) plus ``kind``.
        kept: one row per kept image: ``institution_id``.

    Returns:
        Columns ``institution_id, kind, stage, items_in, kept, rejected`` and one
        ``rejected:<reason>`` column per reason family. For images, the last stage's
        ``kept`` equals the number of pairs, and found = kept + all rejected.
    """
    rows = []
    reasons = rejects.assign(family=rejects["reason"].map(reason_family))
    institutions = sorted(set(found["institution_id"]))
    for inst in institutions:
        for kind in ("image", "report"):
            n_in = int(((found["institution_id"] == inst) & (found["kind"] == kind)).sum())
            for stage in STAGES:
                mine = reasons[(reasons["institution_id"] == inst) & (reasons["kind"] == kind)
                               & (reasons["stage"] == stage)]  # fmt: skip
                if mine.empty and n_in == 0:
                    continue
                row = {"institution_id": inst, "kind": kind, "stage": stage, "items_in": n_in,
                       "rejected": len(mine), "kept": n_in - len(mine)}  # fmt: skip
                row.update(
                    {f"rejected:{r}": int(c) for r, c in mine["family"].value_counts().items()}
                )
                rows.append(row)
                n_in -= len(mine)
    funnel = pd.DataFrame(rows)
    if funnel.empty:
        return pd.DataFrame(
            columns=["institution_id", "kind", "stage", "items_in", "kept", "rejected"]
        )
    reason_cols = sorted(c for c in funnel.columns if c.startswith("rejected:"))
    funnel[reason_cols] = funnel[reason_cols].fillna(0).astype(int)
    return funnel[["institution_id", "kind", "stage", "items_in", "kept", "rejected", *reason_cols]]


def check_funnel(funnel: pd.DataFrame, kept: pd.DataFrame) -> None:
    """Assert the accounting invariant: images found = images kept + images rejected."""
    images = funnel[funnel["kind"] == "image"]
    for inst, rows in images.groupby("institution_id"):
        found = int(rows["items_in"].iloc[0])
        rejected = int(rows["rejected"].sum())
        n_kept = int((kept["institution_id"] == inst).sum())
        if found != n_kept + rejected:
            raise AssertionError(
                f"institution {inst}: {found} images found but {n_kept} kept + {rejected} rejected"
            )


def quality_alerts(
    rejects: pd.DataFrame,
    images_found: dict[str, int],
    max_share: float = 0.5,
    min_photos: int = 20,
) -> list[str]:
    """Warnings for institutions where one quality reason rejects most photos.

    A camera or an export the thresholds were not calibrated on (black padding around
    the disc, a dim camera, a soft lens) shows up as one reason rejecting most of a
    site's photos; each warning names the site, the reason and the parameters to check.

    Args:
        rejects: The rejects table (``institution_id, stage, reason``); quality rejects
            read ``quality: <reason>; <reason>``.
        images_found: Photos found per institution.
        max_share: Warn above this share of a site's photos.
        min_photos: Ignore sites with fewer photos.

    Returns:
        One message per (institution, reason), in institution order.
    """
    quality = rejects[rejects["stage"] == "quality"]
    alerts = []
    for inst, rows in quality.groupby("institution_id", sort=True):
        found = images_found.get(str(inst), 0)
        if found < min_photos:
            continue
        counts: dict[str, int] = {}
        for reason in rows["reason"]:
            for name in reason.split(":", 1)[-1].split(";"):
                counts[name.strip()] = counts.get(name.strip(), 0) + 1
        for name, n in sorted(counts.items()):
            if n / found > max_share:
                keys = ", ".join(f"curate.quality.{k}" for k in thresholds_for(name))
                hint = f"; check {keys} (conf/base/parameters_curate.yml)" if keys else ""
                alerts.append(
                    f"{inst}: {n} of {found} photos ({n / found:.0%}) rejected as {name}, "
                    f"more than {max_share:.0%}: its camera or export may differ from what "
                    f"the thresholds expect{hint}"
                )
    return alerts


def eye_disc_agreement(pairs: pd.DataFrame, min_offset: float = MIN_OFFSET) -> pd.DataFrame:
    """Per institution: kept photos whose disc position tells the eye, and how many of
    those contradict the eye their file name gives.

    Args:
        pairs: ``institution_id, eye, disc_offset`` per kept photo (``disc_offset`` from
            :func:`~revision_pipeline.imaging.laterality.disc_offset`, NaN if unknown).
        min_offset: Disc offsets closer to the centre than this say nothing.

    Returns:
        ``institution_id, judged, contradicted``, one row per institution with any photo.
    """
    named = pairs[pairs["eye"].isin(["OD", "OS"])]
    seen = named["disc_offset"].map(lambda v: eye_from_disc(float(v), min_offset))
    judged = seen.notna()
    table = pd.DataFrame(
        {
            "institution_id": named["institution_id"],
            "judged": judged,
            "contradicted": judged & seen.ne(named["eye"]),
        }
    )
    counts = table.groupby("institution_id", sort=True)[["judged", "contradicted"]].sum()
    return counts.astype(int).reset_index()


def laterality_alerts(
    agreement: pd.DataFrame, max_share: float = 0.5, min_photos: int = 20
) -> list[str]:
    """Warnings for institutions whose photos mostly show the disc on the wrong side.

    One photo with its disc on the unexpected side is common (a disc-centred view, a
    bright lesion); most of a site's photos that way means its export names the eyes
    the other way round, and every report would be paired with the wrong eye.

    Args:
        agreement: From :func:`eye_disc_agreement`.
        max_share: Warn above this share of a site's judged photos.
        min_photos: Ignore sites with fewer judged photos.
    """
    alerts = []
    for row in agreement.itertuples(index=False):
        if row.judged >= min_photos and row.contradicted / row.judged > max_share:
            alerts.append(
                f"{row.institution_id}: in {row.contradicted} of {row.judged} photos "
                f"({row.contradicted / row.judged:.0%}) the optic disc is on the side of the "
                "other eye (a right eye's disc shows on the viewer's right): does its export "
                "swap R and L? Check its file names and images.eye_tokens in "
                "conf/base/institutions.yml"
            )
    return alerts
