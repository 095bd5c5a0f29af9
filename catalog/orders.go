package catalog

import (
	"cloudbill/internal/calendar"
)

// OrderSummary is one work order as a list shows it: its configuration after its latest
// event (a terminate keeps the configuration it ended), the day it opened and the day it
// was terminated (zero when it runs on).
type OrderSummary struct {
	Order      OrderID
	Opened     calendar.Date
	Terminated calendar.Date
	Config
}

// OrderState is where a work order stands on a day.
type OrderState string

const (
	OrderPending    OrderState = "pending"    // confirmed to open after the day
	OrderActive     OrderState = "active"     // in service on the day
	OrderTerminated OrderState = "terminated" // its last day of service is before the day
)

// StateOn is the order's state on day d (its terminate day is still in service).
func (o OrderSummary) StateOn(d calendar.Date) OrderState {
	switch {
	case d.Before(o.Opened):
		return OrderPending
	case !o.Terminated.IsZero() && o.Terminated.Before(d):
		return OrderTerminated
	}
	return OrderActive
}

// InService reports whether the order is in service on any day of [from, to].
func (o OrderSummary) InService(from, to calendar.Date) bool {
	if to.Before(o.Opened) {
		return false
	}
	return o.Terminated.IsZero() || !o.Terminated.Before(from)
}

// Orders summarises work orders from their events, in the order the events are given
// (by order, then effective date, then as confirmed: the store's order): one summary per
// order, in order of first appearance. An order whose events have no open takes its
// first event's date as opened. The events are not modified.
func Orders(events []Event) []OrderSummary {
	idx := map[OrderID]int{}
	var out []OrderSummary
	for _, e := range events {
		i, ok := idx[e.Order]
		if !ok {
			i = len(out)
			idx[e.Order] = i
			out = append(out, OrderSummary{Order: e.Order, Opened: e.Effective})
		}
		o := &out[i]
		switch e.Kind {
		case EventOpen:
			o.Opened = e.Effective
		case EventTerminate:
			o.Terminated = e.Effective
		}
		o.Config = e.Config
	}
	return out
}

// OrdersAsOf is Orders with each order's configuration (department, project, vendor,
// item, zone, quantity) as it stood on day d: that of its latest event effective on or
// before d (its first event's when all are later). Opened and Terminated are the order's
// whatever d is: an order moved to another department after d is under the department it
// had on d.
func OrdersAsOf(events []Event, d calendar.Date) []OrderSummary {
	out := Orders(events)
	idx := make(map[OrderID]int, len(out))
	for i, o := range out {
		idx[o.Order] = i
	}
	first := map[OrderID]bool{}
	for _, e := range events {
		o := &out[idx[e.Order]]
		if !first[e.Order] {
			first[e.Order] = true
			o.Config = e.Config
			continue
		}
		if !d.Before(e.Effective) {
			o.Config = e.Config
		}
	}
	return out
}

// Listed is the orders a list of month p shows (p nil: of every month, each order as it
// stands now). For a month each order is taken as it stood on the month's last day, and
// listed when it was in service in the month and sees its department or vendor then, or
// when billed says it has lines in the month that the reader sees (an order moved to
// another department or ended within the month). billed may be nil (no lines).
func Listed(events []Event, p *calendar.Period, sees func(DepartmentID, VendorID) bool, billed func(OrderID) bool) []OrderSummary {
	all := Orders(events)
	if p != nil {
		all = OrdersAsOf(events, p.Last())
	}
	var out []OrderSummary
	for _, o := range all {
		hasLines := billed != nil && billed(o.Order)
		switch {
		case hasLines:
		case !sees(o.Department, o.Vendor):
			continue
		case p != nil && !o.InService(p.First(), p.Last()):
			continue
		}
		out = append(out, o)
	}
	return out
}
