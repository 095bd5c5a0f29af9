package rating

import (
	"fmt"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
)

// Hostile-input probe, finding 4: an order quantity of 10^26 (stored before imports bounded it) made
// rating of the whole month fail on Decimal128 overflow, without naming the order. The
// line is excluded and named; the month's other lines are rated as usual.
func TestImpossibleLineIsAnException(t *testing.T) {
	item := catalog.Item{Code: "C01", Billing: catalog.Allocated, Prices: map[catalog.Zone]decimal.Decimal{catalog.ZoneInternet: d("40")}}
	open := func(order, qty string) catalog.Event {
		return catalog.Event{Order: catalog.OrderID(order), Kind: catalog.EventOpen, Effective: calendar.MustDate("2026-11-01"),
			Config: catalog.Config{Department: "D1", Project: "P1", Vendor: "V1", Zone: catalog.ZoneInternet, Item: "C01", Quantity: d(qty)}}
	}
	in := Input{
		Period:  calendar.MustPeriod("2026-11"),
		Catalog: catalog.Catalog{Versions: []catalog.Version{{Effective: calendar.MustDate("2026-01-01"), Items: map[catalog.ItemCode]catalog.Item{"C01": item}}}},
		Org:     catalog.Org{Projects: map[catalog.ProjectKey]catalog.Project{{ID: "P1", Year: 2026}: {ID: "P1", Year: 2026, Category: catalog.CategoryOM, Approved: true}}},
		Events:  []catalog.Event{open("O1", "3"), open("O2", "100000000000000000000000000")},
		Rules:   DefaultRuleBook().Versions[0],
	}
	out := Price(in)
	var orders []string
	for _, l := range out.Lines {
		if l.Kind == KindCharge {
			orders = append(orders, string(l.Order)+" "+l.Amount.StringFixed(2))
		}
	}
	assert.Equal(t, []string{"O1 120.00"}, orders)
	require.NotEmpty(t, out.Exceptions)
	assert.Contains(t, fmt.Sprint(out.Exceptions), "order O2: item C01, days 2026-11-01..2026-11-30 excluded: amount 4000000000000000000000000000 (quantity 100000000000000000000000000 × unit price 40) is beyond the 10000000000000000 a line may hold")
}
