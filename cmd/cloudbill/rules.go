package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

func rulesCommand() *command {
	return &command{
		Name:  "rules",
		Usage: "import FILE --effective YYYY-MM | show [--period YYYY-MM] [--format table|csv]",
		Short: "deduction rules: import a version in force from a month, or show them",
		Long:  rulesExplain,
		Subs: []*command{
			{
				Name:  "import",
				Usage: "FILE --effective YYYY-MM",
				Short: "store a rules file as the version in force from a month",
				Long:  rulesExplain,
				Args:  "FILE",
				Flags: func(fs *flagSet) runFunc {
					eff := fs.Period("effective", "the first month the rules are in force")
					fs.Require("effective")
					return func(ctx context.Context, a *app, files []string) error {
						return rulesImport(ctx, a, files[0], eff.Get())
					}
				},
			},
			{
				Name:  "show",
				Usage: "[--period YYYY-MM] [--format table|csv]",
				Short: "print every version, or the one in force for a month",
				Long:  rulesExplain,
				Flags: func(fs *flagSet) runFunc {
					period := fs.Period("period", "show the version in force for this month; default: every version")
					format := fs.Choice("format", "`table` or csv (csv: the version in force, as a rules file; needs --period)", "table", "csv")
					return func(ctx context.Context, a *app, _ []string) error {
						if *format == "csv" && !period.set {
							return usagef("rules show: --format csv prints one version: give --period")
						}
						return rulesShow(ctx, a, period, *format)
					}
				},
			},
		},
	}
}

const rulesExplain = `
The acceptance deduction rules (应用规则, §22/§25) are versioned configuration stored in
ClickHouse. 'rules import FILE --effective YYYY-MM' stores the file as the version in
force from that month until the next version; 'rate' (and the scheduled ratings of
serve) rate each month with the version in force for it, and with the built-in defaults
before the first version or when none was imported.

The file is CSV (UTF-8 or GB18030) with columns group, threshold, rate_percent and an
optional effective column (empty, or the month given with --effective):
  group,threshold,rate_percent
  result,passed,0          every result (passed, deferred, failed) is required
  result,deferred,10
  result,failed,30
  score,90,0               tiers by lower bound: the highest threshold not above the value
  score,0,20
  availability,99.95,0
  availability,0,30
  cap,,50                  one cap, no threshold
Importing the same rules for the same month again stores nothing. A month at or before
the latest closed month is refused: a closed month keeps the rules it was closed with,
and re-rating it (adjustments) never books a deduction difference from rules imported
later. 'rules show' prints every version, or with --period the version in force for that
month (--format csv prints it as a file 'rules import' reads back).
See docs/rules.md.`

func rulesImport(ctx context.Context, a *app, file string, p calendar.Period) error {
	f, err := os.Open(file)
	if err != nil {
		return &exitError{exitBadInput, err}
	}
	defer f.Close()
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	res, err := rating.ImportRules(ctx, s, file, f, p, a.now())
	if err != nil { // a closed month (rating.ErrRulesOfClosedMonth) too
		return a.refused(file, err)
	}
	if res.Unchanged {
		fmt.Fprintf(a.stdout, "%s: the rules in force from %s are already these (import %s): nothing stored\n", file, p, res.Version.ImportID)
		return nil
	}
	fmt.Fprintf(a.stdout, "%s: rules in force from %s stored as import %s\n", file, p, res.Version.ImportID)
	printRules(a.stdout, res.Version)
	return nil
}

func rulesShow(ctx context.Context, a *app, period *periodValue, format string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	book, err := rating.StoredRuleBook(ctx, s)
	if err != nil {
		return err
	}
	if !period.set {
		for i, v := range book.Versions {
			if i > 0 {
				fmt.Fprintln(a.stdout)
			}
			printRules(a.stdout, v)
		}
		return nil
	}
	p := period.Get()
	closes, err := s.Closes(ctx)
	if err != nil {
		return err
	}
	note := ""
	for _, c := range closes {
		if c.Period == p {
			book = book.AsOf(c.ClosedAt)
			note = fmt.Sprintf(" (closed %s: the rules as of its close)", c.ClosedAt.UTC().Format("2006-01-02 15:04:05Z"))
		}
	}
	v, err := book.For(p)
	if err != nil {
		return err
	}
	if format == "csv" {
		_, err := a.stdout.Write(v.CSV())
		return err
	}
	fmt.Fprintf(a.stdout, "in force for %s%s:\n", p, note)
	printRules(a.stdout, v)
	return nil
}

// printRules prints one version: where it comes from, then its tiers.
func printRules(w io.Writer, v rating.Rules) {
	if v.ImportID == "" {
		fmt.Fprintf(w, "version %s: built-in defaults, in force before the first imported version\n", v.Name)
	} else {
		fmt.Fprintf(w, "version %s: effective %s, import %s, imported %s\n", v.Name, v.Effective, v.ImportID, v.ImportedAt.UTC().Format("2006-01-02 15:04:05Z"))
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  group\tthreshold\trate %")
	for _, line := range strings.Split(strings.TrimSpace(string(v.CSV())), "\n")[1:] {
		f := strings.Split(line, ",")
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f[1], f[2], f[3])
	}
	tw.Flush()
}
