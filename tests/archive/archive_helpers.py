"""Builders of small archives for the archive reader tests (imported by the tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

FAKE_JPEG = b"\xff\xd8\xff\xe0fake-jpeg-bytes\xff\xd9"

CANONICAL_HEADER = "exam_id,patient_id,patient_name,id_number,sex,age,exam_date,report\n"


def write(path: Path, data: bytes | str, encoding: str = "utf-8") -> Path:
    """Write bytes or text (in ``encoding``), creating folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def write_images(folder: Path, names: list[str], data: bytes = FAKE_JPEG) -> None:
    """Write a fake image under ``folder`` for each relative name."""
    for name in names:
        write(folder / name, data)


def write_dicom(path: Path, laterality: str | None, tag: str = "ImageLaterality") -> Path:
    """A tiny valid DICOM file with PHI in its header and the eye in ``tag``."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.5.1"  # ophthalmic photo 8 bit
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = "张^三"
    ds.SpecificCharacterSet = "ISO_IR 192"
    ds.PatientID = "MRN0001"
    ds.Modality = "OP"
    if laterality is not None:
        setattr(ds, tag, laterality)
    pixels = np.zeros((8, 8, 3), dtype=np.uint8)
    ds.Rows, ds.Columns = 8, 8
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PixelData = pixels.tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return path


def assert_invariant(result) -> None:
    """images found = images matched + images rejected; report rows likewise."""
    from pathlib import PurePosixPath

    folder = PurePosixPath(result.institution_id, result.dialect.images.dir).as_posix()
    image_rejects = result.rejects[result.rejects["source"].str.startswith(f"{folder}/")]
    assert result.n_images == len(result.matched) + len(image_rejects)
    # every matched image is a distinct file, never also rejected
    assert not set(result.matched["source"]) & set(result.rejects["source"])
    assert result.matched["source"].is_unique
