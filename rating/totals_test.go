package rating

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"cloudbill/catalog"
)

// Totals sort every kind of line where the statements show it, and the parts add up.
func TestTotalsOf(t *testing.T) {
	d := decimal.RequireFromString
	lines := []Line{
		{Kind: KindCharge, Amount: d("100.10")},
		{Kind: KindCharge, Amount: d("0.01")},
		{Kind: KindMetered, Amount: d("20.05")},
		{Kind: KindUnfunded, Amount: d("3.30")},
		{Kind: KindDeduction, Amount: d("-6.17")},
		{Kind: KindAdjustment, Amount: d("-1.02")},
		{Kind: KindAdjustment, Amount: d("2.00")},
	}
	got := TotalsOf(lines)
	for _, c := range []struct {
		name      string
		got, want decimal.Decimal
	}{
		{"gross", got.Gross, d("123.46")},
		{"charge", got.Charge, d("100.11")},
		{"metered", got.Metered, d("20.05")},
		{"unfunded", got.Unfunded, d("3.30")},
		{"deductions", got.Deductions, d("-6.17")},
		{"adjustments", got.Adjustments, d("0.98")},
		{"net", got.Net, d("118.27")},
	} {
		assert.True(t, c.got.Equal(c.want), "%s: got %s, want %s", c.name, c.got, c.want)
	}
	assert.True(t, got.Gross.Add(got.Deductions).Add(got.Adjustments).Equal(got.Net), "gross + deductions + adjustments = net")
	assert.True(t, TotalsOf(nil).Net.IsZero())
}

// An order's amount is the net of its lines (charges, deductions and adjustments alike),
// as TotalsOf sums them, over the lines kept; lines of no order count for none.
func TestNetByOrder(t *testing.T) {
	d := decimal.RequireFromString
	lines := []Line{
		{Order: "O1", Department: "D1", Kind: KindCharge, Amount: d("100.10")},
		{Order: "O1", Department: "D1", Kind: KindDeduction, Amount: d("-6.17")},
		{Order: "O1", Department: "D2", Kind: KindCharge, Amount: d("50.00")}, // moved within the month
		{Order: "O2", Department: "D1", Kind: KindMetered, Amount: d("20.05")},
		{Order: "O2", Department: "D1", Kind: KindAdjustment, Amount: d("-1.02")},
		{Order: "O3", Department: "D2", Kind: KindCharge, Amount: d("9.99")},
		{Department: "D1", Kind: KindAdjustment, Amount: d("2.00")},
	}
	all := NetByOrder(lines, nil)
	assert.Len(t, all, 3)
	for o, want := range map[catalog.OrderID]string{"O1": "143.93", "O2": "19.03", "O3": "9.99"} {
		assert.True(t, all[o].Equal(d(want)), "%s: got %s, want %s", o, all[o], want)
		var mine []Line
		for _, l := range lines {
			if l.Order == o {
				mine = append(mine, l)
			}
		}
		assert.True(t, all[o].Equal(TotalsOf(mine).Net), "%s: the net of TotalsOf", o)
	}
	d1 := NetByOrder(lines, func(l Line) bool { return l.Department == "D1" })
	assert.Len(t, d1, 2, "O3 has no line of D1")
	assert.True(t, d1["O1"].Equal(d("93.93")), "O1 in D1: %s", d1["O1"])
	assert.True(t, d1["O2"].Equal(d("19.03")), "O2 in D1: %s", d1["O2"])
}

// What a party sees of a month is the net of the party totals it sees.
func TestNetOfParties(t *testing.T) {
	d := decimal.RequireFromString
	ts := []PartyTotal{
		{Department: "D1", Vendor: "V1", Amount: d("100.10")},
		{Department: "D1", Vendor: "V2", Amount: d("-0.10")},
		{Department: "D2", Vendor: "V1", Amount: d("20.05")},
	}
	assert.True(t, NetOfParties(ts, nil).Equal(d("120.05")))
	assert.True(t, NetOfParties(ts, func(p PartyTotal) bool { return p.Vendor == "V1" }).Equal(d("120.15")))
	assert.True(t, NetOfParties(ts, func(p PartyTotal) bool { return p.Department == "D1" }).Equal(d("100.00")))
	assert.True(t, NetOfParties(ts, func(PartyTotal) bool { return false }).IsZero())
	assert.True(t, NetOfParties(nil, nil).IsZero())
}
