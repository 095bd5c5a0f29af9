package portal

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/statements"
	"cloudbill/statements/breakdown"
)

// MonthState is a month as the portal lists it (its state decided by package app).
type MonthState = app.Month

// statesTTL bounds how long the months' states are reused between requests (a rating,
// close or issue made by another process shows within it and the time of one re-read;
// one made here at once); statesStale bounds how long they are answered while re-read.
const (
	statesTTL   = 2 * time.Second
	statesStale = 30 * time.Second
)

// monthStates lists the rated and closed months, newest first, with the current month
// (open, maybe not rated) on top.
func (s *Server) monthStates(ctx context.Context) ([]MonthState, error) {
	ms, err := s.states.get(ctx, time.Now, statesTTL, statesStale, s.readMonthStates)
	if err != nil {
		return nil, err
	}
	s.warmNew(ms)
	return ms, nil
}

// warmNew loads, in the background, the figures of the two newest rated or closed
// months when their run is new since the states were last read (a rating or close by
// any process, noticed within statesTTL): the month's lines and statements are ready
// before anyone asks. Older months load on their first request.
func (s *Server) warmNew(ms []MonthState) {
	s.warmMu.Lock()
	defer s.warmMu.Unlock()
	if s.warmed == nil {
		s.warmed = map[monthKey]bool{}
	}
	n := 0
	for _, m := range ms { // newest first
		if !m.Rated() {
			continue
		}
		if n++; n > 2 {
			break
		}
		key := monthKey{m.Period, m.RunID, m.State.Closed()}
		if s.warmed[key] {
			continue
		}
		s.warmed[key] = true
		if s.cfg.NoWarm {
			continue
		}
		go func(m MonthState) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if err := s.warmMonth(ctx, m); err != nil {
				s.cfg.Logf("portal: warm %s: %v", m.Period, err)
			}
		}(m)
	}
}

// warmMonth loads what the first views of a rated month ask: its lines and statements,
// its parties' totals (the 12-month chart) and the evaluation of the current year's
// budgets (a department's overview), which a new run of the month changes.
func (s *Server) warmMonth(ctx context.Context, m MonthState) error {
	// the budgets first, then the statements (their lines read once, with the month's),
	// then the units: each of the first two needs much memory for a while (the work-order
	// events, the statements), best met before the units are held
	today := calendar.LocalDate(s.now())
	if m.Period.Year == today.Year {
		if _, err := s.budgetReport(ctx, today.Year, today); err != nil {
			return err
		}
	}
	md, err := s.month(ctx, m.Period)
	if err != nil && !errors.Is(err, errNotRated) {
		return err
	}
	if err == nil {
		s.prepareUnits(md) // every department's breakdown: no first view builds one
	}
	_, err = s.runTotals(ctx, monthKey{m.Period, m.RunID, m.State.Closed()})
	return err
}

func (s *Server) readMonthStates(ctx context.Context) ([]MonthState, error) {
	return s.cfg.App.Months(ctx, currentPeriod(s.now()))
}

// stateOf is one month's state.
func (s *Server) stateOf(ctx context.Context, p calendar.Period) (MonthState, error) {
	ms, err := s.monthStates(ctx)
	if err != nil {
		return MonthState{}, err
	}
	for _, m := range ms {
		if m.Period == p {
			return m, nil
		}
	}
	return MonthState{Period: p, State: app.StateOpen}, nil
}

// monthKey identifies the figures of a month: the run they come from.
type monthKey struct {
	period calendar.Period
	run    string
	closed bool
}

// monthData is a month's figures, loaded once per run and kept: its lines and the
// organisation (enough for drill-downs), and, when first asked, its statements.
type monthData struct {
	key       monthKey
	linesOnce sync.Once
	linesErr  error
	lines     []rating.Line
	byDept    map[catalog.DepartmentID][]int32 // positions in lines of each department's lines
	org       catalog.Org
	catalog   catalog.Catalog
	deds      []rating.VendorDeduction
	stOnce    sync.Once
	stErr     error
	st        monthStatements
	used      atomic.Int64 // Server.tick when last asked (the least recently used goes)
	mu        sync.Mutex
	depts     map[catalog.DepartmentID]*deptReport
	// units is each department's own unit of the breakdown (its own lines, no
	// subordinate's), made once for every department of the month (prepareUnits): a
	// department's breakdown is its units' in order (deptOf), so that no first view builds
	// anything and each line is held once however deep the organisation.
	unitsOnce sync.Once
	unitsMu   sync.Mutex
	units     map[catalog.DepartmentID]ownUnit
	// pages are the drill-down pages' content made (drillPage), by department, query and
	// neighbour months; pagesSize bytes in all, at most keepPageBytes
	pagesMu   sync.Mutex
	pages     map[string]template.HTML
	pagesSize int
}

// keepPageBytes bounds the drill-down pages' content kept with a month (all are dropped
// when it is reached, and made again when asked).
const keepPageBytes = 64 << 20

// drillPage is the content kept under key.
func (md *monthData) drillPage(key string) (template.HTML, bool) {
	md.pagesMu.Lock()
	defer md.pagesMu.Unlock()
	h, ok := md.pages[key]
	return h, ok
}

// keepDrillPage keeps a drill-down page's content.
func (md *monthData) keepDrillPage(key string, h template.HTML) {
	md.pagesMu.Lock()
	defer md.pagesMu.Unlock()
	if md.pages == nil || md.pagesSize+len(h) > keepPageBytes {
		md.pages, md.pagesSize = map[string]template.HTML{}, 0
	}
	if _, ok := md.pages[key]; !ok {
		md.pages[key] = h
		md.pagesSize += len(key) + len(h)
	}
}

// ownUnit is a department's own unit of the month's breakdown, or the error building it.
type ownUnit struct {
	unit breakdown.Unit
	err  error
}

// keepMonths bounds the months whose figures are kept (the two newest are loaded ahead;
// a month further back is loaded when asked and goes when it is the least recently
// asked): a city month's lines and breakdown units are some 200 MB.
const keepMonths = 3

// keepDepts bounds the departments whose breakdown is kept with a month (the least
// recently asked goes, and is built again from the month's lines when asked).
const keepDepts = 128

type deptReport struct {
	once sync.Once
	used atomic.Int64 // Server.tick when last asked
	rep  breakdown.Report
	err  error
	// jsonOnce makes json, the API's answer (GET /api/v1/breakdown) encoded once.
	jsonOnce sync.Once
	json     []byte
	// mtd is the month to date as of mtdDay (an open month's overview).
	mtdMu  sync.Mutex
	mtdDay calendar.Date
	mtd    *breakdown.Report
}

// errNotRated: the month has no figures yet.
var errNotRated = errors.New("month not rated")

// monthEntry is the cache entry of the month's current run (a re-rate or a close makes a
// new entry; the month's other entries go).
func (s *Server) monthEntry(ctx context.Context, p calendar.Period) (*monthData, error) {
	st, err := s.stateOf(ctx, p)
	if err != nil {
		return nil, err
	}
	if !st.Rated() {
		return nil, errNotRated
	}
	key := monthKey{p, st.RunID, st.State.Closed()}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	md, ok := s.months[key]
	if !ok {
		md = &monthData{key: key, depts: map[catalog.DepartmentID]*deptReport{}}
		for k := range s.months {
			if k.period == p {
				delete(s.months, k)
			}
		}
		if len(s.months) >= keepMonths {
			var lru *monthData
			for _, x := range s.months {
				if lru == nil || x.used.Load() < lru.used.Load() {
					lru = x
				}
			}
			delete(s.months, lru.key)
		}
		s.months[key] = md
	}
	md.used.Store(s.tick.Add(1))
	return md, nil
}

func (s *Server) drop(md *monthData) {
	s.cacheMu.Lock()
	if s.months[md.key] == md {
		delete(s.months, md.key)
	}
	s.cacheMu.Unlock()
}

// monthLines returns the month's lines and organisation (what a drill-down needs).
func (s *Server) monthLines(ctx context.Context, p calendar.Period) (*monthData, error) {
	md, err := s.monthEntry(ctx, p)
	if err != nil {
		return nil, err
	}
	md.linesOnce.Do(func() {
		ctx := context.WithoutCancel(ctx)
		if md.org, md.linesErr = s.cfg.Store.Org(ctx); md.linesErr != nil {
			return
		}
		if md.catalog, md.linesErr = s.cfg.Store.Catalog(ctx); md.linesErr != nil {
			return
		}
		if md.deds, md.linesErr = s.cfg.Store.VendorDeductions(ctx, p); md.linesErr != nil {
			return
		}
		if md.lines, md.linesErr = s.cfg.Store.RatedLines(ctx, p); md.linesErr != nil {
			return
		}
		compactLines(md.lines)
		md.byDept = map[catalog.DepartmentID][]int32{}
		for i, l := range md.lines {
			md.byDept[l.Department] = append(md.byDept[l.Department], int32(i))
		}
	})
	if md.linesErr != nil {
		s.drop(md)
		if errors.Is(md.linesErr, rating.ErrNotRated) {
			return nil, errNotRated
		}
		return nil, md.linesErr
	}
	return md, nil
}

// monthStatements is what the pages show of the month's statements (statements.Build,
// the statements' own figures): the district summary's departments and each vendor's
// settlement without its lines. The statements themselves are not kept (a city month's
// department statements, lines and summary are some 230 MB; the PDFs are files).
type monthStatements struct {
	ByDepartment []statements.Subtotal         // statements.FinanceSummary.ByDepartment
	Vendors      []statements.VendorSettlement // Lines and TrueUp nil
}

// keptStatements is the part of st the pages show.
func keptStatements(st statements.Statements) monthStatements {
	out := monthStatements{ByDepartment: st.Summary.ByDepartment, Vendors: make([]statements.VendorSettlement, len(st.Vendors))}
	for i, vs := range st.Vendors {
		vs.Lines, vs.TrueUp = nil, nil
		out.Vendors[i] = vs
	}
	return out
}

// linesSource is the store, with the month's lines already read (the portal's) answered
// from memory: statements.Build copies the lines it sorts, so they are read only.
type linesSource struct {
	statements.Source
	period calendar.Period
	lines  []rating.Line
}

func (ls linesSource) RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error) {
	if p == ls.period {
		return ls.lines, nil
	}
	return ls.Source.RatedLines(ctx, p)
}

// month returns the month with what the pages show of its statements (monthStatements),
// built from its lines (monthLines) once per run.
func (s *Server) month(ctx context.Context, p calendar.Period) (*monthData, error) {
	md, err := s.monthLines(ctx, p)
	if err != nil {
		return nil, err
	}
	md.stOnce.Do(func() {
		src := linesSource{Source: s.cfg.Store, period: p, lines: md.lines}
		m, err := statements.Load(context.WithoutCancel(ctx), src, p, s.now)
		if err != nil {
			md.stErr = err
			return
		}
		md.st = keptStatements(statements.Build(m))
	})
	if md.stErr != nil {
		s.drop(md)
		if errors.Is(md.stErr, rating.ErrNotRated) {
			return nil, errNotRated
		}
		return nil, md.stErr
	}
	return md, nil
}

// Warm loads the figures of the latest rated months (their lines, from which every
// department's breakdown is built without a query of its own, and their statements) ahead
// of the first request; serve calls it in the background at start, and a month rated or
// closed later is loaded when its run is first seen (warmNew).
func (s *Server) Warm(ctx context.Context) error {
	ms, err := s.monthStates(ctx)
	if err != nil {
		return err
	}
	n := 0
	for _, m := range ms {
		if !m.Rated() || n == 2 {
			continue
		}
		n++
		if err := s.warmMonth(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// breakdownOf is department dep's breakdown of the month: the whole rated month (as its
// statement), built by statements/breakdown, cached with the month.
func (s *Server) breakdownOf(ctx context.Context, md *monthData, dep catalog.DepartmentID) (breakdown.Report, error) {
	dr, err := s.deptOf(md, dep)
	if err != nil {
		return breakdown.Report{}, err
	}
	return dr.rep, nil
}

// deptOf is dep's entry in the month with its breakdown: breakdown.Build's report of dep
// and its units, put together (breakdown.Compose) from the units made ahead
// (prepareUnits) — the same report (TestComposedBreakdown), without building it on the
// department's first view.
func (s *Server) deptOf(md *monthData, dep catalog.DepartmentID) (*deptReport, error) {
	dr := s.deptEntry(md, dep)
	dr.once.Do(func() {
		// the report's heading (status, through, name) as Build makes it, without lines
		in := md.input(dep)
		in.Lines = nil
		rep, err := breakdown.Build(in)
		if err != nil {
			dr.err = err
			return
		}
		units := make([]breakdown.Unit, len(rep.Units))
		for i, u := range rep.Units {
			ou := s.unitOf(md, catalog.DepartmentID(u.ID))
			if ou.err != nil {
				dr.err = ou.err
				return
			}
			units[i] = ou.unit // shared with every report that holds the unit: read only
		}
		if dr.rep, err = breakdown.Compose(rep, units); err != nil {
			dr.err = err
		}
	})
	if dr.err != nil {
		md.mu.Lock()
		if md.depts[dep] == dr {
			delete(md.depts, dep)
		}
		md.mu.Unlock()
		return nil, dr.err
	}
	return dr, nil
}

// deptEntry is dep's entry in the month, made if missing (the least recently asked
// department going beyond keepDepts).
func (s *Server) deptEntry(md *monthData, dep catalog.DepartmentID) *deptReport {
	md.mu.Lock()
	defer md.mu.Unlock()
	dr, ok := md.depts[dep]
	if !ok {
		if len(md.depts) >= keepDepts {
			var lru catalog.DepartmentID
			var at int64
			for d, x := range md.depts {
				if u := x.used.Load(); lru == "" || u < at {
					lru, at = d, u
				}
			}
			delete(md.depts, lru)
		}
		dr = &deptReport{}
		md.depts[dep] = dr
	}
	dr.used.Store(s.tick.Add(1))
	return dr
}

// breakdownJSON is dep's answer of GET /api/v1/breakdown (JSON), encoded from its
// breakdown on its first ask and kept with it (a few milliseconds for the city's largest
// department; encoded parts of every unit kept ahead were some 118 MB a city month).
func (s *Server) breakdownJSON(md *monthData, dep catalog.DepartmentID) ([]byte, error) {
	dr, err := s.deptOf(md, dep)
	if err != nil {
		return nil, err
	}
	dr.jsonOnce.Do(func() {
		dr.json = encodeJSON(breakdownAnswer(dr.rep, departmentPage(md.key.period, dep)))
	})
	return dr.json, nil
}

// departmentPage is the path of dep's page of month p (the drill-down urls' base).
func departmentPage(p calendar.Period, dep catalog.DepartmentID) string {
	return "/departments/" + esc(string(dep)) + "/" + p.String()
}

// input is what breakdown.Build makes dep's report of the whole month from: dep's and its
// units' lines, their days from the lines (rating.Line.Daily, the rule rated_days is
// computed by; no query of its own).
func (md *monthData) input(dep catalog.DepartmentID) breakdown.Input {
	p := md.key.period
	return breakdown.Input{Period: p, Department: dep, Org: md.org, Catalog: md.catalog, Deductions: md.deds, Lines: md.linesOf(dep),
		Closed: md.key.closed, RunID: md.key.run, Today: p.Last(), DaysFromLines: true}
}

// prepareUnits makes the own unit of every department of the month (warmMonth, or the
// first breakdown asked): each line of the month once, as the breakdown shows it.
func (s *Server) prepareUnits(md *monthData) {
	md.unitsOnce.Do(func() {
		units := make(map[catalog.DepartmentID]ownUnit, len(md.org.Departments))
		in := newInterner() // the units' explanations and daily amounts held once (compactUnit)
		build := func(d catalog.DepartmentID) {
			ou := md.buildUnit(d)
			if ou.err == nil {
				compactUnit(in, &ou.unit)
			}
			units[d] = ou
		}
		for d := range md.org.Departments {
			build(d)
		}
		for d := range md.byDept {
			if _, ok := units[d]; !ok {
				build(d)
			}
		}
		md.unitsMu.Lock()
		md.units = units
		md.unitsMu.Unlock()
	})
}

// unitOf is department d's own unit of the month (made now if the department is not in
// the month's organisation).
func (s *Server) unitOf(md *monthData, d catalog.DepartmentID) ownUnit {
	s.prepareUnits(md)
	md.unitsMu.Lock()
	defer md.unitsMu.Unlock()
	ou, ok := md.units[d]
	if !ok {
		ou = md.buildUnit(d)
		md.units[d] = ou
	}
	return ou
}

// buildUnit is breakdown.Build's first unit of d from d's own lines: the unit as every
// report that holds d shows it (a line's id names its department, so the ids of d's lines
// do not depend on the other units').
func (md *monthData) buildUnit(d catalog.DepartmentID) ownUnit {
	in := md.input(d)
	at := md.byDept[d]
	in.Lines = make([]rating.Line, len(at))
	for i, k := range at {
		in.Lines[i] = md.lines[k]
	}
	rep, err := breakdown.Build(in)
	if err != nil {
		return ownUnit{err: err}
	}
	if len(rep.Units) == 0 || rep.Units[0].ID != string(d) {
		return ownUnit{err: fmt.Errorf("breakdown %s: no unit %s", md.key.period, d)}
	}
	return ownUnit{unit: rep.Units[0]}
}

// linesOf is the month's lines of department dep and its units, in the month's order: all
// a breakdown of dep reads (a breakdown built from the whole month's lines scanned the
// city's every line on each department's first view).
func (md *monthData) linesOf(dep catalog.DepartmentID) []rating.Line {
	var at []int32
	for _, u := range breakdown.Units(md.org, dep) {
		at = append(at, md.byDept[u]...)
	}
	slices.Sort(at)
	out := make([]rating.Line, len(at))
	for i, k := range at {
		out[i] = md.lines[k]
	}
	return out
}

// vendorSettlement finds vendor v's settlement in the month.
func (md *monthData) vendorSettlement(v catalog.VendorID) (statements.VendorSettlement, bool) {
	for _, vs := range md.st.Vendors {
		if vs.Vendor.ID == v {
			return vs, true
		}
	}
	return statements.VendorSettlement{}, false
}

// TrendPoint is one month of a 12-month trend.
type TrendPoint struct {
	Period calendar.Period
	Amount decimal.Decimal
	// State is the month's ("" not rated): closed is final, any other provisional (临时).
	State app.State
}

// trend is the 12 months ending with the current month of what id sees: its department
// with the subordinate units, its vendor's net, or the district. Amounts are sums of
// rounded line amounts, as on the statements.
func (s *Server) trend(ctx context.Context, c *call, ms []MonthState) ([]TrendPoint, error) {
	cur := currentPeriod(s.now())
	states := map[calendar.Period]MonthState{}
	for _, m := range ms {
		states[m.Period] = m
	}
	// the same 12 months' runs for the same party give the same trend: kept (trendKeep)
	var key strings.Builder
	key.WriteString(string(c.id.Role) + "|" + string(c.id.Department) + "|" + string(c.id.Vendor) + "|" + cur.String())
	for p, i := cur, 0; i < 12; p, i = p.Prev(), i+1 {
		if m, ok := states[p]; ok && m.Rated() {
			key.WriteString("|" + m.RunID + "/" + string(m.State))
		} else {
			key.WriteString("|-")
		}
	}
	k := trendKey{key.String(), reflect.ValueOf(c.org.Departments).Pointer()}
	s.trendMu.Lock()
	t, ok := s.trends[k]
	s.trendMu.Unlock()
	if ok {
		return t, nil
	}
	t, err := s.makeTrend(ctx, c, cur, states)
	if err != nil {
		return nil, err
	}
	s.trendMu.Lock()
	if s.trends == nil || len(s.trends) >= trendKeep {
		s.trends = map[trendKey][]TrendPoint{}
	}
	s.trends[k] = t
	s.trendMu.Unlock()
	return t, nil
}

// trendKey is what a trend depends on: the party (role, department or vendor), the
// current month and the runs and states of the 12 months, and the organisation (a
// department's units; a re-read organisation is a new map).
type trendKey struct {
	runs string
	org  uintptr
}

// trendKeep bounds the trends kept (all are dropped when it is reached).
const trendKeep = 4096

func (s *Server) makeTrend(ctx context.Context, c *call, cur calendar.Period, states map[calendar.Period]MonthState) ([]TrendPoint, error) {
	parents := access.OrgParents(c.org)
	sees := func(t rating.PartyTotal) bool { return c.id.SeesCharge(t.Department, t.Vendor, parents) }
	var out []TrendPoint
	p := cur
	for i := 0; i < 11; i++ {
		p = p.Prev()
	}
	for i := 0; i < 12; i, p = i+1, p.Next() {
		pt := TrendPoint{Period: p, Amount: decimal.Zero}
		m, ok := states[p]
		if ok && m.Rated() {
			pt.State = m.State
			tots, err := s.runTotals(ctx, monthKey{p, m.RunID, m.State.Closed()})
			if err != nil {
				return nil, err
			}
			pt.Amount = rating.NetOfParties(tots, sees)
		}
		out = append(out, pt)
	}
	return out, nil
}

func (s *Server) runTotals(ctx context.Context, k monthKey) ([]rating.PartyTotal, error) {
	s.cacheMu.Lock()
	t, ok := s.totals[k]
	s.cacheMu.Unlock()
	if ok {
		return t, nil
	}
	t, err := s.cfg.Store.RunTotals(ctx, k.period, k.run)
	if err != nil {
		return nil, err
	}
	s.cacheMu.Lock()
	s.totals[k] = t
	s.cacheMu.Unlock()
	return t, nil
}

// forget drops the cached figures and states of a month (after a close).
func (s *Server) forget(p calendar.Period) {
	s.states.drop()
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	for k := range s.months {
		if k.period == p {
			delete(s.months, k)
		}
	}
}

// currentPeriod is the month of now in Asia/Shanghai.
func currentPeriod(now time.Time) calendar.Period { return calendar.LocalDate(now).Period() }
