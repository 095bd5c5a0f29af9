package chstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// masterTables are the tables the catalog imports write.
var masterTables = []string{"imports", "catalog_versions", "catalog_items", "catalog_adaptations",
	"departments", "projects", "vendors", "order_events", "acceptances"}

// tableCounts is the number of rows of each master-data table.
func tableCounts(t *testing.T, s *chstore.Store) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for _, tbl := range masterTables {
		var n uint64
		require.NoError(t, s.Conn().QueryRow(context.Background(), "SELECT count() FROM "+tbl).Scan(&n))
		out[tbl] = n
	}
	return out
}

func fixture(t *testing.T, name string) catalog.File {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "catalog", name))
	require.NoError(t, err)
	return catalog.File{Name: name, R: bytes.NewReader(b)}
}

// clock gives increasing import times.
type clock struct{ t time.Time }

func (c *clock) now() time.Time {
	c.t = c.t.Add(time.Second)
	return c.t
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)} }

// importFixtures imports the small hand-written dataset of testdata/catalog and returns
// the reports in order.
func importFixtures(t *testing.T, s *chstore.Store, clk *clock) []catalog.Report {
	t.Helper()
	ctx := context.Background()
	var reps []catalog.Report
	add := func(r catalog.Report, err error) {
		t.Helper()
		require.NoError(t, err)
		reps = append(reps, r)
	}
	add(catalog.ImportVersion(ctx, s, catalog.VersionInput{File: fixture(t, "catalog.csv"), Effective: calendar.MustDate("2026-01-01"), Now: clk.now()}))
	add(catalog.ImportVersion(ctx, s, catalog.VersionInput{File: fixture(t, "catalog-2026-11-16.csv"), Effective: calendar.MustDate("2026-11-16"), Now: clk.now()}))
	add(catalog.ImportAdaptations(ctx, s, fixture(t, "adaptations.csv"), clk.now()))
	d, p, v := fixture(t, "departments.csv"), fixture(t, "projects.csv"), fixture(t, "vendors.csv")
	add(catalog.ImportOrg(ctx, s, catalog.OrgFiles{Departments: &d, Projects: &p, Vendors: &v}, clk.now()))
	add(catalog.ImportEvents(ctx, s, fixture(t, "orders.csv"), clk.now()))
	add(catalog.ImportAcceptance(ctx, s, fixture(t, "acceptance.csv"), clk.now()))
	return reps
}

func TestImportRoundTrip(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	clk := newClock()
	reps := importFixtures(t, s, clk)
	accepted := []int{21, 21, 2, 11, 8, 2}
	for i, r := range reps {
		assert.Equal(t, accepted[i], r.Accepted, "import %d accepted", i)
		assert.Zero(t, r.Present, "import %d present", i)
		assert.NotEmpty(t, r.Import.ID)
	}

	cat, err := s.Catalog(ctx)
	require.NoError(t, err)
	require.Len(t, cat.Versions, 2)
	assert.Equal(t, calendar.MustDate("2026-01-01"), cat.Versions[0].Effective)
	v, ok := cat.InForce(calendar.MustDate("2026-11-16"))
	require.True(t, ok)
	c01 := v.Items["C01"]
	assert.True(t, decimal.RequireFromString("38").Equal(c01.Prices[catalog.ZoneInternet]), "C01 price from 11-16: got %s", c01.Prices[catalog.ZoneInternet])
	assert.Equal(t, "云服务器 vCPU", c01.Name)
	assert.Equal(t, catalog.Source{ImportID: reps[1].Import.ID, File: "catalog-2026-11-16.csv", Line: 2}, c01.Source)
	n01 := cat.Versions[0].Items["N01"]
	_, offered := n01.Price(catalog.ZoneExtranet)
	assert.False(t, offered, "N01 has no extranet price")
	s03 := cat.Versions[0].Items["S03"]
	assert.Equal(t, catalog.Metered, s03.Billing)
	assert.Equal(t, catalog.AggAvgDailyMax, s03.MeterAgg)
	assert.Equal(t, "objstore_gb", s03.MeterMetric)
	assert.Equal(t, catalog.ModeBareMetal, cat.Versions[0].Items["B01"].Mode)
	assert.Equal(t, catalog.ItemCode("C03"), cat.Adaptations["ecs.g6.large"].Item)

	org, err := s.Org(ctx)
	require.NoError(t, err)
	assert.Len(t, org.Departments, 5)
	assert.Equal(t, catalog.DepartmentID("D03"), org.Departments["D0301"].Parent)
	assert.Equal(t, "区教育局 教育信息中心", org.Departments["D0301"].Name)
	p4 := org.Projects[catalog.ProjectKey{ID: "P04", Year: 2026}]
	assert.False(t, p4.Approved)
	assert.Equal(t, catalog.CategoryRenovation, org.Projects[catalog.ProjectKey{ID: "P03", Year: 2026}].Category)
	assert.Equal(t, "政务云科技有限公司", org.Vendors["V2"].Name)

	events, err := s.OrderEvents(ctx)
	require.NoError(t, err)
	require.Len(t, events, 8)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, string(e.Order)+" "+string(e.Kind)+" "+e.Effective.String())
	}
	assert.Equal(t, []string{
		"WO-1 open 2026-11-01", "WO-1 change 2026-11-10",
		"WO-2 open 2026-11-03", "WO-2 terminate 2026-11-20",
		"WO-3 open 2026-11-05", "WO-3 change 2026-11-05",
		"WO-4 open 2026-11-30", "WO-4 terminate 2026-11-30",
	}, kinds)
	term := events[3]
	assert.Equal(t, catalog.ItemCode("N01"), term.Item, "a terminate carries the configuration in force")
	assert.True(t, decimal.RequireFromString("2").Equal(term.Quantity))
	assert.Equal(t, catalog.Source{ImportID: reps[4].Import.ID, File: "orders.csv", Line: 5}, term.Source)
	wo3 := events[5]
	assert.Equal(t, catalog.ItemCode("C03"), wo3.Item, "adapted at import")
	assert.Equal(t, "ecs.g6.large", wo3.ResourceType)
	assert.Equal(t, catalog.PortionStock, wo3.Portion)
	assert.False(t, wo3.Late)

	segs, err := catalog.Timeline(events[0:2], calendar.MustDate("2026-11-30"))
	require.NoError(t, err)
	require.Len(t, segs, 2)
	assert.Equal(t, 9, segs[0].Days())
	assert.Equal(t, 21, segs[1].Days())

	acc, err := s.Acceptances(ctx, calendar.MustPeriod("2026-11"))
	require.NoError(t, err)
	require.Len(t, acc, 2)
	assert.Equal(t, catalog.Passed, acc[0].Result)
	require.NotNil(t, acc[0].Score)
	assert.True(t, decimal.RequireFromString("92.5").Equal(*acc[0].Score))
	require.NotNil(t, acc[0].SecurityValidUntil)
	assert.Equal(t, calendar.MustDate("2027-06-30"), *acc[0].SecurityValidUntil)
	assert.Nil(t, acc[1].Availability)
	assert.Nil(t, acc[1].SecurityValidUntil)
	none, err := s.Acceptances(ctx, calendar.MustPeriod("2026-10"))
	require.NoError(t, err)
	assert.Empty(t, none)

	imps, err := s.Imports(ctx, "")
	require.NoError(t, err)
	assert.Len(t, imps, 6)

	// the same files again change nothing
	before := tableCounts(t, s)
	again := importFixtures(t, s, clk)
	for i, r := range again {
		assert.Zero(t, r.Accepted, "re-import %d accepted", i)
		assert.Equal(t, accepted[i], r.Present, "re-import %d present", i)
	}
	assert.Equal(t, before, tableCounts(t, s))
}

func TestImportReplaces(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	clk := newClock()
	importFixtures(t, s, clk)
	str := func(name, body string) catalog.File { return catalog.File{Name: name, R: bytes.NewBufferString(body)} }

	d := str("departments-2.csv", "id,name,parent_id\nD0302,区第一中学（更名）,D03\nD04,区卫健委,\n")
	rep, err := catalog.ImportOrg(ctx, s, catalog.OrgFiles{Departments: &d}, clk.now())
	require.NoError(t, err)
	assert.Equal(t, 2, rep.Accepted)
	assert.Equal(t, 1, rep.Replaced)
	org, err := s.Org(ctx)
	require.NoError(t, err)
	assert.Len(t, org.Departments, 6)
	assert.Equal(t, "区第一中学（更名）", org.Departments["D0302"].Name)

	a := str("acceptance-2.csv", "vendor_id,period,result,score\nV2,2026-11,passed,95\n")
	rep, err = catalog.ImportAcceptance(ctx, s, a, clk.now())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Replaced)
	acc, err := s.Acceptances(ctx, calendar.MustPeriod("2026-11"))
	require.NoError(t, err)
	require.Len(t, acc, 2)
	assert.Equal(t, catalog.Passed, acc[1].Result, "the later record is in force")

	c := str("catalog-fix.csv", "code,name,category,unit,billing,price_internet,price_extranet\nC01,云服务器 vCPU,compute,vCPU·月,allocated,37,37\n")
	rep, err = catalog.ImportVersion(ctx, s, catalog.VersionInput{File: c, Effective: calendar.MustDate("2026-11-16"), Now: clk.now()})
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Replaced)
	cat, err := s.Catalog(ctx)
	require.NoError(t, err)
	require.Len(t, cat.Versions, 2)
	assert.Len(t, cat.Versions[1].Items, 1, "the corrected version replaces the one of the same date")
}

// lateTerminate: a terminate dated in a closed month is accepted and marked late.
func TestImportLateTerminate(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	clk := newClock()
	importFixtures(t, s, clk)
	require.NoError(t, s.InsertClose(ctx, closeOf("2026-11")))
	f := catalog.File{Name: "late.csv", R: bytes.NewBufferString("order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity\nWO-1,terminate,2026-11-25,,,,,,\n")}
	rep, err := catalog.ImportEvents(ctx, s, f, clk.now())
	require.NoError(t, err)
	assert.Equal(t, 1, rep.Accepted)
	assert.Equal(t, 1, rep.Late)
	events, err := s.OrderEvents(ctx)
	require.NoError(t, err)
	var late []catalog.Event
	for _, e := range events {
		if e.Late {
			late = append(late, e)
		}
	}
	require.Len(t, late, 1)
	assert.Equal(t, catalog.EventTerminate, late[0].Kind)
	assert.True(t, decimal.RequireFromString("16").Equal(late[0].Quantity), "carries the changed quantity in force")
}

func closeOf(p string) rating.Close {
	return rating.Close{Period: calendar.MustPeriod(p), ClosedAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), RunID: "r", ContentHash: "h", Total: decimal.Zero, ClosedBy: "test"}
}
