"""Person slots read from the kinds of miss on a third independently written set.

Each slot is a piece of report grammar, not a list of names:

- **who the person is**, after the name and a comma: ``李明，市第一中学教师``,
  ``金某某，日本留学生`` (an occupation noun ends the clause);
- **when something happened to them**: ``王芳于7月3日被…`` (a name before 于 and a date);
- **age and sex before the name**: ``62岁女性王芳被烟花炸伤``;
- **a department before the name**: ``产科王芳：``, ``—— 眼科李强，2024/12/01``;
- **a self-reference**: ``本人王芳，现住…``;
- **letter headers**: ``To: Dr. 王芳``, ``From: 李强，市妇幼保健院``;
- **chat nicknames with the person they speak for**: ``开心果（王芳家属）：``;
- **chat speakers tagged with a clock time**: ``王芳 09:12`` alone on a line;
- **a name standing alone between list marks**: ``…，王秀英，…`` — a surname and one or two
  characters common in given names (`lexicon.GIVEN_NAME_CHARS`), the whole item between
  commas, enumeration marks or line ends (a character-level name likelihood, gated by
  the layout).
"""

from __future__ import annotations

import re
from functools import cache

from revision_pipeline.deid import lexicon as lx
from revision_pipeline.deid.names import BackRule, _parts
from revision_pipeline.deid.patterns import NAME, Rule, _alt

__all__ = ["slot_back_rules", "slot_rules", "stamped_speakers"]


def _firsts(words: list[str]) -> str:
    """The first characters of ``words``, escaped for a character class."""
    return re.escape("".join(sorted({w[0] for w in words})))


_LETTER_CUES = r"To|From|Attn|ATTN|Cc|CC|Dear|Dr|DR|Prof"


def slot_rules() -> list[Rule]:
    """Forward rules: the slot's words come first, the name (group ``v``) after them."""
    p = _parts()
    person = rf"{p['dotted']}|{p['han_weak']}"
    speaks_for = _alt([*lx.RELATIONS, "家属", "家长", "本人", "监护人", "患者", "患儿"])
    return [
        # 62岁女性王芳, 5岁男孩李乐
        Rule(
            NAME,
            rf"岁(?:的)?(?:{_alt(lx.AGE_SEX_NOUNS)})[ ]?(?P<v>{person})",
            gate="岁",
            entry="岁",
        ),
        # 产科王芳：…, 眼科李强，2024/12/01 (a speaker or a signature, not running text)
        Rule(
            NAME,
            rf"科[ ]?(?P<v>{p['dotted']}|{p['han']})(?=[ ]*(?:[:：]|[,，][ ]*\d|[ ]\d|\n|$))",
            gate="科",
            entry="科",
        ),
        # 请联系王芳, 已通知李强, 转告王芳 (verbs whose object is a person)
        Rule(
            NAME,
            rf"(?:联系|致电|通知|转告|交给|交由|递交给)[ ]?(?P<v>{person})",
            entry="联致通转交递",
        ),
        # 本人王芳，现住…
        Rule(
            NAME,
            rf"本人[ ]?[:：]?[ ]?(?P<v>{person})(?=[ ]*(?:[,，。;；\n]|$))",
            gate="本人",
            entry="本",
        ),
        # To: Dr. 王芳（省人民医院）, From: 李强，…
        Rule(
            NAME,
            rf"(?<![A-Za-z])(?:{_LETTER_CUES})\.?[ ]*[:：]?[ ]*(?:Dr\.?[ ]*)?"
            rf"(?P<v>{p['dotted']}|{p['han']})",
            gate=_LETTER_CUES,
            entry="TFACDP",
        ),
        # 开心果（王芳家属）：… (a nickname speaking for a patient)
        Rule(
            NAME,
            rf"(?:^|(?<=\n))[ ]*(?!(?:{_alt(lx.CHAT_ROLES)})[ ]*[(（])"
            r"(?P<v>[^\n:：()（）\[\]]{1,12}?)[ ]*[(（][^)）\n]{0,12}?"
            rf"(?:{speaks_for})[)）][ ]*[:：]",
            gate=rf"(?:{speaks_for})[)）][ ]*[:：]",
        ),
        # [患者] 爱吃鱼的猫：… (a nickname after a bracketed role)
        Rule(
            NAME,
            rf"(?:^|(?<=\n))[ ]*[\[【](?:{_alt(lx.CHAT_ROLES)})[\]】][ ]*"
            r"(?P<v>[^\n:：\[\]【】()（）]{1,12}?)[ ]*[:：]",
            gate="[\\[【]",
        ),
        # …，王秀英，… (a list item that is a surname and given-name characters only)
        Rule(
            NAME,
            rf"[\n,，、;；。 :：](?P<v>{p['sur']}{p['given']}{p['given']}?)(?=[,，、;；。\n]|$)",
            entry="\n,，、;；。 :：",
        ),
    ]


def slot_back_rules() -> list[BackRule]:
    """Back rules: the name ends where the slot's words begin."""
    p = _parts()
    person = rf"{p['dotted']}|{p['han']}"
    occupation = _alt(lx.OCCUPATIONS)
    return [
        # 李明，市第一中学教师 / 金某某，日本留学生
        BackRule(
            rf"(?=[{_firsts(lx.OCCUPATIONS)}])(?:{occupation})(?=[,，。;；、\n]|$)",
            rf"(?:^|(?<=[\n。;；:： ]))[ ]*(?P<v>{person})[ ]*[,，][^,，。;；\n]{{0,16}}?",
            window=28,
        ),
        # 王芳于7月3日…, 李强于昨日…
        BackRule(
            r"于[ ]*(?:\d{1,4}[年月.\-/]|[一二三四五六七八九十〇零]{1,4}[年月]"
            r"|今|昨|前天|去年|上周|本月|近日|同日|当日)",
            rf"(?:^|(?<=[\n。;；:：,， ]))[ ]*(?P<v>{person})",
            window=8,
        ),
    ]


_STAMPED = re.compile(
    r"(?:^|\n)[ ]*(?P<v>[^\n:：\d\[\]【】()（）]{2,14}?)[ ]+\d{1,2}:\d{2}(?::\d{2})?[ ]*(?=\n|$)"
)


_STAMP_AT_END = re.compile(r"\d:\d\d[ ]*(?:\n|$)")


@cache
def _single_name() -> re.Pattern[str]:
    p = _parts()
    return re.compile(rf"(?:{p['dotted']}|{p['han']})")


def stamped_speakers(norm: str) -> list[tuple[int, int]]:
    """Speakers of a chat exported as ``name HH:MM`` on a line of its own.

    Two or more such lines make a chat: every tag that is no role or field label is a
    nickname or a name. A single such line counts only when its tag reads as a name.
    """
    if "\n" not in norm or _STAMP_AT_END.search(norm) is None:
        return []
    tags = [
        m.span("v")
        for m in _STAMPED.finditer(norm)
        if norm[m.start("v") : m.end("v")].strip() not in lx.CHAT_NOT_SPEAKERS
        and norm[m.start("v") : m.end("v")].strip() not in lx.CHAT_ROLES
    ]
    if len(tags) >= 2:
        return tags
    return [(s, e) for s, e in tags if _single_name().fullmatch(norm, s, e)]
