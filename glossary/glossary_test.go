package glossary_test

import (
	"errors"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	"cloudbill/rating"
)

func d(s string) *decimal.Decimal { v := decimal.RequireFromString(s); return &v }

// Every code the domain defines has a Chinese name (a new constant without one fails).
func TestEveryCodeHasAName(t *testing.T) {
	// has: every code has a name of its own (a code without an entry prints as itself).
	has := func(name func(string) string, codes ...string) {
		t.Helper()
		for _, c := range codes {
			assert.NotEqual(t, c, name(c), "no Chinese name for %q", c)
			assert.NotEmpty(t, name(c), "no Chinese name for %q", c)
		}
	}
	has(func(c string) string { return glossary.Kind(rating.Kind(c)) }, string(rating.KindCharge), string(rating.KindMetered),
		string(rating.KindDeduction), string(rating.KindAdjustment), string(rating.KindUnfunded))
	has(func(c string) string { return glossary.Result(catalog.AcceptanceResult(c)) }, string(catalog.Passed), string(catalog.Deferred), string(catalog.Failed))
	has(func(c string) string { return glossary.Zone(catalog.Zone(c)) }, string(catalog.ZoneInternet), string(catalog.ZoneExtranet))
	has(func(c string) string { return glossary.Mode(catalog.Mode(c)) }, string(catalog.ModeShared), string(catalog.ModeDedicated), string(catalog.ModeHosting), string(catalog.ModeBareMetal))
	has(func(c string) string { return glossary.Category(catalog.ProjectCategory(c)) }, string(catalog.CategoryOM), string(catalog.CategoryNew), string(catalog.CategoryRenovation))
	has(func(c string) string { return glossary.Billing(catalog.Billing(c)) }, string(catalog.Allocated), string(catalog.Metered))
	has(func(c string) string { return glossary.Agg(catalog.Agg(c)) }, string(catalog.AggSum), string(catalog.AggMax), string(catalog.AggAvg), string(catalog.AggP95), string(catalog.AggAvgDailyMax))
	has(func(c string) string { return glossary.TierGroup(rating.TierGroup(c)) }, string(rating.TierResult), string(rating.TierScore), string(rating.TierAvailability))
	has(glossary.IdleKind, string(idle.KindVCPU), string(idle.KindMemory))
	has(glossary.IdleState, string(idle.StateOpen), string(idle.StateResolved), string(idle.StateOverdue))
	has(glossary.OrderState, string(catalog.OrderPending), string(catalog.OrderActive), string(catalog.OrderTerminated))
	has(glossary.IdleStatus, string(idle.StatusReduce), string(idle.StatusKeep), string(idle.StatusInsufficient))
	has(glossary.Column, "period", "department_id", "vendor_id", "project_id", "category", "order_id", "item_code", "zone",
		"from", "to", "days", "days_in_month", "quantity", "unit_price", "amount", "kind", "item_name", "unit", "mode", "corrects", "note")
	for _, s := range []catalog.OrderState{catalog.OrderPending, catalog.OrderActive, catalog.OrderTerminated} {
		assert.True(t, glossary.IsOrderState(string(s)), "order state %q", s)
	}
	assert.False(t, glossary.IsOrderState("gone"))
	assert.Equal(t, "登录", glossary.AuditActions()["sign-in"])
	assert.Equal(t, "—", glossary.Zone(""))
	assert.Equal(t, "mars", glossary.Zone("mars"), "an unknown code prints as itself")
	assert.Equal(t, "用量采集（ctcc）", glossary.Job("collect:ctcc"))
	// every job run detail and import note code in Chinese
	for _, c := range glossary.JobDetailCodes() {
		assert.NotEqual(t, c+"?", glossary.JobDetail(c+"?"), "no Chinese for job detail %q", c)
	}
	// the year's money: every sentence and every label of the December estimate has words
	for _, k := range glossary.FundingTextKeys() {
		assert.NotEmpty(t, glossary.FundingText(k), "no words for %q", k)
	}
	for _, k := range glossary.EstimateWordKeys() {
		assert.NotEqual(t, k, glossary.EstimateWord(k), "no words for %q", k)
	}
	// every input error code in Chinese, with the values its English text has
	for _, c := range csvin.Codes() {
		zh := glossary.InputText(c)
		if assert.NotEmpty(t, zh, "no Chinese for input error %q", c) {
			assert.Equal(t, csvin.Placeholders(csvin.English(c)), csvin.Placeholders(zh), "values of %q", c)
		}
	}
}

// TestInputError: an input error in Chinese with its place: file, line, record, column;
// a message without a code as written.
func TestInputError(t *testing.T) {
	for _, tt := range []struct {
		err  *csvin.Error
		want string
	}{
		{csvin.Coded("inv.csv", 2, "amount", csvin.CodeSeparator, "value", "1,234.5").SetKey("order", "O1", "item", "C01"),
			"文件 inv.csv 第 2 行（工单 O1，品目 C01），列 “amount”：“1,234.5”含千位分隔符或小数逗号：请写成 1234.5 这样的普通小数"},
		{csvin.Coded("inv.csv", 3, "days", csvin.CodeDaysRange, "value", "40", "max", "30", "period", "2026-11").SetKey("order", "O1", "item", ""),
			"文件 inv.csv 第 3 行（工单 O1），列 “days”：40 不在 1～30 之内（2026-11 的天数）"},
		{csvin.Coded("a.csv", 1, "colour", csvin.CodeHeaderUnknown, "expected", "id, name"),
			"文件 a.csv 第 1 行，列 “colour”：未知的列（应为 id, name；其他列须以 x_ 开头）"},
		{csvin.Coded("a.csv", 4, "", csvin.CodeNotUTF8, "byte", "7", "hex", "E9", "decided", "2"),
			"文件 a.csv 第 4 行：第 7 个字节（0xE9）不是有效的 UTF-8，而该文件是 UTF-8（由第 2 行及之前的内容判断）；一个文件须整体使用同一种编码"},
		{csvin.Coded("i.xlsx", 0, "", csvin.CodeXLSXTooLarge, "mib", "64"), "文件 i.xlsx：工作簿大于 64 MiB：拒收（请改用 CSV，或拆分发票）"},
		{csvin.Coded("inv.csv", 2, "amount", csvin.CodeNotDecimal, "value", "1\x1b[31m"), "文件 inv.csv 第 2 行，列 “amount”：“1\\x1b[31m”不是数字"},
		// the importers' own: a place in another file, values by their Chinese names
		{csvin.Coded("o.csv", 7, "order_id", csvin.CodeOrderOpenedTwice, append([]string{"order", "WO-8", "date", "2026-11-01"}, csvin.At("o.csv", "old.csv", 3)...)...).SetKey("order", "WO-8"),
			"文件 o.csv 第 7 行（工单 WO-8），列 “order_id”：工单编号重复：工单 WO-8 已于 2026-11-01 开通（文件 old.csv 第 3 行），内容不同"},
		{csvin.Coded("c.csv", 4, "code", csvin.CodeItemTwice, append([]string{"item", "C01"}, csvin.At("c.csv", "c.csv", 2)...)...).SetKey("item", "C01"),
			"文件 c.csv 第 4 行（品目 C01），列 “code”：品目 C01 出现了两次（另见第 2 行）"},
		{csvin.Coded("o.csv", 2, "zone", csvin.CodeZoneNotOffered, "item", "N01", "name", "弹性公网IP", "zone", "extranet", "date", "2026-11-02", "version", "2026-01-01"),
			"文件 o.csv 第 2 行，列 “zone”：品目 N01（弹性公网IP）在 2026-11-02 不在电子政务外网业务区提供（2026-01-01 生效的服务目录版本中没有电子政务外网业务区的单价）"},
		{csvin.Coded("r.csv", 5, "threshold", csvin.CodeRulesNoResult, "period", "2026-12", "result", "failed"),
			"文件 r.csv 第 5 行，列 “threshold”：2026-12 生效的规则没有验收结果不通过的扣减比例"},
		{csvin.Coded("p.csv", 2, "voucher_no", csvin.CodeVoucherTwice, append([]string{"voucher", "PZ-1"}, csvin.At("p.csv", "", 1)...)...).SetKey("voucher", "PZ-1"),
			"文件 p.csv 第 2 行（凭证 PZ-1），列 “voucher_no”：凭证 PZ-1 在文件中出现了两次（另见第 1 行）"},
		{&csvin.Error{File: "c.csv", Line: 3, Column: "code", Record: "item C02", Msg: "identifier \"../C\" is not safe"},
			"文件 c.csv 第 3 行（item C02），列 “code”：identifier \"../C\" is not safe"},
	} {
		assert.Equal(t, tt.want, glossary.InputError(tt.err))
	}
	text, ok := glossary.InputErrors(csvin.Errors{csvin.Coded("a.csv", 0, "", csvin.CodeFileEmpty), csvin.Coded("b.csv", 2, "", csvin.CodeFieldCount, "got", "3", "want", "5")})
	assert.True(t, ok)
	assert.Equal(t, "共 2 处错误：\n文件 a.csv：文件为空：第 1 行须为列名（表头）\n文件 b.csv 第 2 行：该行有 3 个字段，表头有 5 列", text)
	assert.Equal(t, "文件 a.csv, b.csv 未受理，未存储任何内容：共 3 处错误：", glossary.RefusedFile("a.csv, b.csv", 3))
	_, ok = glossary.InputErrors(errors.New("not an input error"))
	assert.False(t, ok)
}

func TestTierText(t *testing.T) {
	until := calendar.MustDate("2026-11-29")
	for _, tt := range []struct {
		name string
		tier rating.Tier
		want string
	}{
		{"result", rating.Tier{Group: rating.TierResult, Recorded: catalog.Deferred, Effective: catalog.Deferred}, "暂缓通过"},
		{"security expired", rating.Tier{Group: rating.TierResult, Recorded: catalog.Passed, Effective: catalog.Failed,
			Security: rating.SecurityExpired, SecurityUntil: &until}, "通过，安全评估已于 2026-11-29 过期，视为不通过"},
		{"security missing", rating.Tier{Group: rating.TierResult, Recorded: catalog.Deferred, Effective: catalog.Failed,
			Security: rating.SecurityMissing}, "暂缓通过，安全评估缺失，视为不通过"},
		{"middle band", rating.Tier{Group: rating.TierScore, Value: d("85"), Min: d("80"), Below: d("90")}, "80 ≤ 得分 85 < 90"},
		{"top band", rating.Tier{Group: rating.TierAvailability, Value: d("99.99"), Min: d("99.95")}, "可用率(%) 99.99 ≥ 99.95"},
		{"below every band", rating.Tier{Group: rating.TierScore, Value: d("40")}, "得分 40 低于各档"},
		{"missing", rating.Tier{Group: rating.TierScore}, "得分未提供"},
		{"stored before tiers were data", rating.Tier{Group: "score", Label: "80 ≤ score 85 < 90"}, "80 ≤ score 85 < 90"},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, glossary.TierText(tt.tier)) })
	}
}

// The deduction reason is built from rating's tiers, not from words rating wrote.
func TestDeductionNoteFromRating(t *testing.T) {
	p := calendar.MustPeriod("2026-11")
	until := calendar.MustDate("2026-11-29")
	acc := &catalog.Acceptance{Vendor: "V1", Result: catalog.Deferred, Score: d("85"), Availability: d("99.92"), SecurityValidUntil: &until}
	vd := rating.DefaultRules().Assess(p, "V1", acc, decimal.RequireFromString("10000"))
	assert.Equal(t, "暂缓通过，安全评估过期按不通过 30%，评价得分 2%，月度可用率 5%，合计 37%（封顶 50%）；"+
		"按本单位应收 3,197.26 元分摊（服务商本月应收合计 10,000.00 元，扣减 3,700.00 元）",
		glossary.DeductionNote(vd, decimal.RequireFromString("3197.26"), ""))
	assert.Contains(t, glossary.DeductionNote(vd, decimal.RequireFromString("3197.26"), catalog.CategoryOM), "按本单位运维类应收 3,197.26 元分摊")
	vd = rating.DefaultRules().Assess(p, "V1", nil, decimal.RequireFromString("10000"))
	assert.Equal(t, "待验收（无验收记录），暂不扣减", glossary.DeductionNote(vd, decimal.Zero, ""))
}

func TestExplain(t *testing.T) {
	p := calendar.MustPeriod("2026-11")
	line := func(k rating.Kind, qty, price, amount string, days int) rating.Line {
		return rating.Line{Period: p, Kind: k, From: calendar.MustDate("2026-11-01"), To: calendar.MustDate("2026-11-30"),
			Days: days, DaysInMonth: 30, Quantity: *d(qty), UnitPrice: *d(price), Amount: *d(amount)}
	}
	for _, tt := range []struct {
		name string
		line rating.Line
		item glossary.Item
		want string
	}{
		{"allocated", line(rating.KindCharge, "8", "36", "96.00", 10), glossary.Item{Unit: "vCPU·月", Billing: catalog.Allocated},
			"单价 36.00 元/vCPU·月 × 数量 8 × 天数 10 ÷ 当月天数 30 = 96.00 元"},
		{"metered", line(rating.KindMetered, "2042.922", "0.8", "1634.34", 30), glossary.Item{Unit: "GB", Billing: catalog.Metered, Agg: catalog.AggSum},
			"用量 2042.922 GB（合计，计量 2026-11-01 至 2026-11-30 共 30 天）× 单价 0.80 元 = 1,634.34 元"},
		{"unfunded", line(rating.KindUnfunded, "1", "100", "100.00", 30), glossary.Item{Unit: "套·月"},
			"单价 100.00 元/套·月 × 数量 1 × 天数 30 ÷ 当月天数 30 = 100.00 元；项目未列入 2026 年批准的项目清单"},
		{"deduction without its vendor record", line(rating.KindDeduction, "3197.26", "-0.02", "-63.95", 0), glossary.Item{},
			"验收扣减 2%，按本单位应收 3,197.26 元分摊"},
		{"adjustment", rating.Line{Kind: rating.KindAdjustment, Corrects: calendar.MustPeriod("2026-10"), CorrectsKind: rating.KindCharge,
			Amount: *d("-15.48")}, glossary.Item{}, "更正 2026-10 已结账月份的资源费用：重新计费后差额 -15.48 元"},
	} {
		t.Run(tt.name, func(t *testing.T) { assert.Equal(t, tt.want, glossary.Explain(tt.line, tt.item, nil)) })
	}
}

// TestReconcileText: every explanation of a reconciliation has words; values fill them,
// a zone said in words.
func TestReconcileText(t *testing.T) {
	for _, n := range glossary.ReconcileNotes() {
		assert.NotEmpty(t, glossary.ReconcileText(n), "no words for %q", n)
	}
	for _, tt := range []struct {
		got, want string
	}{
		{glossary.ReconcileText(glossary.NoteDaysMore, "vendor", "23", "ours", "20", "n", "3"), "天数不同：服务商 23 天，平台 20 天（多 3 天：可能计入了试用期或更晚的终止日期）"},
		{glossary.ReconcileText(glossary.NoteUnitPrice, "implied", "1100.00", "price", "1000.00", "version", "2026-01-01", "zone", "internet"),
			"单价不同：申报金额折合单价 1100.00 元，平台单价 1000.00 元（目录版本 2026-01-01，互联网业务区）"},
		{glossary.ReconcileText(glossary.NoteNotClaimed), "平台已计费，服务商未申报"},
	} {
		assert.Equal(t, tt.want, tt.got)
	}
}
