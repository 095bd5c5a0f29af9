package rating

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// memory is a hand-written in-memory store for the Rater's flow (the ClickHouse store is
// tested in package chstore).
type memory struct {
	in     Input
	closes []Close
	runs   map[calendar.Period][]Run
	lines  map[string][]Line
	saves  int
}

func (m *memory) Catalog(context.Context) (catalog.Catalog, error)     { return m.in.Catalog, nil }
func (m *memory) Org(context.Context) (catalog.Org, error)             { return m.in.Org, nil }
func (m *memory) OrderEvents(context.Context) ([]catalog.Event, error) { return m.in.Events, nil }
func (m *memory) Acceptances(_ context.Context, p calendar.Period) ([]catalog.Acceptance, error) {
	var out []catalog.Acceptance
	for _, a := range m.in.Acceptances {
		if a.Period == p {
			out = append(out, a)
		}
	}
	return out, nil
}
func (m *memory) UsageAggregates(_ context.Context, _ calendar.Period, ws []UsageWindow) (Usage, error) {
	u := Usage{}
	for _, w := range ws {
		if q, ok := m.in.Usage[w]; ok {
			u[w] = q
		}
	}
	return u, nil
}
func (m *memory) Closes(context.Context) ([]Close, error) {
	return append([]Close(nil), m.closes...), nil
}
func (m *memory) RatedLines(ctx context.Context, p calendar.Period) ([]Line, error) {
	for _, c := range m.closes {
		if c.Period == p {
			return m.lines[c.RunID], nil
		}
	}
	r, err := m.LatestRun(ctx, p)
	if err != nil {
		return nil, err
	}
	return m.lines[r.ID], nil
}
func (m *memory) LatestRun(_ context.Context, p calendar.Period) (Run, error) {
	rs := m.runs[p]
	if len(rs) == 0 {
		return Run{}, ErrNotRated
	}
	return rs[len(rs)-1], nil
}
func (m *memory) SaveRun(_ context.Context, r Run, lines []Line, _ []VendorDeduction) error {
	m.saves++
	if m.runs == nil {
		m.runs, m.lines = map[calendar.Period][]Run{}, map[string][]Line{}
	}
	m.runs[r.Period] = append(m.runs[r.Period], r)
	m.lines[r.ID] = lines
	return nil
}

func TestRaterFlow(t *testing.T) {
	// one order of 40 × 3 a month since September 2026
	item := catalog.Item{Code: "C01", Billing: catalog.Allocated, Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: d("40")}}
	m := &memory{in: Input{
		Catalog: catalog.Catalog{Versions: []catalog.Version{{Effective: calendar.MustDate("2026-01-01"), Items: map[catalog.ItemCode]catalog.Item{"C01": item}}}},
		Org:     catalog.Org{Projects: map[catalog.ProjectKey]catalog.Project{{ID: "P1", Year: 2026}: {ID: "P1", Year: 2026, Category: catalog.CategoryOM, Approved: true}}},
		Events: []catalog.Event{{Order: "O1", Kind: catalog.EventOpen, Effective: calendar.MustDate("2026-09-01"),
			Config: catalog.Config{Department: "D1", Project: "P1", Vendor: "V1", Zone: catalog.ZoneInternet, Item: "C01", Quantity: d("3")}}},
	}}
	clock := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	r, err := New(Config{Master: m, Usage: m, Results: m, Now: func() time.Time { return clock }, Lookback: 1})
	require.NoError(t, err)
	ctx := context.Background()
	sep, oct, nov := calendar.MustPeriod("2026-09"), calendar.MustPeriod("2026-10"), calendar.MustPeriod("2026-11")

	for _, p := range []calendar.Period{sep, oct} {
		out, err := r.Rate(ctx, p)
		require.NoError(t, err)
		m.closes = append(m.closes, Close{Period: p, RunID: out.Run.ID})
	}
	_, err = r.Rate(ctx, oct)
	require.ErrorIs(t, err, ErrPeriodClosed)

	// late news: terminated on 15 September (before the lookback of 1 month) — reported,
	// and its effect on October (the closed month re-rated) is adjusted: −120.00
	m.in.Events = append(m.in.Events, catalog.Event{Order: "O1", Kind: catalog.EventTerminate, Effective: calendar.MustDate("2026-09-15"), Late: true,
		Config: m.in.Events[0].Config})
	out, err := r.Rate(ctx, nov)
	require.NoError(t, err)
	var adj []Line
	for _, l := range out.Lines {
		if l.Kind == KindAdjustment {
			adj = append(adj, l)
		}
	}
	require.Len(t, adj, 1)
	assert.Equal(t, oct, adj[0].Corrects)
	assert.Equal(t, KindCharge, adj[0].CorrectsKind)
	assert.Equal(t, "-120.00", adj[0].Amount.StringFixed(2))
	assert.Contains(t, fmt.Sprint(out.Run.Exceptions), "order O1: late terminate of 2026-09-15 is in a closed month older than the 1 re-rated (from 2026-10): not adjusted")

	saves := m.saves
	clock = clock.Add(time.Hour)
	again, err := r.Rate(ctx, nov)
	require.NoError(t, err)
	assert.True(t, again.Unchanged)
	assert.Equal(t, saves, m.saves, "unchanged inputs: nothing written")
	assert.Equal(t, out.Run.ID, again.Run.ID)
}

// TestFingerprintFork: parts added to forks, in any order, and joined in order give the
// hash of adding them one after the other.
func TestFingerprintFork(t *testing.T) {
	direct := newFingerprint()
	direct.add("engine", "x")
	direct.add("catalog", []int{1, 2, 3})
	direct.add("month", "2026-11")
	direct.add("closed", map[string]int{"a": 1})
	want := direct.sum()

	fp := newFingerprint()
	fp.add("engine", "x")
	a, b := fp.fork(), fp.fork()
	b.add("closed", map[string]int{"a": 1}) // fed first, joined last
	a.add("catalog", []int{1, 2, 3})
	a.add("month", "2026-11")
	fp.join(a)
	fp.join(b)
	if got := fp.sum(); got != want {
		t.Fatalf("joined forks: %s, want %s", got, want)
	}
	other := newFingerprint()
	other.add("engine", "x")
	other.join(b)
	other.join(a)
	if other.sum() == want {
		t.Fatal("forks joined in another order give the same hash")
	}
}
