package funding

import (
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
)

// ProjectStatus is one project's budget figures for a year.
type ProjectStatus struct {
	Project    catalog.ProjectID
	Name       string
	Department catalog.DepartmentID
	// Parent is the department's 主管部门 ("" for a top-level department).
	Parent   catalog.DepartmentID
	Category catalog.ProjectCategory
	Year     int
	// HasBudget: approved for the year with an imported amount; Budget is then that amount.
	HasBudget bool
	Budget    decimal.Decimal
	Spent     decimal.Decimal
	Forecast  decimal.Decimal
	State     State
}

// StatusInput is what Statuses reads.
type StatusInput struct {
	Year    int
	Org     catalog.Org
	Budgets []Budget // the amounts in force (latest version per project and year)
	// Spent and Remaining per project (Spent, Remaining).
	Spent, Remaining map[catalog.ProjectID]decimal.Decimal
	Thresholds       Thresholds
}

// Statuses lists every project on the year's list, and every other project with spend in
// the year, sorted by department and project: budget, spent, forecast = spent +
// remaining, and state. A project not approved for the year has no budget (state
// no_budget), whatever was imported.
func Statuses(in StatusInput) []ProjectStatus {
	budget := map[catalog.ProjectID]decimal.Decimal{}
	for _, b := range in.Budgets {
		if b.Year == in.Year {
			budget[b.Project] = b.Amount
		}
	}
	ids := map[catalog.ProjectID]bool{}
	for k := range in.Org.Projects {
		if k.Year == in.Year {
			ids[k.ID] = true
		}
	}
	for id := range in.Spent {
		ids[id] = true
	}
	for id := range in.Remaining {
		ids[id] = true
	}
	var out []ProjectStatus
	for id := range ids {
		if id == "" {
			continue
		}
		st := ProjectStatus{Project: id, Year: in.Year, Spent: in.Spent[id].Round(2)}
		st.Forecast = st.Spent.Add(in.Remaining[id])
		p, onList := in.Org.Projects[catalog.ProjectKey{ID: id, Year: in.Year}]
		if !onList {
			p, _ = in.Org.ProjectFor(id, in.Year)
		}
		st.Name, st.Department, st.Category = p.Name, p.Department, p.Category
		st.Parent = in.Org.ParentOf(p.Department)
		amount, has := budget[id]
		st.State = StateNoBudget
		if onList && p.Approved && has {
			st.HasBudget, st.Budget = true, amount
			st.State = StateOf(amount, st.Spent, st.Forecast, in.Thresholds)
		}
		out = append(out, st)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Department != out[j].Department {
			return out[i].Department < out[j].Department
		}
		return out[i].Project < out[j].Project
	})
	return out
}

// Warning is a threshold crossed by a project in a year, recorded once with the rating
// run that crossed it.
type Warning struct {
	Project    catalog.ProjectID
	Department catalog.DepartmentID
	Parent     catalog.DepartmentID
	Year       int
	Threshold  Threshold
	// RunID and Period: the rating run after which the threshold was found crossed.
	RunID    string
	Period   string
	Budget   decimal.Decimal
	Spent    decimal.Decimal
	Forecast decimal.Decimal
	// Share is the threshold's share of the budget in force when it fired (the version
	// of the analysis date: 0.80 is 80%); zero for a warning recorded before shares were.
	Share decimal.Decimal
	At    time.Time
}

// ShareText is the warning's share as a thresholds file writes it (0.8 is 80%), "" when
// it was recorded before shares were.
func (w Warning) ShareText() string {
	if w.Share.IsZero() {
		return ""
	}
	return w.Share.String()
}

// SharePercent is the warning's share in percent (80%), "—" when unknown.
func (w Warning) SharePercent() string {
	if w.Share.IsZero() {
		return "—"
	}
	return w.Share.Shift(2).String() + "%"
}

// WarningKey identifies a warning: it fires once per project, year and threshold.
type WarningKey struct {
	Project   catalog.ProjectID
	Year      int
	Threshold Threshold
}

// NewWarnings is the thresholds crossed now that have not fired before (fired: the
// recorded ones), for the projects with a budget; each stamped with the run, its month
// and at. A threshold that fired stays fired for the project and year, whatever later
// ratings find (a re-rating that stays across it, or goes back under and crosses again,
// does not fire it again).
func NewWarnings(sts []ProjectStatus, th Thresholds, fired map[WarningKey]bool, runID, period string, at time.Time) []Warning {
	var out []Warning
	for _, s := range sts {
		if !s.HasBudget {
			continue
		}
		for _, t := range Crossed(s.Budget, s.Spent, s.Forecast, th) {
			k := WarningKey{s.Project, s.Year, t}
			if fired[k] {
				continue
			}
			out = append(out, Warning{Project: s.Project, Department: s.Department, Parent: s.Parent, Year: s.Year, Threshold: t,
				RunID: runID, Period: period, Budget: s.Budget, Spent: s.Spent, Forecast: s.Forecast, Share: th.ShareOf(t), At: at})
		}
	}
	return out
}
