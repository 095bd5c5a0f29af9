package access_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/access"
	"cloudbill/catalog"
)

// org: D1 has units D1a (which has D1a1) and D1b; D2 stands alone.
func testOrg() access.OrgParents {
	deps := map[catalog.DepartmentID]catalog.Department{
		"D1": {ID: "D1"}, "D1a": {ID: "D1a", Parent: "D1"}, "D1a1": {ID: "D1a1", Parent: "D1a"},
		"D1b": {ID: "D1b", Parent: "D1"}, "D2": {ID: "D2"},
		"LOOP1": {ID: "LOOP1", Parent: "LOOP2"}, "LOOP2": {ID: "LOOP2", Parent: "LOOP1"},
	}
	return access.OrgParents{Departments: deps}
}

func TestMay(t *testing.T) {
	org := testOrg()
	dep := access.Identity{Login: "d", Role: access.RoleDepartment, Department: "D1", Via: access.ViaSession}
	unit := access.Identity{Login: "u", Role: access.RoleDepartment, Department: "D1a", Via: access.ViaSession}
	ven := access.Identity{Login: "v", Role: access.RoleVendor, Vendor: "V1", Via: access.ViaPersonal}
	fin := access.Identity{Login: "f", Role: access.RoleFinance, Via: access.ViaSession}
	bur := access.Identity{Login: "b", Role: access.RoleBureau, Via: access.ViaSession}
	col := access.Identity{Vendor: "V1", Via: access.ViaCollector}
	noDep := access.Identity{Login: "x", Role: access.RoleDepartment, Via: access.ViaSession}
	tests := []struct {
		name string
		id   access.Identity
		act  access.Action
		obj  access.Object
		want bool
	}{
		{"department sees itself", dep, access.View, access.Department("D1"), true},
		{"department sees its unit", dep, access.View, access.Department("D1a"), true},
		{"department sees its unit's unit", dep, access.View, access.Department("D1a1"), true},
		{"department not another", dep, access.View, access.Department("D2"), false},
		{"department not unknown", dep, access.View, access.Department("NOPE"), false},
		{"department not empty id", dep, access.View, access.Department(""), false},
		{"unit sees itself", unit, access.View, access.Department("D1a"), true},
		{"unit not its parent", unit, access.View, access.Department("D1"), false},
		{"unit not its sibling", unit, access.View, access.Department("D1b"), false},
		{"department no district", dep, access.View, access.District(), false},
		{"department no vendor", dep, access.View, access.Vendor("V1"), false},
		{"department months list", dep, access.View, access.Months(), true},
		{"department no close", dep, access.Close, access.Months(), false},
		{"department idle list", dep, access.View, access.Idle(), true},
		{"department no idle change", dep, access.Manage, access.Idle(), false},
		{"vendor no idle list", ven, access.View, access.Idle(), false},
		{"finance idle list", fin, access.View, access.Idle(), true},
		{"bureau idle list", bur, access.View, access.Idle(), true},
		{"collector no idle list", col, access.View, access.Idle(), false},
		{"department budgets", dep, access.View, access.Budgets(), true},
		{"vendor no budgets", ven, access.View, access.Budgets(), false},
		{"finance budgets", fin, access.View, access.Budgets(), true},
		{"collector no budgets", col, access.View, access.Budgets(), false},
		{"department order list", dep, access.View, access.Orders(), true},
		{"department no order change", dep, access.Manage, access.Orders(), false},
		{"vendor order list", ven, access.View, access.Orders(), true},
		{"vendor no order change", ven, access.Manage, access.Orders(), false},
		{"finance order list", fin, access.View, access.Orders(), true},
		{"bureau order list", bur, access.View, access.Orders(), true},
		{"collector no order list", col, access.View, access.Orders(), false},
		{"department no payments", dep, access.View, access.Payments(), false},
		{"vendor its payments", ven, access.View, access.Payments(), true},
		{"finance payments", fin, access.View, access.Payments(), true},
		{"collector no payments", col, access.View, access.Payments(), false},
		{"department no audit", dep, access.View, access.Audit(), false},
		{"department without binding", noDep, access.View, access.Department(""), false},
		{"parent loop ends", dep, access.View, access.Department("LOOP1"), false},
		{"vendor sees itself", ven, access.View, access.Vendor("V1"), true},
		{"vendor uploads its invoice", ven, access.Upload, access.Vendor("V1"), true},
		{"vendor not another", ven, access.View, access.Vendor("V2"), false},
		{"vendor no upload for another", ven, access.Upload, access.Vendor("V2"), false},
		{"vendor no department", ven, access.View, access.Department("D1"), false},
		{"vendor no district", ven, access.View, access.District(), false},
		{"vendor no ingest", ven, access.Ingest, access.Vendor("V1"), false},
		{"finance sees district", fin, access.View, access.District(), true},
		{"finance sees any department", fin, access.View, access.Department("D2"), true},
		{"finance closes", fin, access.Close, access.Months(), true},
		{"finance no account management", fin, access.Manage, access.Accounts(), false},
		{"finance no upload", fin, access.Upload, access.Vendor("V1"), false},
		{"finance reads audit", fin, access.View, access.Audit(), true},
		{"bureau manages", bur, access.Manage, access.Accounts(), true},
		{"bureau closes", bur, access.Close, access.Months(), true},
		{"bureau no ingest", bur, access.Ingest, access.Vendor("V1"), false},
		{"collector ingests its vendor", col, access.Ingest, access.Vendor("V1"), true},
		{"collector not another vendor", col, access.Ingest, access.Vendor("V2"), false},
		{"collector reads nothing", col, access.View, access.Vendor("V1"), false},
		{"collector no self", col, access.View, access.Self(), false},
		{"everyone sees self", dep, access.View, access.Self(), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.id.May(tc.act, tc.obj, org)
			assert.Equal(t, tc.want, err == nil, "May(%s, %s) = %v", tc.act, tc.obj, err)
			if err != nil {
				assert.True(t, errors.Is(err, access.ErrForbidden))
			}
		})
	}
}

// A charge (a line, a party's total) is seen by whoever may view its department or its
// vendor: the district by finance and the bureau, a department's own and its units' by the
// department, a vendor's own by the vendor; nothing by a collector.
func TestSeesCharge(t *testing.T) {
	org := testOrg()
	ids := map[string]access.Identity{
		"dep":  {Login: "d", Role: access.RoleDepartment, Department: "D1", Via: access.ViaSession},
		"unit": {Login: "u", Role: access.RoleDepartment, Department: "D1a", Via: access.ViaSession},
		"ven":  {Login: "v", Role: access.RoleVendor, Vendor: "V1", Via: access.ViaPersonal},
		"fin":  {Login: "f", Role: access.RoleFinance, Via: access.ViaSession},
		"bur":  {Login: "b", Role: access.RoleBureau, Via: access.ViaSession},
		"col":  {Vendor: "V1", Via: access.ViaCollector},
	}
	for _, tc := range []struct {
		dep  catalog.DepartmentID
		v    catalog.VendorID
		want []string // who sees it
	}{
		{"D1", "V1", []string{"dep", "ven", "fin", "bur"}},
		{"D1a1", "V2", []string{"dep", "unit", "fin", "bur"}},
		{"D1b", "V2", []string{"dep", "fin", "bur"}},
		{"D2", "V1", []string{"ven", "fin", "bur"}},
		{"D2", "V2", []string{"fin", "bur"}},
		{"LOOP1", "V2", []string{"fin", "bur"}},
	} {
		var got []string
		for _, who := range []string{"dep", "unit", "ven", "fin", "bur", "col"} {
			if ids[who].SeesCharge(tc.dep, tc.v, org) {
				got = append(got, who)
			}
		}
		assert.Equal(t, tc.want, got, "%s × %s", tc.dep, tc.v)
	}
}

func TestPassword(t *testing.T) {
	h, err := access.HashPassword("correct horse battery")
	assert.NoError(t, err)
	assert.Contains(t, h, "$argon2id$")
	assert.NotContains(t, h, "correct horse")
	assert.True(t, access.CheckPassword(h, "correct horse battery"))
	assert.False(t, access.CheckPassword(h, "correct horse batterY"))
	assert.False(t, access.CheckPassword("garbage", "x"))
	_, err = access.HashPassword("short")
	assert.Error(t, err)
}
