"""Word lists the text scrubber is built from: surnames, cue words, place names.

Plain data, no behaviour. Everything is in simplified characters: the scrubber maps
traditional characters to simplified ones (and full-width forms to ASCII) before it
matches, so one list covers both scripts.
"""

from __future__ import annotations

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
    "男女性别年龄岁歲科室号床院医生师诊检查电话手机住址地身份证日期时眼双左右因于在来主诉自今"
    "的了是和与及等患者病人姓名家属陪同审核报告签字之其为请您你我嗯哦啊吧呢吗主籍族"
)

#: Further characters that may not follow a surname after a *weak* cue (no colon):
#: they begin or continue clinical words (黄斑, 白内障, 高血压, 陈旧, 周边, 孔源 …).
NAME_STOP_SOFT = (
    "斑内障血压度规细括边围旧源视属面有何可同水显续离熟膜起极凝确素述经行曾患重镜身期复未该"
    "尚余程侧外我当今近均较稍仍已无伴既往要拒入首次需系以突反长定眼"
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
]

#: Roles that follow a name and are kept ("王医生" → "[姓名]医生").
NAME_ROLES = ["医生", "医师", "大夫", "主任", "教授", "护士", "护师", "技师", "院长"]

#: Latin-script cues.
LATIN_NAME_CUES = [
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
]

#: Cues that introduce a national ID number.
ID_CUES = ["身份证号码", "身份证号", "身份证", "公民身份号码", "证件号码", "证件号", "ID", "card"]

#: Cues that introduce the patient (a name right after one, followed by the sex, is a name).
PATIENT_CUES = ["患者", "病人", "病员", "受检者", "就诊者", "被检者"]

# --- Structural name recognition (revision_pipeline.deid.names) ---------------------------
# Compact lists: space-separated words, split at import.

#: Role and relation nouns after which a person's name follows (added to NAME_CUES).
PERSON_NOUNS = (
    "患儿 患儿姓名 受检人 体检者 体检人 被体检者 受检者 就诊人 来访者 客户 孕妇 产妇 伤者 伤员 "
    "家长 监护人姓名 陈述者 病史陈述者 供史者 代诉人 代诉者 代述 代诉 陪诊 陪诊人 陪护 陪护人 护工 "
    "保姆 翻译 翻译员 译员 紧急联系人 联系人姓名 家属姓名 家属签字 签名人 亲属 亲友 朋友 同事 "
    "邻居 室友 同学 班主任 老师 校医 司机 民警 警官 交警 辅警 急救员 护送人 送诊人 转诊医生 "
    "转诊医师 接诊医生 接诊医师 首诊医生 主管医生 主管医师 值班医生 值班医师 会诊医生 会诊医师 "
    "随访医生 门诊医生 责任护士 护士长 技术员 验光师 视光师 摄影师 操作医师 管床医生 住院医师 "
    "上级医师 主任医师 副主任医师 主治 医生签名 医师签名 报告医生签名 检查者签名 "
    "母亲 父亲 爸爸 妈妈 爷爷 奶奶 外公 外婆 姥姥 姥爷 祖父 祖母 其母 其父 其子 其女 其妻 其夫 "
    "患儿母亲 患儿父亲 患儿之母 患儿之父 之母 之父 孙子 孙女 外孙 外孙女 儿媳 女婿 侄子 侄女 "
    "哥哥 姐姐 弟弟 妹妹 丈夫 妻子 爱人 老伴 配偶 先生 太太 长子 次子 长女 次女 儿子 女儿 "
    "祖母 祖父 外祖母 外祖父 曾孙 曾孙女 男友 女友 男朋友 女朋友 未婚夫 未婚妻 前夫 前妻 "
    "继父 继母 养父 养母 公公 婆婆 岳父 岳母 舅舅 姑姑 阿姨 叔叔 伯伯 姨妈 舅妈 表哥 表姐 "
    "表弟 表妹 堂兄 堂姐 兄长 大哥 大姐 二哥 二姐 小姨 社工 义工 志愿者 主检 主检医师 "
    "主检医生 会诊 访视人 随访人 转出 转出医生 转入医生 接收医生 读片 读片医生 初审 复审 "
    "签发 签发医生 审阅 Interpreter interpreter Translator translator 车间主任 班长 队长 "
    "负责人 经办人 办事员 收件人 发件人 抄送 转诊人"
).split()

#: One-character kin words; a name follows them after 其/之 or a boundary (其妹何丽萍).
KIN_SINGLE = "父母兄弟姐妹妻夫子女"

#: Words that introduce a name: 我是周小燕, 患者叫谢广坤, 真名石守仁.
NAME_INTRO = (
    "我是 我叫 名叫 叫做 叫 本名 真名 原名 中文名 英文名 曾用名 绰号 小名 乳名 化名 昵称 网名"
).split()

#: Words that follow a signature: 刘建华 敬上.
SIGN_OFFS = "敬上 敬启 谨上 谨启 手书 拜上 谨呈 亲笔".split()

#: Labels that may stand before a name in a demographic header.
HEADER_LABELS = (
    "患者姓名 病人姓名 受检者姓名 体检者姓名 患儿姓名 姓名 患者 病人 病员 受检者 受检人 体检者 "
    "患儿 就诊者 被检者 孕妇 产妇 伤者 客户 Name NAME name"
).split()

#: What a person named just before does: 王芳代诉, 李强陪同, 王芳签字.
PERSON_VERBS = (
    "代诉 代述 口述 陈述 诉 称 述 陪同 陪诊 陪伴 陪护 护送 送来 送至 签字 签名 代签 确认 同意 "
    "拒绝 表示 要求 来电 致电 电话 说 告知 反映 发现 带 携 在场 翻译 签收 知情 联系 家属 之母 "
    "之父 之子 之女 之妻 之夫 的母亲 的父亲 的儿子 的女儿 的丈夫 的妻子 的家属 本人 医生 医师"
).split()

#: Roles that may follow a name in parentheses: 王芳（母亲）.
PAREN_ROLES = (
    "母 父 之母 之父 家属 监护人 陪同 陪同人 联系人 翻译 司机 民警 警官 护士 医生 医师 技师 "
    "本人 患者 患儿 孕妇 产妇 同事 朋友 邻居 老师 班主任 护工 保姆 亲属 代诉人 陈述者 "
    "母亲 父亲 爷爷 奶奶 外公 外婆 姥姥 姥爷 妈妈 爸爸 绰号 小名 昵称 乳名 化名 本名 曾用名 "
    "拼音 护照名 英文名 中文名 住院医 主治 主任 副主任 进修医 规培 实习医 护士长"
).split()

#: Characters that end a name before what the person does (代诉, 陪同, 签字, 称 …).
NAME_STOP_VERBS = "代陪签称说诉述送带携拒确告反致来"

#: Latin words that are never part of a person's name here (clinical terms, devices).
LATIN_NOT_NAMES = (
    "Coats Eales Stargardt Best Vogt Koyanagi Harada Terson Purtscher Leber Berlin Adie "
    "Horner Marfan Behcet Behçet Fuchs Goldmann Humphrey Amsler Snellen Schirmer Sjogren "
    "Susac Valsalva Irvine Gass Kearns Sayre Usher Bietti Wyburn Mason Hippel Lindau Sturge "
    "Weber Coats Norrie Alport Stickler Wagner Kjer Doyne Sorsby Bardet Biedl Batten Tay Sachs "
    "Niemann Pick Gaucher Waardenburg Duane Brown Mooren Posner Schlossman Cogan Reese Elschnig "
    "Roth Siegrist Kayser Fleischer Hutchinson Rieger Axenfeld Peters Busacca Koeppe Dalen "
    "Fuchs Sattler Haller Bruch Schlemm Tenon Zinn Mueller Muller Henle Bowman Descemet "
    "Topcon Canon Nidek Zeiss Optos Heidelberg Spectralis Cirrus Kowa Visucam Daytona Triton "
    "Optovue Centervue Eidon Crystalvue Huvitz Tomey Haag Streit Keeler Welch Allyn iCare Icare "
    "Mr Mrs Ms Miss Dr Prof Doctor Patient Name Sex Age Gender Male Female Date Dx Exam Report "
    "Tel Phone Fax Email WeChat Wechat QQ ID No Serial Device Camera Model Left Right Eye Eyes "
    "Both Normal Fundus Retina Retinal Macula Macular Disc Optic Nerve Cup Vessel Vessels "
    "Disease Syndrome Dystrophy Degeneration Edema Oedema Hemorrhage Haemorrhage Exudate "
    "Exudates Drusen Atrophy Detachment Occlusion Vein Artery Branch Central Diabetic "
    "Retinopathy Glaucoma Cataract Myopia High Mild Moderate Severe Proliferative Non "
    "Stage Grade Type Level Plus Zone Follow Up Review Refer Referral Urgent Routine Impression "
    "Findings Diagnosis Advice Suggest Suggestion Recommendation Conclusion History Chief "
    "Complaint Visual Acuity Pressure Image Images Photo Photos Quality Good Poor Fair Ok OK "
    "Yes No None Nil Negative Positive The And Of In On With Without For To At By From Is Are "
    "Was Were Be Not Seen See Suspect Suspected Possible Likely Consider Rule Out Please Thanks "
    "Thank Hi Hello Dear Regards Best Sincerely Am Pm AM PM Hospital Clinic Center Centre Eye "
    "People Peoples University Medical College Health Check Checkup Department Dept Ward Room "
    "Bed Floor Building Road Street Lane District City Province County Village China Chinese "
    "Beijing Shanghai Guangzhou Shenzhen Wuhan Chengdu Hangzhou Nanjing Tianjin Chongqing Xian "
    "Lhasa Urumqi Kashgar Hohhot Yinchuan Xining Lanzhou Kunming Nanning Harbin Changchun "
    "Shenyang Dalian Jinan Qingdao Zhengzhou Taiyuan Shijiazhuang Hefei Fuzhou Xiamen Nanchang "
    "Changsha Guiyang Haikou Sanya Hong Kong Macau Taiwan Xinjiang Tibet Xizang Guangdong "
    "Passport Visa Nationality OD OS OU"
).split()

#: Clinical words that look like names or begin with a surname: never scrubbed as names.
CLINICAL_LOOKALIKES = (
    "白内障 白斑 白点 白色 白线 白鞘 高血压 高血脂 高血糖 高度近视 高度 高反射 高眼压 黄斑 黄白色 "
    "黄色 黄染 黄疸 原田病 原田 小柳 牵牛花 樱桃红 棉絮斑 棉绒斑 火焰状 石灰样 陈旧性 陈旧 "
    "周边部 周边 周围 何时 林间 关注 万一 于是 方可 江南 康柏西普 雷珠单抗 阿柏西普 甲钴胺 "
    "羟苯磺酸钙 房角 房水 金属 钱币 毛细血管 毛玻璃 单纯 全视网膜 屈光 曲度 余光 时有 常规 "
    "常见 明显 明确 温度 安全 易于 施行 简单 项目 封闭 麻木 迟缓 皮质 粟粒 尤其 符合 舒张 "
    "梅毒 焦点 申请 颜色 庞大 殷红 劳累 解剖 窦性 连续 石化 康复 车祸 冷静 冷敷 平素 "
    "孔源性 卫生 程度 范围 潘氏 包裹 包括 毕竟 向心性 柯氏 米粒 米色 苏木 沙眼 "
    "贾氏 史氏 左眼 右眼 双眼 任何 宁可 齐全 裴氏 祁氏 骆驼 龙胆紫 鲍曼 华法林 "
    "阿托品 阿司匹林 阿昔洛韦 卡巴克络 康宁 田字 文献 方案 方法 方向 方式 方面 傅里叶 "
    "钟点 钟方向 钟位 点钟 项下 董氏 戴镜 戴用 冯氏 牛眼 牛奶 熊猫 燕麦 金黄色 "
    "严重 严格 路径 成人 成熟 成年 应用 应该 应当 "
    "管径 管壁 管腔 边界 边缘 边缘清 宫内 童年 鲁米那 岳氏 凌晨 师范 乔氏 罗氏 "
    "曾经 曾有 曾行 曾患 余未见 余无 余同前 伍氏 邢氏 包块 包膜 广泛 沙氏"
).split()

NAME_CUES = list(dict.fromkeys(NAME_CUES + PERSON_NOUNS))

#: Characters never inside a middle-dot name (its parts are transliterations: 别克, 艾力).
DOTTED_NAME_STOP = "的了是和与及患者病人姓名家属陪同之其为男女岁眼诊断查在到已未于从向说称诉签等"
