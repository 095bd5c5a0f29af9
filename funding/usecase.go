package funding

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// Errors of the estimate use cases: refusals (bad input for the CLI, 409/400 for a page).
var (
	ErrEstimateClosed  = errors.New("the month is closed: its settlement is final, nothing to estimate")
	ErrEstimateMonth   = errors.New("only December is estimated (the year's fees are paid within the year, §21); --force estimates another month")
	ErrEstimateAsOf    = errors.New("the analysis date is not a day of the month estimated")
	ErrEstimateIssued  = errors.New("an estimate of this month was already issued: withdraw it first")
	ErrEstimateNone    = errors.New("no estimate of this month is in force")
	ErrEstimateNotRate = errors.New("the month is not rated: rate it first")
)

// EstimateStore is what issuing and withdrawing an estimate read and write.
type EstimateStore interface {
	Catalog(ctx context.Context) (catalog.Catalog, error)
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
	Closes(ctx context.Context) ([]rating.Close, error)
	RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error)
	VendorDeductions(ctx context.Context, p calendar.Period) ([]rating.VendorDeduction, error)
	// UsageAggregates: the quantities of usage windows, as rating reads them.
	UsageAggregates(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) (rating.Usage, error)
	IssuedEstimates(ctx context.Context) ([]EstimateInfo, error)
	InsertEstimate(ctx context.Context, info EstimateInfo, est Estimate) error
	WithdrawEstimate(ctx context.Context, info EstimateInfo, at time.Time, by, reason string) error
}

// IssueParams are the arguments of IssueEstimate.
type IssueParams struct {
	Period calendar.Period
	AsOf   calendar.Date
	// Force estimates a month other than December.
	Force bool
	By    string
	Now   time.Time
}

// IssueEstimate estimates month p as of a day of it (BuildEstimate on the month's latest
// rating, the metered lines' usage of the days up to the analysis date aggregated anew,
// each vendor at the rate of its latest closed month), freezes it with its content
// hash and records it. Refused: a closed month (ErrEstimateClosed), a month other than
// December without Force (ErrEstimateMonth), an analysis date outside the month
// (ErrEstimateAsOf), a month with an estimate in force (ErrEstimateIssued), a month not
// rated (ErrEstimateNotRate). Findings name orders it could not estimate in full.
func IssueEstimate(ctx context.Context, st EstimateStore, pr IssueParams) (EstimateInfo, Estimate, []string, error) {
	p := pr.Period
	closes, err := st.Closes(ctx)
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	for _, c := range closes {
		if c.Period == p {
			return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s: %w", p, ErrEstimateClosed)
		}
	}
	if p.Month != 12 && !pr.Force {
		return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s: %w", p, ErrEstimateMonth)
	}
	if !p.Contains(pr.AsOf) {
		return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s as of %s: %w", p, pr.AsOf, ErrEstimateAsOf)
	}
	issued, err := st.IssuedEstimates(ctx)
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	for _, e := range issued {
		if e.Period == p {
			return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s: %w (estimate %s, issued %s)", p, ErrEstimateIssued, e.ID, e.IssuedAt.UTC().Format(time.RFC3339))
		}
	}
	lines, err := st.RatedLines(ctx, p)
	if errors.Is(err, rating.ErrNotRated) {
		return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s: %w", p, ErrEstimateNotRate)
	}
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	cat, err := st.Catalog(ctx)
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	events, err := st.OrderEvents(ctx)
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	ins, err := InServiceOn(events, pr.AsOf, p.Last())
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	rates, err := latestRates(ctx, st, closes, p)
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, err
	}
	windows := rating.LineWindows(p, cat, events)
	soFar, err := st.UsageAggregates(ctx, p, SoFarWindows(windows, pr.AsOf))
	if err != nil {
		return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s: usage up to %s: %w", p, pr.AsOf, err)
	}
	est, findings := BuildEstimate(EstimateInput{AsOf: pr.AsOf, Catalog: cat, Lines: lines, InService: ins, Windows: windows, SoFar: soFar, Rates: rates})
	total := decimal.Zero
	for _, l := range est.Lines {
		total = total.Add(l.Amount)
	}
	h := sha256.Sum256([]byte(fmt.Sprintf("%s|%s|%d", p, est.Hash, pr.Now.UnixNano())))
	info := EstimateInfo{ID: p.String() + "-estimate-" + hex.EncodeToString(h[:6]), Period: p, AsOf: pr.AsOf, IssuedAt: pr.Now, IssuedBy: pr.By,
		Hash: est.Hash, Lines: len(est.Lines), Total: total, Rates: rates}
	if err := st.InsertEstimate(ctx, info, est); err != nil {
		return EstimateInfo{}, Estimate{}, nil, fmt.Errorf("estimate %s: store: %w", p, err)
	}
	return info, est, findings, nil
}

// latestRates is each vendor's deduction rate of its latest closed month before p.
func latestRates(ctx context.Context, st EstimateStore, closes []rating.Close, p calendar.Period) (map[catalog.VendorID]VendorRate, error) {
	out := map[catalog.VendorID]VendorRate{}
	for i := len(closes) - 1; i >= 0; i-- {
		c := closes[i]
		if !c.Period.Before(p) {
			continue
		}
		ded, err := st.VendorDeductions(ctx, c.Period)
		if err != nil {
			return nil, err
		}
		for _, d := range ded {
			if _, ok := out[d.Vendor]; !ok { // pending (no acceptance record): rate 0
				out[d.Vendor] = VendorRate{Rate: d.Rate, From: c.Period}
			}
		}
	}
	return out, nil
}

// WithdrawEstimate withdraws the estimate in force for month p (the caller audits it); a
// new one may then be issued. A closed month's estimate is refused (ErrEstimateClosed):
// its true-up is booked on the next January's files and in the ledger.
func WithdrawEstimate(ctx context.Context, st EstimateStore, p calendar.Period, by, reason string, now time.Time) (EstimateInfo, error) {
	closes, err := st.Closes(ctx)
	if err != nil {
		return EstimateInfo{}, err
	}
	for _, c := range closes {
		if c.Period == p {
			return EstimateInfo{}, fmt.Errorf("withdraw estimate %s: %w (its true-up is booked in January)", p, ErrEstimateClosed)
		}
	}
	issued, err := st.IssuedEstimates(ctx)
	if err != nil {
		return EstimateInfo{}, err
	}
	for _, e := range issued {
		if e.Period == p {
			if err := st.WithdrawEstimate(ctx, e, now, by, reason); err != nil {
				return EstimateInfo{}, err
			}
			return e, nil
		}
	}
	return EstimateInfo{}, fmt.Errorf("withdraw estimate %s: %w", p, ErrEstimateNone)
}

// LedgerStore is what a year's payment ledger reads.
type LedgerStore interface {
	Org(ctx context.Context) (catalog.Org, error)
	// ClosedVendorNets: each closed month's net per vendor; EstimatedVendorNets: each
	// estimate in force, its net per vendor.
	ClosedVendorNets(ctx context.Context) (map[calendar.Period]map[catalog.VendorID]decimal.Decimal, error)
	EstimatedVendorNets(ctx context.Context) (map[calendar.Period]map[catalog.VendorID]decimal.Decimal, error)
	Payments(ctx context.Context) ([]Payment, error)
}

// LoadLedger is every vendor's ledger for year (Ledger on the stored closes, estimates and
// vouchers).
func LoadLedger(ctx context.Context, st LedgerStore, year int) ([]VendorYear, error) {
	org, err := st.Org(ctx)
	if err != nil {
		return nil, err
	}
	closed, err := st.ClosedVendorNets(ctx)
	if err != nil {
		return nil, err
	}
	est, err := st.EstimatedVendorNets(ctx)
	if err != nil {
		return nil, err
	}
	pays, err := st.Payments(ctx)
	if err != nil {
		return nil, err
	}
	return Ledger(LedgerInput{Year: year, Org: org, ClosedNet: closed, Estimated: est, Payments: pays}), nil
}

// DeclarationStore is what a declaration reads.
type DeclarationStore interface {
	Org(ctx context.Context) (catalog.Org, error)
	Catalog(ctx context.Context) (catalog.Catalog, error)
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
	Closes(ctx context.Context) ([]rating.Close, error)
	RatedLines(ctx context.Context, p calendar.Period) ([]rating.Line, error)
}

// DeclarationYear is the year a declaration made on asOf is for: the next one (§19: each
// year a department declares its cloud resources for the next year).
func DeclarationYear(asOf calendar.Date) int { return asOf.Year + 1 }

// LoadDeclaration is the declaration of year as of asOf (Declare on the stored orders,
// catalog and the metered lines of the latest three closed months ending on or before
// asOf). year must be DeclarationYear(asOf).
func LoadDeclaration(ctx context.Context, st DeclarationStore, year int, asOf calendar.Date) (Declaration, catalog.Org, []string, error) {
	if want := DeclarationYear(asOf); year != want {
		return Declaration{}, catalog.Org{}, nil, fmt.Errorf("declare %d as of %s: the declaration is for the year after the as-of date (%d)", year, asOf, want)
	}
	org, err := st.Org(ctx)
	if err != nil {
		return Declaration{}, org, nil, err
	}
	cat, err := st.Catalog(ctx)
	if err != nil {
		return Declaration{}, org, nil, err
	}
	events, err := st.OrderEvents(ctx)
	if err != nil {
		return Declaration{}, org, nil, err
	}
	ins, err := InServiceOn(events, asOf, asOf)
	if err != nil {
		return Declaration{}, org, nil, err
	}
	closes, err := st.Closes(ctx)
	if err != nil {
		return Declaration{}, org, nil, err
	}
	metered := map[catalog.OrderID][]MonthAmount{}
	n := 0
	for i := len(closes) - 1; i >= 0 && n < 3; i-- {
		p := closes[i].Period
		if p.Last().After(asOf) {
			continue
		}
		n++
		lines, err := st.RatedLines(ctx, p)
		if err != nil {
			return Declaration{}, org, nil, err
		}
		sums := map[catalog.OrderID]decimal.Decimal{}
		for _, l := range lines {
			if l.Kind == rating.KindMetered {
				sums[l.Order] = sums[l.Order].Add(l.Amount)
			}
		}
		for o, a := range sums {
			metered[o] = append(metered[o], MonthAmount{Period: p, Amount: a})
		}
	}
	d, findings := Declare(DeclarationInput{Year: year, AsOf: asOf, Catalog: cat, Org: org, InService: ins, Metered: metered})
	return d, org, findings, nil
}
