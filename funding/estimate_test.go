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
//	O2  metered, 300 GB so far × 0.80 = 240.00 (P1, from 1 December): 240 ÷ 20 days
//	    × 11 days left = 132.00 → 372.00
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
	lines := rateMonths(t, events, "2026-12")
	var allocated []rating.Line
	for _, l := range lines {
		if l.Kind == rating.KindCharge {
			allocated = append(allocated, l)
		}
	}
	require.Len(t, allocated, 3, "O1 twice (the change), O3")
	// the metered line as rating makes it from the usage so far
	dec26 := calendar.MustPeriod("2026-12")
	metered := rating.Line{Period: dec26, Kind: rating.KindMetered, Department: "D1", Vendor: "V1", Project: "P1", Category: catalog.CategoryOM,
		Order: "O2", Item: "NET", Zone: catalog.ZoneInternet, From: day("2026-12-01"), To: day("2026-12-31"), Days: 31, DaysInMonth: 31,
		Quantity: dec("300"), UnitPrice: dec("0.80"), Unrounded: dec("240.00"), Amount: dec("240.00")}
	asOf := day("2026-12-20")
	ins, err := InServiceOn(events, asOf, dec26.Last())
	require.NoError(t, err)
	est, findings := BuildEstimate(EstimateInput{AsOf: asOf, Catalog: exampleCatalog(), Lines: append(allocated, metered), InService: ins,
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
		Rates: map[catalog.VendorID]VendorRate{"V1": {Rate: dec("0.05"), From: calendar.MustPeriod("2026-11")}}})
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
