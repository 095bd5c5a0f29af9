package chstore_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/sql/chtest"
)

func datasetOf(dir string, m gen.Manifest) catalog.Dataset {
	ds := catalog.Dataset{Dir: dir, Adaptations: m.Adaptations, Departments: m.Departments, Projects: m.Projects,
		Vendors: m.Vendors, Acceptance: m.Acceptance, Orders: []string{m.Orders}}
	for _, c := range m.Catalogs {
		ds.Catalogs = append(ds.Catalogs, catalog.VersionFile{File: c.File, Effective: c.Effective})
	}
	return ds
}

// TestImportGenerated: every import round-trips a generated district month, and the
// whole dataset imported again changes nothing.
func TestImportGenerated(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	period := calendar.MustPeriod("2026-11")
	m, err := gen.Generate(ctx, gen.Config{Out: dir, Scale: gen.Small, Period: period, Seed: 7})
	require.NoError(t, err)
	s := chtest.New(t)
	clk := newClock()
	rep, err := catalog.ImportDataset(ctx, s, datasetOf(dir, m), clk.now)
	require.NoError(t, err)
	for _, f := range rep.Files {
		assert.Positive(t, f.Report.Accepted, "%s %s", f.Kind, f.File)
		assert.Zero(t, f.Report.Present, "%s %s", f.Kind, f.File)
	}

	// catalog versions as parsed from the files
	cat, err := s.Catalog(ctx)
	require.NoError(t, err)
	require.Len(t, cat.Versions, len(m.Catalogs))
	for i, c := range m.Catalogs {
		f, err := os.Open(filepath.Join(dir, c.File))
		require.NoError(t, err)
		want, err := catalog.ParseVersion(catalog.File{Name: c.File, R: f}, c.Effective)
		f.Close()
		require.NoError(t, err)
		got := cat.Versions[i]
		assert.Equal(t, c.Effective, got.Effective)
		require.Len(t, got.Items, len(want.Items))
		for code, w := range want.Items {
			g := got.Items[code]
			assert.Equal(t, w.Source.Line, g.Source.Line, "item %s", code)
			assert.Equal(t, c.File, g.Source.File)
			assert.Equal(t, w.Name, g.Name)
			assert.Equal(t, len(w.Prices), len(g.Prices), "item %s zones", code)
			for z, p := range w.Prices {
				assert.True(t, p.Equal(g.Prices[z]), "item %s %s: got %s, want %s", code, z, g.Prices[z], p)
			}
		}
	}

	org, err := s.Org(ctx)
	require.NoError(t, err)
	assert.Len(t, org.Departments, m.Counts.Departments)
	assert.Len(t, org.Projects, m.Counts.Projects)
	assert.Len(t, org.Vendors, m.Counts.Vendors)

	// events as read back equal the events the file gives on a fresh check
	events, err := s.OrderEvents(ctx)
	require.NoError(t, err)
	require.Len(t, events, m.Counts.Events)
	f, err := os.Open(filepath.Join(dir, m.Orders))
	require.NoError(t, err)
	want, _, err := catalog.CheckEvents(catalog.File{Name: m.Orders, R: f}, cat, org, nil, nil)
	f.Close()
	require.NoError(t, err)
	catalog.SortEvents(want)
	require.Len(t, want, len(events))
	orders := map[catalog.OrderID]bool{}
	for i := range want {
		got := events[i]
		assert.NotEmpty(t, got.Source.ImportID)
		got.Source.ImportID = ""
		assert.True(t, want[i].Quantity.Equal(got.Quantity), "event %d quantity", i)
		want[i].Quantity = got.Quantity // equal in value; scales differ
		assert.Equal(t, want[i], got, "event %d", i)
		orders[got.Order] = true
	}
	assert.Len(t, orders, m.Counts.Orders)
	// every order's timeline is valid up to the period's end
	byOrder := map[catalog.OrderID][]catalog.Event{}
	for _, e := range events {
		byOrder[e.Order] = append(byOrder[e.Order], e)
	}
	for id, es := range byOrder {
		_, err := catalog.Timeline(es, period.Last())
		assert.NoError(t, err, "order %s", id)
	}

	acc, err := s.Acceptances(ctx, period)
	require.NoError(t, err)
	assert.Len(t, acc, m.Counts.Vendors)

	before := tableCounts(t, s)
	again, err := catalog.ImportDataset(ctx, s, datasetOf(dir, m), func() time.Time { return clk.now() })
	require.NoError(t, err)
	for _, f := range again.Files {
		assert.Zero(t, f.Report.Accepted, "%s %s stored again", f.Kind, f.File)
		assert.Equal(t, f.Report.Read, f.Report.Present, "%s %s", f.Kind, f.File)
	}
	assert.Equal(t, before, tableCounts(t, s), "a second import changes nothing")
}
