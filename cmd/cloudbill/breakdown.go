package main

import (
	"context"
	"errors"
	"io"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/statements/breakdown"
)

const breakdownHelp = `
Shows a department's charges for a month, its subordinate units included: by unit, project,
work order and catalog item, each line with its daily amounts.

For a closed month the lines are the frozen, final ones. For an open month they come from
the latest (provisional) rating and are cut at today (Asia/Shanghai): month to date. A line
that runs past today counts its days up to today, and its amount is the sum of those days
rounded once to the fen; lines starting after today are left out. Deductions and
adjustments have no daily detail and count in full.

Formats: table (for people), csv (one row per line and per day: level=line rows carry the
rounded amount and add up to the total, level=day rows carry the unrounded day_amount),
json (the same tree as the table).`

func breakdownCommand() *command {
	return &command{
		Name:  "breakdown",
		Usage: "--period YYYY-MM --department ID [--format table|csv|json]",
		Short: "show a department's charges by project, order, item and day",
		Long:  breakdownHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month")
			dep := fs.String("department", "", "the department `id`; its subordinate units are included")
			format := fs.Format("table", "csv", "json")
			fs.Require("period", "department")
			return func(ctx context.Context, a *app, _ []string) error {
				write, ok := breakdown.Writer(*format)
				if !ok {
					return usagef("breakdown: --format %q: want table, csv or json", *format)
				}
				return runBreakdown(ctx, a, period.Get(), catalog.DepartmentID(*dep), write)
			}
		},
	}
}

func runBreakdown(ctx context.Context, a *app, p calendar.Period, dep catalog.DepartmentID, write func(io.Writer, breakdown.Report) error) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	in, err := breakdown.Load(ctx, s, p, dep, calendar.LocalDate(a.now()))
	if errors.Is(err, breakdown.ErrUnknownDepartment) {
		return &exitError{exitBadInput, err}
	}
	if err != nil {
		return err
	}
	b, err := breakdown.Build(in)
	if err != nil {
		return err
	}
	return write(a.stdout, b)
}
