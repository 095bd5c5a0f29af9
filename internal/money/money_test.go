package money

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRound(t *testing.T) {
	cases := map[string]string{
		"0.005": "0.01", "0.004999": "0", "-0.005": "-0.01", "1.115": "1.12",
		"2.675": "2.68", "10": "10", "-1.994": "-1.99", "109.9": "109.9",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			got := Round(decimal.RequireFromString(in))
			assert.True(t, got.Equal(decimal.RequireFromString(want)), "got %s want %s", got, want)
		})
	}
}

func TestFormat(t *testing.T) {
	cases := []struct{ in, plain, grouped string }{
		{"0", "0.00", "0.00"},
		{"1234567.8", "1234567.80", "1,234,567.80"},
		{"-1234.5", "-1234.50", "-1,234.50"},
		{"999.999", "1000.00", "1,000.00"},
		{"100", "100.00", "100.00"},
	}
	for _, c := range cases {
		d := decimal.RequireFromString(c.in)
		assert.Equal(t, c.plain, Plain(d), c.in)
		assert.Equal(t, c.grouped, Grouped(d), c.in)
	}
}

func TestAllocate(t *testing.T) {
	d := decimal.RequireFromString
	ds := func(ss ...string) []decimal.Decimal {
		out := make([]decimal.Decimal, len(ss))
		for i, s := range ss {
			out[i] = d(s)
		}
		return out
	}
	cases := []struct {
		name    string
		total   string
		weights []decimal.Decimal
		want    []decimal.Decimal
	}{
		{"even", "-30.00", ds("1", "1", "1"), ds("-10.00", "-10.00", "-10.00")},
		{"one fen to the largest remainder", "-0.10", ds("1", "1", "1"), ds("-0.04", "-0.03", "-0.03")},
		{"remainders decide, not sizes", "1.00", ds("0.333", "0.333", "0.334"), ds("0.33", "0.33", "0.34")},
		{"the residue is not the largest share's", "0.05", ds("70", "15", "15"), ds("0.03", "0.01", "0.01")},
		{"zero and negative weights get nothing", "-1.00", ds("0", "3", "-2", "1"), ds("0.00", "-0.75", "0.00", "-0.25")},
		{"no positive weight", "5.00", ds("0", "-1"), ds("0.00", "0.00")},
		{"weights of any precision", "0.07", ds("0.0001", "1000", "0.5"), ds("0.00", "0.07", "0.00")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Allocate(d(c.total), c.weights)
			require.Len(t, got, len(c.want))
			sum := decimal.Zero
			for i := range got {
				assert.True(t, got[i].Equal(c.want[i]), "share %d: got %s, want %s", i, got[i], c.want[i])
				sum = sum.Add(got[i])
			}
			if len(c.weights) > 0 && c.name != "no positive weight" {
				assert.True(t, sum.Equal(d(c.total)), "sum %s, total %s", sum, c.total)
			}
		})
	}
}
