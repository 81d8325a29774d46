"""PHI audit: look for known identifiers and PHI patterns in files past the PHI boundary.

What is searched: every file under the given paths. Parquet files by their string (and
binary) columns, SQLite databases (``mlflow.db`` …) by every text/blob value of every
table *and* as raw bytes (deleted rows linger in free pages), anything else as raw bytes,
for the identifiers encoded in UTF-8 and in GBK.

What is reported: the file, the kind of hit and a count, never the value, so the audit's
own output cannot leak.

Limits (by design, to avoid false alarms): identifiers shorter than 2 characters, and
purely numeric identifiers shorter than 4 digits, are ignored; an identifier that starts
or ends with an ASCII letter or digit only matches where it is not glued to further
letters or digits (``1234`` is not found inside ``912345``); single common words passed
as identifiers (``Li``, ``王``) would still match wherever they occur, so pass full names.
A two-character Chinese identifier (a short name such as 张明) does not count where
both its characters belong to longer words of the text around it (``扩张明显`` is
扩张 / 明显 and holds no name): at archive scale, common two-character names would
otherwise match clinical phrases in other patients' reports and stop every run. Where
either end is a word boundary (``患者张明``, ``王明天复查``) it counts.
Patterns are mainland national IDs with a valid check character and birth date, mobile
numbers (11 digits, ``1[3-9]…``) and e-mail addresses; fixed-line numbers, addresses and
free-text names are not pattern-searched (scrubbed text is covered by the identifiers).
"""

from __future__ import annotations

import json
import logging
import re
import sqlite3
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from revision_pipeline.deid.national_id import valid_national_id
from revision_pipeline.text.segment import inside_words

logger = logging.getLogger(__name__)

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a")

__all__ = ["AuditHit", "audit_paths", "date_variants", "valid_national_id"]

IDENTIFIER = "identifier"
NATIONAL_ID = "national_id"
MOBILE = "mobile"
EMAIL = "email"

_CHUNK = 8 << 20
_SQLITE_MAGIC = b"SQLite format 3\x00"
_CN_DIGITS = "〇一二三四五六七八九"
_PATTERNS: dict[str, str] = {
    NATIONAL_ID: r"(?<![0-9A-Za-z])[1-9]\d{16}[\dXx](?![0-9A-Za-z])",
    MOBILE: r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])",
    EMAIL: r"[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,}",
}


@dataclass(frozen=True)
class AuditHit:
    """``count`` matches of one ``kind`` in ``path``; ``where`` says how it was read."""

    path: Path
    kind: str
    count: int
    where: str = "bytes"

    def __str__(self) -> str:
        return f"{self.path}: {self.count} x {self.kind} ({self.where})"


def _cn_number(n: int) -> str:
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "")


def date_variants(d: date) -> set[str]:
    """The ways an exact date is commonly written (ISO, slashes, dots, 年月日, compact …)."""
    y, m, dd = d.year, d.month, d.day
    out = {f"{y}{m:02d}{dd:02d}", f"{y}年{m}月{dd}日", f"{y}年{m:02d}月{dd:02d}日"}
    for sep in "-/.":
        out |= {f"{y}{sep}{m:02d}{sep}{dd:02d}", f"{y}{sep}{m}{sep}{dd}"}
        out |= {f"{dd:02d}{sep}{m:02d}{sep}{y}", f"{m:02d}{sep}{dd:02d}{sep}{y}"}
    out.add("".join(_CN_DIGITS[int(c)] for c in str(y)) + f"年{_cn_number(m)}月{_cn_number(dd)}日")
    return out


def _usable(identifiers: Iterable[str]) -> list[str]:
    out = set()
    for raw in identifiers:
        if raw is None:
            continue
        value = str(raw).strip()
        if len(value) < 2 or (value.isdigit() and len(value) < 4):
            continue
        out.add(value)
    return sorted(out, key=len, reverse=True)


def _trie_regex(words: list[str], escape=re.escape) -> str:
    """A regex alternation factored by common prefixes (fast for thousands of words)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def build(node: dict) -> str:
        end = "" in node
        alts = [escape(ch) + build(child) for ch, child in sorted(node.items()) if ch != ""]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if end else body

    return build(trie)


#: Characters of context decoded around a short hit to segment it with.
_CONTEXT = 12


def _is_cjk(text: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in text)


def _short_cjk_hit(data: str | bytes, start: int, end: int) -> tuple[str, int, int] | None:
    """A two-character Chinese hit (a short name such as 张明) with its context as text:
    ``(text, start, end)`` in that text; ``None`` for any other hit. Raw bytes are read
    as UTF-8, or else GBK (the two encodings identifiers are searched in)."""
    if isinstance(data, str):
        return (data, start, end) if end - start == 2 and _is_cjk(data[start:end]) else None
    for encoding, width in (("utf-8", 3), ("gbk", 2)):
        if end - start != 2 * width:
            continue
        try:
            hit = data[start:end].decode(encoding)
        except UnicodeDecodeError:
            continue
        if len(hit) != 2 or not _is_cjk(hit):
            continue
        span = _CONTEXT * width
        before = data[max(0, start - span) : start].decode(encoding, "ignore")
        after = data[end : end + span].decode(encoding, "ignore")
        return before + hit + after, len(before), len(before) + 2
    return None


class _Matcher:
    """Compiled searches over text (str) and raw bytes (UTF-8 and GBK)."""

    def __init__(self, identifiers: list[str], patterns: bool):
        self.str_rx: dict[str, re.Pattern[str]] = {}
        self.bytes_rx: dict[str, re.Pattern[bytes]] = {}
        self.overlap = 256
        if identifiers:
            self.str_rx[IDENTIFIER] = re.compile(_trie_regex(identifiers), re.IGNORECASE)
            encoded: set[bytes] = set()
            for value in identifiers:
                for enc in ("utf-8", "gbk"):
                    try:
                        encoded.add(value.encode(enc))
                    except UnicodeEncodeError:
                        continue
            ordered = sorted(encoded, key=len, reverse=True)
            self.overlap = max(self.overlap, len(ordered[0]) + 8)
            # Same trie trick over bytes: latin-1 maps each byte to one character.
            trie = _trie_regex([e.decode("latin-1") for e in ordered])
            self.bytes_rx[IDENTIFIER] = re.compile(trie.encode("latin-1"), re.IGNORECASE)
        if patterns:
            for kind, pat in _PATTERNS.items():
                self.str_rx[kind] = re.compile(pat)
                self.bytes_rx[kind] = re.compile(pat.encode())

    @staticmethod
    def _accept(kind: str, data: str | bytes, start: int, end: int) -> bool:
        hit = data[start:end]
        if kind == NATIONAL_ID:
            return valid_national_id(hit if isinstance(hit, str) else hit.decode("ascii"))
        if kind != IDENTIFIER:
            return True
        short = _short_cjk_hit(data, start, end)
        if short is not None:
            text, s, e = short
            return not inside_words(text, s, e)
        glue = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        if isinstance(data, bytes):
            glue = glue.encode()
        first, last = hit[:1], hit[-1:]
        before, after = data[start - 1 : start] if start else data[:0], data[end : end + 1]
        return not (
            (first in glue and before and before in glue)
            or (last in glue and after and after in glue)
        )

    def count_str(self, text: str, counts: Counter[str]) -> None:
        for kind, rx in self.str_rx.items():
            counts[kind] += sum(1 for m in rx.finditer(text) if self._accept(kind, text, *m.span()))

    def count_bytes(self, data: bytes, counts: Counter[str], limit: int | None = None) -> None:
        for kind, rx in self.bytes_rx.items():
            counts[kind] += sum(
                1
                for m in rx.finditer(data)
                if (limit is None or m.start() < limit) and self._accept(kind, data, *m.span())
            )


def _files(paths: Iterable[Path]) -> Iterator[Path]:
    for p in paths:
        p = Path(p)
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        elif p.is_file():
            yield p
        else:
            logger.warning("audit: %s does not exist, skipped", p)


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


def audit_paths(
    paths: Iterable[Path], identifiers: Iterable[str], patterns: bool = True
) -> list[AuditHit]:
    """Search files for PHI; an empty list means nothing was found.

    Args:
        paths: files or directories (searched recursively).
        identifiers: values that must not appear (names, ID/record/exam numbers, and the
            `date_variants` of exact dates). See the module docstring for the limits.
        patterns: also search for national IDs (valid checksum), mobiles and e-mails.

    Returns:
        One hit per file, kind and reading method, with a count and never the value.
    """
    matcher = _Matcher(_usable(identifiers), patterns)
    hits: list[AuditHit] = []
    for path in _files(paths):
        scans: list[tuple[str, Counter[str]]] = []
        try:
            if path.suffix.lower() == ".parquet":
                scans.append(("parquet", _scan_parquet(path, matcher)))
            elif _is_sqlite(path):
                scans.append(("sqlite", _scan_sqlite(path, matcher)))
                scans.append(("bytes", _scan_bytes(path, matcher)))
            elif path.suffix.lower() in (".json", ".jsonl") and path.stat().st_size < 2**28:
                scans.append(("json", _scan_json(path, matcher)))
            elif path.suffix.lower() == ".safetensors":
                scans.append(("safetensors", _scan_safetensors(path, matcher)))
            elif zipfile.is_zipfile(path):
                scans.append(("zip", _scan_zip(path, matcher)))
            else:
                scans.append(("bytes", _scan_bytes(path, matcher)))
        except Exception as exc:
            logger.warning("audit: could not read %s (%s); scanning it as bytes", path, exc)
            scans = [("bytes", _scan_bytes(path, matcher))]
        for where, counts in scans:
            hits.extend(AuditHit(path, kind, n, where) for kind, n in sorted(counts.items()) if n)
    logger.info("audit: %d hits", len(hits))
    return hits
