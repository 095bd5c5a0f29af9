// Package invoicing owns the statements of a rated month: the department statement
// (部门月度账单), the vendor settlement (服务商结算单) and the finance summary (财政月度汇总),
// built from the month's rated lines, the organisation, the catalog, the vendors'
// deductions and the month's close; their CSV files (FORMATS.md "Statement files"); and
// their printed layout as sheet.Docs, which a Typesetter (package invoicing/pdf) turns
// into PDF.
//
// Every total a statement shows is the sum of the rounded lines it shows; the three
// views are built from the same lines and agree to the fen. A closed month's statements
// are final and dated by the close; an open month's are provisional (临时).
//
// The package imports no driver: it reads through Source, which chstore.Store satisfies.
package invoicing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
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
	// The earlier months of the year (the previous one for the month-on-month change,
	// all for the year to date): those rated so far; for a final statement only the
	// closed ones, whose lines are frozen, so that a re-issue reads the same figures.
	for q := (calendar.Period{Year: p.Year, Month: time.January}); q.Before(p); q = q.Next() {
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
		m.EarlierNet[q] = NetByVendor(ls)
	}
	if p.Month == time.January && !m.PreviousRated { // December of the year before: month on month only
		q := p.Prev()
		closed := true
		if m.Final() {
			if _, closed, err = src.CloseOf(ctx, q); err != nil {
				return Month{}, fmt.Errorf("statements of %s: %w", p, err)
			}
		}
		if closed {
			ls, err := src.RatedLines(ctx, q)
			switch {
			case errors.Is(err, rating.ErrNotRated):
			case err != nil:
				return Month{}, fmt.Errorf("statements of %s: previous month: %w", p, err)
			default:
				m.Previous, m.PreviousRated = ls, true
			}
		}
	}
	return m, m.Check()
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
