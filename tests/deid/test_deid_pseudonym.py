"""Pseudonyms and the secret file."""

from __future__ import annotations

import stat

import pytest
import yaml

from revision_pipeline.deid.pseudonym import load_or_create_secret, pseudonymize


def test_pseudonym_is_keyed_stable_and_prefixed():
    key = bytes(range(32))
    a = pseudonymize(key, "110101199001011237", "patient")
    assert a == pseudonymize(key, "110101199001011237", "patient")
    assert a.startswith("P") and len(a) == 17 and int(a[1:], 16) >= 0
    assert pseudonymize(key, "110101199001011237", "exam").startswith("E")
    assert pseudonymize(key, "110101199001011237", "exam")[1:] != a[1:]
    assert pseudonymize(bytes(32), "110101199001011237", "patient") != a
    assert pseudonymize(key, "110101199001011238", "patient") != a


def test_pseudonym_rejects_bad_input():
    with pytest.raises(ValueError, match="16 bytes"):
        pseudonymize(b"short", "x", "patient")
    with pytest.raises(ValueError, match="empty patient"):
        pseudonymize(bytes(32), "", "patient")


def test_secret_created_once_with_mode_0600_keeping_other_keys(tmp_path):
    path = tmp_path / "conf" / "local" / "credentials.yml"
    path.parent.mkdir(parents=True)
    path.write_text("db:\n  user: alice\n", encoding="utf-8")
    first = load_or_create_secret(path)
    assert len(first) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data["db"] == {"user": "alice"} and len(data["deid"]["secret"]) == 64
    assert load_or_create_secret(path) == first


def test_secret_file_created_when_missing_and_malformed_rejected(tmp_path):
    path = tmp_path / "credentials.yml"
    assert len(load_or_create_secret(path)) == 32
    path.write_text("deid:\n  secret: nothex\n", encoding="utf-8")
    with pytest.raises(ValueError, match="64 hex"):
        load_or_create_secret(path)
