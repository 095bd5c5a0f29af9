package funding

import (
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// YearReader is what evaluating a year's budgets reads.
type YearReader interface {
	Org(ctx context.Context) (catalog.Org, error)
	Catalog(ctx context.Context) (catalog.Catalog, error)
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
	Budgets(ctx context.Context) ([]Budget, error)
	// BudgetThresholds is every imported version of the warning thresholds.
	BudgetThresholds(ctx context.Context) ([]ThresholdVersion, error)
	// YearLineSums adds up the year's rated lines (each month's frozen run when closed,
	// else its latest run).
	YearLineSums(ctx context.Context, year int) ([]LineSum, error)
	// MeteredDays is the daily detail of metered lines between two dates (inclusive).
	MeteredDays(ctx context.Context, from, to calendar.Date) ([]rating.Day, error)
}

// YearReport is the budget figures of every project for a year as of a date.
type YearReport struct {
	Year     int
	AsOf     calendar.Date
	Org      catalog.Org
	Statuses []ProjectStatus
	// Thresholds are those in force on AsOf (ThresholdsOn).
	Thresholds Thresholds
	// Findings: orders the forecast could not extend (no price), with why.
	Findings []string
}

// Evaluate computes spent, forecast and state of every project for year as of asOf (the
// analysis date of the forecast; on or after 31 December of year, the forecast is the
// spent), by the thresholds in force on asOf. An asOf before the year is refused.
func Evaluate(ctx context.Context, r YearReader, year int, asOf calendar.Date) (YearReport, error) {
	if asOf.Year < year {
		return YearReport{}, fmt.Errorf("budgets of %d as of %s: the analysis date is before the year", year, asOf)
	}
	org, err := r.Org(ctx)
	if err != nil {
		return YearReport{}, err
	}
	budgets, err := r.Budgets(ctx)
	if err != nil {
		return YearReport{}, err
	}
	sums, err := r.YearLineSums(ctx, year)
	if err != nil {
		return YearReport{}, err
	}
	vs, err := r.BudgetThresholds(ctx)
	if err != nil {
		return YearReport{}, err
	}
	th := ThresholdsOn(vs, asOf)
	rep := YearReport{Year: year, AsOf: asOf, Org: org, Thresholds: th}
	rem := map[catalog.ProjectID]decimal.Decimal{}
	if asOf.Year == year && !(asOf.Month == 12 && asOf.Day == 31) {
		cat, err := r.Catalog(ctx)
		if err != nil {
			return YearReport{}, err
		}
		events, err := r.OrderEvents(ctx)
		if err != nil {
			return YearReport{}, err
		}
		ins, err := InServiceOn(events, asOf, calendar.Date{Year: year, Month: 12, Day: 31})
		if err != nil {
			return YearReport{}, err
		}
		days, err := r.MeteredDays(ctx, asOf.AddDays(-89), asOf)
		if err != nil {
			return YearReport{}, err
		}
		opened := map[catalog.OrderID]calendar.Date{}
		for _, s := range ins {
			opened[s.Order] = s.Opened
		}
		rem, rep.Findings = Remaining(ForecastInput{AsOf: asOf, Catalog: cat, InService: ins, MeteredDaily: MeteredDaily(days, opened, asOf)})
	}
	rep.Statuses = Statuses(StatusInput{Year: year, Org: org, Budgets: budgets, Spent: Spent(sums), Remaining: rem, Thresholds: th})
	return rep, nil
}

// WarnStore is what evaluating warnings after a rating reads and records.
type WarnStore interface {
	YearReader
	BudgetWarnings(ctx context.Context, year int) ([]Warning, error)
	InsertBudgetWarnings(ctx context.Context, ws []Warning) error
}

// Warn evaluates the budgets of the rated month's year after rating run (as of the
// month's last day, or today when earlier; by the thresholds in force that day) and
// records the thresholds crossed for the first time, with the run. It returns the new
// warnings; a re-rating that stays across a threshold returns none.
func Warn(ctx context.Context, st WarnStore, run rating.Run, now time.Time) ([]Warning, error) {
	year := run.Period.Year
	asOf := calendar.MinDate(run.Period.Last(), calendar.LocalDate(now))
	if asOf.Year < year {
		asOf = run.Period.First()
	}
	rep, err := Evaluate(ctx, st, year, asOf)
	if err != nil {
		return nil, err
	}
	prev, err := st.BudgetWarnings(ctx, year)
	if err != nil {
		return nil, err
	}
	fired := map[WarningKey]bool{}
	for _, w := range prev {
		fired[WarningKey{w.Project, w.Year, w.Threshold}] = true
	}
	ws := NewWarnings(rep.Statuses, rep.Thresholds, fired, run.ID, run.Period.String(), now)
	if len(ws) == 0 {
		return nil, nil
	}
	if err := st.InsertBudgetWarnings(ctx, ws); err != nil {
		return nil, err
	}
	return ws, nil
}
