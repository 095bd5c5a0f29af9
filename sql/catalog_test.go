package chstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
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
		require.NoError(t, chtest.Conn(t, s).QueryRow(context.Background(), "SELECT count() FROM "+tbl).Scan(&n))
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

// badCase is an input that must be refused with the given messages, storing nothing.
type badCase struct {
	name string
	kind string // catalog, adapt, departments, projects, vendors, orders, acceptance, org (departments+projects)
	body string
	// second file of an org import (projects), when kind is "org"
	body2 string
	want  []string
}

func runImport(ctx context.Context, s *chstore.Store, c badCase, now time.Time) error {
	f := catalog.File{Name: "in.csv", R: bytes.NewBufferString(c.body)}
	var err error
	switch c.kind {
	case "catalog":
		_, err = catalog.ImportVersion(ctx, s, catalog.VersionInput{File: f, Effective: calendar.MustDate("2026-12-01"), Now: now})
	case "adapt":
		_, err = catalog.ImportAdaptations(ctx, s, f, now)
	case "departments":
		_, err = catalog.ImportOrg(ctx, s, catalog.OrgFiles{Departments: &f}, now)
	case "projects":
		_, err = catalog.ImportOrg(ctx, s, catalog.OrgFiles{Projects: &f}, now)
	case "vendors":
		_, err = catalog.ImportOrg(ctx, s, catalog.OrgFiles{Vendors: &f}, now)
	case "org":
		p := catalog.File{Name: "projects.csv", R: bytes.NewBufferString(c.body2)}
		_, err = catalog.ImportOrg(ctx, s, catalog.OrgFiles{Departments: &f, Projects: &p}, now)
	case "orders":
		_, err = catalog.ImportEvents(ctx, s, f, now)
	case "acceptance":
		_, err = catalog.ImportAcceptance(ctx, s, f, now)
	default:
		panic(c.kind)
	}
	return err
}

const (
	catHeader    = "code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg,mode\n"
	orderHeader  = "order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion\n"
	accHeader    = "vendor_id,period,result,score,availability,security_valid_until\n"
	projHeader   = "id,name,department_id,year,category,approved\n"
	goodCatalog  = "C01,云服务器 vCPU,compute,vCPU·月,allocated,40,40,,,shared\n"
	goodProjects = projHeader + "P09,新项目,D01,2026,om,true\n"
)

func gb18030(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	require.NoError(t, err)
	return out
}

// TestImportRefused: every case is refused with its messages (file, line, column), and
// nothing of the refused file is stored.
func TestImportRefused(t *testing.T) {
	cases := []badCase{
		// catalog versions
		{name: "price with thousands separator", kind: "catalog", body: catHeader + "C01,x,compute,台·月,allocated,\"1,234.5\",40,,,\n",
			want: []string{`in.csv:2: item C01: column "price_internet": "1,234.5" is not a plain non-negative decimal like 1234.5 (no thousands separators)`}},
		{name: "price not a decimal", kind: "catalog", body: catHeader + "C01,x,compute,台·月,allocated,1e3,四十,,,\n",
			want: []string{`in.csv:2: item C01: column "price_internet": "1e3" is not a plain non-negative decimal`, `in.csv:2: item C01: column "price_extranet": "四十" is not a plain non-negative decimal`}},
		{name: "negative price", kind: "catalog", body: catHeader + "C01,x,compute,台·月,allocated,-40,40,,,\n",
			want: []string{`in.csv:2: item C01: column "price_internet": "-40" is not a plain non-negative decimal`}},
		{name: "item code twice", kind: "catalog", body: catHeader + goodCatalog + goodCatalog,
			want: []string{`in.csv:3: item C01: column "code": item C01 appears twice (also line 2)`}},
		{name: "unknown billing", kind: "catalog", body: catHeader + "C01,x,compute,台·月,monthly,40,40,,,\n",
			want: []string{`in.csv:2: item C01: column "billing": "monthly" is not one of allocated, metered`}},
		{name: "metered without aggregation", kind: "catalog", body: catHeader + "N04,公网流量,network,GB,metered,0.8,,net_out_gb,,\n",
			want: []string{`in.csv:2: item N04: column "meter_agg": a metered item names its aggregation`}},
		{name: "unknown aggregation and mode", kind: "catalog", body: catHeader + "N04,公网流量,network,GB,metered,0.8,,net_out_gb,median,cloud\n",
			want: []string{`in.csv:2: item N04: column "meter_agg": "median" is not one of sum, max, avg, p95, avg_daily_max`, `in.csv:2: item N04: column "mode": "cloud" is not one of shared, dedicated, hosting, baremetal`}},
		{name: "no price in any zone", kind: "catalog", body: catHeader + "C01,x,compute,台·月,allocated,,,,,\n",
			want: []string{`in.csv:2: item C01: column "price_internet": item C01 has no price in any zone`}},
		{name: "missing and unknown columns", kind: "catalog", body: "code,name,category,billing,price_internet,price_extranet,colour\n",
			want: []string{`in.csv:1: column "colour": unknown column`, `in.csv:1: column "unit": required column is missing from the header`}},
		{name: "empty catalog", kind: "catalog", body: catHeader, want: []string{"in.csv: the catalog has no items"}},
		{name: "bad category name", kind: "catalog", body: catHeader + "C01,x,计算,台·月,allocated,40,40,,,\n",
			want: []string{`in.csv:2: item C01: column "category": "计算" is not a category name`}},
		// adaptations
		{name: "adaptation to an unknown item", kind: "adapt", body: "resource_type,item_code\necs.c7.xlarge,C99\n",
			want: []string{`in.csv:2: resource type ecs.c7.xlarge: column "item_code": unknown catalog item C99 (not in any catalog version)`}},
		{name: "adaptation twice", kind: "adapt", body: "resource_type,item_code\nt1,C01\nt1,C02\n",
			want: []string{`in.csv:3: resource type t1: column "resource_type": resource type t1 appears twice (also line 2)`}},
		// departments, projects, vendors
		{name: "dangling parent", kind: "departments", body: "id,name,parent_id\nD05,区民政局,D99\n",
			want: []string{`in.csv:2: department D05: column "parent_id": unknown parent department D99 of D05 (区民政局)`}},
		{name: "cycle in the file", kind: "departments", body: "id,name,parent_id\nD05,甲,D06\nD06,乙,D05\n",
			want: []string{`in.csv:2: department D05: column "parent_id": department D05 (甲) is in a cycle of parents: D05 → D06 → D05`, `in.csv:3: department D06: column "parent_id": department D06 (乙) is in a cycle of parents: D06 → D05 → D06`}},
		{name: "cycle through stored departments", kind: "departments", body: "id,name,parent_id\nD03,区教育局,D0301\n",
			want: []string{`in.csv:2: department D03: column "parent_id": department D03 (区教育局) is in a cycle of parents: D03 → D0301 → D03`}},
		{name: "own parent", kind: "departments", body: "id,name,parent_id\nD07,区司法局,D07\n",
			want: []string{`in.csv:2: department D07: column "parent_id": department D07 (区司法局) is in a cycle of parents: D07 → D07`}},
		{name: "GB18030 file with Chinese names", kind: "departments", body: gb18030(t, "id,name,parent_id\nD05,区民政局,D06\nD06,区民政局 社会救助中心,D05\nD08,区审计局,D98\n"),
			want: []string{`in.csv:2: department D05: column "parent_id": department D05 (区民政局) is in a cycle of parents: D05 → D06 → D05`,
				`in.csv:3: department D06: column "parent_id": department D06 (区民政局 社会救助中心) is in a cycle of parents: D06 → D05 → D06`,
				`in.csv:4: department D08: column "parent_id": unknown parent department D98 of D08 (区审计局)`}},
		{name: "department twice", kind: "departments", body: "id,name,parent_id\nD05,甲,\nD05,乙,\n",
			want: []string{`in.csv:3: department D05: column "id": department D05 appears twice (also line 2)`}},
		{name: "unknown project category", kind: "projects", body: projHeader + "P09,新项目,D01,2026,maintenance,true\n",
			want: []string{`in.csv:2: project P09, year 2026: column "category": "maintenance" is not one of om, new, renovation`}},
		{name: "project of an unknown department", kind: "projects", body: projHeader + "P09,新项目,D99,2026,om,true\n",
			want: []string{`in.csv:2: project P09, year 2026: column "department_id": unknown department D99`}},
		{name: "project year and approval", kind: "projects", body: projHeader + "P09,新项目,D01,26,om,yes\n",
			want: []string{`in.csv:2: project P09, year 26: column "year": "26" is not a year (2000–2100)`, `in.csv:2: project P09, year 26: column "approved": "yes" is not true or false`}},
		{name: "project twice in a year", kind: "projects", body: projHeader + "P09,a,D01,2026,om,true\nP09,b,D01,2026,new,true\n",
			want: []string{`in.csv:3: project P09, year 2026: column "id": project P09 of 2026 appears twice (also line 2)`}},
		{name: "vendor without name", kind: "vendors", body: "id,name\nV3,\n", want: []string{`in.csv:2: vendor V3: column "name": is empty`}},
		{name: "org refused whole: good departments, bad projects", kind: "org", body: "id,name,parent_id\nD05,区民政局,\n",
			body2: projHeader + "P09,新项目,D05,2026,om,maybe\n",
			want:  []string{`projects.csv:2: project P09, year 2026: column "approved": "maybe" is not true or false`}},
		// work-order events
		{name: "dangling references", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D99,P99,V9,extranet,C99,1,,,\n",
			want: []string{`in.csv:2: order WO-9: column "department_id": unknown department D99`, `in.csv:2: order WO-9: column "vendor_id": unknown vendor V9`,
				`in.csv:2: order WO-9: column "project_id": unknown project P99 (not on any year's project list)`, `in.csv:2: order WO-9: column "item_code": unknown catalog item C99`}},
		{name: "item not offered in the zone", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D02,P02,V1,extranet,N01,1,,,\n",
			want: []string{`in.csv:2: order WO-9: column "zone": item N01 (弹性公网IP) is not offered in zone extranet on 2026-11-02 (no extranet price in the catalog version effective 2026-01-01)`}},
		{name: "no catalog in force", kind: "orders", body: orderHeader + "WO-9,open,2025-12-31,D02,P02,V1,internet,N01,1,,,\n",
			want: []string{`in.csv:2: order WO-9: column "effective_date": no catalog version is in force on 2025-12-31`}},
		{name: "change before open", kind: "orders", body: orderHeader + "WO-9,change,2026-11-02,D02,P02,V1,internet,N01,2,,,\nWO-9,open,2026-11-03,D02,P02,V1,internet,N01,1,,,\n",
			want: []string{`in.csv:2: order WO-9: column "event": change before open: order WO-9 has no open event`}},
		{name: "change dated before the open", kind: "orders", body: orderHeader + "WO-1,change,2026-10-20,D01,P01,V1,extranet,C01,4,ecs-001,,\n",
			want: []string{`in.csv:2: order WO-1: column "effective_date": change before open: order WO-1 opens on 2026-11-01 (orders.csv:2), this change is dated 2026-10-20`}},
		{name: "event after terminate", kind: "orders", body: orderHeader + "WO-2,change,2026-11-25,D02,P02,V2,internet,N01,3,eip-9,,\n",
			want: []string{`in.csv:2: order WO-2: column "event": event after terminate: order WO-2 was terminated on 2026-11-20 (orders.csv:5)`}},
		{name: "backward date", kind: "orders", body: orderHeader + "WO-1,change,2026-11-05,D01,P01,V1,extranet,C01,4,ecs-001,,\n",
			want: []string{`in.csv:2: order WO-1: column "effective_date": effective date 2026-11-05 goes back before 2026-11-10, the date of order WO-1's previous event (orders.csv:3)`}},
		{name: "backward date in the file", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D02,P02,V1,internet,N01,1,,,\nWO-9,change,2026-11-12,D02,P02,V1,internet,N01,2,,,\nWO-9,change,2026-11-11,D02,P02,V1,internet,N01,3,,,\n",
			want: []string{`in.csv:4: order WO-9: column "effective_date": effective date 2026-11-11 goes back before 2026-11-12, the date of order WO-9's previous event (line 3)`}},
		{name: "duplicate order id with other content", kind: "orders", body: orderHeader + "WO-1,open,2026-11-01,D01,P01,V1,extranet,C01,9,ecs-001,,\n",
			want: []string{`in.csv:2: order WO-1: column "order_id": duplicate order id: order WO-1 is already opened on 2026-11-01 (orders.csv:2) with different content`}},
		{name: "duplicate order id in the file", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D02,P02,V1,internet,N01,1,,,\nWO-9,open,2026-11-04,D02,P02,V1,internet,N01,1,,,\n",
			want: []string{`in.csv:3: order WO-9: column "order_id": duplicate order id: order WO-9 is already opened on 2026-11-02 (line 2) with different content`}},
		{name: "quantity not positive", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D02,P02,V1,internet,N01,0,,,\nWO-8,open,2026-11-02,D02,P02,V1,internet,N01,-2,,,\nWO-7,open,2026-11-02,D02,P02,V1,internet,N01,两个,,,\n",
			want: []string{`in.csv:2: order WO-9: column "quantity": quantity must be positive, got 0`, `in.csv:3: order WO-8: column "quantity": quantity must be positive, got -2`, `in.csv:4: order WO-7: column "quantity": "两个" is not a plain non-negative decimal`}},
		{name: "project of another department", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D01,P02,V1,internet,N01,1,,,\n",
			want: []string{`in.csv:2: order WO-9: column "project_id": project P02 belongs to department D02, which is neither the order's department D01 nor its parent`}},
		{name: "resource type without adaptation", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D02,P02,V1,internet,,1,x-1,ecs.unknown,\n",
			want: []string{`in.csv:2: order WO-9: column "resource_type": resource type ecs.unknown is not in the catalog and has no adaptation`}},
		{name: "terminate changing the configuration", kind: "orders", body: orderHeader + "WO-1,terminate,2026-11-25,,,,,,4,,,\n",
			want: []string{`in.csv:2: order WO-1: column "quantity": a terminate keeps the configuration in force (16), got 4`}},
		{name: "impossible date and unknown event", kind: "orders", body: orderHeader + "WO-9,open,2026-02-30,D02,P02,V1,internet,N01,1,,,\nWO-8,suspend,2026-11-02,D02,P02,V1,internet,N01,1,,,\n",
			want: []string{`in.csv:2: order WO-9: column "effective_date": date "2026-02-30" is not YYYY-MM-DD`, `in.csv:3: order WO-8: column "event": "suspend" is not one of open, change, terminate`}},
		{name: "portion on a project that is not renovation", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02,D02,P02,V1,internet,N01,1,,,stock\n",
			want: []string{`in.csv:2: order WO-9: column "portion": portion stock is only for renovation projects; project P02 is new`}},
		{name: "missing columns in a row", kind: "orders", body: orderHeader + "WO-9,open,2026-11-02\n",
			want: []string{`in.csv:2: has 3 fields, the header has 12`}},
		// acceptance records
		{name: "acceptance of an unknown vendor", kind: "acceptance", body: accHeader + "V9,2026-11,passed,90,99.9,2027-01-01\n",
			want: []string{`in.csv:2: vendor V9, period 2026-11: column "vendor_id": unknown vendor V9`}},
		{name: "acceptance values out of range", kind: "acceptance", body: accHeader + "V1,2026-13,ok,120,99.9%,2027-02-30\n",
			want: []string{`in.csv:2: vendor V1, period 2026-13: column "period": period "2026-13" is not YYYY-MM`, `in.csv:2: vendor V1, period 2026-13: column "result": "ok" is not one of passed, deferred, failed`,
				`in.csv:2: vendor V1, period 2026-13: column "score": 120 is above 100`, `in.csv:2: vendor V1, period 2026-13: column "availability": "99.9%" is not a plain non-negative decimal`,
				`in.csv:2: vendor V1, period 2026-13: column "security_valid_until": date "2027-02-30" is not YYYY-MM-DD`}},
		{name: "two records for one vendor and month", kind: "acceptance", body: accHeader + "V1,2026-12,passed,,,\nV1,2026-12,failed,,,\n",
			want: []string{`in.csv:3: vendor V1, period 2026-12: column "period": a second record for vendor V1 and 2026-12 (also line 2)`}},
	}
	s := chtest.New(t)
	ctx := context.Background()
	clk := newClock()
	importFixtures(t, s, clk)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := tableCounts(t, s)
			err := runImport(ctx, s, c, clk.now())
			require.Error(t, err)
			var errs csvin.Errors
			require.ErrorAs(t, err, &errs)
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			require.Len(t, got, len(c.want), "got errors:\n%s", strings.Join(got, "\n"))
			for i, w := range c.want {
				assert.True(t, strings.HasPrefix(got[i], w), "error %d:\n got %s\nwant %s…", i, got[i], w)
			}
			assert.Equal(t, before, tableCounts(t, s), "nothing of the refused file is stored")
		})
	}
}
