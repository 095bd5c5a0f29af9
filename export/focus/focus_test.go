package focus_test

import (
	"bytes"
	"encoding/csv"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/export/focus"
	"cloudbill/export/focus/conformance"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/statements"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var nov = calendar.MustPeriod("2026-11")

// edgeMonth is a closed November 2026 with one line of every kind FOCUS must express:
// a prorated charge, a full-month charge, a metered line, an unfunded charge, acceptance
// deductions, and adjustments correcting the closed October (a charge and a deduction).
func edgeMonth() statements.Month {
	item := func(code, name, category, unit string, billing catalog.Billing, price string) catalog.Item {
		return catalog.Item{Code: catalog.ItemCode(code), Name: name, Category: category, Unit: unit, Billing: billing,
			Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: dec(price), catalog.ZoneExtranet: dec(price)}}
	}
	v1 := calendar.MustDate("2026-01-01")
	cat := catalog.Catalog{Versions: []catalog.Version{{Effective: v1, Items: map[catalog.ItemCode]catalog.Item{
		"C01": item("C01", "云服务器 vCPU", "compute", "vCPU·月", catalog.Allocated, "40"),
		"S01": item("S01", "块存储 高效云盘", "storage", "GB·月", catalog.Allocated, "0.39"),
		"N04": item("N04", "公网流量", "network", "GB", catalog.Metered, "0.8"),
		"X01": item("X01", "云数据库 MySQL", "database", "实例·月", catalog.Allocated, "550"),
	}}}}
	org := catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{
			"D01":   {ID: "D01", Name: "区财政局"},
			"D02":   {ID: "D02", Name: "区教育委员会"},
			"D0201": {ID: "D0201", Name: "区第一中学", Parent: "D02"},
		},
		Vendors: map[catalog.VendorID]catalog.Vendor{"V1": {ID: "V1", Name: "中国电信"}, "V2": {ID: "V2", Name: "浪潮云"}},
	}
	line := func(kind rating.Kind, dep, ven, order, item, from, to, qty, price, amount string) rating.Line {
		f, t := calendar.MustDate(from), calendar.MustDate(to)
		return rating.Line{Period: nov, Kind: kind, Department: catalog.DepartmentID(dep), Vendor: catalog.VendorID(ven),
			Project: "P01", Category: catalog.CategoryOM, Order: catalog.OrderID(order), Item: catalog.ItemCode(item),
			Zone: catalog.ZoneInternet, Mode: catalog.ModeShared, From: f, To: t, Days: f.DaysUntil(t) + 1, DaysInMonth: 30,
			Quantity: dec(qty), UnitPrice: dec(price), Unrounded: dec(amount), Amount: dec(amount), CatalogVersion: v1}
	}
	adj := line(rating.KindAdjustment, "D01", "V1", "O-1", "C01", "2026-10-29", "2026-10-31", "-2", "40", "-7.74")
	adj.Corrects, adj.CorrectsKind, adj.Days, adj.DaysInMonth = calendar.MustPeriod("2026-10"), rating.KindCharge, 0, 31
	adjDed := rating.Line{Period: nov, Kind: rating.KindAdjustment, Department: "D01", Vendor: "V1", Amount: dec("0.15"), Unrounded: dec("0.15"),
		Corrects: calendar.MustPeriod("2026-10"), CorrectsKind: rating.KindDeduction, From: calendar.MustDate("2026-10-01"), To: calendar.MustDate("2026-10-31")}
	unfunded := line(rating.KindUnfunded, "D0201", "V2", "O-4", "X01", "2026-11-07", "2026-11-30", "1", "550", "440.00")
	unfunded.Project, unfunded.Category = "P09", catalog.CategoryNew
	// An unfunded metered line keeps its measured quantity (not prorated).
	unfundedMetered := line(rating.KindUnfunded, "D0201", "V2", "O-6", "N04", "2026-11-01", "2026-11-30", "134.95", "0.8", "107.96")
	unfundedMetered.Project, unfundedMetered.Category = "P09", catalog.CategoryNew
	lines := []rating.Line{
		line(rating.KindCharge, "D01", "V1", "O-1", "C01", "2026-11-01", "2026-11-30", "8", "40", "320.00"),
		line(rating.KindCharge, "D01", "V1", "O-2", "S01", "2026-11-11", "2026-11-30", "500", "0.39", "130.00"),
		line(rating.KindCharge, "D02", "V2", "O-3", "C01", "2026-11-16", "2026-11-16", "2", "40", "2.67"),
		line(rating.KindMetered, "D02", "V2", "O-5", "N04", "2026-11-01", "2026-11-30", "1234.567891", "0.8", "987.65"),
		unfunded,
		adj,
		adjDed,
		{Period: nov, Kind: rating.KindDeduction, Department: "D01", Vendor: "V1", Amount: dec("-8.90"), Unrounded: dec("-8.9"), Note: "验收扣减 2%"},
		{Period: nov, Kind: rating.KindDeduction, Department: "D02", Vendor: "V2", Amount: dec("-495.16"), Unrounded: dec("-495.16"), Note: "验收扣减 50%（封顶）"},
		{Period: nov, Kind: rating.KindDeduction, Department: "D0201", Vendor: "V2", Amount: dec("-220.00"), Unrounded: dec("-220"), Note: "验收扣减 50%（封顶）"},
		unfundedMetered,
	}
	closedAt := time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai())
	return statements.Month{Period: nov, Lines: lines, Org: org, Catalog: cat, IssuedAt: closedAt,
		Close: &rating.Close{Period: nov, ClosedAt: closedAt, RunID: "run", ContentHash: "h", Lines: len(lines)}}
}

var resources = map[catalog.OrderID]focus.Resource{
	"O-1": {ID: "i-cpu-1"}, "O-2": {ID: "d-disk-2"}, "O-3": {ID: "i-cpu-3", Type: "ecs.c6.large"}, "O-5": {ID: "eip-5"},
}

func exportCSV(t *testing.T, m statements.Month) ([]focus.Row, []byte) {
	t.Helper()
	rows, err := focus.Build(m, resources, false)
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, focus.WriteCSV(&buf, rows))
	return rows, buf.Bytes()
}

func cells(t *testing.T, b []byte) (header []string, records [][]string) {
	t.Helper()
	all, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return all[0], all[1:]
}

func TestEdgeMonthConforms(t *testing.T) {
	m := edgeMonth()
	rows, b := exportCSV(t, m)
	vs, err := conformance.Check(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Empty(t, vs, "violations")
	require.Len(t, rows, len(m.Lines))

	// Σ BilledCost = the finance summary's net payable, to the fen.
	st := statements.Build(m)
	assert.Equal(t, st.Summary.Total.StringFixed(2), focus.Total(rows).StringFixed(2))

	header, recs := cells(t, b)
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	get := func(row int, name string) string { return recs[row][col[name]] }
	// The prorated charge: 500 GB × 20 days ÷ 30 = 333.333333333333 GB·月 at 0.39 → 130.00.
	assert.Equal(t, "Usage", get(1, "ChargeCategory"))
	assert.Equal(t, "Recurring", get(1, "ChargeFrequency"))
	assert.Equal(t, "333.333333333333", get(1, "PricingQuantity"))
	assert.Equal(t, "130", get(1, "ListCost"))
	assert.Equal(t, "2026-11-10T16:00:00Z", get(1, "ChargePeriodStart"), "11-11 00:00 Asia/Shanghai")
	assert.Equal(t, "2026-11-30T16:00:00Z", get(1, "ChargePeriodEnd"), "exclusive: 12-01 00:00 Asia/Shanghai")
	assert.Equal(t, "2026-10-31T16:00:00Z", get(1, "BillingPeriodStart"))
	assert.Equal(t, "d-disk-2", get(1, "ResourceId"))
	// The metered line: usage-based, the measured quantity consumed.
	assert.Equal(t, "Usage-Based", get(3, "ChargeFrequency"))
	assert.Equal(t, "1234.567891", get(3, "ConsumedQuantity"))
	assert.Equal(t, "Networking", get(3, "ServiceCategory"))
	// The unfunded charge carries the flag and its 主管部门.
	assert.Equal(t, "true", get(4, "x_Unfunded"))
	assert.Equal(t, "D02", get(4, "x_ParentDepartmentId"))
	assert.Equal(t, "下属单位", get(4, "SubAccountType"))
	// Adjustments of the closed October are corrections in November's billing period.
	assert.Equal(t, "Correction", get(5, "ChargeClass"))
	assert.Equal(t, "Usage", get(5, "ChargeCategory"))
	assert.Equal(t, "2026-10", get(5, "x_CorrectsPeriod"))
	assert.Equal(t, "2026-10-28T16:00:00Z", get(5, "ChargePeriodStart"))
	assert.Equal(t, "Correction", get(6, "ChargeClass"))
	assert.Equal(t, "Credit", get(6, "ChargeCategory"))
	assert.Equal(t, "134.95", get(10, "PricingQuantity"), "unfunded metered: the measured quantity")
	assert.Equal(t, "Usage-Based", get(10, "ChargeFrequency"))
	assert.Equal(t, "true", get(10, "x_Unfunded"))
	// Deductions are credits, negative, with no price or quantity.
	assert.Equal(t, "Credit", get(7, "ChargeCategory"))
	assert.Equal(t, "-8.9", get(7, "BilledCost"))
	assert.Equal(t, "", get(7, "PricingQuantity"))
	assert.Equal(t, "", get(7, "ConsumedQuantity"))
}

func TestEmptyMonthConforms(t *testing.T) {
	m := edgeMonth()
	m.Lines = nil
	rows, b := exportCSV(t, m)
	assert.Empty(t, rows)
	vs, err := conformance.Check(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Empty(t, vs)
	assert.Equal(t, strings.Join(focus.Columns(), ",")+"\n", string(b), "a month without lines is the header alone")
	assert.Equal(t, "0.00", focus.Total(rows).StringFixed(2))
}

func TestRepeatIsByteIdentical(t *testing.T) {
	_, a := exportCSV(t, edgeMonth())
	_, b := exportCSV(t, edgeMonth())
	assert.Equal(t, a, b)
}

func TestOpenMonthNeedsProvisional(t *testing.T) {
	m := edgeMonth()
	m.Close = nil
	_, err := focus.Build(m, resources, false)
	require.Error(t, err)
	assert.True(t, errors.Is(err, focus.ErrProvisional))
	assert.Contains(t, err.Error(), "2026-11")
	rows, err := focus.Build(m, resources, true)
	require.NoError(t, err)
	assert.Len(t, rows, len(m.Lines))
}

func TestUnknownItemNamesTheLine(t *testing.T) {
	m := edgeMonth()
	m.Lines[2].Item = "ZZ9"
	_, err := focus.Build(m, resources, false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "line 3 (order O-3, item ZZ9")
}

// TestConformanceCatchesViolations: each broken rule is found and named by its FOCUS
// rule id (the checker must not be a checker that passes everything).
func TestConformanceCatchesViolations(t *testing.T) {
	_, good := exportCSV(t, edgeMonth())
	header, recs := cells(t, good)
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	cases := []struct {
		name     string
		row      int
		column   string
		value    string
		wantRule string
	}{
		{"charge category outside the allowed values", 0, "ChargeCategory", "Consumption", "ChargeCategory-C-003-M"},
		{"charge class other than Correction", 5, "ChargeClass", "Refund", "ChargeClass-C-005-C"},
		{"a correction without ChargeClass", 5, "ChargeClass", "", "ChargeClass-C-004-C"},
		{"end not after start", 0, "ChargePeriodEnd", "2026-10-31T16:00:00Z", "ChargePeriodEnd-C-004-M"},
		{"date-time not in UTC", 0, "ChargePeriodStart", "2026-11-01T00:00:00+08:00", "ChargePeriodStart-C-002-M"},
		{"grouped number", 0, "BilledCost", "1,320.00", "BilledCost-C-003-M"},
		{"null billed cost", 0, "BilledCost", "", "BilledCost-C-001-M"},
		{"currency not ISO 4217", 0, "BillingCurrency", "RMB", "BillingCurrency-C-006-M"},
		{"list cost not price × quantity", 0, "ListCost", "321.00", "ListCost-C-009-C"},
		{"usage row without pricing quantity", 0, "PricingQuantity", "", "PricingQuantity-C-005-C"},
		{"consumed quantity on a credit", 7, "ConsumedQuantity", "1", "ConsumedQuantity-C-004-C"},
		{"a purchase with an effective cost", 0, "ChargeCategory", "Purchase", "EffectiveCost-C-005-C"},
		{"service category outside the list", 0, "ServiceCategory", "云计算", "ServiceCategory-C-003-M"},
		{"sub account name without id", 0, "SubAccountId", "", "SubAccountName-C-003-C/SubAccountName-C-004-C"},
		{"negative list price", 0, "ListUnitPrice", "-40", "ListUnitPrice-C-008-M"},
		{"one service name, two categories", 2, "ServiceCategory", "Storage", "ServiceName-C-005-C"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			mutated := make([][]string, len(recs))
			for i, r := range recs {
				mutated[i] = append([]string(nil), r...)
			}
			mutated[c.row][col[c.column]] = c.value
			vs := conformance.CheckRecords(header, mutated)
			var rules []string
			for _, v := range vs {
				rules = append(rules, v.Rule)
			}
			assert.Contains(t, rules, c.wantRule, "got %v", vs)
		})
	}
	t.Run("missing mandatory column", func(t *testing.T) {
		h := append([]string(nil), header...)
		h[col["InvoiceIssuerName"]] = "x_InvoiceIssuerName"
		vs := conformance.CheckRecords(h, recs)
		require.NotEmpty(t, vs)
		assert.Equal(t, "CostAndUsage-D-023-M", vs[0].Rule)
	})
	t.Run("custom column without x_", func(t *testing.T) {
		h := append([]string(nil), header...)
		h[col["x_Zone"]] = "Zone"
		vs := conformance.CheckRecords(h, recs)
		require.NotEmpty(t, vs)
		assert.Equal(t, "ColumnHandling", vs[0].Rule)
	})
}

// TestFormulaCellsNeutralised: a catalog item name crafted as a formula reaches the FOCUS
// file as text, and negative costs stay numbers.
func TestFormulaCellsNeutralised(t *testing.T) {
	m := edgeMonth()
	v := m.Catalog.Versions[0]
	it := v.Items["C01"]
	it.Name = "=HYPERLINK(\"http://x\")"
	v.Items["C01"] = it
	_, b := exportCSV(t, m)
	assert.Contains(t, string(b), `'=HYPERLINK(""http://x"")`)
	assert.Contains(t, string(b), ",-8.9,")
	vs, err := conformance.Check(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Empty(t, vs)
}
