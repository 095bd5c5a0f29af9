package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

func rateCommand() *command {
	return &command{
		Name:  "rate",
		Usage: "--period YYYY-MM",
		Short: "rate a month: prorated charges, metered usage, deductions, adjustments",
		Long:  rateHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month to rate")
			rulesFile := fs.String("rules", "", "no longer taken: import the rules with 'cloudbill rules import FILE --effective YYYY-MM'")
			fs.Require("period")
			return func(ctx context.Context, a *app, _ []string) error {
				return runRate(ctx, a, period.Get(), *rulesFile)
			}
		},
	}
}

const rateHelp = `
Rates a month from the stored catalog versions, work orders, usage samples, acceptance
records and deduction rules, and stores the result as a new run (the month's lines are
replaced at once). Running it again on unchanged inputs changes nothing. A closed month
is refused; news about a closed month is booked as adjustment lines in the first open
month.

The deduction rules are the version in force for the month ('cloudbill rules import FILE
--effective YYYY-MM'; the built-in defaults when none is); --rules is gone.`

func runRate(ctx context.Context, a *app, p calendar.Period, rulesFile string) error {
	if rulesFile != "" {
		return errRulesFlag("rate")
	}
	start := a.now()
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	res, err := uc.Rate(ctx, p)
	if res.Run.ID == "" {
		return err // not rated
	}
	printRateSummary(a.stdout, res.Outcome)
	if err != nil {
		return err // rated, but the budgets were not evaluated
	}
	printBudgetWarnings(a.stdout, res.Warnings)
	if res.IncompleteErr != nil {
		fmt.Fprintf(a.stderr, "warning: collector windows of %s not checked: %v\n", p, res.IncompleteErr)
	} else if res.Incomplete != nil {
		for _, l := range res.Incomplete.Missing {
			fmt.Fprintf(a.stderr, "warning: usage of %s incomplete: %s (cloudbill collect status --period %s)\n", p, l, p)
		}
	}
	fmt.Fprintf(a.stdout, "usage       %d windows aggregated in ClickHouse in %s\n", res.UsageWindows, res.UsageTook.Round(1e6))
	fmt.Fprintf(a.stdout, "elapsed     %s\n", a.now().Sub(start).Round(1e6))
	return nil
}

// printBudgetWarnings prints the budget thresholds a rating crossed for the first time
// (docs/year.md).
func printBudgetWarnings(w io.Writer, ws []funding.Warning) {
	for _, wn := range ws {
		fmt.Fprintf(w, "budget      project %s (%s) %d: %s (%s, share %s): spent %s, forecast %s of budget %s\n", wn.Project, wn.Department, wn.Year,
			wn.Threshold, funding.Label(string(wn.Threshold)), wn.SharePercent(), money.Plain(wn.Spent), money.Plain(wn.Forecast), money.Plain(wn.Budget))
	}
}

// errRulesFlag refuses the --rules flag of earlier releases: a rules file given to each
// run made a re-rate of a closed month with another file book a spurious deduction
// difference. Rules are stored configuration now.
func errRulesFlag(cmd string) error {
	return usagef("%s: --rules is no longer taken: deduction rules are stored, versioned by month; "+
		"import the file once with 'cloudbill rules import FILE --effective YYYY-MM' (see 'cloudbill rules --help'), "+
		"then every rating uses the version in force for its month", cmd)
}

// printRateSummary prints lines per kind, gross, deductions, adjustments, net, pending
// vendors and exceptions.
func printRateSummary(w io.Writer, out rating.Outcome) {
	run := out.Run
	state := "stored"
	if out.Unchanged {
		state = "unchanged: same inputs as the latest run, nothing written"
	}
	fmt.Fprintf(w, "rated %s: run %s (%s)\n", run.Period, run.ID, state)
	count := map[rating.Kind]int{}
	for _, l := range out.Lines {
		count[l.Kind]++
	}
	tot := rating.TotalsOf(out.Lines)
	var parts []string
	for _, k := range []rating.Kind{rating.KindCharge, rating.KindMetered, rating.KindUnfunded, rating.KindDeduction, rating.KindAdjustment} {
		parts = append(parts, fmt.Sprintf("%s %d", k, count[k]))
	}
	fmt.Fprintf(w, "lines       %d (%s)\n", len(out.Lines), strings.Join(parts, ", "))
	fmt.Fprintf(w, "gross       %15s  (charge %s, metered %s, unfunded %s)\n", money.Grouped(tot.Gross),
		money.Grouped(tot.Charge), money.Grouped(tot.Metered), money.Grouped(tot.Unfunded))
	fmt.Fprintf(w, "deductions  %15s\n", money.Grouped(tot.Deductions))
	fmt.Fprintf(w, "adjustments %15s\n", money.Grouped(tot.Adjustments))
	fmt.Fprintf(w, "net         %15s\n", money.Grouped(tot.Net))
	// the run's pending vendors (rating's rule: no acceptance record, a gross to deduct from)
	if pending := vendorStrings(run.Pending); len(pending) > 0 {
		fmt.Fprintf(w, "pending     %d vendors without an acceptance record: %s\n", len(pending), strings.Join(pending, ", "))
	}
	if len(run.Exceptions) > 0 {
		fmt.Fprintf(w, "exceptions  %d\n", len(run.Exceptions))
		for i, e := range run.Exceptions {
			if i == 50 {
				fmt.Fprintf(w, "  … and %d more (rating_runs.exceptions)\n", len(run.Exceptions)-50)
				break
			}
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
}
