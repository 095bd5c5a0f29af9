package portal

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"

	"cloudbill/statements/breakdown"
)

// TestDailyShared: lines whose days and amounts are the same share one list of daily
// amounts; a list that differs in a day, a date, an amount's exponent or its last amount
// is not taken for another.
func TestDailyShared(t *testing.T) {
	each, last := decimal.RequireFromString("1.2345"), decimal.RequireFromString("1.2350")
	days := func(from int, n int, each, last decimal.Decimal) []breakdown.Day {
		out := make([]breakdown.Day, n)
		for i := range out {
			out[i] = breakdown.Day{Date: "2026-11-" + twoDigits(from+i), Amount: each}
		}
		out[n-1].Amount = last
		return out
	}
	unit := func(lists ...[]breakdown.Day) *breakdown.Unit {
		o := breakdown.Order{}
		for _, l := range lists {
			o.Lines = append(o.Lines, breakdown.Line{Daily: l, Explanation: "单价 × 数量"})
		}
		return &breakdown.Unit{Projects: []breakdown.Project{{Orders: []breakdown.Order{o}}}}
	}
	in := newInterner()
	a := unit(days(1, 30, each, last), days(1, 1, last, last))
	compactUnit(in, a)
	b := unit(days(1, 30, each, last), days(2, 29, each, last), days(1, 30, each, each),
		days(1, 30, decimal.New(12345, -4), last), days(1, 30, decimal.New(123450, -5), last), days(1, 1, last, last))
	want := []breakdown.Line{}
	for _, l := range b.Projects[0].Orders[0].Lines {
		want = append(want, breakdown.Line{Daily: append([]breakdown.Day(nil), l.Daily...), Explanation: l.Explanation})
	}
	compactUnit(in, b)
	got := b.Projects[0].Orders[0].Lines
	aLines := a.Projects[0].Orders[0].Lines
	assert.Equal(t, want, got, "the same days and amounts")
	assert.Same(t, &aLines[0].Daily[0], &got[0].Daily[0], "the same days and amounts: one list")
	assert.Same(t, &aLines[1].Daily[0], &got[5].Daily[0], "a day: one list")
	assert.Same(t, &aLines[0].Daily[0], &got[3].Daily[0], "the same amounts made apart: one list")
	for _, i := range []int{1, 2, 4} {
		assert.NotSame(t, &aLines[0].Daily[0], &got[i].Daily[0], "other days, last amount or exponent (%d)", i)
	}
	// a list whose days are not one a day, or whose days differ before the last, is kept
	gap := days(1, 3, each, last)
	gap[2].Date = "2026-11-05"
	_, ok := dailyKey(gap)
	assert.False(t, ok, "not one a day")
	mixed := days(1, 3, each, last)
	mixed[1].Amount = decimal.RequireFromString("1.2345") // equal value, its own
	_, ok = dailyKey(mixed)
	assert.False(t, ok, "days not the very same amount")
}

func twoDigits(n int) string { return string([]byte{byte('0' + n/10), byte('0' + n%10)}) }
