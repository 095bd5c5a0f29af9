package glossary

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
