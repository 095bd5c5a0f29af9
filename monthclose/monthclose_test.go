package monthclose

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// fakeStore is an in-memory Store: rating runs and lines per month, and closes.
type fakeStore struct {
	runs   map[calendar.Period]rating.Run
	lines  map[calendar.Period][]rating.Line
	closes []rating.Close
	// rerate, when set, replaces the month's run after its lines are read.
	rerate *rating.Run
}

func newFake() *fakeStore {
	return &fakeStore{runs: map[calendar.Period]rating.Run{}, lines: map[calendar.Period][]rating.Line{}}
}

func (f *fakeStore) LatestRun(_ context.Context, p calendar.Period) (rating.Run, error) {
	r, ok := f.runs[p]
	if !ok {
		return rating.Run{}, fmt.Errorf("latest run of %s: %w", p, ErrNotRated)
	}
	return r, nil
}

func (f *fakeStore) RatedLines(_ context.Context, p calendar.Period) ([]rating.Line, error) {
	if _, ok := f.runs[p]; !ok {
		return nil, ErrNotRated
	}
	ls := f.lines[p]
	if f.rerate != nil {
		f.runs[p] = *f.rerate
		f.rerate = nil
	}
	return ls, nil
}

func (f *fakeStore) Closes(context.Context) ([]rating.Close, error) { return f.closes, nil }

func (f *fakeStore) InsertClose(_ context.Context, c rating.Close) error {
	f.closes = append(f.closes, c)
	return nil
}

var nov = calendar.MustPeriod("2026-11")

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func line(order, amount string) rating.Line {
	return rating.Line{
		Period: nov, Kind: rating.KindCharge, Department: "d1", Vendor: "v1", Project: "p1",
		Category: catalog.CategoryOM, Order: catalog.OrderID(order), Item: "ECS-2C4G",
		Zone: catalog.ZoneInternet, Mode: catalog.ModeShared,
		From: calendar.MustDate("2026-11-01"), To: calendar.MustDate("2026-11-30"), Days: 30, DaysInMonth: 30,
		Quantity: dec("2"), UnitPrice: dec("100"), Unrounded: dec(amount), Amount: dec(amount),
		CatalogVersion: calendar.MustDate("2026-01-01"),
	}
}

// rated stores a rated November with two lines and the given pending vendors.
func rated(f *fakeStore, pending ...catalog.VendorID) {
	f.runs[nov] = rating.Run{ID: "run-1", Period: nov, Lines: 2, Total: dec("300"), Pending: pending}
	f.lines[nov] = []rating.Line{line("o1", "200"), line("o2", "100")}
}

// december is a clock in early December, after November ended.
func december() time.Time { return time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai()) }

func TestCloseRefusesUnratedMonth(t *testing.T) {
	f := newFake()
	_, err := Close(context.Background(), f, nov, Options{Now: december})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotRated)
	assert.Equal(t, "close 2026-11: month not rated: rate it first (cloudbill rate --period 2026-11)", err.Error())
	assert.Empty(t, f.closes)
}

func TestCloseRefusesMonthNotEnded(t *testing.T) {
	f := newFake()
	rated(f)
	lastMinute := func() time.Time { return time.Date(2026, 11, 30, 23, 59, 0, 0, calendar.Shanghai()) }
	_, err := Close(context.Background(), f, nov, Options{Now: lastMinute})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNotEnded)
	assert.Equal(t, "close 2026-11: month not ended: it ends 2026-12-01 00:00 Asia/Shanghai", err.Error())
	assert.Empty(t, f.closes)
}

func TestClosePendingAcceptance(t *testing.T) {
	t.Run("refused", func(t *testing.T) {
		f := newFake()
		rated(f, "v2", "v3")
		_, err := Close(context.Background(), f, nov, Options{Now: december})
		require.Error(t, err)
		assert.ErrorIs(t, err, ErrPending)
		assert.Equal(t, "close 2026-11: acceptance pending for vendor v2, v3: import their acceptance records and re-rate, or close with --allow-pending", err.Error())
		assert.Empty(t, f.closes)
	})
	t.Run("allowed and recorded", func(t *testing.T) {
		f := newFake()
		rated(f, "v2")
		res, err := Close(context.Background(), f, nov, Options{Now: december, AllowPending: true, ClosedBy: "test"})
		require.NoError(t, err)
		require.Len(t, f.closes, 1)
		got := f.closes[0]
		assert.True(t, got.AllowPending)
		assert.Equal(t, []catalog.VendorID{"v2"}, got.Pending)
		assert.Equal(t, got, res.Close)
	})
	t.Run("allow-pending without pending vendors records nothing special", func(t *testing.T) {
		f := newFake()
		rated(f)
		_, err := Close(context.Background(), f, nov, Options{Now: december, AllowPending: true})
		require.NoError(t, err)
		require.Len(t, f.closes, 1)
		assert.False(t, f.closes[0].AllowPending)
		assert.Empty(t, f.closes[0].Pending)
	})
}

func TestCloseRecordsRunHashAndClock(t *testing.T) {
	f := newFake()
	rated(f)
	res, err := Close(context.Background(), f, nov, Options{Now: december, ClosedBy: "cli"})
	require.NoError(t, err)
	assert.False(t, res.Already)
	require.Len(t, f.closes, 1)
	want := rating.Close{
		Period:      nov,
		ClosedAt:    december().UTC(),
		RunID:       "run-1",
		ContentHash: ContentHash(f.lines[nov]),
		Lines:       2,
		Total:       dec("300"),
		ClosedBy:    "cli",
	}
	got := f.closes[0]
	assert.True(t, got.Total.Equal(want.Total), "total %s, want %s", got.Total, want.Total)
	got.Total, want.Total = decimal.Zero, decimal.Zero
	assert.Equal(t, want, got)
	assert.Len(t, got.ContentHash, 64)
}

func TestCloseTwiceIsANoOp(t *testing.T) {
	f := newFake()
	rated(f)
	first, err := Close(context.Background(), f, nov, Options{Now: december})
	require.NoError(t, err)
	later := func() time.Time { return december().Add(48 * time.Hour) }
	second, err := Close(context.Background(), f, nov, Options{Now: later, AllowPending: true})
	require.NoError(t, err)
	assert.True(t, second.Already)
	assert.Equal(t, first.Close, second.Close, "the second close returns the first close unchanged")
	assert.Len(t, f.closes, 1, "nothing written the second time")
}

func TestCloseOfClosedMonthDetectsChangedLines(t *testing.T) {
	f := newFake()
	rated(f)
	_, err := Close(context.Background(), f, nov, Options{Now: december})
	require.NoError(t, err)
	f.lines[nov][0].Amount = dec("200.01")
	_, err = Close(context.Background(), f, nov, Options{Now: december})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrTampered)
	assert.Contains(t, err.Error(), "close 2026-11: closed month's lines changed: closed with content hash "+f.closes[0].ContentHash)
}

func TestCloseRefusedWhenReratedMeanwhile(t *testing.T) {
	f := newFake()
	rated(f)
	f.rerate = &rating.Run{ID: "run-2", Period: nov}
	_, err := Close(context.Background(), f, nov, Options{Now: december})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrRerated)
	assert.Equal(t, "close 2026-11: month re-rated during close (run run-1, then run-2); nothing written, close again", err.Error())
	assert.Empty(t, f.closes)
}

func TestCloseRefusesAPartialRead(t *testing.T) {
	f := newFake()
	rated(f)
	f.lines[nov] = f.lines[nov][:1]
	_, err := Close(context.Background(), f, nov, Options{Now: december})
	assert.EqualError(t, err, "close 2026-11: run run-1 has 2 lines but 1 were read; nothing written")
	assert.Empty(t, f.closes)
}

func TestCloseWarnsAboutOrder(t *testing.T) {
	sep, oct, dec26 := calendar.MustPeriod("2026-09"), calendar.MustPeriod("2026-10"), calendar.MustPeriod("2026-12")
	tests := []struct {
		name   string
		closed []calendar.Period
		rated  []calendar.Period
		want   []string
	}{
		{name: "in order", closed: []calendar.Period{oct}, rated: []calendar.Period{oct}},
		{name: "nothing closed, nothing else rated"},
		{
			name: "earlier months rated and open", closed: []calendar.Period{calendar.MustPeriod("2026-08")},
			rated: []calendar.Period{sep, oct},
			want: []string{
				"2026-09 is rated but not closed: close months in order (cloudbill close --period 2026-09)",
				"2026-10 is rated but not closed: close months in order (cloudbill close --period 2026-10)",
			},
		},
		{
			name: "months before the last close are not searched", closed: []calendar.Period{oct},
			rated: []calendar.Period{sep},
		},
		{
			name: "a later month closed", closed: []calendar.Period{oct, dec26}, rated: []calendar.Period{oct, dec26},
			want: []string{"later months are already closed (2026-12): news about 2026-11 is booked as adjustments after them"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			rated(f)
			for _, p := range tt.rated {
				if p != nov {
					f.runs[p] = rating.Run{ID: "run-" + p.String(), Period: p}
				}
			}
			for _, p := range tt.closed {
				f.closes = append(f.closes, rating.Close{Period: p, ContentHash: ContentHash(nil)})
			}
			res, err := Close(context.Background(), f, nov, Options{Now: func() time.Time { return time.Date(2027, 1, 2, 0, 0, 0, 0, calendar.Shanghai()) }})
			require.NoError(t, err)
			assert.Equal(t, tt.want, res.Warnings)
		})
	}
}

func TestContentHash(t *testing.T) {
	a, b := line("o1", "200"), line("o2", "100")
	base := ContentHash([]rating.Line{a, b})

	t.Run("independent of order", func(t *testing.T) {
		assert.Equal(t, base, ContentHash([]rating.Line{b, a}))
	})
	t.Run("independent of decimal representation", func(t *testing.T) {
		a2 := a
		a2.Amount, a2.Unrounded, a2.Quantity = dec("200.00"), dec("200.000000"), dec("2.0")
		assert.Equal(t, base, ContentHash([]rating.Line{a2, b}))
	})
	changes := map[string]func(l *rating.Line){
		"amount":         func(l *rating.Line) { l.Amount = dec("200.01") },
		"unrounded":      func(l *rating.Line) { l.Unrounded = dec("199.999") },
		"kind":           func(l *rating.Line) { l.Kind = rating.KindUnfunded },
		"department":     func(l *rating.Line) { l.Department = "d2" },
		"to":             func(l *rating.Line) { l.To = calendar.MustDate("2026-11-29") },
		"corrects":       func(l *rating.Line) { l.Corrects = calendar.MustPeriod("2026-10") },
		"note":           func(l *rating.Line) { l.Note = "x" },
		"corrected kind": func(l *rating.Line) { l.CorrectsKind = rating.KindCharge },
		// A tab inside a field must not be able to mimic a field boundary.
		"note with tab": func(l *rating.Line) { l.Note = "\t" },
	}
	for name, change := range changes {
		t.Run("changes with "+name, func(t *testing.T) {
			a2 := a
			change(&a2)
			assert.NotEqual(t, base, ContentHash([]rating.Line{a2, b}))
		})
	}
	t.Run("a duplicated line changes it", func(t *testing.T) {
		assert.NotEqual(t, base, ContentHash([]rating.Line{a, b, b}))
	})
	t.Run("empty month hashes the version line alone", func(t *testing.T) {
		sum := sha256.Sum256([]byte("cloudbill rated lines v1\n"))
		assert.Equal(t, hex.EncodeToString(sum[:]), ContentHash(nil))
	})
}

func TestCloseRequiresClock(t *testing.T) {
	_, err := Close(context.Background(), newFake(), nov, Options{})
	require.Error(t, err)
	assert.False(t, errors.Is(err, ErrNotRated))
}

// TestEnded: a month ends at midnight after its last day in Asia/Shanghai (16:00 UTC the
// day before), the rule of the close's refusal and of the portal's close page.
func TestEnded(t *testing.T) {
	nov := calendar.MustPeriod("2026-11")
	for _, tc := range []struct {
		now  time.Time
		want bool
	}{
		{time.Date(2026, 11, 15, 0, 0, 0, 0, time.UTC), false},
		{time.Date(2026, 11, 30, 15, 59, 59, 0, time.UTC), false}, // 23:59:59 on the 30th in Shanghai
		{time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC), true},    // midnight, 1 December in Shanghai
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), true},
	} {
		assert.Equal(t, tc.want, Ended(nov, tc.now), "%s", tc.now)
	}
}
