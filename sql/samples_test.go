package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/metering"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

func chstoreFilter() chstore.SampleFilter {
	return chstore.SampleFilter{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), Metric: "cpu"}
}

func sampleBatch(version uint64, values ...float64) *metering.Batch {
	var b metering.Batch
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for i, v := range values {
		b.Append(metering.Sample{ResourceID: "vm-1", Metric: "cpu", TS: t0.Add(time.Duration(i) * time.Minute), Value: v, Source: "test"})
		b.Version[i] = version + uint64(i)
	}
	return &b
}

func TestSamplesIdempotent(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	require.NoError(t, s.InsertSamples(ctx, sampleBatch(1000, 1, 2, 3)))
	first, err := s.SampleStats(ctx, chstoreFilter())
	require.NoError(t, err)
	assert.Equal(t, uint64(3), first.Samples)
	assert.Equal(t, 6.0, first.Sum)

	// the same samples again (a later ingest of the same file): nothing changes
	require.NoError(t, s.InsertSamples(ctx, sampleBatch(2000, 1, 2, 3)))
	again, err := s.SampleStats(ctx, chstoreFilter())
	require.NoError(t, err)
	assert.Equal(t, first.Samples, again.Samples)
	assert.Equal(t, first.Sum, again.Sum)
	assert.Equal(t, uint64(6), again.Rows, "both copies stored until merged")

	// a correction of the second sample replaces it; an older version does not
	corr := sampleBatch(3000, 1, 20)
	require.NoError(t, s.InsertSamples(ctx, corr))
	require.NoError(t, s.InsertSamples(ctx, sampleBatch(1, 100, 200, 300)))
	got, err := s.SampleStats(ctx, chstoreFilter())
	require.NoError(t, err)
	assert.Equal(t, uint64(3), got.Samples)
	assert.Equal(t, 24.0, got.Sum)
	latest, err := s.LatestSamples(ctx, chstoreFilter())
	require.NoError(t, err)
	require.Len(t, latest, 3)
	assert.Equal(t, 20.0, latest[1].Value)
	assert.Equal(t, time.Date(2026, 11, 1, 0, 1, 0, 0, time.UTC), latest[1].TS.UTC())

	// after ClickHouse merges the rows, the figures are the same
	require.NoError(t, chtest.Conn(t, s).Exec(ctx, "OPTIMIZE TABLE usage_samples FINAL"))
	merged, err := s.SampleStats(ctx, chstoreFilter())
	require.NoError(t, err)
	assert.Equal(t, got.Samples, merged.Samples)
	assert.Equal(t, got.Sum, merged.Sum)
	assert.Equal(t, uint64(3), merged.Rows)
}

func TestStoredDuplicates(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	series := []metering.Series{{ResourceID: "vm-1", Metric: "cpu"}, {ResourceID: "vm-2", Metric: "cpu"}}
	nov := metering.TSRange{First: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix(), Last: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix() - 1}
	got, err := s.StoredRanges(ctx, series, nov)
	require.NoError(t, err)
	assert.Empty(t, got, "nothing stored yet")
	require.NoError(t, s.InsertSamples(ctx, sampleBatch(10, 1, 2, 3)))
	got, err = s.StoredRanges(ctx, series, nov)
	require.NoError(t, err)
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	assert.Equal(t, map[metering.Series]metering.TSRange{series[0]: {First: t0, Last: t0 + 120}}, got)
	got, err = s.StoredRanges(ctx, series, metering.TSRange{First: nov.Last + 1, Last: nov.Last + 86400})
	require.NoError(t, err)
	assert.Empty(t, got, "only the window asked is read")

	// same values, a corrected value, and a sample after the stored range
	b := sampleBatch(20, 1, 5, 3, 4)
	dup := make([]bool, 4)
	require.NoError(t, s.StoredDuplicates(ctx, b, []int{0, 1, 2, 3}, dup))
	assert.Equal(t, []bool{true, false, true, false}, dup)
}

// TestInsertSamplesNative: the sample columns are built in the driver's own form and
// handed to its batch without a copy through Append (the file-ingest speed depends on
// it). A driver upgrade that keeps its columns otherwise still inserts correctly, through
// Append, but slower: this test then fails to say so.
func TestInsertSamplesNative(t *testing.T) {
	s := chtest.New(t)
	ok, err := chstore.InsertsNatively(context.Background(), s)
	require.NoError(t, err)
	assert.True(t, ok, "InsertSamples fell back to Append: clickhouse-go's columns changed (sql/samples.go, sortedColumns.into)")
}
