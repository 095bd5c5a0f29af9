package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	usecase "cloudbill/app"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/monthclose"
)

const closeHelp = `
Closes (freezes) a rated month: its rated lines are frozen with a SHA-256 content hash,
recorded in period_closes with the rating run and the close time. A closed month is never
re-rated; anything learnt later about it is rated as an adjustment in the first open month,
and its statements re-issue byte-identical.

Refused (exit 1, nothing written) when the month has not ended yet, was never rated
(run cloudbill rate first), a vendor's acceptance is pending (import the acceptance
records and re-rate, or close anyway with --allow-pending, which the close records), or
collectors' windows of the month are missing (cloudbill collect status; collect them, or
close anyway with --allow-incomplete, which is recorded in collect_incomplete_closes).
Closing a closed month is a no-op (exit 0) that checks the frozen lines against the hash.
One month is closed by one process at a time, on any host: a close that finds another
close of the same month under way waits for it (up to --wait) and then reports the month
as already closed, or fails with "month is being closed" naming the other closer.
An earlier month rated but still open is reported as a warning: close months in order.`

func closeCommand() *command {
	return &command{
		Name:  "close",
		Usage: "--period YYYY-MM [--allow-pending] [--allow-incomplete] [--wait DURATION]",
		Short: "close (freeze) a rated month",
		Long:  closeHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month to close")
			allowPending := fs.Bool("allow-pending", false, "close even though some vendors' acceptance is pending (recorded in the close)")
			wait := fs.Duration("wait", 5*time.Minute, "how long to wait while another process closes the same month (0: fail at once)")
			allowIncomplete := fs.Bool("allow-incomplete", false, "close even though collectors' windows of the month are missing (recorded)")
			fs.Require("period")
			return func(ctx context.Context, a *app, _ []string) error {
				return runClose(ctx, a, period.Get(), closeOptions{AllowPending: *allowPending, AllowIncomplete: *allowIncomplete, Wait: *wait})
			}
		},
	}
}

// closeOptions are close's flags.
type closeOptions struct {
	AllowPending, AllowIncomplete bool
	Wait                          time.Duration
}

func runClose(ctx context.Context, a *app, p calendar.Period, o closeOptions) error {
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	res, err := uc.Close(ctx, usecase.CloseRequest{Period: p, AllowPending: o.AllowPending, AllowIncomplete: o.AllowIncomplete, By: "cli", Wait: o.Wait})
	if err != nil {
		return err
	}
	printClose(a, res.Result)
	if res.Incomplete != nil {
		fmt.Fprintf(a.stdout, "closed with %d collector windows missing (--allow-incomplete, recorded)\n", res.Incomplete.Windows)
	}
	return nil
}

func printClose(a *app, res monthclose.Result) {
	c := res.Close
	at := c.ClosedAt.In(calendar.Shanghai()).Format("2006-01-02 15:04:05")
	if res.Already {
		fmt.Fprintf(a.stdout, "%s is already closed (closed %s Asia/Shanghai, run %s, %d lines, content hash %s, lines verified): nothing done\n",
			c.Period, at, c.RunID, c.Lines, c.ContentHash)
		return
	}
	for _, w := range res.Warnings {
		fmt.Fprintf(a.stderr, "warning: %s\n", w)
	}
	fmt.Fprintf(a.stdout, "closed %s at %s Asia/Shanghai: run %s, %d lines, total %s, content hash %s\n",
		c.Period, at, c.RunID, c.Lines, money.Grouped(c.Total), c.ContentHash)
	if c.AllowPending {
		vs := make([]string, len(c.Pending))
		for i, v := range c.Pending {
			vs[i] = string(v)
		}
		fmt.Fprintf(a.stdout, "closed with acceptance pending for %s (--allow-pending, recorded)\n", strings.Join(vs, ", "))
	}
}
