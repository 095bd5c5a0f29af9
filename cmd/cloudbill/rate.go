package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	chstore "cloudbill/sql"
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
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	usage := &timedUsage{UsageReader: s, now: a.now}
	r, err := rating.New(rating.Config{Master: s, Usage: usage, Results: s, Now: a.now})
	if err != nil {
		return err
	}
	out, err := r.Rate(ctx, p)
	if err != nil {
		return err
	}
	printRateSummary(a.stdout, out)
	if err := a.budgetWarnings(ctx, s, out.Run); err != nil {
		return err
	}
	if inc, err := a.missingWindows(ctx, p); err != nil {
		fmt.Fprintf(a.stderr, "warning: collector windows of %s not checked: %v\n", p, err)
	} else if inc != nil {
		for _, l := range inc.Missing {
			fmt.Fprintf(a.stderr, "warning: usage of %s incomplete: %s (cloudbill collect status --period %s)\n", p, l, p)
		}
	}
	fmt.Fprintf(a.stdout, "usage       %d windows aggregated in ClickHouse in %s\n", usage.windows, usage.took.Round(1e6))
	fmt.Fprintf(a.stdout, "elapsed     %s\n", a.now().Sub(start).Round(1e6))
	return nil
}

// budgetWarnings evaluates the budgets of the rated month's year after a rating and
// records (and prints) the thresholds crossed for the first time (DESIGN.md "Money over
// the year"). The rating itself is stored whatever happens here.
func (a *app) budgetWarnings(ctx context.Context, s *chstore.Store, run rating.Run) error {
	ws, err := funding.Warn(ctx, s, run, funding.DefaultThresholds(), a.now())
	if err != nil {
		return fmt.Errorf("rated %s (run %s), but the budget warnings were not evaluated: %w", run.Period, run.ID, err)
	}
	for _, w := range ws {
		fmt.Fprintf(a.stdout, "budget      project %s (%s) %d: %s (%s): spent %s, forecast %s of budget %s\n", w.Project, w.Department, w.Year,
			w.Threshold, funding.Label(string(w.Threshold)), money.Plain(w.Spent), money.Plain(w.Forecast), money.Plain(w.Budget))
	}
	return nil
}

// timedUsage measures the time ClickHouse takes to aggregate usage.
type timedUsage struct {
	rating.UsageReader
	now     func() time.Time
	windows int
	took    time.Duration
}

func (u *timedUsage) UsageAggregates(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) (rating.Usage, error) {
	start := u.now()
	defer func() { u.took += u.now().Sub(start) }()
	u.windows += len(ws)
	return u.UsageReader.UsageAggregates(ctx, p, ws)
}

// UsageOutOfRange passes the rater's question on (the wrapper must not hide it: rate
// names the samples left out of the quantities as exceptions, as the schedule does).
func (u *timedUsage) UsageOutOfRange(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([]string, error) {
	ua, ok := u.UsageReader.(rating.UsageAnomalies)
	if !ok {
		return nil, nil
	}
	start := u.now()
	defer func() { u.took += u.now().Sub(start) }()
	return ua.UsageOutOfRange(ctx, p, ws)
}

// UsageForeign passes the rater's question on, as UsageOutOfRange does.
func (u *timedUsage) UsageForeign(ctx context.Context, p calendar.Period, ws []rating.UsageWindow) ([]string, error) {
	ua, ok := u.UsageReader.(rating.UsageAnomalies)
	if !ok {
		return nil, nil
	}
	start := u.now()
	defer func() { u.took += u.now().Sub(start) }()
	return ua.UsageForeign(ctx, p, ws)
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
	var pending []string
	for _, d := range out.Deductions {
		if d.Pending && d.Gross.Sign() != 0 {
			pending = append(pending, string(d.Vendor))
		}
	}
	sort.Strings(pending)
	if len(pending) > 0 {
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
