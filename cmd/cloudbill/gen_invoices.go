package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"cloudbill/catalog"
	"cloudbill/gen/vendorinvoice"
	"cloudbill/internal/calendar"
	"cloudbill/internal/safeid"
	"cloudbill/reconcile"
)

// vendorInvoicesParams asks for generated vendor invoices of a rated month.
type vendorInvoicesParams struct {
	Period calendar.Period
	Seed   int64
	Out    string
}

// genVendorInvoices writes, for every vendor of a rated month, an invoice CSV derived from
// the rated lines with injected discrepancies, and a list of what was injected:
// DIR/invoices/<vendor>-<period>.csv and DIR/invoices/injected-<vendor>-<period>.csv.
// The same rated lines and seed write the same bytes.
func genVendorInvoices(ctx context.Context, a *app, p vendorInvoicesParams) error {
	files, err := a.writeVendorInvoices(ctx, p)
	if err != nil {
		return err
	}
	for _, f := range files {
		fmt.Fprintf(a.stdout, "vendor %s: %s (%d claims), %d discrepancies injected, listed in %s\n", f.Vendor, f.Invoice, f.Claims, f.Injected, f.Manifest)
	}
	return nil
}

// vendorInvoiceFile is one generated invoice.
type vendorInvoiceFile struct {
	Vendor            catalog.VendorID
	Invoice, Manifest string
	Claims, Injected  int
}

func (a *app) writeVendorInvoices(ctx context.Context, p vendorInvoicesParams) ([]vendorInvoiceFile, error) {
	if p.Out == "" {
		return nil, usagef("gen --vendor-invoices: --out is required")
	}
	s, err := a.Store(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := s.RatedLines(ctx, p.Period)
	if err != nil {
		return nil, fmt.Errorf("gen --vendor-invoices %s: %w", p.Period, err)
	}
	seen := map[catalog.VendorID]bool{}
	var vendors []catalog.VendorID
	for _, l := range lines {
		if l.Kind.CountsInGross() && !seen[l.Vendor] {
			seen[l.Vendor] = true
			vendors = append(vendors, l.Vendor)
		}
	}
	sort.Slice(vendors, func(i, j int) bool { return vendors[i] < vendors[j] })
	dir := filepath.Join(p.Out, "invoices")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []vendorInvoiceFile
	for _, v := range vendors {
		inv, inj := vendorinvoice.GenerateInvoice(lines, v, p.Period, p.Seed)
		f := vendorInvoiceFile{
			Vendor:   v,
			Invoice:  filepath.Join(dir, fmt.Sprintf("%s-%s.csv", safeid.FileName(string(v)), p.Period)),
			Manifest: filepath.Join(dir, fmt.Sprintf("injected-%s-%s.csv", safeid.FileName(string(v)), p.Period)),
			Claims:   len(inv.Claims), Injected: len(inj),
		}
		var b, m bytes.Buffer
		if err := reconcile.WriteInvoiceCSV(&b, inv); err != nil {
			return nil, err
		}
		if err := vendorinvoice.WriteInjectionsCSV(&m, v, p.Period, inj); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(f.Invoice, b.Bytes()); err != nil {
			return nil, err
		}
		if err := writeFileAtomic(f.Manifest, m.Bytes()); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}
