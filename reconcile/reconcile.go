// Package reconcile checks a vendor's monthly invoice (对账) against cloudbill's rated
// lines: it reads the invoice, matches its claims to our rated lines on (order_id,
// item_code), classifies every line, explains a difference where the data can, and gives
// what the bureau pays: rated gross − acceptance deduction, whatever was claimed.
//
// What is compared. Our side of a (order, item) is the sum of the vendor's rated lines
// of the month of kinds charge and metered (several segments or catalog versions add
// up): what the bureau accepts to pay for that line. Unfunded lines (a project not on
// the approved list) are rated but not payable until funded: claiming one is a finding
// (class only_vendor, reason unfunded_claimed); not claiming one is a match, listed with
// its rated amount for traceability. Adjustment lines correct closed months: they are
// not on a month's invoice, are not matched, and enter net payable on their own line.
// Deduction lines are not matched either: the vendor's deduction comes from its
// acceptance record (rating.VendorDeduction).
//
// Net payable = rated gross (charge + metered + unfunded, as the deduction is computed
// on) + deduction (negative) + adjustments booked this month: the vendor settlement's
// total.
//
// The package is pure: it reads and writes through io and takes rated lines as values.
// Reading .xlsx lives in the adapter package invoicefile, the PDF report in reconcilepdf.
package reconcile

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// Class is how one line of the reconciliation came out.
type Class string

const (
	Match          Class = "match"           // equal to the fen, or within the tolerance
	AmountDiffers  Class = "amount_differs"  // claimed and rated, amounts differ
	OnlyVendor     Class = "only_vendor"     // claimed, not rated (or not payable)
	OnlyOurs       Class = "only_ours"       // rated, not claimed
	DuplicateClaim Class = "duplicate_claim" // a second claim for the same order and item
)

// Classes returns every class in report order.
func Classes() []Class {
	return []Class{Match, AmountDiffers, OnlyVendor, OnlyOurs, DuplicateClaim}
}

// Reason is a machine-readable explanation code of a line.
type Reason string

const (
	ReasonDays            Reason = "days_differ"          // the vendor counted other days
	ReasonQuantity        Reason = "quantity_differs"     // the vendor's quantity is not ours
	ReasonUnitPrice       Reason = "unit_price_differs"   // the amount implies another unit price
	ReasonUnfunded        Reason = "unfunded_claimed"     // the line is rated as unfunded
	ReasonUnfundedQuiet   Reason = "unfunded_not_claimed" // unfunded, rightly not claimed
	ReasonOtherVendor     Reason = "other_vendor"         // the order is rated for another vendor
	ReasonOrderNotRated   Reason = "order_not_rated"      // no rated line of the order this month
	ReasonAdjustmentOnly  Reason = "adjustment_only"      // only a correction of a closed month
	ReasonItemNotRated    Reason = "item_not_rated"       // the order is rated, not with this item
	ReasonNotClaimed      Reason = "not_claimed"          // rated, not on the invoice
	ReasonDuplicate       Reason = "duplicate"            // repeats an earlier claim's keys
	ReasonWithinTolerance Reason = "within_tolerance"     // a difference the tolerance accepts
	ReasonUnexplained     Reason = "unexplained"          // the data does not explain it
)

// Row is one line of the reconciliation: a claim, or a rated (order, item) not claimed.
type Row struct {
	Order catalog.OrderID
	Item  catalog.ItemCode
	// InvoiceLine is the claim's line in the invoice (0: not claimed).
	InvoiceLine int
	Class       Class
	Claimed     bool
	// Vendor is the claimed amount (0 when not claimed); Ours what we accept to pay for
	// this line (0 for a duplicate claim: its keys were matched on the first claim);
	// Difference = Vendor − Ours.
	Vendor, Ours, Difference decimal.Decimal
	// The vendor's figures when given, and ours when the line has one configuration.
	VendorQuantity *decimal.Decimal
	VendorDays     *int
	OurQuantity    *decimal.Decimal
	OurDays        int
	OurUnitPrice   *decimal.Decimal
	// Unfunded is the rated amount of unfunded lines of this order and item.
	Unfunded decimal.Decimal
	Reasons  []Reason
	// Explanation says in Chinese what the data tells about the line.
	Explanation []string
}

// IsDifference reports whether the row needs the bureau's attention.
func (r Row) IsDifference() bool { return r.Class != Match }

// ClassTotal counts the rows of one class and sums their amounts.
type ClassTotal struct {
	Class                    Class
	Rows                     int
	Vendor, Ours, Difference decimal.Decimal
}

// Params is what a reconciliation needs besides the invoice.
type Params struct {
	Vendor catalog.VendorID
	Period calendar.Period
	// Tolerance: a claim within this much of ours (either way) matches. Zero: to the fen.
	Tolerance decimal.Decimal
	// Lines are the month's rated lines of every vendor (other vendors' lines explain
	// claims on their orders).
	Lines []rating.Line
	// Deduction is the vendor's acceptance deduction of the month; nil when there is none.
	Deduction *rating.VendorDeduction
	// Catalog, when set, names the catalog version or zone whose price a claim used.
	Catalog *catalog.Catalog
	// Provisional: the month is open; its lines may still change.
	Provisional bool
	// Source says which rated lines were used (e.g. "frozen run R of the close …").
	Source string
	// Vendors, when set, names the other vendors an explanation mentions (名称（代码）);
	// a vendor not in it is written by its code.
	Vendors map[catalog.VendorID]catalog.Vendor
}

// Result is a reconciliation.
type Result struct {
	Vendor      catalog.VendorID
	Period      calendar.Period
	Tolerance   decimal.Decimal
	Provisional bool
	Source      string
	InvoiceFile string
	// Rows in a stable order: order_id, item_code, then invoice line (a first claim
	// before its duplicates; a line not claimed first).
	Rows    []Row
	Classes []ClassTotal // one per class, in Classes order
	// Claimed is the invoice total; Ours the total we accept for the lines compared;
	// Difference = Claimed − Ours.
	Claimed, Ours, Difference decimal.Decimal
	// Gross is the vendor's rated gross of the month (charge + metered + unfunded), of
	// which Unfunded; Deduction (≤ 0) from acceptance; Adjustments booked this month for
	// closed months; Net = Gross + Deduction + Adjustments.
	Gross, Unfunded, Deduction, Adjustments, Net decimal.Decimal
	// DeductionRate is the deduction's rate; DeductionPending: no acceptance record yet.
	DeductionRate    decimal.Decimal
	DeductionPending bool
	DeductionNote    string
	// Warnings are inconsistencies found on the way (never silent).
	Warnings []string
}

// HasDifferences reports whether any line is not a match.
func (r Result) HasDifferences() bool {
	for _, row := range r.Rows {
		if row.IsDifference() {
			return true
		}
	}
	return false
}

// Differences returns the rows that are not a match, largest absolute difference first
// (ties in row order).
func (r Result) Differences() []Row {
	var out []Row
	for _, row := range r.Rows {
		if row.IsDifference() {
			out = append(out, row)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Difference.Abs().GreaterThan(out[j].Difference.Abs())
	})
	return out
}

// key identifies a line of the invoice and of our side.
type key struct {
	Order catalog.OrderID
	Item  catalog.ItemCode
}

// ours is our side of one (order, item): the vendor's rated lines aggregated.
type ours struct {
	key
	payable  decimal.Decimal // charge + metered
	unfunded decimal.Decimal
	projects []catalog.ProjectID // of unfunded lines
	lines    int                 // charge, metered and unfunded lines
	adjusted []calendar.Period   // closed months corrected by adjustment lines
	metered  bool
	days     int
	dim      int
	// uniform figures (nil when the lines differ)
	quantity  *decimal.Decimal
	unitPrice *decimal.Decimal
	zone      catalog.Zone
	version   calendar.Date
	mixed     bool // quantity, price, zone or version differ between lines
}

// aggregate builds our side of vendor v from the month's lines.
func aggregate(lines []rating.Line, v catalog.VendorID) (map[key]*ours, []key) {
	m := map[key]*ours{}
	var order []key
	for i := range lines {
		l := &lines[i]
		if l.Vendor != v {
			continue
		}
		switch l.Kind {
		case rating.KindCharge, rating.KindMetered, rating.KindUnfunded, rating.KindAdjustment:
		default:
			continue
		}
		k := key{l.Order, l.Item}
		o := m[k]
		if o == nil {
			o = &ours{key: k}
			m[k] = o
			order = append(order, k)
		}
		if l.Kind == rating.KindAdjustment {
			o.adjusted = appendPeriod(o.adjusted, l.Corrects)
			continue
		}
		switch l.Kind {
		case rating.KindUnfunded:
			o.unfunded = o.unfunded.Add(l.Amount)
			o.projects = appendProject(o.projects, l.Project)
		default:
			o.payable = o.payable.Add(l.Amount)
		}
		if l.Kind == rating.KindMetered {
			o.metered = true
		}
		o.days += l.Days
		o.dim = l.DaysInMonth
		if o.lines == 0 {
			q, p := l.Quantity, l.UnitPrice
			o.quantity, o.unitPrice, o.zone, o.version = &q, &p, l.Zone, l.CatalogVersion
		} else {
			if o.quantity != nil && !o.quantity.Equal(l.Quantity) {
				o.quantity, o.mixed = nil, true
			}
			if o.unitPrice != nil && !o.unitPrice.Equal(l.UnitPrice) {
				o.unitPrice, o.mixed = nil, true
			}
			if o.zone != l.Zone || o.version != l.CatalogVersion {
				o.mixed = true
			}
		}
		o.lines++
	}
	sort.Slice(order, func(i, j int) bool { return order[i].less(order[j]) })
	return m, order
}

func (k key) less(o key) bool {
	if k.Order != o.Order {
		return k.Order < o.Order
	}
	return k.Item < o.Item
}

func appendPeriod(ps []calendar.Period, p calendar.Period) []calendar.Period {
	for _, x := range ps {
		if x == p {
			return ps
		}
	}
	return append(ps, p)
}

func appendProject(ps []catalog.ProjectID, p catalog.ProjectID) []catalog.ProjectID {
	for _, x := range ps {
		if x == p {
			return ps
		}
	}
	return append(ps, p)
}

// amountFor is the rated amount of a line of these figures: rating's proration rule
// (rating.Unrounded), rounded once to the fen.
func amountFor(metered bool, price, quantity decimal.Decimal, days, dim int) decimal.Decimal {
	return money.Round(rating.Unrounded(metered, price, quantity, days, dim))
}

// Reconcile compares inv with the rated lines in p. The invoice must be the vendor's and
// month's of p. It never changes p.Lines.
func Reconcile(inv Invoice, p Params) (Result, error) {
	if inv.Vendor != p.Vendor || inv.Period != p.Period {
		return Result{}, fmt.Errorf("reconcile: invoice of %s %s, reconciling %s %s", inv.Vendor, inv.Period, p.Vendor, p.Period)
	}
	if p.Tolerance.IsNegative() {
		return Result{}, fmt.Errorf("reconcile: tolerance %s is negative", p.Tolerance)
	}
	res := Result{Vendor: p.Vendor, Period: p.Period, Tolerance: p.Tolerance, Provisional: p.Provisional, Source: p.Source, InvoiceFile: inv.File}
	mine, keys := aggregate(p.Lines, p.Vendor)
	e := explainer{p: p, mine: mine, byOrder: map[catalog.OrderID][]catalog.ItemCode{}, others: map[catalog.OrderID][]catalog.VendorID{}}
	for _, k := range keys {
		if mine[k].lines > 0 {
			e.byOrder[k.Order] = append(e.byOrder[k.Order], k.Item)
		}
	}
	for _, l := range p.Lines {
		if l.Vendor != p.Vendor && l.Order != "" {
			e.others[l.Order] = appendVendor(e.others[l.Order], l.Vendor)
		}
	}

	first := map[key]int{} // key → first claim's line
	claimed := map[key]bool{}
	for _, c := range inv.Claims {
		k := key{c.Order, c.Item}
		row := Row{Order: c.Order, Item: c.Item, InvoiceLine: c.Line, Claimed: true, Vendor: c.Amount,
			VendorQuantity: c.Quantity, VendorDays: c.Days}
		o := mine[k]
		if o != nil {
			row.OurDays = o.days
			row.OurQuantity, row.OurUnitPrice = o.quantity, o.unitPrice
			row.Unfunded = o.unfunded
		}
		if line, dup := first[k]; dup {
			row.Class = DuplicateClaim
			if c.Repeats > 0 {
				e.add(&row, ReasonDuplicate, glossary.NoteRepeated, "line", strconv.Itoa(c.Repeats))
			} else {
				e.add(&row, ReasonDuplicate, glossary.NoteDuplicate, "line", strconv.Itoa(line))
			}
		} else {
			first[k] = c.Line
			claimed[k] = true
			e.classifyClaim(&row, c, o)
		}
		row.Difference = row.Vendor.Sub(row.Ours)
		res.Rows = append(res.Rows, row)
	}
	for _, k := range keys {
		o := mine[k]
		if claimed[k] || o.lines == 0 {
			continue
		}
		row := Row{Order: k.Order, Item: k.Item, Ours: o.payable, OurDays: o.days, OurQuantity: o.quantity,
			OurUnitPrice: o.unitPrice, Unfunded: o.unfunded}
		switch {
		case o.payable.IsZero() && !o.unfunded.IsZero():
			row.Class = Match
			e.add(&row, ReasonUnfundedQuiet, glossary.NoteUnfundedQuiet, "projects", joinProjects(o.projects), "unfunded", money.Plain(o.unfunded))
		case o.payable.IsZero():
			row.Class = Match
		default:
			row.Class = OnlyOurs
			e.add(&row, ReasonNotClaimed, glossary.NoteNotClaimed)
		}
		row.Difference = row.Vendor.Sub(row.Ours)
		res.Rows = append(res.Rows, row)
	}
	sort.SliceStable(res.Rows, func(i, j int) bool {
		a, b := res.Rows[i], res.Rows[j]
		ka, kb := key{a.Order, a.Item}, key{b.Order, b.Item}
		if ka != kb {
			return ka.less(kb)
		}
		return a.InvoiceLine < b.InvoiceLine
	})

	totals := map[Class]*ClassTotal{}
	for _, c := range Classes() {
		totals[c] = &ClassTotal{Class: c}
	}
	for _, row := range res.Rows {
		t := totals[row.Class]
		t.Rows++
		t.Vendor = t.Vendor.Add(row.Vendor)
		t.Ours = t.Ours.Add(row.Ours)
		t.Difference = t.Difference.Add(row.Difference)
		res.Claimed = res.Claimed.Add(row.Vendor)
		res.Ours = res.Ours.Add(row.Ours)
	}
	res.Difference = res.Claimed.Sub(res.Ours)
	for _, c := range Classes() {
		res.Classes = append(res.Classes, *totals[c])
	}
	res.settle(p)
	return res, nil
}

// settle computes gross, deduction, adjustments and net payable.
func (res *Result) settle(p Params) {
	tot := rating.TotalsOf(nil)
	for _, l := range p.Lines {
		if l.Vendor == p.Vendor {
			tot.Add(l)
		}
	}
	res.Gross, res.Unfunded, res.Adjustments = tot.Gross, tot.Unfunded, tot.Adjustments
	switch d := p.Deduction; {
	case d == nil:
		res.DeductionPending = true
		res.DeductionNote = glossary.ReconcileText(glossary.NoteNoDeduction)
	case d.Pending:
		res.DeductionPending = true
		res.DeductionNote = glossary.ReconcileText(glossary.NoteNoAcceptance)
	default:
		res.Deduction = d.Deduction
		res.DeductionRate = d.Rate
		res.DeductionNote = glossary.ReconcileText(glossary.NoteDeduction, "result", string(d.EffectiveResult), "rate", d.Rate.Mul(decimal.NewFromInt(100)).String())
		if !d.Gross.Equal(res.Gross) {
			res.Warnings = append(res.Warnings, glossary.ReconcileText(glossary.NoteGrossMismatch, "used", money.Plain(d.Gross), "gross", money.Plain(res.Gross)))
		}
	}
	res.Net = res.Gross.Add(res.Deduction).Add(res.Adjustments)
}

func appendVendor(vs []catalog.VendorID, v catalog.VendorID) []catalog.VendorID {
	for _, x := range vs {
		if x == v {
			return vs
		}
	}
	return append(vs, v)
}

func joinProjects(ps []catalog.ProjectID) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = string(p)
	}
	return strings.Join(s, "、")
}

// Ours is our side of one (order, item) of a vendor: its rated lines of the month
// aggregated as reconciliation compares them with a claim.
type Ours struct {
	Order    catalog.OrderID
	Item     catalog.ItemCode
	Payable  decimal.Decimal // charge + metered
	Unfunded decimal.Decimal
	// Lines counts the charge, metered and unfunded lines (0: only adjustments).
	Lines       int
	Metered     bool
	Days        int
	DaysInMonth int
	// Quantity and UnitPrice are the lines' when all lines agree (nil otherwise).
	Quantity, UnitPrice *decimal.Decimal
	// Mixed: quantity, price, zone or catalog version differ between the lines.
	Mixed bool
}

// OurSide returns vendor v's (order, item) pairs of the month's lines (every vendor's)
// as reconciliation aggregates them, in the order of their first line.
func OurSide(lines []rating.Line, v catalog.VendorID) []Ours {
	m, keys := aggregate(lines, v)
	out := make([]Ours, len(keys))
	for i, k := range keys {
		o := m[k]
		out[i] = Ours{Order: k.Order, Item: k.Item, Payable: o.payable, Unfunded: o.unfunded, Lines: o.lines,
			Metered: o.metered, Days: o.days, DaysInMonth: o.dim, Quantity: o.quantity, UnitPrice: o.unitPrice, Mixed: o.mixed}
	}
	return out
}

// ClaimAmount is what a claim of these figures comes to, as reconciliation recomputes a
// vendor's claim to explain a difference: price × quantity, prorated by days of the
// month unless metered, rounded to the fen.
func ClaimAmount(metered bool, price, quantity decimal.Decimal, days, dim int) decimal.Decimal {
	return amountFor(metered, price, quantity, days, dim)
}
