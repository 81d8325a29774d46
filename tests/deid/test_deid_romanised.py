"""Romanised Chinese names checked syllable by syllable."""

from __future__ import annotations

import pytest

from revision_pipeline.deid.romanised import (
    derive_tables,
    is_romanised_name,
    split_syllables,
    tables,
)


@pytest.mark.parametrize(
    "name",
    ["ZHANG Wei", "Li Xiaoming", "WANG XIU YING", "Ouyang Feng", "Wei Zhang", "Xiao-ming Li",
     "Chen Jia Hui", "Lee Ka Wai", "Zhuge Liang"],
)  # fmt: skip
def test_romanised_names(name):
    assert is_romanised_name(name)


@pytest.mark.parametrize(
    "text", ["John Smith", "Coats Disease", "OU OD", "Topcon TRC", "Optos Daytona", "Best Disease"]
)
def test_other_latin_words_are_not_romanised_names(text):
    assert not is_romanised_name(text)


def test_syllables():
    assert split_syllables("xiaoming") == ("xiao", "ming")
    assert split_syllables("smith") is None


def test_table_is_the_one_pypinyin_derives():
    pytest.importorskip("pypinyin")
    syllables, surnames = derive_tables()
    assert tables() == (frozenset(syllables), frozenset(surnames))
