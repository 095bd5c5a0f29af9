package gen

// The names of a district's organisation: bureaus (委办局) with the subordinate units that
// apply through them, the systems their projects run, and the vendors of the platform.
// Tables are slices, never maps, so that generation order is fixed.

// bureau is a top-level department and what hangs under it.
type bureau struct {
	name    string   // without the area prefix: "财政局" becomes "区财政局"
	units   []string // subordinate units, area prefix added the same way ("" prefix for towns' units)
	systems []string // the information systems its projects fund
}

// The bureaus in the order a small dataset takes them: the first three make a small
// district (区财政局, 区教育委员会, 区卫生健康委员会, with 区第一中学 and 区人民医院 under them).
var bureaus = []bureau{
	{"财政局", []string{"国库集中支付中心", "财政投资评审中心", "财政局信息中心"},
		[]string{"预算管理一体化系统", "财政电子票据系统", "国有资产管理系统", "非税收入收缴系统"}},
	{"教育委员会", []string{"第一中学", "实验小学", "第二中学", "第一小学", "职业教育中心", "教师进修学院", "第三中学", "第二小学", "实验幼儿园", "第四中学", "第三小学"},
		[]string{"智慧教育平台", "教育资源公共服务平台", "学籍管理系统", "智慧校园", "校园安全视频监控平台"}},
	{"卫生健康委员会", []string{"人民医院", "中医院", "妇幼保健院", "疾病预防控制中心", "卫生健康综合行政执法支队", "第二人民医院", "精神卫生中心", "急救中心"},
		[]string{"全民健康信息平台", "电子健康档案系统", "远程医疗平台", "分级诊疗平台", "公共卫生应急指挥系统"}},
	{"公安分局", []string{"公安分局交通巡逻警察支队", "公安分局梁山派出所", "公安分局双桂派出所", "公安分局仁贤派出所", "看守所", "刑事侦查支队"},
		[]string{"雪亮工程视频监控平台", "警务综合平台", "智慧交通管理系统", "人口信息管理系统"}},
	{"大数据发展局", []string{"大数据中心", "政务服务热线中心"},
		[]string{"政务云管理平台", "数据共享交换平台", "一网通办平台", "城市运行管理中心"}},
	{"人力资源和社会保障局", []string{"就业和人才服务中心", "社会保险事务中心", "劳动保障监察支队"},
		[]string{"社会保险经办系统", "就业服务平台", "人事考试系统"}},
	{"民政局", []string{"社会福利院", "殡葬管理所", "救助管理站"},
		[]string{"社会救助信息系统", "养老服务平台", "婚姻登记系统"}},
	{"规划和自然资源局", []string{"不动产登记中心", "国土空间规划研究中心"},
		[]string{"不动产登记系统", "国土空间基础信息平台", "地理信息公共服务平台"}},
	{"生态环境局", []string{"生态环境监测站", "生态环境保护综合行政执法支队"},
		[]string{"生态环境监测平台", "污染源在线监控系统"}},
	{"住房和城乡建设委员会", []string{"建设工程质量安全监督站", "住房保障中心"},
		[]string{"智慧工地监管平台", "住房保障管理系统", "建筑市场监管系统"}},
	{"交通运输委员会", []string{"交通执法支队", "公路事务中心"},
		[]string{"交通运输综合监管平台", "公路养护管理系统"}},
	{"农业农村委员会", []string{"农业技术推广中心", "动物疫病预防控制中心", "农村经营管理站"},
		[]string{"智慧农业平台", "农村产权交易系统", "动物防疫监管系统"}},
	{"市场监督管理局", []string{"市场监管综合行政执法支队", "食品药品检验所"},
		[]string{"市场主体登记系统", "食品安全追溯平台", "特种设备监管系统"}},
	{"应急管理局", []string{"应急救援指挥中心", "安全生产执法支队"},
		[]string{"应急指挥平台", "安全生产风险监测系统"}},
	{"水利局", []string{"水文站", "河道管理所"},
		[]string{"智慧水利平台", "河长制管理系统"}},
	{"城市管理局", []string{"环境卫生管理所", "城市管理综合行政执法支队", "市政设施管理所"},
		[]string{"数字城管平台", "智慧停车系统"}},
	{"文化和旅游发展委员会", []string{"图书馆", "文化馆", "博物馆"},
		[]string{"智慧旅游平台", "公共文化服务平台"}},
	{"医疗保障局", []string{"医疗保障事务中心"},
		[]string{"医保信息平台", "医保基金监管系统"}},
	{"发展和改革委员会", []string{"价格认证中心", "发展研究中心"},
		[]string{"投资项目在线审批监管平台", "社会信用信息平台"}},
	{"经济和信息化委员会", []string{"中小企业服务中心"},
		[]string{"工业互联网公共服务平台", "企业服务平台"}},
	{"审计局", []string{"审计信息中心"},
		[]string{"审计数据分析平台"}},
	{"统计局", []string{"普查中心"},
		[]string{"统计数据采集系统"}},
	{"司法局", []string{"公共法律服务中心", "社区矫正中心"},
		[]string{"公共法律服务平台", "社区矫正管理系统"}},
	{"退役军人事务局", []string{"退役军人服务中心"},
		[]string{"退役军人信息管理系统"}},
	{"政务服务管理办公室", []string{"政务服务中心", "公共资源交易中心"},
		[]string{"网上办事大厅", "公共资源交易平台"}},
	{"机关事务管理局", []string{"机关事务服务中心"},
		[]string{"公务用车管理平台", "公共机构节能监管系统"}},
	{"档案馆", nil, []string{"档案数字化管理系统"}},
	{"融媒体中心", nil, []string{"融媒体内容生产平台", "政务新媒体矩阵"}},
	{"人民法院", []string{"人民法院梁山人民法庭", "人民法院礼让人民法庭"}, []string{"智慧法院平台", "电子诉讼服务平台"}},
	{"人民检察院", nil, []string{"检察业务应用系统"}},
	{"信访办公室", nil, []string{"网上信访系统"}},
	{"气象局", []string{"气象台"}, []string{"气象灾害预警平台"}},
	{"林业局", []string{"林业综合行政执法支队", "国有林场"}, []string{"森林防火监测平台"}},
	{"商务委员会", []string{"招商投资促进中心"}, []string{"电子商务公共服务平台"}},
	{"科学技术局", []string{"科技创新服务中心"}, []string{"科技项目管理系统"}},
	{"残疾人联合会", []string{"残疾人康复中心"}, []string{"残疾人服务管理系统"}},
	{"总工会", nil, []string{"职工服务平台"}},
	{"妇女联合会", nil, []string{"妇女儿童服务平台"}},
	{"供销合作社", nil, []string{"农资流通服务平台"}},
	{"政府办公室", []string{"政府研究室", "外事办公室"}, []string{"协同办公系统", "政府门户网站", "视频会议系统"}},
}

// towns are the district's towns and streets; each is a top-level department
// (X镇人民政府 / X街道办事处) with a service centre under it.
var towns = []string{
	"梁山街道", "双桂街道", "仁贤街道", "礼让镇", "云龙镇", "屏锦镇", "袁驿镇", "新盛镇",
	"福禄镇", "聚奎镇", "明达镇", "荫平镇", "和林镇", "回龙镇", "碧山镇", "虎城镇",
	"七星镇", "龙门镇", "文化镇", "合兴镇", "金带镇", "柏家镇", "大观镇", "竹山镇",
	"蟠龙镇", "星桥镇", "曲水镇", "安胜镇", "铁门乡", "龙胜乡", "紫照镇", "复平镇",
}

var townSystems = []string{"基层治理综合信息平台", "便民服务系统", "网格化管理系统"}

// areas prefix the bureaus' names: the district itself ("区") first; a city-scale dataset
// takes further districts and counties of the municipality, each with its own bureaus.
var areas = []string{
	"区", "万州区", "涪陵区", "渝中区", "大渡口区", "江北区", "沙坪坝区", "九龙坡区", "南岸区",
	"北碚区", "綦江区", "大足区", "渝北区", "巴南区", "黔江区", "长寿区", "江津区", "合川区",
	"永川区", "南川区", "璧山区", "铜梁区", "潼南区", "荣昌区", "开州区", "武隆区", "城口县",
	"丰都县", "垫江县", "忠县", "云阳县", "奉节县", "巫山县", "巫溪县", "石柱县", "秀山县",
	"酉阳县", "彭水县",
}

// vendorTable lists the platform's vendors (政务云服务商) in order of their share.
var vendorTable = []struct{ id, name string }{
	{"ctcc", "中国电信股份有限公司梁平分公司"},
	{"cmcc", "中国移动通信集团重庆有限公司梁平分公司"},
	{"inspur", "浪潮云信息技术股份公司"},
	{"huawei", "华为云计算技术有限公司"},
	{"cucc", "中国联合网络通信有限公司重庆市梁平区分公司"},
}

// vendorShare weighs vendors when orders are spread among them.
var vendorShare = []float64{0.38, 0.26, 0.18, 0.12, 0.06}

// adaptationTable maps vendors' own resource types to catalog items (§17).
var adaptationTable = []struct{ rtype, item, note string }{
	{"ecs.c6.large", "C03", "计算型实例 2核4G，适配云服务器 2核4G 套餐"},
	{"s6.large.2", "C03", "通用型实例 2核4G，适配云服务器 2核4G 套餐"},
	{"oss.standard", "S03", "标准存储类型对象存储，适配对象存储"},
	{"rds.mysql.s2", "D01", "MySQL 2核4G 实例规格，适配云数据库 MySQL 2核4G"},
	{"redis.master.small", "D02", "Redis 主从版 1G，适配云数据库 Redis 1G"},
}

var chineseNumerals = []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
