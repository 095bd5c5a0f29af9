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
	rr := &rowReader{key: func(row csvin.Row) string {
		v, p := row.Get("vendor_id"), row.Get("period")
		switch {
		case v != "" && p != "":
			return "vendor " + v + ", period " + p
		case v != "":
			return "vendor " + v
		}
		return ""
	}}
	seen := map[key]Source{}
	var out []Acceptance
	var rep Report
	rr.read(f, AcceptanceColumns(), func(row csvin.Row) {
		a := Acceptance{Source: rr.source(row)}
		ok := true
		if v, okV := rr.id(row, "vendor_id"); okV {
			if _, exists := org.Vendors[VendorID(v)]; !exists {
				rr.errorf(row, "vendor_id", "unknown vendor %s", v)
				ok = false
			}
			a.Vendor = VendorID(v)
		} else {
			ok = false
		}
		if s, okP := rr.required(row, "period"); okP {
			p, err := calendar.ParsePeriod(s)
			if err != nil {
				rr.errorf(row, "period", "%v", err)
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
				rr.errorf(row, col.name, "%s is above 100", s)
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
			rr.errorf(row, "period", "a second record for vendor %s and %s (also %s)", a.Vendor, a.Period, where(prev, rr.file))
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
