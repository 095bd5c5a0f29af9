package idle

import (
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// State is where a case stands.
type State string

const (
	// StateOpen: reminded, the deadline not passed, the recommended total not reached.
	StateOpen State = "open"
	// StateResolved: the case's orders reached the recommended total on or before the
	// deadline (by confirmed changes or terminations).
	StateResolved State = "resolved"
	// StateOverdue: the deadline passed without it; the case is on the bureau's
	// downsizing list.
	StateOverdue State = "overdue"
)

// CaseID names a case: reminder date, department and kind ("20261130-D007-vcpu").
type CaseID string

// NewCaseID is the id of the case opened on d for a department and kind.
func NewCaseID(d calendar.Date, dep catalog.DepartmentID, k Kind) CaseID {
	return CaseID(fmt.Sprintf("%04d%02d%02d-%s-%s", d.Year, int(d.Month), d.Day, dep, k))
}

// Case is one reminder to one department (a subordinate unit is its own department; its
// 主管部门 is told) for one kind, followed to its end. Its figures are those of the
// analysis that opened it; later analyses add evidence, never change them.
type Case struct {
	ID         CaseID
	Department catalog.DepartmentID
	Parent     catalog.DepartmentID
	Kind       Kind
	Reminder   calendar.Date
	Deadline   calendar.Date
	Ratio      decimal.Decimal
	IdleRatio  decimal.Decimal
	// Allocated is the allocation of the case's orders at the reminder; Target the
	// recommended total (Allocated − the recommended reduction); Saving the monthly
	// saving of the recommendation.
	Allocated, Target, Saving decimal.Decimal
	// Orders are the department's counted resources of the kind at the reminder; those
	// with a Recommended quantity are the ones named to reduce.
	Orders []CaseOrder
	State  State
	// StateOn is the day of the state: the reminder date (open), the day the total was
	// reached (resolved) or the day after the deadline (overdue).
	StateOn calendar.Date
}

// CaseOrder is one order of a case.
type CaseOrder struct {
	Order       catalog.OrderID
	Resource    catalog.ResourceID
	Item        catalog.ItemCode
	Zone        catalog.Zone
	Allocated   decimal.Decimal
	Recommended decimal.Decimal // zero: not named
	Saving      decimal.Decimal
}

// Named reports whether the order is one the reminder asks to reduce.
func (o CaseOrder) Named() bool { return o.Recommended.IsPositive() }

// Evidence is the figures one analysis gave for a case's department and kind: frozen
// once recorded.
type Evidence struct {
	Case     CaseID
	Analysis calendar.Date
	Group    Group
	Rows     []Row
}

// Plan turns an analysis into case work: a new case for every department and kind over
// its ratio without an open case, and evidence for every open case whose department
// and kind the analysis looked at (over or not: the figures of the follow-up). A case
// is never opened twice for a department and kind while one is open.
func Plan(a Analysis, open []Case) (opened []Case, evidence []Evidence) {
	byGroup := map[groupKey]Case{}
	for _, c := range open {
		if c.State == StateOpen {
			byGroup[groupKey{c.Department, c.Kind}] = c
		}
	}
	for _, g := range a.Groups {
		rows := a.RowsOf(g.Department, g.Kind)
		if c, ok := byGroup[groupKey{g.Department, g.Kind}]; ok {
			if !a.Date.Before(c.Reminder) {
				evidence = append(evidence, Evidence{Case: c.ID, Analysis: a.Date, Group: g, Rows: rows})
			}
			continue
		}
		if !g.Over {
			continue
		}
		c := Case{
			ID: NewCaseID(a.Date, g.Department, g.Kind), Department: g.Department, Parent: g.Parent, Kind: g.Kind,
			Reminder: a.Date, Deadline: Deadline(a.Date), Ratio: g.Ratio, IdleRatio: g.IdleRatio,
			Allocated: g.Allocated, Target: g.AllocatedAfter, Saving: g.Saving, State: StateOpen, StateOn: a.Date,
		}
		for _, r := range rows {
			if r.Status == StatusInsufficient {
				continue
			}
			co := CaseOrder{Order: r.Order, Resource: r.Resource.Resource, Item: r.Item, Zone: r.Zone, Allocated: r.Allocated}
			if r.Status == StatusReduce {
				co.Recommended, co.Saving = r.Recommended, r.Saving
			}
			c.Orders = append(c.Orders, co)
		}
		opened = append(opened, c)
		evidence = append(evidence, Evidence{Case: c.ID, Analysis: a.Date, Group: g, Rows: rows})
	}
	return opened, evidence
}

type groupKey struct {
	dep  catalog.DepartmentID
	kind Kind
}

// QuantityOn is the quantity of an order on day d from its events (sorted by effective
// date, as catalog.SortEvents leaves them): the configuration of the last event effective
// on or before d; zero before the open and from the day of a terminate on (a confirmed
// termination ends the allocation that day).
func QuantityOn(events []catalog.Event, d calendar.Date) decimal.Decimal {
	q := decimal.Zero
	for _, e := range events {
		if e.Effective.After(d) {
			break
		}
		if e.Kind == catalog.EventTerminate {
			q = decimal.Zero
			continue
		}
		q = e.Quantity
	}
	return q
}

// Follow decides the state of an open case on day today from its orders' events (by
// order, sorted by effective date): resolved on the first day from the reminder to
// min(today, deadline) on which the orders' total allocation is at most the target;
// otherwise overdue once today is past the deadline (StateOn the day after it);
// otherwise still open. A case not open is returned unchanged.
func Follow(c Case, today calendar.Date, events map[catalog.OrderID][]catalog.Event) Case {
	if c.State != StateOpen {
		return c
	}
	last := calendar.MinDate(today, c.Deadline)
	for d := c.Reminder; !d.After(last); d = d.AddDays(1) {
		if Allocation(c, d, events).LessThanOrEqual(c.Target) {
			c.State, c.StateOn = StateResolved, d
			return c
		}
	}
	if today.After(c.Deadline) {
		c.State, c.StateOn = StateOverdue, c.Deadline.AddDays(1)
	}
	return c
}

// Allocation is the total quantity of the case's orders on day d.
func Allocation(c Case, d calendar.Date, events map[catalog.OrderID][]catalog.Event) decimal.Decimal {
	sum := decimal.Zero
	for _, o := range c.Orders {
		sum = sum.Add(QuantityOn(events[o.Order], d))
	}
	return sum
}

// ChangeRequest is one row of the bureau's downsizing list: a work-order change that the
// multi-cloud management system can apply (the columns of a work-order event file).
type ChangeRequest struct {
	Case      CaseID
	Deadline  calendar.Date
	Config    catalog.Config // the order's configuration with the new quantity
	Order     catalog.OrderID
	Current   decimal.Decimal
	Effective calendar.Date
}

// ChangeRequests lists, for overdue cases, the named orders still above their
// recommended quantity on day d, each as a change to that quantity effective d. Orders
// terminated or already reduced are left out.
func ChangeRequests(cases []Case, d calendar.Date, events map[catalog.OrderID][]catalog.Event) []ChangeRequest {
	var out []ChangeRequest
	for _, c := range cases {
		if c.State != StateOverdue {
			continue
		}
		for _, o := range c.Orders {
			if !o.Named() {
				continue
			}
			es := events[o.Order]
			cur := QuantityOn(es, d)
			if !cur.GreaterThan(o.Recommended) {
				continue
			}
			var cfg catalog.Config
			for _, e := range es {
				if !e.Effective.After(d) {
					cfg = e.Config
				}
			}
			cfg.Quantity = o.Recommended
			out = append(out, ChangeRequest{Case: c.ID, Deadline: c.Deadline, Config: cfg, Order: o.Order, Current: cur, Effective: d})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Case != out[j].Case {
			return out[i].Case < out[j].Case
		}
		return out[i].Order < out[j].Order
	})
	return out
}

// Visible returns the cases a caller may see, in order: see reports whether the caller may
// view a department (for the portal: access.Identity.May(access.View,
// access.Department(dep), parents) == nil, so that a department sees its own cases and
// its units', the bureau all).
func Visible(cases []Case, see func(catalog.DepartmentID) bool) []Case {
	var out []Case
	for _, c := range cases {
		if see(c.Department) {
			out = append(out, c)
		}
	}
	return out
}
