package statements_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/statements"
)

// TestJanuaryTrueUpAndPayments: the hand month as January 2027, with the true-up of
// December 2026 (上年12月预估差额) and the year's vouchers, by hand:
//
//	true-up  V1 D01 om −67.79, V1 D0201 om +12.34, V2 D0201 new −100.00
//	D01    month 1,088.66 (unchanged), true-up −67.79            → 本期应付合计 1,020.87
//	D02    month 1,990.60, true-up of D0201 +12.34 − 100.00 = −87.66 → 1,902.94
//	D0201  month   416.80, true-up −87.66                       →   329.14
//	summary month 3,079.26, true-up V1 −55.45, V2 −100.00 = −155.45 → 2,923.81
//	vouchers V1 1,000.00 and a refund −10.00, V2 500.00
//	ledger V1 payable −55.45 + 1,441.46 = 1,386.01, paid 990.00, outstanding 396.01
//	       V2 payable −100.00 + 1,637.80 = 1,537.80, paid 500.00, outstanding 1,037.80
//	       total 2,923.81, 1,490.00, 1,433.81
//
// The month's own figures (Total, breakdowns) do not move; each CSV adds up to what its
// statement asks to pay; every total is the sum of the lines shown.
func TestJanuaryTrueUpAndPayments(t *testing.T) {
	jan, dec26 := calendar.MustPeriod("2027-01"), calendar.MustPeriod("2026-12")
	src := handMonth()
	relabel := func(ls []rating.Line, p calendar.Period) []rating.Line {
		out := make([]rating.Line, len(ls))
		for i, l := range ls {
			l.Period = p
			out[i] = l
		}
		return out
	}
	src.lines = map[calendar.Period][]rating.Line{jan: relabel(src.lines[nov], jan)}
	src.deductions = map[calendar.Period][]rating.VendorDeduction{jan: src.deductions[nov]}
	m, err := statements.Load(context.Background(), src, jan, fixedNow)
	require.NoError(t, err)
	trueUp := func(dep, ven string, cat catalog.ProjectCategory, amount, note string) rating.Line {
		return rating.Line{Period: jan, Kind: rating.KindAdjustment, Department: catalog.DepartmentID(dep), Vendor: catalog.VendorID(ven),
			Category: cat, Amount: dec(amount), Unrounded: dec(amount), Corrects: dec26, Note: "上年12月预估差额：" + note}
	}
	m.TrueUp = []rating.Line{
		trueUp("D01", "V1", catalog.CategoryOM, "-67.79", "2026年12月结算 1121.61 − 预估 1189.40"),
		trueUp("D0201", "V1", catalog.CategoryOM, "12.34", "2026年12月结算 372.34 − 预估 360.00"),
		trueUp("D0201", "V2", catalog.CategoryNew, "-100.00", "2026年12月结算 28.00 − 预估 128.00"),
	}
	m.Vouchers = []funding.Payment{
		{Voucher: "PZ-1", Vendor: "V1", Period: jan, Amount: dec("1000.00"), PaidDate: calendar.MustDate("2027-02-05")},
		{Voucher: "PZ-1-R", Vendor: "V1", Period: jan, Amount: dec("-10.00"), PaidDate: calendar.MustDate("2027-02-09"), Refunds: "PZ-1"},
		{Voucher: "PZ-2", Vendor: "V2", Period: jan, Amount: dec("500.00"), PaidDate: calendar.MustDate("2027-02-06")},
	}
	st := statements.Build(m)
	require.NoError(t, st.Check())

	deps := map[string][3]string{}
	for _, d := range st.Departments {
		deps[string(d.Department.ID)] = [3]string{money.Plain(d.Total), money.Plain(d.TrueUpTotal), money.Plain(d.Payable)}
		for _, rows := range [][]statements.Subtotal{d.ByProject, d.ByZone, d.ByCategory} {
			s := decimal.Zero
			for _, r := range rows {
				s = s.Add(r.Amount)
			}
			assert.True(t, s.Equal(d.Total), "%s: the breakdowns are of the month's own lines", d.Department.ID)
		}
	}
	assert.Equal(t, map[string][3]string{
		"D01":   {"1088.66", "-67.79", "1020.87"},
		"D02":   {"1990.60", "-87.66", "1902.94"},
		"D0201": {"416.80", "-87.66", "329.14"},
	}, deps)
	fs := st.Summary
	assert.Equal(t, "3079.26", money.Plain(fs.Total), "the month's own total does not move")
	assert.Equal(t, "-155.45", money.Plain(fs.TrueUpTotal))
	assert.Equal(t, "2923.81", money.Plain(fs.Payable))
	byVendor := map[string]string{}
	for _, r := range fs.TrueUpByVendor {
		byVendor[r.Key] = money.Plain(r.Amount)
	}
	assert.Equal(t, map[string]string{"V1": "-55.45", "V2": "-100.00"}, byVendor)
	ledger := map[string][4]string{}
	for _, r := range fs.Ledger {
		ledger[string(r.Vendor)] = [4]string{money.Plain(r.Payable), money.Plain(r.Paid), money.Plain(r.Outstanding), strconv.Itoa(r.Vouchers)}
	}
	assert.Equal(t, map[string][4]string{"V1": {"1386.01", "990.00", "396.01", "2"}, "V2": {"1537.80", "500.00", "1037.80", "1"}}, ledger)
	assert.Equal(t, [3]string{"2923.81", "1490.00", "1433.81"},
		[3]string{money.Plain(fs.LedgerTotal.Payable), money.Plain(fs.LedgerTotal.Paid), money.Plain(fs.LedgerTotal.Outstanding)})
	for _, v := range st.Vendors {
		assert.Equal(t, money.Plain(v.YearToDateNet), ledger[string(v.Vendor.ID)][0], "the summary's payable is the settlement's year to date")
	}

	out := t.TempDir()
	_, err = statements.Write(context.Background(), st, out, typesetter(t))
	require.NoError(t, err)
	csvSum := func(name string) (total decimal.Decimal, trueUps int) {
		b, err := os.ReadFile(filepath.Join(out, "2027-01", name))
		require.NoError(t, err)
		rows := readRows(t, b)
		total = decimal.Zero
		for i, r := range rows {
			total = total.Add(dec(r["amount"]))
			if strings.HasPrefix(r["note"], "上年12月预估差额") {
				trueUps++
				assert.Equal(t, "adjustment", r["kind"])
				assert.Equal(t, "2026-12", r["corrects"])
			} else {
				assert.Zero(t, trueUps, "%s row %d: the true-up lines come after the month's own", name, i+2)
			}
		}
		return total, trueUps
	}
	for name, want := range map[string][2]string{
		"departments/D01.csv": {"1020.87", "1"}, "departments/D02.csv": {"1902.94", "2"}, "departments/D0201.csv": {"329.14", "2"},
		"summary.csv": {"2923.81", "3"}, "vendors/V1.csv": {"1386.01", "2"}, "vendors/V2.csv": {"1537.80", "1"},
	} {
		total, n := csvSum(name)
		assert.Equal(t, want, [2]string{money.Plain(total), strconv.Itoa(n)}, "%s: the CSV adds up to what the statement asks to pay", name)
	}
	d01 := pdfText(t, filepath.Join(out, "2027-01", "departments", "D01.pdf"))
	for _, want := range []string{"上年12月预估差额（2026年12月结算 − 预估，不属本月费用）", "本期合计（本月费用）", "1,088.66",
		"本期应付合计（含上年12月预估差额）", "1,020.87", "-67.79"} {
		assert.Contains(t, d01, want)
	}
	sum := pdfText(t, filepath.Join(out, "2027-01", "summary.pdf"))
	for _, want := range []string{"七、上年12月预估差额（2026年12月结算 − 预估，不属本月费用）", "八、本年支付情况", "全区本期应付合计（含上年12月预估差额）",
		"2,923.81", "1,490.00", "1,433.81", "396.01", "1,037.80"} {
		assert.Contains(t, sum, want)
	}
}

// A month without a true-up nor vouchers lays out as before: no such sections.
func TestNoTrueUpNoSections(t *testing.T) {
	m, err := statements.Load(context.Background(), handMonth(), nov, fixedNow)
	require.NoError(t, err)
	st := statements.Build(m)
	require.NoError(t, st.Check())
	assert.Empty(t, st.Summary.Ledger)
	assert.Empty(t, st.Summary.TrueUp)
	for _, d := range st.Departments {
		assert.Empty(t, d.TrueUp)
		assert.True(t, d.Payable.Equal(d.Total))
	}
}

// readRows reads a statement CSV as one map a row, by header.
func readRows(t *testing.T, b []byte) []map[string]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}
