package funding

// Labels are the Chinese words of the year's money, in one table: the portal, the CSVs
// and the PDFs of budgets, payments, estimates and declarations use these and no other.
// (When the glossary package lands, this table moves there.)
var Labels = map[string]string{
	// budget states
	string(StateOK):           "正常",
	string(StateWarning):      "预警",
	string(StateOver):         "超预算",
	string(StateForecastOver): "预计超支",
	string(StateNoBudget):     "无预算",
	// thresholds
	string(ThresholdSpentWarning): "已用达预算80%",
	string(ThresholdSpentOver):    "已用超出预算",
	string(ThresholdForecastOver): "预计全年超出预算",
	// figures
	"budget":      "预算金额",
	"spent":       "已用金额",
	"forecast":    "预计全年",
	"project":     "项目",
	"department":  "部门",
	"parent":      "主管部门",
	"payable":     "应付金额",
	"paid":        "已付金额",
	"outstanding": "未付金额",
	"cross_year":  "跨年支付",
	"refund":      "退款",
	"estimate":    "预估",
	"true_up":     "上年12月预估差额",
	"declaration": "测算表",
	"om":          "运维",
	"to_om":       "转为运维",
}

// Label is the Chinese word of key (the key itself when it has none).
func Label(key string) string {
	if l, ok := Labels[key]; ok {
		return l
	}
	return key
}
