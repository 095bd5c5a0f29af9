// Package glossary is the one table of Chinese words a reader sees: the names of line
// kinds, acceptance results, zones, funding categories, service modes, deduction tier
// groups, month states, meter aggregations, column headers, job names and audit actions,
// and the sentences built from them (a deduction's tiers, a line's calculation).
//
// The PDFs, the CSVs' Chinese headers, the portal and the API's messages all take their
// words from here, so one thing has one name everywhere. Code elsewhere returns structured
// values (codes, rates, dates); only rendering turns them into words, through this package.
// A code without an entry prints as itself, never as an empty string.
package glossary

import (
	"maps"

	"cloudbill/catalog"
	"cloudbill/rating"
)

// kinds names the kinds of statement lines.
var kinds = map[rating.Kind]string{
	rating.KindCharge:     "资源费用",
	rating.KindMetered:    "计量费用",
	rating.KindDeduction:  "验收扣减",
	rating.KindAdjustment: "调整",
	rating.KindUnfunded:   "未列入项目清单",
}

// results names the acceptance results; Pending is a month without a record.
var results = map[catalog.AcceptanceResult]string{
	catalog.Passed:   "通过",
	catalog.Deferred: "暂缓通过",
	catalog.Failed:   "不通过",
}

// Pending is the result of a vendor month without an acceptance record.
const Pending = "待验收"

// zones names the network zones.
var zones = map[catalog.Zone]string{
	catalog.ZoneInternet: "互联网业务区",
	catalog.ZoneExtranet: "电子政务外网业务区",
}

// modes names the service modes.
var modes = map[catalog.Mode]string{
	catalog.ModeShared:    "共享云",
	catalog.ModeDedicated: "专享云",
	catalog.ModeHosting:   "云托管",
	catalog.ModeBareMetal: "裸金属",
}

// categories names the funding categories of projects and lines.
var categories = map[catalog.ProjectCategory]string{
	catalog.CategoryOM:         "运维",
	catalog.CategoryNew:        "新建",
	catalog.CategoryRenovation: "改扩建",
}

// billings names how an item is priced.
var billings = map[catalog.Billing]string{
	catalog.Allocated: "按月分摊",
	catalog.Metered:   "按量计费",
}

// aggs names how a metered item's samples become its quantity.
var aggs = map[catalog.Agg]string{
	catalog.AggSum:         "合计",
	catalog.AggMax:         "最大值",
	catalog.AggAvg:         "平均值",
	catalog.AggP95:         "95 百分位",
	catalog.AggAvgDailyMax: "日最大值的平均",
}

// tierGroups names the groups of the deduction rules.
var tierGroups = map[rating.TierGroup]string{
	rating.TierResult:       "验收结果",
	rating.TierScore:        "评价得分",
	rating.TierAvailability: "月度可用率",
}

// states names the states of a month (app.State).
var states = map[string]string{
	"open":               "未计费",
	"rated":              "已计费（临时）",
	"pending_acceptance": "待验收",
	"being_closed":       "结账中",
	"closed":             "已结账",
}

// statuses names a statement's status: final (the month is closed) or provisional.
var statuses = map[string]string{
	"closed":      "正式（已结账）",
	"final":       "正式（已结账）",
	"provisional": "临时",
}

// jobs names the scheduled and recorded jobs.
var jobs = map[string]string{
	"rate":         "每日计费",
	"close":        "月度结账",
	"idle-analyze": "闲置资源分析",
	"idle-follow":  "闲置资源跟进",
	"collect":      "用量采集",
}

// jobStatuses names a job run's outcome.
var jobStatuses = map[string]string{
	"ok":      "成功",
	"failed":  "失败",
	"running": "运行中",
	"skipped": "跳过",
}

// triggers names what started a job.
var triggers = map[string]string{
	"schedule": "定时",
	"catch-up": "补跑",
	"manual":   "手动",
	"cli":      "命令行",
	"portal":   "门户",
}

// auditActions names the actions of the audit log.
var auditActions = map[string]string{
	"sign-in":           "登录",
	"sign-in-failed":    "登录失败",
	"sign-in-throttled": "登录过频被拒",
	"sign-out":          "退出",
	"download":          "下载",
	"upload":            "上传发票",
	"close":             "结账",
	"denied":            "越权访问被拒",
	"token-create":      "创建访问令牌",
	"token-revoke":      "吊销访问令牌",
	"user-add":          "添加账号",
	"user-disable":      "停用账号",
	"user-enable":       "启用账号",
	"password-reset":    "重置密码",
	"export":            "导出",

	// recorded by the command line
	"estimate-issue":           "签发12月预估",
	"estimate-withdraw":        "撤回12月预估",
	"budgets-import":           "导入项目预算",
	"budget-thresholds-import": "导入预算预警阈值",
	"payments-import":          "导入支付凭证",
	"reconcile":                "发票对账",
}

// outcomes names the outcome of an audited action.
var outcomes = map[string]string{
	"ok":      "成功",
	"refused": "拒绝",
	"denied":  "拒绝",
	"error":   "出错",
}

// imports names the kinds of data imports.
var imports = map[string]string{
	"org":         "组织与项目",
	"catalog":     "服务目录",
	"events":      "工单事件",
	"orders":      "工单事件", // the kind the work-order events' import records
	"usage":       "用量",
	"acceptance":  "验收记录",
	"rules":       "扣减规则",
	"adaptations": "目录适配",
	"idle-config": "冗余系数",

	"budgets":           "项目预算",
	"budget-thresholds": "预算预警阈值",
	"payments":          "支付凭证",
}

// columns names the columns of lines and tables: the headers of Chinese CSV and .xlsx
// exports (the statement CSV keeps its English header, a documented contract).
var columns = map[string]string{
	"period":          "账期",
	"department_id":   "部门编号",
	"department_name": "部门",
	"vendor_id":       "服务商编号",
	"vendor_name":     "服务商",
	"project_id":      "项目编号",
	"project_name":    "项目",
	"category":        "资金类别",
	"category_name":   "资金类别",
	"order_id":        "工单",
	"item_code":       "品目编码",
	"item_name":       "品目名称",
	"unit":            "单位",
	"zone":            "区域",
	"zone_name":       "区域",
	"mode":            "服务模式",
	"from":            "起",
	"to":              "止",
	"days":            "天数",
	"days_in_month":   "当月天数",
	"quantity":        "数量",
	"unit_price":      "单价（元）",
	"amount":          "金额（元）",
	"kind":            "类型",
	"corrects":        "更正账期",
	"note":            "说明",
	"explanation":     "计算说明",
	"gross":           "应收（元）",
	"adjustments":     "调整（元）",
	"deduction":       "验收扣减（元）",
	"net":             "应付（元）",
	"total":           "合计（元）",
	"previous":        "上期（元）",
	"current":         "本期（元）",
	"change":          "变化（元）",
	"change_pct":      "变化率",
	"resource_id":     "资源编号",
	"opened":          "开通日期",
	"terminated":      "终止日期",
	"state":           "状态",
	// the comparisons' (同比环比) columns
	"name":           "名称",
	"code":           "编码",
	"month_current":  "本月（元）",
	"month_previous": "上月（元）",
	"mom":            "环比变化（元）",
	"mom_pct":        "环比",
	"year_ago":       "去年同月（元）",
	"yoy":            "同比变化（元）",
	"yoy_pct":        "同比",
	// the declaration's (测算表) columns
	"parent_id":   "主管部门编号",
	"declared_as": "申报类别",
	"billing":     "计费方式",
	"orders":      "工单数",
	"monthly":     "月度金额（元）",
	"annual":      "年度测算金额（元）",
	"basis":       "测算依据",
	"lines":       "明细行数",
}

// Words used on their own in more than one place.
const (
	Gross       = "应收"     // a vendor's or department's charges before deductions
	Net         = "应付"     // after deductions and adjustments
	NetPayable  = "应付净额"   // a vendor's net for the month
	Platform    = "平台计费金额" // the platform's figure beside a vendor's invoice
	Invoice     = "发票金额"
	Difference  = "差额"
	Subtotal    = "小计"
	Total       = "合计"
	Yuan        = "元"
	NoProject   = "验收扣减" // lines without a project: the deductions
	District    = "全区"   // the whole district (the finance summary's scope)
	Provisional = "临时"
)

// Name is the Chinese name of code k in table names; a code without an entry is itself,
// and an empty code "—".
func Name[K ~string](names map[K]string, k K) string {
	if n, ok := names[k]; ok {
		return n
	}
	if k == "" {
		return "—"
	}
	return string(k)
}

// The names of codes, each Name over its table (the tables are not exported: a reader
// asks for one name, nobody changes a table at run time).
func Kind(k rating.Kind) string                 { return Name(kinds, k) }
func Result(r catalog.AcceptanceResult) string  { return Name(results, r) }
func Zone(z catalog.Zone) string                { return Name(zones, z) }
func Mode(m catalog.Mode) string                { return Name(modes, m) }
func Category(c catalog.ProjectCategory) string { return Name(categories, c) }
func Billing(b catalog.Billing) string          { return Name(billings, b) }
func Agg(a catalog.Agg) string                  { return Name(aggs, a) }
func TierGroup(g rating.TierGroup) string       { return Name(tierGroups, g) }
func State(s string) string                     { return Name(states, s) }
func Status(s string) string                    { return Name(statuses, s) }
func JobStatus(s string) string                 { return Name(jobStatuses, s) }
func Trigger(s string) string                   { return Name(triggers, s) }
func AuditAction(s string) string               { return Name(auditActions, s) }
func Outcome(s string) string                   { return Name(outcomes, s) }
func Import(s string) string                    { return Name(imports, s) }
func IdleKind(s string) string                  { return Name(idleKinds, s) }
func IdleState(s string) string                 { return Name(idleStates, s) }
func IdleStatus(s string) string                { return Name(idleStatuses, s) }
func OrderState(s string) string                { return Name(orderStates, s) }
func MatchType(s string) string                 { return Name(matchTypes, s) }

// AuditActions returns a copy of the audit actions' table (code: name), for a list to
// choose from.
func AuditActions() map[string]string { return maps.Clone(auditActions) }

// IsOrderState tells whether s is a work order's state (a key of the order states' table).
func IsOrderState(s string) bool { _, ok := orderStates[s]; return ok }

// Job names a job; "collect:VENDOR" is the collection of that vendor.
func Job(j string) string {
	if n, ok := jobs[j]; ok {
		return n
	}
	for i := 0; i < len(j); i++ {
		if j[i] == ':' {
			if n, ok := jobs[j[:i]]; ok {
				return n + "（" + j[i+1:] + "）"
			}
		}
	}
	return Name(jobs, j)
}

// Column is the Chinese header of column c.
func Column(c string) string { return Name(columns, c) }

// Headers is Column of each of cs.
func Headers(cs []string) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = Column(c)
	}
	return out
}

// idleKinds, idleStates and idleStatuses name the idle-resource analysis's resource
// kinds, case states and per-resource verdicts.
var (
	idleKinds = map[string]string{
		"vcpu":   "vCPU（核）",
		"memory": "内存（GB）",
	}
	idleStates = map[string]string{
		"open":     "待整改",
		"resolved": "已整改",
		"overdue":  "逾期（列入缩容清单）",
	}
	idleStatuses = map[string]string{
		"reduce":            "建议缩减",
		"keep":              "保留",
		"insufficient_data": "数据不足",
	}
)

// orderStates names where a work order stands on a day (catalog.OrderState).
var orderStates = map[string]string{
	"pending":    "待开通",
	"active":     "在用",
	"terminated": "已终止",
}

// matchTypes names what a search found.
var matchTypes = map[string]string{
	"order":      "工单",
	"resource":   "资源",
	"project":    "项目",
	"department": "部门",
}
