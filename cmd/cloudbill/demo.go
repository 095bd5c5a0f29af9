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

	"cloudbill/gen"
	"cloudbill/internal/calendar"
	"cloudbill/internal/chserver"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// cmdDemo is the main job end to end, through the same commands a user runs, on a
// generated district with a year of history: generate the district, ingest its samples
// through the collector, import the master data, rate and close each month of the
// history, issue the last closed month's statements, reconcile the vendors' invoices,
// rate the open month, and print a summary.
func demoCommand() *command {
	return &command{
		Name:  "demo",
		Usage: "[--period YYYY-MM] [--history N] [--scale small|district|city] [--out DIR] [--seed N]",
		Short: "run the main job end to end on a generated district with a year of history",
		Long:  demoHelp,
		Flags: func(fs *flagSet) runFunc {
			period := fs.Period("period", "the month left open and rated (default: the previous month)")
			history := fs.Int("history", 12, "closed months before --period (1 to 36)")
			scale := fs.String("scale", "district", "size of the generated district: small, district or city")
			out := fs.String("out", "./out", "directory for the generated input and the statements")
			seed := fs.Int64("seed", 1, "generator seed")
			return func(ctx context.Context, a *app, _ []string) error {
				if *history < 1 || *history > gen.MaxHistory {
					return &exitError{exitBadInput, fmt.Errorf("--history %d: want 1 to %d months", *history, gen.MaxHistory)}
				}
				return runDemo(ctx, a, demoParams{
					Period:  period.Or(calendar.LocalDate(a.now()).Period().Prev()),
					History: *history,
					Scale:   *scale, Out: *out, Seed: *seed,
				})
			}
		},
	}
}

// demoParams is what the demo runs on.
type demoParams struct {
	Period  calendar.Period // the open month
	History int             // closed months before it
	Scale   string
	Out     string
	Seed    int64
}

// demoHistoryInterval is the sample interval of the demo's other months (the open month
// has the scale's): one sample a day keeps the demo fast and bills the metered items.
const demoHistoryInterval = 24 * time.Hour

// A demo of demoBulkSamples samples or more loads them demoBulkBatch rows an insert
// (the ingest command's default is 100,000: less memory, more merging for the server).
const (
	demoBulkSamples = 50_000_000
	demoBulkBatch   = 500_000
)

const demoHelp = `
Runs the month's work on a generated district with a year of history, on a fresh database:
gen → catalog/org/orders/acceptance import → ingest → rate and close each of the
--history months before --period (oldest first) → statements of the last closed month →
vendor invoices and reconcile of that month → rate --period, left open → idle analysis of
its last day → one portal account per role; then prints a summary (departments, orders,
samples, gross, deductions, net, elapsed) and where the files are. The open month has the
scale's samples; the history months one sample a day per resource and metric, enough to
bill them (the portal's 12-month chart, comparisons and the close button have something to
show). With the embedded ClickHouse, the demo's database lives in DATA-DIR/demo and is
recreated on every run; with --clickhouse, the database cloudbill_demo is.`

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
	cfg := gen.Config{Out: input, Scale: gen.Scale(d.Scale), Period: p, Seed: d.Seed, Samples: true, History: d.History}
	err := steps.do(fmt.Sprintf("cloudbill gen --scale %s --period %s --history %d", d.Scale, p, d.History), func() error {
		var err error
		m, err = gen.Generate(ctx, cfg)
		return err
	})
	if err != nil {
		return err
	}
	in := func(f string) string { return filepath.Join(input, f) }
	var history []calendar.Period // oldest first
	for h := p; len(history) < d.History; {
		h = h.Prev()
		history = append([]calendar.Period{h}, history...)
	}
	acceptance := []string{in(m.Acceptance), filepath.Join(input, "history", "acceptance.csv")}
	var historyAcceptance [][]byte
	samples := make([]string, 0, len(m.Samples))
	for _, f := range m.Samples {
		samples = append(samples, in(f))
	}
	nSamples := m.Counts.Samples
	err = steps.do(fmt.Sprintf("gen: acceptance and daily samples of %s … %s", history[0], history[len(history)-1]), func() error {
		for _, h := range history {
			dir := filepath.Join(input, "history", h.String())
			hm, err := gen.Month(ctx, cfg, h, demoHistoryInterval, dir)
			if err != nil {
				return err
			}
			b, err := os.ReadFile(filepath.Join(dir, hm.Acceptance))
			if err != nil {
				return err
			}
			if len(historyAcceptance) > 0 { // one header
				_, b, _ = bytes.Cut(b, []byte("\n"))
			}
			historyAcceptance = append(historyAcceptance, b)
			for _, f := range hm.Samples {
				samples = append(samples, filepath.Join(dir, f))
			}
			nSamples += hm.Counts.Samples
		}
		return os.WriteFile(acceptance[1], bytes.Join(historyAcceptance, nil), 0o644)
	})
	if err != nil {
		return err
	}
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
	for _, f := range acceptance {
		if err := steps.cmd(ctx, "acceptance", "import", f); err != nil {
			return err
		}
	}
	ingest := samples
	if nSamples >= demoBulkSamples {
		// a bulk load: inserts of 500,000 rows make parts 5 times larger, which the
		// server merges far less often (docs/ingest.md, "The city month's ingest")
		ingest = append([]string{"--batch", strconv.Itoa(demoBulkBatch)}, samples...)
	}
	if err := steps.cmd(ctx, "ingest", ingest...); err != nil {
		return err
	}
	year, err := newDemoYear(d.Out, d.Seed)
	if err != nil {
		return err
	}
	for i, h := range history {
		if err := steps.closeMonth(ctx, year, h, i == len(history)-1); err != nil {
			return err
		}
	}
	closed := history[len(history)-1]
	if err := steps.cmd(ctx, "statements", "--period", closed.String(), "--out", d.Out); err != nil {
		return err
	}
	differences, err := steps.reconcile(ctx, closed, d.Seed, d.Out)
	if err != nil {
		return err
	}
	budgets, err := steps.budgets(ctx, year, p.Year, calendar.MaxDate(p.First().AddDays(-1), calendar.Date{Year: p.Year, Month: 1, Day: 1}))
	if err != nil {
		return err
	}
	if err := steps.cmd(ctx, "rate", "--period", p.String()); err != nil {
		return err
	}
	if p.Month == 12 {
		if err := steps.estimateAndPay(ctx, year, p); err != nil {
			return err
		}
	}
	if err := steps.cmd(ctx, "declare", "--year", strconv.Itoa(p.Year+1), "--as-of", p.Last().String(), "--out", d.Out); err != nil {
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
	m.Counts.Samples = nSamples
	if err := steps.summary(ctx, history, p, m, differences, idleFound, d.Out); err != nil {
		return err
	}
	if err := steps.yearSummary(ctx, p, budgets, year, d.Out); err != nil {
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
	flags := 0 // leading "--flag value" pairs
	for flags+1 < len(args) && strings.HasPrefix(args[flags], "--") {
		out = append(out, args[flags], args[flags+1])
		flags += 2
	}
	files := args[flags:]
	for i, a := range files {
		if i == 3 && len(files) > 7 {
			out = append(out, fmt.Sprintf("… (%d files)", len(files)))
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

func (s *demoSteps) summary(ctx context.Context, history []calendar.Period, open calendar.Period, m gen.Manifest, differences int, idleFound demoIdle, out string) error {
	st, err := s.a.Store(ctx)
	if err != nil {
		return err
	}
	closed := history[len(history)-1]
	type figures struct {
		lines                int
		gross, deducted, net decimal.Decimal
		pending              int
	}
	of := func(p calendar.Period) (figures, error) {
		var f figures
		lines, err := st.RatedLines(ctx, p)
		if err != nil {
			return f, err
		}
		deds, err := st.VendorDeductions(ctx, p)
		if err != nil {
			return f, err
		}
		f.lines = len(lines)
		tot := rating.TotalsOf(lines)
		f.gross, f.deducted, f.net = tot.Gross, tot.Deductions, tot.Net
		for _, d := range deds {
			if d.Pending {
				f.pending++
			}
		}
		return f, nil
	}
	c, err := of(closed)
	if err != nil {
		return err
	}
	o, err := of(open)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(out)
	w := tabwriter.NewWriter(s.a.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(s.a.stdout, "\ncloudbill demo: %s … %s closed (%d months), %s rated and open\n\n", history[0], closed, len(history), open)
	row := func(k, v string) { fmt.Fprintf(w, "%s\t%s\t\n", k, v) }
	pair := func(k string, a, b string) { fmt.Fprintf(w, "%s\t%s\t%s\t\n", k, a, b) }
	pair("", closed.String()+" (closed)", open.String()+" (open)")
	pair("rated lines", strconv.Itoa(c.lines), strconv.Itoa(o.lines))
	pair("gross (CNY)", money.Grouped(c.gross), money.Grouped(o.gross))
	pair("deductions (CNY)", money.Grouped(c.deducted), money.Grouped(o.deducted))
	pair("net payable (CNY)", money.Grouped(c.net), money.Grouped(o.net))
	pair("vendors pending acceptance", strconv.Itoa(c.pending), strconv.Itoa(o.pending))
	row("departments", strconv.Itoa(m.Counts.Departments))
	row("work orders", strconv.Itoa(m.Counts.Orders))
	row("usage samples (all months)", strconv.FormatInt(int64(m.Counts.Samples), 10))
	row("invoice differences found ("+closed.String()+")", strconv.Itoa(differences))
	idleFound.summary(row)
	row("elapsed", time.Since(s.start).Round(100*time.Millisecond).String())
	w.Flush()
	fmt.Fprintf(s.a.stdout, "\nstatements (%s): %s\nreconciliation: %s\n", closed, filepath.Join(abs, closed.String()), filepath.Join(abs, "reconcile"))
	fmt.Fprintf(s.a.stdout, "idle resources: %s (analysis CSV, reminders per department)\n", filepath.Join(abs, "idle"))
	return nil
}
