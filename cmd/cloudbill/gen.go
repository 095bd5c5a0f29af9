package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"cloudbill/gen"
	"cloudbill/internal/calendar"
)

const genExplain = `
Writes a complete, consistent dataset of the district government cloud for one month, in
the input formats cloudbill reads (docs/formats.md): the service catalog with a mid-month
price version, adaptations, departments and subordinate units, the year's project list,
vendors, work-order events (opens, changes, terminations, adapted resource types, both
zones, renovation portions, unapproved projects), one acceptance record per vendor, and
the vendors' usage samples (CSV, and NDJSON for the second vendor) under DIR/samples/.
DIR/manifest.json lists the files and counts.

The same --scale, --period, --seed and --interval always write the same bytes.

Sizes: small ≈ 5 departments, 30 orders, a few thousand samples (every 4h);
district ≈ 60 departments, 2,000 orders, about 6 million samples (every 15m, ~500 MB);
city ≈ 1,000 departments, 50,000 orders, about 100 million samples (every 24m, ~8 GB).

With --vendor-invoices, writes only the vendors' invoices of the already rated --period
into DIR (for cloudbill reconcile), derived from the rated lines with injected differences.
Progress goes to stderr, the summary to stdout.`

func genCommand() *command {
	return &command{
		Name:  "gen",
		Usage: "--out DIR [--scale small|district|city] [--period YYYY-MM] [--seed N] [--samples=true] [--interval 15m] [--vendor-invoices]",
		Short: "generate a consistent district dataset (master data, orders, samples)",
		Long:  genExplain,
		Flags: func(fs *flagSet) runFunc {
			out := fs.String("out", "", "`directory` to write into (created; files of the same names are overwritten)")
			scale := fs.String("scale", string(gen.Small), "dataset `size`: small, district or city")
			period := fs.Period("period", "the month of the dataset (default: the previous month)")
			seed := fs.Int64("seed", 1, "random `seed`: the same seed writes the same bytes")
			samples := fs.Bool("samples", true, "write usage samples too (--samples=false: master data, orders and acceptance only)")
			interval := fs.Duration("interval", 0, "sample `interval`, 1m to 24h (default: the scale's, small 4h, district 15m, city 24m)")
			invoices := fs.Bool("vendor-invoices", false, "write only the vendors' invoices of the rated --period (reads the database)")
			fs.Require("out")
			return func(ctx context.Context, a *app, _ []string) error {
				p := period.Or(calendar.LocalDate(a.now()).Period().Prev())
				if *invoices {
					return genVendorInvoices(ctx, a, vendorInvoicesParams{Period: p, Seed: *seed, Out: *out})
				}
				return runGen(ctx, a, gen.Config{
					Out: *out, Scale: gen.Scale(*scale), Period: p, Seed: *seed,
					Samples: *samples, Interval: *interval, Progress: a.stderr,
				})
			}
		},
	}
}

func runGen(ctx context.Context, a *app, cfg gen.Config) error {
	if err := cfg.Validate(); err != nil {
		return usagef("gen: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
	}
	started := time.Now()
	m, err := gen.Generate(ctx, cfg)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	printGenSummary(a, cfg, m, time.Since(started))
	return nil
}

func printGenSummary(a *app, cfg gen.Config, m gen.Manifest, took time.Duration) {
	w := a.stdout
	c := m.Counts
	fmt.Fprintf(w, "%s dataset for %s (seed %d) in %s, %.1fs\n", m.Scale, m.Period, m.Seed, cfg.Out, took.Seconds())
	fmt.Fprintf(w, "  %-12s %10d  %s\n", "departments", c.Departments, m.Departments)
	fmt.Fprintf(w, "  %-12s %10d  %s\n", "projects", c.Projects, m.Projects)
	fmt.Fprintf(w, "  %-12s %10d  %s\n", "vendors", c.Vendors, m.Vendors)
	fmt.Fprintf(w, "  %-12s %10d  %s (%d events)\n", "orders", c.Orders, m.Orders, c.Events)
	fmt.Fprintf(w, "  %-12s %10d  with usage in %s\n", "resources", c.Resources, m.Period)
	if len(m.Samples) > 0 {
		fmt.Fprintf(w, "  %-12s %10d  every %s, in %d files under samples/\n", "samples", c.Samples, m.Interval, len(m.Samples))
	} else {
		fmt.Fprintf(w, "  %-12s %10s  (--samples=false)\n", "samples", "none")
	}
	for _, cf := range m.Catalogs {
		fmt.Fprintf(w, "  %-12s %10s  %s (in force from %s)\n", "catalog", "", cf.File, cf.Effective)
	}
	fmt.Fprintf(w, "  also %s, %s, %s\n", m.Adaptations, m.Acceptance, gen.ManifestFile)
	dir := cfg.Out
	fmt.Fprintln(w, "load it with:")
	for _, cf := range m.Catalogs {
		fmt.Fprintf(w, "  cloudbill catalog import %s --effective %s\n", filepath.Join(dir, cf.File), cf.Effective)
	}
	fmt.Fprintf(w, "  cloudbill catalog adapt %s\n", filepath.Join(dir, m.Adaptations))
	fmt.Fprintf(w, "  cloudbill org import --departments %s --projects %s --vendors %s\n",
		filepath.Join(dir, m.Departments), filepath.Join(dir, m.Projects), filepath.Join(dir, m.Vendors))
	fmt.Fprintf(w, "  cloudbill orders import %s\n", filepath.Join(dir, m.Orders))
	fmt.Fprintf(w, "  cloudbill acceptance import %s\n", filepath.Join(dir, m.Acceptance))
	if len(m.Samples) > 0 {
		fmt.Fprintf(w, "  cloudbill ingest %s\n", filepath.Join(dir, "samples", "*"))
	}
}
