// Package schedule is the one scheduler of `cloudbill serve`: every periodic job runs
// from its cron entry, in Asia/Shanghai time, with github.com/robfig/cron/v3, and every
// completed run is recorded under the job's name (table job_runs). The month's jobs are
// built in:
//
//   - "rate": the provisional rating of the current month (default daily at 03:00), so that
//     breakdowns are fresh; it first retries any close still due (see RateJob);
//   - "close": the close of the previous month and its statements (default at 02:00 on the
//     1st), preceded by a final rating of that month.
//
// The others come in as Jobs (Params.Jobs): serve gives the idle analysis
// ("idle-analyze"), the idle follow-up ("idle-follow"), the backup ("backup") and, with
// times of their own (Job.Next), the collectors' passes ("collect:<vendor>").
//
// A job never overlaps itself: each cron entry is wrapped with cron.SkipIfStillRunning.
// The month's jobs never overlap each other either (every rate or close body, tick or
// catch-up, holds one mutex), nor do the Jobs of one Group. Cron drops ticks missed while
// the process was down, so on Start the scheduler catches up: every month after the last
// closed one and before the current month is closed, in order, once each (see CatchUp),
// and each Job that says so (Job.CatchUp) runs once.
//
// It is an adapter: the work itself (rating, closing, statements, the idle use cases, the
// backup) comes in as functions, the store as a small interface.
package schedule

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/schedule/jobrun"
)

// Default schedules (standard five-field cron specs, Asia/Shanghai).
const (
	DefaultRateSpec  = "0 3 * * *" // every day at 03:00
	DefaultCloseSpec = "0 2 1 * *" // the 1st of every month at 02:00
)

// Job names, as recorded in job_runs.
const (
	JobRate  = "rate"
	JobClose = "close"
)

// Triggers, as recorded in job_runs.
const (
	TriggerSchedule = "schedule"
	TriggerCatchUp  = "catch-up"
	TriggerRetry    = "retry" // a due close retried by the daily rating job
)

// Config is the schedule.
type Config struct {
	// RateSpec and CloseSpec are cron specs: five fields (minute hour day-of-month month
	// day-of-week) or a descriptor such as @daily, read in Asia/Shanghai. Empty: the
	// default. "off" disables the job.
	RateSpec  string
	CloseSpec string
}

// Off disables a job.
const Off = "off"

// Validate reports a spec that cannot be used, naming the setting.
func (c Config) Validate() error {
	var errs []error
	if _, err := parseSpec(c.rateSpec()); err != nil {
		errs = append(errs, fmt.Errorf("rate schedule: %w", err))
	}
	if _, err := parseSpec(c.closeSpec()); err != nil {
		errs = append(errs, fmt.Errorf("close schedule: %w", err))
	}
	return errors.Join(errs...)
}

func (c Config) rateSpec() string  { return orDefault(c.RateSpec, DefaultRateSpec) }
func (c Config) closeSpec() string { return orDefault(c.CloseSpec, DefaultCloseSpec) }

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return strings.TrimSpace(s)
}

// parser reads standard five-field specs and descriptors.
var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// parseSpec parses a cron spec; a bad one is an error, never a panic. It returns nil for
// "off". A spec that never fires (e.g. 30 February) is an error too.
func parseSpec(spec string) (sched cron.Schedule, err error) {
	if spec == Off {
		return nil, nil
	}
	if strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=") {
		return nil, fmt.Errorf("cron spec %q: no time zone prefix, please: schedules are read in Asia/Shanghai", spec)
	}
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("cron spec %q: cannot be read: %v", spec, r)
		}
	}()
	sched, err = parser.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("cron spec %q: %v (want five fields: minute hour day-of-month month day-of-week, e.g. %q)", spec, err, DefaultCloseSpec)
	}
	if sched.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, calendar.Shanghai())).IsZero() {
		return nil, fmt.Errorf("cron spec %q never fires", spec)
	}
	return sched, nil
}

// Job is a periodic job beside the month's rating and close.
type Job struct {
	// Name is the job's name in job_runs ("idle-analyze", "backup").
	Name string
	// Spec is its cron spec, read as Config's specs are; "off": the job never runs.
	Spec string
	// Setting names where Spec comes from, in errors ("--idle-schedule").
	Setting string
	// Group: the Jobs of one group never run at once (idle analysis and follow-up);
	// "": the job's own.
	Group string
	// Run does the job once; trigger is TriggerSchedule (a tick) or TriggerCatchUp. It
	// returns the month its run is recorded under and what it did, in words.
	Run func(ctx context.Context, trigger string) (p calendar.Period, detail string, err error)
	// CatchUp, when set, is asked on Start whether the job must run at once to make up for
	// ticks missed while the process was down (a job switched off never catches up).
	CatchUp func(ctx context.Context) (bool, error)
	// After, when set, runs after each run is recorded, still inside the group (the idle
	// webhook's delivery of the case events the run made).
	After func(ctx context.Context)
	// Next, when set, replaces Spec for a job whose times are its own (a collector's
	// windows come due as they end): the job runs on Start (trigger TriggerCatchUp), then
	// again at Next(now), asked after each run, until Stop. It does not hold up CaughtUp.
	Next func(now time.Time) time.Time
}

// NothingDone, returned by a Job's Run, says the run did nothing worth a record (a
// collector with no window due): it is not recorded, and After does not run.
var NothingDone = errors.New("nothing done")

// Store is what the scheduler reads and records.
type Store interface {
	// Closes lists the closed months, oldest first.
	Closes(ctx context.Context) ([]rating.Close, error)
	// LatestRun tells whether a month was rated (an error wrapping rating.ErrNotRated if
	// not).
	LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error)
	// InsertJobRun records a completed job.
	InsertJobRun(ctx context.Context, r jobrun.Run) error
}

// Params are the scheduler's collaborators.
type Params struct {
	Config
	Store Store
	// Rate rates month p (provisional while it is open); a closed month gives an error
	// wrapping rating.ErrPeriodClosed.
	Rate func(ctx context.Context, p calendar.Period) error
	// Close closes month p (monthclose.Close with the store).
	Close func(ctx context.Context, p calendar.Period) (monthclose.Result, error)
	// Issue writes the statements of closed month p; nil: no statements.
	Issue func(ctx context.Context, p calendar.Period) error
	// Now is the clock that picks the months (cron itself ticks on the system clock).
	Now func() time.Time
	// Jobs are the other periodic jobs; each name once, none "rate" or "close".
	Jobs []Job
	// Log receives what the jobs do; nil: discarded.
	Log *slog.Logger
}

// Validate reports missing collaborators and bad specs.
func (p Params) Validate() error {
	switch {
	case p.Store == nil:
		return errors.New("schedule: no store")
	case p.Rate == nil:
		return errors.New("schedule: no rating")
	case p.Close == nil:
		return errors.New("schedule: no close")
	case p.Now == nil:
		return errors.New("schedule: no clock")
	}
	errs := []error{p.Config.Validate()}
	names := map[string]bool{JobRate: true, JobClose: true}
	for _, j := range p.Jobs {
		if names[j.Name] || j.Name == "" || j.Run == nil {
			return fmt.Errorf("schedule: job %q: no run, or its name is taken", j.Name)
		}
		names[j.Name] = true
		if j.Next != nil {
			continue
		}
		if strings.TrimSpace(j.Spec) == "" {
			errs = append(errs, fmt.Errorf("%s: no cron spec (\"off\": none)", j.Setting))
		} else if _, err := parseSpec(strings.TrimSpace(j.Spec)); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", j.Setting, err))
		}
	}
	return errors.Join(errs...)
}

// CheckSpec reports a cron spec that cannot be used (see Config; "off" is one).
func CheckSpec(spec string) error {
	_, err := parseSpec(strings.TrimSpace(spec))
	return err
}

// Scheduler runs the jobs. Create it with New.
type Scheduler struct {
	p          Params
	log        *slog.Logger
	rateSched  cron.Schedule
	closeSched cron.Schedule

	// mu is held by every job body: a catch-up and a tick never overlap, nor do the rating
	// and the close.
	mu sync.Mutex

	// rateEntry and closeEntry are the jobs as cron runs them (SkipIfStillRunning).
	rateEntry, closeEntry cron.Job

	// jobs are the other jobs, switched on, with their schedules, entries and groups' locks;
	// loops are the running ones with their own times (Job.Next).
	jobs  []*job
	loops sync.WaitGroup

	cron     *cron.Cron
	ctx      context.Context
	cancel   context.CancelFunc
	caughtUp chan struct{}
}

// New checks the parameters and prepares a scheduler; nothing runs before Start.
func New(p Params) (*Scheduler, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &Scheduler{p: p, log: p.Log}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.rateSched, _ = parseSpec(p.rateSpec())
	s.closeSched, _ = parseSpec(p.closeSpec())
	s.ctx, s.cancel = context.WithCancel(context.Background())
	logger := cronLogger{s.log}
	chain := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))
	s.rateEntry = chain.Then(cron.FuncJob(func() { s.RateJob(s.ctx, TriggerSchedule) }))
	s.closeEntry = chain.Then(cron.FuncJob(func() { s.CloseJob(s.ctx, TriggerSchedule) }))
	locks := map[string]*sync.Mutex{}
	for _, spec := range p.Jobs {
		sched, _ := parseSpec(strings.TrimSpace(spec.Spec))
		if sched == nil && spec.Next == nil {
			continue // off
		}
		group := spec.Group
		if group == "" {
			group = "job:" + spec.Name
		}
		if locks[group] == nil {
			locks[group] = &sync.Mutex{}
		}
		j := &job{Job: spec, sched: sched, group: group, mu: locks[group]}
		j.entry = chain.Then(cron.FuncJob(func() { s.runJob(s.ctx, j, TriggerSchedule) }))
		s.jobs = append(s.jobs, j)
	}
	return s, nil
}

// job is a Job switched on.
type job struct {
	Job
	sched cron.Schedule
	entry cron.Job
	group string
	mu    *sync.Mutex // the group's
}

// runJob runs j once inside its group, records the run and then runs j.After.
func (s *Scheduler) runJob(ctx context.Context, j *job, trigger string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	started := s.p.Now()
	p, detail, err := j.Run(ctx, trigger)
	if errors.Is(err, NothingDone) {
		return
	}
	if p == (calendar.Period{}) {
		p = calendar.LocalDate(started).Period()
	}
	s.record(ctx, j.Name, p, trigger, started, detail, err)
	if j.After != nil && ctx.Err() == nil {
		j.After(ctx)
	}
}

// loop runs a Job with its own times (Job.Next) until the scheduler stops.
func (s *Scheduler) loop(ctx context.Context, j *job) {
	trigger := TriggerCatchUp
	for {
		s.runJob(ctx, j, trigger)
		if ctx.Err() != nil {
			return
		}
		trigger = TriggerSchedule
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(j.Next(s.p.Now()))):
		}
	}
}

// catchUpJobs runs, group by group (each group's jobs in their order, the groups at
// once), the jobs whose CatchUp says they are due.
func (s *Scheduler) catchUpJobs(ctx context.Context) {
	var groups []string
	byGroup := map[string][]*job{}
	for _, j := range s.jobs {
		if j.CatchUp == nil || j.Next != nil {
			continue
		}
		if byGroup[j.group] == nil {
			groups = append(groups, j.group)
		}
		byGroup[j.group] = append(byGroup[j.group], j)
	}
	var wg sync.WaitGroup
	for _, g := range groups {
		wg.Add(1)
		go func(js []*job) {
			defer wg.Done()
			for _, j := range js {
				if ctx.Err() != nil {
					return
				}
				due, err := j.CatchUp(ctx)
				if err != nil {
					s.log.Error("catch-up", "job", j.Name, "error", err)
					continue
				}
				if due {
					s.runJob(ctx, j, TriggerCatchUp)
				}
			}
		}(byGroup[g])
	}
	wg.Wait()
}

// Start catches up missed closes in the background (CatchUp) and starts the cron
// schedule. Ticks that come during the catch-up wait for it. CaughtUp is closed when the
// catch-up has ended.
func (s *Scheduler) Start(ctx context.Context) {
	s.cancel()
	s.ctx, s.cancel = context.WithCancel(ctx)
	s.cron = cron.New(cron.WithLocation(calendar.Shanghai()), cron.WithLogger(cronLogger{s.log}))
	if s.rateSched != nil {
		s.cron.Schedule(s.rateSched, s.rateEntry)
	}
	if s.closeSched != nil {
		s.cron.Schedule(s.closeSched, s.closeEntry)
	}
	for _, j := range s.jobs {
		if j.Next != nil {
			s.loops.Add(1)
			go func() { defer s.loops.Done(); s.loop(s.ctx, j) }()
			continue
		}
		s.cron.Schedule(j.sched, j.entry)
	}
	s.caughtUp = make(chan struct{})
	go func() {
		defer close(s.caughtUp)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); s.catchUpJobs(s.ctx) }()
		if err := s.CatchUp(s.ctx); err != nil {
			s.log.Error("catch-up", "error", err)
		}
		wg.Wait()
	}()
	s.cron.Start()
	attrs := []any{"rate", s.p.rateSpec(), "close", s.p.closeSpec()}
	for _, j := range s.p.Jobs {
		if j.Next != nil {
			attrs = append(attrs, j.Name, "when due")
		} else {
			attrs = append(attrs, j.Name, strings.TrimSpace(j.Spec))
		}
	}
	s.log.Info("schedule started", append(attrs, "zone", "Asia/Shanghai")...)
}

// CaughtUp is closed once the catch-up begun by Start (the months' closes and the Jobs')
// has ended.
func (s *Scheduler) CaughtUp() <-chan struct{} { return s.caughtUp }

// Stop stops the schedule: no new job starts, the catch-up stops between months and
// between jobs, and Stop waits for a running job to end.
func (s *Scheduler) Stop() {
	if s.cron == nil {
		return
	}
	s.cancel()
	<-s.cron.Stop().Done()
	<-s.caughtUp
	s.loops.Wait()
}

// RateJob rates the current month (by the clock) and records the run. Before that it
// retries the closes still due (as CatchUp does, recorded with trigger "retry"): a month
// whose close failed (say, acceptance pending) closes on the first day it can, not a
// month later.
func (s *Scheduler) RateJob(ctx context.Context, trigger string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeSched != nil { // with the close job off, nothing ever closes from here
		if err := s.closeThrough(ctx, TriggerRetry, false); err != nil {
			s.log.Error("close retry", "error", err)
		}
	}
	p := calendar.LocalDate(s.p.Now()).Period()
	started := s.p.Now()
	err := s.p.Rate(context.WithoutCancel(ctx), p)
	detail := jobrun.Detail(jobrun.DetailRated)
	if errors.Is(err, rating.ErrPeriodClosed) {
		detail, err = jobrun.Detail(jobrun.DetailRateClosed), nil
	}
	s.record(ctx, JobRate, p, trigger, started, detail, err)
}

// CloseJob closes the previous month (by the clock) together with any earlier month left
// open since the last close, oldest first (the months CatchUp would close), and records
// each. It stops at the first month that cannot be closed: that month and the later ones
// stay open for the next attempt. With nothing to close it records why.
func (s *Scheduler) CloseJob(ctx context.Context, trigger string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.closeThrough(ctx, trigger, true); err != nil {
		s.log.Error("close job", "error", err)
	}
}

// CatchUp closes the months whose close was missed while the process was down: every
// month after the last closed one and before the current month (by the clock), in order,
// once each. With no month closed yet, only the previous month is considered, and only if
// its latest rating has lines (a fresh installation does not freeze a month nobody
// rated). It stops at the first month that cannot be closed.
//
// Only jobs that are switched on catch up: with the close job "off" it closes nothing,
// ever (a close cannot be undone), and logs the months it leaves open. It logs what it
// is about to do before doing it.
func (s *Scheduler) CatchUp(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeSched == nil {
		due, err := s.Due(ctx)
		if err != nil {
			return fmt.Errorf("months to close: %w", err)
		}
		if len(due) > 0 {
			s.log.Info("catch-up: close schedule is off: closing nothing", "months_left_open", fmt.Sprint(due))
		} else {
			s.log.Info("catch-up: close schedule is off: closing nothing")
		}
		return nil
	}
	return s.closeThrough(ctx, TriggerCatchUp, false)
}

// Due lists the months to close now, oldest first (see CatchUp).
func (s *Scheduler) Due(ctx context.Context) ([]calendar.Period, error) {
	last := calendar.LocalDate(s.p.Now()).Period().Prev()
	closes, err := s.p.Store.Closes(ctx)
	if err != nil {
		return nil, err
	}
	if len(closes) == 0 {
		run, err := s.p.Store.LatestRun(ctx, last)
		if errors.Is(err, rating.ErrNotRated) || err == nil && run.Lines == 0 {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return []calendar.Period{last}, nil
	}
	closed := map[calendar.Period]bool{}
	var latest calendar.Period
	for _, c := range closes {
		closed[c.Period] = true
		if latest.Before(c.Period) {
			latest = c.Period
		}
	}
	var due []calendar.Period
	for p := latest.Next(); !last.Before(p); p = p.Next() {
		if !closed[p] {
			due = append(due, p)
		}
	}
	return due, nil
}

// closeThrough closes the due months in order, stopping at the first failure. tick: a
// run of the close schedule, which records that it had nothing to do when nothing is due.
func (s *Scheduler) closeThrough(ctx context.Context, trigger string, tick bool) error {
	due, err := s.Due(ctx)
	if err != nil {
		err = fmt.Errorf("months to close: %w", err)
		if tick {
			s.record(ctx, JobClose, calendar.LocalDate(s.p.Now()).Period().Prev(), trigger, s.p.Now(), "", err)
		}
		return err
	}
	if len(due) == 0 {
		if tick {
			s.record(ctx, JobClose, calendar.LocalDate(s.p.Now()).Period().Prev(), trigger, s.p.Now(), s.nothingDue(ctx), nil)
		}
		return nil
	}
	if trigger != TriggerSchedule {
		s.log.Info("about to close: rate one last time, close, issue statements", "trigger", trigger, "months", fmt.Sprint(due))
	}
	for _, p := range due {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := s.closeMonth(ctx, p, trigger); err != nil {
			return fmt.Errorf("stopped at %s (later months stay open): %w", p, err)
		}
	}
	return nil
}

// nothingDue says why a close tick had nothing to close.
func (s *Scheduler) nothingDue(ctx context.Context) string {
	last := calendar.LocalDate(s.p.Now()).Period().Prev()
	closes, err := s.p.Store.Closes(ctx)
	if err == nil {
		for _, c := range closes {
			if c.Period == last {
				return jobrun.Detail(jobrun.DetailAlreadyClosed)
			}
		}
	}
	return jobrun.Detail(jobrun.DetailNothingDue, "period", last.String())
}

// closeMonth rates month p one last time, closes it and issues its statements.
func (s *Scheduler) closeMonth(ctx context.Context, p calendar.Period, trigger string) (err error) {
	started := s.p.Now()
	work := context.WithoutCancel(ctx) // a close and its statements are not left half done
	detail := ""
	defer func() { s.record(ctx, JobClose, p, trigger, started, detail, err) }()
	if err := s.p.Rate(work, p); err != nil && !errors.Is(err, rating.ErrPeriodClosed) {
		return fmt.Errorf("rate %s: %w", p, err)
	}
	res, err := s.p.Close(work, p)
	if err != nil {
		return err
	}
	if res.Already {
		detail = jobrun.Detail(jobrun.DetailAlreadyClosed)
		return nil
	}
	for _, w := range res.Warnings {
		s.log.Warn("close", "period", p.String(), "warning", w)
	}
	closed := []string{"lines", strconv.Itoa(res.Close.Lines), "total", res.Close.Total.StringFixed(2), "hash", res.Close.ContentHash}
	detail = jobrun.Detail(jobrun.DetailClosed, closed...)
	if s.p.Issue == nil {
		return nil
	}
	if err := s.p.Issue(work, p); err != nil {
		return fmt.Errorf("%s closed, but statements: %w (issue them with cloudbill statements --period %s)", p, err, p)
	}
	detail = jobrun.Detail(jobrun.DetailClosed, append(closed, "issued", "1")...)
	return nil
}

func (s *Scheduler) record(ctx context.Context, job string, p calendar.Period, trigger string, started time.Time, detail string, err error) {
	r := jobrun.Run{Job: job, Period: p, Trigger: trigger, StartedAt: started, FinishedAt: s.p.Now(),
		Status: jobrun.OK, Detail: detail}
	if err != nil {
		r.Status, r.Error = jobrun.Failed, err.Error()
		s.log.Error(job+" job", "period", p.String(), "trigger", trigger, "error", err)
	} else {
		s.log.Info(job+" job", "period", p.String(), "trigger", trigger, "detail", jobrun.DetailEnglish(detail))
	}
	if err := s.p.Store.InsertJobRun(context.WithoutCancel(ctx), r); err != nil {
		s.log.Error("record job run", "job", job, "period", p.String(), "error", err)
	}
}

// cronLogger passes cron's messages to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }
func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
