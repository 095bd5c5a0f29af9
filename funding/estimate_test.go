package funding

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// The December estimate as of 20 December 2026 and the January true-up, by hand. V1 has,
// in D1:
//
//	O1  8 vCPU at 110.00 (P1, O&M), a change to 4 vCPU confirmed for 25 December;
//	    the estimate takes the configuration on the 20th to the month's end:
//	    1–20 December 110 × 8 × 20/31 = 567.741… + 21–31 110 × 8 × 11/31 = 312.258… → 880.00
//	O2  metered, 300 GB on 1–20 December × 0.80 = 240.00 (P1, from 1 December): 240 ÷ 20
//	    days × 11 days left = 132.00 → 372.00. December's rating already holds the whole
//	    month's 500 GB (400.00): the estimate reads the usage of the days ≤ 20 only
//	O3  10 GB memory at 20.00 (P2 renovation, new portion: category new) → 200.00
//	gross 1452.00; V1's rate of its latest closed month (November) 5%:
//	deduction −72.60, O&M 1252/1452 → −62.60, new 200/1452 → −10.00; net 1379.40.
//
// December closes: O1 681.29 (1–24 at 8) + 99.35 (25–31 at 4), O2 500 GB → 400.00,
// O3 200.00; gross 1380.64, deduction −69.03; final net 1311.61.
// True-up (上年12月预估差额) = 1311.61 − 1379.40 = −67.79.
func TestDecemberEstimateAndTrueUp(t *testing.T) {
	o3 := ev("O3", catalog.EventOpen, "2026-06-01", "P2", "MEM", "10")
	o3.Portion = catalog.PortionNew
	events := []catalog.Event{
		ev("O1", catalog.EventOpen, "2026-01-01", "P1", "VCPU", "8"),
		ev("O1", catalog.EventChange, "2026-12-25", "P1", "VCPU", "4"),
		ev("O2", catalog.EventOpen, "2026-12-01", "P1", "NET", "0"),
		o3,
	}
	events[2].ResourceID = "eip-2"
	lines := rateMonths(t, events, "2026-12")
	var allocated []rating.Line
	for _, l := range lines {
		if l.Kind == rating.KindCharge {
			allocated = append(allocated, l)
		}
	}
	require.Len(t, allocated, 3, "O1 twice (the change), O3")
	// the metered line as rating makes it from all of December's samples (500 GB), and
	// the usage of its window up to the 20th (300 GB)
	dec26 := calendar.MustPeriod("2026-12")
	metered := rating.Line{Period: dec26, Kind: rating.KindMetered, Department: "D1", Vendor: "V1", Project: "P1", Category: catalog.CategoryOM,
		Order: "O2", Item: "NET", Zone: catalog.ZoneInternet, From: day("2026-12-01"), To: day("2026-12-31"), Days: 31, DaysInMonth: 31,
		Quantity: dec("500"), UnitPrice: dec("0.80"), Unrounded: dec("400.00"), Amount: dec("400.00")}
	asOf := day("2026-12-20")
	ins, err := InServiceOn(events, asOf, dec26.Last())
	require.NoError(t, err)
	windows := rating.LineWindows(dec26, exampleCatalog(), events)
	soFar := SoFarWindows(windows, asOf)
	require.Len(t, soFar, 1)
	assert.Equal(t, "sum of eip-2/net_out_gb 2026-12-01..2026-12-20 for V1", soFar[0].String())
	est, findings := BuildEstimate(EstimateInput{AsOf: asOf, Catalog: exampleCatalog(), Lines: append(allocated, metered), InService: ins,
		Windows: windows, SoFar: rating.Usage{soFar[0]: dec("300")},
		Rates: map[catalog.VendorID]VendorRate{"V1": {Rate: dec("0.05"), From: calendar.MustPeriod("2026-11")}}})
	assert.Empty(t, findings)
	amounts := map[string]string{}
	for _, l := range est.Lines {
		amounts[string(l.Kind)+" "+string(l.Order)+" "+string(l.Category)] = l.Amount.StringFixed(2)
	}
	assert.Equal(t, map[string]string{
		"charge O1 om": "880.00", "metered O2 om": "372.00", "charge O3 new": "200.00",
		"deduction  om": "-62.60", "deduction  new": "-10.00",
	}, amounts)
	assert.Equal(t, "1379.40", est.Net()["V1"].StringFixed(2))
	assert.Len(t, est.Hash, 64)

	var buf bytes.Buffer
	require.NoError(t, est.WriteCSV(&buf, "V1"))
	assert.Contains(t, buf.String(), "预估")
	assert.Contains(t, buf.String(), "扣减比例 5.00%（依据 2026-11 验收结果）")
	assert.Equal(t, 6, strings.Count(buf.String(), "\n"), "header and five lines")
	again, _ := BuildEstimate(EstimateInput{AsOf: asOf, Catalog: exampleCatalog(), Lines: append(allocated, metered), InService: ins,
		Windows: windows, SoFar: rating.Usage{soFar[0]: dec("300")}, Rates: map[catalog.VendorID]VendorRate{"V1": {Rate: dec("0.05"), From: calendar.MustPeriod("2026-11")}}})
	assert.Equal(t, est.Hash, again.Hash, "same inputs, same content hash")

	// the final December, rated after the close: O1's two lines, 500 GB, O3
	final := decimal.Zero
	for _, l := range allocated {
		final = final.Add(l.Amount)
	}
	assert.Equal(t, "980.64", final.StringFixed(2), "681.29 + 99.35 + 200.00")
	final = final.Add(dec("400.00"))
	final = final.Add(dec("-69.03")) // −round(1380.64 × 5%)
	up := TrueUp(map[catalog.VendorID]decimal.Decimal{"V1": final}, est.Net())
	assert.Equal(t, "-67.79", up["V1"].StringFixed(2))

	// January's 上年12月预估差额 lines, per department and category: om 681.29 + 99.35 +
	// 400.00 − 59.03 (the om share of −69.03: 69.03 × 1180.64 ÷ 1380.64) = 1121.61 against
	// the estimate's 880.00 + 372.00 − 62.60 = 1189.40: −67.79; new 200.00 − 10.00 against
	// 200.00 − 10.00: no difference, no line
	var finalLines []rating.Line
	for _, l := range allocated {
		finalLines = append(finalLines, rating.Line{Kind: l.Kind, Department: "D1", Vendor: "V1", Category: l.Category, Amount: l.Amount})
	}
	finalLines = append(finalLines,
		rating.Line{Kind: rating.KindMetered, Department: "D1", Vendor: "V1", Category: "om", Amount: dec("400.00")},
		rating.Line{Kind: rating.KindDeduction, Department: "D1", Vendor: "V1", Category: "om", Amount: dec("-59.03")},
		rating.Line{Kind: rating.KindDeduction, Department: "D1", Vendor: "V1", Category: "new", Amount: dec("-10.00")})
	jan := calendar.MustPeriod("2027-01")
	tu := TrueUpLines(jan, finalLines, est)
	got := map[string]string{}
	sum := decimal.Zero
	for _, l := range tu {
		assert.Equal(t, rating.KindAdjustment, l.Kind)
		assert.Equal(t, dec26, l.Corrects)
		assert.Equal(t, jan, l.Period)
		assert.True(t, strings.HasPrefix(l.Note, "上年12月预估差额"), l.Note)
		got[string(l.Category)] = l.Amount.StringFixed(2)
		sum = sum.Add(l.Amount)
	}
	assert.Equal(t, map[string]string{"om": "-67.79"}, got)
	assert.Equal(t, "-67.79", sum.StringFixed(2), "the lines add up to the vendor's true-up")
}

// sample is one usage sample of the tests: a resource's metric on a day.
type sample struct {
	resource catalog.ResourceID
	metric   string
	day      calendar.Date
	value    decimal.Decimal
}

// aggregate is the quantity of window w over samples, as the store aggregates it (sum or
// max of the samples of the window's days; absent when there are none).
func aggregate(samples []sample, ws []rating.UsageWindow) rating.Usage {
	out := rating.Usage{}
	for _, w := range ws {
		for _, s := range samples {
			if s.resource != w.Resource || s.metric != w.Metric || s.day.Before(w.From) || s.day.After(w.To) {
				continue
			}
			q, seen := out[w]
			switch {
			case !seen:
				out[w] = s.value
			case w.Agg == catalog.AggSum:
				out[w] = q.Add(s.value)
			case w.Agg == catalog.AggMax && s.value.GreaterThan(q):
				out[w] = s.value
			}
		}
	}
	return out
}

// The December estimate as of the 20th when the store already holds the samples of the
// whole month (December is rated on all of them), by hand. V1 has, in D1, P1:
//
//	O2  traffic (sum), 15 GB a day on 1–20 December (300 GB), 50 GB a day on 21–31 (550
//	    GB): the rating has 850 GB × 0.80 = 680.00; the estimate 300 × 0.80 = 240.00 so far
//	    + 240.00 ÷ 20 × 11 days left = 132.00 → 372.00
//	O4  bandwidth (max), 40 Mbps a day, 50 on 12 December, 80 on 28 December: the rating
//	    has max 80 × 10.00 = 800.00; the estimate takes the maximum so far as the month's,
//	    50 × 10.00 → 500.00, not extended (a maximum does not grow with the days)
//	gross 872.00; 5% of it −43.60; net 828.40.
//
// Samples after the 20th do not move it: doubled, the estimate is the same to the byte.
func TestDecemberEstimateReadsUsageUpToAsOf(t *testing.T) {
	events := []catalog.Event{
		ev("O2", catalog.EventOpen, "2026-12-01", "P1", "NET", "0"),
		ev("O4", catalog.EventOpen, "2026-12-01", "P1", "BW", "0"),
	}
	events[0].ResourceID, events[1].ResourceID = "eip-2", "bw-4"
	dec26 := calendar.MustPeriod("2026-12")
	samples := func(after decimal.Decimal) []sample {
		var out []sample
		for d := dec26.First(); !d.After(dec26.Last()); d = d.AddDays(1) {
			gb, mbps := dec("15"), dec("40")
			if d.After(day("2026-12-20")) {
				gb = dec("50").Mul(after)
			}
			switch d {
			case day("2026-12-12"):
				mbps = dec("50")
			case day("2026-12-28"):
				mbps = dec("80").Mul(after)
			}
			out = append(out, sample{"eip-2", "net_out_gb", d, gb}, sample{"bw-4", "bw_mbps", d, mbps})
		}
		return out
	}
	estimate := func(after decimal.Decimal) (Estimate, []rating.Line) {
		all := samples(after)
		priced := rating.Price(rating.Input{Period: dec26, Catalog: exampleCatalog(), Org: exampleOrg(), Events: events, Rules: rating.DefaultRules(),
			Usage: aggregate(all, rating.Windows(dec26, exampleCatalog(), events))})
		asOf := day("2026-12-20")
		ins, err := InServiceOn(events, asOf, dec26.Last())
		require.NoError(t, err)
		windows := rating.LineWindows(dec26, exampleCatalog(), events)
		est, findings := BuildEstimate(EstimateInput{AsOf: asOf, Catalog: exampleCatalog(), Lines: priced.Lines, InService: ins,
			Windows: windows, SoFar: aggregate(all, SoFarWindows(windows, asOf)),
			Rates: map[catalog.VendorID]VendorRate{"V1": {Rate: dec("0.05"), From: calendar.MustPeriod("2026-11")}}})
		assert.Empty(t, findings)
		return est, priced.Lines
	}
	est, rated := estimate(dec("1"))
	ratedAmounts := map[catalog.OrderID]string{}
	for _, l := range rated {
		ratedAmounts[l.Order] = l.Amount.StringFixed(2)
	}
	assert.Equal(t, map[catalog.OrderID]string{"O2": "680.00", "O4": "800.00"}, ratedAmounts, "December is rated on the whole month's samples")
	got := map[string][3]string{}
	for _, l := range est.Lines {
		got[string(l.Kind)+" "+string(l.Order)] = [3]string{l.ToDate.StringFixed(2), l.Rest.StringFixed(2), l.Amount.StringFixed(2)}
	}
	assert.Equal(t, map[string][3]string{
		"metered O2": {"240.00", "132.00", "372.00"},
		"metered O4": {"500.00", "0.00", "500.00"},
		"deduction ": {"0.00", "0.00", "-43.60"},
	}, got)
	assert.Equal(t, "828.40", est.Net()["V1"].StringFixed(2))

	doubled, rated2 := estimate(dec("2"))
	assert.NotEqual(t, rated[0].Amount.String(), rated2[0].Amount.String(), "the rating moves with the samples after the 20th")
	assert.Equal(t, est.Hash, doubled.Hash, "the estimate does not")
}
