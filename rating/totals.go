package rating

import (
	"github.com/shopspring/decimal"

	"cloudbill/catalog"
)

// Totals are the sums of a set of lines by what they are. Every figure is a sum of
// rounded line amounts (Line.Amount), so a total is the sum of the lines it shows.
// Statements, settlements, reconciliation, rating's report and the demo all sum lines
// with it.
type Totals struct {
	// Gross is the month's own charges: the lines that Kind.CountsInGross (charge,
	// metered, unfunded); Charge, Metered and Unfunded are its parts.
	Gross                     decimal.Decimal
	Charge, Metered, Unfunded decimal.Decimal
	// Deductions are the acceptance deduction lines (negative).
	Deductions decimal.Decimal
	// Adjustments are the lines of any other kind: differences of closed months.
	Adjustments decimal.Decimal
	// Net is every line: Gross + Deductions + Adjustments.
	Net decimal.Decimal
}

// TotalsOf sums lines.
func TotalsOf(lines []Line) Totals {
	t := Totals{Gross: decimal.Zero, Charge: decimal.Zero, Metered: decimal.Zero, Unfunded: decimal.Zero,
		Deductions: decimal.Zero, Adjustments: decimal.Zero, Net: decimal.Zero}
	for _, l := range lines {
		t.Add(l)
	}
	return t
}

// Add counts one more line.
func (t *Totals) Add(l Line) {
	t.Net = t.Net.Add(l.Amount)
	switch {
	case l.Kind.CountsInGross():
		t.Gross = t.Gross.Add(l.Amount)
		switch l.Kind {
		case KindCharge:
			t.Charge = t.Charge.Add(l.Amount)
		case KindMetered:
			t.Metered = t.Metered.Add(l.Amount)
		case KindUnfunded:
			t.Unfunded = t.Unfunded.Add(l.Amount)
		}
	case l.Kind == KindDeduction:
		t.Deductions = t.Deductions.Add(l.Amount)
	default:
		t.Adjustments = t.Adjustments.Add(l.Amount)
	}
}

// NetByOrder is the net (Totals.Net: its charges, deductions and adjustments) of each
// work order among the lines keep accepts (nil: every line); lines of no order are left
// out. It is an order's amount in the month, as the order list shows it.
func NetByOrder(lines []Line, keep func(Line) bool) map[catalog.OrderID]decimal.Decimal {
	out := map[catalog.OrderID]decimal.Decimal{}
	for _, l := range lines {
		if l.Order == "" || (keep != nil && !keep(l)) {
			continue
		}
		out[l.Order] = out[l.Order].Add(l.Amount)
	}
	return out
}

// NetOfParties is the net of the party totals keep accepts (nil: all): what one party sees
// of a month (the overview's trend of a department with its units, a vendor, the
// district). Each PartyTotal is a sum of rounded line amounts, so this is Totals.Net of
// the same lines.
func NetOfParties(ts []PartyTotal, keep func(PartyTotal) bool) decimal.Decimal {
	sum := decimal.Zero
	for _, t := range ts {
		if keep == nil || keep(t) {
			sum = sum.Add(t.Amount)
		}
	}
	return sum
}
