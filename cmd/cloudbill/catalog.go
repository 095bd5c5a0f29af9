package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
	chstore "cloudbill/sql"
)

func catalogCommand() *command {
	return &command{
		Name:  "catalog",
		Usage: "import FILE --effective DATE | adapt FILE | show [--date DATE] [--format table|csv]",
		Short: "import a catalog version, adaptations, or show prices in force",
		Long:  catalogExplain,
		Subs: []*command{
			{
				Name:  "import",
				Usage: "FILE --effective YYYY-MM-DD",
				Short: "import a catalog version in force from a date",
				Long:  catalogExplain,
				Args:  "FILE",
				Flags: func(fs *flagSet) runFunc {
					eff := fs.Date("effective", "the day from which the version is in force")
					enc := fs.Encoding()
					fs.Require("effective")
					return func(ctx context.Context, a *app, files []string) error {
						return a.importFile(ctx, files[0], *enc, "items", func(s *chstore.Store, f catalog.File) (catalog.Report, error) {
							return catalog.ImportVersion(ctx, s, catalog.VersionInput{File: f, Effective: eff.Get(), Now: a.now()})
						})
					}
				},
			},
			importOneCommand("adapt", "import the adaptation table (resource_type → item_code)", catalogExplain, "adaptations",
				func(ctx context.Context, a *app, s *chstore.Store, f catalog.File) (catalog.Report, error) {
					return catalog.ImportAdaptations(ctx, s, f, a.now())
				}),
			{
				Name:  "show",
				Usage: "[--date YYYY-MM-DD] [--format table|csv]",
				Short: "print the items and prices in force on a day",
				Long:  catalogExplain,
				Flags: func(fs *flagSet) runFunc {
					date := fs.Date("date", "the day whose prices to show (default: today, Asia/Shanghai)")
					format := fs.Choice("format", "`table` for people, csv for the catalog file format (re-importable)", "table", "csv")
					return func(ctx context.Context, a *app, _ []string) error {
						return catalogShow(ctx, a, date.Or(calendar.LocalDate(a.now())), *format)
					}
				},
			},
		},
	}
}

const catalogExplain = `
The service catalog (服务目录): items with a code, name, category, unit, billing
(allocated or metered) and a monthly price per zone (an empty price: not offered in that
zone). Each import makes a version in force from its effective date; a day is priced by the
version in force that day. Importing the same file for the same date again changes
nothing; other content for a date that already has a version replaces it (a correction).
'catalog adapt' loads the adaptation table (resource_type → item_code) for resource types
not in the catalog (§17). 'catalog show' prints the items and prices in force on a day.
A refused file is listed with every error in Chinese (文件 F 第 L 行（记录），列 "C"：…;
docs/errors.md), nothing of it is stored, and the exit status is 2.`

// importOneCommand is an import subcommand that takes exactly one FILE: it imports it
// with imp and prints the report (noun names the rows), or lists every error of a
// refused file.
func importOneCommand(name, short, long, noun string,
	imp func(context.Context, *app, *chstore.Store, catalog.File) (catalog.Report, error)) *command {
	return &command{
		Name:  name,
		Usage: "FILE",
		Short: short,
		Long:  long,
		Args:  "FILE",
		Flags: func(fs *flagSet) runFunc {
			enc := fs.Encoding()
			return func(ctx context.Context, a *app, files []string) error {
				return a.importFile(ctx, files[0], *enc, noun, func(s *chstore.Store, f catalog.File) (catalog.Report, error) {
					return imp(ctx, a, s, f)
				})
			}
		},
	}
}

// importFile opens one input file, imports it with imp and prints the report (noun names
// the rows), or lists every error of a refused file.
func (a *app) importFile(ctx context.Context, path string, enc csvin.Encoding, noun string, imp func(*chstore.Store, catalog.File) (catalog.Report, error)) error {
	f, closeFile, err := openInput(path, enc)
	if err != nil {
		return err
	}
	defer closeFile()
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	rep, err := imp(s, f)
	if err != nil {
		return a.refused(path, err)
	}
	a.printReport(path, rep, noun)
	return nil
}

func catalogShow(ctx context.Context, a *app, day calendar.Date, format string) error {
	s, err := a.Store(ctx)
	if err != nil {
		return err
	}
	cat, err := s.Catalog(ctx)
	if err != nil {
		return err
	}
	v, ok := cat.InForce(day)
	if !ok {
		return &exitError{exitFailed, fmt.Errorf("catalog show: no catalog version is in force on %s (import one with `catalog import FILE --effective DATE`)", day)}
	}
	if format == "csv" {
		return writeCatalogCSV(a.stdout, v)
	}
	writeCatalogTable(a.stdout, cat, v, day)
	return nil
}

// catalogColumns are the columns of the catalog file (docs/formats.md).
var catalogColumns = []string{"code", "name", "category", "unit", "billing", "price_internet", "price_extranet", "meter_metric", "meter_agg", "mode"}

func sortedItems(v catalog.Version) []catalog.Item {
	items := make([]catalog.Item, 0, len(v.Items))
	for _, it := range v.Items {
		items = append(items, it)
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Code < items[j].Code })
	return items
}

func itemFields(it catalog.Item) []string {
	price := func(z catalog.Zone) string {
		if p, ok := it.Price(z); ok {
			return p.String()
		}
		return ""
	}
	return []string{string(it.Code), it.Name, it.Category, it.Unit, string(it.Billing), price(catalog.ZoneInternet),
		price(catalog.ZoneExtranet), it.MeterMetric, string(it.MeterAgg), string(it.Mode)}
}

func writeCatalogCSV(w io.Writer, v catalog.Version) error {
	cw := csvout.NewWriter(w)
	_ = cw.Write(catalogColumns)
	for _, it := range sortedItems(v) {
		_ = cw.Write(itemFields(it))
	}
	cw.Flush()
	return cw.Error()
}

func writeCatalogTable(w io.Writer, cat catalog.Catalog, v catalog.Version, day calendar.Date) {
	fmt.Fprintf(w, "catalog in force on %s: version effective %s (import %s), %d items\n\n", day, v.Effective, v.ImportID, len(v.Items))
	rows := [][]string{{"code", "name", "category", "unit", "billing", "internet", "extranet", "meter", "mode"}}
	for _, it := range sortedItems(v) {
		f := itemFields(it)
		meter := ""
		if it.Billing == catalog.Metered {
			meter = string(it.MeterAgg) + "(" + it.MeterMetric + ")"
		}
		for i := 5; i <= 6; i++ {
			if f[i] == "" {
				f[i] = "-"
			}
		}
		rows = append(rows, []string{f[0], f[1], f[2], f[3], f[4], f[5], f[6], meter, f[9]})
	}
	writeTable(w, rows, map[int]bool{5: true, 6: true})
	if len(cat.Adaptations) > 0 {
		fmt.Fprintf(w, "\nadaptations (resource types not in the catalog):\n\n")
		types := make([]string, 0, len(cat.Adaptations))
		for t := range cat.Adaptations {
			types = append(types, t)
		}
		sort.Strings(types)
		rows := [][]string{{"resource_type", "item", "note"}}
		for _, t := range types {
			ad := cat.Adaptations[t]
			note := ad.Note
			if _, ok := v.Items[ad.Item]; !ok {
				note = strings.TrimSpace(note + " (item not in this version)")
			}
			rows = append(rows, []string{t, string(ad.Item), note})
		}
		writeTable(w, rows, nil)
	}
	if next := nextVersion(cat, v); next != nil {
		fmt.Fprintf(w, "\nnext version effective %s\n", next.Effective)
	}
}

func nextVersion(cat catalog.Catalog, v catalog.Version) *catalog.Version {
	for i := range cat.Versions {
		if cat.Versions[i].Effective.After(v.Effective) {
			return &cat.Versions[i]
		}
	}
	return nil
}

// writeTable writes aligned columns, counting CJK characters as two cells wide; columns
// in right are right-aligned.
func writeTable(w io.Writer, rows [][]string, right map[int]bool) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			if n := displayWidth(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-displayWidth(c))
			if right[i] {
				b.WriteString(pad + c)
			} else if i < len(r)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
			if i < len(r)-1 {
				b.WriteString("  ")
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// displayWidth is the number of terminal cells s takes: East Asian wide characters count two.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		switch {
		case r >= 0x1100 && r <= 0x115F, r >= 0x2E80 && r <= 0xA4CF, r >= 0xAC00 && r <= 0xD7A3,
			r >= 0xF900 && r <= 0xFAFF, r >= 0xFE30 && r <= 0xFE4F, r >= 0xFF00 && r <= 0xFF60, r >= 0xFFE0 && r <= 0xFFE6:
			n += 2
		default:
			n++
		}
	}
	return n
}

// openInput opens an input file; its name in errors is the path as given.
func openInput(path string, enc csvin.Encoding) (catalog.File, func(), error) {
	f, err := os.Open(path)
	if err != nil {
		return catalog.File{}, nil, &exitError{exitBadInput, err}
	}
	return catalog.File{Name: path, R: f, Encoding: enc}, func() { f.Close() }, nil
}

// refused reports a refused input: every error on stderr, one a line in Chinese under
// the line glossary.RefusedFile, and exit status 2 (nothing of the file was stored).
// Other errors pass through.
func (a *app) refused(name string, err error) error {
	var many csvin.Errors
	var one *csvin.Error
	switch {
	case errors.As(err, &many):
	case errors.As(err, &one):
		many = csvin.Errors{one}
	default:
		return err
	}
	fmt.Fprintln(a.stderr, glossary.RefusedFile(name, len(many)))
	for _, l := range inputLines(many) {
		fmt.Fprintln(a.stderr, "  "+l)
	}
	return &exitError{exitBadInput, fmt.Errorf("%w: %s refused", errQuiet, name)}
}

// printReport prints the short report of an import.
func (a *app) printReport(name string, rep catalog.Report, what string) {
	fmt.Fprintf(a.stdout, "%s: %d rows read, %d %s accepted, %d already present", name, rep.Read, rep.Accepted, what, rep.Present)
	if rep.Replaced > 0 {
		fmt.Fprintf(a.stdout, " (%d replace earlier entries)", rep.Replaced)
	}
	if rep.Late > 0 {
		fmt.Fprintf(a.stdout, ", %d late (in a closed month: rated as adjustments)", rep.Late)
	}
	fmt.Fprintln(a.stdout, ", 0 errors")
	if rep.Stored() {
		fmt.Fprintf(a.stdout, "  import %s\n", rep.Import.ID)
	} else {
		fmt.Fprintln(a.stdout, "  nothing new: nothing stored")
	}
}
