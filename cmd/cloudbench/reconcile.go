package main

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/catalog"
	"cloudbill/document/pdf"
	"cloudbill/fixture/reconciletest"
	"cloudbill/gen/vendorinvoice"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/reconcile/invoicefile"
)

// reconcileGoal is the goal for a city-scale vendor invoice.
const reconcileGoal = 5 * time.Second

// benchReconcile reconciles a city-scale vendor invoice (21,200 work orders of one
// vendor, about 20,100 claims with injected discrepancies; 3 vendors, about 72,000 rated
// lines in the month, synthesized in Go) and prints the time of each step against the
// goal of 5 s: read the invoice (CSV, and the same as .xlsx), reconcile, write the CSV
// and the Chinese PDF report; then the whole path of `cloudbill reconcile` with the
// month's lines read from ClickHouse.
func benchReconcile(ctx context.Context) ([]figure, error) {
	var figs []figure
	p := calendar.MustPeriod("2026-11")
	const vendor = catalog.VendorID("V01")
	lines := reconciletest.Month(reconciletest.Config{Period: p, Vendors: 3, Orders: 21_200, Seed: 1})
	inv, inj := vendorinvoice.GenerateInvoice(lines, vendor, p, 1)
	var csvIn bytes.Buffer
	if err := reconcile.WriteInvoiceCSV(&csvIn, inv); err != nil {
		return nil, err
	}
	xlsxIn, err := toXLSX(csvIn.Bytes())
	if err != nil {
		return nil, err
	}
	font, err := pdf.LoadFont("")
	if err != nil {
		return nil, err
	}
	fmt.Printf("month: %d rated lines of 3 vendors; invoice of %s: %d claims (%d KB CSV, %d KB xlsx), %d discrepancies injected\n",
		len(lines), vendor, len(inv.Claims), csvIn.Len()/1024, len(xlsxIn)/1024, len(inj))

	want := reconcile.Expect{Vendor: vendor, Period: p}
	params := reconcile.Params{Vendor: vendor, Period: p, Lines: lines, Source: "synthetic month"}
	step := func(name string, f func() error) (time.Duration, error) {
		t := time.Now()
		err := f()
		d := time.Since(t)
		fmt.Printf("  %-28s %8.3f s\n", name, d.Seconds())
		return d, err
	}
	var (
		read   reconcile.Invoice
		res    reconcile.Result
		csvOut bytes.Buffer
		pdfOut []byte
	)
	var total time.Duration
	for _, s := range []struct {
		name string
		f    func() error
	}{
		{"read invoice (CSV)", func() (err error) {
			read, err = invoicefile.ReadFrom("invoice.csv", bytes.NewReader(csvIn.Bytes()), want)
			return err
		}},
		{"reconcile", func() (err error) { res, err = reconcile.Reconcile(read, params); return err }},
		{"write CSV report", func() error { return reconcile.WriteCSV(&csvOut, res) }},
		{"write PDF report", func() (err error) {
			pdfOut, err = pdf.Render(font, reconcile.Document(res, reconcile.DocMeta{Created: time.Date(2026, 12, 1, 0, 0, 0, 0, calendar.Shanghai())}))
			return err
		}},
	} {
		d, err := step(s.name, s.f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", s.name, err)
		}
		total += d
	}
	if got := len(res.Differences()); got != len(inj) {
		return nil, fmt.Errorf("found %d differences, injected %d", got, len(inj))
	}
	fmt.Printf("  %-28s %8.3f s  (goal ≤ %s: %s; %d differences found = injected; CSV %d KB, PDF %d KB)\n",
		"total, CSV invoice", total.Seconds(), reconcileGoal, verdictOf(total), len(res.Differences()), csvOut.Len()/1024, len(pdfOut)/1024)
	figs = append(figs, figure{Name: "reconcile a city vendor invoice (CSV)", Value: total.Seconds(), Unit: "s", Bound: reconcileGoal.Seconds(),
		Command: "cloudbench reconcile: read, reconcile, CSV and PDF report", Load: loadNow()})
	// the same invoice with one claim in ten 1 % too high: thousands of differences to
	// explain, sort and print
	noisy := inv
	noisy.Claims = append([]reconcile.Claim(nil), inv.Claims...)
	for i := 0; i < len(noisy.Claims); i += 10 {
		c := &noisy.Claims[i]
		c.Amount = money.Round(c.Amount.Mul(decimal.RequireFromString("1.01"))).Add(decimal.RequireFromString("0.01"))
	}
	var noisyCSV bytes.Buffer
	if err := reconcile.WriteInvoiceCSV(&noisyCSV, noisy); err != nil {
		return nil, err
	}
	t2 := time.Now()
	nr, err := invoicefile.ReadFrom("noisy.csv", bytes.NewReader(noisyCSV.Bytes()), want)
	if err != nil {
		return nil, err
	}
	nres, err := reconcile.Reconcile(nr, params)
	if err != nil {
		return nil, err
	}
	var nout bytes.Buffer
	if err := reconcile.WriteCSV(&nout, nres); err != nil {
		return nil, err
	}
	if _, err := pdf.Render(font, reconcile.Document(nres, reconcile.DocMeta{})); err != nil {
		return nil, err
	}
	nd := time.Since(t2)
	fmt.Printf("  %-28s %8.3f s  (%d differences; goal ≤ %s: %s)\n", "total, one claim in ten off", nd.Seconds(), len(nres.Differences()), reconcileGoal, verdictOf(nd))

	if _, err := step("read invoice (.xlsx)", func() error {
		x, err := invoicefile.ReadFrom("invoice.xlsx", bytes.NewReader(xlsxIn), want)
		if err == nil && len(x.Claims) != len(inv.Claims) {
			err = fmt.Errorf("read %d claims of %d", len(x.Claims), len(inv.Claims))
		}
		return err
	}); err != nil {
		return nil, err
	}

	return figs, benchReconcileStore(ctx, p, vendor, lines, csvIn.Bytes(), font)
}

// benchReconcileStore times the whole path of `cloudbill reconcile` with the month's lines
// in ClickHouse: load (close, run, lines, deductions, organisation, catalog), read the
// invoice, reconcile, write both reports.
func benchReconcileStore(ctx context.Context, p calendar.Period, vendor catalog.VendorID, lines []rating.Line, invoice []byte, font *pdf.Font) error {
	sc, err := newScratch(ctx, "reconcile")
	if err != nil {
		return err
	}
	defer sc.Close()
	s := sc.Store
	run := rating.Run{ID: "bench-run", Period: p, RatedAt: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), Fingerprint: "bench", Lines: len(lines)}
	t0 := time.Now()
	if err := s.SaveRun(ctx, run, lines, nil); err != nil {
		return fmt.Errorf("store the synthetic month: %w", err)
	}
	fmt.Printf("  (stored %d lines in ClickHouse in %.1f s, not timed)\n", len(lines), time.Since(t0).Seconds())

	t1 := time.Now()
	ld, err := reconcile.Load(ctx, s, reconcile.LoadRequest{Vendor: vendor, Period: p, Provisional: true})
	if err != nil {
		return err
	}
	load := time.Since(t1)
	inv, err := invoicefile.ReadFrom("invoice.csv", bytes.NewReader(invoice), reconcile.Expect{Vendor: vendor, Period: p})
	if err != nil {
		return err
	}
	res, err := reconcile.Reconcile(inv, ld.Params)
	if err != nil {
		return err
	}
	var out bytes.Buffer
	if err := reconcile.WriteCSV(&out, res); err != nil {
		return err
	}
	if _, err := pdf.Render(font, reconcile.Document(res, ld.Meta)); err != nil {
		return err
	}
	total := time.Since(t1)
	fmt.Printf("  %-28s %8.3f s  (of which loading the month from ClickHouse %.3f s; goal ≤ %s: %s)\n",
		"total, lines from ClickHouse", total.Seconds(), load.Seconds(), reconcileGoal, verdictOf(total))
	return nil
}

func verdictOf(d time.Duration) string {
	if d <= reconcileGoal {
		return "met"
	}
	return "NOT met"
}

// toXLSX writes CSV records as the first sheet of a workbook (streamed, as a vendor's
// export would be).
func toXLSX(csvData []byte) ([]byte, error) {
	inv, err := readCSVRecords(csvData)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		return nil, err
	}
	for i, rec := range inv {
		row := make([]any, len(rec))
		for j, v := range rec {
			row[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, row); err != nil {
			return nil, err
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
