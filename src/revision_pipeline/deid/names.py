"""Person names found by the structure of a report, not by a cue word alone.

Five kinds of evidence, each a compiled pattern (or a cheap check) on the normalised
text (see `text.normalize`):

- **demographic headers**: a name followed by sex and/or age in any common layout
  (``李明，男，56岁``, ``李明 男 56岁``, ``患者李明（男，56岁）``, table rows, a name with no
  label at the very start of the report or of a line);
- **person slots**: role and relation nouns before a name (``患儿``, ``受检者``, ``监护人``,
  ``母亲`` … see `lexicon.NAME_CUES`), a name before what a person does (``王芳代诉``,
  ``李强陪同``, ``王芳签字``) or before a role in parentheses (``王芳（母亲）``);
- **signatures and speakers**: ``—— 王芳``, a name before a date at the end of a line,
  chat speaker tags (``[10:32] 张伟：``), ``@mentions``;
- **name shapes**: minority and transliterated names with a middle dot
  (``阿依古丽·买买提``, ``约翰·史密斯``); romanised names checked syllable by syllable
  (`romanised.is_romanised_name`); English names (two capitalised words);
- **a surname list** with compound surnames (`lexicon.SURNAMES`,
  `lexicon.COMPOUND_SURNAMES`) where a slot needs one.

Clinical words that look like names (白内障, 高血压, 黄斑, 原田病, 牵牛花综合征, drug names)
are protected: a name found inside one of `lexicon.CLINICAL_LOOKALIKES` is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from revision_pipeline.deid import lexicon as lx
from revision_pipeline.deid.patterns import NAME, Rule, _alt, _cue, cjk_except
from revision_pipeline.deid.romanised import is_romanised_name

__all__ = [
    "BackRule",
    "after_firm_cue",
    "aliases",
    "back_names",
    "back_rules",
    "before_sex_age",
    "dotted_name",
    "latin_names",
    "list_neighbours",
    "name_rules",
    "protected",
    "role_field_names",
    "without_leading_cue",
]

_CJK = "[\u3400-\u4dbf\u4e00-\u9fff]"
#: Middle dots that join the parts of a transliterated or minority name.
_DOTS = "·•・‧･"


_SEX_AGE_GATE = r"[男女岁MF]|个月|月龄|\d[ ]*[yY]"
_STAMP_GATE = r"\d:\d\d"
_EMOJI = "[\U0001f300-\U0001faff\u2600-\u27bf]"
#: A bare age before the sex (李明 77 男, 34M), an obstetric header (G2P1).
_BARE_AGE = (
    r"|\d{1,3}[ ]*(?:[MF](?![A-Za-z])|[男女](?![\u4e00-\u9fff]{2}))"
    r"|G\d{1,2}P\d"
)
#: An age in Chinese numerals (七十七岁).
_CN_AGE = r"|[一二三四五六七八九十]{1,3}(?:周岁|岁)"


def _surname_first() -> str:
    return lx.SURNAMES + "".join(sorted({w[0] for w in lx.COMPOUND_SURNAMES}))


def dotted_name() -> str:
    """Two or more parts of a name joined by a middle dot (阿依古丽·买买提)."""
    part = cjk_except(lx.DOTTED_NAME_STOP)
    return rf"{part}{{1,8}}(?:[ ]?[{_DOTS}][ ]?{part}{{1,10}})+"


@cache
def _parts() -> dict[str, str]:
    hard = lx.NAME_STOP_HARD
    g = cjk_except(hard)
    w = cjk_except(hard + lx.NAME_STOP_SOFT + lx.NAME_STOP_VERBS)
    sur = rf"(?:{_alt(lx.COMPOUND_SURNAMES)}|[{lx.SURNAMES}])"
    # two characters common in given names: a name even where one also begins clinical
    # words (长 of 长期 in 贺长林)
    given = "[" + "".join(c for c in lx.GIVEN_NAME_CHARS if c not in hard) + "]"
    # a title after a two-character name is no part of it (联系王强教授)
    nr = f"(?!{_alt(lx.NAME_ROLES + lx.NAME_TITLES)})"
    gg = f"{given}{nr}{given}"
    return {
        "g": g,
        "h": cjk_except(lx.HEADER_NAME_STOP),
        "w": w,
        "sur": sur,
        "dotted": dotted_name(),
        "given": given,
        "han": rf"{sur}[ ]?{g}(?:{nr}{g})?",  # surname + 1-2 characters after a firm slot
        "han_weak": rf"{sur}[ ]?(?:{gg}|{w}(?:{nr}{w})?)",  # … where clinical words could follow
        # … where the end is fixed by what follows (a colon, a date): the last character
        # may be one that begins clinical words elsewhere (万春生：)
        "han_end": rf"{sur}[ ]?(?:{gg}|{w}(?:{nr}{g})?)",
    }


def _sex_age_anchor(sep_optional: bool = False) -> str:
    """Sex and/or age right after a name in a demographic header (the name ends where
    this starts); after an alias in parentheses no separator is needed (达瓦（藏族）52岁)."""
    sep = r"(?:[,，、/|;；:：]|[ ]|[(（\[【])[ ]*"
    if sep_optional:
        sep = f"(?:{sep})?"
    label = r"(?:(?:性别|性 别|Sex|sex|Gender|gender|年龄|年 龄|Age|age)[ ]*[:：]?[ ]*)?"
    sex = (
        r"(?:[男女](?:性|士|孩|童|婴)?|[MF](?![A-Za-z])|(?:[Ff]e)?[Mm]ale\b|(?:FE)?MALE\b)"
        r"(?=[ ]*(?:[,，、/|;；)）\]】]|\d|$|\n|[ ]))"
    )
    # (not 个月: "12个月复查" is an interval; an infant's header names the sex anyway)
    age = r"(?:\d{1,3}(?:\.\d)?[ ]*(?:岁|周岁|y|Y|yo|岁半)(?![A-Za-z]))"
    age += _BARE_AGE + _CN_AGE
    return rf"{sep}{label}(?:{sex}|{age})"


def _sex_age() -> str:
    """What follows a name in a demographic header: sex and/or age, in any layout (an
    alias in parentheses may come first: 达瓦（Dawa），女，52岁)."""
    alias = r"(?:[ ]*[(（][^)）\n]{1,24}[)）])?"
    sep = r"[ ]*(?:[,，、/|;；:：]|[ ]|[(（\[【])[ ]*"
    label = r"(?:(?:性别|性 别|Sex|sex|Gender|gender|年龄|年 龄|Age|age)[ ]*[:：]?[ ]*)?"
    sex = (
        r"(?:[男女](?:性|士|孩|童|婴)?|[MF](?![A-Za-z])|(?:[Ff]e)?[Mm]ale\b|(?:FE)?MALE\b)"
        r"(?=[ ]*(?:[,，、/|;；)）\]】]|\d|$|\n|[ ]))"
    )
    age = r"(?:\d{1,3}(?:\.\d)?[ ]*(?:岁|周岁|个月|月龄|y|Y|yo|岁半))"
    age += _BARE_AGE + _CN_AGE
    return rf"(?={alias}{sep}{label}(?:{sex}|{age}))"


@dataclass(frozen=True)
class BackRule:
    """A name that ends where ``anchor`` matches: ``back`` (the name in group ``v``) is
    searched in the ``window`` characters before each anchor. Faster than a forward
    pattern whose start could be any character."""

    anchor: str
    back: str
    window: int = 16
    gate: str | None = None


def back_rules() -> list[BackRule]:
    """Names recognised by what follows them (sex and age, a role, an act, a date)."""
    from revision_pipeline.deid.slots import slot_back_rules

    p = _parts()
    header_labels = _cue(lx.HEADER_LABELS)
    person = rf"{p['dotted']}|{p['han']}"
    boundary = r"(?:^|(?<=[\n,，。;；:：、(（\[【\]】|/ ]))"
    doers = _alt(lx.PERSON_VERBS)
    when = rf"(?:{_alt(lx.TIME_WORDS)})?"  # 钱某明日陪同
    roles = _alt(lx.RELATIONS + lx.PAREN_ROLES)
    alias = r"[ ]*[(（][^)）\n]{1,24}[)）]"
    sex_age = _sex_age_anchor()
    header_start = rf"(?:^|(?<=[\n ,，;；:：、|])|(?:{header_labels})[ ]*[:：]?)[ ]*"
    # words after which a name may start in running text: 今日王国庆诉…, 由张强陪同
    after_word = "|".join(f"(?<={re.escape(w)})" for w in lx.BEFORE_NAME_WORDS)
    return [
        # 1. Demographic header: a name (any characters but stop ones) at the start of the
        #    text, a line or a field, or after a header label, followed by sex or age.
        *(
            BackRule(anchor, back, window, gate)
            for anchor, gate in ((sex_age, None), (alias + _sex_age_anchor(True), "[(（]"))
            for back, window in (
                (rf"{header_start}(?P<v>{p['dotted']}|{p['h']}{{2,6}})", 20),
                (rf"(?P<v>{p['han']})", 6),
            )
        ),
        # … a surname-led name before the weeks of pregnancy: 聂某（孕39周）, 聂某，孕39周.
        BackRule(
            r"[ ]*[(（,，、 ][ ]*孕[ ]*\d{1,2}(?:\+\d)?[ ]*周",
            rf"(?:^|(?<=[\n,，;；:：、 ]))(?P<v>{p['han']})",
            window=6,
            gate="孕",
        ),
        # … two names for one person: 熊大/熊猛，男，35岁.
        BackRule(
            sex_age,
            rf"{header_start}(?P<v>{p['h']}{{2,4}}[ ]*/[ ]*(?:{p['dotted']}|{p['h']}{{2,6}}))",
            window=24,
            gate="/",
        ),
        # 2. A name before a role in parentheses: 王芳（母亲）, 石头（绰号）.
        BackRule(
            rf"[ ]*[(（][ ]*(?:患者|患儿|病人|其)?(?:的)?(?:{roles})",
            rf"(?P<v>{person}|{p['g']}{{2,4}})",
            gate="[(（]",
        ),
        # … a name before what a person does: 王芳代诉, 李强陪同, 护工小芳陪同.
        BackRule(doers, rf"(?:{_cue(lx.NAME_CUES)})儿?[ ]?(?P<v>{p['g']}{{2,3}}){when}"),
        BackRule(doers, rf"(?:{boundary}|{after_word})(?P<v>{p['dotted']}|{p['han_end']}){when}"),
        # … a surname-led name alone on a line; a speaker opening a line (吴磊（住院医）：).
        BackRule(r"\n|\Z", rf"(?:^|(?<=[\n。.]))[ ]*(?P<v>{p['dotted']}|{p['han_weak']})"),
        BackRule(
            "[:：]",
            rf"(?:^|(?<=\n))[ ]*(?:[【\[][^】\]\n]{{1,6}}[】\]][ ]*)?"
            rf"(?P<v>{p['dotted']}|{p['han']})(?:[ ]*[(（][^)）\n]{{0,12}}[)）])?",
            window=28,
        ),
        # … a name addressed with its role: 王强医生：, 致 眼科 欧阳明 副主任医师：.
        BackRule(
            r"(?:副主任医师|主任医师|主治医师|医生|医师|大夫|主任|教授)[ ]*[:：]",
            rf"(?:^|(?<=[\n 致主]))[ ]*(?P<v>{p['han']})",
            window=10,
        ),
        # … a greeting after a name (王芳您好), a name listed before a count (两位).
        BackRule(
            r"您好|你好",
            rf"(?:^|(?<=[\n:：,， ]))(?P<v>{p['dotted']}|{p['han']})",
            window=8,
        ),
        BackRule(
            r"两位|二位|三位|几位|等人|等\d人",
            rf"(?:^|(?<=[\n:：,，。、 ]))(?P<v>{p['han']})",
            window=8,
        ),
        # … a child's name before its parent: 我是豆豆的妈妈.
        BackRule(
            r"的(?:妈妈|爸爸|母亲|父亲|家长|爷爷|奶奶|外婆|外公|姥姥|监护人)",
            rf"(?:我是|是|^|(?<=[\n:：,，]))(?P<v>{p['g']}{{2,4}})",
            window=8,
        ),
        # 3. Signatures: a name before a date or a sign-off (王芳 2023.5.6, 刘建华 敬上), or
        #    heading a line with its hospital in parentheses.
        BackRule(
            rf"(?:19|20)\d{{2}}[-/.年]|{_alt(lx.SIGN_OFFS)}",
            rf"{boundary}(?P<v>{p['dotted']}|{p['han_end']})",
        ),
        BackRule(
            r"[(（][^)）\n]{0,20}(?:医院|科|中心|诊所)",
            rf"(?:^|(?<=\n))[ ]*(?P<v>{p['han_weak']})",
            gate="[(（]",
        ),
        *slot_back_rules(),
    ]


@cache
def _compiled_back() -> tuple[
    tuple[re.Pattern[str], re.Pattern[str] | None, tuple[tuple[re.Pattern[str], int], ...]], ...
]:
    """Back rules grouped by anchor: each anchor is searched once."""
    grouped: dict[tuple[str, str | None], list[tuple[re.Pattern[str], int]]] = {}
    for r in back_rules():
        grouped.setdefault((r.anchor, r.gate), []).append((re.compile(r.back + r"[ ]*$"), r.window))
    return tuple(
        (re.compile(anchor), re.compile(gate) if gate else None, tuple(backs))
        for (anchor, gate), backs in grouped.items()
    )


def back_names(norm: str) -> list[tuple[int, int]]:
    """Spans of the names found by `back_rules`."""
    out: list[tuple[int, int]] = []
    for anchor, gate, backs in _compiled_back():
        if gate is not None and gate.search(norm) is None:
            continue
        for a in anchor.finditer(norm):
            end = a.start()
            if end == 0 or (norm[end - 1] in " \n" and not norm[:end].strip()):
                continue
            for back, window in backs:
                m = back.search(norm, max(0, end - window), end)
                if m is not None:
                    out.append(m.span("v"))
    return out


def name_rules() -> list[Rule]:
    """The forward structural name rules (each puts the name in group ``v``)."""
    p = _parts()
    # the kin character first (a character class lets the engine skip ahead fast), then
    # what stands before it: 其妹, 之女, 我爸, or a boundary
    kin1 = f"[{lx.KIN_SINGLE}](?<=[其之我他她\\n,，。;；:：、(（)）】\\] ][{lx.KIN_SINGLE}])亲?"
    intro = _alt(lx.NAME_INTRO)
    paren = r"(?:[ ]*[(（][^)）\n]{0,12}[)）])?"
    stamp = r"[\[【(（]?[ ]*(?:\d{1,2}[-/.月]\d{1,2}日?[ ]*)?\d{1,2}:\d{2}(?::\d{2})?[ ]*[\]】)）]?"
    person = rf"{p['dotted']}|{p['han']}"
    return [
        # Person slots: 其妹何丽萍, 父唐国华; 我是周小燕, 真名石守仁.
        Rule(
            NAME,
            rf"{kin1}[ ]?[:：]?[ ]?(?P<v>{p['dotted']}|{p['han_weak']})",
            gate=f"[{lx.KIN_SINGLE}]",
        ),
        Rule(
            NAME,
            rf"(?:{intro})[ ]*[:：]?[ ]*"
            rf"(?P<v>{p['dotted']}|{p['han_weak']}|{p['g']}{{2,4}}(?=[ ,，。;；)）]))",
        ),
        # … a role with the name in parentheses: 家属（王芳）.
        Rule(NAME, rf"(?:{_cue(lx.NAME_CUES)})[ ]*[(（][ ]*(?P<v>{person})[ ]*[)）]", gate="[(（]"),
        # Signatures: —— 王芳; a surname-led name alone on a line.
        Rule(NAME, rf"(?:——|—|--|~)[ ]*(?P<v>{person})", gate="—|--|~"),
        # Chat speakers: [10:32] 张伟：…, [15:12] 乡镇医生祁同伟：…, 吴磊（住院医）：….
        Rule(
            NAME,
            rf"{stamp}[ ]*(?P<v>{p['dotted']}|{p['g']}{{2,4}}|[A-Za-z]{{2,12}}[ ]?{p['sur']})"
            rf"(?={paren}[ ]*[:：])",
            gate=_STAMP_GATE,
        ),
        Rule(
            NAME,
            rf"{stamp}[ ]*[^:：\n]{{1,8}}?(?P<v>{p['han']})(?={paren}[ ]*[:：])",
            gate=_STAMP_GATE,
        ),
        Rule(
            NAME,
            rf"@[ ]?(?P<v>{p['g']}{{2,4}}|[A-Za-z][A-Za-z0-9_\-]{{1,30}})",
            gate="@",
        ),
        # A label and a surname-led name alone in its field: 主检：孟繁华.
        Rule(
            NAME,
            rf"[:：](?<=[\u4e00-\u9fff][:：])[ ]*(?P<v>{p['han_weak']})"
            r"(?=[ ]*(?:$|\n|[ ,，。;；]|\d))",
        ),
        # Chat nicknames: a speaker tag before its account in parentheses (月亮船（QQ …）：)
        # or holding an emoji (星星点灯🌟：).
        Rule(
            NAME,
            r"(?:^|(?<=\n))[ ]*(?P<v>[^\n:：()（）\[\]]{1,12}?)[ ]*[(（][ ]*"
            r"(?:QQ|qq|微信|WeChat|wechat|wx|WX|微博|抖音)[^)）\n]{0,24}[)）][ ]*[:：]",
            gate="QQ|qq|微信|WeChat|wechat|wx|WX|微博|抖音",
        ),
        Rule(
            NAME,
            rf"(?:^|(?<=\n))[ ]*(?P<v>[^\n:：\[\]]{{0,10}}{_EMOJI}[^\n:：]{{0,6}}?)[ ]*[:：]",
            gate=_EMOJI,
        ),
        # A social role or kin noun right before a name that ends a field or what the
        # person does: 陪同：球友王强, 由舅舅扎西平措陪同, 翻译：护士阿依古丽.
        Rule(
            NAME,
            rf"(?:{_alt(lx.ROLE_NOUNS)}|(?<=[:：])(?:护士|医生|医师|技师|老师))[ ]?"
            rf"(?P<v>[{lx.TRANSLIT_CHARS}]{{2,8}}|{cjk_except(lx.ROLE_NAME_STOP)}{{2,6}}?)"
            rf"(?=(?:{_alt(lx.NAME_ROLES + lx.NAME_TITLES)})?"
            r"[ ]*(?:\n|$|陪同|翻译|代[诉述]|签字|[(（,，、。;；]|[ ]\d))",
            entry="".join(sorted({w[0] for w in lx.ROLE_NOUNS} | set("护医技老"))),
        ),
        # A signature after a department or hospital and a space, ending the line:
        # 转出：旗人民医院眼科 乌兰托娅 (a transliterated name or a surname-led one).
        Rule(
            NAME,
            rf"(?<=[科室院])[ ]+(?P<v>[{lx.TRANSLIT_CHARS}]{{2,8}}|{p['han']})(?=[ ]*(?:\n|$))",
            entry=" ",
        ),
        # Any middle-dot name.
        Rule(NAME, rf"(?P<v>{p['dotted']})", gate=f"[{_DOTS}]"),
    ]


# starts with a character class (no look-behind), so the engine skips to letters fast
_LATIN_RUN = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]*(?:[ \-]{1,2}[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]*)+")
_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’]*")
_TITLE = re.compile(r"[A-ZÀ-Þ](?:['’][A-Z])?[a-zß-ÿ'’]+")


@cache
def _english_stop() -> frozenset[str]:
    return frozenset(w.lower() for w in lx.LATIN_NOT_NAMES)


@cache
def _abbreviations() -> frozenset[str]:
    """Clinical abbreviations, as written (NA is one; Na is a name)."""
    return frozenset(lx.CLINICAL_ABBREVIATIONS)


def latin_names(norm: str) -> list[tuple[int, int]]:
    """Romanised Chinese names and two-word English names in runs of Latin words."""
    out: list[tuple[int, int]] = []
    stop, abbr = _english_stop(), _abbreviations()
    for run in _LATIN_RUN.finditer(norm):
        if run.start() and norm[run.start() - 1].isascii() and norm[run.start() - 1].isalnum():
            continue
        words = [(m.start() + run.start(), m.end() + run.start()) for m in _WORD.finditer(run[0])]
        i = 0
        while i < len(words) - 1:
            found = 0
            for size in (4, 3, 2):
                if i + size > len(words):
                    continue
                start, end = words[i][0], words[i + size - 1][1]
                piece = [norm[s:e] for s, e in words[i : i + size]]
                if any(w.lower() in stop or w in abbr for w in piece):
                    continue
                if not any(w[0].isupper() for w in piece):
                    continue
                if is_romanised_name(norm[start:end]) or (
                    size <= 3 and all(_TITLE.fullmatch(w) for w in piece)
                ):
                    out.append((start, end))
                    found = size
                    break
            i += found or 1
    return out


@cache
def _protected_re() -> re.Pattern[str]:
    return re.compile(_alt(lx.CLINICAL_LOOKALIKES))


def protected(norm: str) -> list[tuple[int, int]]:
    """Where clinical words that look like names stand in ``norm``."""
    return [m.span() for m in _protected_re().finditer(norm)]


@cache
def _leading_cue_re() -> re.Pattern[str]:
    return re.compile(_alt(lx.NAME_CUES + lx.HEADER_LABELS + ["由其", "由", "其", "及", "和"]))


def word_then_given(norm: str, start: int, end: int, near: list[tuple[int, int]]) -> bool:
    """A three-character name whose first two characters happen to be a look-alike word
    and whose last is a given-name character (庞大 + 海, 高明 + 远): a name, not the word."""
    if end - start != 3 or len(near) != 1 or near[0] != (start, start + 2):
        return False
    return norm[end - 1] in lx.GIVEN_NAME_CHARS


def without_leading_cue(norm: str, start: int, end: int) -> int:
    """The start of a name span past a cue word it swallowed (``翻译热依拉·艾力``)."""
    if end - start < 4:
        return start
    m = _leading_cue_re().match(norm, start, end)
    if m is None or end - m.end() < 2:
        return start
    return m.end()


_ALIAS = re.compile(r"[ ]*[(（]([^)）\n]{1,30})[)）]")
_ALIAS_SPLIT = re.compile(r"[ ]*[/、,，;；][ ]*")
_HANGUL_OR_CJK = re.compile(r"[\uac00-\ud7af\u3400-\u4dbf\u4e00-\u9fff]{2,5}")
_LATIN_ALIAS = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*(?:[ ]+[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'’\-]*){0,3}")


@cache
def _alias_stop() -> tuple[frozenset[str], re.Pattern[str]]:
    words = frozenset(
        w.lower() for w in lx.PAREN_ROLES + lx.NAME_CUES + lx.LATIN_NOT_NAMES + lx.PROVINCES
    )
    places = "医院|科|中心|诊所|籍|族|[省市县]$"
    # 家 and 和 begin words in a dotted name, but are given names and surnames here (黄家明)
    chars = lx.DOTTED_NAME_STOP.replace("家", "").replace("和", "")
    return words, re.compile(f"[{re.escape(chars)}]|{places}")


def aliases(norm: str, name_ends: list[int]) -> list[tuple[int, int]]:
    """Other names of a person in parentheses right after a name: ``Li Xiaoming(李晓明)``,
    ``KIM MIN-JUN (김민준 / 金珉俊)``, ``达瓦（Dawa）``."""
    words, stop = _alias_stop()
    out: list[tuple[int, int]] = []
    for end in name_ends:
        m = _ALIAS.match(norm, end)
        if m is None:
            continue
        pos = m.start(1)
        for piece in _ALIAS_SPLIT.split(m.group(1)):
            start = norm.find(piece, pos) if piece else -1
            if start < 0:
                continue
            pos = start + len(piece)
            if piece.lower() in words:
                continue
            if (_HANGUL_OR_CJK.fullmatch(piece) and not stop.search(piece)) or (
                _LATIN_ALIAS.fullmatch(piece) and not any(w.lower() in words for w in piece.split())
            ):
                out.append((start, pos))
    return out


@cache
def _firm_cue_re() -> re.Pattern[str]:
    cues = _cue(lx.NAME_CUES + lx.HEADER_LABELS)
    return re.compile(rf"(?:{cues})[ ]*(?:[(（][^)）]{{0,8}}[)）])?[ ]*[:：][ ]*$")


@cache
def _sex_age_re() -> re.Pattern[str]:
    return re.compile(_sex_age())


def before_sex_age(norm: str, end: int) -> bool:
    """Whether sex or age follows ``end`` as in a demographic header (林间，男，35岁)."""
    return _sex_age_re().match(norm, end) is not None


def after_firm_cue(norm: str, start: int) -> bool:
    """Whether a person cue and a colon stand right before ``start`` (转诊医生：江南): there
    a clinical look-alike is a name after all."""
    before = norm[max(0, start - 3) : start].rstrip(" ")
    if not before or before[-1] not in ":：":
        return False
    return _firm_cue_re().search(norm, max(0, start - 14), start) is not None


@cache
def _neighbour_res() -> tuple[re.Pattern[str], re.Pattern[str]]:
    p = _parts()
    name = rf"{p['dotted']}|{p['han_weak']}"
    after = re.compile(rf"[ ]*[、/][ ]*(?P<v>{name})(?![\u4e00-\u9fff]{{2}})")
    before = re.compile(rf"(?P<v>{name})[ ]*[、/][ ]*$")
    return after, before


def list_neighbours(norm: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Names listed next to a found name with 、 or / (急救人员张勇、李军护送)."""
    after, before = _neighbour_res()
    out = []
    for start, end in spans:
        m = after.match(norm, end)
        if m is not None:
            out.append(m.span("v"))
        m = before.search(norm, max(0, start - 8), start)
        if m is not None:
            out.append(m.span("v"))
    return out


@cache
def _role_field_re() -> re.Pattern[str]:
    from revision_pipeline.deid.patterns import _SPEAKING_ROLES

    roles = [c for c in lx.NAME_CUES if c.endswith(_SPEAKING_ROLES)]
    word = cjk_except(lx.NAME_STOP_HARD + lx.CHAT_REPLY_CHARS)
    return re.compile(rf"(?:{_cue(roles)})[ ]*[:：][ ]*(?P<v>{word}{{2,4}})(?=[ ]*(?:\n|$))")


def role_field_names(norm: str) -> list[tuple[int, int]]:
    """A name that is not surname-led alone after a role and a colon at the end of a line
    (医师：格桑); replies in a chat (医生：收到, 医生：好的) and clinical words are not."""
    return [
        m.span("v")
        for m in _role_field_re().finditer(norm)
        if m.group("v") not in lx.CLINICAL_LOOKALIKES
    ]
