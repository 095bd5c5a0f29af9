package main

import (
	"context"
	"errors"

	"cloudbill/internal/calendar"
)

// vendorInvoicesParams asks for generated vendor invoices of a rated month.
type vendorInvoicesParams struct {
	Period calendar.Period
	Seed   int64
	Out    string
}

// genVendorInvoices writes, for every vendor of a rated month, an invoice CSV derived from
// the rated lines with injected discrepancies, and a list of what was injected.
// (Built by the reconciliation work; `gen --vendor-invoices` calls it.)
func genVendorInvoices(ctx context.Context, a *app, p vendorInvoicesParams) error {
	return errors.New("gen --vendor-invoices: not built yet")
}
