package app

import (
	"context"
	"errors"
	"sort"
	"time"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/statements"
)

// State is where a month is in its life. Its values are the words of `cloudbill status`
// and of the portal's API.
type State string

// The states of a month, in the order a month passes through them.
const (
	// StateOpen: never rated.
	StateOpen State = "open"
	// StateRated: rated (provisionally), nothing pending: it may be closed.
	StateRated State = "rated"
	// StatePending: rated, some vendors' acceptance pending: it closes only with the
	// override (AllowPending), or once the records are imported and it is re-rated.
	StatePending State = "pending_acceptance"
	// StateBeingClosed: a close of the month is under way (a live claim, any host).
	StateBeingClosed State = "being_closed"
	// StateClosed: closed (frozen); its statements are final.
	StateClosed State = "closed"
)

// StateOf is the one rule that names a month's state from what is known of it: closed
// wins, then a close under way, then whether it was rated and with acceptance pending.
func StateOf(rated bool, pending int, beingClosed, closed bool) State {
	switch {
	case closed:
		return StateClosed
	case beingClosed:
		return StateBeingClosed
	case rated && pending > 0:
		return StatePending
	case rated:
		return StateRated
	}
	return StateOpen
}

// Open: the month was never rated (nothing to close or show yet).
func (s State) Open() bool { return s == StateOpen }

// Closed: the month is frozen and its statements are final.
func (s State) Closed() bool { return s == StateClosed }

// Closable: a close may be asked for (rated or pending acceptance, not being closed).
func (s State) Closable() bool { return s == StateRated || s == StatePending }

// Month is a month as the lists show it.
type Month struct {
	Period calendar.Period
	State  State
	// RunID is the rating run of its figures: the frozen run once closed, else the latest
	// ("" never rated); RatedAt and Pending are of the latest run.
	RunID   string
	RatedAt time.Time
	Pending []catalog.VendorID
	// Close is the month's close (nil: open); Claim the close under way (nil: none).
	Close *rating.Close
	Claim *monthclose.Claim
	// Issue is the archived issue of its statements (nil: none).
	Issue *statements.IssueInfo
}

// Rated: the month has figures (a rating run).
func (m Month) Rated() bool { return m.RunID != "" }

// MonthStore is what the month lists read; the Store satisfies it.
type MonthStore interface {
	RatedMonths(ctx context.Context) ([]rating.RatedMonth, error)
	Closes(ctx context.Context) ([]rating.Close, error)
	CloseClaims(ctx context.Context, p calendar.Period) ([]monthclose.Claim, error)
	CurrentIssues(ctx context.Context) (map[calendar.Period]statements.IssueInfo, error)
	// LatestRun and Runs (latest first) are a month's rating runs (RunOf).
	LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error)
	Runs(ctx context.Context, p calendar.Period) ([]rating.Run, error)
}

// Months lists every month rated or closed, and the months also given (open when
// nothing is known of them), newest first, each with its state.
func (a *App) Months(ctx context.Context, also ...calendar.Period) ([]Month, error) {
	s := a.cfg.Store
	rated, err := s.RatedMonths(ctx)
	if err != nil {
		return nil, err
	}
	closes, err := s.Closes(ctx)
	if err != nil {
		return nil, err
	}
	issues, err := s.CurrentIssues(ctx)
	if err != nil {
		return nil, err
	}
	by := map[calendar.Period]*Month{}
	get := func(p calendar.Period) *Month {
		if m, ok := by[p]; ok {
			return m
		}
		m := &Month{Period: p}
		by[p] = m
		return m
	}
	for _, r := range rated {
		m := get(r.Period)
		m.RunID, m.RatedAt, m.Pending = r.RunID, r.RatedAt, r.Pending
	}
	for i := range closes {
		c := closes[i]
		m := get(c.Period)
		m.Close, m.RunID = &c, c.RunID
	}
	for p, is := range issues {
		is := is
		get(p).Issue = &is
	}
	for _, p := range also {
		get(p)
	}
	out := make([]Month, 0, len(by))
	for _, m := range by {
		if m.Close == nil {
			cs, err := s.CloseClaims(ctx, m.Period)
			if err != nil {
				return nil, err
			}
			if len(cs) > 0 {
				m.Claim = &cs[0]
			}
		}
		m.State = StateOf(m.RunID != "", len(m.Pending), m.Claim != nil, m.Close != nil)
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[j].Period.Before(out[i].Period) })
	return out, nil
}

// RunOf is the rating run of m's figures: once closed the frozen run (the latest if the
// frozen one is not among the month's runs), else the latest. ok is false for a month
// never rated.
func (a *App) RunOf(ctx context.Context, m Month) (run rating.Run, ok bool, err error) {
	s := a.cfg.Store
	run, err = s.LatestRun(ctx, m.Period)
	if errors.Is(err, rating.ErrNotRated) {
		return rating.Run{}, false, nil
	}
	if err != nil {
		return rating.Run{}, false, err
	}
	if m.Close != nil && run.ID != m.Close.RunID {
		rs, err := s.Runs(ctx, m.Period)
		if err != nil {
			return rating.Run{}, false, err
		}
		run = FrozenRun(run, m.Close.RunID, rs)
	}
	return run, true, nil
}

// FrozenRun is the run of id among runs, or latest when it is not there.
func FrozenRun(latest rating.Run, id string, runs []rating.Run) rating.Run {
	for _, r := range runs {
		if r.ID == id {
			return r
		}
	}
	return latest
}

// LatestShown is the month the pages and lists open on: the newest month with figures
// (rated or closed) of ms (newest first, as Months lists them), else the month before
// now's (nothing rated yet), so that no link leads to a month with nothing to show.
func LatestShown(ms []Month, now time.Time) calendar.Period {
	for _, m := range ms {
		if m.Rated() {
			return m.Period
		}
	}
	return calendar.LocalDate(now).Period().Prev()
}

// LatestIssued is the newest month of ms with issued statements (final or
// provisional), else LatestShown.
func LatestIssued(ms []Month, now time.Time) calendar.Period {
	for _, m := range ms {
		if m.Issue != nil {
			return m.Period
		}
	}
	return LatestShown(ms, now)
}
