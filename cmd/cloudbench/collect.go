package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"cloudbill/internal/calendar"
	"cloudbill/internal/chserver"
	"cloudbill/internal/promtest"
	"cloudbill/metering"
	"cloudbill/metering/pull"
	chstore "cloudbill/sql"
)

// benchCollect measures the pull of one district day from a real Prometheus: N = 2,000
// resources (CLOUDBENCH_COLLECT_RESOURCES) × 4 metrics, one day of 5-minute windows
// (288 per series: 2,304,000 samples), backfilled into Prometheus with promtool (a
// sample every 150 s, two per window). The collector's whole pass (range queries, JSON
// decoding, the window arithmetic, the samples stored in ClickHouse through the batcher,
// the windows recorded) is timed against `curl` making the same PromQL range queries
// and discarding the answers. CLOUDBENCH_ROUNDS rounds (default 3): first the queries
// (curl and the pull with samples discarded, in turns, after a round not counted), then
// the whole pass and clickhouse-client's insert (in turns, each into a fresh database);
// the ratios are of the medians.
func benchCollect(ctx context.Context) ([]figure, error) {
	var figs []figure
	resources := envInt("CLOUDBENCH_COLLECT_RESOURCES", 2000)
	rounds := envInt("CLOUDBENCH_ROUNDS", 3)
	if _, err := exec.LookPath("curl"); err != nil {
		return nil, fmt.Errorf("curl is needed for the baseline: %w", err)
	}
	tmp, err := os.MkdirTemp("", "cloudbench-collect-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	day := time.Date(2026, 11, 2, 0, 0, 0, 0, calendar.Shanghai())
	om := filepath.Join(tmp, "day.om")
	start := time.Now()
	if err := writeDistrictDay(om, day, resources); err != nil {
		return nil, err
	}
	prom, err := promtest.Start(ctx, promtest.Config{Dir: filepath.Join(tmp, "prom"), OpenMetrics: om})
	if err != nil {
		return nil, err
	}
	defer prom.Stop()
	_ = os.Remove(om)
	fmt.Printf("prometheus 2.42 on %s: %d resources × 4 metrics, one day backfilled in %s\n", prom.Addr, resources, time.Since(start).Round(time.Second))
	srv, err := chserver.Start(ctx, chserver.Config{Dir: filepath.Join(tmp, "clickhouse"), KillWithParent: true})
	if err != nil {
		return nil, err
	}
	defer srv.Stop()

	cfg, err := pull.ParseConfig("bench.yaml", []byte(fmt.Sprintf(`
vendor: V01
prometheus: {url: %s, timeout: 5m}
start: 2026-11-02T00:00:00+08:00
mappings:
  - {metric: cpu_util, query: "avg_over_time(vm_cpu_util[$window])", resource_label: instance_id, window: 5m}
  - {metric: mem_util, query: "max_over_time(vm_mem_util[$window])", resource_label: instance_id, window: 5m}
  - {metric: disk_used_gb, query: "avg_over_time(vm_disk_used_gb[$window])", resource_label: instance_id, window: 5m}
  - {metric: net_out_bytes, query: "increase(vm_net_bytes_total[$window])", resource_label: instance_id, window: 5m}
`, prom.URL())))
	if err != nil {
		return nil, err
	}
	end := day.Add(24 * time.Hour)
	// the samples the pull stores, as TSV for clickhouse-client: the insert half of the
	// whole pass's reference (curl's queries + clickhouse-client's insert)
	client, err := exec.LookPath("clickhouse-client")
	if err != nil {
		return nil, fmt.Errorf("clickhouse-client is needed for the reference: %w", err)
	}
	tsv := filepath.Join(tmp, "day.tsv")
	if err := writePulledTSV(tsv, day, resources); err != nil {
		return nil, err
	}
	// The queries first, with ClickHouse idle: curl and the pull with samples discarded
	// back to back in each round, in turns (curl first in odd rounds, the pull first in
	// even ones), after one round of both not counted (Prometheus' chunks and the page
	// cache warm for both alike). Both ask the same 4 queries (the same form: query,
	// start, end, step, timeout), with no Accept-Encoding (curl asks none without
	// --compressed; the pull asks identity), and Prometheus evaluates one at a time for
	// both.
	if _, _, err := curlDay(ctx, prom.URL(), cfg, day, end); err != nil {
		return nil, err
	}
	if _, _, err := pullNowhere(ctx, cfg, end); err != nil {
		return nil, err
	}
	var curlT, curlCPU, queryT, queryCPU, ratios []float64
	for r := 0; r < rounds; r++ {
		var c, cc, q, qc float64
		var err error
		curl := func() error { c, cc, err = curlDay(ctx, prom.URL(), cfg, day, end); return err }
		pull := func() error { q, qc, err = pullNowhere(ctx, cfg, end); return err }
		first, second := curl, pull
		if r%2 == 1 {
			first, second = pull, curl
		}
		if err := first(); err != nil {
			return nil, err
		}
		if err := second(); err != nil {
			return nil, err
		}
		fmt.Printf("round %d: curl, the 4 range queries %.2f s (client CPU %.2f s) | the pull's queries and decoding, samples discarded %.2f s (client CPU %.2f s) | ratio %.2f\n",
			r+1, c, cc, q, qc, q/c)
		curlT, curlCPU = append(curlT, c), append(curlCPU, cc)
		queryT, queryCPU = append(queryT, q), append(queryCPU, qc)
		ratios = append(ratios, q/c)
	}
	mc, mq := median(curlT), median(queryT)
	fmt.Printf("median of %d rounds: curl %.2f s, the pull's queries and decoding %.2f s; ratio %.2f (median of the rounds' ratios %.2f); client CPU: curl %.2f s, pull %.2f s\n",
		rounds, mc, mq, mq/mc, median(ratios), median(curlCPU), median(queryCPU))

	// The whole pass against clickhouse-client's insert of the same samples, each into a
	// fresh database once the server merges nothing, in turns as above.
	var pullT, pullCPU, insertT []float64
	for r := 0; r < rounds; r++ {
		var ins, p, pc float64
		var samples int
		var err error
		insert := func() error {
			ins, err = clientInsert(ctx, client, srv, fmt.Sprintf("collect_ref_%d", r), tsv, resources*4*288)
			return err
		}
		whole := func() error {
			cpu0 := selfCPU()
			p, samples, err = pullDay(ctx, srv, cfg, end, r)
			pc = selfCPU() - cpu0
			return err
		}
		first, second := insert, whole
		if r%2 == 1 {
			first, second = whole, insert
		}
		if err := first(); err != nil {
			return nil, err
		}
		if err := second(); err != nil {
			return nil, err
		}
		if want := resources * 4 * 288; samples != want {
			return nil, fmt.Errorf("pulled %d samples, want %d", samples, want)
		}
		fmt.Printf("round %d: clickhouse-client INSERT of the samples %.2f s | cloudbill collect, 1,152 windows in 4 range queries, %d samples stored %.2f s (client CPU %.2f s)\n", r+1, ins, samples, p, pc)
		insertT, pullT, pullCPU = append(insertT, ins), append(pullT, p), append(pullCPU, pc)
	}
	mp, mi := median(pullT), median(insertT)
	fmt.Printf("median of %d rounds: the whole pass %.2f s (%.0f samples/s, client CPU %.2f s); curl + clickhouse-client's insert of the same samples: %.2f s + %.2f s; ratio %.2f\n",
		rounds, mp, float64(resources*4*288)/mp, median(pullCPU), mc, mi, mp/(mc+mi))
	load := loadNow()
	med := fmt.Sprintf(" (median of %d rounds)", rounds)
	figs = append(figs,
		figure{Name: "Prometheus pull, queries and decoding", Value: mq, Unit: "s", Reference: "curl, the same range queries", RefValue: mc,
			Bound: 1.2, Command: "cloudbench collect: the pull with samples discarded" + med, Load: load},
		figure{Name: "Prometheus pull, whole pass", Value: mp, Unit: "s", Reference: "curl + clickhouse-client INSERT of the samples", RefValue: mc + mi,
			Bound: 1.0, Command: "cloudbill collect, one day" + med, Load: load})
	return figs, nil
}

// writeDistrictDay writes the OpenMetrics text of one day of the four series of each
// resource, a sample every 150 s at offsets 75 s and 225 s of each 5-minute window.
func writeDistrictDay(file string, day time.Time, resources int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	const step, n = 150, 576
	var b []byte
	series := func(typ, family, name string, value func(r, j int) float64) {
		fmt.Fprintf(w, "# TYPE %s %s\n", family, typ)
		for r := 0; r < resources; r++ {
			for j := 0; j < n; j++ {
				ts := day.Unix() + 75 + int64(j)*step
				b = fmt.Appendf(b[:0], "%s{instance_id=\"vm-%05d\"} %s %d\n", name, r, strconv.FormatFloat(value(r, j), 'f', -1, 64), ts)
				w.Write(b)
			}
		}
	}
	series("gauge", "vm_cpu_util", "vm_cpu_util", func(r, j int) float64 { return float64((r*7+j*13)%100) + 0.5 })
	series("gauge", "vm_mem_util", "vm_mem_util", func(r, j int) float64 { return float64((r*11+j*3)%100) + 0.25 })
	series("gauge", "vm_disk_used_gb", "vm_disk_used_gb", func(r, j int) float64 { return float64(100 + r%400 + j/100) })
	series("counter", "vm_net_bytes", "vm_net_bytes_total", func(r, j int) float64 { return float64(1e6 + (r%50+1)*step*j) })
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// selfCPU is the CPU time (user + system) this process used so far, in seconds.
func selfCPU() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// curlDay makes the collector's range queries with curl and returns the time taken and
// curl's CPU time.
func curlDay(ctx context.Context, base string, cfg pull.Config, from, to time.Time) (float64, float64, error) {
	start := time.Now()
	var cpu time.Duration
	for _, m := range cfg.Mappings {
		args := []string{"-sS", "-f", "-o", "/dev/null", base + "/api/v1/query_range",
			"--data-urlencode", "query=" + m.Expr(),
			"-d", "start=" + strconv.FormatInt(from.Add(m.Window).Unix(), 10),
			"-d", "end=" + strconv.FormatInt(to.Unix(), 10),
			"-d", "step=" + strconv.Itoa(int(m.Window/time.Second)),
			"-d", "timeout=300s"}
		cmd := exec.CommandContext(ctx, "curl", args...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("curl %s: %v: %s", url.QueryEscape(m.Expr()), err, out)
		}
		cpu += cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	}
	return time.Since(start).Seconds(), cpu.Seconds(), nil
}

// pullDay collects the day into a fresh database (dropped after) and returns the time
// and the samples stored.
func pullDay(ctx context.Context, srv *chserver.Server, cfg pull.Config, now time.Time, round int) (float64, int, error) {
	store, err := chstore.Open(ctx, chstore.Config{Addr: srv.Addr, User: srv.User, Password: srv.Password, Database: fmt.Sprintf("collect_%d", round)})
	if err != nil {
		return 0, 0, err
	}
	defer store.Close()
	defer store.DropDatabase(context.Background(), fmt.Sprintf("collect_%d", round))
	quiesce(ctx, store) // as the reference insert: no merges of the round before
	b, err := metering.NewBatcher(metering.BatcherConfig{Sink: store, MaxDelay: 100 * time.Millisecond})
	if err != nil {
		return 0, 0, err
	}
	c, err := pull.New(pull.CollectorConfig{Config: cfg, Samples: b, Store: store, Now: func() time.Time { return now }})
	if err != nil {
		return 0, 0, err
	}
	if f := os.Getenv("CLOUDBENCH_CPUPROFILE"); f != "" {
		pf, err := os.Create(f)
		if err == nil && pprof.StartCPUProfile(pf) == nil {
			defer func() { pprof.StopCPUProfile(); pf.Close() }()
		}
	}
	start := time.Now()
	rep, err := c.CatchUp(ctx, "catch-up")
	if err == nil {
		err = b.Close(ctx)
	}
	secs := time.Since(start).Seconds()
	if err != nil {
		return 0, 0, err
	}
	if rep.Failed > 0 {
		return 0, 0, fmt.Errorf("%d windows failed: %v", rep.Failed, rep.Errors)
	}
	return secs, rep.Samples, nil
}

// nowhere takes samples and window records and keeps nothing: the pull's queries and
// decoding measured alone.
type nowhere struct{}

func (nowhere) Add(context.Context, *metering.Batch) (*metering.Ticket, error) {
	return &metering.Ticket{}, nil
}
func (nowhere) SaveMappings(context.Context, []pull.MappingRecord) error { return nil }
func (nowhere) WindowStates(context.Context, string, string, time.Time, time.Time) (map[int64]pull.Status, error) {
	return map[int64]pull.Status{}, nil
}
func (nowhere) RecordWindows(context.Context, []pull.Window) error { return nil }

// pullNowhere runs the pull's queries and decoding, keeping nothing; it returns the time
// and the client CPU.
func pullNowhere(ctx context.Context, cfg pull.Config, now time.Time) (float64, float64, error) {
	c, err := pull.New(pull.CollectorConfig{Config: cfg, Samples: nowhere{}, Store: nowhere{}, Now: func() time.Time { return now }})
	if err != nil {
		return 0, 0, err
	}
	cpu0 := selfCPU()
	start := time.Now()
	rep, err := c.CatchUp(ctx, "catch-up")
	if err == nil && rep.Failed > 0 {
		err = fmt.Errorf("%d windows failed: %v", rep.Failed, rep.Errors)
	}
	return time.Since(start).Seconds(), selfCPU() - cpu0, err
}

// writePulledTSV writes the samples a pull of the district day stores (2,000 resources ×
// 4 metrics × 288 windows), in the columns of usage_samples, as clickhouse-client's
// reference insert reads them.
func writePulledTSV(file string, day time.Time, resources int) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	now := time.Now().Unix()
	var b []byte
	n := 0
	for _, metric := range []string{"cpu_util", "mem_util", "disk_used_gb", "net_out_bytes"} {
		for r := 0; r < resources; r++ {
			for j := 0; j < 288; j++ {
				n++
				b = fmt.Appendf(b[:0], "vm-%05d\t%s\t%d\t%s\tV01\t%d\t%d\n", r, metric, day.Unix()+int64(j)*300,
					strconv.FormatFloat(float64((r*7+j*13)%100)+0.5, 'f', -1, 64), now, n)
				w.Write(b)
			}
		}
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// clientInsert inserts the TSV file with clickhouse-client into a fresh database db of
// srv (its tables made by cloudbill's migrations), checks want samples arrived, drops it
// and returns the insert's time.
func clientInsert(ctx context.Context, client string, srv *chserver.Server, db, tsv string, want int) (float64, error) {
	host, port, _ := net.SplitHostPort(srv.Addr)
	return measure(ctx, srv.User+":"+srv.Password+"@"+srv.Addr, db, want, func(db string) (float64, error) {
		in, err := os.Open(tsv)
		if err != nil {
			return 0, err
		}
		defer in.Close()
		cmd := exec.CommandContext(ctx, client, "--host", host, "--port", port, "--password", srv.Password, "--database", db,
			"--query", "INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version) FORMAT TSV")
		cmd.Stdin, cmd.Stderr = in, os.Stderr
		return 0, cmd.Run()
	})
}
