package reconcile

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/document/sheet"
	"cloudbill/internal/money"
)

// MaxPrintedDifferences bounds the differences listed in the PDF report; the CSV has
// every line.
const MaxPrintedDifferences = 300

// DocMeta is what the printed report says besides the result.
type DocMeta struct {
	VendorName string
	// Created is printed and stored as the document date; the same result and Created
	// give the same bytes.
	Created time.Time
}

// Document lays out the Chinese report of r (typeset by package pdf): totals claimed
// and rated, per class counts and sums, the acceptance deduction and net payable, and
// the differences largest first.
func Document(r Result, m DocMeta) sheet.Doc {
	vendor := string(r.Vendor)
	if m.VendorName != "" {
		vendor += " " + m.VendorName
	}
	d := sheet.Doc{
		Title:   "服务商账单核对报告",
		Header:  fmt.Sprintf("对账 %s %s", r.Vendor, r.Period),
		Created: m.Created,
	}
	if r.Provisional {
		d.Mark = "临时 / PROVISIONAL"
	}
	tol := "0.00 元（精确到分）"
	if !r.Tolerance.IsZero() {
		tol = money.Plain(r.Tolerance) + " 元"
	}
	d.Add(sheet.Fields{Pairs: []sheet.Field{
		{Label: "服务商", Value: vendor},
		{Label: "账期", Value: fmt.Sprintf("%d 年 %d 月", r.Period.Year, int(r.Period.Month))},
		{Label: "服务商账单", Value: filepath.Base(r.InvoiceFile)}, // the name, not the path: re-issues are identical
		{Label: "核对依据", Value: r.Source},
		{Label: "容差", Value: tol},
		{Label: "结论", Value: verdict(r)},
	}})

	d.Add(sheet.Heading{Text: "一、申报与核定总额", Level: 1})
	d.Add(sheet.Table{
		Columns: []sheet.Column{{Title: "项目", Width: 3}, {Title: "金额（元）", Width: 2, Align: sheet.Right}},
		Rows: []sheet.Row{
			{Cells: []string{"服务商申报合计", money.Grouped(r.Claimed)}},
			{Cells: []string{"平台核定合计（本月费用，不含未纳入项目清单的费用）", money.Grouped(r.Ours)}},
			{Cells: []string{"差额（申报 - 核定）", money.Grouped(r.Difference)}, Style: sheet.Total},
		},
	})

	d.Add(sheet.Heading{Text: "二、按核对结果分类", Level: 1})
	classes := sheet.Table{Columns: []sheet.Column{
		{Title: "核对结果", Width: 3}, {Title: "行数", Width: 1, Align: sheet.Right},
		{Title: "申报金额", Width: 2, Align: sheet.Right}, {Title: "平台计费金额", Width: 2, Align: sheet.Right}, {Title: "差额", Width: 2, Align: sheet.Right},
	}}
	var n int
	for _, c := range r.Classes {
		n += c.Rows
		classes.Rows = append(classes.Rows, sheet.Row{Cells: []string{
			ClassZh(c.Class) + " " + string(c.Class), strconv.Itoa(c.Rows), money.Grouped(c.Vendor), money.Grouped(c.Ours), money.Grouped(c.Difference)}})
	}
	classes.Rows = append(classes.Rows, sheet.Row{Style: sheet.Total, Cells: []string{
		"合计", strconv.Itoa(n), money.Grouped(r.Claimed), money.Grouped(r.Ours), money.Grouped(r.Difference)}})
	d.Add(classes)

	d.Add(sheet.Heading{Text: "三、验收扣减与应付金额", Level: 1})
	gross := "本月计费总额"
	if !r.Unfunded.IsZero() {
		gross += fmt.Sprintf("（含未纳入项目清单的费用 %s）", money.Grouped(r.Unfunded))
	}
	ded := "验收扣减（" + r.DeductionNote + "）"
	d.Add(sheet.Table{
		Columns: []sheet.Column{{Title: "项目", Width: 3}, {Title: "金额（元）", Width: 2, Align: sheet.Right}},
		Rows: []sheet.Row{
			{Cells: []string{gross, money.Grouped(r.Gross)}},
			{Cells: []string{ded, money.Grouped(r.Deduction)}},
			{Cells: []string{"对已结账月份的调整（本月入账）", money.Grouped(r.Adjustments)}},
			{Cells: []string{"应付净额", money.Grouped(r.Net)}, Style: sheet.Total},
		},
	})
	d.Add(sheet.Para{Text: "应付净额为以上三项之和（即本月计费总额减去验收扣减，加上调整），以平台计费为准，与服务商申报金额无关。"})
	if !r.Unfunded.IsZero() {
		d.Add(sheet.Para{Text: fmt.Sprintf("应付净额中含未纳入项目清单的费用 %s 元：项目列入清单、资金落实前暂缓支付。", money.Grouped(r.Unfunded))})
	}
	for _, w := range r.Warnings {
		d.Add(sheet.Para{Text: "注意：" + w})
	}

	diffs := r.Differences()
	d.Add(sheet.Heading{Text: fmt.Sprintf("四、差异明细（%d 行，按差额绝对值从大到小）", len(diffs)), Level: 1})
	if len(diffs) == 0 {
		d.Add(sheet.Para{Text: "服务商申报与平台计费逐行一致。"})
		return d
	}
	t := sheet.Table{Columns: []sheet.Column{
		{Title: "工单", Width: 2.4}, {Title: "品目", Width: 2}, {Title: "行号", Width: 0.8, Align: sheet.Right},
		{Title: "核对结果", Width: 2.1}, {Title: "申报", Width: 1.7, Align: sheet.Right}, {Title: "平台", Width: 1.7, Align: sheet.Right},
		{Title: "差额", Width: 1.7, Align: sheet.Right}, {Title: "说明", Width: 4.6},
	}}
	for i, row := range diffs {
		if i == MaxPrintedDifferences {
			break
		}
		line := ""
		if row.InvoiceLine > 0 {
			line = strconv.Itoa(row.InvoiceLine)
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{
			string(row.Order), string(row.Item), line, ClassZh(row.Class),
			money.Grouped(row.Vendor), money.Grouped(row.Ours), money.Grouped(row.Difference), strings.Join(row.Explanation, "；"),
		}})
	}
	d.Add(t)
	if len(diffs) > MaxPrintedDifferences {
		d.Add(sheet.Para{Text: fmt.Sprintf("另有 %d 行差异（差额较小）未列出，见对账明细 CSV 文件。", len(diffs)-MaxPrintedDifferences)})
	}
	return d
}

func verdict(r Result) string {
	var diff int
	var sum decimal.Decimal
	for _, c := range r.Classes {
		if c.Class != Match {
			diff += c.Rows
			sum = sum.Add(c.Difference)
		}
	}
	if diff == 0 {
		return "逐行一致"
	}
	return fmt.Sprintf("%d 行存在差异，差额合计 %s 元", diff, money.Grouped(sum))
}
