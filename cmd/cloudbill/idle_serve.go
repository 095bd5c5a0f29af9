package main

import (
	"context"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	usecase "cloudbill/app"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
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

// idleJobs runs the idle analysis and the follow-up; one at a time.
type idleJobs struct {
	a        *app
	s        *chstore.Store
	uc       *usecase.App
	interval idle.Seconds
	webhook  *idle.Webhook
	logf     func(string, ...any)
	mu       sync.Mutex
}

// startIdleJobs starts the idle schedule inside serve; it catches up on start (the
// previous month's analysis if not recorded as done, and today's follow-up) in the
// background. stop waits for a running job.
func startIdleJobs(ctx context.Context, a *app, s *chstore.Store, set idleSettings, logf func(string, ...any)) (stop func(), err error) {
	iv, err := intervalSeconds(set.interval)
	if err != nil {
		return nil, usagef("--idle-interval: %v", err)
	}
	var wh *idle.Webhook
	if set.webhook != "" {
		w, err := webhookOf(set.webhook, set.webhookCreds)
		if err != nil {
			return nil, usagef("--idle-webhook: %v", err)
		}
		wh = &w
	}
	uc, err := a.useCases(ctx)
	if err != nil {
		return nil, err
	}
	j := &idleJobs{a: a, s: s, uc: uc, interval: iv, webhook: wh, logf: logf}
	c := cron.New(cron.WithLocation(calendar.Shanghai), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	for _, e := range []struct {
		spec, name string
		run        func(context.Context, string)
	}{{set.analyze, "--idle-schedule", j.analyzeDue}, {set.follow, "--idle-follow-schedule", j.follow}} {
		if e.spec == "off" {
			continue
		}
		run := e.run
		if _, err := c.AddFunc(e.spec, func() { run(ctx, "schedule") }); err != nil {
			return nil, usagef("%s %q: %v", e.name, e.spec, err)
		}
	}
	c.Start()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if set.analyze != "off" {
			j.catchUp(ctx)
		}
		if set.follow != "off" {
			j.follow(ctx, "catch-up")
		}
	}()
	return func() {
		<-c.Stop().Done()
		wg.Wait()
	}, nil
}

// analyzeDue analyses the day before today (a cron tick on the 1st: the last day of the
// previous month).
func (j *idleJobs) analyzeDue(ctx context.Context, trigger string) {
	j.analyze(ctx, calendar.LocalDate(j.a.now()).AddDays(-1), trigger)
}

// catchUp runs the analysis of the previous month's last day unless job_runs holds a
// successful one.
func (j *idleJobs) catchUp(ctx context.Context) {
	d := calendar.LocalDate(j.a.now()).Period().Prev().Last()
	runs, err := j.s.JobRuns(ctx, jobIdleAnalyze)
	if err != nil {
		j.logf("idle: catch-up: %v", err)
		return
	}
	for _, r := range runs {
		if r.Period == d.Period() && r.Status == chstore.JobOK {
			return
		}
	}
	j.analyze(ctx, d, "catch-up")
}

func (j *idleJobs) analyze(ctx context.Context, d calendar.Date, trigger string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	run := chstore.JobRun{Job: jobIdleAnalyze, Period: d.Period(), Trigger: trigger, StartedAt: j.a.now()}
	res, rec, err := j.uc.AnalyzeIdle(ctx, usecase.IdleAnalysis{Date: d, Interval: j.interval})
	if err == nil {
		run.Detail = usecase.IdleAnalysisDetail(d, res, rec)
	}
	j.record(ctx, run, err)
}

func (j *idleJobs) follow(ctx context.Context, trigger string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	d := calendar.LocalDate(j.a.now())
	run := chstore.JobRun{Job: jobIdleFollow, Period: d.Period(), Trigger: trigger, StartedAt: j.a.now()}
	changed, err := j.uc.FollowIdle(ctx, d)
	if err == nil {
		run.Detail = usecase.IdleFollowDetail(d, changed)
	}
	j.record(ctx, run, err)
}

// record writes the job run, then delivers the pending case events when a webhook is set.
func (j *idleJobs) record(ctx context.Context, run chstore.JobRun, err error) {
	run.FinishedAt, run.Status = j.a.now(), chstore.JobOK
	if err != nil {
		run.Status, run.Error = chstore.JobFailed, err.Error()
	}
	j.logf("%s (%s): %s %s%s", run.Job, run.Trigger, run.Status, run.Detail, run.Error)
	if err := j.s.InsertJobRun(context.WithoutCancel(ctx), run); err != nil {
		j.logf("%s: record: %v", run.Job, err)
	}
	if j.webhook == nil || ctx.Err() != nil {
		return
	}
	rep, err := j.uc.DeliverIdleEvents(ctx, *j.webhook)
	if err != nil {
		j.logf("idle webhook: %v", err)
		return
	}
	j.logf("idle webhook: %d delivered, %d rejected, %d given up, %d waiting", rep.Delivered, rep.Rejected, rep.GaveUp, rep.Waiting)
}
