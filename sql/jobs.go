package chstore

import (
	"context"
	"fmt"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
)

// The store keeps package schedule's record of job runs (jobrun.Run) in table
// job_runs.

// InsertJobRun records a completed job run.
func (s *Store) InsertJobRun(ctx context.Context, r jobrun.Run) error {
	if err := s.insertOne(ctx, jobRunInsert{r}); err != nil {
		return fmt.Errorf("record %s job of %s: %w", r.Job, r.Period, err)
	}
	return nil
}

// jobRunInsert records a completed job run.
type jobRunInsert struct{ r jobrun.Run }

func (q jobRunInsert) toSQL() (string, []any) {
	r := q.r
	return "INSERT INTO job_runs (job, period, trigger, started_at, finished_at, status, detail, error)",
		[]any{r.Job, r.Period.Key(), r.Trigger, r.StartedAt.UTC(), r.FinishedAt.UTC(), string(r.Status), r.Detail, r.Error}
}

// jobRunsQuery reads the recorded runs of job ("" for every job), oldest first.
type jobRunsQuery struct {
	job string
}

func (q jobRunsQuery) toSQL() (string, []any) {
	sql := "SELECT job, period, trigger, started_at, finished_at, status, detail, error FROM job_runs"
	var args []any
	if q.job != "" {
		sql += " WHERE job = ?"
		args = append(args, q.job)
	}
	return sql + " ORDER BY started_at, job, period", args
}

func (q jobRunsQuery) scan(rows driver.Rows) ([]jobrun.Run, error) {
	var out []jobrun.Run
	for rows.Next() {
		var (
			r      jobrun.Run
			key    uint32
			status string
		)
		if err := rows.Scan(&r.Job, &key, &r.Trigger, &r.StartedAt, &r.FinishedAt, &status, &r.Detail, &r.Error); err != nil {
			return nil, err
		}
		r.Period = calendar.PeriodOfKey(key)
		r.Status = jobrun.Status(status)
		out = append(out, r)
	}
	return out, rows.Err()
}

// JobRuns returns the recorded runs of job ("" for every job), oldest first.
func (s *Store) JobRuns(ctx context.Context, job string) ([]jobrun.Run, error) {
	out, err := runQuery(ctx, s.conn, jobRunsQuery{job: job})
	if err != nil {
		return nil, fmt.Errorf("read job runs: %w", err)
	}
	return out, nil
}
