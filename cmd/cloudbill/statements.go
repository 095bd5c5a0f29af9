package main

import (
	"context"
	"fmt"
	"path/filepath"

	usecase "cloudbill/app"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/sql"
	"cloudbill/statements"
)

// The store is what statements read.
var _ statements.Source = (*chstore.Store)(nil)

const statementsHelp = `
Writes the statements of a rated month under DIR/YYYY-MM/ (docs/formats.md "Statement files"):

  summary.pdf, summary.csv                  finance summary (财政月度汇总): department × vendor
                                            × category, unfunded exceptions, pending acceptance,
                                            month-on-month change per department
  departments/<department_id>.pdf, .csv     department statement (部门月度账单), its subordinate
                                            units included as sections
  vendors/<vendor_id>.pdf, .csv             vendor settlement (服务商结算单): gross, acceptance,
                                            deduction tiers, cap check, net payable, year to date

Every CSV has one row per statement line with the columns period, department_id, vendor_id,
project_id, category, order_id, item_code, zone, from, to, days, days_in_month, quantity,
unit_price, amount, kind (then item_name, unit, mode, corrects, note); a statement's total is
the sum of its amount column. The three views agree to the fen.

A closed month's statements are final, dated by the close and re-issue byte-identical; an
open month's are provisional, marked 临时 / PROVISIONAL and dated today. The files are
written into a temporary folder beside DIR/YYYY-MM, archived, and only then put in the
month's place, replacing it whole: a failed issue leaves the earlier files as they were.
A month never rated is refused (run cloudbill rate first).

The files are also archived in ClickHouse (statement_issues, statement_files), from where
the portal serves them byte for byte: a closed month's final issue is archived once and
never rewritten: issuing it again checks that the bytes are the same, and when they are
not (master data such as a vendor's name corrected since the close, or a newer release that
renders the statements otherwise) the archived files are issued, byte for byte, and the
output says which: the master-data imports since the issue was archived, or none. A provisional issue replaces the month's
previous provisional one.`

func statementsCommand() *command {
	return &command{
		Name:  "statements",
		Usage: "--period YYYY-MM --out DIR [--font FILE]",
		Short: "write the statements of a month as PDF and CSV",
		Long:  statementsHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month")
			out := fs.String("out", "", "output `directory`; the files go to DIR/YYYY-MM/")
			font := fs.String("font", "", "TrueType CJK font `file` for the PDFs (default: the fonts-arphic-gbsn00lp font)")
			fs.Require("period", "out")
			return func(ctx context.Context, a *app, _ []string) error {
				start := a.now()
				uc, err := a.useCases(ctx)
				if err != nil {
					return err
				}
				sm, err := uc.IssueStatements(ctx, period.Get(), usecase.IssueOptions{Dir: *out, FontPath: *font})
				if err != nil {
					return err
				}
				printStatements(a, sm, a.now().Sub(start).Seconds())
				return nil
			}
		},
	}
}

func printStatements(a *app, sm statements.Summary, seconds float64) {
	state := "final (closed " + sm.IssuedAt.In(calendar.Shanghai()).Format("2006-01-02 15:04") + " Asia/Shanghai)"
	if !sm.Final {
		state = "provisional (临时: the month is not closed)"
	}
	fmt.Fprintf(a.stdout, "statements of %s, %s: %d files in %s (%.1fs)\n", sm.Period, state, sm.Files, sm.Dir, seconds)
	if sm.FromArchive != "" {
		fmt.Fprintf(a.stdout, "  issued from the archive, byte for byte (the month's final issue is never rewritten): %s\n", sm.FromArchive)
	}
	fmt.Fprintf(a.stdout, "  %-28s %s\n", "summary", filepath.Join(sm.Dir, "summary.pdf")+", summary.csv")
	fmt.Fprintf(a.stdout, "  %-28s %s\n", fmt.Sprintf("departments (%d)", sm.Departments), filepath.Join(sm.Dir, "departments")+"/<department_id>.pdf, .csv")
	fmt.Fprintf(a.stdout, "  %-28s %s\n", fmt.Sprintf("vendors (%d)", sm.Vendors), filepath.Join(sm.Dir, "vendors")+"/<vendor_id>.pdf, .csv")
	fmt.Fprintf(a.stdout, "lines %d  gross %s  adjustments %s  deductions %s  net %s\n", sm.Lines,
		money.Grouped(sm.Gross), money.Grouped(sm.Adjustments), money.Grouped(sm.Deductions), money.Grouped(sm.Net))
}
