"""Decode fundus photographs (JPEG, PNG, TIFF, BMP, DICOM) into RGB ``uint8`` arrays.

JPEGs are decoded with DCT scaling: a camera frame of 2048x1536 is decoded at 1/2, 1/4
or 1/8 of its size when the caller only needs a small crop, which is several times
faster than a full decode. The decoder is libjpeg-turbo through ``simplejpeg``, which
writes straight into the numpy array (Pillow's ``np.asarray`` copies the frame once
more, about 2 ms of the ~9 ms a camera frame takes); the pixels are the same as
Pillow's (:meth:`PIL.Image.Image.draft` at the same power-of-two scale, same IDCT).
Anything ``simplejpeg`` declines (CMYK, a truncated or damaged stream) goes through
Pillow, whose errors name the reason.
"""

from __future__ import annotations

import io
import logging
import math
from pathlib import Path

import numpy as np
import simplejpeg
from PIL import Image, UnidentifiedImageError

logger = logging.getLogger(__name__)

#: Extensions decoded through Pillow.
PIL_EXTENSIONS: frozenset[str] = frozenset({".jpg", ".jpeg", ".png", ".tif", ".tiff", ".bmp"})
#: Extensions decoded through pydicom.
DICOM_EXTENSIONS: frozenset[str] = frozenset({".dcm", ".dicom"})
SUPPORTED_EXTENSIONS: frozenset[str] = PIL_EXTENSIONS | DICOM_EXTENSIONS

#: The field of view of a fundus camera spans at least this fraction of the frame's
#: short side; used to choose the JPEG draft scale without knowing the disc yet.
MIN_FOV_FRACTION = 0.8


class ImageReadError(Exception):
    """An image file could not be decoded.

    Attributes:
        path: The file (or ``"<bytes>"`` for in-memory data).
        reason: A short machine-readable reason: ``zero_byte``, ``truncated``,
            ``unsupported``, ``corrupt`` or ``not_found``.
    """

    def __init__(self, path: Path | str, reason: str, detail: str = "") -> None:
        self.path = str(path)
        self.reason = reason
        self.detail = detail
        msg = f"cannot read image {self.path}: {reason}"
        super().__init__(f"{msg} ({detail})" if detail else msg)


def _is_dicom(data: bytes, suffix: str) -> bool:
    return suffix in DICOM_EXTENSIONS or (len(data) >= 132 and data[128:132] == b"DICM")


def load_image(source: Path | str | bytes, min_side: int | None = None) -> np.ndarray:
    """Decode an image file into an RGB ``uint8`` array of shape ``(H, W, 3)``.

    Args:
        source: A path, or the file's bytes.
        min_side: The smallest side (in pixels) the fundus field of view must keep
            after decoding, e.g. the output crop side. JPEGs are then decoded at the
            smallest DCT scale whose frame still leaves the field that large; ``None``
            decodes at full size. Other formats are always decoded at full size.

    Returns:
        The image, RGB, ``uint8``; grayscale sources are replicated to three channels.

    Raises:
        ImageReadError: When the file is missing, empty, truncated, corrupt or of an
            unsupported kind.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        data, name, suffix = bytes(source), "<bytes>", ""
    else:
        path = Path(source)
        name, suffix = str(path), path.suffix.lower()
        if suffix and suffix not in SUPPORTED_EXTENSIONS:
            raise ImageReadError(path, "unsupported", f"extension {suffix!r}")
        try:
            data = path.read_bytes()
        except FileNotFoundError as exc:
            raise ImageReadError(path, "not_found") from exc
        except OSError as exc:
            raise ImageReadError(path, "unreadable", str(exc)) from exc
    return decode_image(data, name, suffix, min_side)[0]


def decode_image(
    data: bytes, name: str = "<bytes>", suffix: str = "", min_side: int | None = None
) -> tuple[np.ndarray, tuple[int, int]]:
    """Decode file bytes; like :func:`load_image` but also returns the original size.

    Args:
        data: The file's bytes.
        name: Shown in errors (the file's path).
        suffix: The file's lower-case extension (``.dcm`` forces DICOM).
        min_side: See :func:`load_image`.

    Returns:
        ``(rgb, (width, height))`` where the size is the frame's size before any DCT
        scaling.
    """
    if not data:
        raise ImageReadError(name, "zero_byte")
    if _is_dicom(data, suffix):
        arr = _load_dicom(data, name)
        return arr, (arr.shape[1], arr.shape[0])
    if data[:3] == b"\xff\xd8\xff":
        fast = _load_jpeg_fast(data, min_side)
        if fast is not None:
            return fast
    return _load_pil(data, name, min_side)


def _draft_scale(size: tuple[int, int], request: tuple[int, int]) -> int:
    """The power-of-two DCT reduction Pillow's ``draft`` picks for ``request``."""
    scale = min(size[0] // max(1, request[0]), size[1] // max(1, request[1]))
    return next(s for s in (8, 4, 2, 1) if scale >= s)


def _load_jpeg_fast(data: bytes, min_side: int | None) -> tuple[np.ndarray, tuple[int, int]] | None:
    """Decode a plain (grey or YCbCr) JPEG with libjpeg-turbo; ``None`` to use Pillow."""
    try:
        h, w, colorspace, _ = simplejpeg.decode_jpeg_header(data)
        if colorspace not in {"Gray", "YCbCr", "RGB"}:
            return None
        s = 1 if min_side is None else _draft_scale((w, h), _draft_size((w, h), min_side))
        want = (-(-w // s), -(-h // s))
        arr = simplejpeg.decode_jpeg(
            data, colorspace="RGB", min_factor=s, min_width=want[0], min_height=want[1]
        )
    except ValueError:  # damaged or unusual stream: Pillow decides and names the reason
        return None
    if arr.shape[:2] != (want[1], want[0]):
        logger.debug("simplejpeg decoded %s, expected %s: using Pillow", arr.shape, want)
        return None
    return arr, (w, h)


def _draft_size(size: tuple[int, int], min_side: int) -> tuple[int, int]:
    """Requested draft size so that the frame's short side keeps the field >= min_side."""
    w, h = size
    need = min_side / MIN_FOV_FRACTION
    scale = min(1.0, need / min(w, h))
    return max(1, math.ceil(w * scale)), max(1, math.ceil(h * scale))


def _load_pil(data: bytes, name: str, min_side: int | None) -> tuple[np.ndarray, tuple[int, int]]:
    try:
        im = Image.open(io.BytesIO(data))
        size = im.size
        if min_side is not None and im.format == "JPEG":
            im.draft("RGB", _draft_size(im.size, min_side))
        im.load()
    except UnidentifiedImageError as exc:
        raise ImageReadError(name, "unsupported", "not a recognised image format") from exc
    except Image.DecompressionBombError as exc:
        raise ImageReadError(name, "too_large", str(exc)) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        msg = str(exc)
        reason = "truncated" if "truncat" in msg.lower() or isinstance(exc, EOFError) else "corrupt"
        raise ImageReadError(name, reason, msg) from exc
    return _to_rgb8(im, name), size


def _to_rgb8(im: Image.Image, name: str) -> np.ndarray:
    if im.mode == "RGB":
        return np.asarray(im)
    if im.mode in {"L", "P", "RGBA", "LA", "CMYK", "YCbCr", "1", "PA", "RGBX"}:
        return np.asarray(im.convert("RGB"))
    # 16-bit / 32-bit / float grayscale (common in TIFF exports)
    arr = np.asarray(im)
    if arr.ndim == 2 or (arr.ndim == 3 and arr.shape[2] in (1, 3, 4)):
        return _gray_or_rgb_to_rgb8(arr)
    raise ImageReadError(name, "unsupported", f"pixel mode {im.mode!r}")


def _rescale_to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    arr = arr.astype(np.float32)
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    if lo >= 0 and hi <= 255 and np.issubdtype(arr.dtype, np.floating) and hi > 1.0:
        return np.clip(arr, 0, 255).astype(np.uint8)
    lo = min(lo, 0.0)
    return np.clip((arr - lo) * (255.0 / (hi - lo)), 0, 255).astype(np.uint8)


def _gray_or_rgb_to_rgb8(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 3 and arr.shape[2] == 4:
        arr = arr[..., :3]
    arr = _rescale_to_uint8(arr)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    return np.ascontiguousarray(arr)


def _load_dicom(data: bytes, name: str) -> np.ndarray:
    import pydicom
    from pydicom.pixels import apply_color_lut, pixel_array

    try:
        ds = pydicom.dcmread(io.BytesIO(data), force=True)
        if "PixelData" not in ds:
            raise ImageReadError(name, "unsupported", "DICOM without pixel data")
        # as_rgb converts YBR_FULL / YBR_FULL_422 (raw or JPEG-decoded) to RGB;
        # index=0 decodes only the first frame of a multi-frame object.
        frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
        arr = pixel_array(ds, index=0 if frames > 1 else None, as_rgb=True, raw=False)
    except ImageReadError:
        raise
    except Exception as exc:  # pydicom raises many types for broken files
        msg = str(exc)
        reason = (
            "truncated"
            if any(k in msg.lower() for k in ("truncat", "end of", "short"))
            else "corrupt"
        )
        raise ImageReadError(name, reason, f"DICOM: {msg}") from exc
    photometric = str(getattr(ds, "PhotometricInterpretation", "")).upper()
    if photometric == "PALETTE COLOR":
        arr = apply_color_lut(arr, ds)
    elif photometric == "MONOCHROME1":
        arr = _rescale_to_uint8(arr)
        arr = 255 - arr
    return _gray_or_rgb_to_rgb8(np.asarray(arr))
