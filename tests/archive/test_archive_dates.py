"""Exam dates in Chinese and ISO forms."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from revision_pipeline.archive.dates import parse_date

MARCH_5 = dt.date(2023, 3, 5)


@pytest.mark.parametrize(
    "text",
    [
        "2023-03-05",
        "2023/3/5",
        "2023.03.05",
        "2023-3-5",
        " 2023-03-05 ",
        "20230305",
        "20230305142201",
        "2023年3月5日",
        "2023年03月05日 星期日",
        "2023年3月5日（星期日）",
        "2023年3月5号 下午2点",
        "2023年3月5日 14时22分",
        "二〇二三年三月五日",
        "二○二三年三月五日",
        "２０２３－０３－０５",
        "２０２３年３月５日",
        "2023-03-05 14:22:01",
        "2023-03-05T14:22",
        "2023-03-05T14:22:01.123+08:00",
        "2023/03/05 2:22 PM",
        "05-Mar-2023",
        "5 March 2023",
        "Mar 5, 2023",
        "Sunday, March 5, 2023",
    ],
)
def test_text_forms(text: str) -> None:
    assert parse_date(text) == MARCH_5


def test_chinese_tens() -> None:
    assert parse_date("二〇二三年十二月三十一日") == dt.date(2023, 12, 31)
    assert parse_date("二〇二三年十月十日") == dt.date(2023, 10, 10)
    assert parse_date("二〇二三年一月二十日") == dt.date(2023, 1, 20)


def test_day_month_order_only_when_unambiguous() -> None:
    assert parse_date("25/03/2023") == dt.date(2023, 3, 25)
    assert parse_date("03/25/2023") == dt.date(2023, 3, 25)
    assert parse_date("05/05/2023") == dt.date(2023, 5, 5)
    assert parse_date("05/03/2023") is None  # 5 March or 3 May: no guess
    assert parse_date("23-03-05") is None  # 2-digit year


@pytest.mark.parametrize(
    "value",
    [
        "",
        "   ",
        "unknown",
        "2023-02-30",
        "2023-13-01",
        "abc 2023-03-05",
        "2023-03-05 xyz",
        "1850-01-01",
        "2023-03",
        "12345678",
        None,
        float("nan"),
        pd.NaT,
        True,
    ],
)
def test_unparseable_gives_none(value: object) -> None:
    assert parse_date(value) is None


def test_objects_and_numbers() -> None:
    assert parse_date(dt.datetime(2023, 3, 5, 14, 22)) == MARCH_5
    assert parse_date(MARCH_5) == MARCH_5
    assert parse_date(pd.Timestamp("2023-03-05 14:22")) == MARCH_5
    assert parse_date(np.datetime64("2023-03-05T14:22")) == MARCH_5
    assert parse_date(44990) == MARCH_5  # Excel serial (1900 system)
    assert parse_date(44990.6) == MARCH_5
    assert parse_date("44990") == MARCH_5
    assert parse_date(np.int64(44990)) == MARCH_5
    assert parse_date(20230305) == MARCH_5
    assert parse_date(-3) is None
