package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/fixture/gen"
	"cloudbill/internal/calendar"
	"cloudbill/internal/chserver"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// cmdDemo is the main job end to end, through the same commands a user runs: generate a
// district month, ingest its samples through the collector, import the master data,
// rate, close, issue the statements, reconcile the vendors' invoices, and print a summary.
func demoCommand() *command {
	return &command{
		Name:  "demo",
		Usage: "[--period YYYY-MM] [--scale small|district|city] [--out DIR] [--seed N]",
		Short: "run the main job end to end on a generated district",
		Long:  demoHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "month to close (default: the previous month)")
			scale := fs.String("scale", "district", "size of the generated district: small, district or city")
			out := fs.String("out", "./out", "directory for the generated input and the statements")
			seed := fs.Int64("seed", 1, "generator seed")
			return func(ctx context.Context, a *app, _ []string) error {
				return runDemo(ctx, a, demoParams{
					Period: period.Or(calendar.LocalDate(a.now()).Period().Prev()),
					Scale:  *scale, Out: *out, Seed: *seed,
				})
			}
		},
	}
}

// demoParams is what the demo runs on.
type demoParams struct {
	Period calendar.Period
	Scale  string
	Out    string
	Seed   int64
}

const demoHelp = `
Runs a full month close on a generated district, on a fresh database: gen → ingest →
catalog/org/orders/acceptance import → rate → close → statements → reconcile, then prints
a summary (departments, orders, samples, gross, deductions, net, elapsed) and where the
files are. With the embedded ClickHouse, the demo's database lives in DATA-DIR/demo and
is recreated on every run; with --clickhouse, the database cloudbill_demo is.`

func runDemo(ctx context.Context, a *app, d demoParams) error {
	p := d.Period
	start := time.Now()
	if err := a.freshDemoDatabase(ctx); err != nil {
		return err
	}
	input := filepath.Join(d.Out, "input")
	if err := os.RemoveAll(input); err != nil {
		return err
	}
	steps := &demoSteps{a: a, start: start}

	var m gen.Manifest
	err := steps.do("cloudbill gen --scale "+d.Scale+" --period "+p.String(), func() error {
		var err error
		m, err = gen.Generate(ctx, gen.Config{Out: input, Scale: gen.Scale(d.Scale), Period: p, Seed: d.Seed, Samples: true})
		return err
	})
	if err != nil {
		return err
	}
	in := func(f string) string { return filepath.Join(input, f) }
	if _, err := a.Store(ctx); err != nil {
		return err
	}
	for _, c := range m.Catalogs {
		if err := steps.cmd(ctx, "catalog", "import", in(c.File), "--effective", c.Effective.String()); err != nil {
			return err
		}
	}
	if err := steps.cmd(ctx, "catalog", "adapt", in(m.Adaptations)); err != nil {
		return err
	}
	if err := steps.cmd(ctx, "org", "import", "--departments", in(m.Departments), "--projects", in(m.Projects), "--vendors", in(m.Vendors)); err != nil {
		return err
	}
	if err := steps.cmd(ctx, "orders", "import", in(m.Orders)); err != nil {
		return err
	}
	if err := steps.cmd(ctx, "acceptance", "import", in(m.Acceptance)); err != nil {
		return err
	}
	samples := make([]string, len(m.Samples))
	for i, f := range m.Samples {
		samples[i] = in(f)
	}
	if err := steps.cmd(ctx, "ingest", samples...); err != nil {
		return err
	}
	if err := steps.cmd(ctx, "rate", "--period", p.String()); err != nil {
		return err
	}
	if err := steps.cmd(ctx, "close", "--period", p.String()); err != nil {
		return err
	}
	if err := steps.cmd(ctx, "statements", "--period", p.String(), "--out", d.Out); err != nil {
		return err
	}
	differences, err := steps.reconcile(ctx, p, d.Seed, d.Out)
	if err != nil {
		return err
	}
	idleFound, err := steps.idle(ctx, p, m.Interval, d.Out)
	if err != nil {
		return err
	}
	accounts, err := steps.portalAccounts(ctx)
	if err != nil {
		return err
	}
	if err := steps.summary(ctx, p, m, differences, idleFound, d.Out); err != nil {
		return err
	}
	printPortal(a, accounts)
	return nil
}

// freshDemoDatabase points the app at a database of the demo's own, emptied.
func (a *app) freshDemoDatabase(ctx context.Context) error {
	if a.dsn != "" {
		a.dsn = withDatabase(a.dsn, "cloudbill_demo")
		s, err := a.Store(ctx)
		if err != nil {
			return err
		}
		if err := s.DropDatabase(ctx, "cloudbill_demo"); err != nil {
			return err
		}
		a.close()
		a.store, a.server = nil, nil
		return nil
	}
	a.dataDir = filepath.Join(a.dataDir, "demo")
	// a server left running there by a killed demo is stopped first
	if err := chserver.Remove(ctx, filepath.Join(a.dataDir, "clickhouse")); err != nil {
		return err
	}
	return os.RemoveAll(a.dataDir)
}

// withDatabase is dsn naming database db instead (its ?options, e.g. cluster=, kept).
func withDatabase(dsn, db string) string {
	rest, query, _ := strings.Cut(dsn, "?")
	scheme, hosts, _ := strings.Cut(rest, "://")
	hosts, _, _ = strings.Cut(hosts, "/")
	out := scheme + "://" + hosts + "/" + db
	if query != "" {
		out += "?" + query
	}
	return out
}

// demoSteps runs the demo's steps, printing one line each with its time.
type demoSteps struct {
	a     *app
	start time.Time
}

func (s *demoSteps) do(what string, f func() error) error {
	t := time.Now()
	fmt.Fprintf(s.a.stdout, "  %-72s", what)
	err := f()
	if err != nil && exitCode(err) != exitDifferences {
		fmt.Fprintln(s.a.stdout, "FAILED")
		return fmt.Errorf("demo: %s: %w", what, err)
	}
	fmt.Fprintf(s.a.stdout, "%7.1fs\n", time.Since(t).Seconds())
	return nil
}

// cmd runs a subcommand on the demo's store, keeping its output for when it fails.
func (s *demoSteps) cmd(ctx context.Context, name string, args ...string) error {
	label := "cloudbill " + name + " " + strings.Join(shorten(args), " ")
	return s.do(label, func() error {
		return s.quiet(func() error { return s.a.runArgs(ctx, append([]string{name}, args...)) })
	})
}

// quiet runs f with the app's output kept aside, shown only when f fails.
func (s *demoSteps) quiet(f func() error) error {
	var buf bytes.Buffer
	stdout, stderr := s.a.stdout, s.a.stderr
	s.a.stdout, s.a.stderr = &buf, &buf
	err := f()
	s.a.stdout, s.a.stderr = stdout, stderr
	if err != nil && exitCode(err) != exitDifferences {
		fmt.Fprintln(s.a.stderr)
		_, _ = io.Copy(s.a.stderr, &buf)
	}
	return err
}

func shorten(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if i == 3 && len(args) > 7 {
			out = append(out, fmt.Sprintf("… (%d files)", len(args)))
			break
		}
		out = append(out, filepath.Base(a))
	}
	return out
}

// reconcile generates the vendors' invoices (derived from the rated month with injected
// discrepancies) and reconciles each; it returns the number of differences found.
func (s *demoSteps) reconcile(ctx context.Context, p calendar.Period, seed int64, out string) (int, error) {
	dir := filepath.Join(out, "reconcile")
	if err := s.do("generate the vendors' invoices (with injected discrepancies)", func() error {
		return s.quiet(func() error {
			return genVendorInvoices(ctx, s.a, vendorInvoicesParams{Period: p, Seed: seed, Out: dir})
		})
	}); err != nil {
		return 0, err
	}
	files, _ := filepath.Glob(filepath.Join(dir, "invoices", "*-"+p.String()+".csv"))
	total := 0
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "injected-") {
			continue
		}
		vendor := strings.TrimSuffix(filepath.Base(f), "-"+p.String()+".csv")
		args := []string{"--period", p.String(), "--vendor", vendor, "--invoice", f, "--out", dir}
		err := s.do("cloudbill reconcile --vendor "+vendor, func() error {
			return s.quiet(func() error { return s.a.runArgs(ctx, append([]string{"reconcile"}, args...)) })
		})
		if err != nil && exitCode(err) != exitDifferences {
			return 0, err
		}
		n, rerr := countDifferences(filepath.Join(dir, "reconcile-"+vendor+"-"+p.String()+".csv"))
		if rerr != nil {
			return 0, rerr
		}
		total += n
	}
	return total, nil
}

// countDifferences counts the rows of a reconciliation CSV whose class is not match.
func countDifferences(file string) (int, error) {
	f, err := os.Open(file)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return 0, fmt.Errorf("%s: %w", file, err)
	}
	if len(rows) == 0 {
		return 0, nil
	}
	col := slices.Index(rows[0], "class")
	if col < 0 {
		return 0, fmt.Errorf("%s: no class column", file)
	}
	n := 0
	for _, r := range rows[1:] {
		if col < len(r) && r[col] != "match" {
			n++
		}
	}
	return n, nil
}

func (s *demoSteps) summary(ctx context.Context, p calendar.Period, m gen.Manifest, differences int, idleFound demoIdle, out string) error {
	st, err := s.a.Store(ctx)
	if err != nil {
		return err
	}
	lines, err := st.RatedLines(ctx, p)
	if err != nil {
		return err
	}
	deds, err := st.VendorDeductions(ctx, p)
	if err != nil {
		return err
	}
	gross, deducted, net := decimal.Zero, decimal.Zero, decimal.Zero
	for _, l := range lines {
		switch {
		case l.Kind.CountsInGross():
			gross = gross.Add(l.Amount)
		case l.Kind == rating.KindDeduction:
			deducted = deducted.Add(l.Amount)
		}
		net = net.Add(l.Amount)
	}
	pending := 0
	for _, d := range deds {
		if d.Pending {
			pending++
		}
	}
	abs, _ := filepath.Abs(out)
	w := tabwriter.NewWriter(s.a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(s.a.stdout, "\ncloudbill demo: %s closed\n\n", p)
	row := func(k, v string) { fmt.Fprintf(w, "%s\t%s\t\n", k, v) }
	row("departments", strconv.Itoa(m.Counts.Departments))
	row("work orders", strconv.Itoa(m.Counts.Orders))
	row("usage samples", strconv.FormatInt(int64(m.Counts.Samples), 10))
	row("rated lines", strconv.Itoa(len(lines)))
	row("gross (CNY)", money.Grouped(gross))
	row("deductions (CNY)", money.Grouped(deducted))
	row("net payable (CNY)", money.Grouped(net))
	row("vendors pending acceptance", strconv.Itoa(pending))
	row("invoice differences found", strconv.Itoa(differences))
	idleFound.summary(row)
	row("elapsed", time.Since(s.start).Round(100*time.Millisecond).String())
	w.Flush()
	fmt.Fprintf(s.a.stdout, "\nstatements: %s\nreconciliation: %s\n", filepath.Join(abs, p.String()), filepath.Join(abs, "reconcile"))
	fmt.Fprintf(s.a.stdout, "idle resources: %s (analysis CSV, reminders per department)\n", filepath.Join(abs, "idle"))
	_ = catalog.Passed
	return nil
}
