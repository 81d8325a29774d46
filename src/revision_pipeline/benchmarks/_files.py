"""Finding a publisher's files under a user's root, tolerant of the usual variations.

Downloads differ from the published tree in predictable ways: the archive unpacks one
folder deeper (``Training_Set/Training_Set/``), the user points one level above or below
the dataset's folder, names and extensions change case (``.JPG``), a set converted to
PNG keeps its ids. Label files are found by their known names, breadth first, and image
files by their id with any of the usual extensions; every lookup is case-insensitive.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import pandas as pd

from revision_pipeline.benchmarks.errors import BenchmarkNotFound, LayoutError

logger = logging.getLogger(__name__)

#: Image extensions accepted for an id given without one, in order of preference.
IMAGE_EXTENSIONS: tuple[str, ...] = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp")
_SKIPPED_DIRS = {"__macosx"}


def subdirs(folder: Path) -> list[Path]:
    """The visible sub-folders of ``folder``, sorted (``__MACOSX`` and dot-folders skipped)."""
    try:
        with os.scandir(folder) as entries:
            dirs = [
                Path(e.path)
                for e in entries
                if e.is_dir()
                and not e.name.startswith(".")
                and e.name.casefold() not in _SKIPPED_DIRS
            ]
    except OSError:
        return []
    return sorted(dirs)


def _entries(folder: Path, *, dirs: bool) -> dict[str, Path]:
    """Case-folded name -> path of the files (or folders) directly in ``folder``."""
    return {k: Path(v) for k, v in _names(folder, dirs=dirs).items()}


def _names(folder: Path | str, *, dirs: bool) -> dict[str, str]:
    """Case-folded name -> path string; on a case clash the first name in sorted order wins."""
    try:
        with os.scandir(folder) as entries:
            hits = sorted(
                (e.name, e.path)
                for e in entries
                if not e.name.startswith(".") and e.is_dir() == dirs
            )
    except OSError:
        return {}
    found: dict[str, str] = {}
    for name, path in hits:
        found.setdefault(name.casefold(), path)
    return found


def _search(
    root: Path, names: Sequence[str], *, depth: int, dirs: bool, parent: bool
) -> Path | None:
    wanted = [n.casefold() for n in names]
    level = [root]
    for _ in range(depth + 1):
        listings = [_names(folder, dirs=dirs) for folder in level]
        for want in wanted:  # the name listed first wins at the shallowest level
            for listing in listings:
                if want in listing:
                    return Path(listing[want])
        level = [d for folder in level for d in subdirs(folder)]
        if not level:
            break
    if parent and root.parent != root:
        return _search(root.parent, names, depth=0, dirs=dirs, parent=False)
    return None


def find_file(
    root: Path, names: Sequence[str], *, depth: int = 3, what: str = "label file"
) -> Path:
    """The first file called one of ``names`` under ``root`` (breadth first), or in its parent.

    Raises:
        BenchmarkNotFound: none exists; the names and the root are in the message.
    """
    hit = find_file_or_none(root, names, depth=depth)
    if hit is None:
        listed = ", ".join(repr(n) for n in names)
        raise BenchmarkNotFound(
            f"no {what} ({listed}) under {root} (searched {depth} folder levels down and "
            "the folder above); point the root at the dataset's folder"
        )
    return hit


def find_file_or_none(root: Path, names: Sequence[str], *, depth: int = 3) -> Path | None:
    """Like :func:`find_file`, None when absent."""
    return _search(root, names, depth=depth, dirs=False, parent=True)


def find_dir(
    base: Path, names: Sequence[str], *, depth: int = 2, what: str = "image folder"
) -> Path:
    """The first folder called one of ``names`` under ``base`` (breadth first), or beside it.

    Raises:
        BenchmarkNotFound: none exists.
    """
    hit = _search(base, names, depth=depth, dirs=True, parent=True)
    if hit is None:
        listed = ", ".join(repr(n) for n in names)
        raise BenchmarkNotFound(f"no {what} ({listed}) under {base}")
    # "Training_Set/Training_Set/...": an archive unpacked into a folder of its own name
    inner = _entries(hit, dirs=True).get(hit.name.casefold())
    if inner is not None and not _entries(hit, dirs=False):
        return inner
    return hit


class ImageIndex:
    """The image files of one folder, looked up by id: name or stem, any case, any extension.

    The folder is listed once (tens of thousands of files stay cheap); paths are strings.
    """

    def __init__(
        self, folder: Path, *, recursive: bool = False, skip: Callable[[Path], bool] | None = None
    ) -> None:
        self.folder = folder
        self._by_name: dict[str, str] = {}
        self._by_stem: dict[str, dict[str, str]] = {}
        if recursive:
            paths = sorted(
                str(p)
                for p in folder.rglob("*")
                if not p.name.startswith(".") and not (skip and skip(p.relative_to(folder)))
            )
        else:
            paths = sorted(_names(folder, dirs=False).values())
        for path in paths:
            name = os.path.basename(path)
            stem, ext = os.path.splitext(name.casefold())
            if ext not in IMAGE_EXTENSIONS:
                continue
            self._by_name.setdefault(name.casefold(), path)
            self._by_stem.setdefault(stem, {}).setdefault(ext, path)

    def __len__(self) -> int:
        return len(self._by_name)

    def resolve(self, image_id: str) -> str | None:
        """The file for ``image_id`` (``IDRiD_001``, ``x.png`` or ``x.JPG``), None when absent."""
        key = image_id.strip().casefold()
        hit = self._by_name.get(key)
        if hit is not None:
            return hit
        stem, ext = os.path.splitext(key)
        variants = self._by_stem.get(stem if ext in IMAGE_EXTENSIONS else key) or {}
        for ext in IMAGE_EXTENSIONS:
            if ext in variants:
                return variants[ext]
        return None

    def row(self, image_id: str) -> dict[str, str | None]:
        """``image_path`` for a table row, and ``expected`` (the path looked for) if absent."""
        path = self.resolve(image_id)
        if path is None:
            return {"image_path": None, "expected": self.expected(image_id)}
        return {"image_path": path}

    def expected(self, image_id: str) -> str:
        """How a missing image is described in ``attrs["dropped"]``."""
        name = image_id.strip()
        return os.path.join(self.folder, name if os.path.splitext(name)[1] else f"{name}.*")


def source(path: Path, row: int) -> str:
    """``<file>#<row>``: a label file's 1-based data row (the header is not counted)."""
    return f"{path}#{row}"


def _delimiter(path: Path) -> str:
    """``,`` unless the header line holds more ``;`` or tabs (European spreadsheet exports)."""
    with path.open(encoding="utf-8-sig", errors="replace") as fh:
        line = fh.readline()
    return max([",", ";", "\t"], key=line.count) if line.count(",") == 0 else ","


def read_table(path: Path, *, sheet: int | str = 0, header: int = 0) -> pd.DataFrame:
    """A CSV or Excel label file as strings (blank cells are ``""``), column names stripped.

    Raises:
        LayoutError: the file cannot be parsed; the file is named.
    """
    try:
        if path.suffix.casefold() in {".xlsx", ".xlsm", ".xls"}:
            df = pd.read_excel(path, sheet_name=sheet, header=header, dtype=str)
            df = df.fillna("")
        else:
            df = pd.read_csv(
                path, dtype=str, keep_default_na=False, encoding="utf-8-sig",
                sep=_delimiter(path), header=header,
            )  # fmt: skip
    except (ValueError, OSError, UnicodeDecodeError, ImportError) as exc:
        raise LayoutError(f"cannot read {path}: {exc}") from exc
    df.columns = [str(c).strip() for c in df.columns]
    return df


def records(df: pd.DataFrame) -> list[dict[str, str]]:
    """The rows of a :func:`read_table` frame as dicts of stripped strings (fast)."""
    return [
        {k: v.strip() if isinstance(v, str) else str(v) for k, v in row.items()}
        for row in df.to_dict("records")
    ]


def _norm(name: str) -> str:
    return re.sub(r"[\s_\-]+", " ", name.strip().casefold())


def pick_columns(
    df: pd.DataFrame, path: Path, wanted: dict[str, Sequence[str]], *, optional: Iterable[str] = ()
) -> dict[str, str | None]:
    """Map each canonical column to the file's own spelling (case, spaces, ``_``/``-`` ignored).

    Args:
        df: the table read from ``path``.
        path: for the error message.
        wanted: canonical name -> accepted spellings.
        optional: canonical names that may be absent (mapped to None).

    Raises:
        LayoutError: a required column is absent; the file and its columns are named.
    """
    have = {_norm(c): c for c in df.columns}
    out: dict[str, str | None] = {}
    optional = set(optional)
    for key, spellings in wanted.items():
        out[key] = next((have[_norm(s)] for s in spellings if _norm(s) in have), None)
        if out[key] is None and key not in optional:
            raise LayoutError(
                f"{path}: no column {' / '.join(repr(s) for s in spellings)}; "
                f"its columns are {list(df.columns)}"
            )
    return out


def grade(value: str) -> str:
    """A DR grade as the dataset's class string: ``"2"``, ``"2.0"`` and ``" 2"`` -> ``"2"``."""
    text = value.strip()
    if re.fullmatch(r"\d+(\.0*)?", text):
        return str(int(float(text)))
    return text
