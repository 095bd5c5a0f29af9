package statements_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/statements"
)

func fixedNow() time.Time { return time.Date(2026, 11, 20, 9, 30, 0, 0, calendar8) }

var calendar8 = time.FixedZone("CST", 8*3600)

// TestHandMonth pins the totals of the hand-computed month:
//
//	D01   640.00 + 320.00 + 166.67 − 15.48 (adjustment) − 22.53 (V1 2%)      = 1,088.66
//	D0201 360.00 + 128.00 (unfunded) − 7.20 (V1 2%) − 64.00 (V2 50%)         =   416.80
//	D02   720.00 + 1,440.00 + 987.60 − 1,573.80 (V2 50%), + D0201            = 1,990.60
//	V1    gross 1,486.67 − 15.48 − 29.73 = 1,441.46;  V2 3,275.60 − 1,637.80 = 1,637.80
//	district 1,088.66 + 1,990.60 = 1,441.46 + 1,637.80 = 3,079.26
func TestHandMonth(t *testing.T) {
	m, err := statements.Load(context.Background(), handMonth(), nov, fixedNow)
	require.NoError(t, err)
	st := statements.Build(m)
	require.NoError(t, st.Check())

	deps := map[string]string{}
	for _, d := range st.Departments {
		deps[string(d.Department.ID)] = money.Plain(d.Total)
	}
	assert.Equal(t, map[string]string{"D01": "1088.66", "D02": "1990.60", "D0201": "416.80"}, deps)

	vens := map[string][4]string{}
	for _, v := range st.Vendors {
		vens[string(v.Vendor.ID)] = [4]string{money.Plain(v.Gross), money.Plain(v.Adjustments), money.Plain(v.Deduction), money.Plain(v.Net)}
	}
	assert.Equal(t, map[string][4]string{
		"V1": {"1486.67", "-15.48", "-29.73", "1441.46"},
		"V2": {"3275.60", "0.00", "-1637.80", "1637.80"},
	}, vens)
	assert.Equal(t, "3079.26", money.Plain(st.Summary.Total))
	assert.Equal(t, "叁仟零柒拾玖元贰角陆分", money.Capitals(st.Summary.Total))

	t.Run("department D02 holds its subordinate unit as a section", func(t *testing.T) {
		d := st.Departments[1]
		require.Equal(t, "D02", string(d.Department.ID))
		require.Len(t, d.Units, 2)
		assert.Equal(t, "1573.80", money.Plain(d.Units[0].Subtotal))
		assert.Equal(t, "416.80", money.Plain(d.Units[1].Subtotal))
		assert.Len(t, d.Units[1].Unfunded, 1)
		assert.Len(t, d.Units[1].Deductions, 2)
		sub := st.Departments[2]
		require.NotNil(t, sub.Parent)
		assert.Equal(t, "D02", string(sub.Parent.ID))
	})
	t.Run("breakdowns add up to the total", func(t *testing.T) {
		for _, d := range st.Departments {
			for name, rows := range map[string][]statements.Subtotal{"project": d.ByProject, "zone": d.ByZone, "category": d.ByCategory} {
				s := money.Sum()
				for _, r := range rows {
					s = s.Add(r.Amount)
				}
				assert.True(t, s.Equal(d.Total), "%s by %s: got %s, want %s", d.Department.ID, name, s, d.Total)
			}
		}
	})
	t.Run("summary: matrix, unfunded, month on month", func(t *testing.T) {
		fs := st.Summary
		assert.Len(t, fs.Matrix, 3) // D01×V1, D02×V1 (its unit's), D02×V2; gross 1,486.67 + 3,275.60
		assert.Equal(t, "4762.27", money.Plain(fs.Totals.OM.Add(fs.Totals.New).Add(fs.Totals.Other).Sub(fs.Totals.Adjusted)))
		require.Len(t, fs.Unfunded, 1)
		assert.Equal(t, "128.00", money.Plain(fs.UnfundedTotal))
		require.Len(t, fs.MonthOnMonth, 2)
		assert.Equal(t, "88.66", money.Plain(fs.MonthOnMonth[0].Change))
		assert.Equal(t, "8.9%", fs.MonthOnMonth[0].Percent)
		assert.Equal(t, "490.60", money.Plain(fs.MonthOnMonth[1].Change))
		assert.Empty(t, fs.Pending)
	})
	t.Run("vendor year to date sums the year's rated months", func(t *testing.T) {
		v1 := st.Vendors[0]
		require.Len(t, v1.YearToDate, 2) // October and November; earlier months not rated
		assert.Equal(t, "2441.46", money.Plain(v1.YearToDateNet))
		assert.True(t, st.Vendors[1].CapApplied)
		assert.False(t, v1.CapApplied)
	})
}

// TestFinalUsesClosedMonthsOnly: a closed month's year to date and month-on-month change
// count only closed earlier months (frozen), so that a re-issue reads the same figures;
// an open month's count every rated one.
func TestFinalUsesClosedMonthsOnly(t *testing.T) {
	src := handMonth()
	closeHand(src, true) // November closed, October rated but open
	m, err := statements.Load(context.Background(), src, nov, fixedNow)
	require.NoError(t, err)
	st := statements.Build(m)
	require.Len(t, st.Vendors[0].YearToDate, 1)
	assert.Equal(t, "1441.46", money.Plain(st.Vendors[0].YearToDateNet))
	assert.False(t, st.Summary.PreviousRated)

	open := handMonth()
	m, err = statements.Load(context.Background(), open, nov, fixedNow)
	require.NoError(t, err)
	st = statements.Build(m)
	require.Len(t, st.Vendors[0].YearToDate, 2)
	assert.True(t, st.Summary.PreviousRated)
}

// TestJanuary: the month-on-month change of January compares with December of the year
// before; its year to date is January alone.
func TestJanuary(t *testing.T) {
	jan, dec := calendar.MustPeriod("2027-01"), calendar.MustPeriod("2026-12")
	src := handMonth()
	relabel := func(ls []rating.Line, p calendar.Period) []rating.Line {
		out := make([]rating.Line, len(ls))
		for i, l := range ls {
			l.Period = p
			out[i] = l
		}
		return out
	}
	src.lines = map[calendar.Period][]rating.Line{jan: relabel(src.lines[nov], jan), dec: relabel(src.lines[calendar.MustPeriod("2026-10")], dec)}
	src.deductions = map[calendar.Period][]rating.VendorDeduction{}
	m, err := statements.Load(context.Background(), src, jan, fixedNow)
	require.NoError(t, err)
	st := statements.Build(m)
	require.True(t, st.Summary.PreviousRated)
	require.Len(t, st.Summary.MonthOnMonth, 2)
	assert.Equal(t, "88.66", money.Plain(st.Summary.MonthOnMonth[0].Change))
	require.Len(t, st.Vendors[0].YearToDate, 1)
	assert.Equal(t, jan, st.Vendors[0].YearToDate[0].Period)
}
