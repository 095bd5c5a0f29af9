package funding

import (
	"fmt"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// InService is a work order in service on a date: its configuration that day, the day
// it opened, and the last day it is known to run (its confirmed termination, or the
// horizon).
type InService struct {
	Order  catalog.OrderID
	Opened calendar.Date
	Until  calendar.Date
	catalog.Config
}

// InServiceOn lists the orders in service on d, from every event (sorted by order, as
// the store returns them), with Until cut at horizon. An order whose events do not make
// a timeline is an error naming it.
func InServiceOn(events []catalog.Event, d, horizon calendar.Date) ([]InService, error) {
	var out []InService
	for i := 0; i < len(events); {
		j := i
		for j < len(events) && events[j].Order == events[i].Order {
			j++
		}
		segs, err := catalog.Timeline(events[i:j], horizon)
		if err != nil {
			return nil, err
		}
		for _, s := range segs {
			if !s.From.After(d) && !s.To.Before(d) {
				out = append(out, InService{Order: s.Order, Opened: events[i].Effective, Until: segs[len(segs)-1].To, Config: s.Config})
				break
			}
		}
		i = j
	}
	return out, nil
}

// Extend is the unrounded amount of an allocated order at its configuration for the days
// from..to (both inclusive): for each day, the monthly price in force that day in its
// zone × quantity ÷ days of that month. ok is false when the item is metered or a day
// has no price (the caller names it).
func Extend(cat catalog.Catalog, s InService, from, to calendar.Date) (amount decimal.Decimal, ok bool) {
	amount = decimal.Zero
	for p := from.Period(); !to.Period().Before(p); p = p.Next() {
		a, b := calendar.MaxDate(from, p.First()), calendar.MinDate(to, p.Last())
		if a.After(b) {
			continue
		}
		covered := 0
		for _, st := range cat.Split(a, b) {
			it, found := st.Version.Items[s.Item]
			if !found || it.Billing != catalog.Allocated {
				return decimal.Zero, false
			}
			price, offered := it.Price(s.Zone)
			if !offered {
				return decimal.Zero, false
			}
			days := st.From.DaysUntil(st.To) + 1
			covered += days
			amount = amount.Add(rating.Unrounded(false, price, s.Quantity, days, p.Days()))
		}
		if covered != a.DaysUntil(b)+1 {
			return decimal.Zero, false
		}
	}
	return amount, true
}

// MeteredDaily is the average daily amount of each metered order over the 90 days
// ending on asOf (or since the order opened, when later): the sum of its rated daily
// amounts in that window ÷ the days of the window.
func MeteredDaily(days []rating.Day, opened map[catalog.OrderID]calendar.Date, asOf calendar.Date) map[catalog.OrderID]decimal.Decimal {
	sum := map[catalog.OrderID]decimal.Decimal{}
	start := asOf.AddDays(-89)
	for _, d := range days {
		if d.Kind != rating.KindMetered || d.Date.After(asOf) || d.Date.Before(start) {
			continue
		}
		if o, ok := opened[d.Order]; ok && d.Date.Before(o) {
			continue
		}
		sum[d.Order] = sum[d.Order].Add(d.Amount)
	}
	out := map[catalog.OrderID]decimal.Decimal{}
	for o, s := range sum {
		from := start
		if op, ok := opened[o]; ok && op.After(from) {
			from = op
		}
		n := from.DaysUntil(asOf) + 1
		if n < 1 {
			n = 1
		}
		out[o] = s.Div(decimal.NewFromInt(int64(n)))
	}
	return out
}

// ForecastInput is what the forecast to 31 December reads.
type ForecastInput struct {
	// AsOf is the analysis date: the days after it, to 31 December of its year, are
	// forecast.
	AsOf    calendar.Date
	Catalog catalog.Catalog
	// InService: the orders in service on AsOf (InServiceOn with the year's end as horizon).
	InService []InService
	// MeteredDaily: each metered order's average daily amount (MeteredDaily).
	MeteredDaily map[catalog.OrderID]decimal.Decimal
}

// Remaining is what each project is forecast to spend after AsOf to 31 December: each
// allocated order in service on AsOf at its configuration then and the price in force on
// each day, plus each metered order at its average daily amount × the days left; each
// order's amount rounded once to the fen. Deductions are not forecast. Problems (an item
// without a price) are returned as findings; such an order forecasts nothing.
func Remaining(in ForecastInput) (map[catalog.ProjectID]decimal.Decimal, []string) {
	out := map[catalog.ProjectID]decimal.Decimal{}
	var findings []string
	end := calendar.Date{Year: in.AsOf.Year, Month: 12, Day: 31}
	from := in.AsOf.AddDays(1)
	for _, s := range in.InService {
		to := calendar.MinDate(s.Until, end)
		if to.Before(from) {
			continue
		}
		if avg, metered := in.MeteredDaily[s.Order]; metered {
			n := from.DaysUntil(to) + 1
			out[s.Project] = out[s.Project].Add(money.Round(avg.Mul(decimal.NewFromInt(int64(n)))))
			continue
		}
		if isMetered(in.Catalog, s, in.AsOf) {
			continue // metered without usage in the window: nothing to extend
		}
		a, ok := Extend(in.Catalog, s, from, to)
		if !ok {
			findings = append(findings, fmt.Sprintf("order %s: item %s has no price in zone %s for every day %s–%s; not forecast", s.Order, s.Item, s.Zone, from, to))
			continue
		}
		out[s.Project] = out[s.Project].Add(money.Round(a))
	}
	return out, findings
}

func isMetered(cat catalog.Catalog, s InService, d calendar.Date) bool {
	v, ok := cat.InForce(d)
	if !ok {
		return false
	}
	it, ok := v.Items[s.Item]
	return ok && it.Billing == catalog.Metered
}
