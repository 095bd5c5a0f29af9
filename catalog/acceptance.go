package catalog

import (
	"context"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// AcceptanceColumns returns the columns of an acceptance file (docs/formats.md).
func AcceptanceColumns() csvin.Spec {
	return csvin.Spec{
		Required: []string{"vendor_id", "period", "result"},
		Optional: []string{"score", "availability", "security_valid_until"},
	}
}

// AcceptanceStore stores acceptance records.
type AcceptanceStore interface {
	OrgReader
	// AllAcceptances is the record in force (the latest import) of every vendor and month.
	AllAcceptances(ctx context.Context) ([]Acceptance, error)
	InsertAcceptances(ctx context.Context, imp Import, as []Acceptance) error
}

var hundred = decimal.NewFromInt(100)

// ImportAcceptance validates an acceptance file and stores its new or changed records.
// Rules: vendor_id a stored vendor; period YYYY-MM; result passed, deferred or failed;
// score and availability, when given, plain decimals from 0 to 100;
// security_valid_until, when given, a date; one record per vendor and month in a file.
// A record identical to the stored one is already present; a different one for the same
// vendor and month replaces it (a corrected evaluation; rating uses the latest). A
// refused file stores nothing and returns csvin.Errors with every error.
func ImportAcceptance(ctx context.Context, st AcceptanceStore, f File, now time.Time) (Report, error) {
	org, err := st.Org(ctx)
	if err != nil {
		return Report{}, err
	}
	all, err := st.AllAcceptances(ctx)
	if err != nil {
		return Report{}, err
	}
	type key struct {
		v VendorID
		p calendar.Period
	}
	stored := map[key]Acceptance{}
	for _, a := range all {
		stored[key{a.Vendor, a.Period}] = a
	}
	rr := &rowReader{key: func(row csvin.Row) []string {
		if v := row.Get("vendor_id"); v != "" {
			return []string{"vendor", v, "period", row.Get("period")}
		}
		return nil
	}}
	seen := map[key]Source{}
	var out []Acceptance
	var rep Report
	rr.read(f, AcceptanceColumns(), func(row csvin.Row) {
		a := Acceptance{Source: rr.source(row)}
		ok := true
		if v, okV := rr.id(row, "vendor_id"); okV {
			if _, exists := org.Vendors[VendorID(v)]; !exists {
				rr.coded(row, "vendor_id", csvin.CodeUnknownVendor, "vendor", v)
				ok = false
			}
			a.Vendor = VendorID(v)
		} else {
			ok = false
		}
		if s, okP := rr.required(row, "period"); okP {
			p, err := calendar.ParsePeriod(s)
			if err != nil {
				rr.coded(row, "period", csvin.CodePeriodBadOf, "value", s)
				ok = false
			}
			a.Period = p
		} else {
			ok = false
		}
		if r, okR := rr.required(row, "result"); !okR || !rr.oneOf(row, "result", r, string(Passed), string(Deferred), string(Failed)) {
			ok = false
		} else {
			a.Result = AcceptanceResult(r)
		}
		for _, col := range []struct {
			name string
			dst  **decimal.Decimal
		}{{"score", &a.Score}, {"availability", &a.Availability}} {
			s := row.Get(col.name)
			if s == "" {
				continue
			}
			d, okD := rr.decimalValue(row, col.name, s)
			if !okD {
				ok = false
				continue
			}
			if d.GreaterThan(hundred) {
				rr.coded(row, col.name, csvin.CodeAbove100, "value", s)
				ok = false
				continue
			}
			*col.dst = &d
		}
		if s := row.Get("security_valid_until"); s != "" {
			d, okD := rr.date(row, "security_valid_until", s)
			if okD {
				a.SecurityValidUntil = &d
			} else {
				ok = false
			}
		}
		if !ok {
			return
		}
		k := key{a.Vendor, a.Period}
		if prev, dup := seen[k]; dup {
			rr.coded(row, "period", csvin.CodeAcceptanceTwice, append([]string{"vendor", string(a.Vendor), "period", a.Period.String()}, rr.at(prev)...)...)
			return
		}
		seen[k] = a.Source
		if old, exists := stored[k]; exists {
			if sameAcceptance(old, a) {
				rep.Present++
				return
			}
			rep.Replaced++
		}
		out = append(out, a)
	})
	return commit(rr, rep, "acceptance", f.Name, now, out, func(a *Acceptance) *Source { return &a.Source },
		func(imp Import, rows []Acceptance) error { return st.InsertAcceptances(ctx, imp, rows) })
}

func sameAcceptance(a, b Acceptance) bool {
	eqDec := func(x, y *decimal.Decimal) bool {
		if x == nil || y == nil {
			return x == y
		}
		return x.Equal(*y)
	}
	eqDate := func(x, y *calendar.Date) bool {
		if x == nil || y == nil {
			return x == y
		}
		return *x == *y
	}
	return a.Vendor == b.Vendor && a.Period == b.Period && a.Result == b.Result &&
		eqDec(a.Score, b.Score) && eqDec(a.Availability, b.Availability) && eqDate(a.SecurityValidUntil, b.SecurityValidUntil)
}
