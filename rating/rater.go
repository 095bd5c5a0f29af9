package rating

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

var (
	// ErrNotRated: the month has never been rated.
	ErrNotRated = errors.New("month not rated")
	// ErrPeriodClosed: the month is closed; its lines are frozen and it cannot be re-rated.
	ErrPeriodClosed = errors.New("month is closed")
)

// EngineVersion names the rating rules of this code; it is part of every run's
// fingerprint, so a changed engine re-rates a month whose inputs did not change.
const EngineVersion = "cloudbill-rating/1"

// MasterData reads the catalog, the organisation, work orders and acceptance records.
type MasterData interface {
	Catalog(ctx context.Context) (catalog.Catalog, error)
	Org(ctx context.Context) (catalog.Org, error)
	// OrderEvents: every event, sorted by order, effective date and import order.
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
	Acceptances(ctx context.Context, p calendar.Period) ([]catalog.Acceptance, error)
}

// UsageReader computes usage quantities in the database: one quantity per window that
// has samples (argMax(value, version) per sample identity; see the README).
type UsageReader interface {
	UsageAggregates(ctx context.Context, p calendar.Period, ws []UsageWindow) (Usage, error)
}

// UsageAnomalies is what a UsageReader (or the MasterData beside it) may also do: name
// the samples its aggregates leave out as impossible (a value outside the range rating
// takes), so that the run reports them as exceptions instead of failing the month or
// billing them.
//
// UsageForeign names the samples left out of the windows because their source is another
// vendor's (a sample counts only for its own vendor, see UsageWindow): one exception per
// resource, metric and source, with the number of samples.
type UsageAnomalies interface {
	UsageOutOfRange(ctx context.Context, p calendar.Period, ws []UsageWindow) ([]string, error)
	UsageForeign(ctx context.Context, p calendar.Period, ws []UsageWindow) ([]string, error)
}

// Results reads closes and stores rating runs.
type Results interface {
	Closes(ctx context.Context) ([]Close, error)
	RatedLines(ctx context.Context, p calendar.Period) ([]Line, error)
	LatestRun(ctx context.Context, p calendar.Period) (Run, error)
	// SaveRun stores a run's lines, daily detail and deductions so that readers see the
	// whole run or, until it is committed, the previous one.
	SaveRun(ctx context.Context, r Run, lines []Line, ded []VendorDeduction) error
}

// Config is what a Rater needs.
type Config struct {
	Master  MasterData
	Usage   UsageReader
	Results Results
	// Rules: the deduction rules. Zero value: the stored versions when Master is also a
	// RuleReader (cloudbill rules import), with the built-in defaults before the first
	// of them; else the built-in defaults.
	Rules RuleBook
	// Now is the clock recorded in runs.
	Now func() time.Time
	// Lookback is how many of the latest closed months are re-rated to find
	// adjustments (default 12).
	Lookback int
}

// Validate reports a configuration that cannot work.
func (c Config) Validate() error {
	if c.Master == nil || c.Usage == nil || c.Results == nil {
		return errors.New("rating: master data, usage and results readers are required")
	}
	if c.Now == nil {
		return errors.New("rating: a clock is required")
	}
	return nil
}

// Rater rates months.
type Rater struct{ cfg Config }

// New makes a Rater.
func New(cfg Config) (*Rater, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Lookback <= 0 {
		cfg.Lookback = 12
	}
	return &Rater{cfg: cfg}, nil
}

// Outcome is what rating a month did.
type Outcome struct {
	Run        Run
	Lines      []Line
	Deductions []VendorDeduction
	// Unchanged: the inputs' fingerprint equals the latest run's, nothing was written
	// and Run is that run (Lines and Deductions are the freshly computed, identical ones).
	Unchanged bool
}

// Rate rates month p and stores the run, unless p's latest run has the same inputs'
// fingerprint (then nothing is written). A closed month is refused with ErrPeriodClosed.
// When p is the first open month (the month after the latest close), the closed months
// of the lookback are re-rated in memory and their differences booked as adjustment
// lines of p.
func (r *Rater) Rate(ctx context.Context, p calendar.Period) (Outcome, error) {
	closes, err := r.cfg.Results.Closes(ctx)
	if err != nil {
		return Outcome{}, err
	}
	closed := map[calendar.Period]Close{}
	var latest calendar.Period
	for _, c := range closes {
		closed[c.Period] = c
		if latest.Before(c.Period) {
			latest = c.Period
		}
	}
	if _, ok := closed[p]; ok {
		return Outcome{}, fmt.Errorf("rate %s: %w", p, ErrPeriodClosed)
	}
	book := r.cfg.Rules
	if len(book.Versions) == 0 {
		book = DefaultRuleBook()
		if rr, ok := r.cfg.Master.(RuleReader); ok {
			if book, err = StoredRuleBook(ctx, rr); err != nil {
				return Outcome{}, fmt.Errorf("rate %s: %w", p, err)
			}
		}
	}
	m := r.cfg.Master
	cat, err := m.Catalog(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("rate %s: %w", p, err)
	}
	org, err := m.Org(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("rate %s: %w", p, err)
	}
	events, err := m.OrderEvents(ctx)
	if err != nil {
		return Outcome{}, fmt.Errorf("rate %s: %w", p, err)
	}
	fp := newFingerprint()
	fp.add("engine", EngineVersion)
	fp.add("period", p.String())
	// The inputs' fingerprint, the month and the re-rating of the closed months run at
	// once (the month waits on ClickHouse most of its time, the others are Go's work);
	// each feeds a fork of fp, joined in the order they fed it one after the other, so
	// the fingerprint is the same.
	inputs, mfp, afp := fp.fork(), fp.fork(), fp.fork()
	adjusting := (latest != calendar.Period{}) && latest.Next() == p
	var (
		priced Priced
		adj    []Line
		late   []string
		parts  = []func(context.Context) error{
			func(context.Context) error {
				inputs.add("catalog", cat)
				inputs.add("org", orgCanon(org))
				inputs.add("events", events)
				return nil
			},
			func(ctx context.Context) (err error) {
				priced, err = r.month(ctx, p, cat, org, events, book, mfp)
				return err
			},
		}
	)
	if adjusting {
		parts = append(parts, func(ctx context.Context) (err error) {
			adj, late, err = r.adjustments(ctx, p, closes, cat, org, events, book, afp)
			return err
		})
	}
	if err := concurrently(ctx, parts...); err != nil {
		return Outcome{}, err
	}
	fp.join(inputs)
	fp.join(mfp)
	fp.join(afp)
	lines, exc := priced.Lines, priced.Exceptions
	if adjusting {
		lines = append(lines, adj...)
		exc = append(exc, late...)
		SortLines(lines)
	} else if (latest != calendar.Period{}) && latest.Next().Before(p) {
		exc = append(exc, fmt.Sprintf("adjustments for closed months are booked in the first open month %s, not here", latest.Next()))
	}
	print := fp.sum()
	if prev, err := r.cfg.Results.LatestRun(ctx, p); err == nil && prev.Fingerprint == print {
		return Outcome{Run: prev, Lines: lines, Deductions: priced.Deductions, Unchanged: true}, nil
	} else if err != nil && !errors.Is(err, ErrNotRated) {
		return Outcome{}, err
	}
	now := r.cfg.Now()
	run := Run{Period: p, RatedAt: now, Fingerprint: print, Lines: len(lines), Total: decimal.Zero,
		Pending: priced.Pending, Exceptions: exc}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d", p, print, now.UnixNano())))
	run.ID = p.String() + "-" + hex.EncodeToString(h[:8])
	for _, l := range lines {
		run.Total = run.Total.Add(l.Amount)
	}
	if err := r.cfg.Results.SaveRun(ctx, run, lines, priced.Deductions); err != nil {
		return Outcome{}, fmt.Errorf("rate %s: store run: %w", p, err)
	}
	return Outcome{Run: run, Lines: lines, Deductions: priced.Deductions}, nil
}

// month prices month p from the current inputs (its own lines only), feeding the month's
// acceptance records, rules and usage quantities into fp.
func (r *Rater) month(ctx context.Context, p calendar.Period, cat catalog.Catalog, org catalog.Org, events []catalog.Event, book RuleBook, fp *fingerprint) (Priced, error) {
	accs, err := r.cfg.Master.Acceptances(ctx, p)
	if err != nil {
		return Priced{}, fmt.Errorf("rate %s: %w", p, err)
	}
	rules, err := book.For(p)
	if err != nil {
		return Priced{}, fmt.Errorf("rate %s: %w", p, err)
	}
	var usage Usage
	ps, exc := pieces(p, cat, events)
	if ws := windowsOf(ps); len(ws) > 0 {
		ua, ok := r.cfg.Usage.(UsageAnomalies)
		if !ok { // a wrapped UsageReader hides it; the store behind Master has it too
			ua, ok = r.cfg.Master.(UsageAnomalies)
		}
		// The quantities and the two questions about the samples left out are three
		// independent reads of the month's samples: they run at once (each is one
		// ClickHouse query at a time, on one core), and their exceptions are added in
		// this order whichever ends first.
		var bad, foreign []string
		reads := []func(context.Context) error{func(ctx context.Context) (err error) {
			usage, err = r.cfg.Usage.UsageAggregates(ctx, p, ws)
			return err
		}}
		if ok {
			reads = append(reads,
				func(ctx context.Context) (err error) { bad, err = ua.UsageOutOfRange(ctx, p, ws); return err },
				func(ctx context.Context) (err error) { foreign, err = ua.UsageForeign(ctx, p, ws); return err })
		}
		if err := concurrently(ctx, reads...); err != nil {
			return Priced{}, fmt.Errorf("rate %s: usage: %w", p, err)
		}
		exc = append(exc, bad...)
		exc = append(exc, foreign...)
	}
	fp.add("month", p.String())
	fp.add("acceptances", accs)
	fp.add("rules", rulesCanon(rules))
	ws := usage.sortedWindows()
	q := make([]string, len(ws))
	for i, w := range ws {
		q[i] = w.String() + "=" + usage[w].String()
	}
	fp.add("usage", q)
	return price(Input{Period: p, Catalog: cat, Org: org, Events: events, Acceptances: accs, Rules: rules, Usage: usage}, ps, exc), nil
}

// adjustments re-rates the closed months of the lookback and returns p's adjustment
// lines. A closed month is re-rated with the deduction rules as they were when it was
// closed (book.AsOf): rules imported since never book a deduction difference.
func (r *Rater) adjustments(ctx context.Context, p calendar.Period, closes []Close, cat catalog.Catalog, org catalog.Org, events []catalog.Event, book RuleBook, fp *fingerprint) (out []Line, exc []string, err error) {
	sort.Slice(closes, func(i, j int) bool { return closes[i].Period.Before(closes[j].Period) })
	if len(closes) > r.cfg.Lookback {
		closes = closes[len(closes)-r.cfg.Lookback:]
	}
	frozen := make([][]Line, len(closes))
	for i, c := range closes {
		ls, err := r.cfg.Results.RatedLines(ctx, c.Period)
		if err != nil && !errors.Is(err, ErrNotRated) {
			return nil, nil, fmt.Errorf("rate %s: read closed %s: %w", p, c.Period, err)
		}
		frozen[i] = ls
		fp.add("closed", c.Period.String()+" "+c.RunID+" "+c.ContentHash)
	}
	if len(closes) > 0 {
		oldest := closes[0].Period
		for _, e := range events {
			if e.Late && e.Effective.Period().Before(oldest) {
				exc = append(exc, fmt.Sprintf("order %s: late %s of %s is in a closed month older than the %d re-rated (from %s): not adjusted",
					e.Order, e.Kind, e.Effective, r.cfg.Lookback, oldest))
			}
		}
	}
	for i, c := range closes {
		again, err := r.month(ctx, c.Period, cat, org, events, book.AsOf(c.ClosedAt), fp)
		if err != nil {
			return nil, nil, err
		}
		var booked []Line
		for _, ls := range frozen[i:] {
			booked = append(booked, ls...)
		}
		out = append(out, Adjustments(p, c.Period, again.Lines, booked)...)
	}
	return out, exc, nil
}

// fingerprint hashes canonical JSON of the inputs, in the order they are added. A fork
// keeps what is added to it until it is joined (to what forked it, or another fork), so
// that parts fed at once give the hash they would give one after the other.
type fingerprint struct {
	h   hash.Hash     // nil in a fork
	buf *bytes.Buffer // a fork's input
}

func newFingerprint() *fingerprint { return &fingerprint{h: sha256.New()} }

func (f *fingerprint) w() io.Writer {
	if f.h != nil {
		return f.h
	}
	return f.buf
}

func (f *fingerprint) add(name string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// every input type marshals; a failure is a programming error.
		panic(fmt.Sprintf("fingerprint %s: %v", name, err))
	}
	fmt.Fprintf(f.w(), "%s %d\n", name, len(b))
	f.w().Write(b)
}

// fork is a fingerprint whose input is added to f when f joins it.
func (f *fingerprint) fork() *fingerprint { return &fingerprint{buf: &bytes.Buffer{}} }

// join adds what was added to the fork c, in its order.
func (f *fingerprint) join(c *fingerprint) { f.w().Write(c.buf.Bytes()) }

func (f *fingerprint) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// orgCanon is the organisation as sorted slices (its maps have struct keys).
func orgCanon(o catalog.Org) any {
	projects := make([]catalog.Project, 0, len(o.Projects))
	for _, pr := range o.Projects {
		projects = append(projects, pr)
	}
	sort.Slice(projects, func(i, j int) bool {
		if projects[i].ID != projects[j].ID {
			return projects[i].ID < projects[j].ID
		}
		return projects[i].Year < projects[j].Year
	})
	return struct {
		D map[catalog.DepartmentID]catalog.Department
		P []catalog.Project
		V map[catalog.VendorID]catalog.Vendor
	}{o.Departments, projects, o.Vendors}
}

func rulesCanon(r Rules) any {
	res := map[string]string{}
	for k, v := range r.Result {
		res[string(k)] = v.String()
	}
	return struct {
		Name         string
		Result       map[string]string
		Score, Avail []Threshold
		Cap          string
	}{r.Name, res, r.Score, r.Availability, r.Cap.String()}
}

// concurrently runs fs at once and, once all have returned, the first error in fs's
// order; the first to fail cancels the context of the others.
func concurrently(ctx context.Context, fs ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(fs))
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = f(ctx); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
