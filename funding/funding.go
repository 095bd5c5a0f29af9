// Package funding owns the money of a year (docs/year.md, §18, §19,
// §21 of the notice): project budgets from the annual project list and their versions,
// what a project has spent and is forecast to spend by 31 December, its budget state and
// the thresholds that warn once; the payment vouchers of the vendors and the ledger of
// payable, paid and outstanding per vendor and year; the December estimate that lets
// December be paid in-year and its true-up; and next year's declaration (测算表).
//
// It holds types and pure logic only: it reads rated lines, work orders and the catalog
// as plain values and never imports a driver. Storage is in package chstore.
package funding

import (
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
)

// Budget is the amount approved for a project on one year's project list: the latest
// imported version (a later import for the same project and year replaces the amount from
// then on; the earlier versions stay in budget_versions).
type Budget struct {
	Project catalog.ProjectID
	Year    int
	Amount  decimal.Decimal
	Source  catalog.Source
}

// State is a project's budget state for a year.
type State string

const (
	StateOK           State = "ok"            // 正常
	StateWarning      State = "warning"       // 预警: spent ≥ the warning share of the budget
	StateOver         State = "over"          // 超预算: spent > budget
	StateForecastOver State = "forecast_over" // 预计超支: forecast > budget
	StateNoBudget     State = "no_budget"     // 无预算: not approved for the year, or no amount imported
)

// Alert: the state is one a department is warned of (warning, over, forecast over): the
// portal's banner and the budgets list's marked rows.
func (s State) Alert() bool {
	return s == StateWarning || s == StateOver || s == StateForecastOver
}

// Thresholds are the shares of the budget that warn: spent ≥ Warning × budget, spent >
// Over × budget, forecast > ForecastOver × budget. They are versioned configuration
// (ImportThresholds, ThresholdsOn); DefaultThresholds (80%, 100%, 100%) until a version
// is in force.
type Thresholds struct {
	Warning, Over, ForecastOver decimal.Decimal
}

// DefaultThresholds are the defaults of docs/year.md.
func DefaultThresholds() Thresholds {
	return Thresholds{
		Warning:      decimal.RequireFromString("0.80"),
		Over:         decimal.RequireFromString("1.00"),
		ForecastOver: decimal.RequireFromString("1.00"),
	}
}

// StateOf is the state of a project with budget, spent and forecast: over when spent >
// budget; else warning when spent ≥ the warning share; else forecast_over when forecast >
// budget; else ok.
func StateOf(budget, spent, forecast decimal.Decimal, th Thresholds) State {
	switch {
	case spent.GreaterThan(budget.Mul(th.Over)):
		return StateOver
	case spent.GreaterThanOrEqual(budget.Mul(th.Warning)):
		return StateWarning
	case forecast.GreaterThan(budget.Mul(th.ForecastOver)):
		return StateForecastOver
	}
	return StateOK
}

// Threshold names one warning threshold.
type Threshold string

const (
	ThresholdSpentWarning Threshold = "spent_warning"        // spent reached the warning share (80%)
	ThresholdSpentOver    Threshold = "spent_over"           // spent passed the budget (100%)
	ThresholdForecastOver Threshold = "forecast_over_budget" // forecast passed the budget (100%)
)

// Crossed lists the thresholds that spent and forecast are across now, in the order
// warning, over, forecast.
func Crossed(budget, spent, forecast decimal.Decimal, th Thresholds) []Threshold {
	var out []Threshold
	if spent.GreaterThanOrEqual(budget.Mul(th.Warning)) {
		out = append(out, ThresholdSpentWarning)
	}
	if spent.GreaterThan(budget.Mul(th.Over)) {
		out = append(out, ThresholdSpentOver)
	}
	if forecast.GreaterThan(budget.Mul(th.ForecastOver)) {
		out = append(out, ThresholdForecastOver)
	}
	return out
}

// ShareOf is the share of the budget at which threshold t fires under th (zero for an
// unknown threshold).
func (th Thresholds) ShareOf(t Threshold) decimal.Decimal {
	switch t {
	case ThresholdSpentWarning:
		return th.Warning
	case ThresholdSpentOver:
		return th.Over
	case ThresholdForecastOver:
		return th.ForecastOver
	}
	return decimal.Zero
}
