package schedule

// The record of one run of a scheduled job (the daily provisional rating, the monthly
// close, the idle jobs, the backup): what the scheduler writes, the store keeps (table
// job_runs) and `cloudbill status` reads.

import (
	"time"

	"cloudbill/internal/calendar"
)

// JobStatus is how a scheduled job run ended.
type JobStatus string

const (
	JobOK     JobStatus = "ok"     // done
	JobFailed JobStatus = "failed" // stopped on an error (Error says which)
)

// JobRun records one completed run of a scheduled job.
type JobRun struct {
	// Job is the job's name: "rate" (daily provisional rating), "close" (monthly close
	// and statements), a Job's name ("idle-analyze", "idle-follow", "backup"), or
	// "collect:<vendor>" (a collector's pass, recorded by the collectors themselves).
	Job    string
	Period calendar.Period
	// Trigger is what started it: "schedule" (a cron tick) or "catch-up" (on start).
	Trigger    string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     JobStatus
	// Detail says what the run did in words ("closed", "already closed", …).
	Detail string
	Error  string
}
