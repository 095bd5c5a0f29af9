package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/webhook"
	chstore "cloudbill/sql"
)

func budgetsCommand() *command {
	return &command{
		Name:  "budgets",
		Usage: "import FILE | show --year YYYY | warnings --year YYYY | thresholds import FILE | deliver --webhook URL",
		Short: "project budgets of a year: import, spent, forecast, state, warnings",
		Long:  budgetsHelp,
		Subs: []*command{
			importOneCommand("import", "import approved project budgets (a new version per change)", budgetsImportHelp, "budgets",
				func(ctx context.Context, a *app, _ *chstore.Store, f catalog.File) (catalog.Report, error) {
					uc, err := a.useCases(ctx)
					if err != nil {
						return catalog.Report{}, err
					}
					return uc.ImportBudgets(ctx, f, "cli")
				}),
			{
				Name:  "show",
				Usage: "--year YYYY [--as-of YYYY-MM-DD] [--department ID] [--format table|csv|json]",
				Short: "per project: budget, spent, forecast to 31 December, state",
				Long:  budgetsShowHelp,
				Flags: func(fs *flagSet) runFunc {
					year := fs.Int("year", 0, "the `year`")
					asOf := fs.Date("as-of", "the analysis date of the forecast (default today, Asia/Shanghai)")
					dep := fs.String("department", "", "only this department `id` and its subordinate units")
					format := fs.Format("table", "csv", "json")
					fs.Require("year")
					return func(ctx context.Context, a *app, _ []string) error {
						return runBudgetsShow(ctx, a, *year, asOf.Or(calendar.LocalDate(a.now())), catalog.DepartmentID(*dep), *format)
					}
				},
			},
			{
				Name:  "warnings",
				Usage: "--year YYYY",
				Short: "the thresholds that fired in a year, as CSV",
				Long:  budgetsWarningsHelp,
				Flags: func(fs *flagSet) runFunc {
					year := fs.Int("year", 0, "the `year`")
					fs.Require("year")
					return func(ctx context.Context, a *app, _ []string) error {
						s, err := a.Store(ctx)
						if err != nil {
							return err
						}
						ws, err := s.BudgetWarnings(ctx, *year)
						if err != nil {
							return err
						}
						return funding.WriteWarningsCSV(a.stdout, ws)
					}
				},
			},
			{
				Name:  "thresholds",
				Usage: "import FILE | show [--date YYYY-MM-DD]",
				Short: "the warning thresholds: versions effective from a date",
				Long:  budgetsThresholdsHelp,
				Subs: []*command{
					importOneCommand("import", "import threshold versions (effective from a date)", budgetsThresholdsHelp, "threshold versions",
						func(ctx context.Context, a *app, _ *chstore.Store, f catalog.File) (catalog.Report, error) {
							uc, err := a.useCases(ctx)
							if err != nil {
								return catalog.Report{}, err
							}
							return uc.ImportThresholds(ctx, f, "cli")
						}),
					{
						Name:  "show",
						Usage: "[--date YYYY-MM-DD]",
						Short: "every stored version, and the thresholds in force on a date",
						Long:  budgetsThresholdsHelp,
						Flags: func(fs *flagSet) runFunc {
							date := fs.Date("date", "the day whose thresholds in force are named (default today, Asia/Shanghai)")
							return func(ctx context.Context, a *app, _ []string) error {
								s, err := a.Store(ctx)
								if err != nil {
									return err
								}
								vs, err := s.BudgetThresholds(ctx)
								if err != nil {
									return err
								}
								day := date.Or(calendar.LocalDate(a.now()))
								fmt.Fprintf(a.stdout, "%-10s  %-8s  %-8s  %-13s  %s\n", "effective", "warning", "over", "forecast_over", "import")
								for _, v := range vs {
									fmt.Fprintf(a.stdout, "%-10s  %-8s  %-8s  %-13s  %s (%s:%d)\n", v.Effective, share(v.Warning), share(v.Over),
										share(v.ForecastOver), v.Source.ImportID, v.Source.File, v.Source.Line)
								}
								th := funding.ThresholdsOn(vs, day)
								fmt.Fprintf(a.stdout, "in force on %s: warning %s, over %s, forecast_over %s\n", day, share(th.Warning), share(th.Over), share(th.ForecastOver))
								return nil
							}
						},
					},
				},
			},
			{
				Name:  "deliver",
				Usage: "--webhook URL [--webhook-credentials-file FILE]",
				Short: "post the budget warnings not yet delivered to the webhook",
				Long:  budgetsDeliverHelp,
				Flags: func(fs *flagSet) runFunc {
					url := fs.String("webhook", "", "the webhook `URL`")
					creds := fs.String("webhook-credentials-file", "", "`file` holding the webhook's user:password (HTTP basic authentication)")
					fs.Require("webhook")
					return func(ctx context.Context, a *app, _ []string) error {
						ep, err := endpointOf(*url, *creds)
						if err != nil {
							return usagef("budgets deliver: %v", err)
						}
						s, err := a.Store(ctx)
						if err != nil {
							return err
						}
						ep.Now = a.now
						rep, err := funding.DeliverWarnings(ctx, ep, s)
						if err != nil {
							return err
						}
						fmt.Fprintf(a.stdout, "budgets deliver: %d delivered, %d rejected, %d given up, %d waiting for a retry\n", rep.Delivered, rep.Rejected, rep.GaveUp, rep.Waiting)
						if rep.Rejected+rep.GaveUp+rep.Waiting > 0 {
							return &exitError{exitFailed, errors.New("some budget warnings were not delivered (the attempts are in budget_warning_deliveries)")}
						}
						return nil
					}
				},
			},
		},
	}
}

// share prints a threshold share with at least two decimals (0.80, 0.0001).
func share(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// endpointOf is the webhook at rawURL with the credentials of credFile (webhookOf's
// rules).
func endpointOf(rawURL, credFile string) (webhook.Endpoint, error) {
	wh, err := webhookOf(rawURL, credFile)
	return webhook.Endpoint(wh), err
}

// deliverBudgetWarnings posts the budget warnings not yet delivered when ep is set
// (serve's --budget-webhook, after each scheduled rating); what fails is logged, the
// rating stands.
func deliverBudgetWarnings(ctx context.Context, s *chstore.Store, ep *webhook.Endpoint, now func() time.Time, log *slog.Logger) {
	if ep == nil || ctx.Err() != nil {
		return
	}
	e := *ep
	e.Now = now
	rep, err := funding.DeliverWarnings(ctx, e, s)
	if err != nil {
		log.Error("budget webhook", "error", err)
		return
	}
	if rep != (webhook.Report{}) {
		log.Info("budget webhook", "delivered", rep.Delivered, "rejected", rep.Rejected, "gave_up", rep.GaveUp, "waiting", rep.Waiting)
	}
}

const budgetsThresholdsHelp = `
The budget warning thresholds are versioned configuration: a file with the columns
effective, warning, over, forecast_over (UTF-8 or GB18030) gives, per effective date, the
shares of the budget that warn — spent ≥ warning × budget (spent_warning), spent > over ×
budget (spent_over), forecast > forecast_over × budget (forecast_over_budget) — as decimal
shares (0.80 is 80%; at most four decimals; above 0, at most 10; warning ≤ over). A version
is in force for analysis dates from its effective date until the next version's; until one
is imported the defaults 0.80, 1.00, 1.00 apply. Importing a version for a date already
stored replaces it (the earlier import stays in budget_thresholds); the same values are
skipped. A refused file names every error (file, line, column, record), stores nothing
and exits with status 2; each import is recorded in the imports table and the audit log
(budget-thresholds-import). 'budgets thresholds show' lists the versions.`

const budgetsDeliverHelp = `
Posts every budget warning not yet delivered (budget.warning.spent_warning,
budget.warning.spent_over, budget.warning.forecast_over_budget) as JSON to the
multi-cloud management system's webhook, by the rules of the idle case events (idle
deliver): an Idempotency-Key header budget/PROJECT/YEAR/THRESHOLD; a 2xx answer delivers
the warning, it is never sent again; a network error, 5xx, 408 or 429 is tried again (3
times in a run, then in the next run, at most 20 times in all); another 4xx or a 3xx
rejects it (no redirect is followed). Each attempt is recorded in
budget_warning_deliveries. A warning fires once per project, year and threshold (after a
rating), so it is delivered once. serve delivers after each scheduled rating when given
--budget-webhook. Exit status 1 when a warning is left undelivered.`

const budgetsHelp = `
Project budgets (§18): the amount approved for each project on a year's project list,
what it has spent (closed months' frozen lines and the open month's latest rating, with
its share of deductions), what it is forecast to spend by 31 December, and its state: over
(spent > budget), warning (spent ≥ 80%), forecast_over (forecast > budget) or ok. After
every rating, each threshold that a project crosses for the first time in the year is
recorded with the run (budgets warnings). docs/year.md has the rules.`

const budgetsImportHelp = `
Imports a budgets file (columns project_id, year, amount; UTF-8 or GB18030). The project
must be on that year's project list and approved for it; the amount is in CNY with at most
two decimals, not negative. An amount equal to the one in force is skipped; another
replaces it from now on, and the earlier version is kept. A refused file lists every error
(file, line, column, record), stores nothing, and exits with status 2. The import is
recorded in the imports table and the audit log.`

const budgetsShowHelp = `
Shows, per project of the year, the approved budget, the spent amount, the forecast to 31
December as of --as-of, and the state; by department and 主管部门 (--department includes
the department's subordinate units). Forecast: spent + each allocated work order in
service on the analysis date at its configuration and the price in force each remaining
day + each metered order at its average daily amount of the last 90 days × the days left.`

const budgetsWarningsHelp = `
Writes the budget warnings of the year as CSV, oldest first: one row per project and
threshold (spent_warning: spent reached the warning share of the budget, by default 80%; spent_over: spent passed it;
forecast_over_budget: the forecast passed it), with the share of the budget the threshold
had when it fired (column share: 0.8 is 80%, the version in force then), the rating run
after which it fired and the figures then. Each threshold fires once per project and year.`

func runBudgetsShow(ctx context.Context, a *app, year int, asOf calendar.Date, dep catalog.DepartmentID, format string) error {
	if year < 2000 || year > 2200 {
		return usagef("budgets show: --year %d: want a year YYYY", year)
	}
	if asOf.Year < year {
		return usagef("budgets show: --as-of %s is before %d", asOf, year)
	}
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	rep, err := funding.Evaluate(ctx, s, year, asOf)
	if err != nil {
		return err
	}
	if dep != "" {
		if _, ok := rep.Org.Departments[dep]; !ok {
			return &exitError{exitBadInput, fmt.Errorf("budgets show: unknown department %s", dep)}
		}
		rep = rep.Filter(dep)
	}
	switch format {
	case "csv":
		return rep.WriteCSV(a.stdout)
	case "json":
		return rep.WriteJSON(a.stdout)
	}
	return rep.WriteTable(a.stdout)
}
