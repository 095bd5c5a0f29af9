package funding

import (
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// LineSum is the sum of a month's rated line amounts (each rounded to the fen) of one
// kind, department, vendor, funding category and project: what a statement shows, added
// up. Deduction lines, and adjustment lines that correct a deduction, have no project.
type LineSum struct {
	Period     calendar.Period
	Kind       rating.Kind
	Department catalog.DepartmentID
	Vendor     catalog.VendorID
	Category   catalog.ProjectCategory
	Project    catalog.ProjectID
	Amount     decimal.Decimal
}

// SumLines adds up lines into LineSums (the same figures chstore's year query returns).
func SumLines(lines []rating.Line) []LineSum {
	type key struct {
		p    calendar.Period
		k    rating.Kind
		d    catalog.DepartmentID
		v    catalog.VendorID
		c    catalog.ProjectCategory
		proj catalog.ProjectID
	}
	m := map[key]decimal.Decimal{}
	var order []key
	for _, l := range lines {
		k := key{l.Period, l.Kind, l.Department, l.Vendor, l.Category, l.Project}
		if _, ok := m[k]; !ok {
			order = append(order, k)
			m[k] = decimal.Zero
		}
		m[k] = m[k].Add(l.Amount)
	}
	out := make([]LineSum, len(order))
	for i, k := range order {
		out[i] = LineSum{k.p, k.k, k.d, k.v, k.c, k.proj, m[k]}
	}
	return out
}

// Spent is what each project spent in the months given (the months of one year, each
// month's frozen run when closed, else its latest run): its own lines of every kind, plus
// its share of every line without a project (deductions, deduction adjustments). Such a
// line belongs to a department, a vendor and a category; it is split over that
// department's projects in proportion to their gross (charge, metered, unfunded) with
// that vendor and category in that month, by money.Allocate, so that the shares add up
// to the line. A line whose department has no gross there stays with project "" (the
// key of what could not be attributed), so that Σ Spent = Σ amounts always.
func Spent(sums []LineSum) map[catalog.ProjectID]decimal.Decimal {
	type group struct {
		p calendar.Period
		d catalog.DepartmentID
		v catalog.VendorID
		c catalog.ProjectCategory
	}
	gross := map[group]map[catalog.ProjectID]decimal.Decimal{}
	out := map[catalog.ProjectID]decimal.Decimal{}
	add := func(p catalog.ProjectID, a decimal.Decimal) { out[p] = out[p].Add(a) }
	var loose []LineSum
	for _, s := range sums {
		if s.Project == "" {
			loose = append(loose, s)
			continue
		}
		add(s.Project, s.Amount)
		if s.Kind.CountsInGross() {
			g := group{s.Period, s.Department, s.Vendor, s.Category}
			if gross[g] == nil {
				gross[g] = map[catalog.ProjectID]decimal.Decimal{}
			}
			gross[g][s.Project] = gross[g][s.Project].Add(s.Amount)
		}
	}
	for _, s := range loose {
		byProj := gross[group{s.Period, s.Department, s.Vendor, s.Category}]
		projects := make([]catalog.ProjectID, 0, len(byProj))
		for p := range byProj {
			projects = append(projects, p)
		}
		sort.Slice(projects, func(i, j int) bool { return projects[i] < projects[j] })
		weights := make([]decimal.Decimal, len(projects))
		positive := false
		for i, p := range projects {
			weights[i] = byProj[p]
			positive = positive || weights[i].Sign() > 0
		}
		if !positive {
			add("", s.Amount)
			continue
		}
		for i, share := range money.Allocate(s.Amount, weights) {
			add(projects[i], share)
		}
	}
	return out
}
