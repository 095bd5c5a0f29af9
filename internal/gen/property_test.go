package gen

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// TestTimelineProperty: on generated orders of many seeds and months, catalog.Timeline's
// segments never overlap, run forward, and cover exactly the days the generator put
// each order in service (its own day-by-day reading of the events, which the samples
// follow), with the quantity of that day.
func TestTimelineProperty(t *testing.T) {
	for _, period := range []string{"2026-11", "2027-01", "2028-02", "2026-03", "2026-12"} {
		for seed := int64(1); seed <= 8; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", period, seed), func(t *testing.T) {
				cfg := Config{Out: t.TempDir(), Scale: Small, Period: calendar.MustPeriod(period), Seed: seed}
				_, err := Generate(context.Background(), cfg)
				require.NoError(t, err)
				ds, err := Load(cfg.Out)
				require.NoError(t, err)
				require.NoError(t, ds.Check())
				w, err := build(cfg)
				require.NoError(t, err)
				require.Len(t, ds.Orders, len(w.orders))
				p := cfg.Period
				for _, o := range w.orders {
					segs, err := ds.Segments(catalog.OrderID(o.id))
					require.NoError(t, err)
					want := w.inService(o)
					got := make([]float64, len(want))
					for i, s := range segs {
						require.False(t, s.To.Before(s.From), "order %s: segment %s…%s runs backwards", o.id, s.From, s.To)
						if i > 0 {
							require.True(t, segs[i-1].To.Before(s.From), "order %s: segments overlap at %s", o.id, s.From)
						}
						for d := s.From; !d.After(s.To); d = d.AddDays(1) {
							if p.Contains(d) {
								q, _ := s.Quantity.Float64()
								got[d.Day-1] = q
							}
						}
					}
					assert.Equal(t, want, got, "order %s: quantity per day", o.id)
				}
			})
		}
	}
}

// TestCityNames: a city's departments and projects have unique ids and names.
func TestCityNames(t *testing.T) {
	w, err := build(Config{Out: "unused", Scale: City, Period: calendar.MustPeriod("2026-11"), Seed: 9})
	require.NoError(t, err)
	ids, names := map[string]bool{}, map[string]bool{}
	for _, d := range w.depts {
		assert.False(t, ids[d.id], "department id %s twice", d.id)
		assert.False(t, names[d.name], "department name %s twice", d.name)
		ids[d.id], names[d.name] = true, true
	}
	pids := map[string]bool{}
	for _, p := range w.projects {
		assert.False(t, pids[p.id], "project id %s twice", p.id)
		pids[p.id] = true
	}
	assert.Len(t, w.depts, 1000)
}

// TestStaleSamplesRemoved: regenerating into the same directory leaves only the new
// dataset's sample files.
func TestStaleSamplesRemoved(t *testing.T) {
	dir := t.TempDir()
	cfg := Config{Out: dir, Scale: Small, Period: calendar.MustPeriod("2026-11"), Seed: 1, Samples: true}
	_, err := Generate(context.Background(), cfg)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, samplesDir, "huawei-2026-10-01.csv"), []byte("x\n"), 0o644))
	cfg.Samples = false
	m, err := Generate(context.Background(), cfg)
	require.NoError(t, err)
	assert.Empty(t, m.Samples)
	left, err := filepath.Glob(filepath.Join(dir, samplesDir, "*"))
	require.NoError(t, err)
	assert.Empty(t, left)
}
