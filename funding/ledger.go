package funding

import (
	"sort"
	"strconv"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// PayableKind says where a payable amount comes from.
type PayableKind string

const (
	PayableClosed   PayableKind = "closed"   // a closed month's settlement (net, adjustments included)
	PayableEstimate PayableKind = "estimate" // the December estimate (预估)
	PayableTrueUp   PayableKind = "true_up"  // the previous December's final − estimate (上年12月预估差额)
)

// PayableLine is one amount a vendor's payable for a year is made of.
type PayableLine struct {
	Period calendar.Period
	Kind   PayableKind
	Amount decimal.Decimal
}

// VendorYear is one vendor's ledger for a year: payable, paid, outstanding, with the
// vouchers.
type VendorYear struct {
	Vendor catalog.VendorID
	Name   string
	Year   int
	Lines  []PayableLine
	// Payable = Σ Lines; Paid = Σ Vouchers; Outstanding = Payable − Paid.
	Payable, Paid, Outstanding decimal.Decimal
	// Vouchers whose service month is in the year, by paid date (refunds negative).
	Vouchers []Payment
}

// LedgerInput is what a year's ledger reads.
type LedgerInput struct {
	Year int
	Org  catalog.Org
	// ClosedNet: each closed month's net settlement per vendor (the sum of the vendor's
	// frozen lines: charges, metered, unfunded, deductions and adjustments).
	ClosedNet map[calendar.Period]map[catalog.VendorID]decimal.Decimal
	// Estimated: the net per vendor of each issued (not withdrawn) December estimate.
	Estimated map[calendar.Period]map[catalog.VendorID]decimal.Decimal
	Payments  []Payment
}

// Ledger is each vendor's ledger for the year (docs/year.md):
//
//   - payable: the net of its closed settlements of January–November; December at its
//     estimate when one was issued (it is what was paid in-year; once December closes,
//     the difference final − estimate is the next year's true-up), else at its closed net;
//     plus the true-up of the previous December when that December was estimated and is
//     closed (booked in January of the year);
//   - paid: the vouchers whose service month is in the year (refunds negative);
//   - outstanding = payable − paid.
//
// Every vendor with a payable line or a voucher is listed, by id.
func Ledger(in LedgerInput) []VendorYear {
	by := map[catalog.VendorID]*VendorYear{}
	get := func(v catalog.VendorID) *VendorYear {
		if vy, ok := by[v]; ok {
			return vy
		}
		vy := &VendorYear{Vendor: v, Name: in.Org.Vendors[v].Name, Year: in.Year, Payable: decimal.Zero, Paid: decimal.Zero}
		by[v] = vy
		return vy
	}
	addMap := func(p calendar.Period, kind PayableKind, m map[catalog.VendorID]decimal.Decimal) {
		for v, a := range m {
			vy := get(v)
			vy.Lines = append(vy.Lines, PayableLine{Period: p, Kind: kind, Amount: a})
			vy.Payable = vy.Payable.Add(a)
		}
	}
	dec := calendar.Period{Year: in.Year, Month: 12}
	prevDec := calendar.Period{Year: in.Year - 1, Month: 12}
	if final, closed := in.ClosedNet[prevDec]; closed {
		if est, estimated := in.Estimated[prevDec]; estimated {
			addMap(calendar.Period{Year: in.Year, Month: 1}, PayableTrueUp, TrueUp(final, est))
		}
	}
	for p := (calendar.Period{Year: in.Year, Month: 1}); p.Year == in.Year; p = p.Next() {
		if p == dec {
			if est, ok := in.Estimated[dec]; ok {
				addMap(p, PayableEstimate, est)
				continue
			}
		}
		if net, ok := in.ClosedNet[p]; ok {
			addMap(p, PayableClosed, net)
		}
	}
	for _, pay := range in.Payments {
		if pay.Period.Year != in.Year {
			continue
		}
		vy := get(pay.Vendor)
		vy.Vouchers = append(vy.Vouchers, pay)
		vy.Paid = vy.Paid.Add(pay.Amount)
	}
	out := make([]VendorYear, 0, len(by))
	for _, vy := range by {
		sort.SliceStable(vy.Lines, func(i, j int) bool { return vy.Lines[i].Period.Before(vy.Lines[j].Period) })
		sort.SliceStable(vy.Vouchers, func(i, j int) bool {
			a, b := vy.Vouchers[i], vy.Vouchers[j]
			if a.PaidDate != b.PaidDate {
				return a.PaidDate.Before(b.PaidDate)
			}
			return a.Voucher < b.Voucher
		})
		vy.Outstanding = vy.Payable.Sub(vy.Paid)
		out = append(out, *vy)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Vendor < out[j].Vendor })
	return out
}

// TrueUp is final − estimated net per vendor (or department): what the close of an
// estimated December adds to, or takes from, what was paid on the estimate.
func TrueUp(final, estimated map[catalog.VendorID]decimal.Decimal) map[catalog.VendorID]decimal.Decimal {
	out := map[catalog.VendorID]decimal.Decimal{}
	for v, a := range final {
		out[v] = a
	}
	for v, a := range estimated {
		out[v] = out[v].Sub(a)
	}
	return out
}

// TrueUpLines are the lines 上年12月预估差额 that January of the next year books for an
// estimated December once it is closed: per department, vendor and funding category,
// final − estimated (final: December's frozen lines; est: the estimate in force), as
// adjustment lines of january correcting December, with the two figures in the note. A
// group whose difference is zero has no line. Per vendor they add up to TrueUp of the
// vendor's nets, to the fen.
func TrueUpLines(january calendar.Period, final []rating.Line, est Estimate) []rating.Line {
	type key struct {
		dep catalog.DepartmentID
		ven catalog.VendorID
		cat catalog.ProjectCategory
	}
	type pair struct{ final, est decimal.Decimal }
	sums := map[key]*pair{}
	get := func(k key) *pair {
		p := sums[k]
		if p == nil {
			p = &pair{decimal.Zero, decimal.Zero}
			sums[k] = p
		}
		return p
	}
	for _, l := range final {
		p := get(key{l.Department, l.Vendor, l.Category})
		p.final = p.final.Add(l.Amount)
	}
	for _, l := range est.Lines {
		p := get(key{l.Department, l.Vendor, l.Category})
		p.est = p.est.Add(l.Amount)
	}
	var out []rating.Line
	for k, p := range sums {
		d := p.final.Sub(p.est)
		if d.IsZero() {
			continue
		}
		out = append(out, rating.Line{Period: january, Kind: rating.KindAdjustment, Department: k.dep, Vendor: k.ven, Category: k.cat,
			Amount: d, Unrounded: d, Corrects: est.Period,
			Note: glossary.FundingText("true_up_note", "true_up", Label("true_up"), "year", strconv.Itoa(est.Period.Year), "final", money.Plain(p.final), "estimate", money.Plain(p.est))})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Vendor != b.Vendor {
			return a.Vendor < b.Vendor
		}
		if a.Department != b.Department {
			return a.Department < b.Department
		}
		return a.Category < b.Category
	})
	return out
}
