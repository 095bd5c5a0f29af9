package chstore_test

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/sql/chtest"
)

// The daily detail is computed in ClickHouse when a run is saved (SaveRun: the kinds
// listed, each day Line.DailyAmount, the last day the rest). It must say what
// rating.Line.Daily says, for the kinds that Kind.CountsInGross and no others, on the
// same lines: every kind, residues that do not divide evenly, a one-day line and a line
// without days.
func TestDailyAmountsAreLineDaily(t *testing.T) {
	s := chtest.New(t)
	ctx := context.Background()
	p := calendar.MustPeriod("2026-11")
	d := decimal.RequireFromString
	from := calendar.MustDate("2026-11-01")
	line := func(k rating.Kind, order string, start, days int, unrounded string) rating.Line {
		l := rating.Line{Period: p, Kind: k, Department: "D1", Vendor: "V1", Project: "P1", Category: catalog.CategoryOM,
			Order: catalog.OrderID(order), Item: "ECS-2C4G", Zone: catalog.ZoneInternet, Mode: catalog.ModeShared,
			Days: days, DaysInMonth: 30, Quantity: d("3"), UnitPrice: d("77.77"), Unrounded: d(unrounded),
			Amount: d(unrounded).Round(2), CatalogVersion: calendar.MustDate("2026-01-01")}
		if days > 0 {
			l.From, l.To = from.AddDays(start), from.AddDays(start+days-1)
		}
		return l
	}
	lines := []rating.Line{
		line(rating.KindCharge, "O1", 0, 30, "100.00"),
		line(rating.KindCharge, "O2", 3, 7, "10.000001"),
		line(rating.KindMetered, "O3", 0, 30, "0.07"),
		line(rating.KindUnfunded, "O4", 10, 1, "5.555555"),
		line(rating.KindUnfunded, "O5", 0, 0, "1.00"),
		{Period: p, Kind: rating.KindDeduction, Department: "D1", Vendor: "V1", Category: catalog.CategoryOM, Quantity: d("1"),
			UnitPrice: d("-0.05"), Unrounded: d("-5.78"), Amount: d("-5.78")},
		{Period: p, Kind: rating.KindAdjustment, Department: "D1", Vendor: "V1", Project: "P1", Category: catalog.CategoryOM,
			Order: "O1", Item: "ECS-2C4G", From: from, To: from.AddDays(29), Days: 0, DaysInMonth: 30, Corrects: p.Prev(),
			CorrectsKind: rating.KindCharge, Unrounded: d("2.50"), Amount: d("2.50")},
		// a gross kind with days, booked as an adjustment would be: no daily detail
		{Period: p, Kind: rating.KindAdjustment, Department: "D1", Vendor: "V1", Project: "P1", Category: catalog.CategoryOM,
			Order: "O6", Item: "ECS-2C4G", From: from, To: from.AddDays(4), Days: 5, DaysInMonth: 30, Corrects: p.Prev(),
			CorrectsKind: rating.KindMetered, Unrounded: d("3.33"), Amount: d("3.33")},
	}
	run := rating.Run{ID: "2026-11-daily", Period: p, RatedAt: time.Date(2026, 12, 1, 3, 0, 0, 0, time.UTC), Fingerprint: "test", Lines: len(lines)}
	require.NoError(t, s.SaveRun(ctx, run, lines, nil))

	type seqDay struct {
		rating.Day
		seq int
	}
	var want []seqDay
	for i, l := range lines {
		if !l.Kind.CountsInGross() {
			assert.Empty(t, l.Daily(), "no daily detail for %s lines", l.Kind)
		}
		for _, day := range l.Daily() {
			want = append(want, seqDay{day, i})
		}
	}
	sort.SliceStable(want, func(i, j int) bool {
		a, b := want[i], want[j]
		if a.Date != b.Date {
			return a.Date.Before(b.Date)
		}
		if a.Order != b.Order {
			return a.Order < b.Order
		}
		return a.seq < b.seq
	})
	got, err := s.DailyAmounts(ctx, p, "D1")
	require.NoError(t, err)
	require.Equal(t, len(want), len(got), "days")
	for i := range want {
		w, g := want[i].Day, got[i]
		assert.Equal(t, w.Date, g.Date, "day %d", i)
		assert.Equal(t, w.Order, g.Order, "day %d", i)
		assert.Equal(t, w.Kind, g.Kind, "day %d", i)
		assert.True(t, w.Amount.Equal(g.Amount), "day %d (%s %s): got %s, want %s", i, w.Order, w.Date, g.Amount, w.Amount)
		assert.True(t, w.Quantity.Equal(g.Quantity) && w.UnitPrice.Equal(g.UnitPrice), "day %d: quantity and price", i)
	}
	// the days of each line add up to its unrounded amount
	sums := map[catalog.OrderID]decimal.Decimal{}
	for _, g := range got {
		sums[g.Order] = sums[g.Order].Add(g.Amount)
	}
	for _, l := range lines {
		if l.Kind.CountsInGross() && l.Days > 0 {
			assert.True(t, sums[l.Order].Equal(l.Unrounded), "%s: days add up to %s, want %s", l.Order, sums[l.Order], l.Unrounded)
		}
	}
}
