// Package jobrun is the record of one run of a scheduled job (the daily provisional
// rating, the monthly close): what the scheduler writes and `cloudbill status` reads. It
// is its own small package so that the scheduler and the store that keeps the records
// (table job_runs) share the type without either importing the other.
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
	// Job is the job's name: "rate" (daily provisional rating) or "close" (monthly close
	// and statements).
	Job    string
	Period calendar.Period
	// Trigger is what started it: "schedule" (a cron tick) or "catch-up" (on start).
	Trigger    string
	StartedAt  time.Time
	FinishedAt time.Time
	Status     Status
	// Detail says what the run did in words ("closed", "already closed", …).
	Detail string
	Error  string
}
