// Package jobrun is the record of one run of a scheduled job (the daily provisional
// rating, the monthly close, the idle jobs, the backup, a collector's pass): what the
// scheduler (package schedule) writes, the store keeps (table job_runs), and `cloudbill
// status` and the portal's operations page read. It is a package of its own so that its
// readers do not depend on the scheduler and its cron library.
package jobrun

import (
	"time"

	"cloudbill/internal/calendar"
)

// Status is how a scheduled job run ended.
type Status string

const (
	OK     Status = "ok"     // done
	Failed Status = "failed" // stopped on an error (Error says which)
)

// Run records one completed run of a scheduled job.
type Run struct {
	// Job is the job's name: "rate" (daily provisional rating), "close" (monthly close
	// and statements), a Job's name ("idle-analyze", "idle-follow", "backup"), or
	// "collect:<vendor>" (a collector's pass, recorded by the collectors themselves).
	Job    string
	Period calendar.Period
	// Trigger is what started it: "schedule" (a cron tick) or "catch-up" (on start).
	Trigger    string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     Status
	// Detail says what the run did, as data: a code and its values (Detail, DetailCode);
	// a run recorded before details were data holds free text.
	Detail string
	Error  string
}
