package reconcile

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var nov = calendar.MustPeriod("2026-11")

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// ln builds a rated line of vendor V1 in November 2026 (30 days): an allocated line
// from..to, amount = price × quantity × days ÷ 30 rounded; a metered line price × quantity.
func ln(kind rating.Kind, order, item, qty, price string, from, to int) rating.Line {
	l := rating.Line{
		Period: nov, Kind: kind, Department: "D1", Vendor: "V1", Project: "P1", Category: catalog.CategoryOM,
		Order: catalog.OrderID(order), Item: catalog.ItemCode(item), Zone: catalog.ZoneInternet, Mode: catalog.ModeShared,
		From: calendar.Date{Year: 2026, Month: 11, Day: from}, To: calendar.Date{Year: 2026, Month: 11, Day: to},
		DaysInMonth: 30, Quantity: dec(qty), UnitPrice: dec(price), CatalogVersion: calendar.MustDate("2026-01-01"),
	}
	l.Days = to - from + 1
	l.Unrounded = l.UnitPrice.Mul(l.Quantity)
	if kind != rating.KindMetered {
		l.Unrounded = l.Unrounded.Mul(decimal.NewFromInt(int64(l.Days))).Div(decimal.NewFromInt(30))
	}
	l.Amount = money.Round(l.Unrounded)
	if kind == rating.KindUnfunded {
		l.Project = "P9"
	}
	return l
}

func claim(line int, order, item, amount string, qty string, days int) Claim {
	c := Claim{Order: catalog.OrderID(order), Item: catalog.ItemCode(item), Amount: dec(amount), Line: line}
	if qty != "" {
		q := dec(qty)
		c.Quantity = &q
	}
	if days > 0 {
		c.Days = &days
	}
	return c
}

// handBuilt is a month with one line of every class and every explanation: the rated
// lines below and the invoice testdata/handbuilt-invoice.csv.
func handBuilt() (Invoice, Params) {
	f, err := os.Open(filepath.Join("testdata", "handbuilt-invoice.csv"))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	inv, err := ReadInvoice("handbuilt-invoice.csv", f, Expect{Vendor: "V1", Period: nov})
	if err != nil {
		panic(err)
	}
	lines := []rating.Line{
		ln(rating.KindCharge, "O-MATCH", "ECS-4C8G", "2", "500", 1, 30),
		ln(rating.KindCharge, "O-TOL", "ECS-2C4G", "1", "300", 1, 30),
		ln(rating.KindCharge, "O-DAYS", "ECS-4C8G", "1", "500", 11, 30),
		ln(rating.KindCharge, "O-DAYS-LESS", "EVS-SSD", "100", "0.5", 1, 30),
		ln(rating.KindCharge, "O-QTY", "RDS-MYSQL", "2", "800", 1, 30),
		ln(rating.KindCharge, "O-PRICE", "ECS-8C16G", "1", "1000", 1, 30),
		ln(rating.KindCharge, "O-PRICE2", "ECS-8C16G", "1", "1000", 1, 30),
		ln(rating.KindUnfunded, "O-UNFUNDED", "ECS-4C8G", "1", "500", 1, 30),
		ln(rating.KindUnfunded, "O-UNF-QUIET", "OBS", "200", "0.12", 1, 30),
		ln(rating.KindCharge, "O-PARTUNF", "ECS-2C4G", "1", "300", 16, 30),
		ln(rating.KindUnfunded, "O-PARTUNF", "ECS-2C4G", "1", "300", 1, 15),
		ln(rating.KindCharge, "O-MIXED", "ECS-2C4G", "1", "300", 1, 15),
		ln(rating.KindCharge, "O-MIXED", "ECS-2C4G", "2", "300", 16, 30),
		ln(rating.KindCharge, "O-MISSING", "ECS-2C4G", "1", "300", 1, 30),
		ln(rating.KindCharge, "O-DUP", "EVS-SSD", "100", "0.5", 1, 30),
		ln(rating.KindMetered, "O-METER", "NET-TRAFFIC", "1234", "0.8", 1, 30),
		ln(rating.KindMetered, "O-ZERO", "NET-TRAFFIC", "0", "0.8", 1, 30),
		ln(rating.KindCharge, "O-INFER-DAYS", "ECS-4C8G", "1", "500", 11, 30),
		ln(rating.KindCharge, "O-INFER-QTY", "ECS-2C4G", "1", "300", 1, 30),
	}
	other := ln(rating.KindCharge, "O-OTHER", "ECS-4C8G", "1", "500", 1, 30)
	other.Vendor = "V2"
	adj := ln(rating.KindAdjustment, "O-ADJ", "ECS-4C8G", "1", "500", 1, 1)
	adj.Amount, adj.Corrects = dec("-16.67"), calendar.MustPeriod("2026-10")
	ded := ln(rating.KindDeduction, "", "", "0", "0", 1, 30)
	ded.Amount = dec("-1.00") // per-department deduction lines are not matched
	lines = append(lines, other, adj, ded)

	cat := &catalog.Catalog{Versions: []catalog.Version{{
		Effective: calendar.MustDate("2026-01-01"),
		Items: map[catalog.ItemCode]catalog.Item{
			"ECS-8C16G": {Code: "ECS-8C16G", Billing: catalog.Allocated, Prices: map[catalog.Zone]decimal.Decimal{
				catalog.ZoneInternet: dec("1000"), catalog.ZoneExtranet: dec("1100")}},
		},
	}}}
	var gross decimal.Decimal
	for _, l := range lines {
		if l.Vendor == "V1" && (l.Kind == rating.KindCharge || l.Kind == rating.KindMetered || l.Kind == rating.KindUnfunded) {
			gross = gross.Add(l.Amount)
		}
	}
	deduction := money.Round(gross.Mul(dec("0.05"))).Neg()
	p := Params{
		Vendor: "V1", Period: nov, Tolerance: dec("0.05"), Lines: lines, Catalog: cat,
		Deduction: &rating.VendorDeduction{Period: nov, Vendor: "V1", EffectiveResult: catalog.Deferred,
			Rate: dec("0.05"), Gross: gross, Deduction: deduction, Net: gross.Add(deduction)},
		Source: "frozen lines of the close of 2026-11",
	}
	return inv, p
}

func TestReconcileHandBuilt(t *testing.T) {
	inv, p := handBuilt()
	res, err := Reconcile(inv, p)
	require.NoError(t, err)

	var buf bytes.Buffer
	require.NoError(t, WriteCSV(&buf, res))
	golden(t, "handbuilt.golden.csv", buf.Bytes())
	golden(t, "handbuilt.report.golden.txt", []byte(docText(Document(res, DocMeta{VendorName: "城市云服务有限公司"}))))

	classes := map[Class]bool{}
	reasons := map[Reason]bool{}
	for _, r := range res.Rows {
		classes[r.Class] = true
		for _, x := range r.Reasons {
			reasons[x] = true
		}
	}
	for _, c := range Classes() {
		assert.True(t, classes[c], "class %s missing from the hand-built month", c)
	}
	for _, x := range []Reason{ReasonDays, ReasonQuantity, ReasonUnitPrice, ReasonUnfunded, ReasonUnfundedQuiet,
		ReasonOtherVendor, ReasonOrderNotRated, ReasonAdjustmentOnly, ReasonItemNotRated, ReasonNotClaimed,
		ReasonDuplicate, ReasonWithinTolerance, ReasonUnexplained} {
		assert.True(t, reasons[x], "reason %s missing from the hand-built month", x)
	}

	byKey := func(order string, line int) Row {
		for _, r := range res.Rows {
			if string(r.Order) == order && r.InvoiceLine == line {
				return r
			}
		}
		t.Fatalf("no row %s line %d", order, line)
		return Row{}
	}
	cases := []struct {
		name    string
		order   string
		line    int
		class   Class
		reasons []Reason
		text    string
	}{
		{"exact", "O-MATCH", 2, Match, nil, ""},
		{"tolerance", "O-TOL", 3, Match, []Reason{ReasonWithinTolerance}, "差额 0.03 元在容差 0.05 元以内"},
		{"trial days", "O-DAYS", 4, AmountDiffers, []Reason{ReasonDays}, "服务商 23 天，平台 20 天（多 3 天"},
		{"fewer days", "O-DAYS-LESS", 5, AmountDiffers, []Reason{ReasonDays}, "少 15 天"},
		{"quantity", "O-QTY", 6, AmountDiffers, []Reason{ReasonQuantity}, "数量不同：服务商 3，平台 2"},
		{"price of another zone", "O-PRICE", 7, AmountDiffers, []Reason{ReasonUnitPrice}, "与目录版本 2026-01-01 电子政务外网业务区的价格 1100.00 元一致"},
		{"price unexplained by catalog", "O-PRICE2", 8, AmountDiffers, []Reason{ReasonUnitPrice}, "申报金额折合单价 1234.56 元，平台单价 1000.00 元"},
		{"unfunded claimed", "O-UNFUNDED", 9, OnlyVendor, []Reason{ReasonUnfunded}, "项目 P9 不在已批准的项目清单上"},
		{"unfunded part claimed", "O-PARTUNF", 10, AmountDiffers, []Reason{ReasonUnfunded}, "包含未纳入项目清单的费用 150.00 元"},
		{"segments", "O-MIXED", 11, AmountDiffers, []Reason{ReasonUnexplained}, "多个计费段"},
		{"other vendor", "O-OTHER", 12, OnlyVendor, []Reason{ReasonOtherVendor}, "计入服务商 V2"},
		{"trial order", "O-TRIAL", 13, OnlyVendor, []Reason{ReasonOrderNotRated}, "可能是试用期"},
		{"item not rated", "O-MATCH", 14, OnlyVendor, []Reason{ReasonItemNotRated}, "计费的品目为 ECS-4C8G，不含 NET-BW"},
		{"adjustment only", "O-ADJ", 15, OnlyVendor, []Reason{ReasonAdjustmentOnly}, "2026-10"},
		{"first of duplicates", "O-DUP", 16, Match, nil, ""},
		{"duplicate", "O-DUP", 17, DuplicateClaim, []Reason{ReasonDuplicate}, "第 16 行已申报"},
		{"metered quantity", "O-METER", 18, AmountDiffers, []Reason{ReasonQuantity}, "与申报金额一致"},
		{"not claimed", "O-MISSING", 0, OnlyOurs, []Reason{ReasonNotClaimed}, "服务商未申报"},
		{"unfunded not claimed", "O-UNF-QUIET", 0, Match, []Reason{ReasonUnfundedQuiet}, "已计费 24.00 元"},
		{"zero not claimed", "O-ZERO", 0, Match, nil, ""},
		{"days inferred", "O-INFER-DAYS", 19, AmountDiffers, []Reason{ReasonDays}, "申报金额相当于 23 天的费用，平台 20 天（多 3 天"},
		{"quantity inferred", "O-INFER-QTY", 20, AmountDiffers, []Reason{ReasonQuantity}, "申报金额相当于数量 3 的费用，平台数量 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := byKey(c.order, c.line)
			assert.Equal(t, c.class, r.Class, "class of %s", c.order)
			assert.Equal(t, c.reasons, r.Reasons, "reasons of %s", c.order)
			if c.text != "" {
				assert.Contains(t, strings.Join(r.Explanation, "；"), c.text)
			}
		})
	}

	// another vendor is named where its name is known, its code in brackets
	named := p
	named.Vendors = map[catalog.VendorID]catalog.Vendor{"V2": {ID: "V2", Name: "第二云服务有限公司"}}
	nres, err := Reconcile(inv, named)
	require.NoError(t, err)
	for _, r := range nres.Rows {
		if r.Order == "O-OTHER" {
			assert.Contains(t, strings.Join(r.Explanation, "；"), "工单 O-OTHER 本月计入服务商 第二云服务有限公司（V2），不属于本服务商")
		}
	}

	// totals are sums of the rows; net payable follows the rated gross, not the claims
	assert.Equal(t, "10924.59", money.Plain(res.Claimed), "claimed")
	var claimed, ours decimal.Decimal
	for _, c := range inv.Claims {
		claimed = claimed.Add(c.Amount)
	}
	assert.True(t, claimed.Equal(res.Claimed), "claimed total %s, sum of claims %s", res.Claimed, claimed)
	for _, ct := range res.Classes {
		ours = ours.Add(ct.Ours)
	}
	assert.True(t, ours.Equal(res.Ours))
	assert.True(t, res.Difference.Equal(res.Claimed.Sub(res.Ours)))
	assert.Equal(t, p.Deduction.Deduction.String(), res.Deduction.String())
	assert.Equal(t, res.Gross.Add(res.Deduction).Add(dec("-16.67")).String(), res.Net.String(), "net = gross + deduction + adjustments")
	assert.Empty(t, res.Warnings)
	assert.True(t, res.HasDifferences())

	diffs := res.Differences()
	require.NotEmpty(t, diffs)
	for i := 1; i < len(diffs); i++ {
		assert.False(t, diffs[i].Difference.Abs().GreaterThan(diffs[i-1].Difference.Abs()), "differences are largest first")
	}
	assert.Equal(t, "O-QTY", string(diffs[0].Order), "largest difference")
}

func TestReconcileAllMatch(t *testing.T) {
	lines := []rating.Line{ln(rating.KindCharge, "O1", "ECS", "1", "100", 1, 30), ln(rating.KindCharge, "O2", "ECS", "1", "100", 5, 30)}
	inv := Invoice{Vendor: "V1", Period: nov, Claims: []Claim{claim(2, "O2", "ECS", "86.67", "1", 26), claim(3, "O1", "ECS", "100", "", 0)}}
	res, err := Reconcile(inv, Params{Vendor: "V1", Period: nov, Lines: lines})
	require.NoError(t, err)
	assert.False(t, res.HasDifferences())
	assert.True(t, res.DeductionPending, "no acceptance deduction given")
	assert.Equal(t, "186.67", money.Plain(res.Net))
	require.Len(t, res.Rows, 2)
	assert.Equal(t, catalog.OrderID("O1"), res.Rows[0].Order, "rows in order_id order")

	t.Run("tolerance zero is to the fen", func(t *testing.T) {
		inv.Claims[1].Amount = dec("100.01")
		res, err := Reconcile(inv, Params{Vendor: "V1", Period: nov, Lines: lines})
		require.NoError(t, err)
		assert.True(t, res.HasDifferences())
	})
	t.Run("invoice of another vendor", func(t *testing.T) {
		_, err := Reconcile(inv, Params{Vendor: "V2", Period: nov, Lines: lines})
		assert.ErrorContains(t, err, "invoice of V1 2026-11, reconciling V2 2026-11")
	})
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: run go test -update")
	assert.Equal(t, string(want), string(got), "got differs from %s (go test -update rewrites it)", path)
}

func TestAggregateSegments(t *testing.T) {
	v1 := ln(rating.KindCharge, "O1", "ECS", "1", "300", 1, 10)
	v2 := ln(rating.KindCharge, "O1", "ECS", "1", "300", 11, 20)
	v2.CatalogVersion = calendar.MustDate("2026-11-11") // a new version, same price
	v3 := ln(rating.KindCharge, "O1", "ECS", "2", "300", 21, 30)
	cases := []struct {
		name     string
		lines    []rating.Line
		quantity string // "" when it varies
		price    string
		days     int
	}{
		{"one line", []rating.Line{v1}, "1", "300", 10},
		{"version change, same figures", []rating.Line{v1, v2}, "1", "300", 20},
		{"then a change of quantity", []rating.Line{v1, v2, v3}, "", "300", 30},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, keys := aggregate(c.lines, "V1")
			require.Len(t, keys, 1)
			o := m[keys[0]]
			assert.Equal(t, c.days, o.days)
			if c.quantity == "" {
				assert.Nil(t, o.quantity)
			} else {
				require.NotNil(t, o.quantity)
				assert.Equal(t, c.quantity, o.quantity.String())
			}
			require.NotNil(t, o.unitPrice)
			assert.Equal(t, c.price, o.unitPrice.String())
			var sum decimal.Decimal
			for _, l := range c.lines {
				sum = sum.Add(l.Amount)
			}
			assert.Equal(t, sum.String(), o.payable.String(), "segments add up")
		})
	}
}
