package idle

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

func ev(order string, kind catalog.EventKind, date, qty string) catalog.Event {
	return catalog.Event{Order: catalog.OrderID(order), Kind: kind, Effective: day(date),
		Config: catalog.Config{Department: "D1", Zone: catalog.ZoneExtranet, Item: "C01", Quantity: d(qty), Vendor: "V1", Project: "P1", ResourceID: catalog.ResourceID("ecs-" + order)}}
}

// handCase is the case TestRecommendationByHand opens: orders O1 16→3, O2 8→5, O3 4;
// allocation 28, target 12, reminder 2026-01-31, deadline 2026-02-28.
func handCase(t *testing.T, reminder string) Case {
	t.Helper()
	a, err := Analyze(Input{Date: day(reminder), SampleInterval: 3600,
		Resources: []Resource{res("O1", "D1", "16", "40"), res("O2", "D1", "8", "40"), res("O3", "D1", "4", "40")},
		Measures:  map[catalog.OrderID]Measure{"O1": full("2"), "O2": full("4"), "O3": full("3.6")}})
	require.NoError(t, err)
	opened, evidence := Plan(a, nil)
	require.Len(t, opened, 1)
	require.Len(t, evidence, 1)
	return opened[0]
}

func TestPlanOpensOnceAndAddsEvidence(t *testing.T) {
	c := handCase(t, "2026-01-31")
	assert.Equal(t, CaseID("20260131-D1-vcpu"), c.ID)
	assert.Equal(t, "2026-02-28", c.Deadline.String())
	assert.Equal(t, "28", c.Allocated.String())
	assert.Equal(t, "12", c.Target.String())
	assert.Equal(t, "640", c.Saving.String())
	require.Len(t, c.Orders, 3)

	// a second analysis while the case is open: no new case, evidence for it
	a, err := Analyze(Input{Date: day("2026-02-15"), SampleInterval: 3600,
		Resources: []Resource{res("O1", "D1", "16", "40")}, Measures: map[catalog.OrderID]Measure{"O1": full("2")}})
	require.NoError(t, err)
	opened, evidence := Plan(a, []Case{c})
	assert.Empty(t, opened)
	require.Len(t, evidence, 1)
	assert.Equal(t, c.ID, evidence[0].Case)
	assert.Equal(t, "2026-02-15", evidence[0].Analysis.String())

	// once resolved, a new analysis over the ratio opens a new case
	c.State = StateResolved
	opened, _ = Plan(a, []Case{c})
	require.Len(t, opened, 1)
	assert.Equal(t, CaseID("20260215-D1-vcpu"), opened[0].ID)
}

// TestFollow: reminder 2026-01-31, deadline 2026-02-28 (no 31st in February), target 12.
func TestFollow(t *testing.T) {
	c := handCase(t, "2026-01-31")
	base := map[catalog.OrderID][]catalog.Event{
		"O1": {ev("O1", catalog.EventOpen, "2025-06-01", "16")},
		"O2": {ev("O2", catalog.EventOpen, "2025-06-01", "8")},
		"O3": {ev("O3", catalog.EventOpen, "2025-06-01", "4")},
	}
	t.Run("still open before the deadline", func(t *testing.T) {
		got := Follow(c, day("2026-02-28"), base)
		assert.Equal(t, StateOpen, got.State)
	})
	t.Run("overdue the day after", func(t *testing.T) {
		got := Follow(c, day("2026-03-01"), base)
		assert.Equal(t, StateOverdue, got.State)
		assert.Equal(t, "2026-03-01", got.StateOn.String())
	})
	t.Run("resolved by changes and a terminate", func(t *testing.T) {
		es := map[catalog.OrderID][]catalog.Event{
			// O1 16 → 4 on 02-10: 4 + 8 + 4 = 16 > 12; O2 terminated 02-20: 4 + 0 + 4 = 8 ≤ 12
			"O1": append(base["O1"], ev("O1", catalog.EventChange, "2026-02-10", "4")),
			"O2": append(base["O2"], ev("O2", catalog.EventTerminate, "2026-02-20", "8")),
			"O3": base["O3"],
		}
		got := Follow(c, day("2026-03-05"), es)
		assert.Equal(t, StateResolved, got.State)
		assert.Equal(t, "2026-02-20", got.StateOn.String())
	})
	t.Run("a change after the deadline does not resolve", func(t *testing.T) {
		es := map[catalog.OrderID][]catalog.Event{
			"O1": append(base["O1"], ev("O1", catalog.EventChange, "2026-03-01", "3")),
			"O2": append(base["O2"], ev("O2", catalog.EventChange, "2026-03-01", "5")),
			"O3": base["O3"],
		}
		got := Follow(c, day("2026-03-02"), es)
		assert.Equal(t, StateOverdue, got.State)
		reqs := ChangeRequests([]Case{got}, day("2026-03-02"), base)
		require.Len(t, reqs, 2)
		assert.Equal(t, catalog.OrderID("O1"), reqs[0].Order)
		assert.Equal(t, "16", reqs[0].Current.String())
		assert.Equal(t, "3", reqs[0].Config.Quantity.String())
		assert.Equal(t, "5", reqs[1].Config.Quantity.String())
		// already applied: nothing left to request
		assert.Empty(t, ChangeRequests([]Case{got}, day("2026-03-02"), es))
	})
}

func TestQuantityOn(t *testing.T) {
	es := []catalog.Event{ev("O", catalog.EventOpen, "2026-01-05", "8"), ev("O", catalog.EventChange, "2026-01-10", "4"), ev("O", catalog.EventTerminate, "2026-01-20", "4")}
	for _, c := range []struct {
		date string
		want string
	}{{"2026-01-04", "0"}, {"2026-01-05", "8"}, {"2026-01-09", "8"}, {"2026-01-10", "4"}, {"2026-01-19", "4"}, {"2026-01-20", "0"}} {
		assert.Equal(t, c.want, QuantityOn(es, calendar.MustDate(c.date)).String(), c.date)
	}
}

func TestVisible(t *testing.T) {
	cs := []Case{{ID: "a", Department: "D1"}, {ID: "b", Department: "D2"}, {ID: "c", Department: "D1"}}
	got := Visible(cs, func(d catalog.DepartmentID) bool { return d == "D1" })
	require.Len(t, got, 2)
	assert.Equal(t, CaseID("c"), got[1].ID)
}
