package app

import (
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
)

// What the scheduler's idle analysis owes (serve's idle-analyze job; the job's runs are
// recorded in job_runs).

// IdleAnalysisDay is the day a scheduled idle analysis at now covers: the day before (a
// tick on the 1st analyses the previous month's last day); a catch-up run on start
// analyses the previous month's last day.
func IdleAnalysisDay(now time.Time, catchUp bool) calendar.Date {
	today := calendar.LocalDate(now)
	if catchUp {
		return today.Period().Prev().Last()
	}
	return today.AddDays(-1)
}

// IdleAnalysisDue reports whether the previous month's idle analysis is owed at now: no
// run of it (runs: the idle-analyze job's) for that month ended ok.
func IdleAnalysisDue(runs []jobrun.Run, now time.Time) bool {
	p := calendar.LocalDate(now).Period().Prev()
	for _, r := range runs {
		if r.Period == p && r.Status == jobrun.OK {
			return false
		}
	}
	return true
}
