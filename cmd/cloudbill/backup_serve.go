package main

import (
	"context"
	"fmt"
	"path/filepath"

	"cloudbill/backup"
	"cloudbill/internal/calendar"
	"cloudbill/schedule"
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
	if err := schedule.CheckSpec(set.spec); err != nil {
		return fmt.Errorf("--backup-schedule %q: %v", set.spec, err)
	}
	return nil
}

// scheduledBackup is the scheduled job (backup.Scheduled) with serve's settings. A plain
// function: the scheduler calls it and records its run.
func scheduledBackup(ctx context.Context, a *app, set backupSettings) (detail string, err error) {
	sm, err := backup.ParseSamples(set.samples)
	if err != nil {
		return "", err
	}
	store, err := a.Store(ctx)
	if err != nil {
		return "", err
	}
	return backup.Scheduled(ctx, backup.ScheduledParams{Root: set.dir, Keep: set.keep, Params: backup.Params{
		Store: store, Database: store.Database(), SpoolDir: filepath.Join(a.dataDir, "spool"), Samples: sm, Now: a.now}})
}

// backupJobs is serve's scheduled backup, a job of the one scheduler (none without
// --backup-dir; "off": none either), recorded under the month it runs in.
func backupJobs(a *app, set backupSettings) []schedule.Job {
	if set.dir == "" {
		return nil
	}
	return []schedule.Job{{
		Name: jobBackup, Spec: set.spec, Setting: "--backup-schedule",
		Run: func(ctx context.Context, _ string) (calendar.Period, string, error) {
			p := calendar.LocalDate(a.now()).Period()
			detail, err := scheduledBackup(ctx, a, set)
			return p, detail, err
		},
	}}
}
