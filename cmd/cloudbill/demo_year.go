package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// The year's money in the demo (docs/year.md): each history month's vouchers after its
// close, a December estimated on the 20th and paid on the 28th before it closes, the
// budgets of the open month's year, and next year's declaration. The files are generated
// (package gen) from the demo's own figures, the same for the same seed.

// demoYear carries what the demo's year steps write.
type demoYear struct {
	dir      string // input/year
	out      string
	seed     int64
	vouchers int
	first    bool // the next vouchers file carries a refund
}

// closeMonth rates and closes history month h with the year's money around it: a
// December is estimated as of the 20th and paid on its estimate on the 28th before it
// closes; another month's settlement is paid on the 10th of the next month (the last
// closed month is left unpaid: outstanding).
func (s *demoSteps) closeMonth(ctx context.Context, y *demoYear, h calendar.Period, last bool) error {
	if err := s.cmd(ctx, "rate", "--period", h.String()); err != nil {
		return err
	}
	if h.Month == 12 {
		if err := s.estimateAndPay(ctx, y, h); err != nil {
			return err
		}
	}
	if err := s.cmd(ctx, "close", "--period", h.String()); err != nil {
		return err
	}
	if h.Month == 12 || last {
		return nil
	}
	return s.pay(ctx, y, h, h.Next().First().AddDays(9), funding.PayableClosed, funding.PayableTrueUp)
}

// estimateAndPay issues month p's estimate as of the 20th and pays it on the 28th.
func (s *demoSteps) estimateAndPay(ctx context.Context, y *demoYear, p calendar.Period) error {
	asOf := calendar.Date{Year: p.Year, Month: p.Month, Day: 20}
	if err := s.cmd(ctx, "estimate", "--period", p.String(), "--as-of", asOf.String(), "--out", y.out); err != nil {
		return err
	}
	return s.pay(ctx, y, p, calendar.Date{Year: p.Year, Month: p.Month, Day: 28}, funding.PayableEstimate)
}

// pay imports a voucher per vendor for what the ledger has payable for month p of the
// given kinds (January's settlement: the month and the previous December's true-up).
func (s *demoSteps) pay(ctx context.Context, y *demoYear, p calendar.Period, paid calendar.Date, kinds ...funding.PayableKind) error {
	st, err := s.a.Store(ctx)
	if err != nil {
		return err
	}
	ledger, err := funding.LoadLedger(ctx, st, p.Year)
	if err != nil {
		return err
	}
	want := map[funding.PayableKind]bool{}
	for _, k := range kinds {
		want[k] = true
	}
	amounts := map[string]decimal.Decimal{}
	for _, v := range ledger {
		for _, l := range v.Lines {
			if want[l.Kind] && l.Period == p { // January's true-up is booked in January
				amounts[string(v.Vendor)] = amounts[string(v.Vendor)].Add(l.Amount)
			}
		}
	}
	file := filepath.Join(y.dir, "payments-"+p.String()+".csv")
	n, err := gen.WriteVouchers(file, p, amounts, paid, y.first)
	if err != nil || n == 0 {
		return err
	}
	y.first = false
	y.vouchers += n
	return s.cmd(ctx, "payments", "import", file)
}

// budgets imports the budgets of year: each approved project's forecast as of asOf
// (funding.Evaluate on the closed history) times a generated share (gen.WriteBudgets),
// before the open month is rated, whose rating then records the warnings.
func (s *demoSteps) budgets(ctx context.Context, y *demoYear, year int, asOf calendar.Date) (int, error) {
	st, err := s.a.Store(ctx)
	if err != nil {
		return 0, err
	}
	rep, err := funding.Evaluate(ctx, st, year, asOf)
	if err != nil {
		return 0, err
	}
	forecasts := map[string]decimal.Decimal{}
	for _, ps := range rep.Statuses {
		if p, ok := rep.Org.Projects[catalog.ProjectKey{ID: ps.Project, Year: year}]; ok && p.Approved {
			forecasts[string(ps.Project)] = ps.Forecast
		}
	}
	file := filepath.Join(y.dir, fmt.Sprintf("budgets-%d.csv", year))
	n, err := gen.WriteBudgets(file, year, forecasts, y.seed)
	if err != nil || n == 0 {
		return n, err
	}
	return n, s.cmd(ctx, "budgets", "import", file)
}

// yearFigures are the year's money as the demo's summary prints it.
func (s *demoSteps) yearFigures(ctx context.Context, year int) (warnings int, payable, paid, outstanding decimal.Decimal, err error) {
	st, err := s.a.Store(ctx)
	if err != nil {
		return 0, payable, paid, outstanding, err
	}
	ws, err := st.BudgetWarnings(ctx, year)
	if err != nil {
		return 0, payable, paid, outstanding, err
	}
	ledger, err := funding.LoadLedger(ctx, st, year)
	if err != nil {
		return 0, payable, paid, outstanding, err
	}
	t := funding.TotalOf(ledger) // the 合计 of `payments show`
	return len(ws), t.Payable, t.Paid, t.Outstanding, nil
}

func newDemoYear(out string, seed int64) (*demoYear, error) {
	dir := filepath.Join(out, "input", "year")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return &demoYear{dir: dir, out: out, seed: seed, first: true}, nil
}

// yearSummary prints the year's money of the open month's year after the demo's summary.
func (s *demoSteps) yearSummary(ctx context.Context, open calendar.Period, budgets int, y *demoYear, out string) error {
	warnings, payable, paid, outstanding, err := s.yearFigures(ctx, open.Year)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(out)
	fmt.Fprintf(s.a.stdout, "year's money (%d): %d project budgets, %d warnings; payable %s, paid %s (%d vouchers in all), outstanding %s (cloudbill budgets show, payments show)\n",
		open.Year, budgets, warnings, money.Grouped(payable), money.Grouped(paid), y.vouchers, money.Grouped(outstanding))
	fmt.Fprintf(s.a.stdout, "declaration %d: %s\n", open.Year+1, filepath.Join(abs, fmt.Sprintf("declaration-%d", open.Year+1)))
	return nil
}
