"""A contact sheet of the benchmark stand-ins: each set's camera and classes at a glance.

``python -m revision_pipeline.synth.standins.contact_sheet --out docs/standins_sheet.jpg``
plans the default stand-ins, picks a few photos of different classes from each, renders
them and writes a labelled grid (one row per stand-in, frames kept as their camera
makes them).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from revision_pipeline.synth.standins.config import BenchmarksConfig
from revision_pipeline.synth.standins.export import plan_standins
from revision_pipeline.synth.standins.model import StandInPhoto, StandInSet
from revision_pipeline.synth.standins.render import render_standin

logger = logging.getLogger(__name__)

_TILE = 300
_LABEL = 34


def _label(photo: StandInPhoto) -> str:
    if photo.label is None:
        return photo.note or "unlabelled"
    return "+".join(photo.label) if isinstance(photo.label, tuple) else photo.label


def pick(standin: StandInSet, n: int = 5) -> list[StandInPhoto]:
    """Up to ``n`` written photos of different labels, rarest labels first."""
    photos = [p for p in standin.photos if p.written]
    counts: dict[str, int] = {}
    for p in photos:
        counts[_label(p)] = counts.get(_label(p), 0) + 1
    chosen: list[StandInPhoto] = []
    for label in sorted(counts, key=lambda k: (counts[k], k)):
        chosen.append(next(p for p in photos if _label(p) == label))
    normal = [p for p in chosen if _label(p) in ("0", "N", "normal")]
    return (normal + [p for p in chosen if p not in normal])[:n]


def render_sheet(sets: list[StandInSet], columns: int = 5) -> Image.Image:
    """One row per stand-in, ``columns`` photos each, captioned with set and label."""
    sheet = Image.new("RGB", (columns * _TILE, len(sets) * (_TILE + _LABEL)), "white")
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.load_default(size=14)
    for row, standin in enumerate(sets):
        for col, photo in enumerate(pick(standin, columns)):
            image = render_standin(photo, standin.camera)
            h, w = image.shape[:2]
            scale = (_TILE - 6) / max(h, w)
            tile = cv2.resize(image, (round(w * scale), round(h * scale)), cv2.INTER_AREA)
            canvas = np.full((_TILE, _TILE, 3), 255, np.uint8)
            oy, ox = (_TILE - tile.shape[0]) // 2, (_TILE - tile.shape[1]) // 2
            canvas[oy : oy + tile.shape[0], ox : ox + tile.shape[1]] = tile
            x, y = col * _TILE, row * (_TILE + _LABEL)
            sheet.paste(Image.fromarray(canvas), (x, y))
            caption = f"{standin.name}: {_label(photo)}  {w}x{h} {photo.path.rsplit('.', 1)[-1]}"
            draw.text((x + 4, y + _TILE + 4), caption, fill="black", font=font)
    return sheet


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/standins_sheet.jpg"))
    parser.add_argument("--seed", type=int, default=BenchmarksConfig().seed)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    sets = plan_standins(BenchmarksConfig(seed=args.seed))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    render_sheet(sets).save(args.out, quality=85)
    logger.info("Wrote %s", args.out)


if __name__ == "__main__":
    main()
