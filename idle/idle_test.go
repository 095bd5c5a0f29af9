package idle

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

var day = calendar.MustDate

// res is a vCPU resource of department dep in service all window long.
func res(order, dep string, alloc, price string) Resource {
	return Resource{Order: catalog.OrderID(order), Resource: catalog.ResourceID("ecs-" + order), Department: catalog.DepartmentID(dep),
		Kind: KindVCPU, Item: "C01", Zone: catalog.ZoneExtranet, Allocated: d(alloc), UnitPrice: d(price)}
}

// full is a measure with every expected sample of 30 days at 24 a day (interval 3600 s).
func full(p95Used string) Measure { return Measure{Days: 30, Samples: 30 * 24, P95Used: d(p95Used)} }

func rowOf(t *testing.T, a Analysis, order string) Row {
	t.Helper()
	for _, r := range a.Rows {
		if string(r.Order) == order {
			return r
		}
	}
	t.Fatalf("no row for order %s", order)
	return Row{}
}

func groupOf(t *testing.T, a Analysis, dep string, k Kind) Group {
	t.Helper()
	for _, g := range a.Groups {
		if string(g.Department) == dep && g.Kind == k {
			return g
		}
	}
	t.Fatalf("no group %s/%s", dep, k)
	return Group{}
}

// TestRecommendationByHand: department D1, vCPU, r = 0.20 (the default).
//
//	O1 16 vCPU, p95 12.5% → used 16 × 12.5 ÷ 100 = 2
//	O2  8 vCPU, p95 50%   → used 4
//	O3  4 vCPU, p95 90%   → used 3.6
//	Σ allocated 28, Σ used 9.6, idle ratio 1 − 9.6 ÷ 28 = 0.657142857142 > 0.20: over.
//
// Most idle first: O1 (12.5%), O2 (50%), O3 (90%).
//
//	O1 → smallest whole quantity ≥ 2 ÷ 0.8 = 2.5: 3; removes 13; allocation 15;
//	     idle 1 − 9.6 ÷ 15 = 0.36 > 0.20, go on; saving 13 × 40 = 520.00
//	O2 → ≥ 4 ÷ 0.8 = 5: 5; removes 3; allocation 12; idle 1 − 9.6 ÷ 12 = 0.20 ≤ 0.20, stop;
//	     saving 3 × 40 = 120.00
//	O3 keeps its 4.
//
// Department saving 640.00, recommended total 12.
func TestRecommendationByHand(t *testing.T) {
	in := Input{Date: day("2026-11-30"), SampleInterval: 3600,
		Resources: []Resource{res("O3", "D1", "4", "40"), res("O1", "D1", "16", "40"), res("O2", "D1", "8", "40")},
		Measures:  map[catalog.OrderID]Measure{"O1": full("2"), "O2": full("4"), "O3": full("3.6")}}
	a, err := Analyze(in)
	require.NoError(t, err)
	g := groupOf(t, a, "D1", KindVCPU)
	assert.True(t, g.Over)
	assert.Equal(t, "0.657142857143", g.IdleRatio.String())
	assert.Equal(t, "28", g.Allocated.String())
	assert.Equal(t, "9.6", g.Used.String())
	assert.Equal(t, "12", g.AllocatedAfter.String())
	assert.Equal(t, "0.2", g.IdleRatioAfter.String())
	assert.True(t, g.WithinAfter)
	assert.Equal(t, "640.00", g.Saving.StringFixed(2))

	o1, o2, o3 := rowOf(t, a, "O1"), rowOf(t, a, "O2"), rowOf(t, a, "O3")
	assert.Equal(t, StatusReduce, o1.Status)
	assert.Equal(t, "12.5", o1.P95Util.String())
	assert.Equal(t, "3", o1.Recommended.String())
	assert.Equal(t, "520", o1.Saving.String())
	assert.Equal(t, StatusReduce, o2.Status)
	assert.Equal(t, "5", o2.Recommended.String())
	assert.Equal(t, "120", o2.Saving.String())
	assert.Equal(t, StatusKeep, o3.Status)
	assert.Equal(t, "90", o3.P95Util.String())
	assert.Equal(t, 1, a.DepartmentsOver())
	assert.Equal(t, "640", a.Saving().String())
}

// TestRoundingToSizes: the same department with offered sizes 1|2|4|8|16|32 (r 0.20).
//
//	O1 → smallest size ≥ 2.5: 4; removes 12; allocation 16; idle 1 − 9.6 ÷ 16 = 0.4 > 0.2
//	O2 → smallest size ≥ 5: 8, not below its 8: nothing to reduce
//	O3 → smallest size ≥ 4.5: 8, not below its 4: nothing to reduce
//
// Nothing more can be reduced: the department stays over (0.4), saving 12 × 40 = 480.00.
func TestRoundingToSizes(t *testing.T) {
	cfg := Config{Versions: []Version{{Kind: KindVCPU, Effective: day("2026-01-01"), Ratio: d("0.20"),
		Sizes: Sizes{d("1"), d("2"), d("4"), d("8"), d("16"), d("32")}}}}
	a, err := Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600, Config: cfg,
		Resources: []Resource{res("O1", "D1", "16", "40"), res("O2", "D1", "8", "40"), res("O3", "D1", "4", "40")},
		Measures:  map[catalog.OrderID]Measure{"O1": full("2"), "O2": full("4"), "O3": full("3.6")}})
	require.NoError(t, err)
	g := groupOf(t, a, "D1", KindVCPU)
	assert.Equal(t, "4", rowOf(t, a, "O1").Recommended.String())
	assert.Equal(t, StatusKeep, rowOf(t, a, "O2").Status)
	assert.Equal(t, StatusKeep, rowOf(t, a, "O3").Status)
	assert.Equal(t, "16", g.AllocatedAfter.String())
	assert.Equal(t, "0.4", g.IdleRatioAfter.String())
	assert.False(t, g.WithinAfter)
	assert.Equal(t, "480", g.Saving.String())

	// whole units: the smallest whole quantity, at least 1
	for _, c := range []struct{ x, want string }{{"2.5", "3"}, {"5", "5"}, {"0.01", "1"}, {"0", "1"}} {
		q, ok := Sizes(nil).Smallest(d(c.x))
		assert.True(t, ok)
		assert.Equal(t, c.want, q.String(), "smallest ≥ %s", c.x)
	}
	_, ok := Sizes{d("2"), d("4")}.Smallest(d("4.01"))
	assert.False(t, ok, "no size ≥ 4.01")
}

// TestExactlyAtRatio: allocated 10, used 8 (p95 80%): idle 1 − 8 ÷ 10 = 0.20 = r, which is
// not over (over means idle > r). With used 7.99 idle is 0.201 > 0.20: over, and the
// resource goes to the smallest whole quantity ≥ 7.99 ÷ 0.8 = 9.9875: 10 = its size, so
// nothing can be reduced.
func TestExactlyAtRatio(t *testing.T) {
	a, err := Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600,
		Resources: []Resource{res("O4", "D2", "10", "40")}, Measures: map[catalog.OrderID]Measure{"O4": full("8")}})
	require.NoError(t, err)
	g := groupOf(t, a, "D2", KindVCPU)
	assert.Equal(t, "0.2", g.IdleRatio.String())
	assert.False(t, g.Over)
	assert.Equal(t, StatusKeep, rowOf(t, a, "O4").Status)

	a, err = Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600,
		Resources: []Resource{res("O4", "D2", "10", "40")}, Measures: map[catalog.OrderID]Measure{"O4": full("7.99")}})
	require.NoError(t, err)
	g = groupOf(t, a, "D2", KindVCPU)
	assert.True(t, g.Over)
	assert.Equal(t, "0.201", g.IdleRatio.String())
	assert.Equal(t, StatusKeep, rowOf(t, a, "O4").Status)
	assert.False(t, g.WithinAfter)
}

// TestCoverage: interval 3600 s, 24 samples expected a day.
//
//	O5: data on 13 days (all 24 × 13 = 312 samples)       → insufficient (needs 14 days)
//	O6: 14 days, 268 samples; expected 14 × 24 = 336; 80% = 268.8 → insufficient
//	O7: 14 days, 269 samples ≥ 268.8                        → counts
//	O8: no sample at all                                     → insufficient
//
// Only O7 counts: 4 vCPU, p95 10% → used 0.4, idle 0.9 > 0.2; O7 → ≥ 0.4 ÷ 0.8 = 0.5: 1.
// D3 is a subordinate unit: its own department, its 主管部门 D0 carried to the group.
func TestCoverage(t *testing.T) {
	r5, r6, r7, r8 := res("O5", "D3", "4", "40"), res("O6", "D3", "4", "40"), res("O7", "D3", "4", "40"), res("O8", "D3", "8", "40")
	for _, r := range []*Resource{&r5, &r6, &r7, &r8} {
		r.Parent = "D0"
	}
	a, err := Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600,
		Resources: []Resource{r5, r6, r7, r8},
		Measures: map[catalog.OrderID]Measure{
			"O5": {Days: 13, Samples: 312, P95Used: d("0.1")},
			"O6": {Days: 14, Samples: 268, P95Used: d("0.1")},
			"O7": {Days: 14, Samples: 269, Excluded: 5, P95Used: d("0.4")},
		}})
	require.NoError(t, err)
	assert.Equal(t, StatusInsufficient, rowOf(t, a, "O5").Status)
	assert.Equal(t, StatusInsufficient, rowOf(t, a, "O6").Status)
	assert.Equal(t, 336, rowOf(t, a, "O6").Expected)
	assert.Equal(t, StatusInsufficient, rowOf(t, a, "O8").Status)
	o7 := rowOf(t, a, "O7")
	assert.Equal(t, StatusReduce, o7.Status)
	assert.Equal(t, "1", o7.Recommended.String())
	assert.Equal(t, "120", o7.Saving.String())
	g := groupOf(t, a, "D3", KindVCPU)
	assert.Equal(t, catalog.DepartmentID("D0"), g.Parent)
	assert.Equal(t, 1, g.Counted)
	assert.Equal(t, 3, g.Insufficient)
	assert.Equal(t, "4", g.Allocated.String(), "insufficient resources are not in the ratio")
	assert.Equal(t, 5, a.Excluded, "excluded samples are counted and reported")
}

// TestChangedSize: a resource that changed size inside the window. Its measure (computed
// in ClickHouse, see chstore) is the p95 of capacity used: 8 vCPU at 50% before the change
// is 4 vCPU used; after the change to 16 at 25%, 4 too. P95Used 4 against the 16
// allocated on the analysis date: p95 utilisation 4 × 100 ÷ 16 = 25%, used 16 × 25 ÷ 100
// = 4; idle 0.75 > 0.2; → ≥ 4 ÷ 0.8 = 5: 5 vCPU, saving 11 × 40 = 440.00.
func TestChangedSize(t *testing.T) {
	r := res("O9", "D4", "16", "40")
	r.Spans = []Span{{From: day("2026-11-01"), To: day("2026-11-14"), Quantity: d("8")}, {From: day("2026-11-15"), To: day("2026-11-30"), Quantity: d("16")}}
	a, err := Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600, Resources: []Resource{r},
		Measures: map[catalog.OrderID]Measure{"O9": full("4")}})
	require.NoError(t, err)
	o := rowOf(t, a, "O9")
	assert.Equal(t, "25", o.P95Util.String())
	assert.Equal(t, "4", o.Used.String())
	assert.Equal(t, "5", o.Recommended.String())
	assert.Equal(t, "440", o.Saving.String())

	// downsized inside the window: 64 GB at 90% (57.6 used) until 11-14, then 16 GB. The
	// p95 of capacity used is 57.6, more than the 16 it has now: used is capped at 16
	// (p95 100%), idle 0, keep; the department is not over.
	m := res("M9", "D4", "16", "15")
	m.Kind = KindMemory
	a, err = Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600, Resources: []Resource{m},
		Measures: map[catalog.OrderID]Measure{"M9": full("57.6")}})
	require.NoError(t, err)
	o = rowOf(t, a, "M9")
	assert.Equal(t, "16", o.Used.String())
	assert.Equal(t, "100", o.P95Util.String())
	assert.Equal(t, StatusKeep, o.Status)
	assert.False(t, groupOf(t, a, "D4", KindMemory).Over)
}

// TestSavingRoundedOnce: memory at 13.333333 a GB·月 in the internet zone: 64 GB, p95 5%
// → used 3.2; idle 0.95; → ≥ 3.2 ÷ 0.8 = 4: 4 GB, removes 60; 60 × 13.333333 = 799.99998
// → 800.00 (rounded once, half up, to the fen).
func TestSavingRoundedOnce(t *testing.T) {
	r := res("M1", "D5", "64", "13.333333")
	r.Kind, r.Item, r.Zone = KindMemory, "C02", catalog.ZoneInternet
	a, err := Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600, Resources: []Resource{r},
		Measures: map[catalog.OrderID]Measure{"M1": full("3.2")}})
	require.NoError(t, err)
	o := rowOf(t, a, "M1")
	assert.Equal(t, "4", o.Recommended.String())
	assert.Equal(t, "800.00", o.Saving.StringFixed(2))
	assert.Equal(t, "800", o.Saving.String())
}

func TestWindowAndDeadline(t *testing.T) {
	from, to := Window(day("2026-11-30"))
	assert.Equal(t, "2026-11-01", from.String(), "30 days ending on the analysis date: 11-01 … 11-30")
	assert.Equal(t, "2026-11-30", to.String())
	for _, c := range []struct{ in, want string }{
		{"2026-01-31", "2026-02-28"},
		{"2028-01-31", "2028-02-29"}, // leap February
		{"2028-01-29", "2028-02-29"},
		{"2026-01-29", "2026-02-28"},
		{"2026-03-31", "2026-04-30"},
		{"2026-12-31", "2027-01-31"},
		{"2026-11-15", "2026-12-15"},
		{"2028-02-29", "2028-03-29"},
	} {
		assert.Equal(t, c.want, Deadline(day(c.in)).String(), "deadline of %s", c.in)
	}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		it   catalog.Item
		kind Kind
		ok   bool
	}{
		{catalog.Item{Category: "compute", Unit: "vCPU·月", Billing: catalog.Allocated}, KindVCPU, true},
		{catalog.Item{Category: "compute", Unit: "GB·月", Billing: catalog.Allocated}, KindMemory, true},
		{catalog.Item{Category: "compute", Unit: "台·月", Billing: catalog.Allocated}, "", false},
		{catalog.Item{Category: "storage", Unit: "GB·月", Billing: catalog.Allocated}, "", false},
	} {
		k, ok := KindOf(c.it)
		assert.Equal(t, c.kind, k)
		assert.Equal(t, c.ok, ok)
	}
}

func TestConfigInForce(t *testing.T) {
	cfg := Config{Versions: []Version{
		{Kind: KindVCPU, Effective: day("2026-01-01"), Ratio: d("0.30")},
		{Kind: KindVCPU, Effective: day("2026-07-01"), Until: day("2026-09-30"), Ratio: d("0.25")},
	}}
	assert.Equal(t, "0.2", cfg.InForce(KindVCPU, day("2025-12-31")).Ratio.String(), "default before any version")
	assert.Equal(t, "0.3", cfg.InForce(KindVCPU, day("2026-06-30")).Ratio.String())
	assert.Equal(t, "0.25", cfg.InForce(KindVCPU, day("2026-09-30")).Ratio.String())
	assert.Equal(t, "0.2", cfg.InForce(KindVCPU, day("2026-10-01")).Ratio.String(), "default after until")
	assert.Equal(t, "0.2", cfg.InForce(KindMemory, day("2026-06-30")).Ratio.String(), "memory has none: default")
}

func TestParseConfigBadInput(t *testing.T) {
	stored := Config{Versions: []Version{{Kind: KindVCPU, Effective: day("2026-01-01"), Ratio: d("0.3"), File: "old.csv", Line: 2, ImportID: "x"}}}
	for _, c := range []struct {
		name, file string
		want       []string
	}{
		{"ratio above 1", "kind,effective,ratio\nvcpu,2026-02-01,1.2\n", []string{`cfg.csv:2: resource kind vcpu, effective 2026-02-01: column "ratio": 1.2 is outside 0–1`}},
		{"ratio of 1", "kind,effective,ratio\nvcpu,2026-02-01,1\n", []string{`cfg.csv:2: resource kind vcpu, effective 2026-02-01: column "ratio": 1 is outside 0–1`}},
		{"negative ratio", "kind,effective,ratio\nmemory,2026-02-01,-0.1\n", []string{`cfg.csv:2: resource kind memory, effective 2026-02-01: column "ratio": -0.1 is outside 0–1`}},
		{"not a number", "kind,effective,ratio\nmemory,2026-02-01,20%\n", []string{`cfg.csv:2: resource kind memory, effective 2026-02-01: column "ratio": "20%" is not a decimal number`}},
		{"unknown kind", "kind,effective,ratio\nvcpu,2026-02-01,0.2\ndisk,2026-02-01,0.2\n", []string{`cfg.csv:3: resource kind disk, effective 2026-02-01: column "kind": "disk" is not a kind: want vcpu or memory`}},
		{"bad date", "kind,effective,ratio\nvcpu,2026-02-30,0.2\n", []string{`cfg.csv:2: resource kind vcpu, effective 2026-02-30: column "effective": date "2026-02-30" is not YYYY-MM-DD`}},
		{"duplicate in file", "kind,effective,ratio\nvcpu,2026-02-01,0.2\nvcpu,2026-02-01,0.25\n", []string{`cfg.csv:3: resource kind vcpu, effective 2026-02-01: column "effective": kind vcpu has a second version effective 2026-02-01 (line 2 has the first)`}},
		{"duplicate of stored", "kind,effective,ratio\nvcpu,2026-01-01,0.25\n", []string{`cfg.csv:2: resource kind vcpu, effective 2026-01-01: column "effective": kind vcpu already has a version effective 2026-01-01 (ratio 0.3, old.csv line 2)`}},
		{"overlap", "kind,effective,ratio,until\nmemory,2026-02-01,0.2,2026-06-30\nmemory,2026-06-01,0.25,\n", []string{`cfg.csv:2: resource kind memory, effective 2026-02-01: column "until": kind memory: the version effective 2026-02-01 until 2026-06-30 overlaps the version effective 2026-06-01`}},
		{"sizes not ascending", "kind,effective,ratio,sizes\nvcpu,2026-02-01,0.2,1|4|2\n", []string{`cfg.csv:2: resource kind vcpu, effective 2026-02-01: column "sizes": 2 does not follow 4: sizes must ascend`}},
		{"unknown column", "kind,effective,ratio,colour\nvcpu,2026-02-01,0.2,red\n", []string{`cfg.csv`, `colour`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := ParseConfig("cfg.csv", strings.NewReader(c.file), stored)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	added, present, err := ParseConfig("cfg.csv", strings.NewReader("kind,effective,ratio,sizes,note\nvcpu,2026-01-01,0.3,,\nmemory,2026-02-01,0.15,1|2|4|8,市级标准\n"), stored)
	require.NoError(t, err)
	assert.Equal(t, 1, present, "the stored version again is skipped")
	require.Len(t, added, 1)
	assert.Equal(t, "memory from 2026-02-01: ratio 0.15, sizes 1|2|4|8", added[0].String())
	assert.Equal(t, 3, added[0].Line)
}

// TestIntervalOf: a sample interval is whole seconds that divide a day, whichever way
// it is given (flag, configuration, the analysis's own input).
func TestIntervalOf(t *testing.T) {
	for _, c := range []struct {
		d    time.Duration
		want Seconds
		ok   bool
	}{
		{time.Hour, 3600, true}, {15 * time.Minute, 900, true}, {24 * time.Hour, 86400, true},
		{time.Second, 1, true}, {7 * time.Minute, 0, false}, {1500 * time.Millisecond, 0, false},
		{0, 0, false}, {-time.Hour, 0, false}, {48 * time.Hour, 0, false},
	} {
		got, err := IntervalOf(c.d)
		if c.ok {
			require.NoError(t, err, c.d)
			assert.Equal(t, c.want, got, c.d)
			_, err = Analyze(Input{SampleInterval: got})
			assert.False(t, err != nil && strings.Contains(err.Error(), "must divide a day"), "%s: %v", c.d, err)
		} else {
			assert.ErrorContains(t, err, "want whole seconds that divide a day", c.d)
			if s := Seconds(c.d / time.Second); time.Duration(s)*time.Second == c.d { // 1.5 s is refused for its fraction only
				_, err = Analyze(Input{SampleInterval: s})
				assert.ErrorContains(t, err, "must divide a day", c.d)
			}
		}
	}
}

// TestRowsOf: each group's rows, found by binary search, are exactly the rows of its
// department and kind in order; a department or kind without rows has none.
func TestRowsOf(t *testing.T) {
	var rs []Resource
	ms := map[catalog.OrderID]Measure{}
	for i, dep := range []string{"D3", "D1", "D2", "D10", "D1", "D3", "D2", "D1"} {
		r := res(fmt.Sprintf("O%02d", 20-i), dep, "8", "40")
		if i%3 == 0 {
			r.Kind = KindMemory
		}
		rs = append(rs, r)
		ms[r.Order] = full("2")
	}
	a, err := Analyze(Input{Date: day("2026-11-30"), SampleInterval: 3600, Resources: rs, Measures: ms})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, dep := range []string{"D0", "D1", "D10", "D2", "D3", "D4"} {
		for _, k := range []Kind{KindVCPU, KindMemory} {
			var want []Row
			for _, r := range a.Rows {
				if string(r.Department) == dep && r.Kind == k {
					want = append(want, r)
				}
			}
			got := a.RowsOf(catalog.DepartmentID(dep), k)
			if len(got) != len(want) {
				t.Fatalf("RowsOf(%s, %s): %d rows, want %d", dep, k, len(got), len(want))
			}
			for i := range want {
				if got[i].Order != want[i].Order {
					t.Errorf("RowsOf(%s, %s)[%d] = %s, want %s", dep, k, i, got[i].Order, want[i].Order)
				}
			}
			total += len(got)
		}
	}
	if total != len(rs) {
		t.Errorf("the groups' rows: %d, want %d", total, len(rs))
	}
}
