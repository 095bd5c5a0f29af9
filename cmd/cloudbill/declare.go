package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"cloudbill/document/sheet"
	"cloudbill/funding"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/internal/xlsxout"
)

func declareCommand() *command {
	return &command{
		Name:  "declare",
		Usage: "--year YYYY --as-of YYYY-MM-DD --out DIR [--font FILE]",
		Short: "next year's declaration (测算表) per department, from the resources in service",
		Long:  declareHelp,
		Flags: func(fs *flagSet) runFunc {
			year := fs.Int("year", 0, "the `year` declared (the as-of date's year + 1)")
			asOf := fs.Date("as-of", "the day whose resources in service are declared")
			out := fs.String("out", "", "output `directory`; the files go to DIR/declaration-YYYY/")
			font := fs.String("font", "", "TrueType CJK font `file` for the PDFs (default: the fonts-arphic-gbsn00lp font)")
			fs.Require("year", "as-of", "out")
			return func(ctx context.Context, a *app, _ []string) error {
				return runDeclare(ctx, a, *year, asOf.Get(), *out, *font)
			}
		},
	}
}

const declareHelp = `
Writes next year's declaration (§19: every year each department declares its existing cloud
resources as an O&M project for the next year): per department a 测算表 of what its work
orders in service on the as-of date cost for a year, by project, item and vendor, at their
configuration and the price in force on that date in their zone (12 × monthly price ×
quantity; a metered item 12 × its average monthly amount over the latest three closed
months, the basis printed), each line rounded once; and the district summary.

Files: DIR/declaration-YYYY/<department_id>.pdf|.csv|.xlsx and summary.pdf|.csv|.xlsx.
Everything in service is declared as O&M (运维); a new-build project (and a renovation's new
portion) is shown as 转为运维.`

func runDeclare(ctx context.Context, a *app, year int, asOf calendar.Date, out, fontPath string) error {
	if want := funding.DeclarationYear(asOf); year != want {
		return usagef("declare: --year %d: the declaration is for the year after --as-of %s (%d)", year, asOf, want)
	}
	// A PDF and a workbook per department: typesetting allocates a compressor for each
	// stream, workbooks their XML, on a live heap that keeps collections frequent at 2×
	// it. At 5× (under the commands' memory limit), as idle reminders do, the city's 1,000
	// declarations took 17.9/23.3 s of CPU against 25.4/29.7 s (interleaved, load 4.5-6.5),
	// at about 530 MB resident instead of 210 MB.
	defer batchGC(400, batchMemoryLimit)()
	uc, err := a.useCases(ctx)
	if err != nil {
		return err
	}
	font, err := uc.Font(fontPath)
	if err != nil {
		return err
	}
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	d, org, findings, err := funding.LoadDeclaration(ctx, s, year, asOf)
	if err != nil {
		return err
	}
	dir := filepath.Join(out, "declaration-"+strconv.Itoa(year))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Each department's table and document from its own lines (one pass over the lines,
	// not one per department); the PDFs typeset as one batch (font.Typeset): the font cut once to
	// the runes of all the files, each PDF a cut of that face to its own text (the same
	// bytes as typesetting it alone), two at a time; the CSV and XLSX written beside it.
	deps, parts, now := d.Departments(), d.ByDepartment(), a.now()
	table := func(i int) (string, xlsxout.Table) {
		if i == len(deps) {
			return "summary", funding.DeclarationSummary(d, org)
		}
		return string(deps[i]), funding.DeclarationTable(parts[deps[i]], org, deps[i])
	}
	doc := func(i int) sheet.Doc {
		if i == len(deps) {
			return funding.DeclarationSummaryDoc(d, org, now)
		}
		return funding.DeclarationDoc(parts[deps[i]], org, deps[i], now)
	}
	err = font.Typeset(ctx, len(deps)+1, doc, func(i int, b []byte) error {
		name, t := table(i)
		var buf bytes.Buffer
		if err := xlsxout.WriteCSV(&buf, t); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".csv"), buf.Bytes(), 0o644); err != nil {
			return err
		}
		book := t
		book.Headers = glossary.Headers(t.Headers)
		buf.Reset()
		if err := xlsxout.Write(&buf, book); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".xlsx"), buf.Bytes(), 0o644); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, name+".pdf"), b, 0o644)
	})
	if err != nil {
		return fmt.Errorf("declare: %w", err)
	}
	fmt.Fprintf(a.stdout, "declaration %d as of %s: %d departments, %d lines, total %s\nfiles in %s\n", year, asOf, len(d.Departments()),
		len(d.Lines), money.Grouped(d.Total()), dir)
	for _, f := range findings {
		fmt.Fprintf(a.stderr, "warning: %s\n", f)
	}
	return nil
}
