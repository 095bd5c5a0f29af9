package main

import (
	"context"
	"errors"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/invoicing/breakdown"
)

func init() {
	register("breakdown", "show a department's charges by project, order, item and day", cmdBreakdown)
}

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

func cmdBreakdown(ctx context.Context, a *app, args []string) error {
	fs := a.flags("breakdown", "--period YYYY-MM --department ID [--format table|csv|json]", breakdownHelp)
	period := fs.String("period", "", "the `month`, YYYY-MM (required)")
	dep := fs.String("department", "", "the department `id` (required); its subordinate units are included")
	format := fs.String("format", "table", "output `format`: table, csv or json")
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usagef("breakdown: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case *period == "":
		return usagef("breakdown: --period is required")
	case *dep == "":
		return usagef("breakdown: --department is required")
	}
	p, err := calendar.ParsePeriod(*period)
	if err != nil {
		return usagef("breakdown: --period: %v", err)
	}
	write, ok := breakdown.Writers[*format]
	if !ok {
		return usagef("breakdown: --format %q: want table, csv or json", *format)
	}
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	in, err := breakdown.Load(ctx, s, p, catalog.DepartmentID(*dep), calendar.LocalDate(a.now()))
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
