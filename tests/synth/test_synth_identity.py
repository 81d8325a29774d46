"""Synthetic people and identifiers: validity, determinism, the name traps, speed."""

from __future__ import annotations

import re
import time
from datetime import date

import numpy as np
import pytest

from revision_pipeline.deid.national_id import id_check_digit
from revision_pipeline.deid.national_id import valid_national_id as is_valid_id
from revision_pipeline.synth.identity import (
    Person,
    id_check_character,
    make_doctor_name,
    make_email,
    make_landline,
    make_mobile,
    make_person,
    make_record_number,
    make_wechat,
)


@pytest.fixture(scope="module")
def people() -> list[Person]:
    rng = np.random.default_rng(7)
    return [make_person(rng) for _ in range(2000)]


# The generator computes check characters itself (its IDs are the de-identifier's truth);
# both implementations are held to the standard, never to each other.
CHECKERS = pytest.mark.parametrize(
    "check_of", [id_check_character, id_check_digit], ids=["synth", "deid"]
)


@CHECKERS
@pytest.mark.parametrize(
    ("first17", "check"),
    [
        ("11010519491231002", "X"),  # the GB 11643 standard's own example
        ("44052418800101001", "4"),  # 440524188001010014, the other textbook example
    ],
)
def test_id_check_digit_known_examples(check_of, first17: str, check: str) -> None:
    assert check_of(first17) == check


@CHECKERS
def test_id_check_digit_matches_the_iso7064_formula(check_of) -> None:
    rng = np.random.default_rng(5)
    for _ in range(500):
        first17 = "".join(str(d) for d in rng.integers(0, 10, 17))
        weights = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2 weights
        value = (12 - sum(int(c) * w for c, w in zip(first17, weights, strict=True)) % 11) % 11
        assert check_of(first17) == ("X" if value == 10 else str(value))
    with pytest.raises(ValueError, match="17 ASCII digits"):
        check_of("1101051949123100X")


def test_is_valid_id_accepts_and_rejects() -> None:
    assert is_valid_id("11010519491231002X")
    assert is_valid_id("11010519491231002x")
    assert is_valid_id("110105 19491231 002X")
    assert not is_valid_id("110105194912310021")  # wrong check digit
    assert not is_valid_id("11010519490231002X")  # 31 Feb would need a new check digit anyway
    assert not is_valid_id("1101051949123100")  # too short
    with pytest.raises(ValueError, match="17 ASCII digits"):
        id_check_digit("1101051949123100X")


def test_person_fields_are_consistent(people: list[Person]) -> None:
    for p in people:
        assert is_valid_id(p.id_number), p
        assert p.id_number[6:14] == f"{p.birth_date:%Y%m%d}"
        assert int(p.id_number[16]) % 2 == (1 if p.sex == "男" else 0)
        assert re.fullmatch(r"1[3-9]\d{9}", p.phone), p.phone
        assert re.search(r"[省市].*区.*(路|街|大道|巷)\d+号", p.address), p.address
        assert 18 <= p.age_on(date(2024, 1, 1)) <= 95
        assert p.relative_relation in {"女儿", "儿子", "配偶", "孙子", "侄女", "母亲", "父亲"}
        assert p.relative_name and p.relative_name != ""


def test_names_include_the_traps(people: list[Person]) -> None:
    names = [p.name for p in people]
    chinese = [n for n in names if not n.isascii() and " " not in n]
    assert all(2 <= len(n) <= 4 for n in chinese)
    assert {len(n) for n in chinese} >= {2, 3}
    assert any(n[:2] in {"欧阳", "司马", "诸葛", "上官"} for n in chinese)
    assert {n[0] for n in chinese} >= {"黄", "白", "高", "王"}
    latin = [n for n in names if " " in n]
    assert 0 < len(latin) < 0.06 * len(names)


def test_surname_handles_compound_and_latin_names() -> None:
    base = make_person(np.random.default_rng(0))
    fields = {k: getattr(base, k) for k in base.__dataclass_fields__}
    assert Person(**{**fields, "name": "欧阳娜"}).surname == "欧阳"
    assert Person(**{**fields, "name": "黄斌"}).surname == "黄"
    assert Person(**{**fields, "name": "John Smith"}).surname == "Smith"
    assert Person(**{**fields, "name": "Zhang Wei"}).surname == "Zhang"


def test_make_person_is_deterministic_and_respects_age_range() -> None:
    a = [make_person(np.random.default_rng(3), age_range=(90, 95)) for _ in range(3)]
    assert a[0] == a[1] == a[2]
    rng = np.random.default_rng(3)
    ages = [make_person(rng, age_range=(90, 95)).age_on(date(2024, 1, 1)) for _ in range(200)]
    assert min(ages) >= 90 and max(ages) <= 95
    with pytest.raises(ValueError, match="age_range"):
        make_person(rng, age_range=(50, 20))


def test_helpers_formats() -> None:
    rng = np.random.default_rng(11)
    for _ in range(50):
        assert re.fullmatch(r"0\d{2,3}-[2-8]\d{6,7}", make_landline(rng))
        assert re.fullmatch(r"1[3-9]\d{9}", make_mobile(rng))
        assert re.fullmatch(r"[a-z0-9]+@[a-z0-9]+\.com", make_email(rng))
        assert re.fullmatch(r"(wxid_[a-z0-9]{14}|[a-z]+[-_]?[a-z]+\d+)", make_wechat(rng))
        assert 2 <= len(make_doctor_name(rng)) <= 4
    assert re.fullmatch(r"\d{8,10}", make_record_number(rng, "mrn"))
    assert re.fullmatch(r"(ZY|Z)?20\d{8}", make_record_number(rng, "inpatient"))
    assert re.fullmatch(r"(MZ|M)?\d{11}", make_record_number(rng, "outpatient"))
    assert re.fullmatch(r"[A-Z]{2}20\d{6}-\d{4}", make_record_number(rng, "exam"))
    with pytest.raises(ValueError, match="unknown record-number style 'x'"):
        make_record_number(rng, "x")


def test_5000_people_take_under_two_seconds() -> None:
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(5000):
        make_person(rng)
    assert time.perf_counter() - start < 2.0
