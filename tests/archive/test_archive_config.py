"""Dialect configuration: schema, defaults and start-up errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from revision_pipeline.archive.config import (
    CANONICAL_DIALECT,
    DialectConfigError,
    dialect_for,
    load_dialects,
)

PROJECT = Path(__file__).resolve().parents[2]


def _yaml(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "institutions.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_institutions_file_loads() -> None:
    dialects = load_dialects(PROJECT / "conf" / "base" / "institutions.yml")
    assert {"H002", "H003", "H004", "H005", "H006", "H007"} <= set(dialects)
    assert dialects["H002"].reports.columns["检查号"] == "exam_id"
    assert dialects["H003"].reports.resolved_format == "jsonl"
    assert dialects["H004"].reports.sheet == 0
    assert dialects["H007"].images.eye_tokens == {"右眼": "OD", "左眼": "OS"}
    assert "eye" not in dialects["H006"].images.compiled_pattern().groupindex


def test_canonical_defaults_and_absent_institution() -> None:
    dialect = dialect_for("H999", {})
    assert dialect is CANONICAL_DIALECT
    assert dialect.reports.file == "reports.csv"
    assert dialect.reports.resolved_format == "csv"
    assert dialect.reports.encoding == "auto"
    assert dialect.images.dir == "images"
    pattern = dialect.images.compiled_pattern()
    match = pattern.fullmatch("EX_2023-01_od_3.JPG")
    assert match and match["exam_id"] == "EX_2023-01" and match["eye"] == "od"
    assert match["seq"] == "3" and match["ext"] == "JPG"
    assert pattern.fullmatch("E1_右.png")["eye"] == "右"
    assert pattern.fullmatch("E1.jpg") is None


def test_empty_entry_and_empty_file(tmp_path: Path) -> None:
    assert load_dialects(_yaml(tmp_path, "")) == {}
    dialects = load_dialects(_yaml(tmp_path, "H1:\n"))
    assert dialects["H1"] == CANONICAL_DIALECT


def test_format_inferred_and_encoding_alias(tmp_path: Path) -> None:
    text = "H1:\n  reports:\n    file: a/b.xlsx\n    encoding: GBK\n"
    dialect = load_dialects(_yaml(tmp_path, text))["H1"]
    assert dialect.reports.resolved_format == "excel"
    assert dialect.reports.encoding == "gb18030"


@pytest.mark.parametrize(
    ("text", "key", "why"),
    [
        ("H1:\n  reports:\n    colums: {a: exam_id}\n", "reports.colums", "unknown option"),
        ("H1:\n  imgs: {dir: x}\n", "imgs", "unknown option"),
        ("H1:\n  images:\n    pattern: '(?P<exam_id>[a-z+'\n", "images.pattern", "invalid"),
        ("H1:\n  images:\n    pattern: '(?P<id>.+)\\.jpg'\n", "images.pattern", "exam_id"),
        ("H1:\n  reports:\n    columns: {检查号: exam_no}\n", "reports.columns.检查号", "exam_id"),
        ("H1:\n  reports:\n    format: xml\n", "reports.format", "csv"),
        ("H1:\n  reports:\n    encoding: latin-1\n", "reports.encoding", "auto"),
        ("H1:\n  images:\n    eye_tokens: {右眼: right}\n", "images.eye_tokens.右眼", "OD"),
        ("H1:\n  reports:\n    file: ../x.csv\n", "reports.file", "inside"),
    ],
)
def test_errors_name_file_institution_and_key(
    tmp_path: Path, text: str, key: str, why: str
) -> None:
    path = _yaml(tmp_path, text)
    with pytest.raises(DialectConfigError) as info:
        load_dialects(path)
    message = str(info.value)
    assert str(path) in message
    assert "'H1'" in message
    assert f"'{key}'" in message
    assert why in message


def test_bad_institution_id_and_not_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(DialectConfigError, match="'H 1'"):
        load_dialects(_yaml(tmp_path, "H 1: {}\n"))
    with pytest.raises(DialectConfigError, match="mapping"):
        load_dialects(_yaml(tmp_path, "- H1\n"))


def test_missing_file_means_canonical(tmp_path: Path) -> None:
    assert load_dialects(tmp_path / "nope.yml") == {}
