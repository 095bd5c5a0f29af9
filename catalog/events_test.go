package catalog

import (
	"bytes"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// testMaster is a small catalog and organisation for the pure checks.
func testMaster() (Catalog, Org) {
	price := func(s string) decimal.Decimal { return decimal.RequireFromString(s) }
	v1 := Version{Effective: calendar.MustDate("2026-01-01"), Items: map[ItemCode]Item{
		"C01": {Code: "C01", Name: "vCPU", Billing: Allocated, Prices: map[Zone]decimal.Decimal{ZoneInternet: price("40"), ZoneExtranet: price("40")}},
		"N01": {Code: "N01", Name: "EIP", Billing: Allocated, Prices: map[Zone]decimal.Decimal{ZoneInternet: price("15.8")}},
	}}
	v2 := Version{Effective: calendar.MustDate("2026-11-16"), Items: map[ItemCode]Item{
		"C01": {Code: "C01", Name: "vCPU", Billing: Allocated, Prices: map[Zone]decimal.Decimal{ZoneInternet: price("38"), ZoneExtranet: price("38")}},
	}}
	cat := Catalog{Versions: []Version{v1, v2}, Adaptations: map[string]Adaptation{"ecs.g6": {ResourceType: "ecs.g6", Item: "C01"}}}
	org := Org{
		Departments: map[DepartmentID]Department{"D1": {ID: "D1", Name: "区财政局"}, "D2": {ID: "D2", Name: "区教育局"}, "D21": {ID: "D21", Name: "区第一中学", Parent: "D2"}},
		Projects: map[ProjectKey]Project{
			{"P1", 2026}: {ID: "P1", Department: "D1", Year: 2026, Category: CategoryOM, Approved: true},
			{"P2", 2025}: {ID: "P2", Department: "D2", Year: 2025, Category: CategoryRenovation, Approved: true},
		},
		Vendors: map[VendorID]Vendor{"V1": {ID: "V1"}},
	}
	return cat, org
}

const evHeader = "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion\n"

func TestCheckEvents(t *testing.T) {
	cat, org := testMaster()
	body := evHeader +
		"A,open,2026-11-01,D1,P1,V1,extranet,C01,2,,,\n" +
		"A,change,2026-11-20,D1,P1,V1,extranet,,4,,ecs.g6,\n" + // adapted; item dropped from no version
		"A,terminate,2026-11-25,,,,,,,,,\n" +
		"B,open,2026-11-02,D21,P2,V1,internet,N01,1,eip-1,,stock\n" + // subordinate unit, parent's project of 2025
		"B,open,2026-11-02,D21,P2,V1,internet,N01,1,eip-1,,stock\n" // the same line again: present
	events, rep, err := CheckEvents(File{Name: "o.csv", R: strings.NewReader(body)}, cat, org, nil, []calendar.Period{calendar.MustPeriod("2026-10")})
	require.NoError(t, err)
	assert.Equal(t, 5, rep.Read)
	assert.Equal(t, 4, rep.Accepted)
	assert.Equal(t, 1, rep.Present)
	assert.Zero(t, rep.Late)
	require.Len(t, events, 4)
	assert.Equal(t, ItemCode("C01"), events[1].Item)
	assert.Equal(t, "ecs.g6", events[1].ResourceType)
	assert.True(t, decimal.NewFromInt(4).Equal(events[2].Quantity), "the terminate carries the configuration in force")
	assert.Equal(t, "ecs.g6", events[2].ResourceType)
	assert.Equal(t, Source{File: "o.csv", Line: 4}, events[2].Source)

	// the same file against what it stored: everything present
	again, rep, err := CheckEvents(File{Name: "o.csv", R: strings.NewReader(body)}, cat, org, events, nil)
	require.NoError(t, err)
	assert.Empty(t, again)
	assert.Equal(t, 5, rep.Present)

	// a late terminate in a closed month
	late, rep, err := CheckEvents(File{Name: "late.csv", R: strings.NewReader(evHeader + "B,terminate,2026-11-30,,,,,,,,,\n")}, cat, org, events[:4], []calendar.Period{calendar.MustPeriod("2026-11")})
	require.NoError(t, err)
	require.Len(t, late, 1)
	assert.True(t, late[0].Late)
	assert.Equal(t, 1, rep.Late)
}

func TestCheckEventsAllErrors(t *testing.T) {
	cat, org := testMaster()
	body := evHeader +
		"A,open,2026-11-01,D1,P1,V1,internet,C01,1.0000001,,,\n" +
		"A,change,2026-11-20,D1,P1,V1,extranet,N01,1,,,\n" +
		"C,open,2026-11-20,D1,P1,V1,extranet,,1,,,\n"
	_, _, err := CheckEvents(File{Name: "o.csv", R: strings.NewReader(body)}, cat, org, nil, nil)
	var errs csvin.Errors
	require.ErrorAs(t, err, &errs)
	var got []string
	for _, e := range errs {
		got = append(got, e.Error())
	}
	assert.Equal(t, []string{
		`o.csv:2: order A: column "quantity": "1.0000001" has more than 6 decimal places`,
		`o.csv:3: order A: column "item_code": item N01 is not offered on 2026-11-20 (not in the catalog version effective 2026-11-16)`,
		`o.csv:4: order C: column "item_code": is empty: give a catalog item code, or a resource_type that has an adaptation`,
	}, got)
}

func TestProjectFor(t *testing.T) {
	o := Org{Projects: map[ProjectKey]Project{
		{"P", 2024}: {ID: "P", Year: 2024}, {"P", 2026}: {ID: "P", Year: 2026}, {"P", 2028}: {ID: "P", Year: 2028},
	}}
	for year, want := range map[int]int{2026: 2026, 2027: 2026, 2025: 2024, 2030: 2028, 2020: 2024} {
		p, ok := o.ProjectFor("P", year)
		require.True(t, ok)
		assert.Equal(t, want, p.Year, "year %d", year)
	}
	_, ok := o.ProjectFor("Q", 2026)
	assert.False(t, ok)
}

func TestParseVersionGB18030(t *testing.T) {
	// Excel on a Chinese Windows saves GB18030
	gb := []byte{}
	enc := "code,name,category,unit,billing,price_internet,price_extranet\nC01,\xd4\xc6\xb7\xfe\xce\xf1\xc6\xf7,compute,vCPU,allocated,40,40\n" // 云服务器
	gb = append(gb, enc...)
	v, err := ParseVersion(File{Name: "gb.csv", R: bytes.NewReader(gb)}, calendar.MustDate("2026-01-01"))
	require.NoError(t, err)
	assert.Equal(t, "云服务器", v.Items["C01"].Name)
}

// FuzzCheckEvents: whatever the file, CheckEvents does not panic, and what it accepts
// makes valid timelines.
func FuzzCheckEvents(f *testing.F) {
	f.Add(evHeader + "A,open,2026-11-01,D1,P1,V1,extranet,C01,2,,,\nA,change,2026-11-20,D1,P1,V1,extranet,,4,,ecs.g6,\nA,terminate,2026-11-25,,,,,,,,,\n")
	f.Add(evHeader + "A,change,2026-11-01,D1,P1,V1,extranet,C01,2,,,\nA,open,2026-11-01,D1,P1,V1,extranet,C01,2,,,\n")
	f.Add(evHeader + "B,open,2026-11-02,D21,P2,V1,internet,N01,1,eip-1,,stock\nB,terminate,2026-11-02,,,,,,1,,,\nB,open,2026-11-02,D21,P2,V1,internet,N01,1,eip-1,,stock\n")
	cat, org := testMaster()
	f.Fuzz(func(t *testing.T, body string) {
		events, _, err := CheckEvents(File{Name: "f.csv", R: strings.NewReader(body)}, cat, org, nil, nil)
		if err != nil {
			var errs csvin.Errors
			require.ErrorAs(t, err, &errs)
			require.NotEmpty(t, errs)
			return
		}
		SortEvents(events)
		byOrder := map[OrderID][]Event{}
		for _, e := range events {
			byOrder[e.Order] = append(byOrder[e.Order], e)
		}
		for id, es := range byOrder {
			_, err := Timeline(es, calendar.MustDate("2027-12-31"))
			require.NoError(t, err, "order %s", id)
		}
	})
}
