package money

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
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
