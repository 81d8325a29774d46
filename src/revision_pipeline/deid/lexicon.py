"""Word lists the text scrubber is built from: surnames, cue words, place names.

Plain data, no behaviour. Everything is in simplified characters: the scrubber maps
traditional characters to simplified ones (and full-width forms to ASCII) before it
matches, so one list covers both scripts.
"""

from __future__ import annotations

from pathlib import Path

import yaml

#: Common single-character surnames, accepted after a weak cue ("患者张三").
#: Very ambiguous ones (但, 由, 闭, 阴, 阳, 干, 门, 查, 双, 全 …) are left out on purpose:
#: after a weak cue they would turn clinical words into names.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申"
    "欧耿关兰焦俞左右柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管"
    "柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席"
    "卫米柏宗瞿桂佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池麻苑迟邝官封"
    "谈匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼闻厉伊仝郜阚权帅屠豆朴盖练廉禹萧"
    "战芮逄揭亓晋伏戈郗阙靖谯木丘"
    "洪狄卿祖雍辜茅湛晁扈邸逯昝郦宓宦邰嵇裘宣鲜茹慕索漆邴訾尉檀衡"
    "杭况贲荀郏糜乜濮隗蓟笪缑羿"
    # the rest of the Hundred Family Surnames (百家姓) and of the modern top ~500, checked
    # against both lists: many are also words, so like every surname here they are only
    # read as one in a name-bearing slot (after a cue, before sex and age, after a role)
    "水云昌凤花酆元平和贝计强危支经诸钮滑羊於汲松井富乌巴弓牧山蓬仰秋暴钭戎束幸韶薄印宿怀"
    "鄂咸籍赖能苍莘贡扶堵宰却璩寿通浦别充习鱼容慎庾终暨居步都满弘广禄东殳沃利蔚越夔隆厍勾融"
    "空毋养须丰巢蒯相红竺益桓汝钦亢琴佴伯赏墨哈年爱第言福"
    "植区招禤敬代种青银蹇泮员达朗旦冶铁幺庹剧蒿闾"
)

#: Two-character surnames.
COMPOUND_SURNAMES = [
    "欧阳",
    "司马",
    "诸葛",
    "上官",
    "司徒",
    "东方",
    "皇甫",
    "慕容",
    "夏侯",
    "令狐",
    "尉迟",
    "公孙",
    "长孙",
    "宇文",
    "轩辕",
    "独孤",
    "南宫",
    "西门",
    "端木",
    "呼延",
    "闻人",
    "万俟",
    "澹台",
    "公冶",
    "宗政",
    "濮阳",
    "淳于",
    "单于",
    "太史",
    "申屠",
    "钟离",
    "赫连",
    "拓跋",
]

#: Characters that end a name: never the 2nd or 3rd character of a name after a cue.
#: (Sex, age, role and field words that follow a name in report headers.)
NAME_STOP_HARD = (
    "男女性别年龄岁歲科室号床院医师诊检查电话手机住址地身份证日期时眼双左右因于在来主诉自今"
    "的了是和与及等患者病姓名属陪审核报告签字之其为请您你我嗯哦啊吧呢吗主籍族亲"
)

#: Further characters that may not follow a surname after a *weak* cue (no colon):
#: they begin or continue clinical words (黄斑, 白内障, 高血压, 陈旧, 周边, 孔源 …).
NAME_STOP_SOFT = (
    "人生同斑内障血压度规细括边围旧源视属面有何可同水显续离熟膜起极凝确素述经行曾患重镜身期复未该"
    "尚余程侧外我当今近均较稍仍已无伴既往要拒入首次需系以突反长定眼孕产"
)

#: Family relations that may stand between a cue and a name ("陪同者：孙子吕小布").
RELATIONS = [
    "女儿",
    "儿子",
    "配偶",
    "丈夫",
    "妻子",
    "爱人",
    "老伴",
    "父亲",
    "母亲",
    "孙子",
    "孙女",
    "侄女",
    "侄子",
    "外孙女",
    "外孙",
    "儿媳",
    "女婿",
    "哥哥",
    "姐姐",
    "弟弟",
    "妹妹",
]

#: Cues after which a person's name may follow (patients, relatives, staff).
NAME_CUES = [
    "患者姓名",
    "病人姓名",
    "受检者姓名",
    "姓名",
    "患者",
    "病人",
    "病员",
    "受检者",
    "就诊者",
    "被检者",
    "报告医生",
    "报告医师",
    "报告者",
    "报告人",
    "审核医生",
    "审核医师",
    "审核者",
    "审核人",
    "审核",
    "检查医生",
    "检查医师",
    "检查者",
    "检查人",
    "诊断医生",
    "诊断医师",
    "阅片医生",
    "阅片医师",
    "阅片者",
    "阅片",
    "主治医生",
    "主治医师",
    "主诊医生",
    "经治医生",
    "责任医生",
    "申请医生",
    "申请医师",
    "开单医生",
    "送检医生",
    "操作者",
    "操作员",
    "技师",
    "摄片",
    "拍摄者",
    "记录者",
    "记录人",
    "书写者",
    "录入者",
    "录入",
    "复核",
    "签名",
    "签字",
    "医生",
    "医师",
    "大夫",
    "护士",
    "主任",
    "教授",
    "家属",
    "之女",
    "之子",
    "陪同人",
    "陪同者",
    "陪同",
    "联系人",
    "监护人",
    "委托人",
    "代诉人",
    *RELATIONS,
]

#: Cues that introduce a name even without a separator ("姓名张三").
NAME_CUES_STRONG = [
    "患者姓名",
    "病人姓名",
    "受检者姓名",
    "姓名",
    "签名",
    "签字",
    "联系人",
    "监护人",
    "委托人",
]

#: Titles that follow a name and are replaced together with it ("王女士" → "[姓名]").
NAME_TITLES = [
    "先生",
    "女士",
    "小姐",
    "老师",
    "阿姨",
    "叔叔",
    "师傅",
    "大爷",
    "奶奶",
    "爷爷",
    "老人",
    "同学",
    "老先生",
    "老太太",
    "老奶奶",
    "老爷爷",
    "老太",
    "同志",
]

#: Roles that follow a name and are kept ("王医生" → "[姓名]医生").
NAME_ROLES = ["医生", "医师", "大夫", "主任", "教授", "护士", "护师", "技师", "院长"]

#: Latin-script cues.
LATIN_NAME_CUES = [
    "PATIENT NAME",
    "NAME",
    "Patient Name",
    "Patient",
    "Name:",
    "Dr.",
    "Dr",
    "Doctor",
    "Physician",
    "Mr.",
    "Mr",
    "Mrs.",
    "Mrs",
    "Ms.",
    "Ms",
    "Miss",
    "Prof.",
    "Prof",
]

#: Upper-case clinical abbreviations that must never be read as a Latin name.
CLINICAL_ABBREVIATIONS = [
    "OD",
    "OS",
    "OU",
    "NPDR",
    "PDR",
    "DR",
    "DME",
    "CSME",
    "AMD",
    "ARMD",
    "BRVO",
    "CRVO",
    "BRAO",
    "CRAO",
    "RVO",
    "CSC",
    "CSCR",
    "ROP",
    "PCV",
    "CNV",
    "OCT",
    "OCTA",
    "FFA",
    "ICGA",
    "IOP",
    "VA",
    "BCVA",
    "UCVA",
    "CDR",
    "RNFL",
    "ERM",
    "MH",
    "RD",
    "PRP",
    "VEGF",
    "NA",
    "AI",
    "IRMA",
    "NV",
    "NVD",
    "NVE",
    "ICD",
    "HbA1c",
    "LE",
    "RE",
    "BE",
]

#: Provinces and provincial-level cities (an address may start with one).
PROVINCES = [
    "北京",
    "天津",
    "上海",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "黑龙江",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "台湾",
    "内蒙古",
    "广西",
    "西藏",
    "宁夏",
    "新疆",
    "香港",
    "澳门",
]

#: Characters that never occur inside a place name: an address span stops at them.
ADDRESS_STOP = (
    "患者住在于自居家址的是为到来现系属及和与因其她他我您诉称述眼视男女岁"
    "病史年月日号时由至寄往从送报告"
)

#: Cues that introduce an address.
ADDRESS_CUES = [
    "家庭住址",
    "家庭地址",
    "现住址",
    "户籍地址",
    "户籍地",
    "通讯地址",
    "联系地址",
    "居住地址",
    "居住地",
    "住址",
    "地址",
    "家住",
    "住在",
    "现住",
    "居住于",
    "居住在",
    "Address",
]

#: Cues that introduce a record/exam/bed/device number.
NUMBER_CUES = [
    "病历号",
    "病案号",
    "门诊号",
    "住院号",
    "检查号",
    "检查单号",
    "登记号",
    "影像号",
    "就诊号",
    "就诊卡号",
    "诊疗卡号",
    "卡号",
    "医保卡号",
    "医保号",
    "社保卡号",
    "社保号",
    "流水号",
    "申请单号",
    "报告编号",
    "报告单号",
    "档案号",
    "健康档案号",
    "工号",
    "员工号",
    "条码号",
    "条形码",
    "编号",
    "序列号",
    "设备号",
    "设备编号",
    "机器编号",
    "仪器编号",
    "机身号",
    "相机编号",
    "床号",
    "床位号",
    "病床号",
    "ID号",
    "ID",
    "MRN",
    "PID",
    "Patient",
    "ID",
    "Accession",
    "No.",
    "No",
    "Serial",
    "SN",
    "S/N",
    "序号",
]

#: Cues that introduce a phone or fax number.
PHONE_CUES = [
    "联系电话",
    "电话号码",
    "手机号码",
    "手机号",
    "手机",
    "电话",
    "座机",
    "传真",
    "联系方式",
    "Tel",
    "TEL",
    "tel",
    "Phone",
    "phone",
    "Mobile",
    "mobile",
    "Fax",
    "FAX",
    "fax",
]

#: Cues that introduce a social-media handle.
SOCIAL_CUES = [
    # account names on a consultation platform (用户名：星星点灯_1985)
    "用户名",
    "昵称",
    "网名",
    "账号",
    "微信号",
    "微信",
    "WeChat",
    "Wechat",
    "wechat",
    "weixin",
    "VX",
    "vx",
    "V信",
    "QQ号",
    "QQ",
    "qq号",
    "qq",
    "微博",
    "抖音号",
    "抖音",
    "钉钉",
    "wx",
    "WX",
    "Wx",
    "微信ID",
    "微信名",
    "小红书号",
    "小红书",
    "快手号",
    "快手",
    "B站",
    "微博号",
    "微博ID",
    "抖音ID",
    "Instagram",
    "WhatsApp",
    "Telegram",
    "Facebook",
    "Twitter",
    "Skype",
]

#: Cues that introduce a national ID number.
ID_CUES = ["身份证号码", "身份证号", "身份证", "公民身份号码", "证件号码", "证件号", "ID", "card"]

#: Cues that introduce the patient (a name right after one, followed by the sex, is a name).
PATIENT_CUES = ["患者", "病人", "病员", "受检者", "就诊者", "被检者"]

# --- Structural name recognition (revision_pipeline.deid.names, .context) -----------------


def _load_words() -> dict[str, list[str]]:
    path = Path(__file__).parent / "data" / "name_words.yml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {key: str(value).split() for key, value in raw.items()}


_WORDS = _load_words()

#: Role and relation nouns after which a person's name follows (added to NAME_CUES).
PERSON_NOUNS: list[str] = _WORDS["person_nouns"]
#: Words that introduce a name: 我是周小燕, 患者叫谢广坤, 真名石守仁.
NAME_INTRO: list[str] = _WORDS["name_intro"]
#: Words that follow a signature: 刘建华 敬上.
SIGN_OFFS: list[str] = _WORDS["sign_offs"]
#: Labels that may stand before a name in a demographic header.
HEADER_LABELS: list[str] = _WORDS["header_labels"]
#: What a person named just before does: 王芳代诉, 李强陪同, 王芳签字.
PERSON_VERBS: list[str] = _WORDS["person_verbs"]
#: Roles that may follow a name in parentheses: 王芳（母亲）.
PAREN_ROLES: list[str] = _WORDS["paren_roles"]
#: Latin words that are never part of a person's name here (clinical terms, devices).
LATIN_NOT_NAMES: list[str] = _WORDS["latin_not_names"]
#: Clinical words that look like names or begin with a surname: never scrubbed as names.
CLINICAL_LOOKALIKES: list[str] = _WORDS["clinical_lookalikes"]
#: Cues before an employer or school (written as an address: it locates the person).
EMPLOYER_CUES: list[str] = _WORDS["employer_cues"]
#: Verbs before an employer: 就职于杭州云栖数据科技有限公司.
EMPLOYER_VERBS: list[str] = _WORDS["employer_verbs"]
#: Endings of organisation names.
ORG_SUFFIXES: list[str] = _WORDS["org_suffixes"]
#: Speaker roles of a chat transcript (not names).
CHAT_ROLES: list[str] = _WORDS["chat_roles"]
#: Line-opening labels that are no speaker even in a chat.
CHAT_NOT_SPEAKERS: frozenset[str] = frozenset(_WORDS["chat_not_speakers"])
#: What a person is, said right after the name and a comma (李明，市第一中学教师).
OCCUPATIONS: list[str] = _WORDS["occupations"]
#: Age-and-sex nouns right before a name (62岁女性X).
AGE_SEX_NOUNS: list[str] = _WORDS["age_sex_nouns"]
#: Time words between a name and what the person does (X明日陪同).
TIME_WORDS: list[str] = _WORDS["time_words"]
#: Words that stand where a name could but are never one (陈述者：本人).
NEVER_NAMES: frozenset[str] = frozenset(_WORDS["never_names"])
#: Characters of transliterated minority names (乌兰托娅, 阿依努尔, 努尔艾合买提).
TRANSLIT_CHARS: str = "".join(dict.fromkeys(_WORDS["transliteration_chars"]))
#: Characters common in given names: a surname and two of them read as a name (贺长林).
GIVEN_NAME_CHARS: str = "".join(dict.fromkeys(_WORDS["given_name_chars"]))

#: Social roles and kin that stand right before a name (球友王强, 村医阿依古丽): the name
#: after one may be any characters (minority and transliterated names have no surname).
ROLE_NOUNS: list[str] = [
    w
    for w in dict.fromkeys([*RELATIONS, *_WORDS["relations_more"], *PERSON_NOUNS])
    if not w.startswith(("患", "受检", "体检", "就诊", "被", "病", "孕", "产", "伤", "来访"))
    and "姓名" not in w
    and not w.endswith(("诊", "片", "述", "诉", "护", "字", "翻译"))
    and w not in ("本人", "主任", "老师", "学生", "客户")
]
#: Characters that never belong to a name after a role noun (health words: 女儿体健).
ROLE_NAME_STOP = (
    NAME_STOP_HARD.replace("其", "").replace("和", "")
    + "体健故世在亡病史似亦也均无有已未视近远生活住居作"
    # what the person does next (护士X护送, 外公X抱入): no transliterated name holds these
    + "代陪签称说诉述送带携拒告致被抱背扶领护"
)

NAME_CUES = list(dict.fromkeys([*NAME_CUES, *PERSON_NOUNS]))
RELATIONS = list(dict.fromkeys([*RELATIONS, *_WORDS["relations_more"]]))
NUMBER_CUES = list(dict.fromkeys([*NUMBER_CUES, *_WORDS["number_cues_more"]]))

#: One-character kin words; a name follows them after 其/之 or a boundary (其妹何丽萍).
KIN_SINGLE = "父母兄弟姐妹妻夫子女爸妈"

#: Characters that end a name before what the person does (代诉, 陪同, 签字, 称 …).
NAME_STOP_VERBS = "代陪签称说诉述送带携拒确告反致来提讲叙被护抱背扶开"

#: Characters never inside a middle-dot name (its parts are transliterations: 别克, 艾力).
DOTTED_NAME_STOP = "的了是和与及患者病人姓名家属陪同之其为男女岁眼诊断查在到已未于从向说称诉签等"

#: Characters that never belong to a name in a demographic header (labels, sex, age).
HEADER_NAME_STOP = (
    "男女性别年龄岁姓名患者病人科室号床院医诊检查电话眼双左右的是在因于主诉,:籍族血"
    "脂糖视网膜底病症炎术药控制复随访治疗及或并伴见示"
)

#: Characters never inside an organisation name found without a cue.
ORG_STOP = "患者病人诉述称因于在被由自的了是和与及男女岁眼双左右查见示伴无未"

#: Words after which a name may start in running text (今日王国庆诉…, 由张强陪同).
BEFORE_NAME_WORDS = [
    "今日",
    "今天",
    "昨日",
    "昨天",
    "当日",
    "次日",
    "现",
    "由",
    "与",
    "和",
    "及",
    "同",
    "经",
    "被",
    "请",
    "嘱",
    "让",
    "叫",
    "给",
    "向",
    "跟",
    "携",
    "点",
    "时",
]

#: Characters of short chat replies and follow-up words, never in a name alone after
#: 医生： (收到, 好的, 谢谢, 明白, 可以, 稍等, 随访, 复查, 观察).
CHAT_REPLY_CHARS = "收到好谢明白可以稍等马上知道解同意没不对嗯哦请随访复查观察治疗继续建议注意"
