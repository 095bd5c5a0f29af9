package statements

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// ProvisionalMark is printed on every page of an open month's statements.
const ProvisionalMark = "临时 / PROVISIONAL"

var zoneShort = map[catalog.Zone]string{catalog.ZoneInternet: "互联网区", catalog.ZoneExtranet: "政务外网区"}

func amt(d decimal.Decimal) string { return money.Grouped(d) }

func monthText(p calendar.Period) string { return fmt.Sprintf("%d年%d月", p.Year, int(p.Month)) }

func status(h Header) string {
	if h.Final {
		return "正式（已结账）"
	}
	return "临时（账期未结账，金额可能变化）"
}

func newDoc(m Month, h Header, title, subject string) sheet.Doc {
	d := sheet.Doc{
		Title:   title,
		Header:  fmt.Sprintf("%s · %s · %s", title, subject, h.Number),
		Created: m.IssuedAt,
	}
	if !h.Final {
		d.Mark = ProvisionalMark
	}
	return d
}

func totalParas(label string, total decimal.Decimal) []sheet.Block {
	return []sheet.Block{
		sheet.Para{Text: fmt.Sprintf("%s（小写）：¥ %s", label, amt(total)), Emphasis: true},
		sheet.Para{Text: fmt.Sprintf("%s（大写）：%s", label, money.Capitals(total)), Emphasis: true},
	}
}

func (m Month) dates(l rating.Line) string {
	if l.From.IsZero() {
		return ""
	}
	if m.Period.Contains(l.From) && m.Period.Contains(l.To) {
		return fmt.Sprintf("%02d-%02d~%02d-%02d", int(l.From.Month), l.From.Day, int(l.To.Month), l.To.Day)
	}
	return l.From.String() + "~" + l.To.String()
}

func daysText(l rating.Line) string {
	if l.From.IsZero() {
		return ""
	}
	return fmt.Sprintf("%d/%d", l.Days, l.DaysInMonth)
}

func qtyText(d decimal.Decimal) string { return d.String() }

func breakdownTable(title string, rows []Subtotal, total decimal.Decimal) sheet.Table {
	t := sheet.Table{Columns: []sheet.Column{{Title: title, Width: 70}, {Title: "金额（元）", Width: 30, Align: sheet.Right}}}
	for _, r := range rows {
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{r.Label, amt(r.Amount)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", amt(total)}, Style: sheet.Total})
	return t
}

// lineColumns are the columns of a department's lines; widths in millimetres of the
// 186 mm of an A4 page between margins.
var lineColumns = []sheet.Column{
	{Title: "工单号", Width: 22}, {Title: "品目编码", Width: 15}, {Title: "品目名称", Width: 36},
	{Title: "区域", Width: 16}, {Title: "模式", Width: 11}, {Title: "计费起止", Width: 20},
	{Title: "天数", Width: 10, Align: sheet.Center}, {Title: "数量", Width: 19, Align: sheet.Right},
	{Title: "单价（元）", Width: 16, Align: sheet.Right}, {Title: "金额（元）", Width: 21, Align: sheet.Right},
}

func (m Month) lineRow(l rating.Line) sheet.Row {
	zone := zoneShort[l.Zone]
	if zone == "" {
		zone = ZoneName(l.Zone)
	}
	name := m.itemName(l)
	if u := m.itemUnit(l); u != "" {
		name += "（" + u + "）"
	}
	return sheet.Row{Cells: []string{string(l.Order), string(l.Item), name, zone, ModeName(l.Mode), m.dates(l),
		daysText(l), qtyText(l.Quantity), price(l.UnitPrice), amt(l.Amount)}}
}

// DepartmentDoc lays out a department statement.
func (m Month) DepartmentDoc(ds DepartmentStatement) sheet.Doc {
	d := newDoc(m, ds.Header, "部门月度账单", ds.Department.Name)
	parent := "—（一级部门）"
	if ds.Parent != nil {
		parent = fmt.Sprintf("%s（%s）", ds.Parent.Name, ds.Parent.ID)
	}
	d.Add(sheet.Fields{Pairs: []sheet.Field{
		{Label: "部门", Value: ds.Department.Name}, {Label: "部门编号", Value: string(ds.Department.ID)},
		{Label: "主管部门", Value: parent}, {Label: "账期", Value: monthText(m.Period)},
		{Label: "出具日期", Value: ds.IssueDate.String()}, {Label: "账单编号", Value: ds.Number},
		{Label: "状态", Value: status(ds.Header)}, {Label: "本期合计（元）", Value: amt(ds.Total)},
	}})
	if len(ds.Units) == 0 {
		d.Add(sheet.Para{Text: "本月无计费项目（零账单）。近十二个月内本部门有服务工单或账单，按月出具账单备查。"})
	}
	for i, u := range ds.Units {
		kind := "本级"
		if i > 0 || u.Department.ID != ds.Department.ID {
			kind = "下属单位"
		}
		d.Add(sheet.Heading{Text: fmt.Sprintf("%s：%s（%s）", kind, u.Department.Name, u.Department.ID)})
		if len(u.Projects) > 0 {
			t := sheet.Table{Columns: lineColumns}
			for _, pg := range u.Projects {
				t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("项目 %s %s", pg.Project, pg.Name)}, Style: sheet.Group})
				for _, og := range pg.Orders {
					for _, l := range og.Lines {
						t.Rows = append(t.Rows, m.lineRow(l))
					}
					if len(og.Lines) > 1 {
						t.Rows = append(t.Rows, sheet.Row{Cells: []string{string(og.Order), "工单小计", "", "", "", "", "", "", "", amt(og.Subtotal)}, Style: sheet.Subtotal})
					}
				}
				t.Rows = append(t.Rows, sheet.Row{Cells: []string{"", "项目小计", pg.Name, "", "", "", "", "", "", amt(pg.Subtotal)}, Style: sheet.Subtotal})
			}
			d.Add(t)
		}
		if len(u.Adjustments) > 0 {
			d.Add(sheet.Heading{Text: "调整（更正已结账月份）", Level: 2})
			t := sheet.Table{Columns: []sheet.Column{{Title: "工单号", Width: 17}, {Title: "品目", Width: 30}, {Title: "更正月份", Width: 13},
				{Title: "更正类别", Width: 13}, {Title: "说明", Width: 50}, {Title: "金额（元）", Width: 18, Align: sheet.Right}}}
			sub := decimal.Zero
			for _, l := range u.Adjustments {
				t.Rows = append(t.Rows, sheet.Row{Cells: []string{string(l.Order), string(l.Item) + " " + m.itemName(l),
					monthText(l.Corrects), KindName(l.CorrectsKind), glossary.Note(l.Note), amt(l.Amount)}})
				sub = sub.Add(l.Amount)
			}
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{"", "调整小计", "", "", "", amt(sub)}, Style: sheet.Subtotal})
			d.Add(t)
		}
		if len(u.Unfunded) > 0 {
			d.Add(sheet.Heading{Text: "未列入年度项目清单的费用（例外，另行报告）", Level: 2})
			t := sheet.Table{Columns: lineColumns}
			sub := decimal.Zero
			for i, l := range u.Unfunded {
				if i == 0 || u.Unfunded[i-1].Project != l.Project {
					t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("项目 %s %s（未列入 %d 年项目清单）", l.Project, m.projectName(l.Project), m.Period.Year)}, Style: sheet.Group})
				}
				t.Rows = append(t.Rows, m.lineRow(l))
				sub = sub.Add(l.Amount)
			}
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{"", "未列入清单小计", "", "", "", "", "", "", "", amt(sub)}, Style: sheet.Subtotal})
			d.Add(t)
		}
		if len(u.Deductions) > 0 {
			d.Add(sheet.Heading{Text: "验收扣减（按服务商验收结果）", Level: 2})
			t := sheet.Table{Columns: []sheet.Column{{Title: "服务商", Width: 30}, {Title: "验收结果", Width: 25}, {Title: "扣减比例", Width: 12, Align: sheet.Right},
				{Title: "说明", Width: 45}, {Title: "金额（元）", Width: 18, Align: sheet.Right}}}
			sub := decimal.Zero
			base := map[catalog.VendorID]decimal.Decimal{}
			for _, pg := range u.Projects {
				for _, og := range pg.Orders {
					for _, l := range og.Lines {
						base[l.Vendor] = base[l.Vendor].Add(l.Amount)
					}
				}
			}
			for _, l := range u.Unfunded {
				base[l.Vendor] = base[l.Vendor].Add(l.Amount)
			}
			for _, dl := range u.Deductions {
				rate, note := "", "验收待定，暂不扣减"
				if dl.Known && !dl.Vendor.Pending {
					rate = percent(dl.Vendor.Rate)
					note = fmt.Sprintf("按本单位应收 %s 元分摊；服务商合计应收 %s 元，扣减 %s 元",
						amt(base[dl.Line.Vendor]), amt(dl.Vendor.Gross), amt(dl.Vendor.Deduction))
				}
				t.Rows = append(t.Rows, sheet.Row{Cells: []string{m.vendorName(dl.Line.Vendor), glossary.VendorResult(dl.Vendor, dl.Known), rate, note, amt(dl.Line.Amount)}})
				sub = sub.Add(dl.Line.Amount)
			}
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{"扣减小计", "", "", "", amt(sub)}, Style: sheet.Subtotal})
			d.Add(t)
		}
		d.Add(sheet.Para{Text: fmt.Sprintf("%s小计：¥ %s", u.Department.Name, amt(u.Subtotal)), Emphasis: true})
	}
	d.Add(sheet.Heading{Text: "汇总"})
	if len(ds.Units) > 1 {
		t := sheet.Table{Columns: []sheet.Column{{Title: "单位", Width: 70}, {Title: "金额（元）", Width: 30, Align: sheet.Right}}}
		for _, u := range ds.Units {
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", u.Department.Name, u.Department.ID), amt(u.Subtotal)}})
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", amt(ds.Total)}, Style: sheet.Total})
		d.Add(t)
	}
	d.Add(breakdownTable("按项目", ds.ByProject, ds.Total), breakdownTable("按区域", ds.ByZone, ds.Total),
		breakdownTable("按资金类别（运维/新建）", ds.ByCategory, ds.Total))
	if len(ds.TrueUp) > 0 {
		m.departmentTrueUpBlocks(&d, ds)
		return d
	}
	d.Add(totalParas("本期应付合计", ds.Total)...)
	return d
}

// trueUpHeading names the true-up's section: the glossary's word, and that it is not a
// cost of the month.
func (m Month) trueUpHeading() string {
	return fmt.Sprintf("%s（%d年12月结算 − 预估，不属本月费用）", trueUpLabel, m.Period.Year-1)
}

// departmentTrueUpBlocks lays out a January department statement's true-up: its lines
// by unit, vendor and funding category with their total, apart from the month's; then
// the month's total, the true-up and what they come to together.
func (m Month) departmentTrueUpBlocks(d *sheet.Doc, ds DepartmentStatement) {
	d.Add(sheet.Heading{Text: m.trueUpHeading()})
	d.Add(sheet.Para{Text: fmt.Sprintf("%d年12月已按预估结算单在年内支付（年度费用年内支付）。该月结账后，各服务商结算净额与预估净额之差按单位、服务商和资金类别计入本期。"+
		"差额不属本月费用：不计入本期合计、按项目、区域和资金类别的汇总，也不计入项目预算已用金额（12月费用计入12月）。", m.Period.Year-1)})
	t := sheet.Table{Columns: []sheet.Column{{Title: "单位", Width: 40}, {Title: "服务商", Width: 34}, {Title: "资金类别", Width: 16},
		{Title: "说明", Width: 56}, {Title: "金额（元）", Width: 20, Align: sheet.Right}}}
	for _, l := range ds.TrueUp {
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", m.departmentName(l.Department), l.Department),
			m.vendorName(l.Vendor), glossary.Category(l.Category), l.Note, amt(l.Amount)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", "", "", "", amt(ds.TrueUpTotal)}, Style: sheet.Total})
	d.Add(t)
	t = sheet.Table{Columns: []sheet.Column{{Title: "项目", Width: 60}, {Title: "金额（元）", Width: 30, Align: sheet.Right}}}
	t.Rows = []sheet.Row{
		{Cells: []string{"本期合计（本月费用）", amt(ds.Total)}},
		{Cells: []string{trueUpLabel, amt(ds.TrueUpTotal)}},
		{Cells: []string{"本期应付合计（含" + trueUpLabel + "）", amt(ds.Payable)}, Style: sheet.Total},
	}
	d.Add(t)
	d.Add(totalParas("本期应付合计（含"+trueUpLabel+"）", ds.Payable)...)
}

// percent prints a rate (0.1) as a percentage (10%).
func percent(rate decimal.Decimal) string { return glossary.Percent(rate) }

func optional(d *decimal.Decimal, suffix string) string {
	if d == nil {
		return "未提供"
	}
	return d.String() + suffix
}

// VendorDoc lays out a vendor settlement.
func (m Month) VendorDoc(vs VendorSettlement) sheet.Doc {
	d := newDoc(m, vs.Header, "服务商结算单", vs.Vendor.Name)
	d.Add(sheet.Fields{Pairs: []sheet.Field{
		{Label: "服务商", Value: vs.Vendor.Name}, {Label: "服务商编号", Value: string(vs.Vendor.ID)},
		{Label: "账期", Value: monthText(m.Period)}, {Label: "出具日期", Value: vs.IssueDate.String()},
		{Label: "结算单编号", Value: vs.Number}, {Label: "状态", Value: status(vs.Header)},
	}})
	d.Add(sheet.Heading{Text: "一、按部门"})
	t := sheet.Table{Columns: []sheet.Column{{Title: "部门", Width: 40}, {Title: "应收（元）", Width: 18, Align: sheet.Right},
		{Title: "调整（元）", Width: 16, Align: sheet.Right}, {Title: "验收扣减（元）", Width: 18, Align: sheet.Right}, {Title: "应付（元）", Width: 18, Align: sheet.Right}}}
	for _, r := range vs.ByDepartment {
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", r.Name, r.Department), amt(r.Gross), amt(r.Adjustments), amt(r.Deduction), amt(r.Net)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", amt(vs.Gross), amt(vs.Adjustments), amt(vs.Deduction), amt(vs.Net)}, Style: sheet.Total})
	d.Add(t)
	d.Add(sheet.Heading{Text: "二、按服务目录品目（应收）"})
	t = sheet.Table{Columns: []sheet.Column{{Title: "品目编码", Width: 16}, {Title: "品目名称", Width: 40}, {Title: "单位", Width: 14},
		{Title: "明细行数", Width: 12, Align: sheet.Right}, {Title: "金额（元）", Width: 18, Align: sheet.Right}}}
	for _, r := range vs.ByItem {
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{string(r.Item), r.Name, r.Unit, strconv.Itoa(r.Lines), amt(r.Amount)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", "", "", "", amt(vs.Gross)}, Style: sheet.Total})
	d.Add(t)
	d.Add(sheet.Heading{Text: "三、验收与评价扣减"})
	a := vs.Acceptance
	if !vs.Known || a.Pending || a.Acceptance == nil {
		d.Add(sheet.Para{Text: "验收结果：待验收（本月无验收记录）。暂不扣减；结账需经财政确认（--allow-pending）。"})
	} else {
		sec := "未提供（视为不通过）"
		if a.Acceptance.SecurityValidUntil != nil {
			sec = a.Acceptance.SecurityValidUntil.String()
			if !a.SecurityValid {
				sec += "（已过期，视为不通过）"
			}
		}
		d.Add(sheet.Fields{Pairs: []sheet.Field{
			{Label: "验收结果", Value: glossary.VendorResult(a, true)}, {Label: "评价得分", Value: optional(a.Acceptance.Score, " 分")},
			{Label: "月度可用率", Value: optional(a.Acceptance.Availability, "%")}, {Label: "安全评估有效期至", Value: sec},
			{Label: "扣减规则", Value: a.RulesVersion},
		}})
		t = sheet.Table{Columns: []sheet.Column{{Title: "规则组", Width: 20}, {Title: "适用档位", Width: 60}, {Title: "扣减比例", Width: 20, Align: sheet.Right}}}
		for _, tier := range a.Tiers {
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{glossary.TierGroup(tier.Group), glossary.TierText(tier), percent(tier.Rate)}})
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{"各项合计", "", percent(a.RateUncapped)}, Style: sheet.Subtotal})
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{"封顶", "", percent(a.Cap)}, Style: sheet.Subtotal})
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{"适用扣减比例", "", percent(a.Rate)}, Style: sheet.Total})
		d.Add(t)
		check := fmt.Sprintf("封顶检查：各项合计 %s，未超过封顶 %s，按 %s 扣减。", percent(a.RateUncapped), percent(a.Cap), percent(a.Rate))
		if vs.CapApplied {
			check = fmt.Sprintf("封顶检查：各项合计 %s 超过封顶 %s，按封顶 %s 扣减。", percent(a.RateUncapped), percent(a.Cap), percent(a.Rate))
		}
		d.Add(sheet.Para{Text: check})
		d.Add(sheet.Para{Text: fmt.Sprintf("扣减金额 = 应收 %s × %s，四舍五入到分，按各部门明细分摊：%s 元。", amt(vs.Gross), percent(a.Rate), amt(vs.Deduction))})
	}
	d.Add(sheet.Heading{Text: "四、结算"})
	t = sheet.Table{Columns: []sheet.Column{{Title: "项目", Width: 60}, {Title: "金额（元）", Width: 30, Align: sheet.Right}}}
	t.Rows = []sheet.Row{
		{Cells: []string{"应收（资源费用、计量费用、未列入清单费用）", amt(vs.Gross)}},
		{Cells: []string{"调整（更正已结账月份）", amt(vs.Adjustments)}},
		{Cells: []string{"验收扣减", amt(vs.Deduction)}},
		{Cells: []string{"本期应付净额", amt(vs.Net)}, Style: sheet.Total},
	}
	if len(vs.TrueUp) > 0 {
		t.Rows = append(t.Rows,
			sheet.Row{Cells: []string{trueUpLabel + fmt.Sprintf("（%d年12月结算 − 预估）", m.Period.Year-1), amt(vs.TrueUpTotal)}},
			sheet.Row{Cells: []string{"本期应付合计（含" + trueUpLabel + "）", amt(vs.Payable)}, Style: sheet.Total})
	}
	d.Add(t)
	d.Add(totalParas("本期应付净额", vs.Net)...)
	if len(vs.TrueUp) > 0 {
		m.trueUpBlocks(&d, vs)
	}
	d.Add(sheet.Heading{Text: "五、本年累计应付（年度费用年内支付）"})
	t = sheet.Table{Columns: []sheet.Column{{Title: "账期", Width: 50}, {Title: "应付净额（元）", Width: 30, Align: sheet.Right}}}
	for _, r := range vs.YearToDate {
		label := monthText(r.Period)
		if r.TrueUp {
			label = trueUpLabel
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{label, amt(r.Net)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"本年累计", amt(vs.YearToDateNet)}, Style: sheet.Total})
	d.Add(t)
	if len(vs.Vouchers) > 0 {
		m.paymentBlocks(&d, vs)
	}
	return d
}

// trueUpLabel is the glossary's word for the previous December's true-up.
var trueUpLabel = glossary.Funding("true_up")

// trueUpBlocks lays out a January settlement's true-up: its lines by department and
// category, and the total to pay with it.
func (m Month) trueUpBlocks(d *sheet.Doc, vs VendorSettlement) {
	d.Add(sheet.Para{Text: fmt.Sprintf("%s：%d年12月已按预估结算单支付（年度费用年内支付），该月结账后，结算净额与预估净额之差计入本期。", trueUpLabel, m.Period.Year-1)})
	t := sheet.Table{Columns: []sheet.Column{{Title: "部门", Width: 40}, {Title: "资金类别", Width: 16}, {Title: "说明", Width: 60},
		{Title: "金额（元）", Width: 20, Align: sheet.Right}}}
	for _, l := range vs.TrueUp {
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", m.departmentName(l.Department), l.Department),
			glossary.Category(l.Category), l.Note, amt(l.Amount)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", "", "", amt(vs.TrueUpTotal)}, Style: sheet.Total})
	d.Add(t)
	d.Add(totalParas("本期应付合计", vs.Payable)...)
}

// paymentBlocks lays out the vendor's payments of the year (§21): the vouchers of the
// year's service months up to this one, imported by the statement's date, and what is
// still outstanding of the year to date.
func (m Month) paymentBlocks(d *sheet.Doc, vs VendorSettlement) {
	d.Add(sheet.Heading{Text: "六、本年支付情况（截至出具日）"})
	t := sheet.Table{Columns: []sheet.Column{{Title: "凭证号", Width: 30}, {Title: "服务月份", Width: 20}, {Title: "支付日期", Width: 22},
		{Title: "说明", Width: 40}, {Title: "金额（元）", Width: 20, Align: sheet.Right}}}
	for _, p := range vs.Vouchers {
		var note []string
		if p.Refunds != "" {
			note = append(note, glossary.Funding("refund")+" "+p.Refunds)
		}
		if p.CrossYear() {
			note = append(note, glossary.Funding("cross_year"))
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{p.Voucher, monthText(p.Period), p.PaidDate.String(), strings.Join(note, "；"), amt(p.Amount)}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{glossary.Funding("paid"), "", "", "", amt(vs.Paid)}, Style: sheet.Total})
	d.Add(t)
	t = sheet.Table{Columns: []sheet.Column{{Title: "项目", Width: 60}, {Title: "金额（元）", Width: 30, Align: sheet.Right}}}
	t.Rows = []sheet.Row{
		{Cells: []string{"本年累计应付", amt(vs.YearToDateNet)}},
		{Cells: []string{glossary.Funding("paid"), amt(vs.Paid)}},
		{Cells: []string{glossary.Funding("outstanding"), amt(vs.Outstanding)}, Style: sheet.Total},
	}
	d.Add(t)
	if m.Period.Month == 12 {
		d.Add(sheet.Para{Text: "12月如已按预估结算单支付，本结算单与预估之差额计入次年1月结算单（" + trueUpLabel + "）。"})
	}
}

// SummaryDoc lays out the finance summary.
func (m Month) SummaryDoc(fs FinanceSummary, departments, vendors int) sheet.Doc {
	d := newDoc(m, fs.Header, "财政月度汇总", "全区")
	d.Add(sheet.Fields{Pairs: []sheet.Field{
		{Label: "账期", Value: monthText(m.Period)}, {Label: "出具日期", Value: fs.IssueDate.String()},
		{Label: "汇总编号", Value: fs.Number}, {Label: "状态", Value: status(fs.Header)},
		{Label: "部门账单数", Value: strconv.Itoa(departments)}, {Label: "服务商数", Value: strconv.Itoa(vendors)},
		{Label: "明细行数", Value: strconv.Itoa(len(fs.Lines))}, {Label: "本期合计（元）", Value: amt(fs.Total)},
	}})
	d.Add(sheet.Heading{Text: "一、部门 × 服务商 × 资金类别"})
	t := sheet.Table{Columns: []sheet.Column{{Title: "部门", Width: 34}, {Title: "服务商", Width: 24}, {Title: "运维（元）", Width: 17, Align: sheet.Right},
		{Title: "新建（元）", Width: 17, Align: sheet.Right}, {Title: "未分类（元）", Width: 14, Align: sheet.Right},
		{Title: "验收扣减（元）", Width: 16, Align: sheet.Right}, {Title: "合计（元）", Width: 18, Align: sheet.Right}}}
	row := func(r MatrixRow, dep, ven string, style sheet.Style) sheet.Row {
		return sheet.Row{Cells: []string{dep, ven, amt(r.OM), amt(r.New), amt(r.Other), amt(r.Deduction), amt(r.Total)}, Style: style}
	}
	for _, r := range fs.Matrix {
		t.Rows = append(t.Rows, row(r, fmt.Sprintf("%s（%s）", r.DepartmentName, r.Department), r.VendorName, sheet.Plain))
	}
	t.Rows = append(t.Rows, row(fs.Totals, "合计", "", sheet.Total))
	d.Add(t)
	d.Add(sheet.Para{Text: fmt.Sprintf("其中调整（更正已结账月份）：%s 元，按其资金类别计入各列。", amt(fs.Totals.Adjusted))})
	d.Add(sheet.Heading{Text: "二、按服务商"})
	d.Add(breakdownTable("服务商", fs.ByVendor, fs.Total))
	d.Add(sheet.Heading{Text: "三、按资金类别"})
	d.Add(breakdownTable("资金类别", fs.ByCategory, fs.Total))
	d.Add(sheet.Heading{Text: "四、未列入年度项目清单的费用（例外）"})
	if len(fs.Unfunded) == 0 {
		d.Add(sheet.Para{Text: "无。"})
	} else {
		t = sheet.Table{Columns: []sheet.Column{{Title: "单位", Width: 34}, {Title: "项目", Width: 18}, {Title: "工单号", Width: 18},
			{Title: "服务商", Width: 24}, {Title: "金额（元）", Width: 18, Align: sheet.Right}}}
		for _, u := range fs.Unfunded {
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", m.departmentName(u.Department), u.Department),
				string(u.Project), string(u.Order), m.vendorName(u.Vendor), amt(u.Amount)}})
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", "", "", "", amt(fs.UnfundedTotal)}, Style: sheet.Total})
		d.Add(t)
	}
	d.Add(sheet.Heading{Text: "五、验收待定的服务商"})
	if len(fs.Pending) == 0 {
		d.Add(sheet.Para{Text: "无：所有服务商均有本月验收记录。"})
	} else {
		for _, v := range fs.Pending {
			d.Add(sheet.Para{Text: fmt.Sprintf("%s（%s）：本月无验收记录，扣减待定。", v.Name, v.ID)})
		}
	}
	d.Add(sheet.Heading{Text: "六、部门环比变化"})
	if !fs.PreviousRated {
		why := "未计费"
		if fs.Final {
			why = "未结账"
		}
		d.Add(sheet.Para{Text: fmt.Sprintf("上月（%s）%s，无环比。", monthText(m.Period.Prev()), why)})
	} else {
		t = sheet.Table{Columns: []sheet.Column{{Title: "部门", Width: 40}, {Title: "上月（元）", Width: 18, Align: sheet.Right},
			{Title: "本月（元）", Width: 18, Align: sheet.Right}, {Title: "变化（元）", Width: 18, Align: sheet.Right}, {Title: "变化率", Width: 12, Align: sheet.Right}}}
		for _, c := range fs.MonthOnMonth {
			pct := c.Percent
			if pct == "" {
				pct = "—"
			}
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", c.Name, c.Department), amt(c.Previous), amt(c.Current), amt(c.Change), pct}})
		}
		d.Add(t)
	}
	next := 7 // the number of the next section
	if len(fs.Exceptions) > 0 {
		d.Add(sheet.Heading{Text: numeral(next) + "、计费异常"})
		next++
		t = sheet.Table{Columns: []sheet.Column{{Title: "说明", Width: 100}}}
		for _, e := range fs.Exceptions {
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{e}})
		}
		d.Add(t)
	}
	if len(fs.TrueUp) > 0 {
		d.Add(sheet.Heading{Text: numeral(next) + "、" + m.trueUpHeading()})
		next++
		d.Add(sheet.Para{Text: fmt.Sprintf("%d年12月已按预估结算单在年内支付（年度费用年内支付）。该月结账后，各服务商结算净额与预估净额之差计入本期各服务商结算单及部门账单，"+
			"不属本月费用，不计入全区本期合计及以上各表。", m.Period.Year-1)})
		d.Add(breakdownTable("服务商", fs.TrueUpByVendor, fs.TrueUpTotal))
	}
	if len(fs.Ledger) > 0 {
		d.Add(sheet.Heading{Text: numeral(next) + "、本年支付情况（截至出具日，年度费用年内支付）"})
		d.Add(sheet.Para{Text: "本年累计应付：本年各月结算净额（截至本月，含" + trueUpLabel + "），与各服务商结算单一致；" +
			glossary.Funding("paid") + "：本年各服务月份的支付凭证（出具日前导入，退款为负）；" +
			glossary.Funding("outstanding") + " = 本年累计应付 − " + glossary.Funding("paid") + "。"})
		t = sheet.Table{Columns: []sheet.Column{{Title: "服务商", Width: 50}, {Title: "凭证数", Width: 14, Align: sheet.Right},
			{Title: "本年累计应付（元）", Width: 26, Align: sheet.Right}, {Title: glossary.Funding("paid") + "（元）", Width: 24, Align: sheet.Right},
			{Title: glossary.Funding("outstanding") + "（元）", Width: 24, Align: sheet.Right}}}
		for _, r := range fs.Ledger {
			t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprintf("%s（%s）", r.Name, r.Vendor), strconv.Itoa(r.Vouchers),
				amt(r.Payable), amt(r.Paid), amt(r.Outstanding)}})
		}
		lt := fs.LedgerTotal
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", strconv.Itoa(lt.Vouchers), amt(lt.Payable), amt(lt.Paid), amt(lt.Outstanding)}, Style: sheet.Total})
		d.Add(t)
	}
	d.Add(sheet.Heading{Text: "合计"})
	d.Add(totalParas("全区本期合计", fs.Total)...)
	if len(fs.TrueUp) > 0 {
		t = sheet.Table{Columns: []sheet.Column{{Title: "项目", Width: 60}, {Title: "金额（元）", Width: 30, Align: sheet.Right}}}
		t.Rows = []sheet.Row{
			{Cells: []string{"全区本期合计（本月费用）", amt(fs.Total)}},
			{Cells: []string{trueUpLabel, amt(fs.TrueUpTotal)}},
			{Cells: []string{"全区本期应付合计（含" + trueUpLabel + "）", amt(fs.Payable)}, Style: sheet.Total},
		}
		d.Add(t)
		d.Add(totalParas("全区本期应付合计（含"+trueUpLabel+"）", fs.Payable)...)
	}
	return d
}

// numeral is n (1–10) as a Chinese section number.
func numeral(n int) string {
	ns := []string{"一", "二", "三", "四", "五", "六", "七", "八", "九", "十"}
	if n >= 1 && n <= len(ns) {
		return ns[n-1]
	}
	return strconv.Itoa(n)
}
