package schedule_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/schedule"
)

// The other jobs (idle, backup) run in the one scheduler: each recorded in job_runs under
// its name, caught up on start when it says so, never when switched off, and never at
// the same time as another job of its group.
func TestJobsInTheOneScheduler(t *testing.T) {
	w := newWorld(t, "2026-12-01 04:00")
	var mu sync.Mutex
	var ran []string
	gate, entered := make(chan struct{}), make(chan string, 8)
	job := func(name, spec, group string, catchUp bool, fail error) schedule.Job {
		j := schedule.Job{Name: name, Spec: spec, Setting: "--" + name, Group: group,
			Run: func(_ context.Context, trigger string) (calendar.Period, string, error) {
				entered <- name
				if name == "slow" {
					<-gate
				}
				mu.Lock()
				ran = append(ran, name+" "+trigger)
				mu.Unlock()
				return calendar.MustPeriod("2026-11"), name + " done", fail
			}}
		if catchUp {
			j.CatchUp = func(context.Context) (bool, error) { return true, nil }
		}
		return j
	}
	delivered := make(chan struct{}, 8)
	jobs := []schedule.Job{
		job("slow", "@daily", "idle", true, nil),
		job("follow", "@daily", "idle", false, errors.New("no store")),
		job("off", schedule.Off, "", true, nil),
		job("backup", "0 1 * * *", "", false, nil),
	}
	jobs[1].After = func(context.Context) { delivered <- struct{}{} }
	s, err := schedule.New(schedule.Params{Config: schedule.Config{RateSpec: schedule.Off, CloseSpec: schedule.Off},
		Store: w, Rate: w.rate, Close: w.close, Now: w.clock, Jobs: jobs})
	require.NoError(t, err)
	s.Start(context.Background())
	assert.Equal(t, "slow", <-entered, "the catch-up runs the job that says so")

	// a tick of the same group waits for the catch-up; another group's job does not
	followed := make(chan struct{})
	go func() { s.JobTick("follow"); close(followed) }()
	s.JobTick("backup")
	assert.Equal(t, "backup", <-entered)
	select {
	case <-followed:
		t.Fatal("follow ran while slow, of its group, was running")
	case name := <-entered:
		t.Fatalf("%s started while slow, of its group, was running", name)
	case <-time.After(200 * time.Millisecond):
	}
	close(gate)
	<-followed
	<-s.CaughtUp()
	s.Stop()
	assert.Len(t, delivered, 1, "After ran once, after follow's run")

	assert.ElementsMatch(t, []string{"slow catch-up", "backup schedule", "follow schedule"}, ran, "off never runs")
	assert.Equal(t, []string{"2026-11 catch-up ok slow done"}, w.jobs(t, "slow"))
	assert.Equal(t, []string{"2026-11 schedule failed no store"}, w.jobs(t, "follow"))
	assert.Equal(t, []string{"2026-11 schedule ok backup done"}, w.jobs(t, "backup"))
	assert.Empty(t, w.jobs(t, "off"))
}

func TestJobsValidate(t *testing.T) {
	run := func(context.Context, string) (calendar.Period, string, error) { return calendar.Period{}, "", nil }
	params := func(jobs ...schedule.Job) schedule.Params {
		w := &world{}
		return schedule.Params{Store: w, Rate: func(context.Context, calendar.Period) error { return nil },
			Close: w.close, Now: time.Now, Jobs: jobs}
	}
	assert.NoError(t, params(schedule.Job{Name: "backup", Spec: "0 1 * * *", Setting: "--backup-schedule", Run: run}).Validate())
	assert.EqualError(t, params(schedule.Job{Name: "backup", Spec: "0 1 31 2 *", Setting: "--backup-schedule", Run: run}).Validate(),
		`--backup-schedule: cron spec "0 1 31 2 *" never fires`)
	assert.EqualError(t, params(schedule.Job{Name: "idle-follow", Spec: "", Setting: "--idle-follow-schedule", Run: run}).Validate(),
		`--idle-follow-schedule: no cron spec ("off": none)`)
	assert.ErrorContains(t, params(schedule.Job{Name: "close", Spec: "@daily", Run: run}).Validate(), `job "close"`)
	assert.ErrorContains(t, params(schedule.Job{Name: "a", Spec: "@daily", Run: run}, schedule.Job{Name: "a", Spec: "@daily", Run: run}).Validate(), `job "a"`)
}

// A job with times of its own (a collector's) runs on start, then at Next; a run that did
// nothing is not recorded; Stop waits for it.
func TestJobsWithTimesOfTheirOwn(t *testing.T) {
	w := newWorld(t, "2026-12-01 04:00")
	asked := make(chan time.Time, 8)
	var mu sync.Mutex
	runs := 0
	jobs := []schedule.Job{
		{Name: "collect:V1", Group: "collect",
			Run: func(_ context.Context, trigger string) (calendar.Period, string, error) {
				mu.Lock()
				defer mu.Unlock()
				runs++
				if runs > 2 {
					return calendar.Period{}, "", schedule.NothingDone
				}
				return calendar.Period{}, "pass " + trigger, nil
			},
			Next: func(now time.Time) time.Time {
				select {
				case asked <- now:
				default:
				}
				return time.Now() // due again at once
			}},
	}
	s, err := schedule.New(schedule.Params{Config: schedule.Config{RateSpec: schedule.Off, CloseSpec: schedule.Off},
		Store: w, Rate: w.rate, Close: w.close, Now: w.clock, Jobs: jobs})
	require.NoError(t, err)
	s.Start(context.Background())
	for range 3 {
		assert.Equal(t, w.clock(), <-asked, "Next is asked on the scheduler's clock after each run")
	}
	s.Stop()
	mu.Lock()
	assert.GreaterOrEqual(t, runs, 3)
	mu.Unlock()
	assert.Equal(t, []string{"2026-12 catch-up ok pass catch-up", "2026-12 schedule ok pass schedule"}, w.jobs(t, "collect:V1"))
}
