package funding

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/csvin"
)

// budgetColumns are the columns of a budgets file (docs/formats.md).
var budgetColumns = csvin.Spec{Required: []string{"project_id", "year", "amount"}}

// BudgetStore reads the organisation and stores budget versions.
type BudgetStore interface {
	Org(ctx context.Context) (catalog.Org, error)
	// Budgets is the version in force (the latest import) of every project and year.
	Budgets(ctx context.Context) ([]Budget, error)
	// InsertBudgets stores new versions and records the import.
	InsertBudgets(ctx context.Context, imp catalog.Import, bs []Budget) error
}

// ImportBudgets validates a budgets file and stores its new or changed amounts as new
// versions. Rules: project_id a project on the year's list and approved for that year;
// year YYYY; amount a non-negative amount in CNY with at most two decimals; one row per
// project and year in a file. An amount equal to the one in force is already present;
// another replaces it from now on (the earlier version stays). A refused file stores
// nothing and returns csvin.Errors naming file, line, column and record of every error.
func ImportBudgets(ctx context.Context, st BudgetStore, f catalog.File, now time.Time) (catalog.Report, error) {
	org, err := st.Org(ctx)
	if err != nil {
		return catalog.Report{}, err
	}
	stored, err := st.Budgets(ctx)
	if err != nil {
		return catalog.Report{}, err
	}
	type key struct {
		p catalog.ProjectID
		y int
	}
	inForce := map[key]decimal.Decimal{}
	for _, b := range stored {
		inForce[key{b.Project, b.Year}] = b.Amount
	}
	r := &reader{key: func(row csvin.Row) []string {
		if p := row.Get("project_id"); p != "" {
			return []string{"project", p, "year", row.Get("year")}
		}
		return nil
	}}
	seen := map[key]int{}
	var rep catalog.Report
	var out []Budget
	r.read(f, budgetColumns, func(row csvin.Row) {
		id, okID := r.id(row, "project_id")
		year, okY := r.year(row, "year")
		amount, okA := r.amount(row, "amount", false)
		if okID && okY {
			p, onList := org.Projects[catalog.ProjectKey{ID: catalog.ProjectID(id), Year: year}]
			switch {
			case !onList:
				if _, any := org.ProjectFor(catalog.ProjectID(id), year); any {
					r.coded(row, "year", csvin.CodeBudgetNotOnList, "project", id, "year", strconv.Itoa(year))
				} else {
					r.coded(row, "project_id", csvin.CodeUnknownProj, "project", id)
				}
				okID = false
			case !p.Approved:
				r.coded(row, "year", csvin.CodeBudgetNotApproved, "project", id, "year", strconv.Itoa(year))
				okID = false
			}
		}
		if !okID || !okY || !okA {
			return
		}
		k := key{catalog.ProjectID(id), year}
		if prev, dup := seen[k]; dup {
			r.coded(row, "project_id", csvin.CodeBudgetTwice, append([]string{"project", id, "year", strconv.Itoa(year)}, r.at(prev)...)...)
			return
		}
		seen[k] = row.Line
		if old, ok := inForce[k]; ok {
			if old.Equal(amount) {
				rep.Present++
				return
			}
			rep.Replaced++
		}
		out = append(out, Budget{Project: k.p, Year: year, Amount: amount, Source: catalog.Source{File: f.Name, Line: row.Line}})
	})
	rep.Read = r.rows
	if len(r.errs) > 0 {
		return catalog.Report{}, r.errs
	}
	if len(out) == 0 {
		return rep, nil
	}
	imp := r.newImport("budgets", len(out), now)
	for i := range out {
		out[i].Source.ImportID = imp.ID
	}
	if err := st.InsertBudgets(ctx, imp, out); err != nil {
		return catalog.Report{}, fmt.Errorf("store budgets: %w", err)
	}
	rep.Import, rep.Accepted = imp, len(out)
	return rep, nil
}
