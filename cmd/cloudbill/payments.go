package main

import (
	"context"
	"fmt"

	"cloudbill/catalog"
	"cloudbill/funding"
	chstore "cloudbill/sql"
)

func paymentsCommand() *command {
	return &command{
		Name:  "payments",
		Usage: "import FILE | show --year YYYY",
		Short: "payment vouchers; per vendor and year: payable, paid, outstanding",
		Long:  paymentsHelp,
		Subs: []*command{
			importOneCommand("import", "import payment vouchers (each voucher once)", paymentsImportHelp, "vouchers",
				func(ctx context.Context, a *app, _ *chstore.Store, f catalog.File) (catalog.Report, error) {
					uc, err := a.useCases(ctx)
					if err != nil {
						return catalog.Report{}, err
					}
					return uc.ImportPayments(ctx, f, "cli")
				}),
			{
				Name:  "show",
				Usage: "--year YYYY [--vendor ID] [--format table|csv|json]",
				Short: "per vendor: payable, paid, outstanding, with the vouchers",
				Long:  paymentsShowHelp,
				Flags: func(fs *flagSet) runFunc {
					year := fs.Int("year", 0, "the `year`")
					vendor := fs.String("vendor", "", "only this vendor `id`")
					format := fs.Format("table", "csv", "json")
					fs.Require("year")
					return func(ctx context.Context, a *app, _ []string) error {
						return runPaymentsShow(ctx, a, *year, catalog.VendorID(*vendor), *format)
					}
				},
			},
		},
	}
}

const paymentsHelp = `
Payments (§21: a year's fees are paid within that year). 'payments import' reads the
finance system's vouchers; 'payments show' gives per vendor and year what is payable
(closed settlements with their adjustments, December at its estimate when one was issued,
the true-up of the previous December), what was paid (the vouchers of the year's service
months, refunds negative) and what is outstanding. docs/year.md has the rules.`

const paymentsImportHelp = `
Imports a payments file (columns voucher_no, vendor_id, period, amount, paid_date, refunds;
UTF-8 or GB18030). A voucher is imported once: the same voucher again is skipped, with other
content it is an error. The vendor must exist; the month paid for must be closed or have an
issued December estimate; a refund has a negative amount and names in refunds the voucher
it refunds (same vendor; the refunds of a voucher never exceed it). A refused file lists
every error (file, line, column, record), stores nothing, and exits with status 2. The
import is recorded in the imports table and the audit log.`

const paymentsShowHelp = `
Shows, per vendor, the year's payable lines (closed months' net settlements, the December
estimate, the true-up 上年12月预估差额), the vouchers (跨年支付: paid after 31 December of
the service month's year) and payable, paid and outstanding (= payable − paid).`

func runPaymentsShow(ctx context.Context, a *app, year int, vendor catalog.VendorID, format string) error {
	if year < 2000 || year > 2200 {
		return usagef("payments show: --year %d: want a year YYYY", year)
	}
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	l, err := funding.LoadLedger(ctx, s, year)
	if err != nil {
		return err
	}
	if vendor != "" {
		org, err := s.Org(ctx)
		if err != nil {
			return err
		}
		if _, ok := org.Vendors[vendor]; !ok {
			return &exitError{exitBadInput, fmt.Errorf("payments show: unknown vendor %s", vendor)}
		}
		var one []funding.VendorYear
		for _, vy := range l {
			if vy.Vendor == vendor {
				one = append(one, vy)
			}
		}
		l = one
	}
	switch format {
	case "csv":
		return funding.WriteLedgerCSV(a.stdout, l)
	case "json":
		return funding.WriteLedgerJSON(a.stdout, year, l)
	}
	return funding.WriteLedgerTable(a.stdout, year, l)
}
