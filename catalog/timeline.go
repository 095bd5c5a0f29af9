package catalog

import (
	"fmt"

	"cloudbill/internal/calendar"
)

// Timeline turns the events of one work order, in the order they were confirmed (by
// effective date; events of the same day in file order), into the segments of its
// in-service days, following the billable-day rules of docs/rating.md:
//
//   - in service from the open date to the terminate date, both days counted;
//   - a change confirmed on day C bills C at the new configuration and C−1 at the old;
//   - opened and terminated on the same day: one day.
//
// An order not terminated runs to horizon (inclusive); segments after horizon are left
// out and the last one is cut at it. Events must start with open, never go back in time,
// and nothing may follow a terminate; otherwise Timeline returns an error naming the
// event. The events are not modified.
func Timeline(events []Event, horizon calendar.Date) ([]Segment, error) {
	var out []Segment
	var cur *Segment
	terminated := false
	for i, e := range events {
		if i == 0 && e.Kind != EventOpen {
			return nil, fmt.Errorf("order %s: first event is %s on %s, not open", e.Order, e.Kind, e.Effective)
		}
		if i > 0 {
			prev := events[i-1]
			if e.Order != prev.Order {
				return nil, fmt.Errorf("order %s: timeline given events of order %s too", prev.Order, e.Order)
			}
			if terminated {
				return nil, fmt.Errorf("order %s: %s on %s after its terminate on %s", e.Order, e.Kind, e.Effective, prev.Effective)
			}
			if e.Effective.Before(prev.Effective) {
				return nil, fmt.Errorf("order %s: %s on %s goes back before %s", e.Order, e.Kind, e.Effective, prev.Effective)
			}
		}
		switch e.Kind {
		case EventOpen:
			if i > 0 {
				return nil, fmt.Errorf("order %s: opened again on %s", e.Order, e.Effective)
			}
			cur = &Segment{Order: e.Order, From: e.Effective, Config: e.Config}
		case EventChange:
			if end := e.Effective.AddDays(-1); !end.Before(cur.From) {
				seg := *cur
				seg.To = end
				out = append(out, seg)
			}
			cur = &Segment{Order: e.Order, From: e.Effective, Config: e.Config}
		case EventTerminate:
			cur.To = e.Effective
			out = append(out, *cur)
			cur = nil
			terminated = true
		default:
			return nil, fmt.Errorf("order %s: unknown event %q", e.Order, e.Kind)
		}
	}
	if cur != nil {
		cur.To = horizon
		out = append(out, *cur)
	}
	// clip to the horizon
	kept := out[:0]
	for _, s := range out {
		if s.From.After(horizon) {
			continue
		}
		s.To = calendar.MinDate(s.To, horizon)
		kept = append(kept, s)
	}
	return kept, nil
}
