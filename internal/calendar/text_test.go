package calendar

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTextRoundTrip(t *testing.T) {
	type doc struct {
		Period Period          `json:"period"`
		Date   Date            `json:"date"`
		Zero   Date            `json:"zero"`
		ByDate map[Date]int    `json:"by_date"`
		ByMon  map[Period]bool `json:"by_month"`
	}
	in := doc{
		Period: MustPeriod("2028-02"),
		Date:   MustDate("2028-02-29"),
		ByDate: map[Date]int{MustDate("2026-01-01"): 1},
		ByMon:  map[Period]bool{MustPeriod("2026-12"): true},
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"period":"2028-02","date":"2028-02-29","zero":"","by_date":{"2026-01-01":1},"by_month":{"2026-12":true}}`, string(b))

	var out doc
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in.Period, out.Period)
	assert.Equal(t, in.Date, out.Date)
	assert.True(t, out.Zero.IsZero(), "zero date came back as %v", out.Zero)
	assert.Equal(t, in.ByDate, out.ByDate)
	assert.Equal(t, in.ByMon, out.ByMon)
}

func TestTextRejects(t *testing.T) {
	cases := []struct {
		name, json string
		into       any
		want       string
	}{
		{"impossible date", `"2026-02-30"`, new(Date), `date "2026-02-30" is not YYYY-MM-DD`},
		{"date with time", `"2026-02-01T00:00:00Z"`, new(Date), "not YYYY-MM-DD"},
		{"period with day", `"2026-02-01"`, new(Period), `period "2026-02-01" is not YYYY-MM`},
		{"month 13", `"2026-13"`, new(Period), "not YYYY-MM"},
		{"date as number", `20260201`, new(Date), "cannot unmarshal number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := json.Unmarshal([]byte(c.json), c.into)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}
