"""PHI that the first rules missed on independently written reports: employers and
schools, licence plates, phone numbers read out in Chinese numerals, ages over 89
without 岁, chat nicknames.

Employers and schools are written as ``[地址]`` (the placeholder set is part of the
tokenizer's vocabulary and stays as it is); plates as ``[编号]``.
"""

from __future__ import annotations

import re
from functools import cache

from revision_pipeline.deid import lexicon as lx
from revision_pipeline.deid.patterns import (
    ADDRESS,
    AGE,
    NAME,
    NUMBER,
    PHONE,
    Rule,
    _alt,
    cjk_except,
)

__all__ = ["chat_speakers", "context_rules"]

#: How the name of a work unit ends (after 单位 without a colon).
_UNIT_END = "(?:公司|集团|厂|店|中心|部|处|站|队|所|局|院|校|学|园|社|行|馆|场|矿|站)"
_PROVINCE_SHORT = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_CN_DIGITS = "幺一二三四五六七八九零〇两"


def context_rules() -> list[Rule]:
    """Employer, plate, spoken-number and old-age rules (PHI in group ``v``)."""
    suffix = _alt(lx.ORG_SUFFIXES)
    body = f"(?:人民|{cjk_except(lx.ORG_STOP)})"  # 人 ends names, but not in 人民
    field = r"[^\s,，。;；:：()（）]"
    return [
        Rule(
            ADDRESS,
            rf"(?:{_alt(lx.EMPLOYER_CUES)})[ ]*[:：][ ]*(?P<v>{field}{{2,30}})",
        ),
        Rule(
            ADDRESS,
            rf"(?:{_alt(lx.EMPLOYER_VERBS)})[ ]*(?P<v>{body}{{2,24}}?(?:{suffix}))",
        ),
        # an organisation and its branches: 中国银行城东支行, 市公安局交警支队
        Rule(
            ADDRESS,
            rf"(?<![\u4e00-\u9fff])(?P<v>{body}{{2,20}}?(?:{suffix})(?:{body}{{1,8}}?(?:{suffix}))?)",
            gate=suffix,
        ),
        # 单位 without a colon, when what follows ends like a work unit: 单位顺丰速运分拣中心。
        Rule(
            ADDRESS,
            rf"(?:工作单位|就职单位|所在单位|单位)(?:是|为|在)?[ ]*"
            rf"(?P<v>{body}{{2,20}}?{_UNIT_END})"
            r"(?=[ ]*(?:[,，。;；\n)）]|$))",
            gate="单位",
        ),
        Rule(
            NUMBER,
            rf"(?P<v>[{_PROVINCE_SHORT}][A-Z][·• ]?[A-Z0-9]{{4,6}}[警急学挂领港澳]?)"
            r"(?![A-Za-z0-9])",
        ),
        Rule(PHONE, rf"(?P<v>[{_CN_DIGITS}](?:[ \-]?[{_CN_DIGITS}]){{6,12}})"),
        Rule(
            AGE, r"(?P<v>(?:九十[一二三四五六七八九]?|一百[零一二三四五六七八九十]*)(?:了|多|高龄))"
        ),
        Rule(AGE, r"(?<![\d.])(?P<v>(?:9\d|1[01]\d))(?=了|高龄|多岁)", gate="了|高龄|多岁"),
        Rule(NUMBER, r"(?P<v>\d{1,3}[ ]?号(?:抢救|监护|观察|加)?床)", gate="床"),
    ]


_SPEAKER = re.compile(
    r"[ ]*(?:[\[【(（]?\d{1,2}:\d{2}(?::\d{2})?[\]】)）]?[ ]*)?"
    r"([^\n:：]{1,12}?)[ ]*(?:[(（][^)）\n]{0,14}[)）])?[ ]*[:：]"
)
_QQ_NICK = re.compile(r"(?:^|\n)[ ]*([^\n:：()（）\d]{2,12}?)[ ]*[(（]\d{5,12}[)）]")


@cache
def _role_labels() -> frozenset[str]:
    return frozenset(lx.CHAT_ROLES)


def chat_speakers(norm: str) -> list[tuple[int, int, str]]:
    """Speaker nicknames of a chat transcript (``向日葵🌻：``, ``小雨点：``).

    Only in a text that reads as a chat: at least two lines open with a speaker role
    (医生：, 患者：, 家属：) or a time stamp. Then every other line-opening speaker tag
    that is no role is a nickname.
    """
    if "\n" not in norm:
        return []
    out = [(m.start(1), m.end(1), NAME) for m in _QQ_NICK.finditer(norm)] if "(" in norm else []
    tags: list[tuple[int, str]] = []
    roles_seen: set[str] = set()
    stamped, pos = 0, 0
    for line in norm.split("\n"):
        head = line[:40]
        if ":" in head or "：" in head:
            m = _SPEAKER.match(line)
            if m is not None:
                value = m.group(1).strip()
                if _STAMP.match(line):
                    stamped += 1
                if value in _role_labels():
                    roles_seen.add(value)
                elif _nickname_like(value) and not value.endswith(_ROLE_ENDS):
                    tags.append((pos + m.start(1) + m.group(1).find(value), value))
        pos += len(line) + 1
    # a chat: time-stamped lines, two different roles speaking, a role and a nickname
    # that speaks twice (小雨点：… 医生：… 小雨点：…), or a chat's title on top
    repeated = len({v for _, v in tags}) < len(tags)
    titled = _CHAT_TITLE.match(norm) is not None
    if stamped < 2 and len(roles_seen) < 2 and not (roles_seen and repeated) and not titled:
        return out
    out.extend((start, start + len(value), NAME) for start, value in tags)
    return out


#: A chat's title on its first line: 微信群「…」, 群聊, 聊天记录, 私信.
_CHAT_TITLE = re.compile(
    r"[ ]*(?:微信群|QQ群|群聊|聊天记录|对话记录|微博私信|私信|在线咨询|在线问诊)"
)
#: Speaker tags ending in a role are no nicknames (医生助理, 基层医生, 会诊专家).
_ROLE_ENDS = ("医生", "医师", "助理", "专家", "护士", "客服", "家属", "家长")
_STAMP = re.compile(r"[ ]*[\[【(（]?\d{1,2}:\d{2}")


def _nickname_like(value: str) -> bool:
    """A speaker tag that can be a nickname: no report field, no number or list mark."""
    if not value or value in lx.CHAT_NOT_SPEAKERS or value[0].isdigit():
        return False
    return not (value.isascii() and len(value) <= 2)
