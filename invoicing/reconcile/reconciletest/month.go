// Package reconciletest builds synthetic rated months for the tests and the benchmark of
// vendor-invoice reconciliation: plain rating.Line values shaped like the rating engine's
// (full and partial months, changes of quantity within a month, catalog versions,
// metered items, unfunded orders, corrections of a closed month), without a database.
package reconciletest

import (
	"fmt"
	"math/rand/v2"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// Config sizes a synthetic month.
type Config struct {
	Period  calendar.Period
	Vendors int // vendors V01…
	Orders  int // work orders per vendor
	Seed    int64
}

var items = []struct {
	code    catalog.ItemCode
	price   string
	metered bool
}{
	{"ECS-2C4G", "300", false},
	{"ECS-4C8G", "560", false},
	{"ECS-8C16G", "1080", false},
	{"EVS-SSD-GB", "0.65", false},
	{"RDS-MYSQL-4C", "1450", false},
	{"NET-BW-MBPS", "45", false},
	{"NET-TRAFFIC-GB", "0.8", true},
	{"OBS-GB", "0.12", true},
}

// Month returns the rated lines of every vendor of cfg: per order one item, most for the
// whole month, some opened or terminated within it, some with a change of quantity (two
// lines), some priced by two catalog versions, about one in twenty unfunded, and a few
// adjustments of the month before.
func Month(cfg Config) []rating.Line {
	rng := rand.New(rand.NewPCG(uint64(cfg.Seed), 7))
	p := cfg.Period
	dim := p.Days()
	var out []rating.Line
	for v := 1; v <= cfg.Vendors; v++ {
		vendor := catalog.VendorID(fmt.Sprintf("V%02d", v))
		for o := 1; o <= cfg.Orders; o++ {
			it := items[rng.IntN(len(items))]
			base := rating.Line{
				Period: p, Kind: rating.KindCharge, Vendor: vendor,
				Department: catalog.DepartmentID(fmt.Sprintf("D%03d", 1+rng.IntN(60))),
				Project:    catalog.ProjectID(fmt.Sprintf("P%04d", 1+rng.IntN(400))), Category: catalog.CategoryOM,
				Order: catalog.OrderID(fmt.Sprintf("WO-%s-%06d", vendor, o)), Item: it.code,
				Zone: catalog.ZoneInternet, Mode: catalog.ModeShared, DaysInMonth: dim,
				UnitPrice: decimal.RequireFromString(it.price), CatalogVersion: calendar.MustDate("2026-01-01"),
			}
			if rng.IntN(4) == 0 {
				base.Zone = catalog.ZoneExtranet
			}
			if rng.IntN(20) == 0 {
				base.Kind = rating.KindUnfunded
				base.Project = "P-UNLISTED"
			}
			if it.metered {
				base.Kind = map[bool]rating.Kind{true: rating.KindUnfunded, false: rating.KindMetered}[base.Kind == rating.KindUnfunded]
				base.From, base.To, base.Days = p.First(), p.Last(), dim
				base.Quantity = decimal.NewFromInt(int64(rng.IntN(50000)))
				out = append(out, priced(base))
				continue
			}
			qty := decimal.NewFromInt(int64(1 + rng.IntN(8)))
			if it.code == "EVS-SSD-GB" {
				qty = decimal.NewFromInt(int64(100 * (1 + rng.IntN(20))))
			}
			from, to := 1, dim
			switch rng.IntN(6) {
			case 0:
				from = 1 + rng.IntN(dim)
			case 1:
				to = 1 + rng.IntN(dim)
			}
			switch rng.IntN(10) {
			case 0: // a change of quantity on day c
				c := 2 + rng.IntN(dim-1)
				if c > from && c <= to {
					out = append(out, segment(base, p, from, c-1, qty))
					from, qty = c, qty.Add(decimal.NewFromInt(1))
				}
			case 1: // a new catalog version from day c
				c := 2 + rng.IntN(dim-1)
				if c > from && c <= to {
					out = append(out, segment(base, p, from, c-1, qty))
					from = c
					base.UnitPrice = money.Round(base.UnitPrice.Mul(decimal.RequireFromString("0.95")))
					base.CatalogVersion = calendar.Date{Year: p.Year, Month: p.Month, Day: c}
				}
			}
			out = append(out, segment(base, p, from, to, qty))
			if rng.IntN(50) == 0 {
				adj := segment(base, p, 1, 1, qty)
				adj.Kind, adj.Corrects = rating.KindAdjustment, p.Prev()
				adj.Amount, adj.Unrounded = adj.Amount.Neg(), adj.Unrounded.Neg()
				out = append(out, adj)
			}
		}
	}
	return out
}

func segment(l rating.Line, p calendar.Period, from, to int, qty decimal.Decimal) rating.Line {
	l.From = calendar.Date{Year: p.Year, Month: p.Month, Day: from}
	l.To = calendar.Date{Year: p.Year, Month: p.Month, Day: to}
	l.Days = to - from + 1
	l.Quantity = qty
	return priced(l)
}

func priced(l rating.Line) rating.Line {
	l.Unrounded = l.UnitPrice.Mul(l.Quantity)
	if l.Kind != rating.KindMetered {
		l.Unrounded = l.Unrounded.Mul(decimal.NewFromInt(int64(l.Days))).Div(decimal.NewFromInt(int64(l.DaysInMonth)))
	}
	l.Amount = money.Round(l.Unrounded)
	return l
}
