"""Names the scrubber finds by structure, on reports it was not written from.

The development half of an independently written evaluation set
(``data/generalisation_dev.jsonl``: 220 reports, 10 styles), sealed half #1, spent and
turned into a second development set (``data/generalisation_dev2.jsonl``: 215 reports),
and sealed set #2 (a third annotator), spent in turn and now
``data/generalisation_dev3.jsonl`` (211 reports), and sealed set #3 (another annotator),
spent as ``data/generalisation_dev4.jsonl`` (260 reports), are measured at their levels;
demographic header layouts, person slots, signatures and name shapes are checked one
by one; clinical words that look like names are kept; the command line, curate and
DICOM headers share the recogniser.
"""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path

import pytest
from pydicom.dataset import Dataset

from revision_pipeline.deid import __main__ as cli
from revision_pipeline.deid.dicom import scrub_dicom_header
from revision_pipeline.deid.evaluate import Report, evaluate, load_set, name_removed
from revision_pipeline.deid.text import PhiSpan, find_phi, scrub

DATA = Path(__file__).parent / "data"
DEV = DATA / "generalisation_dev.jsonl"
DEV2 = DATA / "generalisation_dev2.jsonl"
DEV3 = DATA / "generalisation_dev3.jsonl"
DEV4 = DATA / "generalisation_dev4.jsonl"
DEV_SETS = pytest.mark.parametrize(
    "path", [DEV, DEV2, DEV3, DEV4], ids=["dev", "dev2", "dev3", "dev4"]
)


@DEV_SETS
def test_development_sets_meet_the_targets(path):
    reports = load_set(path)
    assert len(reports) >= 200 and len({r.style for r in reports}) == 10
    ev = evaluate(reports)
    figures = ev.figures()
    assert figures["phi_recall"] >= 0.99, figures
    assert figures["person_name_recall"] >= 0.99, figures
    assert figures["clinical_kept"] >= 0.99, figures


HEADERS = [
    "李明，男，56岁，双眼视物模糊半年。",
    "李明,男,56岁。眼底：黄斑区渗出",
    "李明 男 56岁 右眼黄斑水肿",
    "李明\t男\t56岁\t糖尿病视网膜病变",
    "李明    女    72岁    高血压病史10年",
    "李明，56岁，男，视力下降",
    "李明/男/56岁 视盘水肿",
    "患者李明（男，56岁）主诉右眼视力下降",
    "患者李明，男，56岁，双眼白内障",
    "姓名：李明 性别：男 年龄：56岁",
    "姓名:李明  性别:男  年龄:56",
    "姓名 李明 性别 男 年龄 56岁",
    "病人：李明，女，45岁",
    "受检者李明，女，45岁，杯盘比0.6",
    "体检者：李明  男  38岁",
    "患儿李明，男，6岁，屈光不正",
    "检查报告\n李明 男 56岁\n眼底：视盘界清",
    "门诊病历\n李明（男，56岁）",
]


@pytest.mark.parametrize("text", HEADERS, ids=range(len(HEADERS)))
def test_header_layouts_lose_the_name(text):
    out = scrub(text)
    assert "李明" not in out and "[姓名]" in out, out


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("欧阳娜娜，女，32岁，孕32周，妊娠高血压", "欧阳娜娜"),
        ("扎西次仁，男，50岁，藏族", "扎西次仁"),
        ("蒙古族 苏和巴特尔  男  50岁", "苏和巴特尔"),
        ("藏族患者达瓦（Dawa），女，52岁", "达瓦"),
        ("患儿刘子涵，男，6岁，由其母亲王芳代诉双眼斜视", "王芳"),
        ("家族史：其妹何丽萍亦为高度近视。", "何丽萍"),
        ("家族史：父唐国华死于脑出血。", "唐国华"),
        ("陪同人：祖母李凤英", "李凤英"),
        ("家属：老伴冯婉贞、儿子黄志伟", "黄志伟"),
        ("护工小芳陪同。", "小芳"),
        ("患者叫谢广坤对吧", "谢广坤"),
        ("王芳（母亲）签字同意", "王芳"),
        ("翻译热依拉·艾力在场", "热依拉·艾力"),
        ("哈萨克族患者努尔兰·别克，男，55岁", "努尔兰·别克"),
        ("此致\n敬礼\n刘建华 敬上\n2023.08.09", "刘建华"),
        ("请多指导！\n宋伟\n2024年2月6日", "宋伟"),
        ("报告医师：——王芳 2023.5.6", "王芳"),
        ("[10:33] 李建华：好的，右眼看不清", "李建华"),
        ("[15:12] 乡镇医生祁同伟：好的", "祁同伟"),
        ("吴磊（住院医）：老师，原田病患者激素减量了", "吴磊"),
        ("转诊医生：江南", "江南"),
        ("Patient: ZHANG Wei, 45 y, OD 黄斑前膜", "ZHANG Wei"),
        ("病人 Li Xiaoming 右眼视网膜脱离", "Li Xiaoming"),
        ("John Smith, male, 60, bilateral drusen", "John Smith"),
        ("姓名:Li Xiaoming(李晓明) 性别:男", "李晓明"),
        ("就职于杭州云栖数据科技有限公司", "杭州云栖数据科技有限公司"),
    ],
)
def test_names_found_by_structure(text, name):
    out = scrub(text)
    assert name not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "诊断：双眼牵牛花综合征，Coats病待排，白内障，高血压视网膜病变。",
        "原田病（Vogt-小柳-原田综合征），晚霞状眼底。",
        "Stargardt病，Best卵黄样黄斑营养不良，Leber遗传性视神经病变。",
        "樱桃红斑，棉絮斑，火焰状出血，石灰样斑，陈旧性出血。",
        "双眼眼底未见明显异常，建议何时复查遵医嘱，周边视网膜变性。",
        "雷珠单抗、康柏西普、阿柏西普玻璃体腔注射；口服甲钴胺、羟苯磺酸钙。",
        "医生：建议角膜塑形镜或低浓度阿托品，眼底是豹纹状眼底了",
        "医生：术后激素性高眼压常见，妥布霉素地塞米松减量",
        "黄斑区玻璃膜疣，高度近视眼底改变，万一视网膜脱离需手术，方可复查。",
        "建议：控制血糖、血压及血脂，12个月复查。",
        "患者：男\n医生：眼底检查\n性别：男\n检查所见：\n1. R：视盘界清\n2. L：黄斑水肿",
        "小雨点状出血：双眼\n医生：随访",
    ],
)
def test_clinical_look_alikes_are_kept(text):
    assert scrub(text) == text


# Kinds of miss found on sealed half #1 (now dev2), written with other names and places:
# each case checks the structure, not a string of that set.
@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a social role or kin noun before a name that ends the field or the act
        ("陪同：球友郑海涛", "郑海涛"),
        ("联系人：领班霍建军，139 1234 5678", "霍建军"),
        ("由舅舅扎西平措陪同来诊。", "扎西平措"),
        ("翻译：老乡阿不都热依木\n诊断：右眼钝挫伤", "阿不都热依木"),
        ("记录人：乡医孔繁星 2023年5月6日", "孔繁星"),
        ("家属：老婆艾丽菲娜（电话联系）", "艾丽菲娜"),
        ("患者（母：邹雨桐）性别：女", "邹雨桐"),
        # headers with a bare age, English sex words, an obstetric code
        ("姓名 年龄 性别\n韦振华 68 男\n眼压正常", "韦振华"),
        ("冼嘉欣 female 29y\nOD: 黄斑裂孔", "冼嘉欣"),
        ("Pt: Sean O'Connor, 52M, tourist", "Sean O'Connor"),
        ("Nombre: José Martínez (paciente)", "José Martínez"),
        ("梁晓雯，G3P2，妊娠期高血压。", "梁晓雯"),
        # addressed by role, greeted, listed before a count, a child before its parent
        ("欧阳振宇医生：\n您转来的患者已手术。", "欧阳振宇"),
        ("致 眼科 barrel 严冬梅 主任医师：", "严冬梅"),
        ("[10:02] 随访助手：曹雅琴您好，请按时复查。", "曹雅琴"),
        ("护士：我通知一下，常海燕、顾晓峰两位明天复诊。", "常海燕"),
        ("家长：我是豆豆的爸爸，孩子近视加深了", "豆豆"),
        # chat nicknames by shape
        ("星星点灯🌟：医生，散瞳后多久能看清？", "星星点灯🌟"),
        ("月亮船（微信 xyz_2021）：打完针眼睛胀", "月亮船"),
    ],
)
def test_new_kinds_of_name_found_by_structure(text, value):
    out = scrub(text)
    assert value not in out, out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # rural address chains and care homes (address grammar: 县/乡/镇/街道/村/组)
        ("住址不详，来自宁远县天堂镇大岭村五组", "宁远县天堂镇大岭村五组"),
        ("现居拱墅区祥符街道吉如村12号", "祥符街道吉如村12号"),
        ("村名：杏花村三组", "杏花村三组"),
        ("出院后回康乐老年公寓C座302休养", "康乐老年公寓C座302"),
        ("居住松鹤护理院，护理员陪同", "松鹤护理院"),
        # phones written digit by digit, international in groups, 4-4-3, extensions
        ("联系人：丈夫  1 3 5 0 0 1 2 3 4 5 6", "1 3 5 0 0 1 2 3 4 5 6"),
        ("contact: +44 20 7946 0958", "+44 20 7946 0958"),
        ("家属 0731 8842 517", "0731 8842 517"),
        ("申请人：眼科 分机 3307", "3307"),
        ("总机 010-6215 8888 转 2231", "2231"),
        # dates without a year after a weekday; codes of capitals, dash and digits
        ("约在周二（10/17）上午复查", "10/17"),
        ("Please come on Friday 3 March morning.", "Friday 3 March"),
        ("质控员：另外QC-2281提示可疑青光眼", "QC-2281"),
    ],
)
def test_new_kinds_of_phi_found_by_structure(text, value):
    out = scrub(text)
    assert value not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "家族史：女儿体健，儿子高度近视。",
        "3岁，跟随外婆生活。",
        "眼科会诊记录（妇产科）\n患者产后第2天",
        "远程会诊记录（视频）\n基层医生上传眼底照片",
        "女，29岁，妊娠期（孕20周），突发视物模糊。",
        "既往史：房颤5年，未规律抗凝。",
        "OCT-A示黄斑区血流密度下降，ICD-10编码H35.3。",
        "眼压：右 16 左 17 mmHg，视力0.8。",
    ],
)
def test_new_rules_keep_clinical_text(text):
    assert scrub(text) == text


def test_name_piece_left_in_place_counts_as_a_miss():
    text = "阿依古丽·买买提，女"
    whole = [PhiSpan(0, 8, "姓名")]
    half = [PhiSpan(5, 8, "姓名")]
    assert name_removed(text, "阿依古丽·买买提", whole)
    assert not name_removed(text, "阿依古丽·买买提", half)
    report = Report("x", "header", text, (("阿依古丽·买买提", "person_name"),), ("女",))
    assert evaluate([report], finder=lambda t: half).figures()["person_name_recall"] == 0.0


def test_command_line_dicom_and_curate_share_the_recogniser():
    text = "李明，男，56岁，右眼黄斑水肿"
    expected = scrub(text)
    assert expected.startswith("[姓名]")
    out = io.StringIO()
    cli.run(io.StringIO(json.dumps({"text": text}, ensure_ascii=False) + "\n"), out)
    assert json.loads(out.getvalue())["text"] == expected
    ds = Dataset()
    ds.StudyDescription = text
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.5.1"
    assert str(scrub_dicom_header(ds).StudyDescription) == expected
    from revision_pipeline.curation import records

    assert records.scrub is scrub


@DEV_SETS
def test_spans_are_sorted_and_disjoint_on_the_dev_sets(path):
    for report in load_set(path):
        spans = find_phi(report.text)
        assert all(a.end <= b.start for a, b in itertools.pairwise(spans))


# Kinds of miss found on sealed set #2 (now dev3), written with other names and places.
@pytest.mark.parametrize(
    ("text", "value"),
    [
        # who the person is, after the name and a comma
        ("2024年5月2日体检。龙海燕，市实验小学教师，身份证号略。", "龙海燕"),
        ("严子墨，韩国留学生，住留学生公寓", "严子墨"),
        # a name before 于 and a date
        ("病史由母亲提供：薛一鸣于6月2日被球击中左眼。", "薛一鸣"),
        # age and sex before the name
        ("接警：45岁男性饶建平被鞭炮炸伤右眼。", "饶建平"),
        ("7岁女孩苗苗被树枝划伤。", "苗苗"),
        # a department before the name: speaker and signature
        ("儿科邝丽娟：您好，患儿眼底已查。", "邝丽娟"),
        ("不影响手术。—— 眼科聂长春，2023/05/06 10:20", "聂长春"),
        # a self-reference
        ("回复：本人单雪梅，现住城南", "单雪梅"),
        # letter headers
        ("To: Dr. 欧阳建国（市眼科医院）", "欧阳建国"),
        ("From: 侯美玲，县人民医院", "侯美玲"),
        # labels paired with a slash
        ("产妇姓名/住院号：邬晓晴/ZY0012345", "邬晓晴"),
        # chat speakers tagged with a clock time, nicknames speaking for a patient
        ("卢文斌 08:15\n医生您好\n上官雨 08:20\n请上传照片", "卢文斌"),
        ("卢文斌 08:15\n医生您好\n上官雨 08:20\n请上传照片", "上官雨"),
        ("微信群\n向日葵（贝小军家属）：昨天打的针", "向日葵"),
        # a consultant named after 会诊专家, a speaker whose name ends like a clinical word
        ("会诊专家：卜晓光（市眼科医院）\n基层医生：田野", "卜晓光"),
        ("家属：收到\n包长生：复查时间呢？", "包长生"),
        # a name after a relation, then a time word, then what the person does
        ("已嘱其外孙柯程明日陪同复查。", "柯程"),
        # a name before an age in Chinese numerals, a minority name with its origin in
        # parentheses and no separator before the age
        ("养老院，5楼12床，廉春花，八十一岁", "廉春花"),
        ("乌兰图雅（蒙古族/内蒙古）66岁 女", "乌兰图雅"),
        # a romanised name that is also a clinical abbreviation in capitals (NA)
        ("EXAMINEE CARD  Na Zhou\nNo. HC001", "Na Zhou"),
        # a surname and two given-name characters, one of which begins clinical words
        # elsewhere (长 of 长期), after a kin word in running text
        ("家族史：父鲁长江晚年失明。", "鲁长江"),
        ("陪同人员：同事庞德生，电话略", "庞德生"),
        # a name standing alone between list marks
        ("随访名单：刘秀梅、尹建华、范晓东", "尹建华"),
        ("陪同者：其女，孟秀英，电话略", "孟秀英"),
        # verbs whose object is a person, a cue then 是, a role in parentheses after the
        # colon, a relation with 儿
        ("请联系管志刚，电话略", "管志刚"),
        ("主治医生是葛丽娜", "葛丽娜"),
        ("签字：（家属）韦春燕", "韦春燕"),
        ("老伴儿焦明远代述病史", "焦明远"),
        # a witness noun, a rural given name ending in 生, a nickname after a bracketed
        # role, a chat recognised by its title, a Latin NAME label in capitals
        ("目击者卢伟称被砸中左眼", "卢伟"),
        ("老人名叫石根生，今年九十二岁", "石根生"),
        ("[患者] 爱吃鱼的猫：医生，我眼睛红", "爱吃鱼的猫"),
        ("群聊「糖网随访」\n阳光男孩：请问复查时间？\n医生助理：下周三", "阳光男孩"),
        ("NAME: KIM Soo-jin  SEX: F", "KIM Soo-jin"),
        # a table row with pipes after a role, a kin word with 之 and the name in brackets
        ("随诊医生 | 蔺晓光 | 2024-01-02", "蔺晓光"),
        ("患者之妻（邰丽娟）诉", "邰丽娟"),
        # a villager noun; a name whose first two characters are an ordinary word (庞大)
        ("打架致伤，对方为同村村民庞大海", "庞大海"),
        # a label in brackets, 同志 as a title, a less common surname, 侄儿
        ("【姓名】贲晓东【性别】男", "贲晓东"),
        ("请仲瑞峰同志复查", "仲瑞峰"),
        ("转告家属杭小芸：明日手术", "杭小芸"),
        ("由其侄儿雷鸣开车送来", "雷鸣"),
    ],
)
def test_dev3_kinds_of_name_found_by_structure(text, value):
    out = scrub(text)
    assert value not in out, out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # employers: 单位 without a colon, branches of an organisation
        ("高处坠落受伤，单位城西物流配送中心。", "城西物流配送中心"),
        ("团体体检\n县公安局治安大队  某某  40岁", "县公安局治安大队"),
        # a care home whose name holds 家
        ("上门巡诊\n温馨家园护理院，3楼8床", "温馨家园护理院"),
        # device serials after a bare device label
        ("设备\tFD-ZX81Q02\n双眼视盘界清", "FD-ZX81Q02"),
        # handles: any script after a social cue and a colon, more platforms
        ("微信：静水流深", "静水流深"),
        ("wx: happy_fish88", "happy_fish88"),
        ("小红书：眼科小白兔", "眼科小白兔"),
        # staff housing with a building number
        ("住在钢厂职工宿舍3栋201", "钢厂职工宿舍3栋201"),
        ("住师范大学家属院5号楼", "家属院5号楼"),
        # a school whose name holds 人民
        ("在县第二人民小学任教", "县第二人民小学"),
    ],
)
def test_dev3_kinds_of_phi_found_by_structure(text, value):
    out = scrub(text)
    assert value not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "专家意见：雷珠单抗或康柏西普均可。",
        "陪同：导师某某教授",
        "被烟花炸伤双眼，视网膜局限性水肿。",
        "眼科常规检查：双眼前节未见异常。",
        "患者（回族/宁夏）",
        "NA: not applicable",
        "诊断：高血压，白内障，黄斑变性，明显，周边，高度，常规，余同前，凌晨。",
        "患者曾长期服用激素，高度近视。",
        "单位：（个人）\n时间：凌晨2点\n会诊时间：上午",
        "微博私信\n回复：好的",
        "姓名|民族|年龄",
        "丈夫称：妻子某某孕34周，护士某某护送，外公某某抱入",
        "陈述者：本人，可靠。【陈述者】本人\n【诊断】白内障【建议】手术",
    ],
)
def test_dev3_rules_keep_other_text(text):
    out = scrub(text)
    words = ("专家意见", "教授", "被烟花炸伤双眼", "局限性", "眼科常规", "宁夏", "NA", "曾长期")
    labels = ("单位：", "时间：", "会诊时间：", "回复：", "民族", "孕34周", "护送", "抱入", "本人")
    for word in (
        *words,
        "高血压",
        "白内障",
        "明显",
        "周边",
        "高度",
        "常规",
        "余同前",
        "凌晨",
        *labels,
    ):
        if word in text:
            assert word in out, out


# Kinds of miss found on sealed set #3 (now dev4), written with other names and numbers.
@pytest.mark.parametrize(
    ("text", "value"),
    [
        # less common surnames that are also words, in name-bearing slots
        ("受检者：贝思远　男　67岁", "贝思远"),
        ("陈述者：女儿和雅琴。", "和雅琴"),
        ("患者：寿德明，男，70岁", "寿德明"),
        ("联系人：滑建东", "滑建东"),
        ("病人蒯玉兰，女，81岁", "蒯玉兰"),
        # transliterated minority names without the middle dot
        ("姓名：敖日格勒（AORIGELE）\n民族：蒙古族", "敖日格勒"),
        ("姓名：敖日格勒（AORIGELE）\n民族：蒙古族", "AORIGELE"),
        ("翻译：阿不都热合曼（患者外甥）", "阿不都热合曼"),
        ("翻译：护士乌云其木格。", "乌云其木格"),
        ("患儿之父吐尔逊巴特代诉：视力差", "吐尔逊巴特"),
        ("转出：县人民医院眼科 萨仁图雅\n转入：市医院", "萨仁图雅"),
        # a role noun before a name that ends before what the person does
        ("由社区工作者范雨桐陪同。", "范雨桐"),
        # a name before the weeks of pregnancy
        ("蓝秀芝（孕36周）产科转诊", "蓝秀芝"),
    ],
)
def test_dev4_kinds_of_name_found_by_structure(text, value):
    out = scrub(text)
    assert value not in out, out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a card number in groups of digits
        ("CARD NO.: 6200 3318 4409", "6200 3318 4409"),
        ("卡号 6200 3318 440", "6200 3318 440"),
        # a code with a letter prefix after any label ending in 号
        ("留观号 K1107-0342\n双眼化学伤", "K1107-0342"),
        ("分诊号：B0311-882", "B0311-882"),
        # a number that opens with a word and a dash
        ("编号：留观无名-2024-031", "留观无名-2024-031"),
        # a landline with a dash, then a space
        ("联系人 0571-8832 417", "0571-8832 417"),
        # an account name with an underscore and digits after a cue
        ("用户名：海边的风_1979", "海边的风_1979"),
        ("昵称：小鱼儿_2002", "小鱼儿_2002"),
    ],
)
def test_dev4_kinds_of_phi_found_by_structure(text, value):
    out = scrub(text)
    assert value not in out, out


@pytest.mark.parametrize(
    "text",
    [
        "患者：上次说我是中浆，现在视物变形好点了",
        "空腹血糖9.8mmol/L，餐后血糖12.1mmol/L。",
        "诊断：水肿，红斑，广泛渗出，隆起。",
        "女，29岁，妊娠期（孕20周），突发视物模糊。",
        "眼压：右眼 18mmHg 左眼 20mmHg",
        "3号楼2单元，视力0.3 0.5",
    ],
)
def test_dev4_rules_keep_other_text(text):
    out = scrub(text)
    for word in ("中浆", "空腹", "水肿", "红斑", "广泛", "隆起", "妊娠期", "18mmHg", "0.3 0.5"):
        if word in text:
            assert word in out, out


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a name before a deputy title
        ("请单雅文副主任医师会诊", "单雅文"),
        ("送：冀文涛副主任\n", "冀文涛"),
        # a Chinese alias holding 家 or 和 after a romanised name
        ("患者CHAN Tai Man（陈家文），男，60岁", "陈家文"),
        ("患者LEE Wing（李和平），女", "李和平"),
    ],
)
def test_dev4_titles_and_aliases(text, value):
    out = scrub(text)
    assert value not in out, out
