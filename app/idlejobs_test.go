package app

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
)

// A tick analyses the day before it; a catch-up the previous month's last day (in
// Asia/Shanghai: 1 Dec 01:00 there is still 30 Nov in UTC).
func TestIdleAnalysisDay(t *testing.T) {
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, calendar.Shanghai())
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	assert.Equal(t, "2026-11-30", IdleAnalysisDay(at("2026-12-01 04:00"), false).String())
	assert.Equal(t, "2026-11-30", IdleAnalysisDay(at("2026-12-01 01:00"), false).String())
	assert.Equal(t, "2026-12-14", IdleAnalysisDay(at("2026-12-15 04:00"), false).String())
	assert.Equal(t, "2026-11-30", IdleAnalysisDay(at("2026-12-15 04:00"), true).String())
	assert.Equal(t, "2025-12-31", IdleAnalysisDay(at("2026-01-01 00:30"), true).String())
}

// The previous month's analysis is owed until a run for that month ended ok (a failed run
// or a run of another month does not count).
func TestIdleAnalysisDue(t *testing.T) {
	now := time.Date(2026, 12, 15, 4, 0, 0, 0, calendar.Shanghai())
	nov, oct := calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-10")
	assert.True(t, IdleAnalysisDue(nil, now))
	assert.True(t, IdleAnalysisDue([]jobrun.Run{{Period: nov, Status: jobrun.Failed}, {Period: oct, Status: jobrun.OK}}, now))
	assert.False(t, IdleAnalysisDue([]jobrun.Run{{Period: nov, Status: jobrun.Failed}, {Period: nov, Status: jobrun.OK}}, now))
}
