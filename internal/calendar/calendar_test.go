package calendar

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeriodDays(t *testing.T) {
	cases := []struct {
		period string
		days   int
	}{
		{"2026-02", 28}, {"2028-02", 29}, {"2100-02", 28}, {"2000-02", 29},
		{"2026-11", 30}, {"2026-12", 31}, {"2026-01", 31},
	}
	for _, c := range cases {
		t.Run(c.period, func(t *testing.T) {
			p, err := ParsePeriod(c.period)
			require.NoError(t, err)
			assert.Equal(t, c.days, p.Days())
			assert.Equal(t, c.period, p.String())
			assert.Equal(t, p, PeriodOfKey(p.Key()))
		})
	}
}

func TestParseRejects(t *testing.T) {
	for _, s := range []string{"2026-02-30", "2026/01/01", "26-01-01", "", "2026-13-01"} {
		_, err := ParseDate(s)
		assert.Error(t, err, s)
	}
	for _, s := range []string{"2026-13", "2026-1", "202611", "x"} {
		_, err := ParsePeriod(s)
		assert.Error(t, err, s)
	}
}

func TestDateArithmetic(t *testing.T) {
	d := MustDate("2026-12-31")
	assert.Equal(t, MustDate("2027-01-01"), d.AddDays(1))
	assert.Equal(t, MustPeriod("2027-01"), MustPeriod("2026-12").Next())
	assert.Equal(t, MustPeriod("2025-12"), MustPeriod("2026-01").Prev())
	assert.Equal(t, MustPeriod("2025-01"), MustPeriod("2026-01").YearBefore())
	assert.Equal(t, MustPeriod("2025-12"), MustPeriod("2026-12").YearBefore())
	assert.Equal(t, 59, MustDate("2028-01-01").DaysUntil(MustDate("2028-02-29")))
	assert.True(t, MustDate("2026-01-02").After(MustDate("2026-01-01")))
	assert.Equal(t, MustDate("2028-02-29"), MustPeriod("2028-02").Last())
}
