// Package statements owns the statements of a rated month: the department statement
// (部门月度账单), the vendor settlement (服务商结算单) and the finance summary (财政月度汇总),
// built from the month's rated lines, the organisation, the catalog, the vendors'
// deductions and the month's close; their CSV files (docs/formats.md "Statement files"); and
// their printed layout as sheet.Docs, which a Typesetter (package document/pdf) turns
// into PDF.
//
// Every total a statement shows is the sum of the rounded lines it shows; the three
// views are built from the same lines and agree to the fen. A closed month's statements
// are final and dated by the close; an open month's are provisional (临时).
//
// The package imports no driver: it reads through Source, which chstore.Store satisfies.
package statements

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// Source is what statements read from the store.
type Source interface {
	// RatedLines are the month's lines: the frozen run of a closed month, else the latest
	// run; an error wrapping rating.ErrNotRated when the month was never rated.
	RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error)
	// VendorDeductions are how each vendor's acceptance record became its deduction.
	VendorDeductions(ctx context.Context, p calendar.Period) ([]rating.VendorDeduction, error)
	// LatestRun is the month's latest rating run (rating.ErrNotRated when none).
	LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error)
	// CloseOf is the month's close; ok is false for an open month.
	CloseOf(ctx context.Context, p calendar.Period) (c rating.Close, ok bool, err error)
	Catalog(ctx context.Context) (catalog.Catalog, error)
	Org(ctx context.Context) (catalog.Org, error)
	// OrderEvents are the work-order events (which departments had orders, for the
	// zero statements).
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
}

// ErrNotRated: the month has never been rated; statements need a rated month.
var ErrNotRated = rating.ErrNotRated

// Month is everything the statements of one month are made of, as plain values.
type Month struct {
	Period     calendar.Period
	Lines      []rating.Line
	Deductions []rating.VendorDeduction
	Run        rating.Run
	// Close is the month's close; nil for an open month (provisional statements).
	Close   *rating.Close
	Org     catalog.Org
	Catalog catalog.Catalog
	// Previous holds the previous month's lines when that month was rated
	// (PreviousRated), for the month-on-month change; for a closed month, only when the
	// previous month is closed too.
	Previous      []rating.Line
	PreviousRated bool
	// EarlierNet holds, for each of the year's earlier months that was rated (for a
	// closed month: that is closed), each vendor's net payable (the sum of its lines),
	// for the year-to-date payable (§21).
	EarlierNet map[calendar.Period]map[catalog.VendorID]decimal.Decimal
	// IssuedAt dates the statements: the close time of a closed month, else the clock.
	IssuedAt time.Time
	// Active are the departments that get a statement even without a line this month
	// (a zero statement): those that had a work order in service, or rated lines, in the
	// month or the twelve months before (ActiveMonths). Finance files one statement per
	// department per month.
	Active map[catalog.DepartmentID]bool
	// TrueUp are the lines 上年12月预估差额 of the previous December (booked in January,
	// counted in the year to date of the year's months; see loadYear); nil when none.
	// They are not rated lines (not in Lines): the vendor settlement shows them after
	// the month's own.
	TrueUp []rating.Line
	// Vouchers are the payments of the year's service months up to this one, imported by
	// IssuedAt (when the source keeps them, YearSource).
	Vouchers []funding.Payment

	// projectNames caches the names of the year's projects and items the catalog items
	// by version (Build fills them; read-only afterwards).
	projectNames map[catalog.ProjectID]string
	items        map[itemKey]catalog.Item
}

type itemKey struct {
	version calendar.Date
	code    catalog.ItemCode
}

// index fills the lookup caches: a project's name is looked up for every line shown.
func (m *Month) index() {
	byID := map[catalog.ProjectID]map[catalog.ProjectKey]catalog.Project{}
	for k, p := range m.Org.Projects {
		if byID[k.ID] == nil {
			byID[k.ID] = map[catalog.ProjectKey]catalog.Project{}
		}
		byID[k.ID][k] = p
	}
	m.items = map[itemKey]catalog.Item{}
	for _, v := range m.Catalog.Versions {
		for code, it := range v.Items {
			m.items[itemKey{v.Effective, code}] = it
		}
	}
	m.projectNames = make(map[catalog.ProjectID]string, len(byID))
	for id, entries := range byID {
		if p, ok := (catalog.Org{Projects: entries}).ProjectFor(id, m.Period.Year); ok && p.Name != "" {
			m.projectNames[id] = p.Name
		}
	}
}

// Final reports a closed month: its statements are final and re-issue byte-identical.
func (m Month) Final() bool { return m.Close != nil }

// IssueDate is the statements' issue date (Asia/Shanghai).
func (m Month) IssueDate() calendar.Date { return calendar.LocalDate(m.IssuedAt) }

// Load reads month p from src. now dates the statements of an open month; a closed
// month's are dated by its close. It fails with ErrNotRated when p was never rated.
func Load(ctx context.Context, src Source, p calendar.Period, now func() time.Time) (Month, error) {
	m := Month{Period: p, EarlierNet: map[calendar.Period]map[catalog.VendorID]decimal.Decimal{}}
	var err error
	if m.Lines, err = src.RatedLines(ctx, p); err != nil {
		return Month{}, fmt.Errorf("statements of %s: %w", p, err)
	}
	if m.Run, err = src.LatestRun(ctx, p); err != nil {
		return Month{}, fmt.Errorf("statements of %s: %w", p, err)
	}
	if m.Deductions, err = src.VendorDeductions(ctx, p); err != nil {
		return Month{}, fmt.Errorf("statements of %s: deductions: %w", p, err)
	}
	c, closed, err := src.CloseOf(ctx, p)
	if err != nil {
		return Month{}, fmt.Errorf("statements of %s: %w", p, err)
	}
	if closed {
		m.Close = &c
		m.IssuedAt = c.ClosedAt
	} else {
		m.IssuedAt = now()
	}
	if m.Org, err = src.Org(ctx); err != nil {
		return Month{}, fmt.Errorf("statements of %s: %w", p, err)
	}
	if m.Catalog, err = src.Catalog(ctx); err != nil {
		return Month{}, fmt.Errorf("statements of %s: %w", p, err)
	}
	// The twelve months before (the previous one for the month-on-month change, those of
	// the year for the year to date, all for the zero statements): those rated so far;
	// for a final statement only the closed ones, whose lines are frozen, so that a
	// re-issue reads the same figures.
	m.Active = map[catalog.DepartmentID]bool{}
	first := p
	for i := 0; i < ActiveMonths; i++ {
		first = first.Prev()
	}
	for q := first; q.Before(p); q = q.Next() {
		if m.Final() {
			_, closed, err := src.CloseOf(ctx, q)
			if err != nil {
				return Month{}, fmt.Errorf("statements of %s: %w", p, err)
			}
			if !closed {
				continue
			}
		}
		ls, err := src.RatedLines(ctx, q)
		if errors.Is(err, rating.ErrNotRated) {
			continue
		}
		if err != nil {
			return Month{}, fmt.Errorf("statements of %s: earlier month %s: %w", p, q, err)
		}
		if q == p.Prev() {
			m.Previous, m.PreviousRated = ls, true
		}
		if q.Year == p.Year {
			m.EarlierNet[q] = NetByVendor(ls)
		}
		for _, l := range ls {
			m.Active[l.Department] = true
		}
	}
	events, err := src.OrderEvents(ctx)
	if err != nil {
		return Month{}, fmt.Errorf("statements of %s: %w", p, err)
	}
	for d := range DepartmentsWithOrders(events, first, p, m.Final()) {
		m.Active[d] = true
	}
	if ys, ok := src.(YearSource); ok {
		if err := m.loadYear(ctx, src, ys); err != nil {
			return Month{}, fmt.Errorf("statements of %s: %w", p, err)
		}
	}
	return m, m.Check()
}

// ActiveMonths is how far back a department's orders or statements keep it receiving a
// (possibly zero) statement every month.
const ActiveMonths = 12

// DepartmentsWithOrders are the departments of the work orders in service on a day of the
// months from..to (both included). With final, events imported late (dated in a month
// closed before their import) are left out, so that a closed month's statements stay the
// same at every re-issue.
func DepartmentsWithOrders(events []catalog.Event, from, to calendar.Period, final bool) map[catalog.DepartmentID]bool {
	type span struct {
		open, end calendar.Date // end zero: still in service
		opened    bool
		deps      []catalog.DepartmentID
	}
	orders := map[catalog.OrderID]*span{}
	for _, e := range events {
		if final && e.Late {
			continue
		}
		s := orders[e.Order]
		if s == nil {
			s = &span{}
			orders[e.Order] = s
		}
		switch e.Kind {
		case catalog.EventOpen:
			if !s.opened || e.Effective.Before(s.open) {
				s.open, s.opened = e.Effective, true
			}
		case catalog.EventTerminate:
			s.end = e.Effective
		}
		if e.Department != "" && (len(s.deps) == 0 || s.deps[len(s.deps)-1] != e.Department) {
			s.deps = append(s.deps, e.Department)
		}
	}
	out := map[catalog.DepartmentID]bool{}
	start, last := from.First(), to.Last()
	for _, s := range orders {
		if !s.opened || last.Before(s.open) || (!s.end.IsZero() && s.end.Before(start)) {
			continue
		}
		for _, d := range s.deps {
			out[d] = true
		}
	}
	return out
}

// Check refuses lines that do not belong to the month or are not rounded to the fen:
// a statement total must be a sum of rounded amounts.
func (m Month) Check() error {
	for i, l := range m.Lines {
		if l.Period != m.Period {
			return fmt.Errorf("statements of %s: line %d (order %s) belongs to %s", m.Period, i+1, l.Order, l.Period)
		}
		if !money.Round(l.Amount).Equal(l.Amount) {
			return fmt.Errorf("statements of %s: line %d (order %s) amount %s is not rounded to the fen", m.Period, i+1, l.Order, l.Amount)
		}
	}
	return nil
}

// NetByVendor sums lines by vendor.
func NetByVendor(ls []rating.Line) map[catalog.VendorID]decimal.Decimal {
	out := map[catalog.VendorID]decimal.Decimal{}
	for _, l := range ls {
		out[l.Vendor] = out[l.Vendor].Add(l.Amount)
	}
	return out
}

// sum adds the amounts of lines.
func sum(ls []rating.Line) decimal.Decimal {
	s := decimal.Zero
	for _, l := range ls {
		s = s.Add(l.Amount)
	}
	return s
}
