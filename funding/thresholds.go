package funding

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// ThresholdVersion is one imported version of the warning thresholds, in force from
// Effective (an analysis date on or after it) until the next version's date.
type ThresholdVersion struct {
	Effective calendar.Date
	Thresholds
	Source     catalog.Source
	ImportedAt time.Time
}

// thresholdColumns are the columns of a thresholds file (docs/formats.md).
var thresholdColumns = csvin.Spec{Required: []string{"effective", "warning", "over", "forecast_over"}}

// ThresholdStore reads and stores threshold versions.
type ThresholdStore interface {
	// BudgetThresholds is every imported version, in import order.
	BudgetThresholds(ctx context.Context) ([]ThresholdVersion, error)
	InsertBudgetThresholds(ctx context.Context, imp catalog.Import, vs []ThresholdVersion) error
}

// ThresholdsOn is the thresholds in force on day: of the versions with the latest
// Effective date on or before it, the last imported; DefaultThresholds when none is.
func ThresholdsOn(vs []ThresholdVersion, day calendar.Date) Thresholds {
	th, found := DefaultThresholds(), false
	var at calendar.Date
	for _, v := range vs { // import order: a later import of the same date wins
		if v.Effective.After(day) {
			continue
		}
		if !found || !v.Effective.Before(at) {
			th, at, found = v.Thresholds, v.Effective, true
		}
	}
	return th
}

var sharePattern = regexp.MustCompile(`^[0-9]+(\.[0-9]{1,4})?$`)

// maxShare bounds a threshold: a share of the budget above 10 (1000%) is a typing error.
var maxShare = decimal.NewFromInt(10)

// ImportThresholds validates a thresholds file and stores its versions. Rules: effective
// a date YYYY-MM-DD, once per file; warning, over and forecast_over shares of the budget
// (0.80 is 80%) with at most four decimals, above 0 and at most 10, warning ≤ over. A
// version equal to the one stored for the same date is already present; another for that
// date replaces it (the earlier import stays in budget_thresholds). A refused file
// stores nothing and returns csvin.Errors naming file, line, column and record of every
// error.
func ImportThresholds(ctx context.Context, st ThresholdStore, f catalog.File, now time.Time) (catalog.Report, error) {
	stored, err := st.BudgetThresholds(ctx)
	if err != nil {
		return catalog.Report{}, err
	}
	byDate := map[calendar.Date]Thresholds{}
	for _, v := range stored {
		byDate[v.Effective] = v.Thresholds
	}
	r := &reader{key: func(row csvin.Row) []string {
		return []string{"effective", row.Get("effective")}
	}}
	share := func(row csvin.Row, col string) (decimal.Decimal, bool) {
		v, ok := r.required(row, col)
		if !ok {
			return decimal.Decimal{}, false
		}
		if !sharePattern.MatchString(v) {
			r.coded(row, col, csvin.CodeShareBad, "value", v)
			return decimal.Decimal{}, false
		}
		d := decimal.RequireFromString(v)
		if d.Sign() <= 0 || d.GreaterThan(maxShare) {
			r.coded(row, col, csvin.CodeShareRange, "value", v, "max", maxShare.String())
			return decimal.Decimal{}, false
		}
		return d, true
	}
	seen := map[calendar.Date]int{}
	var rep catalog.Report
	var out []ThresholdVersion
	r.read(f, thresholdColumns, func(row csvin.Row) {
		var day calendar.Date
		okD := false
		if v, ok := r.required(row, "effective"); ok {
			d, err := calendar.ParseDate(v)
			if err != nil {
				r.coded(row, "effective", csvin.CodeDateBad, "value", v)
			} else {
				day, okD = d, true
			}
		}
		w, okW := share(row, "warning")
		o, okO := share(row, "over")
		fo, okF := share(row, "forecast_over")
		if okW && okO && w.GreaterThan(o) {
			r.coded(row, "warning", csvin.CodeWarningAboveOver, "warning", w.String(), "over", o.String())
			okW = false
		}
		if !okD || !okW || !okO || !okF {
			return
		}
		if prev, dup := seen[day]; dup {
			r.coded(row, "effective", csvin.CodeThresholdTwice, append([]string{"date", day.String()}, r.at(prev)...)...)
			return
		}
		seen[day] = row.Line
		th := Thresholds{Warning: w, Over: o, ForecastOver: fo}
		if old, ok := byDate[day]; ok {
			if old.Equal(th) {
				rep.Present++
				return
			}
			rep.Replaced++
		}
		out = append(out, ThresholdVersion{Effective: day, Thresholds: th, Source: catalog.Source{File: f.Name, Line: row.Line}, ImportedAt: now})
	})
	rep.Read = r.rows
	if len(r.errs) > 0 {
		return catalog.Report{}, r.errs
	}
	if len(out) == 0 {
		return rep, nil
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Effective.Before(out[j].Effective) })
	imp := r.newImport("budget-thresholds", len(out), now)
	for i := range out {
		out[i].Source.ImportID = imp.ID
	}
	if err := st.InsertBudgetThresholds(ctx, imp, out); err != nil {
		return catalog.Report{}, fmt.Errorf("store budget thresholds: %w", err)
	}
	rep.Import, rep.Accepted = imp, len(out)
	return rep, nil
}

// Equal reports the same three shares.
func (th Thresholds) Equal(o Thresholds) bool {
	return th.Warning.Equal(o.Warning) && th.Over.Equal(o.Over) && th.ForecastOver.Equal(o.ForecastOver)
}
