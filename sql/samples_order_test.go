package chstore

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"cloudbill/metering"
)

// TestSampleOrder: the rows of an insert go out in the table's sort order (resource_id,
// metric, ts), every row once, rows of one identity in the order they came (their
// versions), whether or not equal strings are shared, and a time-major batch needs no
// sort per series.
func TestSampleOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, shared := range []bool{true, false} {
		var b metering.Batch
		ids := []string{"vm-b", "vm-a", "vm-c", "vm-a2"}
		metrics := []string{"net_out_gb", "cpu_util"}
		for i := 0; i < 5000; i++ {
			r, m := ids[rng.IntN(len(ids))], metrics[rng.IntN(len(metrics))]
			if !shared { // equal strings at different places
				r, m = strings.Clone(r), strings.Clone(m)
			}
			b.Append(metering.Sample{ResourceID: r, Metric: m, Value: float64(i), Source: "t"})
			b.TS[i] = 1_700_000_000 + int64(rng.IntN(50))*300
			b.Version[i] = uint64(i + 1)
		}
		var sc sortedColumns
		sc.fill(&b)
		require.Len(t, sc.order, b.Len())
		seen := make([]bool, b.Len())
		for k := range sc.order {
			require.False(t, seen[sc.order[k]], "row %d sent twice", sc.order[k])
			seen[sc.order[k]] = true
			require.Equal(t, b.ResourceID[sc.order[k]], sc.resource.Row(k))
			require.Equal(t, b.Metric[sc.order[k]], sc.metric.Row(k))
			require.Equal(t, b.Source[sc.order[k]], sc.source.Row(k))
			require.Equal(t, b.Value[sc.order[k]], sc.value[k])
			require.Equal(t, b.TS[sc.order[k]], int64(sc.ts.Data[k]))
			require.Equal(t, b.Version[sc.order[k]]/1e9, uint64(sc.ingested.Data[k]))
			if k == 0 {
				continue
			}
			prev := [2]string{sc.resource.Row(k - 1), sc.metric.Row(k - 1)}
			cur := [2]string{sc.resource.Row(k), sc.metric.Row(k)}
			require.LessOrEqual(t, prev[0]+"\x00"+prev[1], cur[0]+"\x00"+cur[1], "row %d", k)
			if prev == cur {
				require.LessOrEqual(t, sc.ts.Data[k-1], sc.ts.Data[k], "row %d", k)
				if sc.ts.Data[k-1] == sc.ts.Data[k] {
					require.Less(t, sc.version[k-1], sc.version[k], "one identity keeps its order")
				}
			}
		}
		// the fallback for a driver that keeps its columns otherwise holds the same rows
		vals := sc.values()
		require.Len(t, vals, 7)
		require.Equal(t, sc.resource.Row(7), vals[0].([]string)[7])
		require.Equal(t, int64(sc.ts.Data[7]), vals[2].([]int64)[7])
		// the same batch gives the same block (a retried insert is recognised)
		again := append([]int32(nil), sc.order...)
		require.Equal(t, again, new(sortedColumns).sampleOrder(&b))
		// grouped by the batcher (its series distinct by value, in the order met): the
		// same order, without grouping again
		g := &metering.Grouping{OfRow: make([]int32, b.Len())}
		idx := map[metering.Series]int32{}
		for i := range b.Len() {
			k := metering.Series{ResourceID: b.ResourceID[i], Metric: b.Metric[i]}
			j, ok := idx[k]
			if !ok {
				j = int32(len(g.Keys))
				idx[k] = j
				g.Keys = append(g.Keys, k)
			}
			g.OfRow[i] = j
		}
		b.Grouping = g
		require.Equal(t, again, new(sortedColumns).sampleOrder(&b))
		require.Equal(t, again, sc.sampleOrder(&b), "a reused sortedColumns")
		require.Equal(t, g.OfRow, func() []int32 { // the batcher's grouping is not written into
			out := make([]int32, b.Len())
			for i := range out {
				out[i] = idx[metering.Series{ResourceID: b.ResourceID[i], Metric: b.Metric[i]}]
			}
			return out
		}())
		b.Grouping = nil
	}
}
