package reconcile

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// InjectionKind is a discrepancy the invoice generator puts into a vendor's invoice.
type InjectionKind string

const (
	InjectTrialDays   InjectionKind = "extra_trial_days"   // days counted before the confirmed start
	InjectQuantity    InjectionKind = "quantity"           // another quantity than confirmed
	InjectUnitPrice   InjectionKind = "unit_price"         // a wrong unit price
	InjectExtraClaim  InjectionKind = "extra_claim"        // an order we never rated (trial only)
	InjectOtherVendor InjectionKind = "other_vendor_order" // an order of another vendor
	InjectMissing     InjectionKind = "missing_claim"      // a rated line left off the invoice
	InjectDuplicate   InjectionKind = "duplicate_claim"    // the same order and item claimed twice
	InjectUnfunded    InjectionKind = "unfunded_claimed"   // a line of a project not on the list
)

// Injection is one discrepancy put into a generated invoice, with what reconciliation
// must find for it.
type Injection struct {
	Kind   InjectionKind
	Order  catalog.OrderID
	Item   catalog.ItemCode
	Class  Class
	Reason Reason
	Note   string
}

// GenerateInvoice derives vendor v's invoice for period p from the month's rated lines
// (every vendor's): one claim per rated (order, item) with our amount, quantity and days,
// then, chosen by seed, one discrepancy of each kind that the month's lines allow (a
// kind is left out when no line fits it: e.g. no unfunded line, or no partial month for
// extra trial days). The same lines and seed give the same invoice. Pure: lines are not
// changed.
func GenerateInvoice(lines []rating.Line, v catalog.VendorID, p calendar.Period, seed int64) (Invoice, []Injection) {
	h := fnv.New64a()
	_, _ = h.Write([]byte(v))
	rng := rand.New(rand.NewPCG(uint64(seed), h.Sum64()))

	mine, keys := aggregate(lines, v)
	claims := map[key]*Claim{}
	var funded, allocated, unfunded []key
	for _, k := range keys {
		o := mine[k]
		if o.lines == 0 {
			continue
		}
		if o.payable.IsZero() {
			if !o.unfunded.IsZero() {
				unfunded = append(unfunded, k)
			}
			continue
		}
		c := &Claim{Order: k.Order, Item: k.Item, Amount: o.payable, Quantity: o.quantity}
		if !o.metered {
			d := o.days
			c.Days = &d
		}
		claims[k] = c
		if o.unfunded.IsZero() && o.payable.GreaterThanOrEqual(decimal.RequireFromString("0.02")) {
			funded = append(funded, k)
			if !o.metered && !o.mixed && o.quantity != nil && o.unitPrice != nil && o.quantity.IsPositive() && o.days > 0 {
				allocated = append(allocated, k)
			}
		}
	}
	used := map[key]bool{}
	pick := func(cands []key, ok func(key) bool) (key, bool) {
		order := rng.Perm(len(cands))
		for _, i := range order {
			k := cands[i]
			if !used[k] && (ok == nil || ok(k)) {
				used[k] = true
				return k, true
			}
		}
		return key{}, false
	}
	var inj []Injection
	var extra []Claim

	// extra trial days: a partial month, the vendor counts 1–3 days more.
	n := 1 + rng.IntN(3)
	if k, ok := pick(allocated, func(k key) bool {
		o := mine[k]
		return o.days+n <= o.dim && !amountFor(false, *o.unitPrice, *o.quantity, o.days+n, o.dim).Equal(o.payable)
	}); ok {
		o := mine[k]
		days := o.days + n
		c := claims[k]
		c.Days = &days
		c.Amount = amountFor(false, *o.unitPrice, *o.quantity, days, o.dim)
		inj = append(inj, Injection{InjectTrialDays, k.Order, k.Item, AmountDiffers, ReasonDays, fmt.Sprintf("%d trial days counted: %d days instead of %d", n, days, o.days)})
	}
	// quantity: one more unit than confirmed (twice as much below one unit).
	moreOf := func(q decimal.Decimal) decimal.Decimal {
		if q.LessThan(decimal.NewFromInt(1)) {
			return q.Mul(decimal.NewFromInt(2))
		}
		return q.Add(decimal.NewFromInt(1))
	}
	if k, ok := pick(allocated, func(k key) bool {
		o := mine[k]
		return !amountFor(false, *o.unitPrice, moreOf(*o.quantity), o.days, o.dim).Equal(o.payable)
	}); ok {
		o := mine[k]
		q := moreOf(*o.quantity)
		c := claims[k]
		c.Quantity = &q
		c.Amount = amountFor(false, *o.unitPrice, q, o.days, o.dim)
		inj = append(inj, Injection{InjectQuantity, k.Order, k.Item, AmountDiffers, ReasonQuantity, fmt.Sprintf("quantity %s instead of %s", q, o.quantity)})
	}
	// unit price: 10–30 % above the catalog price.
	pct := decimal.NewFromInt(int64(110 + rng.IntN(21))).Div(decimal.NewFromInt(100))
	if k, ok := pick(allocated, func(k key) bool {
		o := mine[k]
		return !amountFor(false, money.Round(o.unitPrice.Mul(pct)), *o.quantity, o.days, o.dim).Equal(o.payable)
	}); ok {
		o := mine[k]
		price := money.Round(o.unitPrice.Mul(pct))
		c := claims[k]
		c.Amount = amountFor(false, price, *o.quantity, o.days, o.dim)
		inj = append(inj, Injection{InjectUnitPrice, k.Order, k.Item, AmountDiffers, ReasonUnitPrice, fmt.Sprintf("unit price %s instead of %s", priceText(price), priceText(*o.unitPrice))})
	}
	// a rated line left off.
	if k, ok := pick(funded, nil); ok {
		delete(claims, k)
		inj = append(inj, Injection{InjectMissing, k.Order, k.Item, OnlyOurs, ReasonNotClaimed, "not claimed"})
	}
	// a duplicate claim: the order and item claimed again for part of the month.
	if k, ok := pick(funded, nil); ok {
		o := mine[k]
		d := Claim{Order: k.Order, Item: k.Item, Amount: money.Round(o.payable.Div(decimal.NewFromInt(2)))}
		if !o.metered && !o.mixed && o.quantity != nil && o.unitPrice != nil && o.days >= 2 {
			days := o.days / 2
			d.Days, d.Quantity = &days, o.quantity
			d.Amount = amountFor(false, *o.unitPrice, *o.quantity, days, o.dim)
		}
		extra = append(extra, d)
		inj = append(inj, Injection{InjectDuplicate, k.Order, k.Item, DuplicateClaim, ReasonDuplicate, fmt.Sprintf("claimed again: %s", money.Plain(d.Amount))})
	}
	// an unfunded line claimed.
	if k, ok := pick(unfunded, nil); ok {
		o := mine[k]
		c := &Claim{Order: k.Order, Item: k.Item, Amount: o.unfunded, Quantity: o.quantity}
		if !o.metered {
			d := o.days
			c.Days = &d
		}
		claims[k] = c
		inj = append(inj, Injection{InjectUnfunded, k.Order, k.Item, OnlyVendor, ReasonUnfunded, fmt.Sprintf("unfunded line claimed: %s", money.Plain(o.unfunded))})
	}
	// an order never rated: a trial environment billed as if confirmed.
	if len(keys) > 0 {
		known := map[catalog.OrderID]bool{}
		for _, l := range lines {
			known[l.Order] = true
		}
		order := catalog.OrderID(fmt.Sprintf("TRIAL-%s-%04d", v, rng.IntN(10000)))
		for known[order] {
			order += "X"
		}
		model := mine[keys[rng.IntN(len(keys))]]
		days := 1 + rng.IntN(p.Days())
		amount := money.Round(decimal.NewFromInt(int64(100 + rng.IntN(5000))))
		if model.unitPrice != nil && model.unitPrice.IsPositive() {
			amount = amountFor(false, *model.unitPrice, decimal.NewFromInt(1), days, p.Days())
		}
		extra = append(extra, Claim{Order: order, Item: model.Item, Amount: amount, Days: &days})
		inj = append(inj, Injection{InjectExtraClaim, order, model.Item, OnlyVendor, ReasonOrderNotRated, "an order not rated this month (trial environment)"})
	}
	// an order of another vendor.
	myOrders := map[catalog.OrderID]bool{}
	for k := range mine {
		myOrders[k.Order] = true
	}
	var foreign []rating.Line
	for _, l := range lines {
		if l.Vendor != v && !myOrders[l.Order] && (l.Kind == rating.KindCharge || l.Kind == rating.KindMetered) && l.Amount.IsPositive() {
			foreign = append(foreign, l)
		}
	}
	if len(foreign) > 0 {
		sort.SliceStable(foreign, func(i, j int) bool {
			return key{foreign[i].Order, foreign[i].Item}.less(key{foreign[j].Order, foreign[j].Item})
		})
		l := foreign[rng.IntN(len(foreign))]
		extra = append(extra, Claim{Order: l.Order, Item: l.Item, Amount: l.Amount})
		inj = append(inj, Injection{InjectOtherVendor, l.Order, l.Item, OnlyVendor, ReasonOtherVendor, fmt.Sprintf("order of vendor %s", l.Vendor)})
	}

	inv := Invoice{Vendor: v, Period: p}
	ks := make([]key, 0, len(claims))
	for k := range claims {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].less(ks[j]) })
	for _, k := range ks {
		inv.Claims = append(inv.Claims, *claims[k])
	}
	inv.Claims = append(inv.Claims, extra...)
	for i := range inv.Claims {
		inv.Claims[i].Line = i + 2
	}
	return inv, inj
}

// WriteInjectionsCSV writes the list of what was injected into vendor v's invoice.
func WriteInjectionsCSV(w io.Writer, v catalog.VendorID, p calendar.Period, inj []Injection) error {
	cw := csvout.NewWriter(w)
	_ = cw.Write([]string{"vendor_id", "period", "order_id", "item_code", "injected", "expected_class", "expected_reason", "note"})
	for _, x := range inj {
		_ = cw.Write([]string{string(v), p.String(), string(x.Order), string(x.Item), string(x.Kind), string(x.Class), string(x.Reason), x.Note})
	}
	cw.Flush()
	return cw.Error()
}
