package idle

import (
	"context"
	"time"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// CaseStore keeps the cases, their states and evidence.
type CaseStore interface {
	// Cases is every case with its current state.
	Cases(ctx context.Context) ([]Case, error)
	// SaveCases writes newly opened cases with their open state.
	SaveCases(ctx context.Context, cs []Case, at time.Time) error
	// SaveStates records a new state of each case.
	SaveStates(ctx context.Context, cs []Case, at time.Time) error
	// SaveEvidence records evidence, skipping a (case, analysis date) already recorded.
	SaveEvidence(ctx context.Context, es []Evidence, at time.Time) error
	// Evidence is the recorded evidence of a case, oldest first.
	Evidence(ctx context.Context, id CaseID) ([]Evidence, error)
}

// Recorded is what recording an analysis did.
type Recorded struct {
	Opened   []Case
	Evidence int // evidence records written (or already present)
}

// Record opens the cases an analysis calls for and records its evidence (Plan). Running it
// again for the same analysis date changes nothing: the cases are then open, and their
// evidence of that date is already recorded.
func Record(ctx context.Context, st CaseStore, a Analysis, now time.Time) (Recorded, error) {
	cases, err := st.Cases(ctx)
	if err != nil {
		return Recorded{}, err
	}
	opened, ev := Plan(a, cases)
	if err := st.SaveCases(ctx, opened, now); err != nil {
		return Recorded{}, err
	}
	if err := st.SaveEvidence(ctx, ev, now); err != nil {
		return Recorded{}, err
	}
	return Recorded{Opened: opened, Evidence: len(ev)}, nil
}

// EventReader reads the work-order events.
type EventReader interface {
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
}

// FollowUp follows every open case on day today (Follow) and records the new states; it
// returns the cases whose state changed. Running it again on the same day changes
// nothing.
func FollowUp(ctx context.Context, st CaseStore, er EventReader, today calendar.Date, now time.Time) ([]Case, error) {
	cases, err := st.Cases(ctx)
	if err != nil {
		return nil, err
	}
	events, err := EventsByOrder(ctx, er)
	if err != nil {
		return nil, err
	}
	var changed []Case
	for _, c := range cases {
		if n := Follow(c, today, events); n.State != c.State {
			changed = append(changed, n)
		}
	}
	if err := st.SaveStates(ctx, changed, now); err != nil {
		return nil, err
	}
	return changed, nil
}

// EventsByOrder reads the events grouped by order, each sorted by effective date.
func EventsByOrder(ctx context.Context, er EventReader) (map[catalog.OrderID][]catalog.Event, error) {
	es, err := er.OrderEvents(ctx)
	if err != nil {
		return nil, err
	}
	catalog.SortEvents(es)
	out := map[catalog.OrderID][]catalog.Event{}
	for _, e := range es {
		out[e.Order] = append(out[e.Order], e)
	}
	return out, nil
}
