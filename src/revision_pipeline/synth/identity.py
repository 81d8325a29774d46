"""Synthetic people and identifiers for the demo archive: every one of them is PHI.

Everything is deterministic from a ``numpy.random.Generator``: each public function draws
one 63-bit seed from it and then uses a private ``random.Random`` (much faster per draw),
so the same generator state always yields the same person.

Names deliberately include the traps a de-identifier must handle: compound surnames
(欧阳, 诸葛 …), surnames that begin clinical words (黄 → 黄斑, 白 → 白内障, 高 → 高血压,
左/右 → 左眼/右眼 …) and a few Latin-script names (foreign patients, pinyin spellings).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

import numpy as np

Sex = Literal["男", "女"]

#: Age is counted back from this day when no reference date is given.
REFERENCE_DATE = date(2024, 1, 1)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# (weight, surname): common ones dominate; traps are deliberately over-represented.
_SURNAMES: tuple[tuple[int, str], ...] = (
    *((12, s) for s in "王李张刘陈杨黄赵吴周"),
    *((5, s) for s in "徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏"),
    *((2, s) for s in "白常史毛包石文田方余明左右金甘易康"),
    *((1, s) for s in ("欧阳", "司马", "诸葛", "上官", "司徒", "东方", "皇甫", "慕容")),
)
_COMPOUND_SURNAMES = frozenset(s for _, s in _SURNAMES if len(s) == 2)
_SURNAME_POOL = tuple(s for w, s in _SURNAMES for _ in range(w))
_WESTERN_GIVEN = frozenset(("John", "Maria", "David", "Anna", "Peter"))
_GIVEN_MALE = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆建国志海峰文永德庆春"
_GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华慧巧美娅玲桂兰萍婷雪琳颖倩晶欣丹燕红梅月凤"
_LATIN_NAMES = (
    "John Smith",
    "Maria Garcia",
    "David Johnson",
    "Anna Müller",
    "Peter Brown",
    "Kim Minjun",
    "Nguyen Van An",
    "Zhang Wei",
    "Li Na",
    "Wang Fang",
    "Chen Jie",
    "Liu Yang",
)

# 6-digit administrative codes of real districts, with their place names.
_REGIONS: tuple[tuple[str, str, str, str], ...] = (
    ("110105", "北京市", "", "朝阳区"),
    ("110108", "北京市", "", "海淀区"),
    ("310115", "上海市", "", "浦东新区"),
    ("120101", "天津市", "", "和平区"),
    ("500103", "重庆市", "", "渝中区"),
    ("440106", "广东省", "广州市", "天河区"),
    ("440305", "广东省", "深圳市", "南山区"),
    ("330106", "浙江省", "杭州市", "西湖区"),
    ("510107", "四川省", "成都市", "武侯区"),
    ("420106", "湖北省", "武汉市", "武昌区"),
    ("320102", "江苏省", "南京市", "玄武区"),
    ("610113", "陕西省", "西安市", "雁塔区"),
    ("370102", "山东省", "济南市", "历下区"),
    ("430103", "湖南省", "长沙市", "天心区"),
    ("350102", "福建省", "福州市", "鼓楼区"),
    ("210102", "辽宁省", "沈阳市", "和平区"),
    ("410105", "河南省", "郑州市", "金水区"),
    ("530102", "云南省", "昆明市", "五华区"),
)
_ROAD_STEMS = _words(
    "人民 解放 中山 建设 和平 天河 长江 黄河 文化 新华 光明 学府 滨江 胜利 朝阳 东风 青年 幸福"
)
_ROAD_KINDS = ("路", "路", "街", "大道", "大街", "巷")
_ESTATES = ("花园", "小区", "新村", "家园", "公寓", "苑")
_AREA_CODES = (
    ("010", 8),
    ("020", 8),
    ("021", 8),
    ("022", 8),
    ("023", 8),
    ("025", 8),
    ("027", 8),
    ("028", 8),
    ("029", 8),
    ("0755", 8),
    ("0571", 8),
    ("0531", 8),
    ("0731", 8),
    ("0591", 8),
    ("0871", 7),
    ("0898", 7),
    ("0937", 7),
)
_MOBILE_PREFIXES = _words(
    "130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 "
    "170 176 177 178 180 181 182 183 184 185 186 187 188 189 191 198 199"
)
_PINYIN = _words(
    "wang li zhang liu chen yang huang zhao wu zhou xu sun hu zhu gao lin he guo ma "
    "luo wei qiang lei jun yang yong jie tao ming chao fang na min jing li yan juan "
    "xia hua"
)
_MAIL_DOMAINS = ("qq.com", "163.com", "126.com", "sina.com", "139.com", "hotmail.com")
_RECORD_STYLES = ("mrn", "inpatient", "outpatient", "exam")


@dataclass(frozen=True)
class Person:
    """A synthetic patient with the identifiers a Chinese hospital record carries."""

    name: str
    sex: Sex
    birth_date: date
    id_number: str
    phone: str
    address: str
    relative_name: str
    relative_relation: str

    def age_on(self, day: date) -> int:
        """Age in completed years on ``day``."""
        before = (day.month, day.day) < (self.birth_date.month, self.birth_date.day)
        return day.year - self.birth_date.year - int(before)

    @property
    def surname(self) -> str:
        """Family name (the first word of a Latin name, 1–2 characters otherwise)."""
        if " " in self.name:
            return (
                self.name.split()[-1]
                if self.name.split()[0] in _WESTERN_GIVEN
                else self.name.split()[0]
            )
        return self.name[:2] if self.name[:2] in _COMPOUND_SURNAMES else self.name[0]


def _py_rng(rng: np.random.Generator) -> random.Random:
    return random.Random(int(rng.integers(0, 2**63 - 1)))


def _chinese_name(r: random.Random, sex: Sex, surname: str | None = None) -> str:
    surname = surname or r.choice(_SURNAME_POOL)
    pool = _GIVEN_MALE if sex == "男" else _GIVEN_FEMALE
    n_given = 1 if r.random() < 0.35 else 2
    given = "".join(r.choice(pool) for _ in range(n_given))
    return surname + given


def _name(r: random.Random, sex: Sex) -> tuple[str, str]:
    """(full name, surname used for relatives)."""
    if r.random() < 0.02:
        return r.choice(_LATIN_NAMES), r.choice(_SURNAME_POOL)
    surname = r.choice(_SURNAME_POOL)
    return _chinese_name(r, sex, surname), surname


# GB 11643 check character. Computed here, not imported from `deid`: the generator's
# IDs are the truth the de-identifier is judged by, so they must not come from it.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_character(first17: str) -> str:
    """The GB 11643 check character ('0'-'9' or 'X') of 17 ASCII digits."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError(f"expected 17 ASCII digits, got {first17!r}")
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _id_number(r: random.Random, region: str, birth: date, sex: Sex) -> str:
    seq = r.randrange(0, 500) * 2 + (1 if sex == "男" else 0)  # odd for men, even for women
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + id_check_character(first17)


def _mobile(r: random.Random) -> str:
    return r.choice(_MOBILE_PREFIXES) + f"{r.randrange(10**8):08d}"


def _address(r: random.Random, region: tuple[str, str, str, str]) -> str:
    _, province, city, district = region
    road = r.choice(_ROAD_STEMS) + r.choice(_ROAD_KINDS)
    address = f"{province}{city}{district}{road}{r.randint(1, 999)}号"
    u = r.random()
    if u < 0.45:
        address += f"{r.randint(1, 30)}栋{r.randint(1, 33)}{r.randint(1, 8):02d}室"
    elif u < 0.75:
        estate = r.choice(_ROAD_STEMS) + r.choice(_ESTATES)
        address += f"{estate}{r.randint(1, 20)}单元{r.randint(101, 2806)}"
    return address


def _relative(r: random.Random, sex: Sex, age: int, surname: str) -> tuple[str, str]:
    if age < 40:
        relation = r.choice(("母亲", "父亲", "配偶"))
    else:
        relation = r.choice(("女儿", "儿子", "配偶", "儿子", "女儿", "孙子", "侄女"))
    rel_sex: Sex = "女" if relation in ("母亲", "女儿", "侄女") else "男"
    if relation == "配偶":
        rel_sex = "女" if sex == "男" else "男"
    keep_surname = relation in ("父亲", "儿子", "孙子", "侄女") or (
        relation == "女儿" and r.random() < 0.8
    )
    return _chinese_name(r, rel_sex, surname if keep_surname else None), relation


def make_person(
    rng: np.random.Generator,
    age_range: tuple[int, int] = (18, 95),
    reference_date: date = REFERENCE_DATE,
) -> Person:
    """Draw one synthetic patient.

    Args:
        rng: source of randomness (one draw is consumed).
        age_range: inclusive range of the age on ``reference_date``.
        reference_date: the day the age is counted on.

    Returns:
        A ``Person`` whose ID number embeds its region code, birth date and sex.
    """
    lo, hi = age_range
    if not 0 <= lo <= hi <= 120:
        raise ValueError(f"age_range must satisfy 0 <= lo <= hi <= 120, got {age_range}")
    r = _py_rng(rng)
    sex: Sex = "男" if r.random() < 0.5 else "女"
    age = r.randint(lo, hi)
    birth = reference_date - timedelta(days=int(age * 365.25) + r.randrange(365))
    region = r.choice(_REGIONS)
    name, surname = _name(r, sex)
    relative_name, relation = _relative(r, sex, age, surname)
    return Person(
        name=name,
        sex=sex,
        birth_date=birth,
        id_number=_id_number(r, region[0], birth, sex),
        phone=_mobile(r),
        address=_address(r, region),
        relative_name=relative_name,
        relative_relation=relation,
    )


def make_doctor_name(rng: np.random.Generator) -> str:
    """A Chinese name for a staff member (2–3 characters)."""
    r = _py_rng(rng)
    return _chinese_name(r, "男" if r.random() < 0.5 else "女")


def make_record_number(rng: np.random.Generator, style: str = "mrn") -> str:
    """A hospital record number.

    Args:
        rng: source of randomness.
        style: ``mrn`` (病历号, 8–10 digits), ``inpatient`` (住院号, e.g. ZY2023004512),
            ``outpatient`` (门诊号, e.g. MZ23081234567) or ``exam`` (检查号, e.g. FP20230512-0087).
    """
    r = _py_rng(rng)
    year = r.randint(2015, 2024)
    if style == "mrn":
        n = r.randint(8, 10)
        return f"{r.randrange(10**n):0{n}d}"
    if style == "inpatient":
        return r.choice(("ZY", "", "Z")) + f"{year}{r.randrange(10**6):06d}"
    if style == "outpatient":
        return r.choice(("MZ", "M", "")) + f"{year % 100:02d}{r.randrange(10**9):09d}"
    if style == "exam":
        day = f"{year}{r.randint(1, 12):02d}{r.randint(1, 28):02d}"
        return f"{r.choice(('FP', 'YD', 'EX'))}{day}-{r.randrange(10**4):04d}"
    raise ValueError(f"unknown record-number style {style!r}; expected one of {_RECORD_STYLES}")


def make_landline(rng: np.random.Generator) -> str:
    """A fixed-line number with its area code, e.g. ``020-87654321`` or ``0871-6543210``."""
    r = _py_rng(rng)
    code, digits = r.choice(_AREA_CODES)
    first = str(r.randint(2, 8))
    return f"{code}-{first}{r.randrange(10 ** (digits - 1)):0{digits - 1}d}"


def make_mobile(rng: np.random.Generator) -> str:
    """A mainland mobile number, 11 digits starting with 1[3-9]."""
    return _mobile(_py_rng(rng))


def make_email(rng: np.random.Generator) -> str:
    """A personal e-mail address such as ``zhangwei1978@163.com``."""
    r = _py_rng(rng)
    local = "".join(r.choice(_PINYIN) for _ in range(r.randint(1, 2)))
    if r.random() < 0.7:
        local += str(r.randint(1, 2024))
    if r.random() < 0.2:
        local = str(r.randint(10**7, 10**10))  # QQ-number mailbox
    return f"{local}@{r.choice(_MAIL_DOMAINS)}"


def make_wechat(rng: np.random.Generator) -> str:
    """A WeChat ID: ``wxid_`` plus random characters, or a letter-led handle."""
    r = _py_rng(rng)
    if r.random() < 0.4:
        return "wxid_" + "".join(
            r.choice(string.ascii_lowercase + string.digits) for _ in range(14)
        )
    handle = r.choice(_PINYIN) + r.choice(("_", "", "-")) + r.choice(_PINYIN)
    return handle + str(r.randint(1, 9999))
