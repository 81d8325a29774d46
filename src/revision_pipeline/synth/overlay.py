"""Camera text overlays (patient name, date, ID) burned into the frame corners.

Fundus cameras print such text outside the circular field. Chinese strings need a
CJK-capable font: one is looked up with fontconfig (``fc-list :lang=zh``) and in the
usual Debian paths (package ``fonts-wqy-microhei`` or ``fonts-noto-cjk``). Without
one, non-ASCII characters are dropped (with a warning) and the rest is written with a
Latin font.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

logger = logging.getLogger(__name__)

_CJK_CANDIDATES = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
)
_LATIN_CANDIDATES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",)
_COLOURS = ((255, 255, 255), (255, 235, 60), (240, 240, 200))


@lru_cache(maxsize=1)
def find_cjk_font() -> Path | None:
    """Path of a font that covers Chinese, or None when the machine has none."""
    if shutil.which("fc-list"):
        try:
            out = subprocess.run(
                ["fc-list", ":lang=zh", "file"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            out = ""
        for line in sorted(out.splitlines()):
            path = Path(line.split(":")[0].strip())
            if path.suffix.lower() in {".ttf", ".ttc", ".otf"} and path.is_file():
                return path
    for cand in _CJK_CANDIDATES:
        if Path(cand).is_file():
            return Path(cand)
    return None


@lru_cache(maxsize=32)
def _font(size: int, cjk: bool) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = find_cjk_font() if cjk else None
    if path is None:
        path = next((Path(p) for p in _LATIN_CANDIDATES if Path(p).is_file()), None)
    if path is not None:
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


@lru_cache(maxsize=1)
def _warn_no_cjk() -> None:
    logger.warning(
        "no CJK font found (fc-list :lang=zh); non-ASCII overlay text is dropped. "
        "Install fonts-wqy-microhei to burn Chinese names into the photos."
    )


def _printable(text: str) -> tuple[str, bool]:
    """Text to draw and whether it needs the CJK font."""
    if text.isascii():
        return text, False
    if find_cjk_font() is not None:
        return text, True
    _warn_no_cjk()
    return "".join(ch for ch in text if ch.isascii()).strip(), False


def _glyphs(text: str, size: int, cjk: bool) -> np.ndarray:
    """Anti-aliased text as a uint8 coverage patch."""
    font = _font(size, cjk)
    x0, y0, x1, y1 = font.getbbox(text)
    patch = Image.new("L", (max(1, x1 - x0 + 2), max(1, y1 - y0 + 2)), 0)
    ImageDraw.Draw(patch).text((1 - x0, 1 - y0), text, fill=255, font=font)
    return np.asarray(patch)


def _outside(box: tuple[int, int, int, int], circle: tuple[float, float, float], frame_hw) -> bool:
    """True if the rectangle lies in the frame and fully outside the field circle."""
    x0, y0, x1, y1 = box
    h, w = frame_hw
    if x0 < 0 or y0 < 0 or x1 > w or y1 > h:
        return False
    cx, cy, r = circle
    nx, ny = min(max(cx, x0), x1), min(max(cy, y0), y1)
    return float(np.hypot(nx - cx, ny - cy)) > r + 2


def burn_overlay(
    frame: np.ndarray,
    texts: tuple[str, ...] | list[str],
    circle: tuple[float, float, float],
    rng: np.random.Generator,
) -> np.ndarray:
    """Write ``texts`` into the corners of ``frame`` (in place), outside ``circle``.

    Strings go to the corners in turn (top-left, top-right, bottom-left, bottom-right),
    stacked; the font shrinks until a line fits outside the field, and a line that does
    not fit at all is left out.

    Args:
        frame: (H, W, 3) uint8 image, changed in place.
        texts: strings to print, Chinese allowed.
        circle: centre x, centre y, radius of the circular field in frame pixels.
        rng: picks the text colour.

    Returns:
        The same ``frame``.
    """
    h, w = frame.shape[:2]
    colour = np.array(_COLOURS[int(rng.integers(len(_COLOURS)))], np.float32) / 255.0
    margin = max(2, h // 100)
    used = [0, 0, 0, 0]  # pixels already stacked per corner
    for i, raw in enumerate(texts):
        text, cjk = _printable(str(raw))
        if not text:
            continue
        corner = i % 4
        size = max(9, h // 40)
        while size >= 8:
            patch = _glyphs(text, size, cjk)
            ph, pw = patch.shape
            y = margin + used[corner] if corner < 2 else h - margin - used[corner] - ph
            x = margin if corner % 2 == 0 else w - margin - pw
            if _outside((x, y, x + pw, y + ph), circle, (h, w)):
                region = frame[y : y + ph, x : x + pw]
                ink = patch.astype(np.float32)[..., None] * colour
                np.maximum(region, ink.astype(np.uint8), out=region)
                used[corner] += int(ph * 1.35)
                break
            size = int(size * 0.85)
        else:
            logger.debug("overlay text %r does not fit outside the field; left out", raw)
    return frame
