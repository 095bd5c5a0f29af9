package portal

import (
	"context"
	"strings"
	"sync"
	"time"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// budgetTTL bounds how long an evaluation of a year's budgets is reused for the same
// rating runs without a look at the store: a budget, threshold or work-order import (by
// any process) shows within it (and the re-evaluation's time). A rating or close of a
// month of the year shows as soon as the portal sees the month's new run (statesTTL).
// The look is one small query (the imports' mark and the months' runs, budgetMark):
// the evaluation is made again only when it changed.
const budgetTTL = 30 * time.Second

// budgetKeep bounds the evaluations kept (years and dates asked for).
const budgetKeep = 4

// budgetKey is what an evaluation depends on: the year, the date it is made as of and the
// rating runs of the year's months.
type budgetKey struct {
	year int
	asOf calendar.Date
	runs string
}

// budgetEntry is one evaluation of a year's budgets for the whole district (each caller
// keeps what its identity may see). done is closed when rep and err are set.
type budgetEntry struct {
	key  budgetKey
	at   time.Time
	done chan struct{}
	rep  funding.YearReport
	err  error
	// mark is budgetMark read before the evaluation's inputs ("" unknown: the next look
	// evaluates again)
	mark string
	// refreshing: a newer evaluation of the same key is being made (the entry is older
	// than budgetTTL); callers keep using this one meanwhile.
	refreshing bool
}

type budgetCache struct {
	mu      sync.Mutex
	entries []*budgetEntry // most recently made last
}

// budgetReport is funding.Evaluate of the district, made once and shared by every request
// for the same year, date and rating runs (a department's overview asks for it on every
// view: evaluated per request, 50 signed-in users loaded the year's lines and every
// work-order event 50 times over). An entry older than budgetTTL is re-made in the
// background while it is still served; a new rating run makes a new key at once.
func (s *Server) budgetReport(ctx context.Context, year int, asOf calendar.Date) (funding.YearReport, error) {
	ms, err := s.monthStates(ctx)
	if err != nil {
		return funding.YearReport{}, err
	}
	var runs strings.Builder
	for _, m := range ms {
		if m.Period.Year == year && m.Rated() {
			runs.WriteString(m.Period.String() + "=" + m.RunID + ";")
		}
	}
	key := budgetKey{year, asOf, runs.String()}
	c := &s.budgets
	c.mu.Lock()
	var e *budgetEntry
	for _, x := range c.entries {
		if x.key == key {
			e = x
		}
	}
	if e != nil && isDone(e.done) {
		now := s.now()
		switch fresh := now.Sub(e.at) < budgetTTL && !now.Before(e.at); {
		case e.err != nil:
			e = nil // a failed evaluation is made again
		case !fresh && !e.refreshing:
			e.refreshing = true
			go s.evaluateBudgets(e.key, e.mark)
		}
	}
	if e == nil {
		e = &budgetEntry{key: key, at: s.now(), done: make(chan struct{})}
		c.put(e)
		c.mu.Unlock()
		e.rep, e.mark, e.err = s.evaluate(context.WithoutCancel(ctx), year, asOf)
		close(e.done)
		return e.rep, e.err
	}
	c.mu.Unlock()
	select {
	case <-e.done:
	case <-ctx.Done():
		return funding.YearReport{}, ctx.Err()
	}
	return e.rep, e.err
}

// evaluateBudgets looks, in the background, whether anything the evaluation of key reads
// changed since it was made (mark: budgetMark then): when not, the entry is kept (fresh
// for another budgetTTL); else the evaluation is made again, reading the organisation and
// work-order events afresh (not the portal's kept copies, which may be older than the
// mark), and replaces the entry when it succeeds (a failure keeps the previous one, tried
// again after budgetTTL).
func (s *Server) evaluateBudgets(key budgetKey, mark string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	defer s.budgetLooks.Add(1)
	at := s.now()
	now, err := s.budgetMark(ctx)
	if err == nil && now == mark {
		s.budgets.keep(key, at, mark)
		return
	}
	if err != nil {
		s.cfg.Logf("portal: budgets of %d: %v", key.year, err)
	}
	rep, now, err := s.evaluate(ctx, key.year, key.asOf)
	c := &s.budgets
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.entries {
		if x.key != key {
			continue
		}
		if err != nil {
			s.cfg.Logf("portal: budgets of %d: %v", key.year, err)
			x.refreshing, x.at = false, at
			return
		}
		e := &budgetEntry{key: key, at: at, done: make(chan struct{}), rep: rep, mark: now}
		close(e.done)
		c.put(e)
		return
	}
}

// evaluate is funding.Evaluate of year's budgets as of asOf, with budgetMark read before
// its inputs ("" when it could not be read: the next look evaluates again).
func (s *Server) evaluate(ctx context.Context, year int, asOf calendar.Date) (funding.YearReport, string, error) {
	mark, err := s.budgetMark(ctx)
	if err != nil {
		s.cfg.Logf("portal: budgets of %d: %v", year, err)
		mark = ""
	}
	s.budgetEvals.Add(1)
	rep, err := funding.Evaluate(ctx, budgetReader{s}, year, asOf)
	return rep, mark, err
}

// keep marks the entry of key as looked at (fresh from at) when its mark is still mark.
func (c *budgetCache) keep(key budgetKey, at time.Time, mark string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.entries {
		if x.key == key && x.mark == mark {
			x.refreshing, x.at = false, at
		}
	}
}

// budgetMark is what tells that the inputs of a budget evaluation may have changed: the
// imports' mark (every accepted import of organisation, work orders, catalog, budgets or
// thresholds changes it once its facts are stored) and the runs and states of every rated
// month (the year's line sums, the metered days of the last 90 days).
func (s *Server) budgetMark(ctx context.Context) (string, error) {
	imports, err := s.cfg.Store.ImportsMark(ctx)
	if err != nil {
		return "", err
	}
	ms, err := s.monthStates(ctx)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(imports)
	for _, m := range ms {
		if m.Rated() {
			b.WriteString(";" + m.Period.String() + "=" + m.RunID + "/" + string(m.State))
		}
	}
	return b.String(), nil
}

// put adds e, replacing an entry of the same key, and drops the oldest beyond budgetKeep.
// c.mu is held.
func (c *budgetCache) put(e *budgetEntry) {
	kept := c.entries[:0]
	for _, x := range c.entries {
		if x.key != e.key {
			kept = append(kept, x)
		}
	}
	kept = append(kept, e)
	if len(kept) > budgetKeep {
		kept = kept[len(kept)-budgetKeep:]
	}
	c.entries = kept
}

func isDone(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// budgetReader is the store as funding.Evaluate reads it: the organisation and the
// work-order events read after the mark (not the portal's kept copies, which may be older)
// and not kept (a city's events are some 80 MB; the evaluation is made again only when an
// import or rating changed something, evaluateBudgets).
type budgetReader struct{ s *Server }

func (r budgetReader) Org(ctx context.Context) (catalog.Org, error) {
	return r.s.cfg.Store.Org(ctx)
}
func (r budgetReader) OrderEvents(ctx context.Context) ([]catalog.Event, error) {
	return r.s.cfg.Store.OrderEvents(ctx)
}
func (r budgetReader) Catalog(ctx context.Context) (catalog.Catalog, error) {
	return r.s.cfg.Store.Catalog(ctx)
}
func (r budgetReader) Budgets(ctx context.Context) ([]funding.Budget, error) {
	return r.s.cfg.Store.Budgets(ctx)
}
func (r budgetReader) BudgetThresholds(ctx context.Context) ([]funding.ThresholdVersion, error) {
	return r.s.cfg.Store.BudgetThresholds(ctx)
}
func (r budgetReader) YearLineSums(ctx context.Context, year int) ([]funding.LineSum, error) {
	return r.s.cfg.Store.YearLineSums(ctx, year)
}
func (r budgetReader) MeteredDays(ctx context.Context, from, to calendar.Date) ([]rating.Day, error) {
	return r.s.cfg.Store.MeteredDays(ctx, from, to)
}
