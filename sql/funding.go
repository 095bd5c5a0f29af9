package chstore

// The year's money: budget versions, warnings, and the year's rated lines
// added up for the budgets' spent and forecast (package funding computes from them).

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/internal/webhook"
	"cloudbill/rating"
)

// InsertBudgets stores budget versions and records the import.
func (s *Store) InsertBudgets(ctx context.Context, imp catalog.Import, bs []funding.Budget) error {
	if err := s.insertBlock(ctx, budgetsInsert{imp: imp, bs: bs}); err != nil {
		return fmt.Errorf("insert budgets: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// budgetsInsert stores the budget versions of an import.
type budgetsInsert struct {
	imp catalog.Import
	bs  []funding.Budget
}

func (budgetsInsert) toSQL() string {
	return `INSERT INTO budget_versions (project_id, year, amount, import_id, import_seq, file, line, imported_at)`
}

func (q budgetsInsert) rows() int { return len(q.bs) }

func (q budgetsInsert) row(i int) []any {
	b := q.bs[i]
	return []any{string(b.Project), uint16(b.Year), b.Amount, q.imp.ID, q.imp.Seq(), b.Source.File, uint32(b.Source.Line), q.imp.At}
}

// budgetsQuery reads the budget in force (latest import) of every project and year, or
// every version when history is set.
type budgetsQuery struct{ history bool }

func (q budgetsQuery) toSQL() (string, []any) {
	if q.history {
		return `SELECT project_id, year, amount, import_id, file, line, imported_at FROM budget_versions
ORDER BY project_id, year, import_seq`, nil
	}
	return `SELECT project_id, year, argMax(amount, import_seq), argMax(import_id, import_seq), argMax(file, import_seq),
argMax(line, import_seq), max(imported_at)
FROM budget_versions GROUP BY project_id, year ORDER BY project_id, year`, nil
}

// BudgetVersion is one stored version of a budget, with when it was imported.
type BudgetVersion struct {
	funding.Budget
	ImportedAt time.Time
}

func (q budgetsQuery) scan(rows driver.Rows) ([]BudgetVersion, error) {
	var out []BudgetVersion
	for rows.Next() {
		var b BudgetVersion
		var proj, file string
		var year uint16
		var line uint32
		if err := rows.Scan(&proj, &year, &b.Amount, &b.Source.ImportID, &file, &line, &b.ImportedAt); err != nil {
			return nil, err
		}
		b.Project, b.Year, b.Source.File, b.Source.Line = catalog.ProjectID(proj), int(year), file, int(line)
		out = append(out, b)
	}
	return out, rows.Err()
}

func (s *Store) budgets(ctx context.Context, q budgetsQuery) ([]BudgetVersion, error) {
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read budgets: %w", err)
	}
	return out, nil
}

// Budgets is the budget in force of every project and year.
func (s *Store) Budgets(ctx context.Context) ([]funding.Budget, error) {
	vs, err := s.budgets(ctx, budgetsQuery{})
	if err != nil {
		return nil, err
	}
	out := make([]funding.Budget, len(vs))
	for i, v := range vs {
		out[i] = v.Budget
	}
	return out, nil
}

// BudgetHistory is every stored version, oldest first per project and year.
func (s *Store) BudgetHistory(ctx context.Context) ([]BudgetVersion, error) {
	return s.budgets(ctx, budgetsQuery{history: true})
}

// YearRuns is the run whose results are each rated month of year's: the frozen run of a
// closed month, else the month's latest run.
func (s *Store) YearRuns(ctx context.Context, year int) (map[calendar.Period]string, error) {
	months, err := s.RatedMonths(ctx)
	if err != nil {
		return nil, err
	}
	closes, err := s.Closes(ctx)
	if err != nil {
		return nil, err
	}
	out := map[calendar.Period]string{}
	for _, m := range months {
		if m.Period.Year == year {
			out[m.Period] = m.RunID
		}
	}
	for _, c := range closes {
		if c.Period.Year == year && c.RunID != "" {
			out[c.Period] = c.RunID
		}
	}
	return out, nil
}

func runList(runs map[calendar.Period]string) []string {
	out := make([]string, 0, len(runs))
	for _, r := range runs {
		out = append(out, r)
	}
	return out
}

// yearLineSumsQuery adds up the lines of the given runs (one per month) from month from
// to month to by kind, department, vendor, category and project.
type yearLineSumsQuery struct {
	from, to calendar.Period
	runs     []string
}

func (q yearLineSumsQuery) toSQL() (string, []any) {
	return `SELECT period, kind, department_id, vendor_id, category, project_id, sum(amount)
FROM rated_lines
WHERE period >= ? AND period <= ? AND has(?, run_id)
GROUP BY period, kind, department_id, vendor_id, category, project_id
ORDER BY period, kind, department_id, vendor_id, category, project_id`, []any{q.from.Key(), q.to.Key(), q.runs}
}

func (q yearLineSumsQuery) scan(rows driver.Rows) ([]funding.LineSum, error) {
	var out []funding.LineSum
	for rows.Next() {
		var ls funding.LineSum
		var key uint32
		var kind, dep, ven, cat, proj string
		if err := rows.Scan(&key, &kind, &dep, &ven, &cat, &proj, &ls.Amount); err != nil {
			return nil, err
		}
		ls.Period, ls.Kind = calendar.PeriodOfKey(key), rating.Kind(kind)
		ls.Department, ls.Vendor = catalog.DepartmentID(dep), catalog.VendorID(ven)
		ls.Category, ls.Project = catalog.ProjectCategory(cat), catalog.ProjectID(proj)
		out = append(out, ls)
	}
	return out, rows.Err()
}

// YearLineSums adds up the rated lines of year's months (each month's frozen run when
// closed, else its latest run) by month, kind, department, vendor, category and project.
func (s *Store) YearLineSums(ctx context.Context, year int) ([]funding.LineSum, error) {
	runs, err := s.YearRuns(ctx, year)
	if err != nil {
		return nil, err
	}
	if len(runs) == 0 {
		return nil, nil
	}
	q := yearLineSumsQuery{from: calendar.Period{Year: year, Month: 1}, to: calendar.Period{Year: year, Month: 12}, runs: runList(runs)}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("add up the rated lines of %d: %w", year, err)
	}
	return out, nil
}

// meteredDaysQuery reads the daily detail of metered lines between two dates (both
// inclusive) of the given runs, per order and day.
type meteredDaysQuery struct {
	from, to calendar.Date
	runs     []string
}

// The dates are bound as text under toDate: ClickHouse 18.16 compares a Date column with a
// bound time (toDateTime(...)) wrongly (no row of November matched November's bounds;
// found by TestCurrentClickHouse, current releases convert), docs/clickhouse.md.
func (q meteredDaysQuery) toSQL() (string, []any) {
	return `SELECT order_id, project_id, date, sum(amount)
FROM rated_days
WHERE kind = 'metered' AND date >= toDate(?) AND date <= toDate(?) AND has(?, run_id)
GROUP BY order_id, project_id, date
ORDER BY order_id, date`, []any{q.from.String(), q.to.String(), q.runs}
}

func (q meteredDaysQuery) scan(rows driver.Rows) ([]rating.Day, error) {
	var out blockList[rating.Day]
	for rows.Next() {
		var d rating.Day
		var order, proj string
		var date time.Time
		if err := rows.Scan(&order, &proj, &date, &d.Amount); err != nil {
			return nil, err
		}
		d.Order, d.Project, d.Date, d.Kind = catalog.OrderID(order), catalog.ProjectID(proj), fromCHDate(date), rating.KindMetered
		d.Period = d.Date.Period()
		out.add(d)
	}
	return out.list(), rows.Err()
}

// MeteredDays is the unrounded daily amounts of metered lines from from to to (both
// inclusive), of each month's frozen or latest run.
func (s *Store) MeteredDays(ctx context.Context, from, to calendar.Date) ([]rating.Day, error) {
	runs := map[calendar.Period]string{}
	for y := from.Year; y <= to.Year; y++ {
		r, err := s.YearRuns(ctx, y)
		if err != nil {
			return nil, err
		}
		for p, id := range r {
			runs[p] = id
		}
	}
	if len(runs) == 0 {
		return nil, nil
	}
	q := meteredDaysQuery{from: from, to: to, runs: runList(runs)}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read metered days %s–%s: %w", from, to, err)
	}
	return out, nil
}

// InsertBudgetWarnings records warnings that fired.
func (s *Store) InsertBudgetWarnings(ctx context.Context, ws []funding.Warning) error {
	if err := s.insertBlock(ctx, budgetWarningsInsert{ws}); err != nil {
		return fmt.Errorf("insert budget warnings: %w", err)
	}
	return nil
}

// budgetWarningsInsert records warnings that fired.
type budgetWarningsInsert struct{ ws []funding.Warning }

func (budgetWarningsInsert) toSQL() string {
	return `INSERT INTO budget_warnings (project_id, year, threshold, department_id, parent_id, run_id, period, budget, spent,
forecast, share, fired_at)`
}

func (q budgetWarningsInsert) rows() int { return len(q.ws) }

func (q budgetWarningsInsert) row(i int) []any {
	w := q.ws[i]
	var key uint32
	if p, err := calendar.ParsePeriod(w.Period); err == nil {
		key = p.Key()
	}
	return []any{string(w.Project), uint16(w.Year), string(w.Threshold), string(w.Department), string(w.Parent), w.RunID, key,
		w.Budget, w.Spent, w.Forecast, w.Share, w.At.UTC()}
}

// budgetWarningsQuery reads the warnings of a year (the first row of each project,
// year and threshold), oldest first.
type budgetWarningsQuery struct{ year int }

func (q budgetWarningsQuery) toSQL() (string, []any) {
	return `SELECT project_id, year, threshold, argMin(department_id, fired_at), argMin(parent_id, fired_at), argMin(run_id, fired_at),
argMin(period, fired_at), argMin(budget, fired_at), argMin(spent, fired_at), argMin(forecast, fired_at), argMin(share, fired_at), min(fired_at)
FROM budget_warnings WHERE year = ?
GROUP BY project_id, year, threshold
ORDER BY min(fired_at), project_id, threshold`, []any{uint16(q.year)}
}

func (q budgetWarningsQuery) scan(rows driver.Rows) ([]funding.Warning, error) {
	var out []funding.Warning
	for rows.Next() {
		var w funding.Warning
		var proj, th, dep, parent string
		var year uint16
		var key uint32
		if err := rows.Scan(&proj, &year, &th, &dep, &parent, &w.RunID, &key, &w.Budget, &w.Spent, &w.Forecast, &w.Share, &w.At); err != nil {
			return nil, err
		}
		w.Project, w.Year, w.Threshold = catalog.ProjectID(proj), int(year), funding.Threshold(th)
		w.Department, w.Parent = catalog.DepartmentID(dep), catalog.DepartmentID(parent)
		if key != 0 {
			w.Period = calendar.PeriodOfKey(key).String()
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// BudgetWarnings is the warnings of year that fired, oldest first.
func (s *Store) BudgetWarnings(ctx context.Context, year int) ([]funding.Warning, error) {
	q := budgetWarningsQuery{year: year}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read budget warnings of %d: %w", year, err)
	}
	return out, nil
}

var _ funding.WarnStore = (*Store)(nil)

// pendingWarningDeliveriesQuery lists the warnings (first row of each project, year and
// threshold) without a final delivery attempt, with the attempts made so far, oldest
// first.
type pendingWarningDeliveriesQuery struct{}

func (pendingWarningDeliveriesQuery) toSQL() (string, []any) {
	return `SELECT w.project_id, w.year, w.threshold, toUInt32(ifNull(d.attempts, 0))
FROM (
    SELECT project_id, year, threshold, min(fired_at) AS fired FROM budget_warnings GROUP BY project_id, year, threshold
) AS w
ALL LEFT JOIN (
    SELECT project_id, year, threshold, count() AS attempts, countIf(outcome IN ('delivered', 'rejected', 'gave_up')) AS final
    FROM budget_warning_deliveries GROUP BY project_id, year, threshold
) AS d USING (project_id, year, threshold)
WHERE ifNull(d.final, 0) = 0
ORDER BY w.fired, w.project_id, w.threshold`, nil
}

func (pendingWarningDeliveriesQuery) scan(rows driver.Rows) ([]funding.PendingWarning, error) {
	var out []funding.PendingWarning
	for rows.Next() {
		var proj, th string
		var year uint16
		var p funding.PendingWarning
		if err := rows.Scan(&proj, &year, &th, &p.Attempts); err != nil {
			return nil, err
		}
		p.Key = funding.WarningKey{Project: catalog.ProjectID(proj), Year: int(year), Threshold: funding.Threshold(th)}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PendingWarningDeliveries lists the warnings not yet delivered, rejected or given up.
func (s *Store) PendingWarningDeliveries(ctx context.Context) ([]funding.PendingWarning, error) {
	q := pendingWarningDeliveriesQuery{}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read pending budget warning deliveries: %w", err)
	}
	return out, nil
}

// SaveWarningDelivery records one attempt to deliver a warning.
func (s *Store) SaveWarningDelivery(ctx context.Context, d funding.WarningDelivery) error {
	d.URL, _, _ = webhook.SplitCredentials(d.URL) // a URL is never stored with credentials
	if err := s.insertOne(ctx, warningDeliveryInsert{d}); err != nil {
		return fmt.Errorf("record delivery of budget warning %s %d %s: %w", d.Key.Project, d.Key.Year, d.Key.Threshold, err)
	}
	return nil
}

// warningDeliveryInsert records one attempt to deliver a warning (its URL without
// credentials: see SaveWarningDelivery).
type warningDeliveryInsert struct{ d funding.WarningDelivery }

func (q warningDeliveryInsert) toSQL() (string, []any) {
	d := q.d
	return `INSERT INTO budget_warning_deliveries (project_id, year, threshold, event, url, attempt, attempted_at, status_code,
outcome, error)`, []any{string(d.Key.Project), uint16(d.Key.Year), string(d.Key.Threshold), d.Event, d.URL, d.Attempt, d.At.UTC(),
			uint16(d.StatusCode), string(d.Outcome), d.Error}
}

// warningDeliveriesQuery lists the delivery attempts of a year's warnings, in order.
type warningDeliveriesQuery struct{ year int }

func (q warningDeliveriesQuery) toSQL() (string, []any) {
	return `SELECT project_id, year, threshold, event, url, attempt, attempted_at, status_code, outcome, error
FROM budget_warning_deliveries WHERE year = ?
ORDER BY project_id, threshold, attempt`, []any{uint16(q.year)}
}

func (warningDeliveriesQuery) scan(rows driver.Rows) ([]funding.WarningDelivery, error) {
	var out []funding.WarningDelivery
	for rows.Next() {
		var d funding.WarningDelivery
		var proj, th, outcome string
		var year, code uint16
		if err := rows.Scan(&proj, &year, &th, &d.Event, &d.URL, &d.Attempt, &d.At, &code, &outcome, &d.Error); err != nil {
			return nil, err
		}
		d.Key = funding.WarningKey{Project: catalog.ProjectID(proj), Year: int(year), Threshold: funding.Threshold(th)}
		d.StatusCode, d.Outcome = int(code), webhook.Outcome(outcome)
		out = append(out, d)
	}
	return out, rows.Err()
}

// WarningDeliveries lists the delivery attempts of the warnings of year, in order.
func (s *Store) WarningDeliveries(ctx context.Context, year int) ([]funding.WarningDelivery, error) {
	q := warningDeliveriesQuery{year: year}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read budget warning deliveries of %d: %w", year, err)
	}
	return out, nil
}

var _ funding.WarningDeliveryStore = (*Store)(nil)

// InsertBudgetThresholds stores threshold versions and records the import.
func (s *Store) InsertBudgetThresholds(ctx context.Context, imp catalog.Import, vs []funding.ThresholdVersion) error {
	if err := s.insertBlock(ctx, budgetThresholdsInsert{imp: imp, vs: vs}); err != nil {
		return fmt.Errorf("insert budget thresholds: %w", err)
	}
	return s.recordImport(ctx, imp)
}

// budgetThresholdsInsert stores the threshold versions of an import.
type budgetThresholdsInsert struct {
	imp catalog.Import
	vs  []funding.ThresholdVersion
}

func (budgetThresholdsInsert) toSQL() string {
	return `INSERT INTO budget_thresholds (effective, warning_share, over_share, forecast_over_share, import_id, import_seq, file, line,
imported_at)`
}

func (q budgetThresholdsInsert) rows() int { return len(q.vs) }

func (q budgetThresholdsInsert) row(i int) []any {
	v := q.vs[i]
	return []any{chDate(v.Effective), v.Warning, v.Over, v.ForecastOver, q.imp.ID, q.imp.Seq(), v.Source.File, uint32(v.Source.Line), q.imp.At}
}

// budgetThresholdsQuery reads every threshold version, in import order.
type budgetThresholdsQuery struct{}

func (budgetThresholdsQuery) toSQL() (string, []any) {
	return `SELECT effective, warning_share, over_share, forecast_over_share, import_id, file, line, imported_at
FROM budget_thresholds ORDER BY import_seq, effective`, nil
}

func (budgetThresholdsQuery) scan(rows driver.Rows) ([]funding.ThresholdVersion, error) {
	var out []funding.ThresholdVersion
	for rows.Next() {
		var v funding.ThresholdVersion
		var eff time.Time
		var line uint32
		if err := rows.Scan(&eff, &v.Warning, &v.Over, &v.ForecastOver, &v.Source.ImportID, &v.Source.File, &line, &v.ImportedAt); err != nil {
			return nil, err
		}
		v.Effective, v.Source.Line = fromCHDate(eff), int(line)
		out = append(out, v)
	}
	return out, rows.Err()
}

// BudgetThresholds is every threshold version, in import order.
func (s *Store) BudgetThresholds(ctx context.Context) ([]funding.ThresholdVersion, error) {
	q := budgetThresholdsQuery{}
	out, err := runQuery(ctx, s.conn, q)
	if err != nil {
		return nil, fmt.Errorf("read budget thresholds: %w", err)
	}
	return out, nil
}

var _ funding.ThresholdStore = (*Store)(nil)
