package app

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/document/pdf"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/statements"
)

// The one rule of a month's state: closed wins, then a close under way, then rated with
// or without acceptance pending.
func TestStateOf(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		rated                bool
		pending              int
		beingClosed, closed  bool
		want                 State
		closable, wantClosed bool
	}{
		{name: "never rated", want: StateOpen},
		{name: "rated", rated: true, want: StateRated, closable: true},
		{name: "rated, acceptance pending", rated: true, pending: 2, want: StatePending, closable: true},
		{name: "being closed", rated: true, beingClosed: true, want: StateBeingClosed},
		{name: "claimed before it was rated", beingClosed: true, want: StateBeingClosed},
		{name: "closed", rated: true, closed: true, want: StateClosed, wantClosed: true},
		{name: "closed with acceptance pending (allowed)", rated: true, pending: 1, closed: true, want: StateClosed, wantClosed: true},
		{name: "closed, a stale claim", rated: true, beingClosed: true, closed: true, want: StateClosed, wantClosed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := StateOf(tc.rated, tc.pending, tc.beingClosed, tc.closed)
			assert.Equal(t, tc.want, got)
			assert.Equal(t, tc.closable, got.Closable(), "closable")
			assert.Equal(t, tc.wantClosed, got.Closed(), "closed")
			assert.Equal(t, tc.want == StateOpen, got.Open(), "open: never rated")
		})
	}
}

// runStore is a hand-written fake of a month's rating runs; the rest of Store is not
// called.
type runStore struct {
	Store
	runs map[calendar.Period][]rating.Run // latest first
}

func (s runStore) LatestRun(_ context.Context, p calendar.Period) (rating.Run, error) {
	if len(s.runs[p]) == 0 {
		return rating.Run{}, fmt.Errorf("latest run of %s: %w", p, rating.ErrNotRated)
	}
	return s.runs[p][0], nil
}
func (s runStore) Runs(_ context.Context, p calendar.Period) ([]rating.Run, error) {
	return s.runs[p], nil
}

// TestRunOf: the run whose figures a month shows (`cloudbill status`): the latest of an
// open month, the frozen one of a closed month (the latest when the frozen run is not
// listed), none for a month never rated.
func TestRunOf(t *testing.T) {
	oct, nov, dec := calendar.MustPeriod("2026-10"), calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-12")
	st := runStore{runs: map[calendar.Period][]rating.Run{
		oct: {{ID: "oct-3"}, {ID: "oct-2"}, {ID: "oct-1"}},
		nov: {{ID: "nov-2"}, {ID: "nov-1"}},
	}}
	a, err := New(Config{Store: st, Now: time.Now, LoadFont: pdf.Load})
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		m      Month
		want   string
		wantOK bool
	}{
		{"open month: the latest", Month{Period: nov, RunID: "nov-2"}, "nov-2", true},
		{"closed on an earlier run: the frozen one", Month{Period: oct, Close: &rating.Close{RunID: "oct-2"}}, "oct-2", true},
		{"closed on the latest", Month{Period: oct, Close: &rating.Close{RunID: "oct-3"}}, "oct-3", true},
		{"frozen run not listed: the latest", Month{Period: oct, Close: &rating.Close{RunID: "gone"}}, "oct-3", true},
		{"never rated", Month{Period: dec}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run, ok, err := a.RunOf(context.Background(), tc.m)
			require.NoError(t, err)
			assert.Equal(t, tc.wantOK, ok)
			assert.Equal(t, tc.want, run.ID)
		})
	}
}

// TestLatestShown: the month the pages open on is the newest with figures, else the
// month before now's; the statements' menu opens on the newest issued month, else that.
func TestLatestShown(t *testing.T) {
	oct, nov, dec := calendar.MustPeriod("2026-10"), calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-12")
	now := time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC) // 1 January 2027 in Shanghai
	issued := &statements.IssueInfo{}
	for _, tc := range []struct {
		name               string
		ms                 []Month // newest first
		wantShown, wantIss string
	}{
		{"nothing known: the month before now's (Shanghai)", nil, "2026-12", "2026-12"},
		{"only open months", []Month{{Period: dec, State: StateOpen}, {Period: nov, State: StateOpen}}, "2026-12", "2026-12"},
		{"a claim on a month never rated shows nothing", []Month{{Period: dec, State: StateBeingClosed}, {Period: nov, RunID: "r", State: StateRated}}, "2026-11", "2026-11"},
		{"newest rated; issued earlier", []Month{{Period: dec}, {Period: nov, RunID: "r2", State: StateRated}, {Period: oct, RunID: "r1", State: StateClosed, Issue: issued}}, "2026-11", "2026-10"},
		{"newest issued", []Month{{Period: nov, RunID: "r2", State: StateRated, Issue: issued}, {Period: oct, RunID: "r1", Issue: issued}}, "2026-11", "2026-11"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.wantShown, LatestShown(tc.ms, now).String())
			assert.Equal(t, tc.wantIss, LatestIssued(tc.ms, now).String())
		})
	}
}
