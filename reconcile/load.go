package reconcile

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// Store is what a reconciliation reads; package chstore's Store satisfies it.
type Store interface {
	// CloseOf is the close of month p; ok is false when p is open.
	CloseOf(ctx context.Context, p calendar.Period) (c rating.Close, ok bool, err error)
	// LatestRun is p's latest rating run (an error wrapping rating.ErrNotRated if none).
	LatestRun(ctx context.Context, p calendar.Period) (rating.Run, error)
	// RatedLines are p's lines: the frozen run's if p is closed, else the latest run's.
	RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error)
	VendorDeductions(ctx context.Context, p calendar.Period) ([]rating.VendorDeduction, error)
	Org(ctx context.Context) (catalog.Org, error)
	Catalog(ctx context.Context) (catalog.Catalog, error)
}

var (
	// ErrPeriodOpen: the month is not closed and the reconciliation was not asked to be
	// provisional.
	ErrPeriodOpen = errors.New("month is open")
	// ErrUnknownVendor: the vendor is neither in the organisation data nor rated.
	ErrUnknownVendor = errors.New("unknown vendor")
)

// LoadRequest names the vendor and month to load.
type LoadRequest struct {
	Vendor      catalog.VendorID
	Period      calendar.Period
	Tolerance   decimal.Decimal
	Provisional bool
}

// Loaded is what Load read: the reconciliation's parameters and the document metadata.
type Loaded struct {
	Params Params
	Meta   DocMeta
}

// Load reads what reconciling vendor r.Vendor's month r.Period needs. A closed month
// uses its frozen lines; an open month is refused (ErrPeriodOpen) unless r.Provisional,
// and then uses the latest rating run, marked provisional. A month never rated gives an
// error wrapping rating.ErrNotRated. The report's date is the close time (or the run's
// time), so reconciling a closed month again gives the same bytes.
func Load(ctx context.Context, s Store, r LoadRequest) (Loaded, error) {
	c, closed, err := s.CloseOf(ctx, r.Period)
	if err != nil {
		return Loaded{}, err
	}
	var (
		source  string
		created time.Time
	)
	if closed {
		source = glossary.ReconcileText(glossary.NoteSourceClosed, "run", c.RunID,
			"closed_at", c.ClosedAt.In(calendar.Shanghai()).Format("2006-01-02 15:04"), "hash", short(c.ContentHash))
		created = c.ClosedAt
	} else {
		if !r.Provisional {
			return Loaded{}, fmt.Errorf("%w: %s is not closed, its rated lines may still change: close it first, or reconcile provisionally with --provisional", ErrPeriodOpen, r.Period)
		}
		run, err := s.LatestRun(ctx, r.Period)
		if err != nil {
			return Loaded{}, fmt.Errorf("reconcile %s: %w", r.Period, err)
		}
		source = glossary.ReconcileText(glossary.NoteSourceOpen, "run", run.ID, "rated_at", run.RatedAt.In(calendar.Shanghai()).Format("2006-01-02 15:04"))
		created = run.RatedAt
	}
	lines, err := s.RatedLines(ctx, r.Period)
	if err != nil {
		return Loaded{}, fmt.Errorf("reconcile %s: %w", r.Period, err)
	}
	org, err := s.Org(ctx)
	if err != nil {
		return Loaded{}, err
	}
	vendor, known := org.Vendors[r.Vendor]
	if !known {
		for _, l := range lines {
			if l.Vendor == r.Vendor {
				known = true
				break
			}
		}
	}
	if !known {
		return Loaded{}, fmt.Errorf("%w %q: not in the vendors list and not rated in %s", ErrUnknownVendor, r.Vendor, r.Period)
	}
	deds, err := s.VendorDeductions(ctx, r.Period)
	if err != nil {
		return Loaded{}, fmt.Errorf("reconcile %s: %w", r.Period, err)
	}
	var ded *rating.VendorDeduction
	for i := range deds {
		if deds[i].Vendor == r.Vendor {
			ded = &deds[i]
		}
	}
	cat, err := s.Catalog(ctx)
	if err != nil {
		return Loaded{}, err
	}
	return Loaded{
		Params: Params{Vendor: r.Vendor, Period: r.Period, Tolerance: r.Tolerance, Lines: lines, Deduction: ded,
			Catalog: &cat, Provisional: !closed, Source: source, Vendors: org.Vendors},
		Meta: DocMeta{VendorName: vendor.Name, Created: created},
	}, nil
}

func short(hash string) string {
	if len(hash) > 12 {
		return hash[:12]
	}
	return hash
}
