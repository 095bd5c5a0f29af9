package funding

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func day(s string) calendar.Date { return calendar.MustDate(s) }

// The example district of these tests: one vCPU item whose price is 100.00 from
// 2026-01-01, 120.00 from 2026-04-01 and (announced) 110.00 from 2026-10-01; a memory
// item at 20.00; metered traffic (sum of GB) at 0.80 and bandwidth (max Mbps) at 10.00; project P1 (O&M, 2026) of department D1 under its 主管部门 D0.
func exampleCatalog() catalog.Catalog {
	v := func(eff, cpu string) catalog.Version {
		return catalog.Version{Effective: day(eff), Items: map[catalog.ItemCode]catalog.Item{
			"VCPU": {Code: "VCPU", Billing: catalog.Allocated, Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: dec(cpu)}},
			"MEM":  {Code: "MEM", Billing: catalog.Allocated, Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: dec("20.00")}},
			"NET": {Code: "NET", Billing: catalog.Metered, MeterMetric: "net_out_gb", MeterAgg: catalog.AggSum,
				Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: dec("0.80")}},
			"BW": {Code: "BW", Billing: catalog.Metered, MeterMetric: "bw_mbps", MeterAgg: catalog.AggMax,
				Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: dec("10.00")}},
		}}
	}
	return catalog.Catalog{Versions: []catalog.Version{v("2026-01-01", "100.00"), v("2026-04-01", "120.00"), v("2026-10-01", "110.00")}}
}

func exampleOrg() catalog.Org {
	return catalog.Org{
		Departments: map[catalog.DepartmentID]catalog.Department{"D0": {ID: "D0", Name: "区政务服务局"}, "D1": {ID: "D1", Name: "区政务服务中心", Parent: "D0"}},
		Projects: map[catalog.ProjectKey]catalog.Project{
			{ID: "P1", Year: 2026}: {ID: "P1", Name: "政务服务平台运维", Department: "D1", Year: 2026, Category: catalog.CategoryOM, Approved: true},
			{ID: "P2", Year: 2026}: {ID: "P2", Name: "一网通办改扩建", Department: "D1", Year: 2026, Category: catalog.CategoryRenovation, Approved: true},
		},
		Vendors: map[catalog.VendorID]catalog.Vendor{"V1": {ID: "V1", Name: "云甲"}, "V2": {ID: "V2", Name: "云乙"}},
	}
}

func ev(order string, kind catalog.EventKind, date, project, item, qty string) catalog.Event {
	return catalog.Event{Order: catalog.OrderID(order), Kind: kind, Effective: day(date), Config: catalog.Config{
		Department: "D1", Project: catalog.ProjectID(project), Vendor: "V1", Zone: catalog.ZoneInternet,
		Item: catalog.ItemCode(item), Quantity: dec(qty)}}
}

// rateMonths prices months with the rating engine (no acceptance: no deduction).
func rateMonths(t *testing.T, events []catalog.Event, months ...string) []rating.Line {
	var all []rating.Line
	for _, m := range months {
		pr := rating.Price(rating.Input{Period: calendar.MustPeriod(m), Catalog: exampleCatalog(), Org: exampleOrg(), Events: events, Rules: rating.DefaultRules()})
		all = append(all, pr.Lines...)
	}
	return all
}

// Spent, forecast and state of P1 across a price change (1 April) and a mid-year
// configuration change (4 → 8 vCPU confirmed 16 March), as of 30 April:
//
//	Jan 100 × 4                        =  400.00
//	Feb 100 × 4                        =  400.00
//	Mar 100 × 4 × 15/31 = 193.548… →      193.55
//	    100 × 8 × 16/31 = 412.903… →      412.90
//	Apr 120 × 8                        =  960.00
//	spent                              = 2366.45
//	forecast May–Sep 120 × 8 × 5       = 4800.00
//	         Oct–Dec 110 × 8 × 3       = 2640.00   (the announced price, each day its own)
//	remaining 7440.00, forecast          9806.45
func TestSpentForecastStateAcrossPriceAndConfigChange(t *testing.T) {
	events := []catalog.Event{
		ev("O1", catalog.EventOpen, "2026-01-01", "P1", "VCPU", "4"),
		ev("O1", catalog.EventChange, "2026-03-16", "P1", "VCPU", "8"),
	}
	lines := rateMonths(t, events, "2026-01", "2026-02", "2026-03", "2026-04")
	spent := Spent(SumLines(lines))
	assert.Equal(t, "2366.45", spent["P1"].StringFixed(2))

	asOf := day("2026-04-30")
	ins, err := InServiceOn(events, asOf, day("2026-12-31"))
	require.NoError(t, err)
	require.Len(t, ins, 1)
	assert.Equal(t, "8", ins[0].Quantity.String())
	rem, findings := Remaining(ForecastInput{AsOf: asOf, Catalog: exampleCatalog(), InService: ins})
	assert.Empty(t, findings)
	assert.Equal(t, "7440.00", rem["P1"].StringFixed(2))

	for _, tt := range []struct {
		budget string
		want   State
	}{
		{"10000.00", StateOK},          // 9806.45 ≤ 10000
		{"9500.00", StateForecastOver}, // forecast 9806.45 > 9500, spent < 80%
		{"2958.06", StateWarning},      // 80% = 2366.448 ≤ 2366.45
		{"2958.07", StateForecastOver}, // 80% = 2366.456 > 2366.45
		{"2366.45", StateWarning},      // spent = budget: not over
		{"2366.44", StateOver},         // spent > budget
	} {
		sts := Statuses(StatusInput{Year: 2026, Org: exampleOrg(), Budgets: []Budget{{Project: "P1", Year: 2026, Amount: dec(tt.budget)}},
			Spent: spent, Remaining: rem, Thresholds: DefaultThresholds()})
		require.Len(t, sts, 2) // P1 and P2 (on the list, no budget)
		assert.Equal(t, tt.want, sts[0].State, "budget %s", tt.budget)
		assert.Equal(t, "9806.45", sts[0].Forecast.StringFixed(2))
		assert.Equal(t, catalog.DepartmentID("D0"), sts[0].Parent)
		assert.Equal(t, StateNoBudget, sts[1].State)
	}
}

// A terminated order forecasts to its termination only; a metered order at its average
// daily amount of the last 90 days: (0.80 × 300 GB in March + 0.80 × 150 in April) over
// 1 March–30 April (opened 1 March: 61 days) = 360.00 ÷ 61 = 5.9016… a day × 245 days
// (1 May–31 December) = 1445.9016… → 1445.90. Memory 2 × 20.00 from 1 May to the
// termination on 10 May: 20 × 2 × 10/31 = 12.903… → 12.90.
func TestForecastTerminationAndMetered(t *testing.T) {
	events := []catalog.Event{
		ev("O2", catalog.EventOpen, "2026-03-01", "P1", "NET", "0"),
		ev("O3", catalog.EventOpen, "2026-02-01", "P1", "MEM", "2"),
		ev("O3", catalog.EventTerminate, "2026-05-10", "P1", "MEM", "2"),
	}
	asOf := day("2026-04-30")
	ins, err := InServiceOn(events, asOf, day("2026-12-31"))
	require.NoError(t, err)
	require.Len(t, ins, 2)
	var days []rating.Day
	for d := day("2026-03-01"); !d.After(asOf); d = d.AddDays(1) {
		amt := dec("0.80").Mul(dec("300")).Div(decimal.NewFromInt(31))
		if d.Month == 4 {
			amt = dec("0.80").Mul(dec("150")).Div(decimal.NewFromInt(30))
		}
		days = append(days, rating.Day{Date: d, Order: "O2", Kind: rating.KindMetered, Amount: amt})
	}
	avg := MeteredDaily(days, map[catalog.OrderID]calendar.Date{"O2": day("2026-03-01")}, asOf)
	rem, findings := Remaining(ForecastInput{AsOf: asOf, Catalog: exampleCatalog(), InService: ins, MeteredDaily: avg})
	assert.Empty(t, findings)
	assert.Equal(t, "1458.80", rem["P1"].StringFixed(2)) // 1445.90 + 12.90
}

// A deduction line has no project: it is split over the department's projects in
// proportion to their gross with that vendor and category in that month, to the fen.
// V1's O&M gross in D1: P1 600.00, P2 (stock portion) 300.00; deduction −10.00 →
// P1 −6.67, P2 −3.33 (largest remainder: 6.666… and 3.333…, the extra fen to P1).
func TestSpentSplitsDeductionsByGross(t *testing.T) {
	jan := calendar.MustPeriod("2026-01")
	sums := []LineSum{
		{Period: jan, Kind: rating.KindCharge, Department: "D1", Vendor: "V1", Category: catalog.CategoryOM, Project: "P1", Amount: dec("600.00")},
		{Period: jan, Kind: rating.KindCharge, Department: "D1", Vendor: "V1", Category: catalog.CategoryOM, Project: "P2", Amount: dec("300.00")},
		{Period: jan, Kind: rating.KindCharge, Department: "D1", Vendor: "V1", Category: catalog.CategoryNew, Project: "P2", Amount: dec("50.00")},
		{Period: jan, Kind: rating.KindDeduction, Department: "D1", Vendor: "V1", Category: catalog.CategoryOM, Amount: dec("-10.00")},
		{Period: jan, Kind: rating.KindDeduction, Department: "D1", Vendor: "V1", Category: catalog.CategoryNew, Amount: dec("-0.55")},
		{Period: jan, Kind: rating.KindAdjustment, Department: "D1", Vendor: "V1", Category: catalog.CategoryOM, Project: "P1", Amount: dec("12.34")},
		// a deduction of a vendor with no gross in D1 stays unattributed
		{Period: jan, Kind: rating.KindDeduction, Department: "D1", Vendor: "V2", Category: catalog.CategoryOM, Amount: dec("-1.00")},
	}
	spent := Spent(sums)
	assert.Equal(t, "605.67", spent["P1"].StringFixed(2)) // 600 − 6.67 + 12.34
	assert.Equal(t, "346.12", spent["P2"].StringFixed(2)) // 300 − 3.33 + 50 − 0.55
	assert.Equal(t, "-1.00", spent[""].StringFixed(2))
	total := decimal.Zero
	for _, s := range sums {
		total = total.Add(s.Amount)
	}
	all := decimal.Zero
	for _, v := range spent {
		all = all.Add(v)
	}
	assert.True(t, total.Equal(all), "Σ spent %s, Σ lines %s", all, total)
}

// A threshold fires once per project and year: the first rating that crosses 80% fires
// spent_warning (and forecast_over); a re-rating that stays across fires nothing; the
// rating that passes 100% fires spent_over only.
func TestThresholdFiresOnce(t *testing.T) {
	th := DefaultThresholds()
	status := func(spent, forecast string) []ProjectStatus {
		return []ProjectStatus{{Project: "P1", Department: "D1", Year: 2026, HasBudget: true, Budget: dec("1000.00"), Spent: dec(spent), Forecast: dec(forecast)}}
	}
	fired := map[WarningKey]bool{}
	record := func(ws []Warning) []Threshold {
		var out []Threshold
		for _, w := range ws {
			fired[WarningKey{w.Project, w.Year, w.Threshold}] = true
			out = append(out, w.Threshold)
		}
		return out
	}
	at := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	assert.Empty(t, record(NewWarnings(status("799.99", "999.99"), th, fired, "r1", "2026-04", at)))
	assert.Equal(t, []Threshold{ThresholdSpentWarning, ThresholdForecastOver},
		record(NewWarnings(status("800.00", "1200.00"), th, fired, "r2", "2026-04", at)))
	assert.Empty(t, record(NewWarnings(status("800.00", "1200.00"), th, fired, "r3", "2026-04", at)), "re-rating across the same thresholds")
	assert.Empty(t, record(NewWarnings(status("700.00", "900.00"), th, fired, "r4", "2026-05", at)))
	assert.Empty(t, record(NewWarnings(status("850.00", "1300.00"), th, fired, "r5", "2026-05", at)), "back across: no second warning")
	ws := NewWarnings(status("1000.01", "1300.00"), th, fired, "r6", "2026-06", at)
	require.Len(t, ws, 1)
	assert.Equal(t, ThresholdSpentOver, ws[0].Threshold)
	assert.Equal(t, "r6", ws[0].RunID)
}

// The thresholds are versioned: a version is in force from its effective date until the
// next one's; of two imports for the same date the later wins; the defaults before any.
func TestThresholdsOn(t *testing.T) {
	v := func(day, w string) ThresholdVersion {
		return ThresholdVersion{Effective: calendar.MustDate(day), Thresholds: Thresholds{Warning: dec(w), Over: dec("1.00"), ForecastOver: dec("1.00")}}
	}
	vs := []ThresholdVersion{v("2026-03-01", "0.70"), v("2026-07-01", "0.90"), v("2026-03-01", "0.75")} // import order
	assert.Equal(t, "0.8", ThresholdsOn(vs, calendar.MustDate("2026-02-28")).Warning.String(), "the default before any version")
	assert.Equal(t, "0.75", ThresholdsOn(vs, calendar.MustDate("2026-03-01")).Warning.String(), "the later import of the same date")
	assert.Equal(t, "0.75", ThresholdsOn(vs, calendar.MustDate("2026-06-30")).Warning.String())
	assert.Equal(t, "0.9", ThresholdsOn(vs, calendar.MustDate("2026-07-01")).Warning.String())
	assert.Equal(t, "0.8", ThresholdsOn(nil, calendar.MustDate("2026-07-01")).Warning.String())
	// a share of 0.75 warns at 750.00 of 1,000.00, not at 749.99
	th := ThresholdsOn(vs, calendar.MustDate("2026-05-01"))
	ws := NewWarnings([]ProjectStatus{{Project: "P1", Year: 2026, HasBudget: true, Budget: dec("1000.00"), Spent: dec("750.00"), Forecast: dec("1000.01")}},
		th, map[WarningKey]bool{}, "r1", "2026-04", time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC))
	shares := map[Threshold]string{}
	for _, w := range ws {
		shares[w.Threshold] = w.ShareText() + " " + w.SharePercent()
	}
	assert.Equal(t, map[Threshold]string{ThresholdSpentWarning: "0.75 75%", ThresholdForecastOver: "1 100%"}, shares,
		"a warning records the share in force that fired it")
	assert.Equal(t, StateOK, StateOf(dec("1000.00"), dec("749.99"), dec("900.00"), th))
	assert.Equal(t, StateWarning, StateOf(dec("1000.00"), dec("750.00"), dec("900.00"), th))
}

// A department is warned of warning, over and forecast over; not of ok or no budget.
func TestStateAlert(t *testing.T) {
	for s, want := range map[State]bool{StateOK: false, StateNoBudget: false, StateWarning: true, StateOver: true, StateForecastOver: true} {
		assert.Equal(t, want, s.Alert(), "%s", s)
	}
}
