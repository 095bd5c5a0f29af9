package chstore_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
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

// sample is one usage sample as a collector sends it.
type sample struct {
	res, metric string
	ts          string // RFC 3339
	value       float64
}

// insertSamples writes samples straight into usage_samples with ingest version v (what
// the ingest path does after validation).
func insertSamples(t *testing.T, s *chstore.Store, v uint64, ss []sample) {
	t.Helper()
	ctx := context.Background()
	b, err := chtest.Conn(t, s).PrepareBatch(ctx, "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)")
	require.NoError(t, err)
	for _, x := range ss {
		ts, err := time.Parse(time.RFC3339, x.ts)
		require.NoError(t, err)
		require.NoError(t, b.Append(x.res, x.metric, ts, x.value, "test", time.Unix(1700000000, 0), v))
	}
	require.NoError(t, b.Send())
}

func win(res, metric string, agg catalog.Agg, from, to string) rating.UsageWindow {
	return rating.UsageWindow{Resource: catalog.ResourceID(res), Metric: metric, Agg: agg, From: calendar.MustDate(from), To: calendar.MustDate(to)}
}

// TestUsageAggregatesHandComputed runs the hand-computed cases of
// testdata/rating/usage.case (the arithmetic is written out there).
func TestUsageAggregatesHandComputed(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	b, err := os.ReadFile("testdata/rating/usage.case")
	require.NoError(t, err)
	byVersion := map[uint64][]sample{}
	var ws []rating.UsageWindow
	var want []string
	for n, line := range strings.Split(string(b), "\n") {
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		where := fmt.Sprintf("usage.case:%d", n+1)
		switch f[0] {
		case "sample":
			require.Len(t, f, 6, where)
			v, err := strconv.ParseFloat(f[4], 64)
			require.NoError(t, err, where)
			ver, err := strconv.ParseUint(f[5], 10, 64)
			require.NoError(t, err, where)
			byVersion[ver] = append(byVersion[ver], sample{f[1], f[2], f[3], v})
		case "samples":
			require.Len(t, f, 5, where)
			k, err := strconv.Atoi(f[4])
			require.NoError(t, err, where)
			for i := 1; i <= k; i++ {
				byVersion[1] = append(byVersion[1], sample{f[1], f[2], fmt.Sprintf("%sT%02d:%02d:00+08:00", f[3], i/60, i%60), float64(i)})
			}
		case "window":
			require.Len(t, f, 7, where)
			ws = append(ws, win(f[1], f[2], catalog.Agg(f[3]), f[4], f[5]))
			want = append(want, f[6])
		default:
			t.Fatalf("%s: unknown directive %q", where, f[0])
		}
	}
	require.NotEmpty(t, ws)
	for v := uint64(1); v <= 3; v++ {
		insertSamples(t, s, v, byVersion[v])
	}
	p := calendar.MustPeriod("2026-11")
	check := func(t *testing.T) {
		got, err := s.UsageAggregates(ctx, p, ws)
		require.NoError(t, err)
		for i, w := range ws {
			q, ok := got[w]
			if want[i] == "none" {
				assert.False(t, ok, "%s: no samples, got %s", w, q)
				continue
			}
			require.True(t, ok, "%s missing", w)
			assert.True(t, q.Equal(decimal.RequireFromString(want[i])), "%s = %s, want %s", w, q, want[i])
		}
	}
	t.Run("as ingested", check)
	chstore.SetUsageByName(true)
	t.Run("grouped by name", check)
	chstore.SetUsageByName(false)
	// ingesting the same samples again, in the same order, changes nothing
	for i, v := range []uint64{1, 2, 3} {
		insertSamples(t, s, uint64(10+i), byVersion[v])
	}
	t.Run("ingested twice", check)
	chstore.SetUsageByArgMax(true) // the other form, on rows not merged yet
	t.Run("ingested twice, grouped by argMax", check)
	chstore.SetUsageByArgMax(false)
	require.NoError(t, chtest.Conn(t, s).Exec(ctx, "OPTIMIZE TABLE usage_samples FINAL"))
	t.Run("after merge", check)
}

func file(name, body string) catalog.File {
	return catalog.File{Name: name, R: strings.NewReader(body)}
}

// setup imports a small district through the real import paths.
func setupDistrict(t *testing.T, s *chstore.Store, now time.Time) {
	t.Helper()
	ctx := context.Background()
	_, err := catalog.ImportVersion(ctx, s, catalog.VersionInput{Now: now, Effective: calendar.MustDate("2026-01-01"), File: file("catalog.csv",
		`code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg,mode
C01,vCPU,compute,vCPU·月,allocated,40,40,,,shared
S01,disk,storage,GB·月,allocated,0.39,0.39,,,shared
N04,traffic,network,GB,metered,0.8,,net_out_gb,sum,shared
`)})
	require.NoError(t, err)
	_, err = catalog.ImportOrg(ctx, s, catalog.OrgFiles{
		Departments: &catalog.File{Name: "departments.csv", R: strings.NewReader("id,name,parent_id\nD1,Health,\nD2,Education,\n")},
		Projects: &catalog.File{Name: "projects.csv", R: strings.NewReader(
			"id,name,department_id,year,category,approved\nP1,Clinic,D1,2026,om,true\nP2,Schools,D2,2026,renovation,true\nP3,Unlisted,D2,2026,new,false\n")},
		Vendors: &catalog.File{Name: "vendors.csv", R: strings.NewReader("id,name\nV1,Cloud One\nV2,Cloud Two\n")},
	}, now)
	require.NoError(t, err)
	_, err = catalog.ImportEvents(ctx, s, file("orders.csv",
		`order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type,portion
O1,open,2026-10-01,D1,P1,V1,internet,C01,4,,,
O2,open,2026-11-11,D2,P2,V1,extranet,S01,1000,,,stock
O3,open,2026-10-15,D2,P3,V2,internet,C01,2,,,
O4,open,2026-10-01,D1,P1,V2,internet,N04,1,vm-4,,
`), now)
	require.NoError(t, err)
	_, err = catalog.ImportAcceptance(ctx, s, file("acceptance.csv",
		"vendor_id,period,result,score,availability,security_valid_until\nV1,2026-11,deferred,85,99.99,2027-06-30\nV1,2026-12,passed,95,99.99,2027-06-30\n"), now)
	require.NoError(t, err)
	insertSamples(t, s, 1, []sample{
		{"vm-4", "net_out_gb", "2026-11-03T10:00:00+08:00", 100},
		{"vm-4", "net_out_gb", "2026-11-20T10:00:00+08:00", 25.5},
		{"vm-4", "net_out_gb", "2026-12-03T10:00:00+08:00", 10},
	})
}

func newRater(t *testing.T, s *chstore.Store, now *time.Time) *rating.Rater {
	t.Helper()
	r, err := rating.New(rating.Config{Master: s, Usage: s, Results: s, Now: func() time.Time { return *now }})
	require.NoError(t, err)
	return r
}

func amounts(ls []rating.Line) map[string]string {
	out := map[string]string{}
	for _, l := range ls {
		k := fmt.Sprintf("%s %s %s %s %s", l.Kind, l.Department, l.Vendor, l.Order, l.Corrects)
		out[k] = decimal.RequireFromString(out[k] + "0").Add(l.Amount).StringFixed(2)
	}
	return out
}

// The district of setupDistrict, November 2026 (30 days):
//
//	O1 D1/P1/V1 C01 4 vCPU full month: 40 × 4 = 160.00 (charge, om)
//	O2 D2/P2/V1 S01 1000 GB from 11 Nov, 20 days: 0.39 × 1000 × 20 ÷ 30 = 260.00 (charge; renovation stock → om)
//	O3 D2/P3/V2 C01 2 vCPU full month: 80.00 (unfunded: P3 not approved)
//	O4 D1/P1/V2 N04 traffic: sum 100 + 25.5 = 125.5 GB × 0.8 = 100.40 (metered)
//	V1: deferred 10 % + score 85 → 2 % + availability 99.99 → 0 = 12 % of 420.00 = 50.40,
//	    D1 share 160/420 × 50.40 = 19.20, D2 share 260/420 × 50.40 = 31.20
//	V2: no acceptance record: pending
//	total 160 + 260 + 80 + 100.40 − 50.40 = 550.00
func TestRateStoreAndReadBack(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	setupDistrict(t, s, now)
	r := newRater(t, s, &now)
	p := calendar.MustPeriod("2026-11")

	_, err := s.RatedLines(ctx, p)
	require.ErrorIs(t, err, rating.ErrNotRated)
	_, err = s.LatestRun(ctx, p)
	require.ErrorIs(t, err, rating.ErrNotRated)

	out, err := r.Rate(ctx, p)
	require.NoError(t, err)
	assert.False(t, out.Unchanged)
	assert.Equal(t, map[string]string{
		"charge D1 V1 O1 0000-00":   "160.00",
		"charge D2 V1 O2 0000-00":   "260.00",
		"unfunded D2 V2 O3 0000-00": "80.00",
		"metered D1 V2 O4 0000-00":  "100.40",
		"deduction D1 V1  0000-00":  "-19.20",
		"deduction D2 V1  0000-00":  "-31.20",
	}, amounts(out.Lines))
	assert.Equal(t, []catalog.VendorID{"V2"}, out.Run.Pending)
	assert.True(t, out.Run.Total.Equal(decimal.RequireFromString("550.00")), "total %s", out.Run.Total)

	got, err := s.RatedLines(ctx, p)
	require.NoError(t, err)
	require.Len(t, got, len(out.Lines))
	for i := range got {
		assert.Equal(t, lineText(out.Lines[i]), lineText(got[i]), "stored line %d", i)
	}
	run, err := s.LatestRun(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, out.Run.ID, run.ID)
	assert.Equal(t, out.Run.Fingerprint, run.Fingerprint)
	assert.Equal(t, len(out.Lines), run.Lines)

	// daily detail: stored days equal the engine's, and add up to each line exactly
	for _, dep := range []catalog.DepartmentID{"D1", "D2"} {
		days, err := s.DailyAmounts(ctx, p, dep)
		require.NoError(t, err)
		var want []rating.Day
		sums := map[catalog.OrderID]decimal.Decimal{}
		for _, l := range out.Lines {
			if l.Department == dep {
				want = append(want, l.Daily()...)
			}
		}
		require.Len(t, days, len(want))
		for _, d := range days {
			sums[d.Order] = sums[d.Order].Add(d.Amount)
		}
		for _, l := range out.Lines {
			if l.Department == dep && l.Kind != rating.KindDeduction {
				assert.True(t, sums[l.Order].Equal(l.Unrounded), "%s: days %s, line %s", l.Order, sums[l.Order], l.Unrounded)
			}
		}
	}
	ded, err := s.VendorDeductions(ctx, p)
	require.NoError(t, err)
	require.Len(t, ded, 2)
	assert.Equal(t, catalog.VendorID("V1"), ded[0].Vendor)
	assert.True(t, ded[0].Rate.Equal(decimal.RequireFromString("0.12")), "rate %s", ded[0].Rate)
	assert.True(t, ded[0].Deduction.Equal(decimal.RequireFromString("-50.40")))
	assert.Len(t, ded[0].Tiers, 3)
	assert.True(t, ded[1].Pending)

	// re-rating unchanged inputs is a no-op: same fingerprint, nothing written
	now = now.Add(time.Hour)
	again, err := r.Rate(ctx, p)
	require.NoError(t, err)
	assert.True(t, again.Unchanged)
	assert.Equal(t, out.Run.ID, again.Run.ID)
	// ingesting the same samples again changes nothing either
	insertSamples(t, s, 9, []sample{{"vm-4", "net_out_gb", "2026-11-03T10:00:00+08:00", 100}})
	again, err = r.Rate(ctx, p)
	require.NoError(t, err)
	assert.True(t, again.Unchanged, "same samples again: fingerprint changed")

	// a late sample changes the month: a new run replaces the lines atomically
	insertSamples(t, s, 10, []sample{{"vm-4", "net_out_gb", "2026-11-25T10:00:00+08:00", 10}})
	third, err := r.Rate(ctx, p)
	require.NoError(t, err)
	assert.False(t, third.Unchanged)
	assert.NotEqual(t, out.Run.ID, third.Run.ID)
	got, err = s.RatedLines(ctx, p)
	require.NoError(t, err)
	assert.Equal(t, "108.40", amounts(got)["metered D1 V2 O4 0000-00"], "135.5 GB × 0.8")
	runs, err := s.Runs(ctx, p)
	require.NoError(t, err)
	assert.Len(t, runs, 2)
	// the run just superseded keeps its rows (a reader may be reading it); the next run
	// deletes them (a mutation: give it a few seconds)
	insertSamples(t, s, 11, []sample{{"vm-4", "net_out_gb", "2026-11-26T10:00:00+08:00", 10}})
	fourth, err := r.Rate(ctx, p)
	require.NoError(t, err)
	require.False(t, fourth.Unchanged)
	for _, table := range []string{"rated_lines", "rated_days", "vendor_deductions"} {
		assert.Eventually(t, func() bool {
			var ids []string
			err := chtest.Conn(t, s).QueryRow(ctx, "SELECT groupUniqArray(run_id) FROM "+table+" WHERE period = ?", p.Key()).Scan(&ids)
			sort.Strings(ids)
			want := []string{third.Run.ID, fourth.Run.ID}
			sort.Strings(want)
			return err == nil && fmt.Sprint(ids) == fmt.Sprint(want)
		}, 20*time.Second, 200*time.Millisecond, "%s keeps exactly the latest two runs", table)
	}
}

// lineText is a line with its decimals in canonical form, for comparison.
func lineText(l rating.Line) string {
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%s|%s..%s|%d/%d|%s|%s|%s|%s|%s|%s|%s|%s", l.Period, l.Kind, l.Department, l.Vendor, l.Project,
		l.Category, l.Order, l.Item, l.Zone, l.From, l.To, l.Days, l.DaysInMonth, l.Quantity.String(), l.UnitPrice.String(),
		l.Unrounded.String(), l.Amount.StringFixed(2), l.CatalogVersion, l.Corrects, l.CorrectsKind, l.Note)
}

// rawLines is the month's stored rows exactly as ClickHouse holds them.
func rawLines(t *testing.T, s *chstore.Store, p calendar.Period) []string {
	t.Helper()
	rows, err := chtest.Conn(t, s).Query(context.Background(), `SELECT toString(tuple(*)) FROM rated_lines WHERE period = ? ORDER BY run_id, seq`, p.Key())
	require.NoError(t, err)
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		require.NoError(t, rows.Scan(&r))
		out = append(out, r)
	}
	require.NoError(t, rows.Err())
	return out
}

// The adjustment flow: rate November, close it, learn of a late terminate (O1 ended
// on 20 Nov) and a late sample, rate December.
//
//	O1 booked 160.00 for 30 days; now 1..20 Nov: 40 × 4 × 20 ÷ 30 = 106.67: −53.33
//	V1's deduction: 12 % of (106.67 + 260.00 = 366.67) = 44.00 (booked 50.40): +6.40,
//	    D1 160/420 → 106.67/366.67 of 44.00 = 12.80 (was 19.20): +6.40; D2 31.20 unchanged
//	O4 late sample of 10 GB on 25 Nov: 135.5 × 0.8 = 108.40 (booked 100.40): +8.00
func TestAdjustmentFlow(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	setupDistrict(t, s, now)
	r := newRater(t, s, &now)
	nov, dec := calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-12")

	out, err := r.Rate(ctx, nov)
	require.NoError(t, err)
	require.NoError(t, s.InsertClose(ctx, rating.Close{Period: nov, ClosedAt: now, RunID: out.Run.ID, Lines: out.Run.Lines, Total: out.Run.Total, ClosedBy: "test"}))
	frozen := rawLines(t, s, nov)
	require.NotEmpty(t, frozen)

	_, err = r.Rate(ctx, nov)
	require.ErrorIs(t, err, rating.ErrPeriodClosed)

	now = now.Add(24 * time.Hour)
	rep, err := catalog.ImportEvents(ctx, s, file("late.csv",
		"order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity\nO1,terminate,2026-11-20,D1,P1,V1,internet,C01,4\n"), now)
	require.NoError(t, err)
	require.Equal(t, 1, rep.Late)
	insertSamples(t, s, 10, []sample{{"vm-4", "net_out_gb", "2026-11-25T10:00:00+08:00", 10}})

	decOut, err := r.Rate(ctx, dec)
	require.NoError(t, err)
	var adj []rating.Line
	for _, l := range decOut.Lines {
		if l.Kind == rating.KindAdjustment {
			adj = append(adj, l)
			assert.Equal(t, nov, l.Corrects)
		}
	}
	got := map[string]string{}
	for _, l := range adj {
		got[fmt.Sprintf("%s %s %s %s", l.CorrectsKind, l.Department, l.Vendor, l.Order)] = l.Amount.StringFixed(2)
	}
	assert.Equal(t, map[string]string{
		"charge D1 V1 O1":  "-53.33",
		"deduction D1 V1 ": "6.40",
		"metered D1 V2 O4": "8.00",
	}, got)
	// December itself: O1 terminated, so no December charge for it
	for _, l := range decOut.Lines {
		assert.False(t, l.Order == "O1" && l.Kind == rating.KindCharge, "O1 charged in December: %+v", l)
	}

	// the closed month's stored lines are byte-for-byte unchanged
	assert.Equal(t, frozen, rawLines(t, s, nov))
	novLines, err := s.RatedLines(ctx, nov)
	require.NoError(t, err)
	assert.Equal(t, out.Run.ID, mustRunOf(t, s, nov))
	assert.Len(t, novLines, len(out.Lines))

	// re-rating December again books nothing twice
	now = now.Add(time.Hour)
	again, err := r.Rate(ctx, dec)
	require.NoError(t, err)
	assert.True(t, again.Unchanged)
}

func mustRunOf(t *testing.T, s *chstore.Store, p calendar.Period) string {
	t.Helper()
	c, ok, err := s.CloseOf(context.Background(), p)
	require.NoError(t, err)
	require.True(t, ok)
	return c.RunID
}

// An order naming a vendor resource type instead of an item is adapted at import (§17)
// and rated at the adapted item's price:
//
//	ecs.g6.large → C01 (40 a month); 2 from 21 Nov: 40 × 2 × 10 ÷ 30 = 26.666… → 26.67
func TestRateAdaptedResourceType(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	setupDistrict(t, s, now)
	_, err := catalog.ImportAdaptations(ctx, s, file("adaptations.csv", "resource_type,item_code,note\necs.g6.large,C01,2 vCPU general purpose\n"), now)
	require.NoError(t, err)
	_, err = catalog.ImportEvents(ctx, s, file("adapted.csv",
		"order_id,event,effective_date,department_id,project_id,vendor_id,zone,item_code,quantity,resource_id,resource_type\nO9,open,2026-11-21,D1,P1,V1,internet,,2,vm-9,ecs.g6.large\n"), now)
	require.NoError(t, err)
	out, err := newRater(t, s, &now).Rate(ctx, calendar.MustPeriod("2026-11"))
	require.NoError(t, err)
	var got []rating.Line
	for _, l := range out.Lines {
		if l.Order == "O9" {
			got = append(got, l)
		}
	}
	require.Len(t, got, 1)
	assert.Equal(t, catalog.ItemCode("C01"), got[0].Item)
	assert.Equal(t, 10, got[0].Days)
	assert.Equal(t, "26.67", got[0].Amount.StringFixed(2))
	assert.Contains(t, got[0].Remarks(), rating.AdaptedRemark("ecs.g6.large"), "the adaptation is remarked as data")
}

// A corrected price for a closed month: the catalog version of 1 January is imported
// again with C01 at 44 instead of 40 after November was closed.
//
//	O1 4 vCPU: 44 × 4 = 176.00 (booked 160.00): +16.00
//	O3 2 vCPU unfunded: 88.00 (booked 80.00): +8.00
//	V1 deduction 12 % of (176 + 260 = 436.00) = 52.32 (booked 50.40):
//	    D1 176 × 0.12 = 21.12 (booked 19.20): −1.92; D2 31.20 unchanged
func TestAdjustmentOfCorrectedPrice(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	setupDistrict(t, s, now)
	r := newRater(t, s, &now)
	nov, dec := calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-12")
	out, err := r.Rate(ctx, nov)
	require.NoError(t, err)
	require.NoError(t, s.InsertClose(ctx, rating.Close{Period: nov, ClosedAt: now, RunID: out.Run.ID, Lines: out.Run.Lines, Total: out.Run.Total}))
	frozen := rawLines(t, s, nov)

	now = now.Add(time.Hour)
	_, err = catalog.ImportVersion(ctx, s, catalog.VersionInput{Now: now, Effective: calendar.MustDate("2026-01-01"), File: file("catalog-fixed.csv",
		`code,name,category,unit,billing,price_internet,price_extranet,meter_metric,meter_agg,mode
C01,vCPU,compute,vCPU·月,allocated,44,44,,,shared
S01,disk,storage,GB·月,allocated,0.39,0.39,,,shared
N04,traffic,network,GB,metered,0.8,,net_out_gb,sum,shared
`)})
	require.NoError(t, err)
	decOut, err := r.Rate(ctx, dec)
	require.NoError(t, err)
	got := map[string]string{}
	for _, l := range decOut.Lines {
		if l.Kind == rating.KindAdjustment {
			got[fmt.Sprintf("%s %s %s %s", l.CorrectsKind, l.Department, l.Vendor, l.Order)] = l.Amount.StringFixed(2)
		}
	}
	assert.Equal(t, map[string]string{
		"charge D1 V1 O1":   "16.00",
		"unfunded D2 V2 O3": "8.00",
		"deduction D1 V1 ":  "-1.92",
	}, got)
	assert.Equal(t, frozen, rawLines(t, s, nov), "closed month's stored lines unchanged")
}

// Readers never see half a month: while the month is re-rated (a late sample each time),
// every read of its lines is exactly one committed run's lines.
func TestReadersSeeWholeRuns(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)
	setupDistrict(t, s, now)
	r := newRater(t, s, &now)
	p := calendar.MustPeriod("2026-11")
	first, err := r.Rate(ctx, p)
	require.NoError(t, err)

	total := func(ls []rating.Line) string {
		sum := decimal.Zero
		for _, l := range ls {
			sum = sum.Add(l.Amount)
		}
		return fmt.Sprintf("%d lines %s", len(ls), sum.StringFixed(2))
	}
	committed := map[string]bool{total(first.Lines): true}
	var seen []string
	done := make(chan struct{})
	readErr := make(chan error, 1)
	go func() {
		defer close(readErr)
		for {
			select {
			case <-done:
				return
			default:
			}
			ls, err := s.RatedLines(ctx, p)
			if err != nil {
				readErr <- err
				return
			}
			seen = append(seen, total(ls))
		}
	}()
	for i := 1; i <= 3; i++ {
		insertSamples(t, s, uint64(100+i), []sample{{"vm-4", "net_out_gb", fmt.Sprintf("2026-11-%02dT10:00:00+08:00", 20+i), 10}})
		now = now.Add(time.Minute)
		in, err := r.Rate(ctx, p)
		require.NoError(t, err)
		committed[total(in.Lines)] = true
	}
	close(done)
	require.NoError(t, <-readErr)
	require.Greater(t, len(seen), 3, "the reader read during the runs")
	for _, s := range seen {
		assert.True(t, committed[s], "a reader saw %s, not a committed run (%v)", s, committed)
	}
}
