package glossary_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/access"
	"cloudbill/glossary"
)

// TestAuditDetail: every kind of audit detail is stored as a code and values and read in
// Chinese; a detail recorded as text before details were data prints as it was stored.
func TestAuditDetail(t *testing.T) {
	for _, tt := range []struct{ stored, want string }{
		{access.Details(access.DetailSessions, "n", "2"), "结束 2 个会话"},
		{access.Details(access.DetailAccount, "role", "department", "department", "D01"), "角色 政务部门；部门 D01"},
		{access.Details(access.DetailAccount, "role", "vendor", "vendor", "ctcc"), "角色 云服务商；服务商 ctcc"},
		{access.Details(access.DetailRefused, "reason", access.ReasonWrongPass), "密码错误"},
		{access.Details(access.DetailRefused, "reason", access.ReasonSelf), "不能停用自己的账号"},
		{access.Details(access.DetailRefused, "reason", access.ReasonTooLarge, "limit_mib", "20"), "文件过大（上限 20 MiB）"},
		{access.Details(access.DetailRefused, "reason", access.ReasonBadInvoice, "text", "v.csv 第 3 行 amount 列：不是金额"), "发票内容有误：v.csv 第 3 行 amount 列：不是金额"},
		{access.Details(access.DetailToken, "kind", "collector", "vendor", "ctcc"), "采集令牌，服务商 ctcc"},
		{access.Details(access.DetailToken, "kind", "personal", "login", "li"), "个人访问令牌，账号 li"},
		{access.Details(access.DetailClose, "run", "R1", "lines", "1930", "total", "1043194.81", "hash", "ab12", "pending", "1"),
			"计费批次 R1，共 1930 行，合计 1,043,194.81 元，内容哈希 ab12；验收待定仍结账"},
		{access.Details(access.DetailClose, "already", "1"), "该月此前已结账，未重复结账"},
		{access.Details(access.DetailInvoice, "file", "v.csv", "lines", "120", "sha256", "ff00", "upload", "U1", "differences", "3"),
			"发票 v.csv（120 行，SHA-256 ff00）：对账记录 U1，差异 3 处"},
		{access.Details(access.DetailStatement, "state", "final", "issue", "I9"), "正式（已结账），签发编号 I9"},
		{access.Details(access.DetailAsOf, "date", "2026-11-30"), "截至 2026-11-30"},
		{access.Details(access.DetailImport, "of", "budgets", "import", "B1", "accepted", "56", "replaced", "2"), "导入批次 B1：56 条预算金额（其中 2 条替换原版本）"},
		{access.Details(access.DetailImport, "of", "vouchers", "import", "P1", "accepted", "4"), "导入批次 P1：4 张支付凭证"},
		{access.Details(access.DetailEstimate, "period", "2025-12", "as_of", "2025-12-20", "lines", "10", "total", "1200", "hash", "h"),
			"2025-12 预估（截至 2025-12-20）：共 10 行，合计 1,200.00 元，哈希 h"},
		// recorded before details were data: as stored
		{"run 7, 1930 lines, total 1043194.81, content hash ab12", "run 7, 1930 lines, total 1043194.81, content hash ab12"},
		{"wrong password", "wrong password"},
		{"", ""},
	} {
		assert.Equal(t, tt.want, glossary.AuditDetail(tt.stored), tt.stored)
	}
	assert.Equal(t, "申报测算表 D01.pdf", glossary.AuditTarget("declaration D01.pdf"))
	assert.Equal(t, "2026-10/departments/D01.pdf", glossary.AuditTarget("2026-10/departments/D01.pdf"))
	assert.Equal(t, "命令行（cli）", glossary.Actor("cli"))
	// job runs' details (English for cloudbill status) read in Chinese on the portal
	for stored, want := range map[string]string{
		"rated":                "已计费",
		"effective 2026-11-16": "自 2026-11-16 起生效",
		"closed: 1930 lines, total 1043194.81, hash ab12; statements issued":                                        "已结账：共 1930 行，合计 1,043,194.81 元，内容哈希 ab12；已出具账单",
		"analysis of 2026-11-30: 55 departments over, monthly saving 137154.00, 0 cases opened, 0 samples excluded": "分析日 2026-11-30：55 个部门超出冗余比例，每月可节约 137,154.00 元，新开整改事项 0 件，剔除样本 0 个",
		"follow-up of 2026-12-06: 0 resolved, 2 overdue":                                                            "跟进日 2026-12-06：已整改 0 件，逾期 2 件",
		"something else": "something else",
	} {
		assert.Equal(t, want, glossary.JobDetail(stored))
	}
	assert.Equal(t, "默认规则（未导入扣减规则版本）", glossary.RulesVersion("default"))
	for _, a := range []string{"estimate-issue", "estimate-withdraw", "budgets-import", "budget-thresholds-import", "payments-import", "export", "close", "upload", "download"} {
		assert.NotEqual(t, a, glossary.AuditAction(a), "action %s has a name", a)
	}
}
