package rating

import (
	"fmt"
	"math/rand"
	"reflect"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// genMonth makes a random month of inputs: two catalog versions (one taking effect inside
// the month), allocated and metered items, orders opened before or inside the month,
// changed and terminated at random days, projects approved or not, vendors with or
// without acceptance records.
func genMonth(seed int64) Input {
	rng := rand.New(rand.NewSource(seed))
	periods := []string{"2026-02", "2028-02", "2026-04", "2026-11", "2026-12"}
	p := calendar.MustPeriod(periods[rng.Intn(len(periods))])
	money2 := func(max int) decimal.Decimal { return decimal.New(int64(rng.Intn(max*100)+1), -2) }
	mkItems := func() map[catalog.ItemCode]catalog.Item {
		items := map[catalog.ItemCode]catalog.Item{}
		for i := 0; i < 6; i++ {
			code := catalog.ItemCode(fmt.Sprintf("A%d", i))
			items[code] = catalog.Item{Code: code, Billing: catalog.Allocated,
				Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: money2(500), catalog.ZoneExtranet: money2(500)}}
		}
		items["M0"] = catalog.Item{Code: "M0", Billing: catalog.Metered, MeterMetric: "gb", MeterAgg: catalog.AggSum,
			Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: money2(2), catalog.ZoneExtranet: money2(2)}}
		return items
	}
	in := Input{Period: p, Rules: DefaultRules(), Usage: Usage{},
		Catalog: catalog.Catalog{Versions: []catalog.Version{
			{Effective: calendar.MustDate("2020-01-01"), Items: mkItems()},
			{Effective: p.First().AddDays(rng.Intn(p.Days())), Items: mkItems()},
		}},
		Org: catalog.Org{Projects: map[catalog.ProjectKey]catalog.Project{}}}
	cats := []catalog.ProjectCategory{catalog.CategoryOM, catalog.CategoryNew, catalog.CategoryRenovation}
	for i := 0; i < 6; i++ {
		id := catalog.ProjectID(fmt.Sprintf("P%d", i))
		in.Org.Projects[catalog.ProjectKey{ID: id, Year: p.Year}] = catalog.Project{ID: id, Year: p.Year, Category: cats[i%3], Approved: i != 5}
	}
	for v := 0; v < 3; v++ {
		if v == 2 {
			continue // V2: no acceptance record
		}
		score, avail := decimal.New(int64(50+rng.Intn(51)), 0), decimal.New(int64(9400+rng.Intn(600)), -2)
		sec := p.Last().AddDays(rng.Intn(5) - 2)
		in.Acceptances = append(in.Acceptances, catalog.Acceptance{Vendor: catalog.VendorID(fmt.Sprintf("V%d", v)), Period: p,
			Result: []catalog.AcceptanceResult{catalog.Passed, catalog.Deferred, catalog.Failed}[rng.Intn(3)],
			Score:  &score, Availability: &avail, SecurityValidUntil: &sec})
	}
	for o := 0; o < 60; o++ {
		order := catalog.OrderID(fmt.Sprintf("O%03d", o))
		item := catalog.ItemCode(fmt.Sprintf("A%d", rng.Intn(6)))
		if rng.Intn(5) == 0 {
			item = "M0"
		}
		cfg := catalog.Config{Department: catalog.DepartmentID(fmt.Sprintf("D%d", rng.Intn(5))), Project: catalog.ProjectID(fmt.Sprintf("P%d", rng.Intn(6))),
			Vendor: catalog.VendorID(fmt.Sprintf("V%d", rng.Intn(3))), Zone: []catalog.Zone{catalog.ZoneInternet, catalog.ZoneExtranet}[rng.Intn(2)],
			Item: item, Quantity: decimal.New(int64(rng.Intn(2000)+1), -int32(rng.Intn(3))), ResourceID: catalog.ResourceID(fmt.Sprintf("r%d", o)),
			Portion: []catalog.Portion{"", catalog.PortionStock, catalog.PortionNew}[rng.Intn(3)]}
		open := p.First().AddDays(rng.Intn(p.Days()+20) - 20)
		in.Events = append(in.Events, catalog.Event{Order: order, Kind: catalog.EventOpen, Effective: open, Config: cfg})
		day := open
		for rng.Intn(3) == 0 {
			day = day.AddDays(rng.Intn(10))
			cfg.Quantity = cfg.Quantity.Add(decimal.NewFromInt(1))
			in.Events = append(in.Events, catalog.Event{Order: order, Kind: catalog.EventChange, Effective: day, Config: cfg})
		}
		if rng.Intn(3) == 0 {
			in.Events = append(in.Events, catalog.Event{Order: order, Kind: catalog.EventTerminate, Effective: day.AddDays(rng.Intn(20)), Config: cfg})
		}
	}
	for _, w := range Windows(p, in.Catalog, in.Events) {
		in.Usage[w] = decimal.New(int64(rng.Intn(100000000)), -QuantityPlaces)
	}
	return in
}

func TestPropertiesOnGeneratedMonths(t *testing.T) {
	for seed := int64(1); seed <= 40; seed++ {
		in := genMonth(seed)
		t.Run(fmt.Sprintf("seed %d %s", seed, in.Period), func(t *testing.T) {
			got := Price(in)
			require.NotEmpty(t, got.Lines)

			// daily sums = line amounts, exactly; each line rounded once
			for _, l := range got.Lines {
				assert.True(t, l.Amount.Equal(money.Round(l.Unrounded)) || l.Kind == KindDeduction, "line %+v not rounded once", l)
				if !l.Kind.CountsInGross() {
					continue
				}
				sum := decimal.Zero
				for _, day := range l.Daily() {
					sum = sum.Add(day.Amount)
				}
				assert.True(t, sum.Equal(l.Unrounded), "%s %s: days sum %s, line %s", l.Order, l.From, sum, l.Unrounded)
			}

			// a full month of an allocated item is price × quantity, whatever the length
			for _, l := range got.Lines {
				if l.Kind != KindMetered && l.Kind.CountsInGross() && l.From == in.Period.First() && l.To == in.Period.Last() {
					assert.True(t, l.Unrounded.Equal(l.UnitPrice.Mul(l.Quantity)), "full month %s: %s, want %s × %s", l.Order, l.Unrounded, l.UnitPrice, l.Quantity)
				}
			}

			// department totals = vendor settlements to the fen after deductions
			byDep, byVendorLines := decimal.Zero, map[catalog.VendorID]decimal.Decimal{}
			for _, l := range got.Lines {
				byDep = byDep.Add(l.Amount)
				byVendorLines[l.Vendor] = byVendorLines[l.Vendor].Add(l.Amount)
			}
			net := decimal.Zero
			for _, vd := range got.Deductions {
				net = net.Add(vd.Net)
				assert.True(t, byVendorLines[vd.Vendor].Equal(vd.Net), "vendor %s: lines %s, settlement net %s", vd.Vendor, byVendorLines[vd.Vendor], vd.Net)
				assert.True(t, vd.Deduction.Equal(money.Round(vd.Gross.Mul(vd.Rate)).Neg()), "vendor %s deduction", vd.Vendor)
				assert.True(t, vd.Rate.LessThanOrEqual(vd.Cap))
			}
			assert.True(t, byDep.Equal(net), "departments %s, vendors net %s", byDep, net)

			// deterministic: the same inputs give the same result
			again := Price(in)
			assert.True(t, reflect.DeepEqual(got, again), "second pricing differs")
		})
	}
}

func TestAdjustmentsOfLateTerminate(t *testing.T) {
	in := genMonth(7)
	c := in.Period
	before := Price(in)
	// late news: the first order still in service at month end was terminated on the 10th
	last := map[catalog.OrderID]catalog.Event{}
	for _, e := range in.Events {
		last[e.Order] = e
	}
	var target catalog.OrderID
	for _, l := range before.Lines {
		if e := last[l.Order]; l.Kind == KindCharge && e.Kind != catalog.EventTerminate && e.Effective.Before(c.First().AddDays(9)) {
			target = l.Order
			break
		}
	}
	require.NotEmpty(t, target)
	late := in
	late.Events = append(append([]catalog.Event(nil), in.Events...), catalog.Event{Order: target, Kind: catalog.EventTerminate, Effective: c.First().AddDays(9)})
	after := Price(late)

	p := c.Next()
	adj := Adjustments(p, c, after.Lines, before.Lines)
	require.NotEmpty(t, adj)
	sum := func(ls []Line) decimal.Decimal {
		s := decimal.Zero
		for _, l := range ls {
			if l.Kind != KindAdjustment {
				s = s.Add(l.Amount)
			}
		}
		return s
	}
	total := decimal.Zero
	sawOrder := false
	for _, l := range adj {
		assert.Equal(t, KindAdjustment, l.Kind)
		assert.Equal(t, c, l.Corrects)
		assert.Equal(t, p, l.Period)
		total = total.Add(l.Amount)
		sawOrder = sawOrder || l.Order == target
	}
	assert.True(t, sawOrder, "no adjustment of order %s in %+v", target, adj)
	assert.True(t, total.Equal(sum(after.Lines).Sub(sum(before.Lines))), "adjustments %s, want %s − %s", total, sum(after.Lines), sum(before.Lines))

	// once booked, nothing more to adjust; booking is cumulative over later months
	booked := append(append([]Line(nil), before.Lines...), adj...)
	assert.Empty(t, Adjustments(p.Next(), c, after.Lines, booked))
	// and unchanged inputs give no adjustment at all
	assert.Empty(t, Adjustments(p, c, before.Lines, before.Lines))
}
