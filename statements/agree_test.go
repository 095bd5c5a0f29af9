package statements_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/fixture/synth"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/statements"
)

// TestViewsAgree: on generated months, Σ department statements (top-level ones, which
// hold their units) = Σ vendor settlements = the finance summary, to the fen; every
// breakdown adds up to its statement's total; a department's total is its own lines
// plus its subordinate units' statements.
func TestViewsAgree(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			m := synth.Month(synth.Config{Period: calendar.MustPeriod("2026-11"), Departments: 40, Vendors: 4, Orders: 600, Seed: seed})
			require.NoError(t, m.Check())
			st := statements.Build(m)
			require.NoError(t, st.Check())

			lineSum := money.Sum()
			for _, l := range m.Lines {
				lineSum = lineSum.Add(l.Amount)
			}
			deps, vens := money.Sum(), money.Sum()
			byID := map[catalog.DepartmentID]decimal.Decimal{}
			for _, d := range st.Departments {
				byID[d.Department.ID] = d.Total
				if d.Parent == nil {
					deps = deps.Add(d.Total)
				}
			}
			for _, v := range st.Vendors {
				vens = vens.Add(v.Net)
				items := money.Sum()
				for _, it := range v.ByItem {
					items = items.Add(it.Amount)
				}
				assert.Equal(t, money.Plain(v.Gross), money.Plain(items), "vendor %s: items add up to gross", v.Vendor.ID)
				byDep := money.Sum()
				for _, r := range v.ByDepartment {
					byDep = byDep.Add(r.Net)
				}
				assert.Equal(t, money.Plain(v.Net), money.Plain(byDep), "vendor %s: departments add up to net", v.Vendor.ID)
			}
			assert.Equal(t, money.Plain(lineSum), money.Plain(deps), "departments")
			assert.Equal(t, money.Plain(lineSum), money.Plain(vens), "vendors")
			assert.Equal(t, money.Plain(lineSum), money.Plain(st.Summary.Total), "summary")
			for _, vd := range m.Deductions {
				got := money.Sum()
				for _, l := range m.Lines {
					if l.Vendor == vd.Vendor && l.Kind == rating.KindDeduction {
						got = got.Add(l.Amount)
					}
				}
				assert.Equal(t, money.Plain(vd.Deduction), money.Plain(got), "vendor %s: deduction shares add up to the fen", vd.Vendor)
			}
			for _, d := range st.Departments {
				own := money.Sum()
				for _, l := range m.Lines {
					if l.Department == d.Department.ID {
						own = own.Add(l.Amount)
					}
				}
				for id, dep := range m.Org.Departments {
					if dep.Parent == d.Department.ID {
						own = own.Add(byID[id])
					}
				}
				assert.Equal(t, money.Plain(d.Total), money.Plain(own), "department %s: own lines + units", d.Department.ID)
				for _, rows := range [][]statements.Subtotal{d.ByProject, d.ByZone, d.ByCategory} {
					s := money.Sum()
					for _, r := range rows {
						s = s.Add(r.Amount)
					}
					assert.Equal(t, money.Plain(d.Total), money.Plain(s))
				}
			}
			matrix := money.Sum()
			for _, r := range st.Summary.Matrix {
				assert.Equal(t, money.Plain(r.Total), money.Plain(r.OM.Add(r.New).Add(r.Other).Add(r.Deduction)))
				matrix = matrix.Add(r.Total)
			}
			assert.Equal(t, money.Plain(lineSum), money.Plain(matrix), "matrix")
		})
	}
}

// TestIssueGeneratedMonth writes a generated closed month with PDFs: the pipeline holds
// on more than the hand month (subordinate units, pending acceptance, many pages).
func TestIssueGeneratedMonth(t *testing.T) {
	m := synth.Month(synth.Config{Period: calendar.MustPeriod("2026-11"), Departments: 12, Vendors: 3, Orders: 400, Seed: 7, Closed: true})
	st := statements.Build(m)
	sm, err := statements.Write(context.Background(), st, t.TempDir(), typesetter(t))
	require.NoError(t, err)
	assert.True(t, sm.Final)
	assert.Equal(t, len(st.Departments)*2+len(st.Vendors)*2+2, sm.Files)
	assert.NotEmpty(t, st.Summary.Pending, "the generator leaves the last vendor's acceptance pending")
	txt := pdfText(t, sm.Dir+"/summary.pdf")
	assert.Contains(t, txt, "本月无验收记录")
	assert.Contains(t, txt, money.Grouped(st.Summary.Total))
}
