"""The PHI audit finds planted values in every file type and never prints them."""

from __future__ import annotations

import sqlite3
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from revision_pipeline.deid.audit import audit_paths, date_variants, valid_national_id

NAME = "欧阳娜娜"
EXAM = "EX20230512-0087"
NATIONAL_ID = "11010519491231002X"  # valid check character
MOBILE = "13800138000"
SECRET_VALUES = (NAME, EXAM, NATIONAL_ID, MOBILE, "2023年3月5日")


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / "out"
    root.mkdir()
    pq.write_table(
        pa.table({"report": [f"复查 {NAME}", "正常"], "image": [b"\xff\xd8", b"\x00"]}),
        root / "pairs.parquet",
    )
    (root / "rejects.csv").write_text(f"source,reason\nreports.csv#3,{EXAM}\n", encoding="utf-8")
    (root / "run.log").write_bytes(f"INFO call {MOBILE} on 2023年3月5日\n".encode("gbk"))
    con = sqlite3.connect(root / "mlflow.db")
    con.execute("CREATE TABLE params (key TEXT, value TEXT)")
    con.execute("INSERT INTO params VALUES ('note', ?)", (f"id {NATIONAL_ID}",))
    con.commit()
    con.close()
    clean = tmp_path / "clean"
    clean.mkdir()
    pq.write_table(pa.table({"report": ["[姓名]双眼正常", "C/D 0.3"]}), clean / "p.parquet")
    (clean / "a.csv").write_text("pair_id,eye\nP1a2b,OD\n", encoding="utf-8")
    (clean / "model.bin").write_bytes(bytes(range(256)) * 100)
    return root, clean


def test_planted_values_found_everywhere(tree):
    root, _ = tree
    hits = audit_paths([root], [NAME, EXAM, *date_variants(date(2023, 3, 5))])
    found = {(h.path.name, h.kind) for h in hits}
    assert ("pairs.parquet", "identifier") in found
    assert ("rejects.csv", "identifier") in found
    assert ("run.log", "identifier") in found  # GBK-encoded date
    assert ("run.log", "mobile") in found
    assert ("mlflow.db", "national_id") in found
    text = "\n".join(str(h) for h in hits) + repr(hits)
    for value in SECRET_VALUES:
        assert value not in text


def test_clean_files_give_no_hits(tree):
    _, clean = tree
    assert audit_paths([clean], [NAME, EXAM, "P1", "王", "12"]) == []


def test_identifier_glued_to_digits_is_not_a_hit(tmp_path):
    f = tmp_path / "m.txt"
    f.write_text("value 9123456789 and 12345678\n", encoding="utf-8")
    hits = audit_paths([f], ["12345678"], patterns=False)
    assert [(h.kind, h.count) for h in hits] == [("identifier", 1)]


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_short_name_inside_clinical_words_is_not_a_hit(tmp_path, encoding: str) -> None:
    """张明 is a common name; 扩张明显 (扩张 / 明显) holds no name. The name is found
    wherever it is written as one, in tables and in raw text of either encoding."""
    clinical = "视网膜静脉扩张明显，未见明显渗出。"
    named = ["患者张明，男。", "报告医生：张明", "张明右眼出血", "家属张明陪同", "张明天复查"]
    pq.write_table(pa.table({"report": [clinical]}), tmp_path / "clean.parquet")
    (tmp_path / "clean.log").write_bytes(clinical.encode(encoding))
    assert audit_paths([tmp_path], ["张明"], patterns=False) == []
    for i, text in enumerate(named):
        folder = tmp_path / f"named{i}"
        folder.mkdir()
        pq.write_table(pa.table({"report": [clinical + text]}), folder / "p.parquet")
        (folder / "run.log").write_bytes((clinical + text).encode(encoding))
        hits = audit_paths([folder], ["张明"], patterns=False)
        assert {(h.path.name, h.count) for h in hits} == {("p.parquet", 1), ("run.log", 1)}, text


def test_date_variants_and_id_checksum():
    v = date_variants(date(2023, 3, 5))
    assert {"2023-03-05", "2023/3/5", "2023.03.05", "20230305", "2023年3月5日"} <= v
    assert "二〇二三年三月五日" in v
    assert valid_national_id(NATIONAL_ID) and not valid_national_id("110105194912310021")


def test_images_are_searched_in_their_metadata_not_their_pixels(tmp_path) -> None:
    import io

    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from PIL import Image, PngImagePlugin

    from revision_pipeline.deid.audit import audit_paths

    # entropy-coded data that happens to hold an exam id, an e-mail and a mobile number
    lucky = b"\xff\xd8\xff\xdb\x00\x04\x00\x00\xff\xda" + b"E2 a@b.cd 13812345678" + b"\xff\xd9"
    buf = io.BytesIO()
    pixels = np.random.default_rng(0).integers(0, 255, (32, 32, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(buf, format="JPEG", comment="患者张三丰".encode())
    leaked = buf.getvalue()
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张三丰")
    png = io.BytesIO()
    Image.fromarray(pixels).save(png, format="PNG", pnginfo=info)
    (tmp_path / "clean").mkdir()
    pq.write_table(pa.table({"image": [lucky]}), tmp_path / "clean" / "pairs.parquet")
    (tmp_path / "clean" / "plot.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"E2 x@y.zz")
    assert audit_paths([tmp_path / "clean"], ["张三丰", "E2"], patterns=True) == []
    pq.write_table(pa.table({"image": [leaked]}), tmp_path / "leak.parquet")
    (tmp_path / "leak.png").write_bytes(png.getvalue())
    hits = audit_paths(
        [tmp_path / "leak.parquet", tmp_path / "leak.png"], ["张三丰"], patterns=True
    )
    assert sorted((h.path.name, h.kind) for h in hits) == [
        ("leak.parquet", "identifier"),
        ("leak.png", "identifier"),
    ]


def test_model_files_are_searched_in_their_metadata_not_their_weights(tmp_path) -> None:
    import json

    import torch

    from revision_pipeline.deid.audit import audit_paths

    name = "欧阳娜娜"
    # weights whose raw bytes spell the GBK and UTF-8 encodings of an identifier
    raw = (name.encode("gbk") + name.encode("utf-8")) * 4
    weights = torch.frombuffer(bytearray(raw.ljust(64, b"\0")), dtype=torch.uint8)
    header = json.dumps({"w": {"dtype": "U8", "shape": [64], "data_offsets": [0, 64]}}).encode()
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "model.safetensors").write_bytes(
        len(header).to_bytes(8, "little") + header + bytes(weights)
    )
    torch.save({"w": weights, "step": 3}, clean / "checkpoint.pt")
    assert audit_paths([clean], [name]) == []

    leak = tmp_path / "leak"
    leak.mkdir()
    meta = json.dumps({"__metadata__": {"trained_on": name}}).encode()  # escaped: \\u6b27...
    (leak / "model.safetensors").write_bytes(len(meta).to_bytes(8, "little") + meta)
    torch.save({"w": weights, "patient": name}, leak / "checkpoint.pt")
    found = sorted((h.path.name, h.where) for h in audit_paths([leak], [name]))
    assert found == [("checkpoint.pt", "zip"), ("model.safetensors", "safetensors")]


def test_json_escapes_do_not_hide_a_name(tmp_path) -> None:
    import json

    from revision_pipeline.deid.audit import audit_paths

    (tmp_path / "summary.json").write_text(json.dumps({"note": "患者欧阳娜娜"}), encoding="ascii")
    (tmp_path / "lines.jsonl").write_text(json.dumps({"t": "欧阳娜娜"}) + "\n", encoding="ascii")
    (tmp_path / "clean.json").write_text(json.dumps({"note": "眼底正常"}), encoding="ascii")
    found = sorted(h.path.name for h in audit_paths([tmp_path], ["欧阳娜娜"]))
    assert found == ["lines.jsonl", "summary.json"]


def _name_in(kind: str, path) -> None:
    """A file of ``kind`` holding NAME where its scanner reads (not only as raw bytes)."""
    import json
    import zipfile

    if kind == "parquet":
        pq.write_table(pa.table({"report": [f"复查 {NAME}"]}), path)
    elif kind == "sqlite":
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE t (v TEXT)")
        con.execute("INSERT INTO t VALUES (?)", (NAME,))
        con.commit()
        con.close()
    elif kind == "json":  # escaped as json.dumps writes it: hidden from a byte search
        path.write_text(json.dumps({"note": NAME}), encoding="utf-8")
    elif kind == "safetensors":
        header = json.dumps({"__metadata__": {"by": NAME}}).encode()
        path.write_bytes(len(header).to_bytes(8, "little") + header)
    elif kind == "zip":
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("ckpt/data.pkl", f"name={NAME}".encode() * 20)


@pytest.mark.parametrize(
    ("kind", "name"),
    [("parquet", "t.parquet"), ("sqlite", "mlflow.db"), ("json", "m.json"),
     ("safetensors", "w.safetensors"), ("zip", "ckpt.pt")],
)  # fmt: skip
def test_every_registered_scanner_finds_what_its_kind_holds(tmp_path, kind: str, name: str):
    from revision_pipeline.deid.audit import SCANNERS

    assert list(SCANNERS) == ["parquet", "sqlite", "json", "safetensors", "zip"]
    _name_in(kind, tmp_path / name)
    hits = audit_paths([tmp_path], [NAME], patterns=False)
    assert (kind, "identifier") in {(h.where, h.kind) for h in hits}, hits


def test_a_scanner_registers_once() -> None:
    from revision_pipeline.deid.audit import register_scanner

    with pytest.raises(ValueError, match="'zip' is registered twice"):
        register_scanner("zip", lambda path: False)(lambda path, matcher: None)
