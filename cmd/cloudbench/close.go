package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/statements/breakdown"
)

// benchClose: closing a city-scale month and a department's breakdown on an embedded
// ClickHouse. The month is a synthetic rating run stored as the rater stores one: 1,000
// departments (every tenth with two subordinate units), 50,000 work orders, a quarter of
// them changed mid-month (≈ 62,500 lines, ≈ 1.7 million rows of daily detail). It prints
// the time of the close (read the run's lines, hash them, record the close), of closing
// again (the no-op that re-reads and re-verifies the hash), and of the breakdown of one
// department with its units (lines and daily detail read, tree built, CSV written).
func benchClose(ctx context.Context) ([]figure, error) {
	var figs []figure
	p := benchPeriod()
	sc, err := newScratch(ctx, "close")
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	s := sc.Store

	org, lines := closeBenchMonth(p)
	run := rating.Run{ID: p.String() + "-bench", Period: p, RatedAt: p.End(), Fingerprint: "bench", Lines: len(lines), Total: decimal.Zero}
	for _, l := range lines {
		run.Total = run.Total.Add(l.Amount)
	}
	t0 := time.Now()
	if err := s.SaveRun(ctx, run, lines, nil); err != nil {
		return nil, err
	}
	days, err := s.RowCount(ctx, "rated_days")
	if err != nil {
		return nil, err
	}
	fmt.Printf("stored the month: %d lines, %d days of detail, in %.2f s\n", len(lines), days, time.Since(t0).Seconds())

	closedAt := func() time.Time { return p.End().Add(2 * time.Hour) }
	t0 = time.Now()
	res, err := monthclose.Close(ctx, s, p, monthclose.Options{Now: closedAt, ClosedBy: "bench"})
	if err != nil {
		return nil, err
	}
	closeTime := time.Since(t0)
	t0 = time.Now()
	again, err := monthclose.Close(ctx, s, p, monthclose.Options{Now: closedAt, ClosedBy: "bench"})
	if err != nil {
		return nil, err
	}
	if !again.Already {
		return nil, fmt.Errorf("second close of %s wrote again", p)
	}
	fmt.Printf("close %s: %d lines, total %s, hash %.16s…: %.2f s; closing again (no-op, hash verified): %.2f s\n",
		p, res.Close.Lines, money.Grouped(res.Close.Total), res.Close.ContentHash, closeTime.Seconds(), time.Since(t0).Seconds())
	figs = append(figs, figure{Name: "close the city month", Value: closeTime.Seconds(), Unit: "s", Command: "cloudbench close: store close of " + p.String(), Load: loadNow()})

	dep := catalog.DepartmentID("D0010") // with two subordinate units
	t0 = time.Now()
	in := breakdown.Input{Period: p, Department: dep, Org: org, Closed: true, RunID: run.ID, Today: calendar.LocalDate(closedAt())}
	if in.Lines, err = s.RatedLines(ctx, p); err != nil {
		return nil, err
	}
	for _, u := range breakdown.Units(org, dep) {
		ds, err := s.DailyAmounts(ctx, p, u)
		if err != nil {
			return nil, err
		}
		in.Days = append(in.Days, ds...)
	}
	b, err := breakdown.Build(in)
	if err != nil {
		return nil, err
	}
	if err := breakdown.WriteCSV(io.Discard, b); err != nil {
		return nil, err
	}
	fmt.Printf("breakdown of %s and its %d units (%d days of detail): %.2f s\n", dep, len(b.Units)-1, len(in.Days), time.Since(t0).Seconds())
	return figs, nil
}

// closeBenchMonth is the synthetic city month of benchClose.
func closeBenchMonth(p calendar.Period) (catalog.Org, []rating.Line) {
	org := catalog.Org{Departments: map[catalog.DepartmentID]catalog.Department{}}
	var deps []catalog.DepartmentID
	for i := 0; i < 1000; i++ {
		id := catalog.DepartmentID(fmt.Sprintf("D%04d", i))
		d := catalog.Department{ID: id, Name: fmt.Sprintf("部门%04d", i)}
		if i%10 == 2 || i%10 == 3 {
			d.Parent = catalog.DepartmentID(fmt.Sprintf("D%04d", i-i%10))
		}
		org.Departments[id] = d
		deps = append(deps, id)
	}
	price := decimal.RequireFromString("40")
	dim := decimal.NewFromInt(int64(p.Days()))
	line := func(o int, from, to calendar.Date, qty int64) rating.Line {
		days := from.DaysUntil(to) + 1
		q := decimal.NewFromInt(qty)
		unr := price.Mul(q).Mul(decimal.NewFromInt(int64(days))).DivRound(dim, rating.Places)
		return rating.Line{Period: p, Kind: rating.KindCharge, Department: deps[o%len(deps)],
			Vendor: catalog.VendorID(fmt.Sprintf("V%d", o%5+1)), Project: catalog.ProjectID(fmt.Sprintf("P%04d", o%len(deps))),
			Category: catalog.CategoryOM, Order: catalog.OrderID(fmt.Sprintf("WO-%06d", o)), Item: "C01",
			Zone: catalog.ZoneExtranet, Mode: catalog.ModeShared, From: from, To: to, Days: days, DaysInMonth: p.Days(),
			Quantity: q, UnitPrice: price, Unrounded: unr, Amount: money.Round(unr), CatalogVersion: calendar.MustDate("2026-01-01")}
	}
	var lines []rating.Line
	for o := 0; o < 50_000; o++ {
		qty := int64(o%16 + 1)
		if o%4 == 0 {
			change := p.First().AddDays(o % p.Days())
			if change.After(p.First()) {
				lines = append(lines, line(o, p.First(), change.AddDays(-1), qty), line(o, change, p.Last(), qty*2))
				continue
			}
		}
		lines = append(lines, line(o, p.First(), p.Last(), qty))
	}
	rating.SortLines(lines)
	return org, lines
}
