package main

import (
	"context"
	"log/slog"
	"time"

	usecase "cloudbill/app"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/schedule"
	chstore "cloudbill/sql"
)

// Idle-resource jobs of serve, as recorded in job_runs.
const (
	jobIdleAnalyze = "idle-analyze"
	jobIdleFollow  = "idle-follow"
)

// Default idle schedules (Asia/Shanghai).
const (
	defaultIdleAnalyzeSpec = "0 4 1 * *"  // the 1st of every month at 04:00: the analysis of the previous month's last day
	defaultIdleFollowSpec  = "30 4 * * *" // every day at 04:30: deadlines followed
)

// idleSettings are serve's idle flags.
type idleSettings struct {
	analyze, follow string
	interval        time.Duration
	webhook         string
	webhookCreds    string
}

// idleServeFlags declares serve's idle flags on fs, into set.
func idleServeFlags(fs *flagSet, set *idleSettings) {
	fs.StringVar(&set.analyze, "idle-schedule", defaultIdleAnalyzeSpec,
		"cron `spec` (Asia/Shanghai) of the monthly idle analysis (of the day before it runs: the previous month's last day); \"off\": none")
	fs.StringVar(&set.follow, "idle-follow-schedule", defaultIdleFollowSpec,
		"cron `spec` (Asia/Shanghai) of the daily follow-up of idle cases' deadlines; \"off\": none")
	fs.DurationVar(&set.interval, "idle-interval", 15*time.Minute, "expected `interval` of cpu_util and mem_util samples")
	fs.StringVar(&set.webhook, "idle-webhook", "", "`URL` of the multi-cloud management system's webhook for idle case events (none: not sent; no redirect is followed)")
	fs.StringVar(&set.webhookCreds, "idle-webhook-credentials-file", "", "`file` holding the idle webhook's user:password (HTTP basic authentication; never in the URL)")
}

// idleJobsOf are serve's idle jobs (a job switched "off" is left out by the scheduler):
//   - idle-analyze: a tick analyses the day before it (on the 1st: the previous month's
//     last day); on start, the previous month's last day unless job_runs holds a
//     successful analysis of that month;
//   - idle-follow: the open cases followed on the day of the tick, and on start.
//
// With a webhook the pending case events are delivered after each run.
func idleJobsOf(a *app, s *chstore.Store, uc *usecase.App, set idleSettings, log *slog.Logger) ([]schedule.Job, error) {
	iv, err := idle.IntervalOf(set.interval)
	if err != nil {
		return nil, usagef("--idle-interval: %v", err)
	}
	var after func(ctx context.Context)
	if set.webhook != "" {
		wh, err := webhookOf(set.webhook, set.webhookCreds)
		if err != nil {
			return nil, usagef("--idle-webhook: %v", err)
		}
		after = func(ctx context.Context) {
			rep, err := uc.DeliverIdleEvents(ctx, wh)
			if err != nil {
				log.Error("idle webhook", "component", "schedule", "error", err)
				return
			}
			log.Info("idle webhook", "component", "schedule", "delivered", rep.Delivered, "rejected", rep.Rejected, "given_up", rep.GaveUp, "waiting", rep.Waiting)
		}
	}
	return []schedule.Job{
		{
			Name: jobIdleAnalyze, Spec: set.analyze, Setting: "--idle-schedule", Group: "idle", After: after,
			Run: func(ctx context.Context, trigger string) (calendar.Period, string, error) {
				d := usecase.IdleAnalysisDay(a.now(), trigger == schedule.TriggerCatchUp)
				res, rec, err := uc.AnalyzeIdle(ctx, usecase.IdleAnalysis{Date: d, Interval: iv})
				if err != nil {
					return d.Period(), "", err
				}
				return d.Period(), usecase.IdleAnalysisDetail(d, res, rec), nil
			},
			CatchUp: func(ctx context.Context) (bool, error) {
				runs, err := s.JobRuns(ctx, jobIdleAnalyze)
				if err != nil {
					return false, err
				}
				return usecase.IdleAnalysisDue(runs, a.now()), nil
			},
		},
		{
			Name: jobIdleFollow, Spec: set.follow, Setting: "--idle-follow-schedule", Group: "idle", After: after,
			Run: func(ctx context.Context, _ string) (calendar.Period, string, error) {
				d := calendar.LocalDate(a.now())
				changed, err := uc.FollowIdle(ctx, d)
				if err != nil {
					return d.Period(), "", err
				}
				return d.Period(), usecase.IdleFollowDetail(d, changed), nil
			},
			CatchUp: func(context.Context) (bool, error) { return true, nil },
		},
	}, nil
}
