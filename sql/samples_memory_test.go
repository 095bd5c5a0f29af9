package chstore_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/idle"
	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/rating"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// memoryLimit is the per-query limit the sample queries run under: far below what
// grouping the test month's identities at once needs (the test checks that it does fail).
const memoryLimit = 48 << 20

// The month of the test: 2,000 resources × 2 metrics × 600 samples (every 5 minutes from
// 2026-11-01 UTC), 2.4 M identities, and 10% of them sent twice (a later version).
const (
	memResources = 2000
	memSteps     = 600
	memT0        = 1793491200 // 2026-11-01T00:00:00Z
)

// TestSampleQueriesBoundedMemory runs every query that reads usage_samples under a
// per-query max_memory_usage far below the data's size: each must split its work (by
// resource range, by batch, by chunk of resources) instead of grouping the whole month.
func TestSampleQueriesBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 2.6 M samples")
	}
	cfg := chtest.Config(t)
	cfg.SampleChunkRows = 100_000
	ctx := context.Background()
	s, err := chstore.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = s.DropDatabase(context.Background(), cfg.Database)
		_ = s.Close()
	})
	fill := `INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)
SELECT concat('vm-', substring(toString(100000 + number % 2000), 2)),
       if(intDiv(number, 2000) % 2 = 0, 'cpu_util', 'net_out_gb'),
       toDateTime(1793491200 + intDiv(number, 4000) * 300),
       (number * 7919) % 10000 / 100, 'test', now(), number + 1
FROM system.numbers LIMIT 2400000`
	require.NoError(t, chtest.Conn(t, s).Exec(ctx, fill))
	require.NoError(t, chtest.Conn(t, s).Exec(ctx, `INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)
SELECT concat('vm-', substring(toString(100000 + number % 2000), 2)),
       if(intDiv(number, 2000) % 2 = 0, 'cpu_util', 'net_out_gb'),
       toDateTime(1793491200 + intDiv(number, 4000) * 300),
       (number * 7919) % 10000 / 100, 'again', now(), number + 10000000
FROM system.numbers WHERE number % 10 = 0 LIMIT 240000`))

	limited := clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_memory_usage": memoryLimit}))

	t.Run("grouping the whole month at once exceeds the limit", func(t *testing.T) {
		var n uint64
		err := chtest.Conn(t, s).QueryRow(limited, `SELECT count() FROM (SELECT resource_id, metric, ts, argMax(value, version)
FROM usage_samples GROUP BY resource_id, metric, ts)`).Scan(&n)
		require.Error(t, err, "the limit must be far below what the data needs, or this test proves nothing")
		assert.Contains(t, err.Error(), "Memory limit")
	})

	t.Run("SampleStats", func(t *testing.T) {
		st, err := s.SampleStats(limited, chstore.SampleFilter{})
		require.NoError(t, err)
		assert.Equal(t, uint64(2_400_000), st.Samples)
		assert.Equal(t, uint64(memResources), st.Resources)
	})

	t.Run("LatestSamples", func(t *testing.T) {
		f := chstore.SampleFilter{Metric: "cpu_util", From: time.Unix(memT0, 0), To: time.Unix(memT0+300*300, 0)}
		got, err := s.LatestSamples(limited, f)
		require.NoError(t, err)
		assert.Equal(t, memResources*300, len(got))
		for i := 1; i < len(got); i++ {
			a, b := got[i-1], got[i]
			if a.ResourceID > b.ResourceID || (a.ResourceID == b.ResourceID && !a.TS.Before(b.TS)) {
				t.Fatalf("not in order at %d: %v then %v", i, a, b)
			}
		}
	})

	t.Run("UsageAggregates", func(t *testing.T) {
		p := calendar.MustPeriod("2026-11")
		var ws []rating.UsageWindow
		for r := 0; r < memResources; r++ {
			res := catalog.ResourceID(fmt.Sprintf("vm-%05d", r))
			ws = append(ws,
				rating.UsageWindow{Resource: res, Metric: "cpu_util", Agg: catalog.AggP95, From: p.First(), To: p.Last()},
				rating.UsageWindow{Resource: res, Metric: "net_out_gb", Agg: catalog.AggSum, From: p.First(), To: p.Last()})
		}
		start := time.Now()
		got, err := s.UsageAggregates(limited, p, ws)
		require.NoError(t, err)
		t.Logf("chunked: %s", time.Since(start))
		assert.Equal(t, len(ws), len(got))
		// the same figures as one query over the month (no limit, one chunk)
		big := chtest.Config(t)
		big.Database = cfg.Database
		whole, err := chstore.Open(ctx, big)
		require.NoError(t, err)
		defer whole.Close()
		start = time.Now()
		want, err := whole.UsageAggregates(ctx, p, ws)
		require.NoError(t, err)
		t.Logf("whole: %s", time.Since(start))
		for w, q := range want {
			require.True(t, q.Equal(got[w]), "%s: got %s, want %s", w, got[w], q)
		}
		bad, err := s.UsageOutOfRange(limited, p, ws)
		require.NoError(t, err)
		assert.Empty(t, bad, "every test value is within range")
	})

	t.Run("StoredRanges and StoredDuplicates of a batch", func(t *testing.T) {
		var b metering.Batch
		for i := 1_000_000; i < 1_100_000; i++ {
			m := "cpu_util"
			if (i/2000)%2 == 1 {
				m = "net_out_gb"
			}
			b.Append(metering.Sample{ResourceID: fmt.Sprintf("vm-%05d", i%2000), Metric: m,
				TS: time.Unix(int64(memT0+(i/4000)*300), 0), Value: float64((i*7919)%10000) / 100})
		}
		var series []metering.Series
		for r := 0; r < memResources; r++ {
			series = append(series, metering.Series{ResourceID: fmt.Sprintf("vm-%05d", r), Metric: "cpu_util"})
		}
		ranges, err := s.StoredRanges(limited, series, metering.TSRange{First: memT0, Last: memT0 + 30*86400 - 1})
		require.NoError(t, err)
		assert.Len(t, ranges, memResources)
		idx := make([]int, b.Len())
		for i := range idx {
			idx[i] = i
		}
		dup := make([]bool, b.Len())
		require.NoError(t, s.StoredDuplicates(limited, &b, idx, dup))
		n := 0
		for _, d := range dup {
			if d {
				n++
			}
		}
		assert.Equal(t, b.Len(), n, "every sample of the batch is stored with that value")
	})

	t.Run("MeasureIdle", func(t *testing.T) {
		defer s.SetIdleMeasureChunk(80)() // 80 resources × 600 samples a chunk
		from, to := calendar.MustDate("2026-11-01"), calendar.MustDate("2026-11-03")
		var rs []idle.Resource
		for r := 0; r < memResources; r++ {
			rs = append(rs, idle.Resource{Order: catalog.OrderID(fmt.Sprintf("O-%05d", r)), Resource: catalog.ResourceID(fmt.Sprintf("vm-%05d", r)),
				Kind: idle.KindVCPU, Allocated: decimal.NewFromInt(4), Spans: []idle.Span{{From: from, To: to, Quantity: decimal.NewFromInt(4)}}})
		}
		got, err := s.MeasureIdle(limited, from, to, rs)
		require.NoError(t, err)
		assert.Len(t, got, memResources)
	})
}
