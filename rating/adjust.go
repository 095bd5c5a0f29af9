package rating

import (
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// adjKey is the granularity of adjustments: one line per key whose total changed.
type adjKey struct {
	kind     Kind
	dep      catalog.DepartmentID
	vendor   catalog.VendorID
	project  catalog.ProjectID
	category catalog.ProjectCategory
	order    catalog.OrderID
	item     catalog.ItemCode
	zone     catalog.Zone
	mode     catalog.Mode
}

type adjSum struct {
	amount decimal.Decimal
	days   int
}

// Adjustments compares closed month c re-rated now (rerated: its own lines, no
// adjustments) with what is already booked for it (booked: c's frozen lines and every
// adjustment line booked since with Corrects == c; c's own adjustment lines of earlier
// months are ignored) and returns, for month p, one adjustment line per (kind,
// department, vendor, project, category, order, item, zone) whose total changed, with
// the difference as amount. The deduction difference comes out as adjustment lines with
// CorrectsKind deduction. Amounts are sums of rounded amounts, so differences are exact
// to the fen. The result is sorted; nothing given is modified.
func Adjustments(p, c calendar.Period, rerated, booked []Line) []Line {
	now := map[adjKey]adjSum{}
	was := map[adjKey]adjSum{}
	add := func(m map[adjKey]adjSum, k adjKey, l Line) {
		s := m[k]
		s.amount = s.amount.Add(l.Amount)
		s.days += l.Days
		m[k] = s
	}
	key := func(kind Kind, l Line) adjKey {
		return adjKey{kind, l.Department, l.Vendor, l.Project, l.Category, l.Order, l.Item, l.Zone, l.Mode}
	}
	for _, l := range rerated {
		if l.Period == c && l.Kind != KindAdjustment {
			add(now, key(l.Kind, l), l)
		}
	}
	for _, l := range booked {
		switch {
		case l.Kind == KindAdjustment && l.Corrects == c:
			add(was, key(l.CorrectsKind, l), l)
		case l.Kind != KindAdjustment && l.Period == c:
			add(was, key(l.Kind, l), l)
		}
	}
	keys := map[adjKey]bool{}
	for k := range now {
		keys[k] = true
	}
	for k := range was {
		keys[k] = true
	}
	var out []Line
	for k := range keys {
		n, w := now[k], was[k]
		diff := n.amount.Sub(w.amount)
		if diff.IsZero() {
			continue
		}
		daysBooked, daysNow := w.days, n.days
		if k.kind == KindDeduction {
			daysBooked, daysNow = 0, 0
		}
		note := EncodeNote([]Remark{AdjustsRemark(c, k.kind, k.order, money.Plain(w.amount), money.Plain(n.amount), daysBooked, daysNow)})
		out = append(out, Line{
			Period: p, Kind: KindAdjustment, Department: k.dep, Vendor: k.vendor, Project: k.project,
			Category: k.category, Order: k.order, Item: k.item, Zone: k.zone, Mode: k.mode,
			From: c.First(), To: c.Last(), DaysInMonth: c.Days(),
			Unrounded: diff, Amount: diff, Corrects: c, CorrectsKind: k.kind, Note: note,
		})
	}
	SortLines(out)
	return out
}

// sortedWindows returns the usage map's windows in order (for fingerprints).
func (u Usage) sortedWindows() []UsageWindow {
	ws := make([]UsageWindow, 0, len(u))
	for w := range u {
		ws = append(ws, w)
	}
	sort.Slice(ws, func(i, j int) bool { return windowLess(ws[i], ws[j]) })
	return ws
}
