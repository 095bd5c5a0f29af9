package main

import (
	"context"
	"errors"
	"fmt"

	usecase "cloudbill/app"
	"cloudbill/funding"
	"cloudbill/internal/money"
)

func estimateCommand() *command {
	return &command{
		Name:  "estimate",
		Usage: "--period YYYY-12 --as-of YYYY-MM-DD --out DIR [--force] [--font FILE] | withdraw --period YYYY-12 --reason TEXT",
		Short: "issue the estimated December settlement per vendor (预估), to pay December in-year",
		Long:  estimateHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month to estimate (December)")
			asOf := fs.Date("as-of", "the analysis date, a day of the month")
			out := fs.String("out", "", "output `directory`; the files go to DIR/YYYY-MM-estimate/vendors/")
			force := fs.Bool("force", false, "estimate a month other than December")
			font := fs.String("font", "", "TrueType CJK font `file` for the PDFs (default: the fonts-arphic-gbsn00lp font)")
			fs.Require("period", "as-of", "out")
			return func(ctx context.Context, a *app, _ []string) error {
				return runEstimate(ctx, a, funding.IssueParams{Period: period.Get(), AsOf: asOf.Get(), Force: *force, By: "cli", Now: a.now()}, *out, *font)
			}
		},
		Subs: []*command{{
			Name:  "withdraw",
			Usage: "--period YYYY-MM --reason TEXT",
			Short: "withdraw the estimate in force of a month (audited)",
			Long: `
Withdraws the estimate in force of a month, recorded with the reason (and in the audit
log); another estimate of the month may then be issued. Vouchers already imported against
the estimate stay.`,
			Flags: func(fs *flagSet) runFunc {
				period := fs.Period("period", "the month")
				reason := fs.String("reason", "", "why, recorded with the withdrawal")
				fs.Require("period", "reason")
				return func(ctx context.Context, a *app, _ []string) error {
					uc, err := a.useCases(ctx)
					if err != nil {
						return err
					}
					info, err := uc.WithdrawEstimate(ctx, period.Get(), "cli", *reason)
					if errors.Is(err, funding.ErrEstimateNone) || errors.Is(err, funding.ErrEstimateClosed) {
						return &exitError{exitBadInput, err}
					}
					if err != nil {
						return err
					}
					fmt.Fprintf(a.stdout, "withdrew estimate %s of %s (as of %s)\n", info.ID, info.Period, info.AsOf)
					return nil
				}
			},
		}},
	}
}

const estimateHelp = `
Issues the estimated settlement of December (§21: a year's fees are paid within that year,
and December cannot be closed before the year ends), per vendor as PDF and CSV marked 预估,
under DIR/YYYY-12-estimate/vendors/<vendor>.pdf|.csv. As of the analysis date D: December's
rated lines for the days up to D, each allocated order in service on D extended to 31
December at its configuration on D and the price in force each day; each metered line at
its usage of the days up to D only (samples after D do not count), an item aggregated by
sum plus its December daily average so far × the days left, an item aggregated by max,
p95 or an average at its aggregate so far (not extended); each line rounded once; the deduction
at the rate of the vendor's latest closed month (named on the estimate). Rate December
first (cloudbill rate --period YYYY-12).

The estimate is frozen with a content hash and issued once: a second one is refused until
the first is withdrawn ('estimate withdraw', audited). A closed month is refused, and a
month other than December without --force. When December closes, the difference final −
estimate per vendor is the true-up 上年12月预估差额, payable in January ('payments show').`

func runEstimate(ctx context.Context, a *app, pr funding.IssueParams, out, fontPath string) error {
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	is, err := uc.IssueEstimate(ctx, usecase.EstimateParams{IssueParams: pr, Out: out, FontPath: fontPath})
	for _, e := range []error{funding.ErrEstimateClosed, funding.ErrEstimateMonth, funding.ErrEstimateAsOf, funding.ErrEstimateIssued, funding.ErrEstimateNotRate} {
		if errors.Is(err, e) {
			return &exitError{exitBadInput, err}
		}
	}
	if err != nil {
		return err
	}
	info := is.Info
	fmt.Fprintf(a.stdout, "estimate %s of %s as of %s: %d vendors, %d lines, net %s (预估)\n", info.ID, info.Period, info.AsOf, is.Vendors, info.Lines, money.Grouped(info.Total))
	fmt.Fprintf(a.stdout, "content hash %s\nfiles in %s\n", info.Hash, is.Dir)
	for _, f := range is.Findings {
		fmt.Fprintf(a.stderr, "warning: %s\n", f)
	}
	return nil
}
