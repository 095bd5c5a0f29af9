package jobrun_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/schedule/jobrun"
)

// TestEnglish: a detail stored as data reads in English as `cloudbill status` printed it
// before details were data; free text prints as stored; every code has its words.
func TestEnglish(t *testing.T) {
	for _, tt := range []struct{ stored, want string }{
		{jobrun.Detail(jobrun.DetailRated), "rated"},
		{jobrun.Detail(jobrun.DetailRateClosed), "closed; not re-rated"},
		{jobrun.Detail(jobrun.DetailAlreadyClosed), "already closed"},
		{jobrun.Detail(jobrun.DetailNothingDue, "period", "2026-11"), "nothing closed: no month has been closed yet and 2026-11 has no rated lines (close it by hand: cloudbill close --period 2026-11)"},
		{jobrun.Detail(jobrun.DetailClosed, "lines", "1930", "total", "1043194.81", "hash", "ab12", "issued", "1"), "closed: 1930 lines, total 1043194.81, hash ab12; statements issued"},
		{jobrun.Detail(jobrun.DetailClosed, "lines", "3", "total", "1.00", "hash", "h"), "closed: 3 lines, total 1.00, hash h"},
		{jobrun.Detail(jobrun.DetailIdleAnalysis, "date", "2026-11-30", "over", "55", "saving", "137154.00", "opened", "2", "excluded", "0"),
			"analysis of 2026-11-30: 55 departments over, monthly saving 137154.00, 2 cases opened, 0 samples excluded"},
		{jobrun.Detail(jobrun.DetailIdleFollow, "date", "2026-12-06", "resolved", "1", "overdue", "2"), "follow-up of 2026-12-06: 1 resolved, 2 overdue"},
		{jobrun.Detail(jobrun.DetailBackup, "dir", "/b/cloudbill-20261206-010000", "tables", "41", "rows", "100", "bytes", "2048", "took", "1.5s", "removed", "0"),
			"/b/cloudbill-20261206-010000: 41 tables, 100 rows, 2048 bytes in 1.5s; 0 old backups removed"},
		{jobrun.Detail(jobrun.DetailCollect, "windows", "4", "collected", "3", "partial", "1", "failed", "0", "samples", "90", "duplicates", "2"),
			"4 windows: 3 collected, 1 partial, 0 failed; 90 samples (2 already stored with the same value)"},
		{"closed: 3 lines, total 1.00, hash h", "closed: 3 lines, total 1.00, hash h"},
		{"", ""},
	} {
		assert.Equal(t, tt.want, jobrun.DetailEnglish(tt.stored), tt.stored)
	}
	for _, c := range jobrun.DetailCodes() {
		assert.NotEqual(t, jobrun.Detail(c), jobrun.DetailEnglish(jobrun.Detail(c)), "no English for %q", c)
	}
}
