"""Compiled regular expressions for the PHI kinds the text scrubber finds.

The patterns run on a *normalised* copy of the text (see `text.normalize`): full-width
ASCII is already half-width, traditional characters are simplified, odd spaces are plain
spaces and dashes are ``-``; the copy has the same length as the original, so a match's
offsets are the original's offsets. Each pattern puts the PHI in the named group ``v``
(the cue word in front of it is kept in the output).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from revision_pipeline.deid import lexicon as lx

NAME = "姓名"
ID_NUMBER = "身份证号"
PHONE = "电话"
EMAIL = "邮箱"
SOCIAL = "社交账号"
ADDRESS = "地址"
NUMBER = "编号"
DATE = "日期"
AGE = "年龄"

#: Placeholder kinds, most specific first (used to pick the kind of merged spans).
KINDS: tuple[str, ...] = (ID_NUMBER, PHONE, EMAIL, SOCIAL, DATE, AGE, ADDRESS, NAME, NUMBER)

_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF))


@dataclass(frozen=True)
class Rule:
    """One pattern (PHI in its group ``v``) and the kind of PHI it finds."""

    kind: str
    pattern: str
    marker: str | None = None  # only run when this substring is present
    gate: str | None = None  # only run when this regex finds something
    entry: str | None = None  # characters a match can start with (a fast pre-check)


@dataclass(frozen=True)
class Group:
    """Rules combined into one regex, run only when ``gate`` finds something."""

    regex: re.Pattern[str]
    kinds: dict[str, str]  # capture-group name -> PHI kind
    gate: re.Pattern[str] | None = None


def cjk_except(excluded: str) -> str:
    """A character class of all CJK ideographs except ``excluded``."""
    cut = sorted({ord(c) for c in excluded})
    parts: list[str] = []
    for lo, hi in _CJK_RANGES:
        start = lo
        for code in cut:
            if lo <= code <= hi:
                if code > start:
                    parts.append(f"{chr(start)}-{chr(code - 1)}")
                start = code + 1
        if start <= hi:
            parts.append(f"{chr(start)}-{chr(hi)}")
    return "[" + "".join(parts) + "]"


def _trie(paths: list[list[str]]) -> str:
    """An alternation of token sequences factored by common prefixes: at each position
    the engine follows one branch per character instead of trying every word (hundreds
    of cue words stay fast). Longer words are still preferred, as in a longest-first
    alternation."""
    trie: dict = {}
    for tokens in paths:
        node = trie
        for tok in tokens:
            node = node.setdefault(tok, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [tok + build(child) for tok, child in sorted(node.items()) if tok]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


def _alt(words: list[str] | tuple[str, ...]) -> str:
    """Escaped alternation of ``words``, preferring the longest (as a prefix trie)."""
    return _trie([[re.escape(c) for c in w] for w in set(words) if w])


def _cue(words: list[str] | tuple[str, ...]) -> str:
    """Like `_alt`, but two-character Chinese cues may hold a space (``姓 名``, ``电 话``)."""
    paths = []
    for w in set(words):
        tokens = [re.escape(c) for c in w]
        if len(w) == 2 and all("\u4e00" <= c <= "\u9fff" for c in w):
            tokens[1] = "[ ]{0,2}" + tokens[1]
        if tokens:
            paths.append(tokens)
    return _trie(paths)


def _name_parts() -> dict[str, str]:
    hard = lx.NAME_STOP_HARD
    soft = hard + lx.NAME_STOP_SOFT + lx.NAME_STOP_VERBS
    compound = _alt(lx.COMPOUND_SURNAMES)
    surname = f"[{lx.SURNAMES}]"
    # a role or title right after a two-character name is no part of it (导师毛毛教授)
    nr = f"(?!{_alt(lx.NAME_ROLES + lx.NAME_TITLES)})"
    g_strong = cjk_except(hard)
    g_weak = cjk_except(soft)
    # a surname and two characters common in given names (贺长林: 长 also begins 长期)
    given = "[" + "".join(c for c in lx.GIVEN_NAME_CHARS if c not in hard) + "]"
    abbr = _alt(lx.CLINICAL_ABBREVIATIONS)
    fields = "Name|Age|Sex|Gender|Date|Dx|ID|Tel|Phone|Patient|Doctor|Exam|Report|No"
    # a capitalised word, or one in capitals, apostrophes inside (O'Brien, O'BRIEN)
    word = (
        rf"(?!(?:{abbr}|{fields})\b)"
        r"(?:[A-ZÀ-Þ](?:['’][A-Z])?[a-zß-ÿ'’\-]*[a-zß-ÿ]|[A-Z][A-Z'’\-]*[A-Z])"
    )
    # Clinical words that begin with a surname and survive the character filters.
    neg = (
        "于[^\u4e00-\u9fff]|于[半去昨上下前后一二三四五六七八九十数多本今外我当]|屈光|单纯|"
        "全视|毛玻璃|毛细|向下|向上|时有|文献|安排|安全|齐全|易出|易于|施行|温度|关注|简单|"
        "项目|费用|封闭|麻木|迟缓|皮质|粟粒|尤其|符合|舒张|梅毒|焦点|申请|颜色|庞大|殷红|劳累|"
        "解剖|窦性|白色|白点|黄色|黄白|高反|高血|常见|明确|周围|周身|连续|石化|万一|金属|康复|车祸|冷静|冷敷|平素|曲度"
    )
    return {
        # after a cue and a colon: a surname and one or two characters, or any two to four
        # characters that end where the field does (医生：建议… is speech, not a name)
        "strong": rf"(?:(?:{compound}|{surname})[ ]{{0,2}}{g_strong}(?:{nr}{g_strong})?"
        rf"|{nr}{g_strong}{{2,4}}(?=[^\u3400-\u9fff]|$)"
        # … or a transliterated name (敖其尔, 努尔艾合买提), whose characters may be stop ones
        rf"|[{lx.TRANSLIT_CHARS}]{{2,8}}(?=[^\u3400-\u9fff]|$))",
        "strong_surname": rf"(?:{compound}|{surname})[ ]{{0,2}}{g_strong}(?:{nr}{g_strong})?",
        "weak": rf"(?!{neg})(?:{compound}|{surname})[ ]?"
        rf"(?:{given}{nr}{given}|{g_weak}(?:{nr}{g_weak})?)",
        "any": rf"{g_strong}{{2,4}}",
        "surname_only": rf"(?!{neg})(?:{compound}|{surname})",
        "g_weak": g_weak,
        # before a title a name may hold 年 (王永年老先生): 年龄 cannot stand there
        "g_title": cjk_except(soft.replace("年", "")),
        "latin": rf"{word}(?:[ ]+{word}){{1,2}}",
        "latin_word": word,
    }


#: Roles whose colon may introduce speech in a chat (医生：好的…) rather than a name.
_SPEAKING_ROLES = (
    "医生",
    "医师",
    "大夫",
    "护士",
    "主任",
    "教授",
    "技师",
    "护师",
    "院长",
    "老师",
    "专家",
)


def _cue_rules() -> list[Rule]:
    """Everything introduced by a cue word: names, contacts, numbers, addresses, ages."""
    from revision_pipeline.deid.names import dotted_name

    p = _name_parts()
    sep = r"\s*[:：]{0,3}\s*"  # typos double the colon: 报告医师：：张三
    name_cues = _cue(lx.NAME_CUES)
    strong_cues = _cue(lx.NAME_CUES_STRONG)
    paren = r"(?:\s*[(（][^)）\n]{1,6}[)）])?"
    # labels paired with a slash name values in the same order: 姓名/身份证：王芳/3301…
    paired = r"(?:[ ]*/[ ]*[^:：/\n]{1,8}){0,3}"
    relation = rf"(?:(?:{_cue(lx.RELATIONS)})[ ]?)?"
    strong_list = rf"{p['strong']}(?:\s*[、/]\s*{relation}{p['strong']})*"
    surname_list = rf"{p['strong_surname']}(?:\s*[、/]\s*{relation}{p['strong_surname']})*"
    roles = [c for c in lx.NAME_CUES if c.endswith(_SPEAKING_ROLES)]
    role_cues = _cue(roles)
    field_cues = _cue([c for c in lx.NAME_CUES if c not in set(roles)])
    weak_list = rf"{p['weak']}(?:\s*[、/]\s*{relation}{p['weak']})*"
    patient_cues = _cue(lx.PATIENT_CUES)
    dotted = dotted_name()
    sexed = r"(?=[ ]?[,、 ][ ]?(?:[^,，。\n]{1,8}[,、 ][ ]?)?[男女](?:性)?(?:[,、 ]|\d))"
    # a number may open with a word before a dash (急诊无名-2023-117)
    number = (
        r"(?:[\u4e00-\u9fff]{1,6}[\-_#](?=\d))?"
        r"(?=[A-Za-z\-_/#]*\d)[A-Za-z0-9#][A-Za-z0-9\-_/#]*(?:[ ]\d[A-Za-z0-9\-_/]*)*"
    )
    return [
        Rule(ID_NUMBER, rf"(?:{_cue(lx.ID_CUES)}){sep}(?P<v>[0-9Xx*](?:[ -]?[0-9Xx*]){{13,19}})"),
        Rule(
            PHONE,
            rf"(?<![A-Za-z])(?:{_cue(lx.PHONE_CUES)}){sep}(?P<v>[+(]?\d[\d \-()]{{5,20}}\d)",
        ),
        Rule(
            SOCIAL,
            rf"(?<![A-Za-z])(?:{_cue(lx.SOCIAL_CUES)}){sep}(?P<v>[A-Za-z0-9][A-Za-z0-9_\-.]{{3,39}})",
        ),
        # … a nickname in any script after the cue and a colon: 微信：静水流深
        Rule(
            SOCIAL,
            rf"(?<![A-Za-z])(?:{_cue(lx.SOCIAL_CUES)})[ ]*(?:号|名|昵称|ID|id)?[ ]*[:：][ ]*"
            r"(?P<v>[^\s,，。;；:：()（）\[\]【】]{2,30})",
        ),
        Rule(
            PHONE,
            r"(?<![A-Za-z])(?:分机|分机号|内线|转|ext\.?|Ext\.?|EXT\.?)[ ]*[:：]?[ ]*"
            r"(?P<v>\d{3,6})\b",
        ),
        Rule(AGE, rf"(?:年龄|age|Age|AGE){sep}(?P<v>(?:9\d|1[0-2]\d))(?![\d.])"),
        Rule(
            NUMBER,
            rf"(?<![A-Za-z])(?:{_cue(lx.NUMBER_CUES)})(?![a-z])\s*[:：#]{{0,3}}\s*(?P<v>{number})",
        ),
        Rule(
            ADDRESS,
            rf"(?<![A-Za-z])(?:{_cue(lx.ADDRESS_CUES)}){sep}"
            r"(?P<v>[^\s,，。;；!！?？、:：()（）\[\]]{2,60})",
        ),
        Rule(
            NAME,
            rf"(?:(?:{field_cues}){paren}{paired}\s*(?:[:：]+|[】\]]){paren}|(?:{strong_cues}){paren})\s*"
            rf"{relation}(?P<v>{dotted}|{p['latin']}|{strong_list})",
        ),
        # after a role and a colon (医生：…) speech is as likely as a name: surname-led only
        Rule(
            NAME,
            rf"(?:{role_cues}){paren}\s*[:：]+\s*"
            rf"{relation}(?P<v>{dotted}|{p['latin']}|{surname_list})",
        ),
        # a table row with pipes (随诊医生 | 王芳 | …): a surname-led name only, since a
        # header row holds labels there (姓名|民族|年龄)
        Rule(NAME, rf"(?:{name_cues}){paren}[ ]*\|[ ]*(?P<v>{dotted}|{p['strong_surname']})"),
        Rule(NAME, rf"(?:{patient_cues})[ ]?(?P<v>{p['any']}){sexed}"),
        Rule(
            NAME,
            rf"(?:{name_cues})儿?{paren}[ ]?(?:是|为)?{relation}"
            rf"(?P<v>{dotted}|{p['latin']}|{weak_list})",
        ),
        Rule(
            NAME,
            rf"(?<![A-Za-z])(?:{_cue(lx.LATIN_NAME_CUES)}){sep}"
            rf"(?P<v>{p['latin_word']}(?:[ ]+{p['latin_word']}){{0,2}})",
        ),
    ]


def _digit_rules() -> list[Rule]:
    """Rules whose PHI starts with a digit, ``+`` or ``(``: IDs, phones, dates, ages, numbers."""
    y4 = r"(?:19|20)\d{2}"
    mm = r"(?:0?[1-9]|1[0-2])"
    dd = r"(?:0?[1-9]|[12]\d|3[01])"
    time = r"(?:[ T]?\d{1,2}:\d{2}(?::\d{2})?)?"
    months = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    old = r"(?:9\d|1[0-2]\d)"
    no_digit_before = r"(?<![\dA-Za-z.])"
    return [
        Rule(ID_NUMBER, r"(?<![0-9A-Za-z])(?P<v>[1-9](?:[ -]?\d){16}[ -]?[\dXx])(?![0-9A-Za-z])"),
        Rule(
            PHONE,
            rf"{no_digit_before}(?P<v>(?:(?:\+|00)[ ]?86[ -]*|\(\+?86\)[ ]*)?"
            r"1[3-9](?:[ -]?\d){9})(?!\d)",
        ),
        Rule(
            PHONE,
            rf"{no_digit_before}(?P<v>(?:(?:\+|00)[ ]?86[ -]*\(?0?\d{{2,3}}\)?|\(0\d{{2,3}}\)"
            r"|0\d{2,3})[ -]?\d{3,4}[ -]?\d{4}(?:[ ]*(?:转|ext\.?)[ ]*\d{1,5})?)(?![\d.])",
        ),
        Rule(DATE, rf"(?<![\d.])(?P<v>{y4}[ ]?[-/.][ ]?{mm}(?:[ ]?[-/.][ ]?{dd}{time})?)(?!\d)"),
        # phone numbers written with a space between every digit, international numbers
        # in groups (+20 100 455 7789), landlines in groups of 4-4-3 (0592 5130 862)
        Rule(PHONE, rf"{no_digit_before}(?P<v>1(?:[ ]\d){{10}})(?![ ]?\d)"),
        Rule(PHONE, rf"{no_digit_before}(?P<v>\+\d{{1,3}}(?:[ \-.]\d{{2,5}}){{2,4}})(?![\d.])"),
        Rule(PHONE, rf"{no_digit_before}(?P<v>0\d{{2,3}}[ .\-]\d{{3,4}}[ .]\d{{3,4}})(?![\d.])"),
        # a card number in groups of digits (8800 1205 7736)
        Rule(NUMBER, rf"{no_digit_before}(?P<v>\d{{4}}(?:[ ]\d{{3,4}}){{2,}})(?![\d.])"),
        Rule(DATE, rf"(?<![\d.])(?P<v>{dd}[-/.]{mm}[-/.]{y4})(?!\d)"),
        Rule(DATE, rf"(?<![\d.])(?P<v>\d{{2}}[-/]{mm}[-/]{dd})(?![\d.])"),
        Rule(DATE, rf"(?<!\d)(?P<v>{y4}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))(?!\d)"),
        Rule(
            DATE,
            rf"(?<!\d)(?P<v>(?:{y4}|\d{{2}})[ ]*年[ ]*{mm}[ ]*月(?:[ ]*{dd}[ ]*[日号])?{time})",
        ),
        Rule(DATE, rf"(?<![\d.])(?P<v>{mm}[ ]*月[ ]*{dd}[ ]*[日号]{time})"),
        Rule(DATE, rf"(?<![\d.])(?P<v>\d{{1,2}}[ ]+(?:{months})[a-z]*\.?,?[ ]+{y4})"),
        Rule(AGE, rf"(?<![\d.])(?P<v>{old}[ ]?(?:周岁|岁))"),
        Rule(
            AGE,
            rf"(?<![\d.])(?P<v>{old}[ ]?(?:y/o|yo|y\.o\.|years?(?:[- ]old)?|-year-old|Y))"
            r"(?![A-Za-z])",
        ),
        # a date without a year after a weekday: 周二（10/17）, Monday 15 May
        Rule(
            DATE,
            r"(?:(?<=[周期][一二三四五六日天])|(?<=[周期][一二三四五六日天][(（ ]))"
            rf"(?P<v>{mm}/{dd})(?![\d/])",
        ),
        Rule(NUMBER, r"(?<![\d.])(?P<v>\d{1,3})[ ]?(?:号床|床)(?![旁边头])"),
        Rule(NUMBER, r"(?<![\d.\-/])(?P<v>\d{6,})(?!\d|\.\d)"),
    ]


def _latin_rules() -> list[Rule]:
    """Rules whose PHI starts with a Latin letter: record numbers, e-mails, handles, dates."""
    months = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    return [
        Rule(EMAIL, r"(?P<v>[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+)", "@"),
        Rule(SOCIAL, r"(?P<v>wxid_[A-Za-z0-9_\-]{4,})", "wxid_"),
        Rule(
            NUMBER,
            r"(?<![A-Za-z0-9])(?P<v>[A-Za-z]{1,4}[-_]?\d{5,}(?:[-_]?[A-Za-z0-9]+)*)(?![A-Za-z0-9])",
        ),
        Rule(DATE, rf"(?P<v>(?:{months})[a-z]*\.?[ ]+\d{{1,2}},?[ ]+(?:19|20)\d{{2}})"),
        Rule(
            DATE,
            r"(?P<v>(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day,?[ ]+(?:\d{1,2}[ ]+[A-Z][a-z]{2,8}"
            rf"|(?:{months})[a-z]*\.?[ ]+\d{{1,2}}))",
            gate="day",
        ),
        # a code of capitals, a dash and four or more digits standing alone: QC-2281
        Rule(
            NUMBER,
            r"(?<![A-Za-z0-9\-])(?P<v>[A-Z]{2,4}-\d{4,})(?![A-Za-z0-9\-])",
            gate=r"[A-Z]-\d{4}",
        ),
    ]


def _code_rules() -> list[Rule]:
    """A code right after any label ending in 号 (分诊号 E0923-0156): letters, then digits."""
    return [
        Rule(
            NUMBER,
            r"号[ ]*[:：#]?[ ]*(?P<v>[A-Za-z]{0,4}[\-_]?\d{3,}(?:[\-_/][A-Za-z0-9]+)*)"
            r"(?![A-Za-z0-9])",
        )
    ]


def _cjk_number_rules() -> list[Rule]:
    """Dates and ages written in Chinese numerals (二〇二三年三月五日, 九十二岁)."""
    cn_digit = "〇○零一二三四五六七八九"
    cn_month = "(?:十[一二]?|[一二三四五六七八九])"
    cn_day = "(?:[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
    cn_unit = "[一二三四五六七八九]"
    cn_old = f"(?:九十{cn_unit}?|一百(?:零?{cn_unit}|[一二]十{cn_unit}?)?|百)"
    return [
        Rule(
            DATE,
            rf"(?P<v>[{cn_digit}]{{2,4}}年{cn_month}月(?:{cn_day}[日号])?|{cn_month}月{cn_day}[日号])",
        ),
        Rule(AGE, rf"(?P<v>{cn_old}(?:周岁|岁))"),
    ]


def _title_rules() -> list[Rule]:
    """A surname (and given name) before a title or role: 王女士, 李医生, 欧阳主任, 陶某副主任."""
    p = _name_parts()
    return [
        Rule(NAME, rf"(?P<v>{p['surname_only']}{p['g_title']}{{0,2}}(?:{_alt(lx.NAME_TITLES)}))"),
        # (not 任 of 主任医师)
        Rule(
            NAME,
            rf"(?<!主)(?!(?<=[导老医技护律教厨牧药])师)"
            rf"(?P<v>{p['surname_only']}{p['g_weak']}{{0,2}})副?(?:{_alt(lx.NAME_ROLES)})",
        ),
    ]


def _address_rules() -> list[Rule]:
    """Street addresses without a cue: they must reach a house number or a district."""
    n = cjk_except(lx.ADDRESS_STOP)
    prov = rf"(?:{_alt(lx.PROVINCES)})(?:省|市|壮族自治区|回族自治区|维吾尔自治区|自治区)?"
    city = rf"{n}{{1,5}}?(?:市|州|盟)"
    district = rf"{n}{{1,5}}?(?:区|县|旗)"
    town = rf"{n}{{1,6}}?(?:镇|乡|街道|村)"
    road = rf"{n}{{1,10}}?(?:路|街|大道|大街|巷|弄|胡同)[ ]*\d+(?:-\d+)?[ ]*号(?:院|楼)?"
    estate = rf"{n}{{1,8}}?(?:花园|小区|新村|家园|公寓|大厦|苑|社区|广场|家属院|家属楼|宿舍楼|宿舍)"
    unit = r"(?:[ ]*\d+[ ]*(?:栋|幢|座|号楼|楼|单元|层|室|房|户|号))"
    tail = rf"(?:{estate})?{unit}*(?:[ ]*\d{{3,4}}(?![\d.]))?"
    village = rf"{n}{{1,5}}?村(?:[一二三四五六七八九十\d]{{1,3}}(?:组|队|社)|\d+号)?"
    # (家 may be inside a care home's name: 幸福家园护理院)
    n_home = cjk_except(lx.ADDRESS_STOP.replace("家", ""))
    home = (
        rf"{n_home}{{2,6}}?(?:护理院|养老院|敬老院|福利院|颐养中心|养老中心|康养中心|老年公寓|"
        r"托老所|疗养院)(?:[ ]*[A-Za-z\d]{1,2}[ ]*(?:座|栋|幢|号楼|区))?"
        r"(?:[ ]*\d{2,4}(?:室|房|号)?)?"
    )
    return [
        # rural chains: 县…乡…村(三组), …街道…村88号, …村七组
        Rule(
            ADDRESS,
            rf"(?P<v>(?:{district}){n}{{1,5}}?(?:乡|镇|街道){village}|(?:{town}){village}"
            rf"|{n}{{1,4}}村[一二三四五六七八九十\d]{{1,3}}(?:组|队|社))",
        ),
        Rule(ADDRESS, rf"(?P<v>{home})"),
        Rule(ADDRESS, rf"(?P<v>(?:{prov})?(?:{city})?(?:{district})?(?:{town})?{road}{tail})"),
        Rule(
            ADDRESS,
            rf"(?P<v>(?:{prov}(?:{city})?|{n}{{2,3}}市){district}(?:{town})?(?:{estate})?{unit}*)",
        ),
        Rule(ADDRESS, rf"(?P<v>{estate}{unit}+(?:[ ]*\d{{3,4}}(?![\d.]))?)"),
    ]


def _first_chars(words: list[str]) -> str:
    return "".join(sorted({w[0] for w in words}))


def _combine(rules: list[Rule], entry: str | None, gate: str | None) -> Group:
    """One regex of alternatives, each with its own capture group ``v<i>``."""
    kinds: dict[str, str] = {}
    branches: list[str] = []
    for i, rule in enumerate(rules):
        name = f"v{i}"
        kinds[name] = rule.kind
        branches.append("(?:" + rule.pattern.replace("(?P<v>", f"(?P<{name}>") + ")")
    body = "|".join(branches)
    # A one-character look-ahead in front makes the engine skip hopeless positions fast.
    pattern = f"(?=[{re.escape(entry)}])(?:{body})" if entry else body
    return Group(re.compile(pattern), kinds, re.compile(gate) if gate else None)


@cache
def groups() -> tuple[Group, ...]:
    """All rules, compiled into gated groups (built once, on first use)."""
    cue_words = (
        lx.NAME_CUES
        + lx.NAME_CUES_STRONG
        + lx.LATIN_NAME_CUES
        + lx.ID_CUES
        + lx.PHONE_CUES
        + lx.SOCIAL_CUES
        + lx.NUMBER_CUES
        + lx.ADDRESS_CUES
        + ["年龄", "age", "Age", "AGE", "分机", "内线", "转", "ext", "Ext", "EXT"]
    )
    surname_first = lx.SURNAMES + _first_chars(lx.COMPOUND_SURNAMES)
    titles = lx.NAME_TITLES + lx.NAME_ROLES
    from revision_pipeline.deid.context import context_rules
    from revision_pipeline.deid.names import name_rules
    from revision_pipeline.deid.slots import slot_rules

    out = [
        _combine(_digit_rules(), "0123456789+(", None),
        *(_combine([r], r.entry, r.gate) for r in name_rules() + slot_rules() + context_rules()),
        _combine(_cue_rules(), _first_chars(cue_words), None),
        _combine(_code_rules(), "号", None),
        _combine(_cjk_number_rules(), "〇○零一二三四五六七八九十百", "[月岁]"),
        _combine(_title_rules(), surname_first, "|".join(map(re.escape, titles))),
        _combine(
            _address_rules()[:1],
            None,
            "[乡镇道村][^,，。;；\n]{0,6}?村"
            r"|村[一二三四五六七八九十\d]",
        ),
        _combine(_address_rules()[1:2], None, r"院|中心|老年公寓|托老所"),
        _combine(_address_rules()[2:3], None, r"(?:路|街|大道|巷|弄|胡同)[ ]*\d+(?:-\d+)?[ ]*号"),
        _combine(_address_rules()[3:4], None, r"[省市][^,，。;；]{0,12}?[区县旗]"),
        _combine(
            _address_rules()[4:],
            None,
            r"(?:花园|小区|新村|家园|公寓|大厦|苑|社区|广场|家属院|家属楼|宿舍楼|宿舍)[ ]*\d",
        ),
    ]
    for rule in _latin_rules():
        gate = rule.gate or (re.escape(rule.marker) if rule.marker else "[A-Za-z]")
        out.append(_combine([rule], None, gate))
    return tuple(out)
