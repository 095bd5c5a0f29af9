package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shopspring/decimal"

	usecase "cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/reconcile"
	chstore "cloudbill/sql"
)

var _ reconcile.Store = (*chstore.Store)(nil)

// exitDifferences is reconcile's exit status when lines differ.
const exitDifferences = 3

const reconcileHelp = `
Checks a vendor's monthly invoice (对账) against cloudbill's rated lines of that vendor and
month. The invoice is CSV (docs/formats.md: vendor_id, period, order_id, item_code, amount,
optional quantity and days; UTF-8 or GB18030) or an Excel .xlsx workbook (first sheet,
row 1 the same column names).

Every claim is matched on (order_id, item_code) with our rated charge and metered lines
of the vendor (segments and catalog versions summed) and classified: match (equal to the
fen, or within --tolerance), amount_differs, only_vendor (claimed, not rated or not
payable), only_ours (rated, not claimed), duplicate_claim. Differences are explained
where the data can: days, quantity, unit price (with the catalog version or zone it
matches), an unfunded line claimed, another vendor's order, an order not rated (trial).

Writes DIR/reconcile-<vendor>-<period>.csv (one row per line) and .pdf (report in Chinese:
totals, classes, acceptance deduction, net payable = rated gross − deduction +
adjustments, the differences largest first).

A closed month uses its frozen lines; an open month is refused unless --provisional.
Each reconciliation, done or refused, is recorded in the audit log (action reconcile).
Exit status: 0 every line matches, 3 differences found, 2 bad input or usage, 1 failure.`

// reconcileRequest is one reconciliation asked for.
type reconcileRequest struct {
	Period      calendar.Period
	Vendor      catalog.VendorID
	Invoice     string
	Out         string
	Tolerance   decimal.Decimal
	Provisional bool
}

// reconcileOutcome is a reconciliation done and written.
type reconcileOutcome struct {
	Result   reconcile.Result
	CSV, PDF string
	Lines    int // invoice lines read
}

func reconcileCommand() *command {
	return &command{
		Name:  "reconcile",
		Usage: "--period YYYY-MM --vendor ID --invoice FILE --out DIR [--tolerance 0.00] [--provisional]",
		Short: "reconcile a vendor's invoice against the rated month",
		Long:  reconcileHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month invoiced")
			vendor := fs.String("vendor", "", "the vendor `id`")
			invoice := fs.String("invoice", "", "the vendor's invoice `file`, .csv or .xlsx")
			out := fs.String("out", "", "`directory` for the CSV and PDF, created if missing")
			tolerance := fs.String("tolerance", "0.00", "an `amount` in CNY: a claim within this much of ours matches")
			provisional := fs.Bool("provisional", false, "reconcile an open month against its latest rating (the report is marked provisional)")
			fs.Require("period", "vendor", "invoice", "out")
			return func(ctx context.Context, a *app, _ []string) error {
				for _, f := range []struct{ name, v string }{{"vendor", *vendor}, {"invoice", *invoice}, {"out", *out}} {
					if strings.TrimSpace(f.v) == "" {
						return usagef("reconcile: --%s is required", f.name)
					}
				}
				tol, err := decimal.NewFromString(*tolerance)
				if err != nil || tol.IsNegative() {
					return usagef("reconcile: --tolerance %q: want an amount of 0 or more, such as 0.05", *tolerance)
				}
				return runReconcile(ctx, a, reconcileRequest{Period: period.Get(), Vendor: catalog.VendorID(*vendor), Invoice: *invoice, Out: *out, Tolerance: tol, Provisional: *provisional})
			}
		},
	}
}

func runReconcile(ctx context.Context, a *app, req reconcileRequest) error {
	res, err := a.reconcile(ctx, req)
	if err != nil {
		return err
	}
	printReconcile(a, res)
	if res.Result.HasDifferences() {
		n := len(res.Result.Differences())
		return &exitError{exitDifferences, fmt.Errorf("reconcile %s %s: %d line(s) differ, see %s", res.Result.Vendor, res.Result.Period, n, res.CSV)}
	}
	return nil
}

// reconcile reconciles the invoice (app.Reconcile) and writes the CSV and PDF. Bad
// input (the invoice, an open month without Provisional, an unknown vendor) is reported
// as exit status 2.
func (a *app) reconcile(ctx context.Context, r reconcileRequest) (reconcileOutcome, error) {
	f, err := os.Open(r.Invoice)
	if err != nil {
		return reconcileOutcome{}, usagef("reconcile: --invoice: invoice: %v", err)
	}
	defer f.Close()
	uc, err := a.useCases(ctx)
	if err != nil {
		return reconcileOutcome{}, err
	}
	rec, err := uc.Reconcile(ctx, usecase.ReconcileRequest{Vendor: r.Vendor, Period: r.Period, Name: r.Invoice, Invoice: f,
		Tolerance: r.Tolerance, Provisional: r.Provisional, By: "cli"})
	switch {
	case errors.Is(err, reconcile.ErrPeriodOpen), errors.Is(err, reconcile.ErrUnknownVendor):
		return reconcileOutcome{}, usagef("reconcile: %v", err)
	case err != nil:
		return reconcileOutcome{}, err
	}
	if err := os.MkdirAll(r.Out, 0o755); err != nil {
		return reconcileOutcome{}, err
	}
	base := filepath.Join(r.Out, rec.Name)
	out := reconcileOutcome{Result: rec.Result, CSV: base + ".csv", PDF: base + ".pdf", Lines: rec.Claims}
	if err := writeFileAtomic(out.CSV, rec.CSV); err != nil {
		return reconcileOutcome{}, err
	}
	if err := writeFileAtomic(out.PDF, rec.PDF); err != nil {
		return reconcileOutcome{}, err
	}
	return out, nil
}

// writeFileAtomic writes a file under a temporary name and renames it into place, so
// a reader never sees half a report.
func writeFileAtomic(path string, data []byte) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func printReconcile(a *app, o reconcileOutcome) {
	r := o.Result
	state := "closed month, frozen lines"
	if r.Provisional {
		state = "PROVISIONAL: open month, latest rating"
	}
	fmt.Fprintf(a.stdout, "reconciled %s %s (%s): %d invoice lines\n", r.Vendor, r.Period, state, o.Lines)
	var parts []string
	for _, c := range r.Classes {
		parts = append(parts, fmt.Sprintf("%s %d", c.Class, c.Rows))
	}
	fmt.Fprintf(a.stdout, "  %s\n", strings.Join(parts, " · "))
	fmt.Fprintf(a.stdout, "  claimed %s  ours %s  difference %s\n", money.Grouped(r.Claimed), money.Grouped(r.Ours), money.Grouped(r.Difference))
	fmt.Fprintf(a.stdout, "  rated gross %s  deduction %s  adjustments %s  net payable %s\n",
		money.Grouped(r.Gross), money.Grouped(r.Deduction), money.Grouped(r.Adjustments), money.Grouped(r.Net))
	if r.DeductionPending {
		fmt.Fprintf(a.stdout, "  no acceptance deduction: acceptance pending\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(a.stdout, "wrote %s, %s\n", o.CSV, o.PDF)
}
