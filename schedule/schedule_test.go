package schedule_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/schedule"
	"cloudbill/schedule/jobrun"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

func TestMain(m *testing.M) { chtest.Main(m) }

// world is a scheduler's surroundings: closes and job runs in a real ClickHouse
// database; rating runs kept in memory by a fake rating engine that logs what it rates.
type world struct {
	*chstore.Store
	mu      sync.Mutex
	runs    map[calendar.Period]rating.Run
	pending map[calendar.Period][]catalog.VendorID
	rated   []calendar.Period
	closed  []calendar.Period
	issued  []calendar.Period
	// gate, when set, blocks Rate until it is closed; entered receives once per call.
	gate    chan struct{}
	entered chan calendar.Period
	now     time.Time
}

func newWorld(t *testing.T, now string) *world {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04", now, calendar.Shanghai())
	require.NoError(t, err)
	return &world{Store: chtest.New(t), runs: map[calendar.Period]rating.Run{},
		pending: map[calendar.Period][]catalog.VendorID{}, now: at}
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *world) LatestRun(_ context.Context, p calendar.Period) (rating.Run, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	r, ok := w.runs[p]
	if !ok {
		return rating.Run{}, fmt.Errorf("latest run of %s: %w", p, rating.ErrNotRated)
	}
	return r, nil
}

func (w *world) RatedLines(_ context.Context, p calendar.Period) ([]rating.Line, error) {
	r, err := w.LatestRun(context.Background(), p)
	if err != nil {
		return nil, err
	}
	return []rating.Line{{Period: p, Kind: rating.KindCharge, Department: "d1", Vendor: "v1", Order: catalog.OrderID(r.ID),
		Amount: decimal.RequireFromString("100"), Unrounded: decimal.RequireFromString("100")}}, nil
}

// rate is the fake rating engine: a closed month is refused, like the real one.
func (w *world) rate(ctx context.Context, p calendar.Period) error {
	if w.entered != nil {
		w.entered <- p
	}
	if w.gate != nil {
		<-w.gate
	}
	if _, ok, err := w.CloseOf(ctx, p); err != nil || ok {
		if ok {
			return fmt.Errorf("rate %s: %w", p, rating.ErrPeriodClosed)
		}
		return err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.rated = append(w.rated, p)
	w.runs[p] = rating.Run{ID: fmt.Sprintf("%s-run%d", p, len(w.rated)), Period: p, Pending: w.pending[p], Lines: 1}
	return nil
}

func (w *world) close(ctx context.Context, p calendar.Period) (monthclose.Result, error) {
	res, err := monthclose.Close(ctx, w, p, monthclose.Options{Now: w.clock, ClosedBy: "schedule"})
	if err == nil && !res.Already {
		w.mu.Lock()
		w.closed = append(w.closed, p)
		w.mu.Unlock()
	}
	return res, err
}

func (w *world) issue(_ context.Context, p calendar.Period) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.issued = append(w.issued, p)
	return nil
}

// rateMonths marks months as rated before the scheduler starts.
func (w *world) rateMonths(t *testing.T, ps ...string) {
	for _, p := range ps {
		require.NoError(t, w.rate(context.Background(), calendar.MustPeriod(p)))
	}
	w.rated = nil
}

// closeMonths records closes made before the scheduler starts.
func (w *world) closeMonths(t *testing.T, ps ...string) {
	ctx := context.Background()
	for _, s := range ps {
		p := calendar.MustPeriod(s)
		w.runs[p] = rating.Run{ID: "before", Period: p}
		lines, err := w.RatedLines(ctx, p)
		require.NoError(t, err)
		require.NoError(t, w.InsertClose(ctx, rating.Close{Period: p,
			ClosedAt: w.now.AddDate(0, -2, 0), RunID: "before", ContentHash: monthclose.ContentHash(lines)}))
	}
}

func (w *world) scheduler(t *testing.T, cfg schedule.Config) *schedule.Scheduler {
	t.Helper()
	s, err := schedule.New(schedule.Params{Config: cfg, Store: w, Rate: w.rate, Close: w.close, Issue: w.issue, Now: w.clock})
	require.NoError(t, err)
	return s
}

// start runs Start and waits for the catch-up.
func (w *world) start(t *testing.T, s *schedule.Scheduler) {
	t.Helper()
	s.Start(context.Background())
	select {
	case <-s.CaughtUp():
	case <-time.After(60 * time.Second):
		t.Fatal("catch-up did not end")
	}
	s.Stop()
}

func periods(ps ...string) []calendar.Period {
	out := make([]calendar.Period, len(ps))
	for i, p := range ps {
		out[i] = calendar.MustPeriod(p)
	}
	return out
}

// jobs lists the recorded runs of job as "period trigger status detail-prefix".
func (w *world) jobs(t *testing.T, job string) []string {
	t.Helper()
	runs, err := w.JobRuns(context.Background(), job)
	require.NoError(t, err)
	var out []string
	for _, r := range runs {
		what := jobrun.DetailEnglish(r.Detail)
		if r.Error != "" {
			what = r.Error
		}
		what, _, _ = strings.Cut(what, ":")
		out = append(out, fmt.Sprintf("%s %s %s %s", r.Period, r.Trigger, r.Status, what))
	}
	return out
}

func closedMonths(t *testing.T, w *world) []calendar.Period {
	t.Helper()
	cs, err := w.Closes(context.Background())
	require.NoError(t, err)
	var out []calendar.Period
	for _, c := range cs {
		out = append(out, c.Period)
	}
	return out
}

func TestCatchUpAfterDownAcrossTwoMonthEnds(t *testing.T) {
	// August closed on 1 September; the process then went down, and comes back on
	// 3 November: the closes of September (due 1 October) and October (due 1 November)
	// were missed.
	w := newWorld(t, "2026-11-03 10:00")
	w.closeMonths(t, "2026-08")
	w.rateMonths(t, "2026-09", "2026-10", "2026-11")

	w.start(t, w.scheduler(t, schedule.Config{}))

	assert.Equal(t, periods("2026-09", "2026-10"), w.closed, "closed in order, once each")
	assert.Equal(t, periods("2026-09", "2026-10"), w.rated, "each rated one last time before its close")
	assert.Equal(t, periods("2026-09", "2026-10"), w.issued, "statements of each")
	assert.Equal(t, periods("2026-08", "2026-09", "2026-10"), closedMonths(t, w))
	assert.Equal(t, []string{"2026-09 catch-up ok closed", "2026-10 catch-up ok closed"}, w.jobs(t, schedule.JobClose))

	t.Run("a second start has nothing to catch up", func(t *testing.T) {
		w.now = w.now.Add(time.Hour)
		w.start(t, w.scheduler(t, schedule.Config{}))
		assert.Equal(t, periods("2026-09", "2026-10"), w.closed)
		assert.Equal(t, periods("2026-08", "2026-09", "2026-10"), closedMonths(t, w))
		assert.Len(t, w.jobs(t, schedule.JobClose), 2, "nothing done, nothing recorded")
	})
}

func TestCatchUpStopsAtFirstMonthThatCannotClose(t *testing.T) {
	w := newWorld(t, "2026-11-03 10:00")
	w.closeMonths(t, "2026-08")
	w.pending[calendar.MustPeriod("2026-09")] = []catalog.VendorID{"v2"}
	w.rateMonths(t, "2026-09", "2026-10")

	w.start(t, w.scheduler(t, schedule.Config{}))

	assert.Empty(t, w.closed)
	assert.Equal(t, periods("2026-08"), closedMonths(t, w), "September stays open, and so does October after it")
	assert.Equal(t, []string{"2026-09 catch-up failed close 2026-09"}, w.jobs(t, schedule.JobClose))
	runs, err := w.JobRuns(context.Background(), schedule.JobClose)
	require.NoError(t, err)
	require.Len(t, runs, 1)
	assert.Contains(t, runs[0].Error, "acceptance pending for vendor v2")

	t.Run("the next tick retries once acceptance is in", func(t *testing.T) {
		delete(w.pending, calendar.MustPeriod("2026-09"))
		w.now = time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai())
		s := w.scheduler(t, schedule.Config{})
		s.CloseJob(context.Background(), schedule.TriggerSchedule)
		assert.Equal(t, periods("2026-09", "2026-10", "2026-11"), w.closed)
		assert.Equal(t, []string{
			"2026-09 catch-up failed close 2026-09",
			"2026-09 schedule ok closed", "2026-10 schedule ok closed", "2026-11 schedule ok closed",
		}, w.jobs(t, schedule.JobClose))
	})
}

func TestCatchUpOnFreshInstallation(t *testing.T) {
	t.Run("previous month not rated: nothing closed", func(t *testing.T) {
		w := newWorld(t, "2026-11-03 10:00")
		w.start(t, w.scheduler(t, schedule.Config{}))
		assert.Empty(t, w.closed)
		assert.Empty(t, w.rated)
		assert.Empty(t, w.jobs(t, ""))
	})
	t.Run("previous month rated: closed", func(t *testing.T) {
		w := newWorld(t, "2026-11-03 10:00")
		w.rateMonths(t, "2026-09", "2026-10")
		w.start(t, w.scheduler(t, schedule.Config{}))
		assert.Equal(t, periods("2026-10"), w.closed, "only the previous month: earlier ones may never have been meant to close")
	})
	t.Run("previous month rated without lines: nothing closed", func(t *testing.T) {
		w := newWorld(t, "2026-11-03 10:00")
		w.runs[calendar.MustPeriod("2026-10")] = rating.Run{ID: "empty", Period: calendar.MustPeriod("2026-10")}
		w.start(t, w.scheduler(t, schedule.Config{}))
		assert.Empty(t, w.closed)
	})
	t.Run("a close tick records why it closed nothing", func(t *testing.T) {
		w := newWorld(t, "2026-12-01 02:00")
		w.scheduler(t, schedule.Config{}).CloseJob(context.Background(), schedule.TriggerSchedule)
		assert.Empty(t, w.closed)
		runs, err := w.JobRuns(context.Background(), schedule.JobClose)
		require.NoError(t, err)
		require.Len(t, runs, 1)
		assert.Equal(t, "nothing closed: no month has been closed yet and 2026-11 has no rated lines (close it by hand: cloudbill close --period 2026-11)", jobrun.DetailEnglish(runs[0].Detail))
		assert.Equal(t, jobrun.OK, runs[0].Status)
	})
}

func TestRateJobRatesTheCurrentMonth(t *testing.T) {
	w := newWorld(t, "2026-11-01 03:00")
	s := w.scheduler(t, schedule.Config{})
	s.RateJob(context.Background(), schedule.TriggerSchedule)
	assert.Equal(t, periods("2026-11"), w.rated)
	assert.Equal(t, []string{"2026-11 schedule ok rated"}, w.jobs(t, schedule.JobRate))
}

func TestRateJobRetriesDueCloses(t *testing.T) {
	w := newWorld(t, "2026-12-01 02:00")
	w.closeMonths(t, "2026-10")
	w.pending[calendar.MustPeriod("2026-11")] = []catalog.VendorID{"v2"}
	s := w.scheduler(t, schedule.Config{})
	s.CloseJob(context.Background(), schedule.TriggerSchedule)
	assert.Empty(t, w.closed, "acceptance pending on the 1st")

	w.now = time.Date(2026, 12, 2, 3, 0, 0, 0, calendar.Shanghai())
	s.RateJob(context.Background(), schedule.TriggerSchedule)
	assert.Empty(t, w.closed, "still pending on the 2nd")

	delete(w.pending, calendar.MustPeriod("2026-11")) // the acceptance records came in
	w.now = time.Date(2026, 12, 5, 3, 0, 0, 0, calendar.Shanghai())
	s.RateJob(context.Background(), schedule.TriggerSchedule)
	assert.Equal(t, periods("2026-11"), w.closed, "closed on the first day it could")
	assert.Equal(t, periods("2026-11"), w.issued)

	w.now = time.Date(2026, 12, 6, 3, 0, 0, 0, calendar.Shanghai())
	s.RateJob(context.Background(), schedule.TriggerSchedule)
	assert.Equal(t, periods("2026-11"), w.closed, "once")
	assert.Equal(t, []string{
		"2026-11 schedule failed close 2026-11",
		"2026-11 retry failed close 2026-11",
		"2026-11 retry ok closed",
	}, w.jobs(t, schedule.JobClose))
	assert.Equal(t, []string{"2026-12 schedule ok rated", "2026-12 schedule ok rated", "2026-12 schedule ok rated"}, w.jobs(t, schedule.JobRate))
}

func TestTickForAMonthClosedByHand(t *testing.T) {
	w := newWorld(t, "2026-12-01 02:00")
	w.closeMonths(t, "2026-10", "2026-11")
	s := w.scheduler(t, schedule.Config{})
	s.CloseJob(context.Background(), schedule.TriggerSchedule)
	assert.Empty(t, w.closed)
	assert.Empty(t, w.issued)
	assert.Equal(t, []string{"2026-11 schedule ok already closed"}, w.jobs(t, schedule.JobClose))
}

func TestOverlappingTriggersRunOnce(t *testing.T) {
	t.Run("two ticks of the same job", func(t *testing.T) {
		w := newWorld(t, "2026-12-01 02:00")
		w.closeMonths(t, "2026-10")
		w.gate, w.entered = make(chan struct{}), make(chan calendar.Period, 4)
		s := w.scheduler(t, schedule.Config{})
		done := make(chan struct{})
		go func() { s.CloseTick(); close(done) }()
		<-w.entered // the first tick is inside the job
		s.CloseTick()
		close(w.gate)
		<-done
		assert.Equal(t, periods("2026-11"), w.closed)
		assert.Len(t, w.entered, 0, "the second tick was skipped")
		assert.Equal(t, []string{"2026-11 schedule ok closed"}, w.jobs(t, schedule.JobClose))
	})
	t.Run("a tick during the catch-up", func(t *testing.T) {
		w := newWorld(t, "2026-12-01 02:00")
		w.closeMonths(t, "2026-10")
		w.rateMonths(t, "2026-11")
		w.gate, w.entered = make(chan struct{}), make(chan calendar.Period, 4)
		s := w.scheduler(t, schedule.Config{})
		s.Start(context.Background())
		<-w.entered // the catch-up is rating November
		ticked := make(chan struct{})
		go func() { s.CloseTick(); close(ticked) }()
		select {
		case <-ticked:
			t.Fatal("the tick ran while the catch-up was running")
		case <-time.After(200 * time.Millisecond):
		}
		close(w.gate)
		<-ticked
		<-s.CaughtUp()
		s.Stop()
		assert.Equal(t, periods("2026-11"), w.closed, "closed once")
		// (Both have the same clock time: their order in job_runs is not kept.)
		assert.ElementsMatch(t, []string{"2026-11 catch-up ok closed", "2026-11 schedule ok already closed"}, w.jobs(t, schedule.JobClose))
	})
	t.Run("rating and close", func(t *testing.T) {
		w := newWorld(t, "2026-12-01 02:00")
		w.closeMonths(t, "2026-10")
		w.gate, w.entered = make(chan struct{}), make(chan calendar.Period, 4)
		s := w.scheduler(t, schedule.Config{})
		closing := make(chan struct{})
		go func() { s.CloseTick(); close(closing) }()
		<-w.entered
		rated := make(chan struct{})
		go func() { s.RateTick(); close(rated) }()
		select {
		case <-rated:
			t.Fatal("the rating ran during the close")
		case p := <-w.entered:
			t.Fatalf("the rating of %s started during the close", p)
		case <-time.After(200 * time.Millisecond):
		}
		close(w.gate)
		<-closing
		<-rated
		assert.Equal(t, periods("2026-11", "2026-12"), w.rated, "the close's rating, then the daily one")
	})
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name    string
		cfg     schedule.Config
		wantErr string
	}{
		{name: "defaults", cfg: schedule.Config{}},
		{name: "descriptors", cfg: schedule.Config{RateSpec: "@daily", CloseSpec: "@monthly"}},
		{name: "off", cfg: schedule.Config{RateSpec: "off"}},
		{name: "garbage", cfg: schedule.Config{CloseSpec: "every month"},
			wantErr: `close schedule: cron spec "every month": expected exactly 5 fields, found 2: [every month] (want five fields: minute hour day-of-month month day-of-week, e.g. "0 2 1 * *")`},
		{name: "six fields", cfg: schedule.Config{RateSpec: "0 0 3 * * *"},
			wantErr: `rate schedule: cron spec "0 0 3 * * *": expected exactly 5 fields, found 6: [0 0 3 * * *] (want five fields: minute hour day-of-month month day-of-week, e.g. "0 2 1 * *")`},
		{name: "out of range", cfg: schedule.Config{RateSpec: "0 25 * * *"},
			wantErr: `rate schedule: cron spec "0 25 * * *": end of range (25) above maximum (23): 25 (want five fields: minute hour day-of-month month day-of-week, e.g. "0 2 1 * *")`},
		{name: "never fires", cfg: schedule.Config{CloseSpec: "0 2 30 2 *"}, wantErr: `close schedule: cron spec "0 2 30 2 *" never fires`},
		{name: "time zone prefix without spec (panics in cron)", cfg: schedule.Config{CloseSpec: "TZ=Asia/Shanghai"},
			wantErr: `close schedule: cron spec "TZ=Asia/Shanghai": no time zone prefix, please: schedules are read in Asia/Shanghai`},
		{name: "unknown descriptor", cfg: schedule.Config{RateSpec: "@fortnightly"},
			wantErr: `rate schedule: cron spec "@fortnightly": unrecognized descriptor: @fortnightly (want five fields: minute hour day-of-month month day-of-week, e.g. "0 2 1 * *")`},
		{name: "both bad", cfg: schedule.Config{RateSpec: "x", CloseSpec: "y"},
			wantErr: "rate schedule: cron spec \"x\": expected exactly 5 fields, found 1: [x] (want five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 1 * *\")\n" +
				"close schedule: cron spec \"y\": expected exactly 5 fields, found 1: [y] (want five fields: minute hour day-of-month month day-of-week, e.g. \"0 2 1 * *\")"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.wantErr, err.Error())
			_, err = schedule.New(schedule.Params{Config: tt.cfg, Store: &world{}, Rate: func(context.Context, calendar.Period) error { return nil },
				Close: func(context.Context, calendar.Period) (monthclose.Result, error) { return monthclose.Result{}, nil },
				Now:   time.Now})
			assert.EqualError(t, err, tt.wantErr, "schedule.New refuses it too")
		})
	}
}

// TestCloseScheduleOffNeverCloses: with the close job "off", neither the catch-up at start
// nor the daily rating closes anything, even with the previous month rated and unclosed;
// the catch-up says so in the log.
func TestCloseScheduleOffNeverCloses(t *testing.T) {
	w := newWorld(t, "2026-11-03 10:00")
	w.closeMonths(t, "2026-08")
	w.rateMonths(t, "2026-09", "2026-10")
	var logs strings.Builder
	var mu sync.Mutex
	s, err := schedule.New(schedule.Params{Config: schedule.Config{CloseSpec: schedule.Off}, Store: w, Rate: w.rate, Close: w.close, Issue: w.issue, Now: w.clock,
		Log: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	require.NoError(t, err)
	w.start(t, s)
	s.RateJob(context.Background(), schedule.TriggerSchedule)

	assert.Empty(t, w.closed, "nothing closed")
	assert.Equal(t, periods("2026-08"), closedMonths(t, w), "only the month closed before")
	assert.Empty(t, w.issued, "no statements")
	assert.Equal(t, periods("2026-11"), w.rated, "the daily rating still rates the current month")
	mu.Lock()
	defer mu.Unlock()
	assert.Contains(t, logs.String(), "close schedule is off: closing nothing")
	assert.Contains(t, logs.String(), "months_left_open=\"[2026-09 2026-10]\"")
}

// TestCatchUpLogsBeforeClosing: the catch-up names the months it is about to close.
func TestCatchUpLogsBeforeClosing(t *testing.T) {
	w := newWorld(t, "2026-11-03 10:00")
	w.closeMonths(t, "2026-09")
	w.rateMonths(t, "2026-10")
	var logs strings.Builder
	var mu sync.Mutex
	s, err := schedule.New(schedule.Params{Store: w, Rate: w.rate, Close: w.close, Issue: w.issue, Now: w.clock,
		Log: slog.New(slog.NewTextHandler(lockedWriter{&mu, &logs}, nil))})
	require.NoError(t, err)
	w.start(t, s)
	assert.Equal(t, periods("2026-10"), w.closed)
	mu.Lock()
	defer mu.Unlock()
	before, _, found := strings.Cut(logs.String(), "msg=\"close job\"")
	require.True(t, found, logs.String())
	assert.Contains(t, before, "about to close", "said before closing")
	assert.Contains(t, before, "months=[2026-10]")
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
