package chstore_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// hourly returns samples of one day at 00:00, 01:00, … (Asia/Shanghai), one per value.
func hourly(res, metric, date string, values ...float64) []sample {
	var out []sample
	for i, v := range values {
		out = append(out, sample{res, metric, fmt.Sprintf("%sT%02d:00:00+08:00", date, i), v})
	}
	return out
}

func seq(from, to float64) []float64 {
	var out []float64
	for v := from; v <= to; v++ {
		out = append(out, v)
	}
	return out
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// TestMeasureIdleHandComputed pins the ClickHouse measure.
//
// R1 (4 vCPU all along): cpu_util 1 … 20 on 11-01 and 21 … 40 on 11-02 (hourly), then
// version 2 sends 40 again as 2 (a correction: the later value wins) and 39 again as 39 (a
// duplicate: counts once). Valid series: 1, 2, 2, 3, …, 39, n = 40; quantileExact takes
// the element at position ⌊0.95 × 40⌋ = 38 (0-based) of the sorted series: 38.
// P95Used = 38 × 4 ÷ 100 = 1.52. Also 150 and −3 (and a NaN) on 11-03 at other hours: 3
// excluded, and 11-03 is no day with data. mem_util of R1 and a sample on 10-31 (outside
// the window 11-01 … 11-30) are not read.
//
// R2 changed size: 8 vCPU on 11-01 at 50% (20 samples: 4 used each), 16 on 11-02 at 10%
// (20 samples: 1.6 each). Sorted: 20 × 1.6 then 20 × 4; position 38 holds 4: P95Used 4.
func TestMeasureIdleHandComputed(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	v1 := append(hourly("R1", "cpu_util", "2026-11-01", seq(1, 20)...), hourly("R1", "cpu_util", "2026-11-02", seq(21, 40)...)...)
	v1 = append(v1, hourly("R1", "mem_util", "2026-11-01", repeat(99, 20)...)...)
	v1 = append(v1, sample{"R1", "cpu_util", "2026-10-31T23:00:00+08:00", 100})
	v1 = append(v1, sample{"R1", "cpu_util", "2026-11-03T01:00:00+08:00", 150}, sample{"R1", "cpu_util", "2026-11-03T02:00:00+08:00", -3},
		sample{"R1", "cpu_util", "2026-11-03T03:00:00+08:00", math.NaN()})
	v1 = append(v1, hourly("R2", "cpu_util", "2026-11-01", repeat(50, 20)...)...)
	v1 = append(v1, hourly("R2", "cpu_util", "2026-11-02", repeat(10, 20)...)...)
	insertSamples(t, s, 1, v1)
	insertSamples(t, s, 2, []sample{{"R1", "cpu_util", "2026-11-02T19:00:00+08:00", 2}, {"R1", "cpu_util", "2026-11-02T18:00:00+08:00", 39}})

	day := calendar.MustDate
	from, to := idle.Window(day("2026-11-30"))
	rs := []idle.Resource{
		{Order: "O1", Resource: "R1", Kind: idle.KindVCPU, Spans: []idle.Span{{From: from, To: to, Quantity: decimal.NewFromInt(4)}}},
		{Order: "O2", Resource: "R2", Kind: idle.KindVCPU, Spans: []idle.Span{
			{From: day("2026-11-01"), To: day("2026-11-01"), Quantity: decimal.NewFromInt(8)},
			{From: day("2026-11-02"), To: to, Quantity: decimal.NewFromInt(16)}}},
		{Order: "O3", Resource: "R3", Kind: idle.KindMemory, Spans: []idle.Span{{From: from, To: to, Quantity: decimal.NewFromInt(4)}}},
	}
	for _, chunk := range []int{4000, 1} {
		t.Run(fmt.Sprintf("chunks of %d", chunk), func(t *testing.T) {
			defer s.SetIdleMeasureChunk(chunk)()
			ms, err := s.MeasureIdle(ctx, from, to, rs)
			require.NoError(t, err)
			assert.Equal(t, idle.Measure{Days: 2, Samples: 40, Excluded: 3, P95Used: decimal.RequireFromString("1.52")}, norm(ms["O1"]))
			assert.Equal(t, idle.Measure{Days: 2, Samples: 40, P95Used: decimal.RequireFromString("4")}, norm(ms["O2"]))
			_, ok := ms["O3"]
			assert.False(t, ok, "a resource without samples has no measure")
		})
	}
	// R1's rows hold a duplicate and a correction: read as stored they would count 42
	// samples (39 twice, 40 and its correction 2): the exact pass (argMax per identity) is
	// what gives 40. R2 has none: the pass as stored is already exact.
	*chstore.IdleMeasureFastOnly = true
	defer func() { *chstore.IdleMeasureFastOnly = false }()
	ms, err := s.MeasureIdle(ctx, from, to, rs)
	require.NoError(t, err)
	assert.Equal(t, 42, ms["O1"].Samples)
	assert.Equal(t, idle.Measure{Days: 2, Samples: 40, P95Used: decimal.RequireFromString("4")}, norm(ms["O2"]))
}

// norm makes decimals comparable with assert.Equal.
func norm(m idle.Measure) idle.Measure {
	m.P95Used = decimal.RequireFromString(m.P95Used.String())
	return m
}

func TestIdleConfigAndCasesRoundTrip(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	imp := catalog.Import{ID: "idle-config-1", Kind: "idle-config", File: "ratios.csv", At: now}
	d := decimal.RequireFromString
	vs := []idle.Version{
		{Kind: idle.KindVCPU, Effective: calendar.MustDate("2026-01-01"), Ratio: d("0.25"), Sizes: idle.Sizes{d("1"), d("2"), d("4")}, File: "ratios.csv", Line: 2},
		{Kind: idle.KindMemory, Effective: calendar.MustDate("2026-01-01"), Until: calendar.MustDate("2026-06-30"), Ratio: d("0.3"), File: "ratios.csv", Line: 3},
	}
	require.NoError(t, s.InsertIdleVersions(ctx, imp, vs))
	cfg, err := s.IdleConfig(ctx)
	require.NoError(t, err)
	require.Len(t, cfg.Versions, 2)
	assert.Equal(t, "vcpu from 2026-01-01: ratio 0.25, sizes 1|2|4", cfg.Versions[0].String())
	assert.Equal(t, "memory from 2026-01-01: ratio 0.3 until 2026-06-30", cfg.Versions[1].String())

	c := idle.Case{ID: "20261130-D1-vcpu", Department: "D1", Parent: "D0", Kind: idle.KindVCPU, Reminder: calendar.MustDate("2026-11-30"),
		Deadline: calendar.MustDate("2026-12-30"), Ratio: d("0.2"), IdleRatio: d("0.5"), Allocated: d("16"), Target: d("10"), Saving: d("240"),
		Orders: []idle.CaseOrder{{Order: "O1", Resource: "R1", Item: "C01", Zone: "extranet", Allocated: d("16"), Recommended: d("10"), Saving: d("240")}},
		State:  idle.StateOpen, StateOn: calendar.MustDate("2026-11-30")}
	require.NoError(t, s.SaveCases(ctx, []idle.Case{c}, now))
	got, err := s.Cases(ctx)
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, c.ID, got[0].ID)
	assert.Equal(t, idle.StateOpen, got[0].State)
	assert.Equal(t, "10", got[0].Target.String())
	assert.Equal(t, "10", got[0].Orders[0].Recommended.String())

	c.State, c.StateOn = idle.StateOverdue, calendar.MustDate("2026-12-31")
	require.NoError(t, s.SaveStates(ctx, []idle.Case{c}, now.Add(time.Hour)))
	got, err = s.Cases(ctx)
	require.NoError(t, err)
	assert.Equal(t, idle.StateOverdue, got[0].State)
	assert.Equal(t, "2026-12-31", got[0].StateOn.String())

	pend, err := s.PendingDeliveries(ctx)
	require.NoError(t, err)
	require.Len(t, pend, 2, "the open and the overdue events wait for delivery")

	// The evidence of many cases in one query is what one query per case reads.
	row := func(order catalog.OrderID, res catalog.ResourceID, p95 string) idle.Row {
		r := idle.Row{Resource: idle.Resource{Order: order, Resource: res, Department: "D1", Kind: idle.KindVCPU, Item: "C01", Zone: "extranet", Allocated: d("16")},
			P95Util: d(p95), Used: d("1.6"), Status: idle.StatusReduce, Recommended: d("2"), Saving: d("532")}
		r.Days, r.Samples, r.Expected = 30, 720, 720
		return r
	}
	g := idle.Group{Department: "D1", Kind: idle.KindVCPU, Ratio: d("0.2"), Allocated: d("32"), Used: d("3.2"), IdleRatio: d("0.9")}
	c2 := idle.CaseID("20261130-D2-vcpu")
	g2 := g
	g2.Department = "D2"
	require.NoError(t, s.SaveEvidence(ctx, []idle.Evidence{
		{Case: c.ID, Analysis: calendar.MustDate("2026-11-30"), Group: g, Rows: []idle.Row{row("O2", "R2", "10"), row("O1", "R1", "12.5")}},
		{Case: c2, Analysis: calendar.MustDate("2026-11-30"), Group: g2, Rows: []idle.Row{row("O3", "R3", "9")}},
	}, now))
	require.NoError(t, s.SaveEvidence(ctx, []idle.Evidence{
		{Case: c.ID, Analysis: calendar.MustDate("2026-12-30"), Group: g, Rows: []idle.Row{row("O1", "R1", "11")}},
	}, now.Add(time.Hour)))
	all, err := s.EvidenceOf(ctx, []idle.CaseID{c.ID, c2, "20261130-D9-vcpu"})
	require.NoError(t, err)
	require.Len(t, all, 2, "a case without evidence has no entry")
	for _, id := range []idle.CaseID{c.ID, c2} {
		one, err := s.Evidence(ctx, id)
		require.NoError(t, err)
		assert.Equal(t, one, all[id], id)
	}
	require.Len(t, all[c.ID], 2)
	assert.Equal(t, "2026-11-30", all[c.ID][0].Analysis.String(), "oldest analysis first")
	assert.Equal(t, []catalog.OrderID{"O1", "O2"}, []catalog.OrderID{all[c.ID][0].Rows[0].Order, all[c.ID][0].Rows[1].Order}, "rows by order")
	assert.Equal(t, "12.5", all[c.ID][0].Rows[0].P95Util.String())
	assert.Equal(t, "D2", string(all[c2][0].Group.Department))
}

// TestMeasureIdleOwnVendorOnly: a sample counts only for its own vendor. R1 is V1's
// (4 vCPU): V1 sends cpu_util 10 for 20 hours of 11-01, an operator's file (source
// "ops.csv", no vendor's id) 20 for 20 hours of 11-02; V2 sends 90 for 20 hours of 11-03
// and, as a later version, 95 over V1's own 11-01 hours. V1's measure takes 40 samples on
// 2 days (10 and 20: p95 = 20 % of 4 = 0.8), none of V2's, in both passes.
func TestMeasureIdleOwnVendorOnly(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	conn := chtest.Conn(t, s)
	vb, err := conn.PrepareBatch(ctx, "INSERT INTO vendors (id, name, import_id, import_seq, file, line, imported_at)")
	require.NoError(t, err)
	for i, v := range []string{"V1", "V2"} {
		require.NoError(t, vb.Append(v, "vendor "+v, "imp", uint64(1), "vendors.csv", uint32(i+2), time.Unix(1700000000, 0)))
	}
	require.NoError(t, vb.Send())
	insert := func(source string, version uint64, ss []sample) {
		b, err := conn.PrepareBatch(ctx, "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)")
		require.NoError(t, err)
		for _, x := range ss {
			ts, err := time.Parse(time.RFC3339, x.ts)
			require.NoError(t, err)
			require.NoError(t, b.Append(x.res, x.metric, ts, x.value, source, time.Unix(1700000000, 0), version))
		}
		require.NoError(t, b.Send())
	}
	insert("V1", 1, hourly("R1", "cpu_util", "2026-11-01", repeat(10, 20)...))
	insert("ops.csv", 1, hourly("R1", "cpu_util", "2026-11-02", repeat(20, 20)...))
	insert("V2", 1, hourly("R1", "cpu_util", "2026-11-03", repeat(90, 20)...))
	insert("V2", 2, hourly("R1", "cpu_util", "2026-11-01", repeat(95, 20)...))

	from, to := idle.Window(calendar.MustDate("2026-11-30"))
	rs := []idle.Resource{{Order: "O1", Resource: "R1", Kind: idle.KindVCPU, Vendor: "V1", Spans: []idle.Span{{From: from, To: to, Quantity: decimal.NewFromInt(4)}}}}
	want := idle.Measure{Days: 2, Samples: 40, P95Used: decimal.RequireFromString("0.8")}
	ms, err := s.MeasureIdle(ctx, from, to, rs)
	require.NoError(t, err)
	assert.Equal(t, want, norm(ms["O1"]))
	*chstore.IdleMeasureFastOnly = true
	defer func() { *chstore.IdleMeasureFastOnly = false }()
	ms, err = s.MeasureIdle(ctx, from, to, rs)
	require.NoError(t, err)
	assert.Equal(t, want, norm(ms["O1"]), "read as stored")
}
