package chstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/metering"
	"cloudbill/sql/chtest"
)

// TestStoredLatest: what is stored of some series in a window, the latest version of each
// ts (rows not merged yet included), in ts order; only the window and the series asked;
// more rows than asked for is ErrTooManyStored.
func TestStoredLatest(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	nov := metering.TSRange{First: t0, Last: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Unix() - 1}
	vm1, vm2, vm3 := metering.Series{ResourceID: "vm-1", Metric: "cpu"}, metering.Series{ResourceID: "vm-2", Metric: "cpu"}, metering.Series{ResourceID: "vm-3", Metric: "cpu"}
	// vm-1: three samples, then a correction of the second in a later insert; vm-2 one
	// sample in November and one in December; vm-3 nothing
	require.NoError(t, s.InsertSamples(ctx, sampleBatch(10, 1, 2, 3)))
	require.NoError(t, s.InsertSamples(ctx, sampleBatch(1, 100, 200, 300)), "older versions lose")
	corr := sampleBatch(100, 1, 20)
	require.NoError(t, s.InsertSamples(ctx, corr))
	var other metering.Batch
	other.Append(metering.Sample{ResourceID: "vm-2", Metric: "cpu", TS: time.Unix(t0+600, 0), Value: 7, Source: "test"})
	other.Append(metering.Sample{ResourceID: "vm-2", Metric: "cpu", TS: time.Unix(nov.Last+60, 0), Value: 8, Source: "test"})
	other.Version[0], other.Version[1] = 50, 51
	require.NoError(t, s.InsertSamples(ctx, &other))

	got, err := s.StoredLatest(ctx, []metering.Series{vm3, vm2, vm1}, nov, 100)
	require.NoError(t, err)
	assert.Equal(t, map[metering.Series]*metering.StoredSeries{
		vm1: {TS: []uint32{uint32(t0), uint32(t0 + 60), uint32(t0 + 120)}, Value: []float64{1, 20, 3}, Version: []uint64{100, 101, 12}},
		vm2: {TS: []uint32{uint32(t0 + 600)}, Value: []float64{7}, Version: []uint64{50}},
	}, got)

	got, err = s.StoredLatest(ctx, []metering.Series{vm1}, metering.TSRange{First: t0 + 60, Last: t0 + 60}, 100)
	require.NoError(t, err)
	assert.Equal(t, map[metering.Series]*metering.StoredSeries{vm1: {TS: []uint32{uint32(t0 + 60)}, Value: []float64{20}, Version: []uint64{101}}}, got, "only the window")

	_, err = s.StoredLatest(ctx, []metering.Series{vm1, vm2}, nov, 5)
	assert.ErrorIs(t, err, metering.ErrTooManyStored, "9 rows stored, 5 asked for")
}
