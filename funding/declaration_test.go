package funding

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// The declaration for 2027 as of 15 November 2026 of D1, with an O&M project and a
// renovation project, by hand (prices on 15 November: vCPU 110.00 from 1 October):
//
//	P1 运维      O1 8 vCPU (was 4 until 16 March): 12 × 110.00 × 8     = 10560.00
//	P2 运维      O3 10 GB memory, stock portion:   12 × 20.00 × 10      =  2400.00
//	P2 转为运维  O2 traffic, new portion, metered: August–October closed
//	             100.00, 120.50, 130.25 → 116.9166… a month × 12         =  1403.00
//	O4 (terminated 31 October) is not in service: not declared
//	total                                                               = 14363.00
func TestDeclarationOMAndRenovation(t *testing.T) {
	o2 := ev("O2", catalog.EventOpen, "2026-08-01", "P2", "NET", "0")
	o2.Portion = catalog.PortionNew
	o3 := ev("O3", catalog.EventOpen, "2026-05-01", "P2", "MEM", "10")
	o3.Portion = catalog.PortionStock
	events := []catalog.Event{
		ev("O1", catalog.EventOpen, "2026-01-01", "P1", "VCPU", "4"),
		ev("O1", catalog.EventChange, "2026-03-16", "P1", "VCPU", "8"),
		o2, o3,
		ev("O4", catalog.EventOpen, "2026-02-01", "P1", "MEM", "64"),
		ev("O4", catalog.EventTerminate, "2026-10-31", "P1", "MEM", "64"),
	}
	asOf := day("2026-11-15")
	ins, err := InServiceOn(events, asOf, asOf)
	require.NoError(t, err)
	d, findings := Declare(DeclarationInput{Year: 2027, AsOf: asOf, Catalog: exampleCatalog(), Org: exampleOrg(), InService: ins,
		Metered: map[catalog.OrderID][]MonthAmount{"O2": {
			{calendar.MustPeriod("2026-08"), dec("100.00")}, {calendar.MustPeriod("2026-09"), dec("120.50")}, {calendar.MustPeriod("2026-10"), dec("130.25")},
		}}})
	assert.Empty(t, findings)
	type row struct{ project, label, item, annual string }
	var got []row
	for _, l := range d.Lines {
		got = append(got, row{string(l.Project), l.Label, string(l.Item), l.Annual.StringFixed(2)})
	}
	assert.Equal(t, []row{
		{"P1", "运维", "VCPU", "10560.00"},
		{"P2", "运维", "MEM", "2400.00"},
		{"P2", "转为运维", "NET", "1403.00"},
	}, got)
	assert.Equal(t, "14363.00", d.Total().StringFixed(2))
	assert.Equal(t, "2026-08 至 2026-10 计量金额月平均（3 个月）× 12", d.Lines[2].Basis)
	assert.Equal(t, catalog.DepartmentID("D0"), d.Lines[0].Parent)
	assert.Equal(t, []catalog.DepartmentID{"D1"}, d.Departments())
}

// TestDeclarationByDepartment: one pass gives each department the lines Of gives it, in
// the same order, whatever the order of the lines (interleaved here).
func TestDeclarationByDepartment(t *testing.T) {
	d := Declaration{Year: 2027, AsOf: day("2026-11-30")}
	for i, dep := range []catalog.DepartmentID{"D2", "D1", "D2", "D3", "D1", "D2"} {
		d.Lines = append(d.Lines, DeclarationLine{Department: dep, Annual: dec(fmt.Sprintf("%d.00", i+1))})
	}
	parts := d.ByDepartment()
	require.Len(t, parts, 3)
	for _, dep := range []catalog.DepartmentID{"D1", "D2", "D3"} {
		assert.Equal(t, d.Of(dep), parts[dep], "%s", dep)
	}
	assert.Equal(t, "10.00", parts["D2"].Total().StringFixed(2))
}

// TestDeclarationYear: a declaration is for the year after its as-of date (Shanghai's
// date), the one rule of `cloudbill declare`, the portal's declaration download and its
// budgets page; LoadDeclaration refuses another year before reading anything.
func TestDeclarationYear(t *testing.T) {
	for asOf, want := range map[string]int{"2026-01-01": 2027, "2026-11-30": 2027, "2026-12-31": 2027, "2027-01-01": 2028} {
		assert.Equal(t, want, DeclarationYear(calendar.MustDate(asOf)), asOf)
	}
	_, _, _, err := LoadDeclaration(context.Background(), nil, 2026, calendar.MustDate("2026-11-30"))
	assert.EqualError(t, err, "declare 2026 as of 2026-11-30: the declaration is for the year after the as-of date (2027)")
}
