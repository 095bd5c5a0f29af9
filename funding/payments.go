package funding

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// Payment is one payment voucher of the finance system (§21): what was paid to a vendor
// for a service month, and when. A refund has a negative amount and names the voucher it
// refunds.
type Payment struct {
	Voucher  string
	Vendor   catalog.VendorID
	Period   calendar.Period
	Amount   decimal.Decimal
	PaidDate calendar.Date
	Refunds  string
	Source   catalog.Source
	// ImportedAt is when the voucher was imported (a final statement shows the vouchers
	// imported by its close).
	ImportedAt time.Time
}

// CrossYear reports a voucher paid after 31 December of its service month's year (跨年支付).
func (p Payment) CrossYear() bool { return p.PaidDate.Year > p.Period.Year }

func samePayment(a, b Payment) bool {
	return a.Voucher == b.Voucher && a.Vendor == b.Vendor && a.Period == b.Period && a.Amount.Equal(b.Amount) &&
		a.PaidDate == b.PaidDate && a.Refunds == b.Refunds
}

// paymentColumns are the columns of a payments file (docs/formats.md).
var paymentColumns = csvin.Spec{
	Required: []string{"voucher_no", "vendor_id", "period", "amount", "paid_date"},
	Optional: []string{"refunds"},
}

// PaymentStore reads what a payment is checked against and stores payments.
type PaymentStore interface {
	Org(ctx context.Context) (catalog.Org, error)
	Payments(ctx context.Context) ([]Payment, error)
	// ClosedPeriods: the closed months; EstimatedPeriods: the months with an issued
	// (not withdrawn) estimate.
	ClosedPeriods(ctx context.Context) ([]calendar.Period, error)
	EstimatedPeriods(ctx context.Context) ([]calendar.Period, error)
	InsertPayments(ctx context.Context, imp catalog.Import, ps []Payment) error
}

// ImportPayments validates a payments file and stores its new vouchers. Rules:
// voucher_no an identifier, imported once: the same voucher again with the same content
// is already present, with other content an error; vendor_id a stored vendor; period a
// month that is closed or has an issued December estimate; amount in CNY with at most two
// decimals, not zero; paid_date a date; a negative amount is a refund and needs refunds =
// the voucher it refunds (stored or in the same file, same vendor, a payment), whose
// refunds may not add up to more than it paid; refunds on a positive amount is an error.
// A refused file stores nothing and returns csvin.Errors naming file, line, column and
// record of every error.
func ImportPayments(ctx context.Context, st PaymentStore, f catalog.File, now time.Time) (catalog.Report, error) {
	org, err := st.Org(ctx)
	if err != nil {
		return catalog.Report{}, err
	}
	stored, err := st.Payments(ctx)
	if err != nil {
		return catalog.Report{}, err
	}
	payable := map[calendar.Period]bool{}
	for _, get := range []func(context.Context) ([]calendar.Period, error){st.ClosedPeriods, st.EstimatedPeriods} {
		ps, err := get(ctx)
		if err != nil {
			return catalog.Report{}, err
		}
		for _, p := range ps {
			payable[p] = true
		}
	}
	known := map[string]Payment{}
	refunded := map[string]decimal.Decimal{} // voucher → Σ refunds (negative)
	for _, p := range stored {
		known[p.Voucher] = p
		if p.Refunds != "" {
			refunded[p.Refunds] = refunded[p.Refunds].Add(p.Amount)
		}
	}
	r := &reader{key: func(row csvin.Row) []string {
		return []string{"voucher", row.Get("voucher_no")}
	}}
	var rows []Payment
	rowOf := map[string]csvin.Row{}
	var rep catalog.Report
	r.read(f, paymentColumns, func(row csvin.Row) {
		p := Payment{Source: catalog.Source{File: f.Name, Line: row.Line}}
		ok := true
		if v, okV := r.id(row, "voucher_no"); okV {
			p.Voucher = v
		} else {
			ok = false
		}
		if v, okV := r.id(row, "vendor_id"); okV {
			if _, exists := org.Vendors[catalog.VendorID(v)]; !exists {
				r.coded(row, "vendor_id", csvin.CodeUnknownVendor, "vendor", v)
				ok = false
			}
			p.Vendor = catalog.VendorID(v)
		} else {
			ok = false
		}
		if s, okP := r.required(row, "period"); okP {
			per, err := calendar.ParsePeriod(s)
			switch {
			case err != nil:
				r.coded(row, "period", csvin.CodePeriodBadOf, "value", s)
				ok = false
			case !payable[per]:
				r.coded(row, "period", csvin.CodeNotPayable, "period", per.String())
				ok = false
			}
			p.Period = per
		} else {
			ok = false
		}
		if a, okA := r.amount(row, "amount", true); okA {
			if a.IsZero() {
				r.coded(row, "amount", csvin.CodeAmountZero)
				ok = false
			}
			p.Amount = a
		} else {
			ok = false
		}
		if s, okD := r.required(row, "paid_date"); okD {
			d, err := calendar.ParseDate(s)
			if err != nil {
				r.coded(row, "paid_date", csvin.CodeDateBad, "value", s)
				ok = false
			}
			p.PaidDate = d
		} else {
			ok = false
		}
		p.Refunds = row.Get("refunds")
		switch {
		case p.Amount.Sign() < 0 && p.Refunds == "":
			r.coded(row, "refunds", csvin.CodeRefundNoVoucher)
			ok = false
		case p.Amount.Sign() > 0 && p.Refunds != "":
			r.coded(row, "refunds", csvin.CodeRefundPositive, "value", p.Amount.String())
			ok = false
		}
		if !ok {
			return
		}
		if prev, dup := rowOf[p.Voucher]; dup {
			r.coded(row, "voucher_no", csvin.CodeVoucherTwice, append([]string{"voucher", p.Voucher}, r.at(prev.Line)...)...)
			return
		}
		rowOf[p.Voucher] = row
		if old, exists := known[p.Voucher]; exists {
			if samePayment(old, p) {
				rep.Present++
				return
			}
			r.coded(row, "voucher_no", csvin.CodeVoucherChanged, "voucher", p.Voucher, "file", old.Source.File, "vendor", string(old.Vendor),
				"period", old.Period.String(), "amount", old.Amount.StringFixed(2), "paid", old.PaidDate.String())
			return
		}
		rows = append(rows, p)
	})
	// refunds name a payment of the same vendor, stored or in this file, and do not
	// refund more than it paid
	inFile := map[string]Payment{}
	for _, p := range rows {
		inFile[p.Voucher] = p
	}
	for _, p := range rows {
		if p.Refunds == "" {
			continue
		}
		row := rowOf[p.Voucher]
		orig, ok := known[p.Refunds]
		if !ok {
			orig, ok = inFile[p.Refunds]
		}
		switch {
		case !ok:
			r.coded(row, "refunds", csvin.CodeRefundUnknown, "voucher", p.Refunds)
			continue
		case orig.Amount.Sign() < 0:
			r.coded(row, "refunds", csvin.CodeRefundOfRefund, "voucher", p.Refunds)
			continue
		case orig.Vendor != p.Vendor:
			r.coded(row, "refunds", csvin.CodeRefundVendor, "voucher", p.Refunds, "paid", string(orig.Vendor), "vendor", string(p.Vendor))
			continue
		}
		refunded[p.Refunds] = refunded[p.Refunds].Add(p.Amount)
		if refunded[p.Refunds].Add(orig.Amount).Sign() < 0 {
			r.coded(row, "amount", csvin.CodeRefundExceeds, "voucher", p.Refunds, "refunded", refunded[p.Refunds].Neg().StringFixed(2), "paid", orig.Amount.StringFixed(2))
		}
	}
	rep.Read = r.rows
	if len(r.errs) > 0 {
		sort.SliceStable(r.errs, func(i, j int) bool { return r.errs[i].Line < r.errs[j].Line })
		return catalog.Report{}, r.errs
	}
	if len(rows) == 0 {
		return rep, nil
	}
	imp := r.newImport("payments", len(rows), now)
	for i := range rows {
		rows[i].Source.ImportID = imp.ID
	}
	if err := st.InsertPayments(ctx, imp, rows); err != nil {
		return catalog.Report{}, fmt.Errorf("store payments: %w", err)
	}
	rep.Import, rep.Accepted = imp, len(rows)
	return rep, nil
}
