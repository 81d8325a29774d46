"""A contact sheet of demo photographs, so a person can judge realism at a glance.

``python -m revision_pipeline.synth.contact_sheet --out docs/contact_sheet.png`` plans
the default demo archive, picks 24 photographs that cover every finding and the
visual defects, renders them and writes a labelled PNG grid.
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from revision_pipeline.synth.config import DemoArchiveConfig
from revision_pipeline.synth.fundus import render_photo
from revision_pipeline.synth.plan import PhotoPlan, plan_archive
from revision_pipeline.synth.spec import FINDINGS

logger = logging.getLogger(__name__)

_TILE = 320
_LABEL = 36


def pick_photos(photos: list[PhotoPlan], n: int = 24) -> list[PhotoPlan]:
    """Photos covering every finding, grade and defect first, then the most diseased."""
    chosen: list[PhotoPlan] = []
    wanted = [f for f in FINDINGS if f != "normal"] + ["normal", "normal"]
    for code in wanted:
        for photo in photos:
            if photo in chosen or photo.spec.defect is not None:
                continue
            if code in photo.spec.state.codes:
                chosen.append(photo)
                break
    defects = ("blur", "underexposed", "overexposed", "small_pupil", "lid_artefact",
               "external_eye", "scanned_paper")  # fmt: skip
    for defect in defects:
        match = next((p for p in photos if p.spec.defect == defect and p not in chosen), None)
        if match is not None:
            chosen.append(match)
    overlay = next(
        (p for p in photos if p.spec.overlay and p.spec.defect is None and p not in chosen), None
    )
    if overlay is not None:
        chosen.append(overlay)
    rest = sorted(
        (p for p in photos if p not in chosen and p.spec.defect is None),
        key=lambda p: -len(p.spec.state.codes),
    )
    return (chosen + rest)[:n]


_SHORT = {"glaucoma": "glauc", "pathologic_myopia": "myopia", "hypertensive_retinopathy": "HTN-ret"}


def _caption(photo: PhotoPlan) -> str:
    codes = ",".join(_SHORT.get(c, c) for c in photo.spec.state.codes)
    text = f"{photo.eye} {codes}"
    if photo.spec.defect:
        text += f" [{photo.spec.defect}]"
    if photo.spec.overlay:
        text += " [overlay]"
    return text


def render_sheet(photos: list[PhotoPlan], columns: int = 6, side: int = 1024) -> Image.Image:
    """Render the photos at ``side`` px (camera character kept) into a labelled grid."""
    rows = (len(photos) + columns - 1) // columns
    sheet = Image.new("RGB", (columns * _TILE, rows * (_TILE + _LABEL)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    for i, photo in enumerate(photos):
        spec = replace(photo.spec, camera=replace(photo.spec.camera, side=side))
        image = render_photo(spec)
        h, w = image.shape[:2]
        scale = _TILE / max(h, w)
        tile = cv2.resize(image, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
        x, y = (i % columns) * _TILE, (i // columns) * (_TILE + _LABEL)
        canvas = np.zeros((_TILE, _TILE, 3), np.uint8)
        oy, ox = (_TILE - tile.shape[0]) // 2, (_TILE - tile.shape[1]) // 2
        canvas[oy : oy + tile.shape[0], ox : ox + tile.shape[1]] = tile
        sheet.paste(Image.fromarray(canvas), (x, y))
        draw.text((x + 4, y + _TILE + 4), _caption(photo), fill="black", font=font)
    return sheet


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/contact_sheet.png"))
    parser.add_argument("--seed", type=int, default=DemoArchiveConfig().seed)
    parser.add_argument("--n", type=int, default=24)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    plan = plan_archive(DemoArchiveConfig(seed=args.seed))
    sheet = render_sheet(pick_photos(plan.photos, args.n))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    logger.info("Wrote %s", args.out)


if __name__ == "__main__":
    main()
