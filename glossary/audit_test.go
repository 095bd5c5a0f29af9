package glossary_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"cloudbill/access"
	"cloudbill/glossary"
	"cloudbill/schedule/jobrun"
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
		{access.Details(access.DetailInvoice, "file", "v.csv", "lines", "120", "sha256", "ff00", "differences", "0"),
			"发票 v.csv（120 行，SHA-256 ff00）：差异 0 处"}, // `cloudbill reconcile`: nothing kept
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
	// the portal's audit page names departments and vendors, the code after the name
	names := func(kind, code string) string {
		return map[string]string{"department/D01": "区财政局", "vendor/ctcc": "中国电信"}[kind+"/"+code]
	}
	assert.Equal(t, "角色 政务部门；部门 区财政局（D01）",
		glossary.AuditDetailNamed(access.Details(access.DetailAccount, "role", "department", "department", "D01"), names))
	assert.Equal(t, "角色 云服务商；服务商 中国电信（ctcc）",
		glossary.AuditDetailNamed(access.Details(access.DetailAccount, "role", "vendor", "vendor", "ctcc"), names))
	assert.Equal(t, "角色 政务部门；部门 D99",
		glossary.AuditDetailNamed(access.Details(access.DetailAccount, "role", "department", "department", "D99"), names), "an unknown code as it is")
	assert.Equal(t, "申报测算表 D01.pdf", glossary.AuditTarget("declaration D01.pdf"))
	assert.Equal(t, "2026-10/departments/D01.pdf", glossary.AuditTarget("2026-10/departments/D01.pdf"))
	assert.Equal(t, "命令行（cli）", glossary.Actor("cli"))
	// job runs' details and imports' notes (data) read in Chinese on the portal; free
	// text stored before they were data as stored
	for _, tt := range []struct{ stored, want string }{
		{jobrun.Detail(jobrun.DetailRated), "已计费"},
		{jobrun.Detail(jobrun.DetailRateClosed), "该月已结账，未重新计费"},
		{jobrun.Detail(jobrun.DetailAlreadyClosed), "该月此前已结账"},
		{jobrun.Detail(jobrun.DetailNothingDue, "period", "2026-11"), "未结账：尚无已结账的月份，且 2026-11 没有计费明细（请手工结账：cloudbill close --period 2026-11）"},
		{jobrun.Detail(jobrun.DetailClosed, "lines", "1930", "total", "1043194.81", "hash", "ab12", "issued", "1"), "已结账：共 1,930 行，合计 1,043,194.81 元，内容哈希 ab12；已出具账单"},
		{jobrun.Detail(jobrun.DetailClosed, "lines", "12", "total", "10.00", "hash", "ab12"), "已结账：共 12 行，合计 10.00 元，内容哈希 ab12"},
		{jobrun.Detail(jobrun.DetailIdleAnalysis, "date", "2026-11-30", "over", "55", "saving", "137154.00", "opened", "0", "excluded", "0"),
			"分析日 2026-11-30：55 个部门超出冗余比例，每月可节约 137,154.00 元，新开整改事项 0 件，剔除样本 0 个"},
		{jobrun.Detail(jobrun.DetailIdleFollow, "date", "2026-12-06", "resolved", "0", "overdue", "2"), "跟进日 2026-12-06：已整改 0 件，逾期 2 件"},
		{jobrun.Detail(jobrun.DetailBackup, "dir", "/var/backups/cloudbill-20261206-010000", "tables", "41", "rows", "1234567", "bytes", "52428800", "took", "1m3.5s", "removed", "1"),
			"备份至 /var/backups/cloudbill-20261206-010000：41 张表，1,234,567 行，52,428,800 字节，用时 1m3.5s；删除旧备份 1 份"},
		{jobrun.Detail(jobrun.DetailCollect, "windows", "96", "collected", "95", "partial", "1", "failed", "0", "samples", "14400", "duplicates", "0"),
			"采集窗口 96 个：完整 95 个，部分 1 个，失败 0 个；样本 14,400 个（其中 0 个已存且值相同）"},
		{"effective?date=2026-11-16", "自 2026-11-16 起生效"},
		{"effective?date=2026-11-16&replaces=1", "自 2026-11-16 起生效（替换同日生效的版本）"},
		{"org?departments=56&projects=120&vendors=5", "部门 56 个，项目 120 个，服务商 5 家"},
		{"late?events=3", "迟到的工单事件 3 条"},
		{"closed: 1930 lines, total 1043194.81, hash ab12; statements issued", "closed: 1930 lines, total 1043194.81, hash ab12; statements issued"},
		{"effective 2026-11-16", "effective 2026-11-16"},
		{"", ""},
	} {
		assert.Equal(t, tt.want, glossary.JobDetail(tt.stored), tt.stored)
	}
	assert.Equal(t, "默认规则（未导入扣减规则版本）", glossary.RulesVersion("default"))
	for _, k := range []string{"org", "catalog", "orders", "acceptance", "adaptations", "budgets", "payments"} { // the kinds imports record
		assert.NotEqual(t, k, glossary.Import(k), "import kind %s has a name", k)
	}
	for _, a := range []string{"estimate-issue", "estimate-withdraw", "budgets-import", "budget-thresholds-import", "payments-import", "export", "close", "upload", "download"} {
		assert.NotEqual(t, a, glossary.AuditAction(a), "action %s has a name", a)
	}
}

// Access tokens' kinds and states in words on the accounts page.
func TestTokenWords(t *testing.T) {
	for _, k := range []access.TokenKind{access.TokenPersonal, access.TokenCollector} {
		assert.NotEqual(t, string(k), glossary.TokenKind(string(k)))
	}
	for _, tok := range []access.Token{{}, {RevokedAt: time.Unix(1, 0)}, {ExpiresAt: time.Unix(1, 0)}} {
		st := tok.State(time.Unix(2, 0))
		assert.NotEqual(t, st, glossary.TokenState(st), "token state %s has a name", st)
	}
}
