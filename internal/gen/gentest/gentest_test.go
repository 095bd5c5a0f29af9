package gentest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/gen"
)

func TestSmall(t *testing.T) {
	ds := Small(t, "2026-11", 2)
	assert.Equal(t, calendar.MustPeriod("2026-11"), ds.Manifest.Period)
	assert.Len(t, ds.Orders, 30)
	assert.NotEmpty(t, ds.Manifest.Samples)
	st, err := ds.CheckSamples()
	require.NoError(t, err)
	assert.Equal(t, ds.Manifest.Counts.Samples, st.Samples)
}

func TestDatasetNoSamples(t *testing.T) {
	ds := Dataset(t, gen.Config{Scale: gen.District, Period: calendar.MustPeriod("2026-02"), Seed: 3})
	assert.Len(t, ds.Orders, 2000)
	assert.Empty(t, ds.Manifest.Samples)
}
