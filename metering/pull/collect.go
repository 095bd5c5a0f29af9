package pull

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/metering"
)

// Status is what came of a window.
type Status string

const (
	// Collected: every series of the window became a sample.
	Collected Status = "collected"
	// Partial: the window was collected but some series were dropped (Error says which
	// and why: NaN, ±Inf, no resource label, two series for one resource).
	Partial Status = "partial"
	// Failed: the window could not be collected (Error says why); it is tried again.
	Failed Status = "failed"
)

// Done reports whether a window in this state needs no more collecting.
func (s Status) Done() bool { return s == Collected || s == Partial }

// Window is the record of one attempt to collect one window of one mapping.
type Window struct {
	Vendor, Metric string
	// Start and End bound the window [Start, End); the samples' ts is Start.
	Start, End time.Time
	Status     Status
	// Series is how many series Prometheus gave for the window, Samples how many
	// became samples.
	Series, Samples int
	Error           string
	// Trigger: "schedule" (serve), "catch-up" (cloudbill collect), "command" (a
	// re-collection of a range, with Reason).
	Trigger string
	Reason  string
	At      time.Time
}

// MappingRecord is a mapping as stored, so that completeness can be computed without the
// configuration file.
type MappingRecord struct {
	Vendor, Metric, Query, ResourceLabel string
	Window, Lateness                     time.Duration
	Start                                time.Time
	File                                 string
	At                                   time.Time
}

// WindowStore keeps the record of windows; package chstore satisfies it.
type WindowStore interface {
	// SaveMappings stores the mappings of a configuration (a new version each time
	// they change).
	SaveMappings(ctx context.Context, ms []MappingRecord) error
	// WindowStates returns the latest status of each window of (vendor, metric) recorded
	// with a start in [from, to), by window start (Unix seconds).
	WindowStates(ctx context.Context, vendor, metric string, from, to time.Time) (map[int64]Status, error)
	// RecordWindows appends window records.
	RecordWindows(ctx context.Context, ws []Window) error
}

// SampleAdder takes samples until they are durable; *metering.Batcher satisfies it. Add
// copies what it keeps: the batch is the caller's again once Add returns (the collector
// reuses its columns for the next run).
type SampleAdder interface {
	Add(ctx context.Context, b *metering.Batch) (*metering.Ticket, error)
}

// CollectorConfig configures a Collector.
type CollectorConfig struct {
	Config  Config
	Samples SampleAdder
	Store   WindowStore
	// Now is the clock; default time.Now.
	Now func() time.Time
	// HTTP is the client used; default one of its own.
	HTTP *http.Client
	// MaxWindowsPerQuery bounds the windows asked in one range query; default 288 (a
	// day of 5-minute windows).
	MaxWindowsPerQuery int
	// Logf reports what the collector does; default silent.
	Logf func(format string, args ...any)
}

// Collector collects one vendor's windows.
type Collector struct {
	cfg  CollectorConfig
	prom *promClient
}

// New makes a Collector.
func New(cc CollectorConfig) (*Collector, error) {
	if cc.Samples == nil || cc.Store == nil {
		return nil, errors.New("collector: no sample adder or window store")
	}
	if cc.Config.Vendor == "" || len(cc.Config.Mappings) == 0 {
		return nil, errors.New("collector: configuration without vendor or mappings")
	}
	if cc.Now == nil {
		cc.Now = time.Now
	}
	if cc.HTTP == nil {
		cc.HTTP = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, MaxIdleConnsPerHost: 4, IdleConnTimeout: time.Minute}}
	}
	if cc.MaxWindowsPerQuery <= 0 {
		cc.MaxWindowsPerQuery = 288
	}
	if cc.Logf == nil {
		cc.Logf = func(string, ...any) {}
	}
	if cc.Config.Prometheus.Timeout <= 0 {
		cc.Config.Prometheus.Timeout = 30 * time.Second
	}
	return &Collector{cfg: cc, prom: &promClient{ep: cc.Config.Prometheus, http: cc.HTTP}}, nil
}

// Vendor is the collector's vendor.
func (c *Collector) Vendor() string { return c.cfg.Config.Vendor }

// SaveMappings records the configuration's mappings (for completeness reports).
func (c *Collector) SaveMappings(ctx context.Context) error {
	var ms []MappingRecord
	for _, m := range c.cfg.Config.Mappings {
		ms = append(ms, MappingRecord{Vendor: c.cfg.Config.Vendor, Metric: m.Metric, Query: m.Query, ResourceLabel: m.ResourceLabel,
			Window: m.Window, Lateness: m.Lateness, Start: AlignUp(c.cfg.Config.Start, m.Window), File: c.cfg.Config.File, At: c.cfg.Now()})
	}
	return c.cfg.Store.SaveMappings(ctx, ms)
}

// Report counts what one pass did, per metric and in total.
type Report struct {
	Windows, Collected, Partial, Failed int
	Samples, Duplicates                 int
	// Errors are the distinct errors met, each with the windows it hit.
	Errors []string
}

func (r *Report) add(o Report) {
	r.Windows += o.Windows
	r.Collected += o.Collected
	r.Partial += o.Partial
	r.Failed += o.Failed
	r.Samples += o.Samples
	r.Duplicates += o.Duplicates
	r.Errors = append(r.Errors, o.Errors...)
}

func (r Report) String() string {
	return fmt.Sprintf("%d windows: %d collected, %d partial, %d failed; %d samples (%d already stored with the same value)",
		r.Windows, r.Collected, r.Partial, r.Failed, r.Samples, r.Duplicates)
}

// Aligned windows: a window of length w starts at a multiple of w counted from midnight
// Asia/Shanghai (w divides a day), so that windows never straddle days or months.
const shanghaiOffset = 8 * 3600

// AlignDown is the start of the window of length w holding t.
func AlignDown(t time.Time, w time.Duration) time.Time {
	ws := int64(w / time.Second)
	u := t.Unix() + shanghaiOffset
	r := u % ws
	if r < 0 {
		r += ws
	}
	return time.Unix(u-r-shanghaiOffset, 0).UTC()
}

// AlignUp is the start of the first window of length w starting at or after t.
func AlignUp(t time.Time, w time.Duration) time.Time {
	d := AlignDown(t, w)
	if d.Before(t) {
		d = d.Add(w)
	}
	return d
}

// DueUntil is the end of the last window of m that is due at now (collectable: it ended
// at least Lateness ago).
func DueUntil(m Mapping, now time.Time) time.Time {
	return AlignDown(now.Add(-m.Lateness), m.Window)
}

// CatchUp collects every due window of every mapping that is not recorded as collected
// (or partial): the first run collects from the configuration's start, later runs what is
// new and the gaps (failed windows, windows missed while nothing ran). trigger is
// recorded with each window.
func (c *Collector) CatchUp(ctx context.Context, trigger string) (Report, error) {
	ps := &pass{trigger: trigger}
	now := c.cfg.Now()
	var runs []run
	for _, m := range c.cfg.Config.Mappings {
		from := AlignUp(c.cfg.Config.Start, m.Window)
		to := DueUntil(m, now)
		if !from.Before(to) {
			continue
		}
		states, err := c.cfg.Store.WindowStates(ctx, c.cfg.Config.Vendor, m.Metric, from, to)
		if err != nil {
			return ps.end(ctx, c, err)
		}
		var todo []time.Time
		for s := from; s.Before(to); s = s.Add(m.Window) {
			if !states[s.Unix()].Done() {
				todo = append(todo, s)
			}
		}
		runs = c.runsOf(runs, m, todo)
	}
	return ps.end(ctx, c, c.collect(ctx, ps, runs))
}

// pass is one CatchUp or Recollect: its report so far, the run queried whose samples
// are on their way to the store (the next query, of the same mapping or the next one,
// is read before it is waited for), and the buffers its answers are read into (reused
// from run to run, dropped with the pass).
type pass struct {
	trigger, reason string
	total           Report
	prev            *inFlight
	dec             jsonDecoder
	batch           metering.Batch
}

// finish waits for the run in flight, if any, and records its windows.
func (ps *pass) finish(ctx context.Context, c *Collector) error {
	if ps.prev == nil {
		return nil
	}
	r, err := c.finish(ctx, ps.prev.m, ps.prev, ps.trigger, ps.reason)
	ps.prev = nil
	ps.total.add(r)
	return err
}

// end finishes the run in flight (unless err already ends the pass) and returns the
// report.
func (ps *pass) end(ctx context.Context, c *Collector, err error) (Report, error) {
	if err == nil {
		err = ps.finish(ctx, c)
	} else if ps.prev != nil && ctx.Err() == nil {
		_ = ps.finish(ctx, c) // what was queried is still recorded
	}
	if len(ps.total.Errors) > 3 {
		n := len(ps.total.Errors)
		ps.total.Errors = append(ps.total.Errors[:3], fmt.Sprintf("… and %d more", n-3))
	}
	return ps.total, err
}

// Recollect collects every window of every mapping that starts in [from, to) and is
// due, collected before or not, recording reason. Values Prometheus still gives
// unchanged are duplicates; changed ones are corrections.
func (c *Collector) Recollect(ctx context.Context, from, to time.Time, reason string) (Report, error) {
	if strings.TrimSpace(reason) == "" {
		return Report{}, errors.New("re-collect: a reason is required")
	}
	ps := &pass{trigger: "command", reason: reason}
	now := c.cfg.Now()
	var runs []run
	for _, m := range c.cfg.Config.Mappings {
		lo := AlignUp(from, m.Window)
		hi := min64t(AlignUp(to, m.Window), DueUntil(m, now))
		var todo []time.Time
		for s := lo; s.Before(hi); s = s.Add(m.Window) {
			todo = append(todo, s)
		}
		runs = c.runsOf(runs, m, todo)
	}
	return ps.end(ctx, c, c.collect(ctx, ps, runs))
}

func min64t(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// NextDue is when the next window of any mapping becomes due after now.
func (c *Collector) NextDue(now time.Time) time.Time {
	var next time.Time
	for _, m := range c.cfg.Config.Mappings {
		t := DueUntil(m, now).Add(m.Window).Add(m.Lateness)
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	return next
}

// run is consecutive windows of one mapping asked in one range query.
type run struct {
	m      Mapping
	starts []time.Time
}

// runsOf appends to runs the given window starts of m (ascending) in runs of
// consecutive windows of at most MaxWindowsPerQuery.
func (c *Collector) runsOf(runs []run, m Mapping, starts []time.Time) []run {
	for i := 0; i < len(starts); {
		j := i + 1
		for j < len(starts) && j-i < c.cfg.MaxWindowsPerQuery && starts[j].Sub(starts[j-1]) == m.Window {
			j++
		}
		runs = append(runs, run{m: m, starts: starts[i:j]})
		i = j
	}
	return runs
}

// ask sends the range query of r.
func (c *Collector) ask(ctx context.Context, r run) *promCall {
	return c.prom.ask(ctx, r.m.Expr(), r.starts[0].Add(r.m.Window), r.starts[len(r.starts)-1].Add(r.m.Window), r.m.Window)
}

// collect collects the runs, one range query each, in order. Prometheus evaluates one
// query at a time: the next run is asked once the answer of the one before starts to
// come (Prometheus has evaluated it), so that reading and storing an answer overlaps the
// evaluation of the next query; and a run's samples are stored while the next one is
// read. A run's windows are recorded only once its samples are durable. After a failed
// query of a mapping, its runs not yet asked are recorded as failed with the same error
// without asking (they are tried on the next pass); a run already asked is read as any.
// The next run of a mapping is not asked early when the answer before it failed already
// at its head (no answer, or not a 2xx).
func (c *Collector) collect(ctx context.Context, ps *pass, runs []run) error {
	failed := map[string]string{} // metric → the error of its failed query in this pass
	var next *promCall            // runs[i]'s query, asked early
	defer func() {
		if next != nil {
			next.abandon()
		}
	}()
	for i, r := range runs {
		m := r.m
		q := next
		next = nil
		if err := ctx.Err(); err != nil {
			if q != nil {
				q.abandon()
			}
			return err
		}
		if msg := failed[m.Metric]; msg != "" && q == nil {
			if err := ps.finish(ctx, c); err != nil {
				return err
			}
			rep, err := c.record(ctx, m, r.starts, nil, "not asked after an earlier failure in this pass: "+msg, ps.trigger, ps.reason)
			ps.total.add(rep)
			if err != nil {
				return err
			}
			continue
		}
		if q == nil {
			q = c.ask(ctx, r)
		}
		headFailed := q.head()
		if i+1 < len(runs) && ctx.Err() == nil {
			n := runs[i+1]
			if failed[n.m.Metric] == "" && !(headFailed && n.m.Metric == m.Metric) {
				next = c.ask(ctx, n)
			}
		}
		f, qerr := c.take(ctx, ps, r, q)
		if err := ps.finish(ctx, c); err != nil {
			return err
		}
		if qerr != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			c.cfg.Logf("%s %s: windows %s … %s: %v", c.cfg.Config.Vendor, m.Metric, fmtTime(r.starts[0]), fmtTime(r.starts[len(r.starts)-1]), qerr)
			rep, err := c.record(ctx, m, r.starts, nil, qerr.Error(), ps.trigger, ps.reason)
			ps.total.add(rep)
			if err != nil {
				return err
			}
			failed[m.Metric] = qerr.Error()
			continue
		}
		ps.prev = f
	}
	return nil
}

// windowResult gathers what one window of a range query gave.
type windowResult struct {
	series, samples int
	dropped         []string
}

// inFlight is a run queried whose samples are on their way to the store.
type inFlight struct {
	m        Mapping
	run      []time.Time
	wins     []windowResult // by window, as run
	warnings []string
	ticket   *metering.Ticket
	addErr   error
}

// take reads the answer of r's query and hands its samples to the store (without
// waiting for them to be durable).
func (c *Collector) take(ctx context.Context, ps *pass, r run, q *promCall) (*inFlight, error) {
	ans, err := q.read(&ps.dec)
	if err != nil {
		return nil, err
	}
	result := ans.Data.Result
	m := r.m
	// the window of a point: points are at the windows' ends, first … last, a window apart
	winSec := int64(m.Window / time.Second)
	winMs := winSec * 1000
	firstMs := r.starts[0].Add(m.Window).UnixMilli()
	n := int64(len(r.starts))
	wins := make([]windowResult, len(r.starts))
	win := func(t int64) *windowResult {
		d := t - firstMs
		if d < 0 || d%winMs != 0 || d/winMs >= n {
			return nil
		}
		return &wins[d/winMs]
	}
	points := 0
	for _, sr := range result {
		points += len(sr.Values)
	}
	// the columns of the pass, grown once to the largest run (Add copies them): growing
	// them point by point was a third of the pass's CPU
	b := &ps.batch
	if cap(b.TS) < points {
		*b = metering.Batch{ResourceID: make([]string, 0, points), Metric: make([]string, 0, points), TS: make([]int64, 0, points),
			Value: make([]float64, 0, points), Source: make([]string, 0, points), Version: make([]uint64, 0, points)}
	}
	b.ResourceID, b.Metric, b.TS, b.Value, b.Source, b.Version = b.ResourceID[:0], b.Metric[:0], b.TS[:0], b.Value[:0], b.Source[:0], b.Version[:0]
	vendor := c.cfg.Config.Vendor
	add := func(res string, pt promPoint, w *windowResult) {
		if math.IsNaN(pt.V) || math.IsInf(pt.V, 0) {
			w.dropped = append(w.dropped, cutText(fmt.Sprintf("resource %s: value %v is not a finite number", res, pt.V), maxOutsideText))
			return
		}
		b.ResourceID = append(b.ResourceID, res)
		b.Metric = append(b.Metric, m.Metric)
		b.TS = append(b.TS, pt.T/1000-winSec) // the window's start
		b.Value = append(b.Value, pt.V)
		b.Source = append(b.Source, vendor)
		b.Version = append(b.Version, 0)
		w.samples++
	}
	// the series of each resource (most resources have one)
	byRes := make(map[string][]int, len(result))
	for i, sr := range result {
		res := sr.Metric[m.ResourceLabel]
		byRes[res] = append(byRes[res], i)
	}
	for res, list := range byRes {
		switch {
		case res == "":
			for _, i := range list {
				for _, pt := range result[i].Values {
					if w := win(pt.T); w != nil {
						w.series++
						w.dropped = append(w.dropped, cutText(fmt.Sprintf("series %s has no label %s", labelString(result[i].Metric), m.ResourceLabel), maxOutsideText))
					}
				}
			}
		case len(list) == 1:
			for _, pt := range result[list[0]].Values {
				if w := win(pt.T); w != nil {
					w.series++
					add(res, pt, w)
				}
			}
		default: // several series of one resource: in a window where two have a value, none is kept
			seen := map[int64][]int{}
			for _, i := range list {
				for _, pt := range result[i].Values {
					if win(pt.T) != nil {
						seen[pt.T] = append(seen[pt.T], i)
					}
				}
			}
			for _, i := range list {
				for _, pt := range result[i].Values {
					w := win(pt.T)
					if w == nil {
						continue
					}
					w.series++
					if ss := seen[pt.T]; len(ss) > 1 {
						if ss[0] == i {
							ls := make([]string, len(ss))
							for k, j := range ss {
								ls[k] = labelString(result[j].Metric)
							}
							w.dropped = append(w.dropped, cutText(fmt.Sprintf("resource %s: several series after relabelling (%s): none kept", res, strings.Join(ls, ", ")), maxOutsideText))
						}
						continue
					}
					add(res, pt, w)
				}
			}
		}
	}
	f := &inFlight{m: m, run: r.starts, wins: wins, warnings: ans.Warnings}
	if b.Len() > 0 {
		f.ticket, f.addErr = c.cfg.Samples.Add(ctx, b)
		if fl, ok := c.cfg.Samples.(interface{ Flush() }); ok {
			fl.Flush() // a run is a batch of its own: no waiting for more
		}
	}
	return f, nil
}

// finish waits until the samples of a run are durable and records its windows.
func (c *Collector) finish(ctx context.Context, m Mapping, f *inFlight, trigger, reason string) (Report, error) {
	var res metering.Result
	err := f.addErr
	if err == nil && f.ticket != nil {
		res, err = f.ticket.Wait(ctx)
	}
	if err != nil {
		if ctx.Err() != nil {
			return Report{}, ctx.Err()
		}
		r, rerr := c.record(ctx, m, f.run, nil, "samples not stored: "+err.Error(), trigger, reason)
		if rerr == nil {
			rerr = err
		}
		return r, rerr
	}
	r, err := c.record(ctx, m, f.run, f.wins, strings.Join(f.warnings, "; "), trigger, reason)
	r.Duplicates = res.Duplicates
	return r, err
}

// record writes the records of the windows of run: failed with failure when wins is
// nil, else as collected or partial.
func (c *Collector) record(ctx context.Context, m Mapping, run []time.Time, wins []windowResult, note, trigger, reason string) (Report, error) {
	at := c.cfg.Now()
	rs := make([]Window, 0, len(run))
	var rep Report
	for k, s := range run {
		w := Window{Vendor: c.cfg.Config.Vendor, Metric: m.Metric, Start: s, End: s.Add(m.Window), Trigger: trigger, Reason: reason, At: at}
		rep.Windows++
		if wins == nil {
			w.Status, w.Error = Failed, note
			rep.Failed++
		} else {
			wr := &wins[k]
			w.Series, w.Samples = wr.series, wr.samples
			rep.Samples += w.Samples
			w.Status = Collected
			var msgs []string
			if note != "" {
				msgs = append(msgs, "prometheus warned: "+note)
			}
			if len(wr.dropped) > 0 {
				w.Status = Partial
				if len(wr.dropped) > 5 {
					msgs = append(msgs, wr.dropped[:5]...)
					msgs = append(msgs, fmt.Sprintf("… %d series dropped in all", len(wr.dropped)))
				} else {
					msgs = append(msgs, wr.dropped...)
				}
			}
			if note != "" {
				w.Status = Partial
			}
			w.Error = strings.Join(msgs, "; ")
			if w.Status == Partial {
				rep.Partial++
			} else {
				rep.Collected++
			}
		}
		rs = append(rs, w)
	}
	if wins == nil {
		rep.Errors = append(rep.Errors, fmt.Sprintf("%s %s … %s: %s", m.Metric, fmtTime(run[0]), fmtTime(run[len(run)-1].Add(m.Window)), note))
	}
	if err := c.cfg.Store.RecordWindows(context.WithoutCancel(ctx), rs); err != nil {
		return rep, fmt.Errorf("record windows of %s %s: %w", c.cfg.Config.Vendor, m.Metric, err)
	}
	return rep, nil
}

func labelString(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s=%q", k, l[k])
	}
	b.WriteByte('}')
	return b.String()
}

func fmtTime(t time.Time) string {
	return t.In(calendar.Shanghai()).Format("2006-01-02T15:04:05-07:00")
}
