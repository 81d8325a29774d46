"""How each kind of file is read by the audit, in a registry of scanners by file kind
(:data:`SCANNERS`, :func:`register_scanner`), as timm registers models.

A file goes to the first registered scanner that accepts it (Parquet, SQLite, JSON,
safetensors, zip, in that order); any other file, or one a scanner fails on, is read as
raw bytes. Compressed images are searched in their metadata only, never their pixels.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from revision_pipeline.deid.audit.matcher import _Matcher

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")
_CHUNK = 8 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"

Scan = Callable[[Path, _Matcher], Counter[str]]


def is_compressed_image(data: bytes) -> bool:
    """JPEG / PNG / GIF / WebP bytes (by magic number)."""
    return data.startswith(_IMAGE_MAGIC) or data[8:12] == b"WEBP"


def _jpeg_metadata(data: bytes) -> list[bytes]:
    segments, i = [], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA or marker == 0xD9:  # start of scan / end of image: pixels follow
            break
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            i += 2
            continue
        length = int.from_bytes(data[i + 2 : i + 4], "big")
        if 0xE0 <= marker <= 0xEF or marker == 0xFE:  # APPn (EXIF, XMP, ...) and comments
            segments.append(data[i + 4 : i + 2 + length])
        i += 2 + length
    return segments


def _png_metadata(data: bytes) -> list[bytes]:
    segments, i = [], 8
    while i + 8 <= len(data):
        length = int.from_bytes(data[i : i + 4], "big")
        kind, body = data[i + 4 : i + 8], data[i + 8 : i + 8 + length]
        if kind in (b"tEXt", b"iTXt", b"eXIf"):
            segments.append(body)
        elif kind == b"zTXt":
            _, _, packed = body.partition(b"\0")
            try:
                segments.append(zlib.decompress(packed[1:]))
            except zlib.error:
                segments.append(body)
        if kind == b"IEND":
            break
        i += 12 + length
    return segments


def image_text(data: bytes) -> bytes:
    """The parts of a compressed image that can hold text: metadata, not pixels.

    Entropy-coded pixel data matches short identifiers and PHI patterns by chance (a
    2-character exam id, an e-mail-shaped byte run), so only JPEG APPn/COM segments and
    PNG text chunks are searched. Other image formats are searched whole.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return b"\n".join(_jpeg_metadata(data))
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return b"\n".join(_png_metadata(data))
    return data


def _scan_bytes(path: Path, matcher: _Matcher) -> Counter[str]:
    counts: Counter[str] = Counter()
    with path.open("rb") as fh:
        head = fh.read(16)
        if is_compressed_image(head):
            matcher.count_bytes(image_text(head + fh.read()), counts)
            return counts
        fh.seek(0)
        tail = b""
        while True:
            block = fh.read(_CHUNK)
            data = tail + block
            if not block:
                matcher.count_bytes(data, counts)
                break
            # Count matches that start before the overlap; they are complete in ``data``.
            keep = min(len(data), matcher.overlap)
            matcher.count_bytes(data, counts, limit=len(data) - keep)
            tail = data[len(data) - keep :]
    return counts


def _scan_safetensors(path: Path, matcher: _Matcher) -> Counter[str]:
    """The JSON header (names, shapes, metadata): the rest is raw tensor data, where
    4-byte GBK names match by chance (~200 false hits per 170 MB of weights)."""
    counts: Counter[str] = Counter()
    with path.open("rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        _count_json(fh.read(min(size, 100 * 2**20)), matcher, counts)
    return counts


def _count_json(data: bytes, matcher: _Matcher, counts: Counter[str]) -> None:
    """JSON as written, and with its ``\\uXXXX`` escapes undone (Python's json.dumps
    escapes every non-ASCII character by default, which would hide a Chinese name)."""
    matcher.count_bytes(data, counts)
    if b"\\u" not in data:
        return
    unescaped: list[str] = []
    for line in data.decode("utf-8", errors="replace").splitlines() or [""]:
        try:
            unescaped.append(json.dumps(json.loads(line), ensure_ascii=False))
        except ValueError:
            try:
                unescaped = [json.dumps(json.loads(data), ensure_ascii=False)]
            except ValueError:
                return
            break
    extra: Counter[str] = Counter()
    matcher.count_str("\n".join(unescaped), extra)
    for kind, n in extra.items():  # only what the escapes hid: ASCII matches are counted once
        counts[kind] = max(counts[kind], n)


def _scan_json(path: Path, matcher: _Matcher) -> Counter[str]:
    counts: Counter[str] = Counter()
    _count_json(path.read_bytes(), matcher, counts)
    return counts


_TENSOR_STORAGE = re.compile(r"(^|/)data/\d+$")


def _scan_zip(path: Path, matcher: _Matcher) -> Counter[str]:
    """Every member of a zip (e.g. a ``torch.save`` checkpoint: its pickles, strings and
    metadata), except torch's raw tensor storages (``<archive>/data/<n>``)."""
    counts: Counter[str] = Counter()
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if info.is_dir() or _TENSOR_STORAGE.search(info.filename):
                continue
            data = archive.read(info)
            matcher.count_bytes(image_text(data) if is_compressed_image(data) else data, counts)
    return counts


def _scan_parquet(path: Path, matcher: _Matcher) -> Counter[str]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    counts: Counter[str] = Counter()
    pf = pq.ParquetFile(path)
    for batch in pf.iter_batches(batch_size=4096):
        for column in batch.columns:
            typ = column.type
            while pa.types.is_list(typ) or pa.types.is_large_list(typ):
                column = column.flatten()
                typ = column.type
            if pa.types.is_dictionary(typ):
                column = column.dictionary_decode()
                typ = column.type
            values = [v for v in column.to_pylist() if v is not None]
            if pa.types.is_string(typ) or pa.types.is_large_string(typ):
                matcher.count_str("\n".join(values), counts)
            elif pa.types.is_binary(typ) or pa.types.is_large_binary(typ):
                for v in values:
                    matcher.count_bytes(image_text(v) if is_compressed_image(v) else v, counts)
    return counts


def _scan_sqlite(path: Path, matcher: _Matcher) -> Counter[str]:
    counts: Counter[str] = Counter()
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            for row in con.execute(f"SELECT * FROM {quoted}"):
                for value in row:
                    if isinstance(value, str):
                        matcher.count_str(value, counts)
                    elif isinstance(value, bytes):
                        matcher.count_bytes(value, counts)
    finally:
        con.close()
    return counts


def _is_sqlite(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC


@dataclass(frozen=True)
class Scanner:
    """How one kind of file is read: which files it takes, and what it counts in them.

    ``also_bytes``: the file is read as raw bytes as well (a database keeps deleted rows
    in its free pages, where no query reaches them).
    """

    accepts: Callable[[Path], bool]
    scan: Scan
    also_bytes: bool = False


#: File kind (the audit table's ``read_as``) -> its scanner, tried in registration order.
SCANNERS: dict[str, Scanner] = {}


def register_scanner(
    kind: str, accepts: Callable[[Path], bool], also_bytes: bool = False
) -> Callable[[Scan], Scan]:
    """Register the decorated ``scan(path, matcher)`` for the files ``accepts`` takes."""

    def register(scan: Scan) -> Scan:
        if kind in SCANNERS:
            raise ValueError(f"audit scanner {kind!r} is registered twice")
        SCANNERS[kind] = Scanner(accepts, scan, also_bytes)
        return scan

    return register


def _suffix(*suffixes: str) -> Callable[[Path], bool]:
    return lambda path: path.suffix.lower() in suffixes


register_scanner("parquet", _suffix(".parquet"))(_scan_parquet)
register_scanner("sqlite", _is_sqlite, also_bytes=True)(_scan_sqlite)
register_scanner(
    "json", lambda path: _suffix(".json", ".jsonl")(path) and path.stat().st_size < 2**28
)(_scan_json)
register_scanner("safetensors", _suffix(".safetensors"))(_scan_safetensors)
register_scanner("zip", zipfile.is_zipfile)(_scan_zip)


def scan_file(path: Path, matcher: _Matcher) -> list[tuple[str, Counter[str]]]:
    """``(read_as, counts)`` of one file: its kind's scanner, or raw bytes for any other."""
    for kind, scanner in SCANNERS.items():
        if scanner.accepts(path):
            scans = [(kind, scanner.scan(path, matcher))]
            if scanner.also_bytes:
                scans.append(("bytes", _scan_bytes(path, matcher)))
            return scans
    return [("bytes", _scan_bytes(path, matcher))]


def scan_bytes(path: Path, matcher: _Matcher) -> Counter[str]:
    """Raw bytes of any file (images by their metadata): the fallback of every scanner."""
    return _scan_bytes(path, matcher)
