package reconcile

import (
	"sort"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// explainer classifies claims and explains differences from the month's data.
type explainer struct {
	p       Params
	mine    map[key]*ours
	byOrder map[catalog.OrderID][]catalog.ItemCode // this vendor's rated items per order
	others  map[catalog.OrderID][]catalog.VendorID // other vendors rated on an order
}

// add records reason r of row with its explanation n (its values: key, value pairs), in
// the glossary's words.
func (e *explainer) add(row *Row, r Reason, n glossary.ReconcileNote, kv ...string) {
	row.Reasons = append(row.Reasons, r)
	row.Explanation = append(row.Explanation, glossary.ReconcileText(n, kv...))
}

func (e *explainer) within(a, b decimal.Decimal) bool {
	return a.Sub(b).Abs().LessThanOrEqual(e.p.Tolerance)
}

// classifyClaim classifies the first claim of a key (o: our side, nil when none).
func (e *explainer) classifyClaim(row *Row, c Claim, o *ours) {
	if o == nil || o.lines == 0 {
		row.Class = OnlyVendor
		switch {
		case o != nil && len(o.adjusted) > 0:
			e.add(row, ReasonAdjustmentOnly, glossary.NoteAdjustmentOnly, "periods", joinPeriods(o))
		case len(e.others[c.Order]) > 0:
			e.add(row, ReasonOtherVendor, glossary.NoteOtherVendor, "order", string(c.Order), "vendors", e.joinVendors(e.others[c.Order]))
		case len(e.byOrder[c.Order]) > 0:
			e.add(row, ReasonItemNotRated, glossary.NoteItemNotRated, "order", string(c.Order), "items", joinItems(e.byOrder[c.Order]), "item", string(c.Item))
		default:
			e.add(row, ReasonOrderNotRated, glossary.NoteOrderNotRated, "order", string(c.Order))
		}
		return
	}
	row.Ours = o.payable
	if o.payable.IsZero() && !o.unfunded.IsZero() {
		row.Class = OnlyVendor
		e.add(row, ReasonUnfunded, glossary.NoteUnfundedClaimed, "projects", joinProjects(o.projects), "unfunded", money.Plain(o.unfunded))
		return
	}
	if e.within(c.Amount, o.payable) {
		row.Class = Match
		if d := c.Amount.Sub(o.payable); !d.IsZero() {
			e.add(row, ReasonWithinTolerance, glossary.NoteWithinTolerance, "difference", money.Plain(d), "tolerance", money.Plain(e.p.Tolerance))
		}
		return
	}
	row.Class = AmountDiffers
	e.explainAmount(row, c, o)
}

// explainAmount explains why a claim's amount differs from ours: the vendor's days,
// quantity or unit price, or an unfunded part claimed.
func (e *explainer) explainAmount(row *Row, c Claim, o *ours) {
	if !o.unfunded.IsZero() && e.within(c.Amount, o.payable.Add(o.unfunded)) {
		e.add(row, ReasonUnfunded, glossary.NoteUnfundedIncluded, "unfunded", money.Plain(o.unfunded), "projects", joinProjects(o.projects))
		return
	}
	dim := o.dim
	if dim == 0 {
		dim = e.p.Period.Days()
	}
	days := o.days
	if c.Days != nil && !o.metered {
		days = *c.Days
		if n := *c.Days - o.days; n > 0 {
			e.add(row, ReasonDays, glossary.NoteDaysMore, "vendor", strconv.Itoa(*c.Days), "ours", strconv.Itoa(o.days), "n", strconv.Itoa(n))
		} else if n < 0 {
			e.add(row, ReasonDays, glossary.NoteDaysFewer, "vendor", strconv.Itoa(*c.Days), "ours", strconv.Itoa(o.days), "n", strconv.Itoa(-n))
		}
	}
	qty := o.quantity
	if c.Quantity != nil {
		qty = c.Quantity
		if o.quantity != nil && !c.Quantity.Equal(*o.quantity) {
			e.add(row, ReasonQuantity, glossary.NoteQuantity, "vendor", c.Quantity.String(), "ours", o.quantity.String())
		}
	}
	if o.unitPrice == nil || qty == nil || o.mixed && o.quantity == nil {
		if len(row.Reasons) == 0 {
			e.add(row, ReasonUnexplained, glossary.NoteSegments, "difference", money.Plain(c.Amount.Sub(o.payable)))
		}
		return
	}
	if e.within(c.Amount, amountFor(o.metered, *o.unitPrice, *qty, days, dim)) {
		if len(row.Reasons) > 0 {
			row.Explanation = append(row.Explanation, glossary.ReconcileText(glossary.NoteConsistent))
			return
		}
	}
	if len(row.Reasons) == 0 && e.inferFigures(row, c, o, dim) {
		return
	}
	base := rating.Unrounded(o.metered, decimal.NewFromInt(1), *qty, days, dim) // the quantity the price applies to
	if base.IsZero() {
		e.add(row, ReasonUnexplained, glossary.NoteZeroQuantity, "difference", money.Plain(c.Amount.Sub(o.payable)))
		return
	}
	implied := c.Amount.DivRound(base, 4)
	if implied.Abs().GreaterThanOrEqual(decimal.NewFromInt(1)) {
		implied = money.Round(implied)
	}
	text := glossary.ReconcileText(glossary.NoteUnitPrice, "implied", priceText(implied), "price", priceText(*o.unitPrice), "version", o.version.String(), "zone", string(o.zone))
	if hit := e.catalogPrice(row.Item, c.Amount, o, *qty, days, dim); hit != "" {
		text += "；" + hit
	}
	row.Reasons = append(row.Reasons, ReasonUnitPrice)
	row.Explanation = append(row.Explanation, text)
}

// inferFigures explains a claim that gives neither days nor quantity when its amount is
// exactly our unit price for another whole number of days (allocated items) or another
// whole quantity, the rest being ours.
func (e *explainer) inferFigures(row *Row, c Claim, o *ours, dim int) bool {
	if o.unitPrice == nil || o.quantity == nil || c.Days != nil || c.Quantity != nil || !o.unitPrice.IsPositive() {
		return false
	}
	if !o.metered {
		for n := 1; n <= dim; n++ {
			if n != o.days && e.within(c.Amount, amountFor(false, *o.unitPrice, *o.quantity, n, dim)) {
				note := glossary.NoteImpliedDaysMore
				if n < o.days {
					note = glossary.NoteImpliedDaysFewer
				}
				e.add(row, ReasonDays, note, "days", strconv.Itoa(n), "ours", strconv.Itoa(o.days), "n", strconv.Itoa(abs(n-o.days)))
				return true
			}
		}
	}
	if o.quantity.IsInteger() {
		limit := o.quantity.IntPart()*10 + 10
		for q := int64(1); q <= limit; q++ {
			dq := decimal.NewFromInt(q)
			if !dq.Equal(*o.quantity) && e.within(c.Amount, amountFor(o.metered, *o.unitPrice, dq, o.days, dim)) {
				e.add(row, ReasonQuantity, glossary.NoteImpliedQuantity, "quantity", strconv.FormatInt(q, 10), "ours", o.quantity.String())
				return true
			}
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// catalogPrice names a catalog version and zone whose price of item gives the claimed
// amount with the figures used, other than the one that priced our line.
func (e *explainer) catalogPrice(item catalog.ItemCode, amount decimal.Decimal, o *ours, qty decimal.Decimal, days, dim int) string {
	if e.p.Catalog == nil {
		return ""
	}
	for _, v := range e.p.Catalog.Versions {
		it, ok := v.Items[item]
		if !ok {
			continue
		}
		zones := make([]catalog.Zone, 0, len(it.Prices))
		for z := range it.Prices {
			zones = append(zones, z)
		}
		sort.Slice(zones, func(i, j int) bool { return zones[i] < zones[j] })
		for _, z := range zones {
			if v.Effective == o.version && z == o.zone {
				continue
			}
			price := it.Prices[z]
			if e.within(amount, amountFor(o.metered, price, qty, days, dim)) {
				return glossary.ReconcileText(glossary.NoteOtherPrice, "version", v.Effective.String(), "zone", string(z), "price", priceText(price))
			}
		}
	}
	return ""
}

func joinPeriods(o *ours) string {
	s := make([]string, len(o.adjusted))
	for i, p := range o.adjusted {
		s[i] = p.String()
	}
	sort.Strings(s)
	return strings.Join(s, "、")
}

// joinVendors lists vendors by name with the code in brackets (by code where no name is
// known), in the order of their codes.
func (e *explainer) joinVendors(vs []catalog.VendorID) string {
	vs = append([]catalog.VendorID(nil), vs...)
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
		if n := e.p.Vendors[v].Name; n != "" {
			s[i] = n + "（" + string(v) + "）"
		}
	}
	return strings.Join(s, "、")
}

func joinItems(is []catalog.ItemCode) string {
	s := make([]string, len(is))
	for i, v := range is {
		s[i] = string(v)
	}
	sort.Strings(s)
	return strings.Join(s, "、")
}
