package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"cloudbill/catalog"
	"cloudbill/export/focus"
	"cloudbill/export/focus/conformance"
	"cloudbill/export/focus/focusparquet"
	"cloudbill/fixture/synth"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// benchFocus exports a city-scale closed month (1,000 departments, about 100,000 rated
// lines, synthesized in Go) as FOCUS CSV and Parquet and prints the time of each step and
// the file sizes.
func benchFocus(ctx context.Context) ([]figure, error) {
	var figs []figure
	m := synth.Month(synth.Config{Period: calendar.MustPeriod("2026-11"), Departments: 1000, Vendors: 5, Orders: 82_000, Seed: 1, Closed: true})
	res := map[catalog.OrderID]focus.Resource{}
	for _, l := range m.Lines {
		if l.Order != "" {
			res[l.Order] = focus.Resource{ID: catalog.ResourceID("i-" + string(l.Order))}
		}
	}
	t0 := time.Now()
	rows, err := focus.Build(m, res, false)
	if err != nil {
		return nil, err
	}
	build := time.Since(t0)
	t0 = time.Now()
	var csvBuf bytes.Buffer
	if err := focus.WriteCSV(&csvBuf, rows); err != nil {
		return nil, err
	}
	writeCSV := time.Since(t0)
	t0 = time.Now()
	vs, err := conformance.Check(bytes.NewReader(csvBuf.Bytes()))
	if err != nil {
		return nil, err
	}
	if len(vs) > 0 {
		return nil, fmt.Errorf("not conformant: %v", vs[0])
	}
	check := time.Since(t0)
	t0 = time.Now()
	var pq bytes.Buffer
	if err := focusparquet.Write(&pq, rows); err != nil {
		return nil, err
	}
	writePQ := time.Since(t0)
	fmt.Printf("city month: %d lines, Σ BilledCost %s CNY\n", len(rows), money.Grouped(focus.Total(rows)))
	fmt.Printf("  build rows        %6.2f s\n", build.Seconds())
	fmt.Printf("  CSV write         %6.2f s   %6.1f MB\n", writeCSV.Seconds(), float64(csvBuf.Len())/1e6)
	fmt.Printf("  conformance check %6.2f s\n", check.Seconds())
	fmt.Printf("  Parquet write     %6.2f s   %6.1f MB\n", writePQ.Seconds(), float64(pq.Len())/1e6)
	fmt.Printf("  CSV path (build + write + check) %.2f s; Parquet path (build + check + write) %.2f s\n",
		(build + writeCSV + check).Seconds(), (build + writeCSV + check + writePQ).Seconds())
	return figs, nil
}
