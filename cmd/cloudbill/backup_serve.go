package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/robfig/cron/v3"

	"cloudbill/backup"
	"cloudbill/internal/calendar"
	"cloudbill/sql"
)

// jobBackup is the scheduled backup's name in job_runs.
const jobBackup = "backup"

// backupSettings are serve's scheduled backups (docs/backup.md).
type backupSettings struct {
	dir, spec, samples string
	keep               int
}

func backupServeFlags(fs *flagSet, set *backupSettings) {
	fs.StringVar(&set.dir, "backup-dir", "", "`directory` of scheduled backups (ROOT/cloudbill-YYYYMMDD-HHMMSS; docs/backup.md); none: no scheduled backup")
	fs.StringVar(&set.spec, "backup-schedule", "0 1 * * *", "cron `spec` (Asia/Shanghai) of the scheduled backup (with --backup-dir)")
	fs.IntVar(&set.keep, "backup-keep", 7, "complete scheduled backups kept (older ones are removed)")
	fs.StringVar(&set.samples, "backup-samples", "all", "usage samples in a scheduled backup: all, none, YYYY-MM or YYYY-MM..YYYY-MM")
}

func (set backupSettings) validate() error {
	if set.dir == "" {
		return nil
	}
	if _, err := backup.ParseSamples(set.samples); err != nil {
		return fmt.Errorf("--backup-samples: %v", err)
	}
	if set.keep < 1 {
		return fmt.Errorf("--backup-keep %d: keep at least one", set.keep)
	}
	if _, err := cron.ParseStandard(set.spec); err != nil {
		return fmt.Errorf("--backup-schedule %q: %v", set.spec, err)
	}
	return nil
}

// scheduledBackup is the scheduled job: one backup into a new directory under the root,
// then the retention. A plain function: the scheduler calls it and records its run.
func scheduledBackup(ctx context.Context, a *app, set backupSettings) (detail string, err error) {
	sm, err := backup.ParseSamples(set.samples)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(set.dir, 0o750); err != nil {
		return "", err
	}
	dir := filepath.Join(set.dir, backup.Name(a.now()))
	m, took, err := takeBackup(ctx, a, dir, sm)
	if err != nil {
		return "", err
	}
	removed, err := backup.Prune(set.dir, set.keep)
	if err != nil {
		return "", fmt.Errorf("retention: %w", err)
	}
	var rows, bytes int64
	for _, t := range m.Tables {
		rows, bytes = rows+t.Rows, bytes+t.Bytes
	}
	return fmt.Sprintf("%s: %d tables, %d rows, %d bytes in %s; %d old backups removed", dir, len(m.Tables), rows, bytes, took.Round(time.Millisecond), len(removed)), nil
}

// startBackups schedules the backups inside serve (nothing without --backup-dir); stop
// waits for a running one.
func startBackups(ctx context.Context, a *app, s *chstore.Store, set backupSettings, logf func(string, ...any)) (stop func(), err error) {
	if set.dir == "" {
		return func() {}, nil
	}
	c := cron.New(cron.WithLocation(calendar.Shanghai), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(set.spec, func() {
		run := chstore.JobRun{Job: jobBackup, Period: calendar.LocalDate(a.now()).Period(), Trigger: "schedule", StartedAt: a.now()}
		detail, err := scheduledBackup(ctx, a, set)
		run.FinishedAt, run.Status, run.Detail = a.now(), chstore.JobOK, detail
		if err != nil {
			run.Status, run.Error = chstore.JobFailed, err.Error()
		}
		logf("%s (%s): %s %s%s", run.Job, run.Trigger, run.Status, run.Detail, run.Error)
		if err := s.InsertJobRun(context.WithoutCancel(ctx), run); err != nil {
			logf("%s: record: %v", run.Job, err)
		}
	}); err != nil {
		return nil, usagef("--backup-schedule %q: %v", set.spec, err)
	}
	c.Start()
	logf("backups into %s on %q, keeping %d", set.dir, set.spec, set.keep)
	return func() { <-c.Stop().Done() }, nil
}
