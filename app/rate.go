package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// RateResult says what Rate did.
type RateResult struct {
	// Outcome is the rating (stored as a new run unless Outcome.Unchanged).
	rating.Outcome
	// Warnings are the budget thresholds the rating crossed for the first time (recorded).
	Warnings []funding.Warning
	// Incomplete names the collectors' windows of the month still missing (nil: none):
	// the rated usage is incomplete. IncompleteErr is why they could not be checked; the
	// rating stands either way.
	Incomplete    *IncompleteError
	IncompleteErr error
	// UsageWindows is the number of usage windows the store aggregated, in UsageTook.
	UsageWindows int
	UsageTook    time.Duration
}

// Rate rates month p for whoever asks (the rate command, the scheduler) and then, after
// every rating, evaluates the budgets of its year (funding.Warn: a threshold crossed for
// the first time is recorded and returned) and checks the collectors' windows of the
// month (RateResult.Incomplete: the usage rated is incomplete).
//
// A closed month is refused (an error wrapping rating.ErrPeriodClosed). When the budgets
// cannot be evaluated the rating is stored all the same: Rate returns the result with
// the rating and an error saying so.
func (a *App) Rate(ctx context.Context, p calendar.Period) (RateResult, error) {
	usage := &timedUsage{UsageReader: a.cfg.Store, now: a.cfg.Now}
	r, err := rating.New(rating.Config{Master: a.cfg.Store, Usage: usage, Results: a.cfg.Store, Now: a.cfg.Now})
	if err != nil {
		return RateResult{}, err
	}
	out, err := r.Rate(ctx, p)
	if err != nil {
		return RateResult{}, err
	}
	res := RateResult{Outcome: out, UsageWindows: usage.windows, UsageTook: usage.took}
	ws, err := funding.Warn(ctx, a.cfg.Store, out.Run, a.cfg.Now())
	if err != nil {
		return res, fmt.Errorf("rated %s (run %s), but the budget warnings were not evaluated: %w", out.Run.Period, out.Run.ID, err)
	}
	res.Warnings = ws
	res.Incomplete, res.IncompleteErr = a.MissingWindows(ctx, p)
	return res, nil
}

// timedUsage measures the time the store takes to aggregate usage: the time while at
// least one of its reads runs (the rater runs them at once).
type timedUsage struct {
	rating.UsageReader
	now func() time.Time

	mu      sync.Mutex
	active  int
	since   time.Time
	windows int
	took    time.Duration
}

// begin marks a read started; the func it returns marks it ended.
func (u *timedUsage) begin() (end func()) {
	u.mu.Lock()
	if u.active == 0 {
		u.since = u.now()
	}
	u.active++
	u.mu.Unlock()
	return func() {
		u.mu.Lock()
		if u.active--; u.active == 0 {
			u.took += u.now().Sub(u.since)
		}
		u.mu.Unlock()
	}
}

func (u *timedUsage) UsageAggregates(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) (rating.Usage, error) {
	defer u.begin()()
	u.mu.Lock()
	u.windows += len(ws)
	u.mu.Unlock()
	return u.UsageReader.UsageAggregates(ctx, p, ws)
}

// UsageOutOfRange passes the rater's question on (the wrapper must not hide it: the
// samples left out of the quantities are named as exceptions of the run).
func (u *timedUsage) UsageOutOfRange(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([]string, error) {
	ua, ok := u.UsageReader.(rating.UsageAnomalies)
	if !ok {
		return nil, nil
	}
	defer u.begin()()
	return ua.UsageOutOfRange(ctx, p, ws)
}

// UsageForeign passes the rater's question on, as UsageOutOfRange does.
func (u *timedUsage) UsageForeign(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([]string, error) {
	ua, ok := u.UsageReader.(rating.UsageAnomalies)
	if !ok {
		return nil, nil
	}
	defer u.begin()()
	return ua.UsageForeign(ctx, p, ws)
}
