"""load_image: formats, DCT-scaled JPEG decoding, DICOM, and unreadable files."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest
from imaging_helpers import camera_frame, jpeg_bytes
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import convert_color_space
from pydicom.uid import ExplicitVRLittleEndian, JPEGBaseline8Bit, generate_uid

from revision_pipeline.imaging.io import (
    ImageReadError,
    _draft_size,
    _load_jpeg_fast,
    decode_image,
    load_image,
)


@pytest.fixture(scope="module")
def frame(small_retina: np.ndarray) -> np.ndarray:
    return camera_frame(small_retina, (2048, 1536))


def test_jpeg_full_and_draft_decode(frame: np.ndarray, tmp_path: Path) -> None:
    path = tmp_path / "a_OD.jpg"
    path.write_bytes(jpeg_bytes(frame))
    full = load_image(path)
    assert full.shape == (1536, 2048, 3) and full.dtype == np.uint8
    small = load_image(path, min_side=512)
    # 1/2 scale keeps a field of >= 512 px (the frame's short side is 768 >= 512/0.8)
    assert small.shape == (768, 1024, 3)
    smallest = load_image(path, min_side=128)
    assert smallest.shape == (192, 256, 3)
    img, size = decode_image(path.read_bytes(), str(path), ".jpg", min_side=512)
    assert size == (2048, 1536) and img.shape == (768, 1024, 3)
    # the draft decode is the same picture
    down = np.asarray(Image.fromarray(full).resize((1024, 768), Image.BILINEAR))
    assert np.abs(small.astype(int) - down.astype(int)).mean() < 4


@pytest.mark.parametrize(
    ("mode", "options"),
    [("RGB", {}), ("RGB", {"progressive": True}), ("RGB", {"subsampling": 0}), ("L", {}),
     ("CMYK", {})],
)  # fmt: skip
def test_fast_jpeg_decoder_gives_pillows_pixels(
    small_retina: np.ndarray, mode: str, options: dict[str, object]
) -> None:
    """The libjpeg-turbo path (simplejpeg) and Pillow's draft decode agree to the pixel,
    at full size and at every DCT scale; CMYK goes through Pillow."""
    buf = io.BytesIO()
    Image.fromarray(small_retina).convert(mode).save(buf, "JPEG", quality=90, **options)
    data = buf.getvalue()
    for min_side in (None, 400, 200, 100, 30):
        img, size = decode_image(data, "x.jpg", ".jpg", min_side=min_side)
        im = Image.open(io.BytesIO(data))
        if min_side is not None:
            im.draft("RGB", _draft_size(im.size, min_side))
        expected = np.asarray(im.convert("RGB"))
        assert size == small_retina.shape[1::-1]
        assert img.shape == expected.shape and np.array_equal(img, expected), (mode, min_side)
        assert (_load_jpeg_fast(data, min_side) is None) == (mode == "CMYK")


@pytest.mark.parametrize("ext", ["png", "tif", "tiff", "bmp", "jpeg"])
def test_other_formats_round_trip(small_retina: np.ndarray, tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"x.{ext}"
    Image.fromarray(small_retina).save(path)
    out = load_image(path)
    assert out.shape == small_retina.shape and out.dtype == np.uint8
    tol = 4 if ext == "jpeg" else 0
    assert np.abs(out.astype(int) - small_retina.astype(int)).mean() <= tol


def test_grayscale_and_16bit_become_rgb(tmp_path: Path) -> None:
    gray = (np.arange(64 * 64).reshape(64, 64) % 256).astype(np.uint8)
    Image.fromarray(gray).save(tmp_path / "g.png")
    out = load_image(tmp_path / "g.png")
    assert out.shape == (64, 64, 3) and np.array_equal(out[..., 0], gray)
    assert np.array_equal(out[..., 0], out[..., 2])
    g16 = (np.arange(64 * 64).reshape(64, 64) * 16).astype(np.uint16)
    Image.fromarray(g16).save(tmp_path / "g16.tif")
    out16 = load_image(tmp_path / "g16.tif")
    assert out16.dtype == np.uint8 and out16.shape == (64, 64, 3)
    assert out16.max() == 255 and out16[0, 0, 0] == 0


def test_truncated_jpeg_is_detected(frame: np.ndarray, tmp_path: Path) -> None:
    data = jpeg_bytes(frame)
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    for min_side in (None, 512):
        with pytest.raises(ImageReadError, match="truncated") as info:
            load_image(path, min_side=min_side)
        assert info.value.reason == "truncated" and info.value.path == str(path)


def test_truncated_png_zero_byte_garbage_unsupported_missing(tmp_path: Path) -> None:
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8)).save(
        buf, "PNG"
    )
    (tmp_path / "cut.png").write_bytes(buf.getvalue()[:-200])
    (tmp_path / "empty.jpg").write_bytes(b"")
    (tmp_path / "junk.jpg").write_bytes(b"this is not an image at all" * 10)
    (tmp_path / "a.gif").write_bytes(b"GIF89a")
    cases = {
        "cut.png": "truncated",
        "empty.jpg": "zero_byte",
        "junk.jpg": "unsupported",
        "a.gif": "unsupported",
        "missing.jpg": "not_found",
    }
    for name, reason in cases.items():
        with pytest.raises(ImageReadError) as info:
            load_image(tmp_path / name)
        assert info.value.reason == reason, name
        assert name in str(info.value)
    with pytest.raises(ImageReadError, match="zero_byte"):
        load_image(b"")


def _dicom(pixels: np.ndarray, photometric: str, frames: int | None = None, bits: int = 8) -> bytes:
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.5.1"
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.PatientName = "ZHANG^SAN"
    color = pixels.ndim == (4 if frames else 3)
    ds.Rows, ds.Columns = pixels.shape[-3:-1] if color else pixels.shape[-2:]
    ds.SamplesPerPixel = 3 if color else 1
    ds.PhotometricInterpretation = photometric
    if color:
        ds.PlanarConfiguration = 0
    if frames:
        ds.NumberOfFrames = frames
    ds.BitsAllocated = ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_dicom_round_trip_rgb_ybr_gray_multiframe(small_retina: np.ndarray, tmp_path: Path) -> None:
    rgb = np.ascontiguousarray(small_retina[::4, ::4])
    path = tmp_path / "exam1_OD.dcm"
    path.write_bytes(_dicom(rgb, "RGB"))
    assert np.array_equal(load_image(path), rgb)
    ybr = convert_color_space(rgb, "RGB", "YBR_FULL")
    out = load_image(_dicom(ybr, "YBR_FULL"))  # bytes: found by the DICM magic
    assert np.abs(out.astype(int) - rgb.astype(int)).max() <= 3
    two = np.stack([rgb, rgb // 2])
    assert np.array_equal(load_image(_dicom(two, "RGB", frames=2)), rgb)
    gray = np.ascontiguousarray(rgb[..., 1])
    out_gray = load_image(_dicom(gray, "MONOCHROME2"))
    assert out_gray.shape == (*gray.shape, 3) and np.array_equal(out_gray[..., 2], gray)
    inverted = load_image(_dicom(gray, "MONOCHROME1"))
    assert inverted[..., 0].astype(int).sum() > 0
    assert np.corrcoef(inverted[..., 0].ravel(), gray.ravel())[0, 1] < -0.9
    g12 = (gray.astype(np.uint16) * 16).astype(np.uint16)
    out12 = load_image(_dicom(g12, "MONOCHROME2", bits=16))
    assert out12.dtype == np.uint8 and out12.max() == 255


def test_dicom_jpeg_baseline_ybr_422(small_retina: np.ndarray) -> None:
    """Fundus cameras often export JPEG-compressed DICOM with YBR_FULL_422."""
    rgb = np.ascontiguousarray(small_retina[::2, ::2])
    ds = pydicom.dcmread(io.BytesIO(_dicom(rgb, "RGB")))
    ds.file_meta.TransferSyntaxUID = JPEGBaseline8Bit
    ds.PhotometricInterpretation = "YBR_FULL_422"
    ds.PixelData = pydicom.encaps.encapsulate([jpeg_bytes(rgb, 95)])
    ds["PixelData"].VR = "OB"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    out = load_image(buf.getvalue())
    assert out.shape == rgb.shape
    assert np.abs(out.astype(int) - rgb.astype(int)).mean() < 4


def test_truncated_dicom(small_retina: np.ndarray) -> None:
    data = _dicom(np.ascontiguousarray(small_retina[::4, ::4]), "RGB")
    with pytest.raises(ImageReadError) as info:
        load_image(data[: len(data) // 2])
    assert info.value.reason in {"truncated", "corrupt"}
