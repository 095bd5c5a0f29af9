package catalog

import (
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

func TestOrders(t *testing.T) {
	d := calendar.MustDate
	cfg := func(qty string) Config {
		return Config{Department: "d1", Vendor: "v1", Item: "C01", Zone: ZoneInternet, Quantity: decimal.RequireFromString(qty)}
	}
	evs := []Event{
		{Order: "o1", Kind: EventOpen, Effective: d("2026-09-10"), Config: cfg("2")},
		{Order: "o1", Kind: EventChange, Effective: d("2026-10-05"), Config: cfg("4")},
		{Order: "o1", Kind: EventTerminate, Effective: d("2026-10-20"), Config: cfg("4")},
		{Order: "o2", Kind: EventOpen, Effective: d("2026-11-01"), Config: cfg("8")},
	}
	os := Orders(evs)
	require.Len(t, os, 2)
	assert.Equal(t, OrderID("o1"), os[0].Order)
	assert.Equal(t, "4", os[0].Quantity.String(), "the configuration after the latest event")
	assert.Equal(t, d("2026-09-10"), os[0].Opened)
	assert.Equal(t, d("2026-10-20"), os[0].Terminated)
	assert.True(t, os[1].Terminated.IsZero())

	for _, c := range []struct {
		name  string
		o     OrderSummary
		day   string
		state OrderState
	}{
		{"before it opens", os[1], "2026-10-31", OrderPending},
		{"the day it opens", os[1], "2026-11-01", OrderActive},
		{"its terminate day", os[0], "2026-10-20", OrderActive},
		{"the day after", os[0], "2026-10-21", OrderTerminated},
	} {
		t.Run(c.name, func(t *testing.T) { assert.Equal(t, c.state, c.o.StateOn(d(c.day))) })
	}
	oct, nov, aug := calendar.MustPeriod("2026-10"), calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-08")
	assert.True(t, os[0].InService(oct.First(), oct.Last()))
	assert.False(t, os[0].InService(nov.First(), nov.Last()), "terminated in October")
	assert.False(t, os[0].InService(aug.First(), aug.Last()), "opened in September")
	assert.True(t, os[1].InService(nov.First(), nov.Last()))
	assert.False(t, os[1].InService(oct.First(), oct.Last()))
}

// TestOrdersAsOf: an order's configuration as it stood on a day: moved to another
// department in November, it is under its first department in October.
func TestOrdersAsOf(t *testing.T) {
	d := calendar.MustDate
	cfg := func(dep DepartmentID, qty string) Config {
		return Config{Department: dep, Vendor: "v1", Item: "C01", Zone: ZoneInternet, Quantity: decimal.RequireFromString(qty)}
	}
	evs := []Event{
		{Order: "o1", Kind: EventOpen, Effective: d("2026-09-10"), Config: cfg("d1", "2")},
		{Order: "o1", Kind: EventChange, Effective: d("2026-11-05"), Config: cfg("d2", "4")},
		{Order: "o2", Kind: EventOpen, Effective: d("2026-12-01"), Config: cfg("d3", "8")},
	}
	for _, c := range []struct {
		day       string
		dep       DepartmentID
		qty       string
		futureDep DepartmentID
	}{
		{"2026-10-31", "d1", "2", "d3"},
		{"2026-11-04", "d1", "2", "d3"},
		{"2026-11-05", "d2", "4", "d3"},
		{"2026-12-31", "d2", "4", "d3"},
	} {
		os := OrdersAsOf(evs, d(c.day))
		require.Len(t, os, 2)
		assert.Equal(t, c.dep, os[0].Department, c.day)
		assert.Equal(t, c.qty, os[0].Quantity.String(), c.day)
		assert.Equal(t, d("2026-09-10"), os[0].Opened)
		assert.Equal(t, c.futureDep, os[1].Department, "%s: not yet opened, its first configuration", c.day)
	}
	assert.Equal(t, Orders(evs), OrdersAsOf(evs, d("2027-01-01")), "after every event: as Orders")
}

// TestListed: which orders a list shows. o1 moved from d1 to d2 on 11-05; o2 ended in
// September; o3 opens in December; o4 is another reader's. A reader of d1 sees, for
// October, o1 (d1's at the month's end); for November not o1 (d2's on 11-30) unless it
// has lines the reader sees (its days under d1); o2 never in October or November (not in
// service), but in the list of every month; o3 neither month.
func TestListed(t *testing.T) {
	d := calendar.MustDate
	cfg := func(dep DepartmentID) Config {
		return Config{Department: dep, Vendor: "v1", Item: "C01", Zone: ZoneInternet, Quantity: decimal.NewFromInt(1)}
	}
	evs := []Event{
		{Order: "o1", Kind: EventOpen, Effective: d("2026-09-10"), Config: cfg("d1")},
		{Order: "o1", Kind: EventChange, Effective: d("2026-11-05"), Config: cfg("d2")},
		{Order: "o2", Kind: EventOpen, Effective: d("2026-08-01"), Config: cfg("d1")},
		{Order: "o2", Kind: EventTerminate, Effective: d("2026-09-20"), Config: cfg("d1")},
		{Order: "o3", Kind: EventOpen, Effective: d("2026-12-01"), Config: cfg("d1")},
		{Order: "o4", Kind: EventOpen, Effective: d("2026-09-01"), Config: cfg("d9")},
	}
	d1 := func(dep DepartmentID, _ VendorID) bool { return dep == "d1" }
	ids := func(os []OrderSummary) (out []OrderID) {
		for _, o := range os {
			out = append(out, o.Order)
		}
		return out
	}
	oct, nov := calendar.MustPeriod("2026-10"), calendar.MustPeriod("2026-11")
	billedO1 := func(id OrderID) bool { return id == "o1" }
	assert.Equal(t, []OrderID{"o1"}, ids(Listed(evs, &oct, d1, nil)))
	assert.Empty(t, ids(Listed(evs, &nov, d1, nil)), "o1 is d2's at November's end")
	assert.Equal(t, []OrderID{"o1"}, ids(Listed(evs, &nov, d1, billedO1)), "its November lines under d1")
	assert.Equal(t, []OrderID{"o2", "o3"}, ids(Listed(evs, nil, d1, nil)), "every month: as each stands now")
	all := func(DepartmentID, VendorID) bool { return true }
	assert.Equal(t, []OrderID{"o1", "o4"}, ids(Listed(evs, &oct, all, nil)))
}
