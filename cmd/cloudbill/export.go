package main

import (
	"context"
	"errors"
	"fmt"

	"cloudbill/export/focus"
	"cloudbill/export/focus/focusparquet"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/sql"
)

// The store is what a FOCUS export reads.
var _ focus.Source = (*chstore.Store)(nil)

func exportCommand() *command {
	return &command{
		Name:  "export",
		Usage: "focus --period YYYY-MM --out DIR [--format csv|parquet] [--provisional]",
		Short: "export a month's charges in a standard format (FOCUS)",
		Long:  exportFocusHelp,
		Subs: []*command{{
			Name:  "focus",
			Usage: "--period YYYY-MM --out DIR [--format csv|parquet] [--provisional]",
			Short: "a month's rated lines as a FOCUS 1.2 dataset",
			Long:  exportFocusHelp,
			Flags: func(fs *flagSet) runFunc {
				period := fs.Period("period", "the month")
				out := fs.String("out", "", "output `directory`; the file goes to DIR/YYYY-MM/")
				format := fs.Choice("format", "file `format`", "csv", "parquet")
				provisional := fs.Bool("provisional", false, "export an open (rated, not closed) month; its figures may still change")
				fs.Require("period", "out")
				return func(ctx context.Context, a *app, _ []string) error {
					return exportFocus(ctx, a, period.Get(), *out, focus.Format(*format), *provisional)
				}
			},
		}},
	}
}

const exportFocusHelp = `
Writes the rated lines of a month as a FinOps FOCUS 1.2 cost-and-usage dataset (the FinOps
Open Cost and Usage Specification) that standard cost tools read without conversion:

  DIR/YYYY-MM/focus-YYYY-MM.csv       UTF-8, header row, nulls as empty cells
  DIR/YYYY-MM/focus-YYYY-MM.parquet   with --format parquet

One row per rated line of the month (charges, metered usage, unfunded charges, acceptance
deductions as Credit, adjustments of closed months as ChargeClass=Correction). Costs are in
CNY, rounded to the fen; Σ BilledCost equals the finance summary's net payable. Date-times
are UTC (a month starts at 16:00Z of the day before, Asia/Shanghai midnight); charge periods
end exclusive. cloudbill's own facts (department, 主管部门, project, funding category, work
order, zone, unfunded) are in x_ columns. docs/focus.md maps every column.

Every file is checked against the specification's conformance rules before it is kept; a
closed month exports the same bytes every time. An open month is refused unless
--provisional (its figures can still change). A month never rated is refused.`

func exportFocus(ctx context.Context, a *app, p calendar.Period, out string, f focus.Format, provisional bool) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	start := a.now()
	res, err := focus.Export(ctx, s, p, out, focus.Options{Format: f, Provisional: provisional, Now: a.now, WriteParquet: focusparquet.Write})
	switch {
	case errors.Is(err, rating.ErrNotRated):
		return &exitError{code: exitBadInput, err: fmt.Errorf("%w: rate it first (cloudbill rate --period %s)", err, p)}
	case errors.Is(err, focus.ErrProvisional):
		return &exitError{code: exitBadInput, err: err}
	case err != nil:
		return err
	}
	state := "final (closed month)"
	if !res.Final {
		state = "provisional (临时: the month is not closed)"
	}
	fmt.Fprintf(a.stdout, "FOCUS %s export of %s, %s: %d rows, %d bytes in %s (%.1fs)\n", focus.Version, p, state, res.Rows, res.Bytes, res.Path, a.now().Sub(start).Seconds())
	fmt.Fprintf(a.stdout, "Σ BilledCost %s CNY (the month's net payable)\n", money.Grouped(res.BilledCost))
	return nil
}
