package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	usecase "cloudbill/app"
	"cloudbill/internal/calendar"
	"cloudbill/internal/webhook"
	"cloudbill/monthclose"
	"cloudbill/schedule"
)

// scheduleSettings are serve's schedule flags.
type scheduleSettings struct {
	rate, close   string // cron specs
	statementsOut string // "" → <data-dir>/statements
	rules         string // refused: rules are stored (cloudbill rules import)
	// budgetWebhook: the budget warnings are posted there after each scheduled rating.
	budgetWebhook, budgetWebhookCreds string
}

// scheduleFlags declares serve's schedule flags on fs, into set.
func scheduleFlags(fs *flagSet, set *scheduleSettings) {
	fs.StringVar(&set.close, "close-schedule", schedule.DefaultCloseSpec,
		"cron `spec` (Asia/Shanghai) of the close of the previous month and its statements; \"off\": none")
	fs.StringVar(&set.rate, "rate-schedule", schedule.DefaultRateSpec,
		"cron `spec` (Asia/Shanghai) of the provisional rating of the current month; \"off\": none")
	fs.StringVar(&set.statementsOut, "statements-out", "",
		"`directory` for the statements of the months the schedule closes (default: <data-dir>/statements)")
	fs.StringVar(&set.rules, "rules", "",
		"no longer taken: the scheduled ratings use the stored rules ('cloudbill rules import FILE --effective YYYY-MM')")
	fs.StringVar(&set.budgetWebhook, "budget-webhook", "",
		"`URL` of the multi-cloud management system's webhook for budget warnings, posted after each scheduled rating (none: not sent; no redirect is followed)")
	fs.StringVar(&set.budgetWebhookCreds, "budget-webhook-credentials-file", "",
		"`file` holding the budget webhook's user:password (HTTP basic authentication; never in the URL)")
}

// jobSettings are the settings of every job of serve's one scheduler.
type jobSettings struct {
	Schedule scheduleSettings // the month's rating and close
	Idle     idleSettings     // the idle analysis and follow-up
	Backup   backupSettings   // the scheduled backup (none without a directory)
	// Collectors are the collectors' passes (collectorJobs), with times of their own.
	Collectors []schedule.Job
}

// startScheduler starts serve's one scheduler: the month's rating and close, the idle
// jobs, the backup and the collectors' passes, each a named entry recorded in job_runs. Stop stops it and waits
// for a running job to end. A bad cron spec or rules file is a usage error (exit 2).
// Catching up (missed closes, the idle jobs) runs in the background.
func startScheduler(ctx context.Context, a *app, set jobSettings, log *slog.Logger) (*schedule.Scheduler, error) {
	cfg := schedule.Config{RateSpec: set.Schedule.rate, CloseSpec: set.Schedule.close}
	if err := cfg.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	if set.Schedule.rules != "" {
		return nil, errRulesFlag("serve")
	}
	var budgetHook *webhook.Endpoint
	if set.Schedule.budgetWebhook != "" {
		ep, err := endpointOf(set.Schedule.budgetWebhook, set.Schedule.budgetWebhookCreds)
		if err != nil {
			return nil, usagef("--budget-webhook: %v", err)
		}
		budgetHook = &ep
	}
	s, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	uc, err := a.useCases(ctx)
	if err != nil {
		return nil, err
	}
	out := set.Schedule.statementsOut
	if out == "" {
		out = filepath.Join(a.dataDir, "statements")
	}
	idleJobs, err := idleJobsOf(a, s, uc, set.Idle, log)
	if err != nil {
		return nil, err
	}
	params := schedule.Params{
		Config: cfg,
		Store:  s,
		Rate: func(ctx context.Context, p calendar.Period) error {
			res, err := uc.Rate(ctx, p)
			if res.Incomplete != nil {
				log.Warn("usage incomplete", "component", "schedule", "period", p.String(), "missing", strings.Join(res.Incomplete.Missing, "; "))
			}
			if err != nil {
				return err
			}
			deliverBudgetWarnings(ctx, s, budgetHook, a.now, log.With("component", "schedule"))
			return nil
		},
		// a month with collector windows missing is not closed by the schedule (close
		// --allow-incomplete by hand)
		Close: func(ctx context.Context, p calendar.Period) (monthclose.Result, error) {
			res, err := uc.Close(ctx, usecase.CloseRequest{Period: p, By: "schedule", Wait: 10 * time.Minute})
			return res.Result, err
		},
		Issue: func(ctx context.Context, p calendar.Period) error {
			_, err := uc.IssueStatements(ctx, p, usecase.IssueOptions{Dir: out})
			return err
		},
		Jobs: append(append(idleJobs, backupJobs(a, set.Backup)...), set.Collectors...),
		Now:  a.now,
		Log:  log.With("component", "schedule"),
	}
	if err := params.Validate(); err != nil {
		return nil, usagef("%v", err)
	}
	sched, err := schedule.New(params)
	if err != nil {
		return nil, err
	}
	sched.Start(ctx)
	return sched, nil
}
