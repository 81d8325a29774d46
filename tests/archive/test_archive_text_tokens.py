"""Encoding detection and laterality tokens."""

from __future__ import annotations

import codecs

import pytest

from revision_pipeline.archive.encoding import EncodingDetectionError, detect_encoding
from revision_pipeline.archive.laterality import parse_eye

TEXT = "检查号,诊断意见\nE1,右眼视网膜中央静脉阻塞，黄斑水肿\n"


def test_detects_the_three_encodings() -> None:
    assert detect_encoding(TEXT.encode("utf-8")) == "utf-8"
    assert detect_encoding(codecs.BOM_UTF8 + TEXT.encode("utf-8")) == "utf-8-sig"
    assert detect_encoding(TEXT.encode("gbk")) == "gb18030"
    assert detect_encoding(TEXT.encode("gb18030")) == "gb18030"
    assert detect_encoding(b"exam_id,report\n") == "utf-8"
    assert detect_encoding(b"") == "utf-8"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-16-le"),  # no BOM
        TEXT.encode("utf-16"),  # with BOM
        bytes(range(256)) * 4,
        b"\x00\x01\x02\x03binary\x00",
    ],
)
def test_refuses_other_encodings_naming_the_file(data: bytes) -> None:
    with pytest.raises(EncodingDetectionError, match=r"H9/reports\.csv"):
        detect_encoding(data, "H9/reports.csv")


@pytest.mark.parametrize(
    ("token", "eye"),
    [
        ("OD", "OD"),
        ("os", "OS"),
        ("R", "OD"),
        ("l", "OS"),
        ("RE", "OD"),
        ("Le", "OS"),
        ("右", "OD"),
        ("左", "OS"),
        ("右眼", "OD"),
        ("ＯＤ", "OD"),
        (" L ", "OS"),
        ("OU", None),
        ("B", None),
        ("", None),
        (None, None),
        ("X", None),
    ],
)
def test_standard_tokens(token: str | None, eye: str | None) -> None:
    assert parse_eye(token) == eye


def test_extra_tokens() -> None:
    extra = {"RIGHT-EYE": "OD", "sinister": "OS"}
    assert parse_eye("right-eye", extra) == "OD"
    assert parse_eye("SINISTER", extra) == "OS"
    assert parse_eye("dexter", extra) is None
