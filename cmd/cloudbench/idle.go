package main

import (
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"cloudbill/catalog"
	"cloudbill/gen"
	"cloudbill/idle"
	"cloudbill/sql/chbench"
)

// benchIdle: `cloudbill idle analyze` at city scale (the generator's 50,000 orders, ~100
// million samples) against the time ClickHouse itself takes for the bare p95 aggregation
// of the same samples (quantileExact(0.95) of cpu_util and mem_util per resource and
// metric over the 30-day window, no identity handling, no coverage, no join).
//
// The samples are synthesized by ClickHouse as in the rate benchmark, spread over every
// metric the generator's resources report (compute and database: cpu_util and mem_util;
// disks: disk_used_gb; metered items: their metric), utilisation values 0–99.99.
// CLOUDBENCH_IDLE_SAMPLES sets how many (default 100,000,000).
func benchIdle(ctx context.Context) ([]figure, error) {
	var figs []figure
	n := envInt("CLOUDBENCH_IDLE_SAMPLES", 100_000_000)
	p := benchPeriod()
	date := p.Last()
	sc, err := newScratch(ctx, "idle")
	if err != nil {
		return nil, err
	}
	defer sc.Close()
	dir, s := sc.Dir, sc.Store
	data := filepath.Join(dir, "data")
	m, err := gen.Generate(ctx, gen.Config{Out: data, Scale: gen.City, Period: p, Seed: 1})
	if err != nil {
		return nil, err
	}
	im, err := importDataset(ctx, s, data, m)
	if err != nil {
		return nil, err
	}
	cat, events := im.Catalog, im.Events
	rs := metricsOf(cat, events)
	t1 := time.Now()
	if err := chbench.Utilisation(ctx, s, p, rs, n); err != nil {
		return nil, err
	}
	stored, err := s.RowCount(ctx, "usage_samples")
	if err != nil {
		return nil, err
	}
	fmt.Printf("city: %d orders, %d resource-metrics, %d samples synthesized in %.1f s\n", m.Counts.Orders, len(rs), stored, time.Since(t1).Seconds())
	if err := s.SettleMerges(ctx, 10*time.Minute); err != nil {
		return nil, err
	}
	from, to := idle.Window(date)
	bare := func() (time.Duration, int, error) {
		t := time.Now()
		k, err := s.UtilisationP95Rows(ctx, from.Start(), to.AddDays(1).Start())
		return time.Since(t), k, err
	}
	bin, err := cloudbillBinary(ctx, dir)
	if err != nil {
		return nil, err
	}
	// samples per expected interval: the synthesized spacing
	per := n / len(rs)
	spacing := time.Duration(int64(p.Days())*86400/int64(max(per, 1))) * time.Second
	// the expected interval: the smallest one dividing a day not below the spacing (so
	// that the resources have their expected samples)
	interval := 24 * time.Hour
	for _, c := range []time.Duration{12 * time.Hour, 6 * time.Hour, 4 * time.Hour, 2 * time.Hour, time.Hour, 30 * time.Minute,
		20 * time.Minute, 15 * time.Minute, 10 * time.Minute, 5 * time.Minute, 2 * time.Minute, time.Minute} {
		if c >= spacing {
			interval = c
		}
	}
	var analyses []time.Duration
	var last string
	var rss int64
	for i := 0; i < 3; i++ {
		cmd := exec.CommandContext(ctx, bin, "--clickhouse", sc.Server.DSN("bench"), "idle", "analyze", "--date", date.String(), "--dry-run",
			"--interval", interval.String())
		t := time.Now()
		out, err := cmd.CombinedOutput()
		if err != nil {
			return nil, fmt.Errorf("cloudbill idle analyze: %v\n%s", err, out)
		}
		analyses = append(analyses, time.Since(t))
		rss = max(rss, cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss)
		last = string(out)
	}
	var bares []time.Duration
	var groups int
	for i := 0; i < 3; i++ {
		d, k, err := bare()
		if err != nil {
			return nil, err
		}
		bares, groups = append(bares, d), k
	}
	median := func(ds []time.Duration) time.Duration {
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2]
	}
	for _, l := range strings.Split(strings.TrimSpace(last), "\n") {
		if strings.HasPrefix(l, "idle analysis") || strings.HasPrefix(l, "resources:") || strings.HasPrefix(l, "departments over") || strings.HasPrefix(l, "idle analyze:") {
			fmt.Println("  | " + l)
		}
	}
	a, b := median(analyses), median(bares)
	fmt.Printf("idle analyze %s (city, %d samples, one every %s, --interval %s): %.2f s median of %.2f/%.2f/%.2f, peak RSS %.0f MB\n",
		date, stored, spacing, interval, a.Seconds(), analyses[0].Seconds(), analyses[1].Seconds(), analyses[2].Seconds(), float64(rss)/1024)
	fmt.Printf("ClickHouse alone, bare p95 of cpu_util and mem_util per resource over the window (%d groups): %.2f s median; ratio analysis ÷ bare %.2f×\n",
		groups, b.Seconds(), a.Seconds()/b.Seconds())
	figs = append(figs, figure{Name: "idle analysis (reminders not included)", Value: a.Seconds(), Unit: "s", Reference: "bare p95 in ClickHouse", RefValue: b.Seconds(),
		Command: "cloudbill idle analyze --dry-run --date " + date.String() + " (median of 3)", Load: loadNow()})
	figs = append(figs, figure{Name: "idle analysis alone (goal: with reminders)", Value: a.Seconds(), Unit: "s", Bound: 10,
		Command: "cloudbill idle analyze --dry-run --date " + date.String() + " (median of 3)", Load: loadNow()})
	return figs, nil
}

// metricsOf is every resource of the orders with every metric the generator's vendors
// report for its item (compute and database: cpu_util and mem_util).
func metricsOf(cat catalog.Catalog, events []catalog.Event) []chbench.ResourceMetric {
	seen := map[chbench.ResourceMetric]bool{}
	var out []chbench.ResourceMetric
	last := cat.Versions[len(cat.Versions)-1]
	for _, e := range events {
		if e.ResourceID == "" {
			continue
		}
		it, ok := last.Items[e.Item]
		if !ok {
			continue
		}
		var ms []string
		switch {
		case it.Billing == catalog.Metered:
			ms = []string{it.MeterMetric}
		case it.Category == "compute" || it.Category == "database":
			ms = []string{"cpu_util", "mem_util"}
		case it.Category == "storage":
			ms = []string{"disk_used_gb"}
		}
		for _, mt := range ms {
			rm := chbench.ResourceMetric{Resource: string(e.ResourceID), Metric: mt}
			if !seen[rm] {
				seen[rm] = true
				out = append(out, rm)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Resource != out[j].Resource {
			return out[i].Resource < out[j].Resource
		}
		return out[i].Metric < out[j].Metric
	})
	return out
}
