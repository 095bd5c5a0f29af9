package rating

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
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
