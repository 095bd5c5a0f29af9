package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/metering"
	"cloudbill/metering/pull"
	"cloudbill/schedule"
	"cloudbill/schedule/jobrun"
	"cloudbill/sql"
)

func collectCommand() *command {
	return &command{
		Name:  "collect",
		Usage: "--config FILE [--config FILE …] [--from T --to T --reason TEXT] | status --period YYYY-MM",
		Short: "pull usage windows from vendors' Prometheus; collect status: completeness of a month",
		Long:  collectExplain,
		Flags: func(fs *flagSet) runFunc {
			var p collectParams
			fs.Var(&p.Configs, "config", "collector configuration `file` (YAML; repeat for several vendors)")
			fs.StringVar(&p.From, "from", "", "re-collect windows starting at or after this `time` (RFC 3339, or YYYY-MM-DD)")
			fs.StringVar(&p.To, "to", "", "… and before this `time`")
			fs.StringVar(&p.Reason, "reason", "", "why a range is re-collected (required with --from/--to; recorded)")
			fs.Require("config")
			return func(ctx context.Context, a *app, _ []string) error { return runCollect(ctx, a, p) }
		},
		Subs: []*command{{
			Name:  "status",
			Usage: "--period YYYY-MM [--vendor ID] [--format table|json]",
			Short: "the completeness of a month's collector windows",
			Long: `
Shows, per vendor and metric of the stored collector configurations, the windows of the
month expected so far (due: ended at least the lateness ago, from the configuration's
start) and collected, partial, failed and missing, with the missing ranges.
Exit status 3 when some windows are missing.`,
			Flags: func(fs *flagSet) runFunc {
				period := fs.Period("period", "the month")
				vendor := fs.String("vendor", "", "only this vendor `ID`")
				format := fs.Format("table", "json")
				fs.Require("period")
				return func(ctx context.Context, a *app, _ []string) error {
					return collectStatus(ctx, a, period.Get(), *vendor, *format)
				}
			},
		}},
	}
}

// collectParams is one collect run, from the command line.
type collectParams struct {
	Configs  repeated
	From, To string
	Reason   string
}

const collectExplain = `
Collects usage samples from vendors' Prometheus servers, window by window, as the
collector configuration files say (one YAML file per vendor; docs/collectors.md):

  cloudbill collect --config V01.yaml [--config V02.yaml …]
      collects every due window not collected yet: from the configuration's start on the
      first run, then what is new and the gaps (windows that failed, windows missed while
      nothing ran). A window [S, E) is due once E + lateness has passed; its sample is the
      mapping's range expression over exactly the window, evaluated at E, with ts = S.

  cloudbill collect --config V01.yaml --from T --to T --reason TEXT
      re-collects every window starting in [from, to), collected before or not; the
      reason is recorded with each window. Values Prometheus still gives unchanged are
      duplicates (no figure changes); changed ones are corrections.

  cloudbill collect status --period YYYY-MM [--vendor ID] [--format table|json]
      the completeness of a month: windows expected (due so far) and collected, per
      vendor and metric, with the missing ranges. Exit status 3 when windows are missing.

Every window tried is recorded in ClickHouse (collect_windows): collected, partial (series
dropped: NaN, ±Inf, no resource label, two series for one resource; named in the record)
or failed (with the error). 'cloudbill serve --collect-config F' runs the same pulls on
their schedule. 'rate' warns and 'close' refuses (unless --allow-incomplete) while a month
has missing windows.
Exit status: 0 every window collected, 2 bad configuration or usage, 1 some windows failed.`

// repeated is a flag given any number of times.
type repeated []string

func (r *repeated) String() string     { return strings.Join(*r, ",") }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

var _ flag.Value = (*repeated)(nil)

// readCollectConfigs reads collector configuration files; a bad one is a usage error
// naming file, line and field.
func readCollectConfigs(files []string) ([]pull.Config, error) {
	var out []pull.Config
	seen := map[string]string{}
	for _, f := range files {
		cfg, err := pull.ReadConfig(f)
		if err != nil {
			var ce pull.ConfigErrors
			if errors.As(err, &ce) {
				return nil, usagef("collector configuration:\n%v", err)
			}
			return nil, usagef("collector configuration %s: %v", f, err)
		}
		if prev, ok := seen[cfg.Vendor]; ok {
			return nil, usagef("collector configuration %s: vendor %s is already configured by %s", f, cfg.Vendor, prev)
		}
		seen[cfg.Vendor] = f
		out = append(out, cfg)
	}
	return out, nil
}

func runCollect(ctx context.Context, a *app, p collectParams) error {
	var lo, hi time.Time
	if p.From != "" || p.To != "" || p.Reason != "" {
		var err error
		if lo, err = parseTime(p.From); err != nil {
			return usagef("collect: --from: %v", err)
		}
		if hi, err = parseTime(p.To); err != nil {
			return usagef("collect: --to: %v", err)
		}
		if !lo.Before(hi) {
			return usagef("collect: --from must be before --to")
		}
		if strings.TrimSpace(p.Reason) == "" {
			return usagef("collect: --reason is required to re-collect a range (it is recorded)")
		}
	}
	cfgs, err := readCollectConfigs(p.Configs)
	if err != nil {
		return err
	}
	store, err := a.Store(ctx)
	if err != nil {
		return err
	}
	b, err := a.collectBatcher(store)
	if err != nil {
		return err
	}
	defer b.Close(context.Background())
	var failed int
	for _, cfg := range cfgs {
		c, err := pull.New(pull.CollectorConfig{Config: cfg, Samples: b, Store: store, Now: a.now,
			Logf: func(f string, args ...any) { fmt.Fprintf(a.stderr, "collect: "+f+"\n", args...) }})
		if err != nil {
			return err
		}
		if err := c.SaveMappings(ctx); err != nil {
			return err
		}
		var rep pull.Report
		if lo.IsZero() {
			rep, err = c.CatchUp(ctx, "catch-up")
		} else {
			rep, err = c.Recollect(ctx, lo, hi, p.Reason)
		}
		fmt.Fprintf(a.stdout, "%s (%s): %s\n", cfg.Vendor, cfg.File, rep)
		for _, e := range rep.Errors {
			fmt.Fprintf(a.stdout, "  failed: %s\n", e)
		}
		if err != nil {
			return err
		}
		failed += rep.Failed
	}
	if err := b.Close(ctx); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d windows failed (recorded; they are tried again on the next run)", failed)
	}
	return nil
}

// collectBatcher is the batcher collected samples go through (the one ingest path,
// with the spool of the data directory).
func (a *app) collectBatcher(store *chstore.Store) (*metering.Batcher, error) {
	spool, err := metering.OpenSpool(filepath.Join(a.dataDir, "spool"))
	if err != nil {
		return nil, err
	}
	return metering.NewBatcher(metering.BatcherConfig{Sink: store, Spool: spool, MaxDelay: 100 * time.Millisecond,
		Logf: func(f string, args ...any) { fmt.Fprintf(a.stderr, "collect: "+f+"\n", args...) }})
}

// parseTime reads RFC 3339, a local time without offset (Asia/Shanghai) or a date.
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02T15:04:05", s, calendar.Shanghai()); err == nil {
		return t, nil
	}
	if d, err := calendar.ParseDate(s); err == nil {
		return d.Start(), nil
	}
	return time.Time{}, fmt.Errorf("%q: want an RFC 3339 time (2026-11-03T10:00:00+08:00) or a date", s)
}

func collectStatus(ctx context.Context, a *app, p calendar.Period, vendor, format string) error {
	store, err := a.Store(ctx)
	if err != nil {
		return err
	}
	sts, err := pull.Completeness(ctx, store, p, a.now(), vendor)
	if err != nil {
		return err
	}
	missing := pull.Missing(sts)
	if format == "json" {
		type rng struct {
			From    time.Time `json:"from"`
			To      time.Time `json:"to"`
			Windows int       `json:"windows"`
		}
		type row struct {
			Vendor    string `json:"vendor"`
			Metric    string `json:"metric"`
			Window    string `json:"window"`
			Expected  int    `json:"expected"`
			Collected int    `json:"collected"`
			Partial   int    `json:"partial"`
			Failed    int    `json:"failed"`
			Missing   int    `json:"missing"`
			Ranges    []rng  `json:"missing_ranges"`
		}
		rows := []row{}
		for _, s := range sts {
			r := row{Vendor: s.Vendor, Metric: s.Metric, Window: s.Window.String(), Expected: s.Expected, Collected: s.Collected,
				Partial: s.Partial, Failed: s.Failed, Missing: s.Missing, Ranges: []rng{}}
			for _, m := range s.MissingRanges {
				r.Ranges = append(r.Ranges, rng{m.From.In(calendar.Shanghai()), m.To.In(calendar.Shanghai()), m.Windows})
			}
			rows = append(rows, r)
		}
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"period": p.String(), "mappings": rows}); err != nil {
			return err
		}
	} else {
		tw := tabwriter.NewWriter(a.stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "vendor\tmetric\twindow\texpected\tcollected\tpartial\tfailed\tmissing\tmissing ranges")
		for _, s := range sts {
			var rs []string
			for i, r := range s.MissingRanges {
				if i == 5 {
					rs = append(rs, fmt.Sprintf("… %d ranges", len(s.MissingRanges)))
					break
				}
				rs = append(rs, r.String())
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%s\n", s.Vendor, s.Metric, s.Window, s.Expected, s.Collected, s.Partial, s.Failed, s.Missing, strings.Join(rs, "; "))
		}
		tw.Flush()
		if len(sts) == 0 {
			fmt.Fprintln(a.stdout, "no collector configuration stored (cloudbill collect --config F, or serve --collect-config F)")
		}
	}
	if missing > 0 {
		return &exitError{3, fmt.Errorf("%s: %d windows missing", p, missing)}
	}
	return nil
}

// collectorJobs are the pulls of the configurations inside serve, jobs of its one
// scheduler with times of their own: each vendor's pass runs at start (catching up what
// was missed while serve was down), then as its windows become due, and its failed
// windows again after the configuration's retry delay; the passes of all vendors run one
// at a time (group "collect"). Each pass that asked something is a job run (job
// "collect:<vendor>").
func collectorJobs(ctx context.Context, a *app, store *chstore.Store, samples pull.SampleAdder, cfgs []pull.Config, logf func(string, ...any)) ([]schedule.Job, error) {
	var jobs []schedule.Job
	for _, cfg := range cfgs {
		c, err := pull.New(pull.CollectorConfig{Config: cfg, Samples: samples, Store: store, Now: a.now, Logf: logf})
		if err != nil {
			return nil, err
		}
		if err := c.SaveMappings(ctx); err != nil {
			return nil, err
		}
		var retry time.Time // after a failed pass: when its windows are tried again
		jobs = append(jobs, schedule.Job{
			Name: "collect:" + c.Vendor(), Group: "collect",
			Run: func(ctx context.Context, trigger string) (calendar.Period, string, error) {
				started := a.now()
				rep, err := c.CatchUp(ctx, trigger)
				retry = time.Time{}
				if rep.Failed > 0 || err != nil {
					retry = a.now().Add(cfg.Retry)
				}
				if ctx.Err() != nil || rep.Windows == 0 && err == nil {
					return calendar.Period{}, "", schedule.NothingDone
				}
				logf("collect %s: %s", c.Vendor(), rep)
				if err == nil && rep.Failed > 0 {
					err = errors.New(strings.Join(rep.Errors, "; "))
				}
				return calendar.LocalDate(started).Period(), collectDetail(rep), err
			},
			Next: func(now time.Time) time.Time {
				next := c.NextDue(now)
				if !retry.IsZero() && retry.Before(next) {
					next = retry
				}
				return next
			},
		})
	}
	return jobs, nil
}

// collectDetail is a collector pass's job run detail (data, jobrun.DetailCollect).
func collectDetail(r pull.Report) string {
	n := strconv.Itoa
	return jobrun.Detail(jobrun.DetailCollect, "windows", n(r.Windows), "collected", n(r.Collected), "partial", n(r.Partial),
		"failed", n(r.Failed), "samples", n(r.Samples), "duplicates", n(r.Duplicates))
}
