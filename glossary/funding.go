package glossary

import "cloudbill/internal/csvin"

// funding names the words of the year's money (package funding: budgets, warnings,
// payments, the December estimate, the declaration): budget states, warning thresholds,
// the figures of a budget and of a vendor's year, and the declaration's categories.
var funding = map[string]string{
	// budget states
	"ok":            "正常",
	"warning":       "预警",
	"over":          "超预算",
	"forecast_over": "预计超支",
	"no_budget":     "无预算",
	// warning thresholds
	"spent_warning":        "已用达预警比例",
	"spent_over":           "已用超出预算",
	"forecast_over_budget": "预计全年超出预算",
	"share":                "触发比例",
	// figures
	"budget":      "预算金额",
	"spent":       "已用金额",
	"forecast":    "预计全年",
	"payable":     "应付金额",
	"paid":        "已付金额",
	"outstanding": "未付金额",
	"closed":      "已结账结算",
	"cross_year":  "跨年支付",
	"refund":      "退款",
	"estimate":    "预估",
	"true_up":     "上年12月预估差额",
	"declaration": "测算表",
	"to_om":       "转为运维",
	"annual":      "年度测算金额",
}

// Funding is the Chinese name of a word of the year's money (a key without an entry is
// itself).
func Funding(key string) string { return Name(funding, key) }

// fundingTexts are the sentences of the year's money with {name} where a value goes: the
// December estimate's document and notes, the declaration's basis, the true-up's note.
var fundingTexts = map[string]string{
	// the December estimate (funding.EstimateDoc, its deduction lines' note)
	"estimate_title":   "{period} {vendor} 预估结算单",
	"estimate_header":  "{period} 预估结算单 · {code}",
	"estimate_intro":   "本结算单为 {period} 的预估结算（截至 {as_of}），供年内支付（《管理办法》第二十一条）。{period} 结账后，正式结算与预估的差额作为“{true_up}”计入次年 1 月结算。",
	"estimate_no_rate": "无（无已结账月份的验收结果）",
	"estimate_rate":    "{rate}%（依据 {from} 验收结果）",
	"deduction_note":   "扣减比例 {rate}%（依据 {from} 验收结果）",
	// the declaration's basis of a line (funding.Declaration)
	"basis_none":    "无已结账月份的计量数据，按 0 测算",
	"basis_month":   "{month} 计量金额 × 12",
	"basis_average": "{from} 至 {to} 计量金额月平均（{months} 个月）× 12",
	"basis_price":   "单价 {price} × 数量 {quantity} × 12（{as_of} 价格）",
	// the true-up of December's estimate in January (funding's ledger)
	"true_up_note": "{true_up}：{year}年12月结算 {final} − 预估 {estimate}",
}

// fundingWords are the December estimate document's headings and labels.
var fundingWords = map[string]string{
	"department":   "部门",
	"project":      "项目",
	"order":        "工单",
	"item":         "配置项",
	"kind":         "类别",
	"to_date":      "截至分析日",
	"rest":         "至月末",
	"amount":       "金额（元）",
	"total":        "合计",
	"vendor":       "服务商",
	"as_of":        "分析日",
	"adjustments":  "调整",
	"rate":         "扣减比例",
	"estimate_net": "预估应付净额",
	"hash":         "内容哈希",
}

// FundingText is a sentence of the year's money (fundingTexts) with its values (key,
// value pairs).
func FundingText(key string, kv ...string) string {
	p := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	return csvin.Expand(fundingTexts[key], p)
}

// EstimateWord is a heading or label of the December estimate's document.
func EstimateWord(key string) string { return Name(fundingWords, key) }

// FundingTextKeys and EstimateWordKeys list the keys (for the test that each has words).
func FundingTextKeys() []string  { return keysOf(fundingTexts) }
func EstimateWordKeys() []string { return keysOf(fundingWords) }

func keysOf(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
