package pull_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/promtest"
	"cloudbill/metering"
	"cloudbill/metering/pull"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// One Prometheus for the package: backfilled with two hours of known series from T0
// (OpenMetrics through promtool), and scraping a live exporter every second.
var (
	prom    *promtest.Server
	promErr error
	promDir string
)

// T0 is the start of the backfilled data: 2026-11-02 00:00 Asia/Shanghai.
var T0 = time.Date(2026, 11, 2, 0, 0, 0, 0, calendar.Shanghai())

const (
	windows    = 24 // 5-minute windows backfilled (2 hours)
	window     = 5 * time.Minute
	perWin     = 5 // samples per window, every 60 s at offset 30 s
	nResources = 3
)

func TestMain(m *testing.M) {
	promDir, promErr = os.MkdirTemp("", "cloudbill-promtest-")
	var exporter *httptest.Server
	if promErr == nil {
		exporter = httptest.NewServer(http.HandlerFunc(serveLive))
		om := filepath.Join(promDir, "backfill.om")
		if promErr = writeBackfill(om); promErr == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			prom, promErr = promtest.Start(ctx, promtest.Config{Dir: filepath.Join(promDir, "prom"), OpenMetrics: om,
				Targets: []string{exporter.Listener.Addr().String()}, ScrapeInterval: time.Second})
			cancel()
		}
	}
	chtest.Main(m, func() {
		if prom != nil {
			prom.Stop()
		}
		if exporter != nil {
			exporter.Close()
		}
		_ = os.RemoveAll(promDir)
	})
}

func needProm(t *testing.T) {
	t.Helper()
	require.NoError(t, promErr, "start prometheus")
}

// Hand-computed values of the backfilled series.

// cpuUtil: constant within a window: avg_over_time is exactly it.
func cpuUtil(i, k int) float64 { return float64((7*i+k)%50) + 0.25 }

// memUtil at sample j (minute j from T0).
func memUtil(i, j int) float64 { return float64((13*i + 17*j) % 97) }

// netSlope is the counter's bytes per second in window k.
func netSlope(i, k int) float64 { return float64(i * (1 + k%3)) }

func sampleTime(j int) time.Time { return T0.Add(time.Duration(30+60*j) * time.Second) }

func writeBackfill(file string) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	n := windows * perWin
	ts := func(j int) string { return fmt.Sprint(sampleTime(j).Unix()) }
	fmt.Fprintln(w, "# TYPE vm_cpu_util gauge")
	for i := 1; i <= nResources; i++ {
		for j := 0; j < n; j++ {
			fmt.Fprintf(w, "vm_cpu_util{instance_id=\"vm-%d\"} %g %s\n", i, cpuUtil(i, j/perWin), ts(j))
		}
	}
	fmt.Fprintln(w, "# TYPE vm_mem_util gauge")
	for i := 1; i <= nResources; i++ {
		for j := 0; j < n; j++ {
			fmt.Fprintf(w, "vm_mem_util{instance_id=\"vm-%d\"} %g %s\n", i, memUtil(i, j), ts(j))
		}
	}
	fmt.Fprintln(w, "# TYPE vm_net_bytes counter")
	for i := 1; i <= nResources; i++ {
		v := 1e6
		for j := 0; j < n; j++ {
			if j > 0 {
				v += 60 * netSlope(i, j/perWin)
			}
			fmt.Fprintf(w, "vm_net_bytes_total{instance_id=\"vm-%d\"} %g %s\n", i, v, ts(j))
		}
	}
	// bad_util: one good series, then NaN, +Inf, a series without the resource label and
	// two series of one resource (as a relabelling that dropped the zone would make)
	fmt.Fprintln(w, "# TYPE bad_util gauge")
	for _, s := range []struct{ labels, value string }{
		{`instance_id="vm-1"`, "5"}, {`instance_id="vm-2"`, "NaN"}, {`instance_id="vm-3"`, "+Inf"},
		{`host="h1"`, "1"}, {`instance_id="vm-4",zone="a"`, "2"}, {`instance_id="vm-4",zone="b"`, "3"},
	} {
		for j := 0; j < n; j++ {
			fmt.Fprintf(w, "bad_util{%s} %s %s\n", s.labels, s.value, ts(j))
		}
	}
	fmt.Fprintln(w, "# EOF")
	if err := w.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// The live exporter: live_util{instance_id="vm-i"} = 10·i + 0.5 and
// live_step{instance_id="vm-i"} = 1000·i + ⌊t/2⌋, each stamped at the current second
// + 0.5 s (never on a window boundary).
func serveLive(w http.ResponseWriter, r *http.Request) {
	now := time.Now().Unix()
	ms := now*1000 + 500
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintln(w, "# TYPE live_util gauge")
	for i := 1; i <= nResources; i++ {
		fmt.Fprintf(w, "live_util{instance_id=\"vm-%d\"} %g %d\n", i, float64(10*i)+0.5, ms)
	}
	fmt.Fprintln(w, "# TYPE live_step gauge")
	for i := 1; i <= nResources; i++ {
		fmt.Fprintf(w, "live_step{instance_id=\"vm-%d\"} %d %d\n", i, 1000*i+int(now/2), ms)
	}
}

const backfillConfig = `
vendor: V01
prometheus:
  url: %s
  timeout: 10s
start: 2026-11-02T00:00:00+08:00
mappings:
  - metric: cpu_util
    query: avg_over_time(vm_cpu_util[$window])
    resource_label: instance_id
    window: 5m
    lateness: 1m
  - metric: mem_util
    query: max_over_time(vm_mem_util[$window])
    resource_label: instance_id
    window: 5m
    lateness: 1m
  - metric: net_out_bytes
    query: increase(vm_net_bytes_total[$window])
    resource_label: instance_id
    window: 5m
    lateness: 1m
`

type env struct {
	store   *chstore.Store
	batcher *metering.Batcher
	cfg     pull.Config
	now     atomic.Pointer[time.Time]
}

func newEnv(t *testing.T, config string) *env {
	t.Helper()
	needProm(t)
	e := &env{store: chtest.New(t)}
	var err error
	e.cfg, err = pull.ParseConfig("v01.yaml", []byte(fmt.Sprintf(config, prom.URL())))
	require.NoError(t, err)
	e.batcher, err = metering.NewBatcher(metering.BatcherConfig{Sink: e.store, MaxDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = e.batcher.Close(context.Background()) })
	e.setNow(T0.Add(2*time.Hour + time.Minute))
	return e
}

func (e *env) setNow(t time.Time) { e.now.Store(&t) }

func (e *env) collector(t *testing.T, store pull.WindowStore, maxWin int) *pull.Collector {
	t.Helper()
	if store == nil {
		store = e.store
	}
	c, err := pull.New(pull.CollectorConfig{Config: e.cfg, Samples: e.batcher, Store: store, MaxWindowsPerQuery: maxWin,
		Now: func() time.Time { return *e.now.Load() }})
	require.NoError(t, err)
	require.NoError(t, c.SaveMappings(context.Background()))
	return c
}

// expected is the hand-computed sample of metric for resource i in window k.
func expected(metric string, i, k int) float64 {
	switch metric {
	case "cpu_util":
		return cpuUtil(i, k)
	case "mem_util":
		m := 0.0
		for j := k * perWin; j < (k+1)*perWin; j++ {
			m = math.Max(m, memUtil(i, j))
		}
		return m
	case "net_out_bytes":
		// samples at +30 s … +270 s: increase extrapolates 240 s of slope to 300 s
		return 300 * netSlope(i, k)
	}
	panic(metric)
}

// checkSamples asserts that the stored samples of the first n windows equal the
// hand-computed values, each identity once, and nothing else is stored.
func checkSamples(t *testing.T, e *env, n int) {
	t.Helper()
	ctx := context.Background()
	got, err := e.store.LatestSamples(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	var want []metering.Sample
	for i := 1; i <= nResources; i++ {
		for _, metric := range []string{"cpu_util", "mem_util", "net_out_bytes"} {
			for k := 0; k < n; k++ {
				want = append(want, metering.Sample{ResourceID: fmt.Sprintf("vm-%d", i), Metric: metric,
					TS: T0.Add(time.Duration(k) * window).UTC(), Value: expected(metric, i, k), Source: "V01"})
			}
		}
	}
	sort.Slice(want, func(a, b int) bool {
		if want[a].ResourceID != want[b].ResourceID {
			return want[a].ResourceID < want[b].ResourceID
		}
		if want[a].Metric != want[b].Metric {
			return want[a].Metric < want[b].Metric
		}
		return want[a].TS.Before(want[b].TS)
	})
	for i := range got {
		got[i].TS = got[i].TS.UTC()
	}
	assert.Equal(t, want, got)
}

// rawRows counts stored rows, duplicates included.
func rawRows(t *testing.T, e *env) uint64 {
	var n uint64
	require.NoError(t, chtest.Conn(t, e.store).QueryRow(context.Background(), "SELECT count() FROM usage_samples").Scan(&n))
	return n
}

func TestCollectWindowsEqualHandComputedValues(t *testing.T) {
	e := newEnv(t, backfillConfig)
	c := e.collector(t, nil, 0)
	rep, err := c.CatchUp(context.Background(), "catch-up")
	require.NoError(t, err)
	assert.Equal(t, pull.Report{Windows: 3 * windows, Collected: 3 * windows, Samples: 3 * windows * nResources}, rep)
	checkSamples(t, e, windows)
	assert.Equal(t, uint64(3*windows*nResources), rawRows(t, e), "each sample stored once")

	recs, err := e.store.WindowRecords(context.Background(), "V01", "cpu_util", T0, T0.Add(24*time.Hour))
	require.NoError(t, err)
	require.Len(t, recs, windows)
	assert.Equal(t, pull.Window{Vendor: "V01", Metric: "cpu_util", Start: T0.UTC(), End: T0.Add(window).UTC(), Status: pull.Collected,
		Series: 3, Samples: 3, Trigger: "catch-up", At: T0.Add(2*time.Hour + time.Minute).UTC()}, normal(recs[0]))

	// nothing new is due: a second pass asks nothing
	rep, err = c.CatchUp(context.Background(), "catch-up")
	require.NoError(t, err)
	assert.Equal(t, pull.Report{}, rep)

	// completeness of the month at that time: every due window collected
	sts, err := pull.Completeness(context.Background(), e.store, calendar.MustPeriod("2026-11"), T0.Add(2*time.Hour+time.Minute), "")
	require.NoError(t, err)
	require.Len(t, sts, 3)
	for _, s := range sts {
		assert.Equal(t, windows, s.Expected, s.Metric)
		assert.Equal(t, windows, s.Collected, s.Metric)
		assert.True(t, s.Complete())
	}
	// a day later with nothing collected meanwhile: the rest of the day is missing
	sts, err = pull.Completeness(context.Background(), e.store, calendar.MustPeriod("2026-11"), T0.Add(24*time.Hour+time.Minute), "V01")
	require.NoError(t, err)
	assert.Equal(t, 288, sts[0].Expected)
	assert.Equal(t, 288-windows, sts[0].Missing)
	require.Len(t, sts[0].MissingRanges, 1)
	assert.Equal(t, "2026-11-02 02:00 … 2026-11-03 00:00 (264 windows)", sts[0].MissingRanges[0].String())
	assert.Contains(t, pull.Incomplete(sts)[0], "vendor V01, metric cpu_util: 264 of 288 windows missing (0 failed)")
}

func normal(w pull.Window) pull.Window {
	w.Start, w.End, w.At = w.Start.UTC(), w.End.UTC(), w.At.UTC()
	return w
}

func TestPrometheusOutageFailsWindowsThenFillsThem(t *testing.T) {
	e := newEnv(t, backfillConfig)
	c := e.collector(t, nil, 4)
	ctx := context.Background()
	e.setNow(T0.Add(time.Hour + time.Minute))
	rep, err := c.CatchUp(ctx, "schedule")
	require.NoError(t, err)
	assert.Equal(t, 3*12, rep.Collected)

	prom.Stop()
	restarted := false
	defer func() {
		if !restarted {
			require.NoError(t, prom.Restart(context.Background()))
		}
	}()
	e.setNow(T0.Add(2*time.Hour + time.Minute))
	rep, err = c.CatchUp(ctx, "schedule")
	require.NoError(t, err)
	assert.Equal(t, pull.Report{Windows: 36, Failed: 36, Errors: rep.Errors}, rep)
	require.NotEmpty(t, rep.Errors)
	assert.Contains(t, rep.Errors[0], "connection refused")
	sts, err := pull.Completeness(ctx, e.store, calendar.MustPeriod("2026-11"), T0.Add(2*time.Hour+time.Minute), "V01")
	require.NoError(t, err)
	for _, s := range sts {
		assert.Equal(t, 12, s.Failed, s.Metric)
		assert.Equal(t, 12, s.Missing, s.Metric)
	}

	require.NoError(t, prom.Restart(ctx))
	restarted = true
	rep, err = c.CatchUp(ctx, "schedule")
	require.NoError(t, err)
	assert.Equal(t, pull.Report{Windows: 36, Collected: 36, Samples: 36 * nResources}, rep)
	checkSamples(t, e, windows)
	assert.Equal(t, uint64(3*windows*nResources), rawRows(t, e), "no sample stored twice")

	recs, err := e.store.WindowRecords(ctx, "V01", "net_out_bytes", T0, T0.Add(24*time.Hour))
	require.NoError(t, err)
	assert.Len(t, recs, windows+12, "12 windows failed once, then collected")
	assert.Equal(t, pull.Failed, recs[12].Status)
	assert.Equal(t, pull.Collected, recs[13].Status)
	sts, err = pull.Completeness(ctx, e.store, calendar.MustPeriod("2026-11"), T0.Add(2*time.Hour+time.Minute), "V01")
	require.NoError(t, err)
	for _, s := range sts {
		assert.True(t, s.Complete(), s.Metric)
	}
}

// killingStore cancels the collector's context once it has recorded n batches of windows:
// the collector is stopped between two queries, as a kill would.
type killingStore struct {
	*chstore.Store
	n      atomic.Int64
	cancel context.CancelFunc
}

func (k *killingStore) RecordWindows(ctx context.Context, ws []pull.Window) error {
	err := k.Store.RecordWindows(ctx, ws)
	if k.n.Add(-1) == 0 {
		k.cancel()
	}
	return err
}

func TestKilledCollectorResumesExactly(t *testing.T) {
	e := newEnv(t, backfillConfig)
	ctx, cancel := context.WithCancel(context.Background())
	ks := &killingStore{Store: e.store, cancel: cancel}
	ks.n.Store(5) // 3 chunks of cpu_util, then 2 of mem_util
	_, err := e.collector(t, ks, 8).CatchUp(ctx, "schedule")
	require.ErrorIs(t, err, context.Canceled)
	recorded := 0
	for _, m := range []string{"cpu_util", "mem_util", "net_out_bytes"} {
		recs, err := e.store.WindowRecords(context.Background(), "V01", m, T0, T0.Add(24*time.Hour))
		require.NoError(t, err)
		recorded += len(recs)
	}
	// stopped after 5 runs recorded (a sixth, already durable, may have been recorded too)
	assert.Contains(t, []int{40, 48}, recorded)

	rep, err := e.collector(t, nil, 8).CatchUp(context.Background(), "schedule")
	require.NoError(t, err)
	assert.Equal(t, 3*windows-recorded, rep.Windows, "the second run asks only what the first did not record")
	checkSamples(t, e, windows) // each identity once, at its value (a run queried but not
	// recorded when the collector stopped is asked again: its rows come twice, the same)
	assert.LessOrEqual(t, rawRows(t, e), uint64(3*windows*nResources+8*nResources))
	for _, m := range []string{"cpu_util", "mem_util", "net_out_bytes"} {
		recs, err := e.store.WindowRecords(context.Background(), "V01", m, T0, T0.Add(24*time.Hour))
		require.NoError(t, err)
		assert.Len(t, recs, windows, "%s: one record a window", m)
	}
}

func TestRecollectRecordsTheReason(t *testing.T) {
	e := newEnv(t, backfillConfig)
	ctx := context.Background()
	_, err := e.collector(t, nil, 0).CatchUp(ctx, "catch-up")
	require.NoError(t, err)
	c := e.collector(t, nil, 0)
	_, err = c.Recollect(ctx, T0, T0.Add(10*time.Minute), "")
	require.ErrorContains(t, err, "a reason is required")
	rep, err := c.Recollect(ctx, T0.Add(time.Minute), T0.Add(10*time.Minute), "vendor re-sent 00:00–00:10 after a scrape fault")
	require.NoError(t, err)
	assert.Equal(t, pull.Report{Windows: 3, Collected: 3, Samples: 3 * nResources, Duplicates: 3 * nResources}, rep,
		"[00:01, 00:10) holds one whole window start (00:05); Prometheus gives the same values: duplicates")
	recs, err := e.store.WindowRecords(ctx, "V01", "cpu_util", T0, T0.Add(10*time.Minute))
	require.NoError(t, err)
	require.Len(t, recs, 3)
	assert.Equal(t, "command", recs[2].Trigger)
	assert.Equal(t, "vendor re-sent 00:00–00:10 after a scrape fault", recs[2].Reason)
	checkSamples(t, e, windows)
}

const badConfig = `
vendor: V02
prometheus:
  url: %s
start: 2026-11-02T00:00:00+08:00
mappings:
  - metric: bad_util
    query: max_over_time(bad_util[$window])
    resource_label: instance_id
    window: 1h
    lateness: 1m
  - metric: broken
    query: max_over_time(bad_util[$window]) +* 1
    resource_label: instance_id
    window: 1h
`

func TestBadSeriesMakePartialWindows(t *testing.T) {
	e := newEnv(t, badConfig)
	ctx := context.Background()
	rep, err := e.collector(t, nil, 1).CatchUp(ctx, "catch-up")
	require.NoError(t, err)
	assert.Equal(t, 4, rep.Windows)
	assert.Equal(t, 2, rep.Partial)
	assert.Equal(t, 2, rep.Failed)
	recs, err := e.store.WindowRecords(ctx, "V02", "bad_util", T0, T0.Add(24*time.Hour))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	w := recs[0]
	assert.Equal(t, pull.Partial, w.Status)
	assert.Equal(t, 6, w.Series)
	assert.Equal(t, 1, w.Samples)
	for _, want := range []string{`resource vm-2: value NaN is not a finite number`, `resource vm-3: value +Inf is not a finite number`,
		`series {host="h1"} has no label instance_id`,
		`resource vm-4: several series after relabelling ({instance_id="vm-4", zone="a"}, {instance_id="vm-4", zone="b"}): none kept`} {
		assert.Contains(t, w.Error, want)
	}
	got, err := e.store.LatestSamples(ctx, chstore.SampleFilter{Metric: "bad_util"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, "vm-1", got[0].ResourceID)
	assert.Equal(t, 5.0, got[0].Value)

	recs, err = e.store.WindowRecords(ctx, "V02", "broken", T0, T0.Add(24*time.Hour))
	require.NoError(t, err)
	require.Len(t, recs, 2)
	assert.Equal(t, pull.Failed, recs[0].Status)
	assert.Contains(t, recs[0].Error, "bad_data")
	assert.Contains(t, recs[1].Error, "not asked after an earlier failure")
}

func TestPrometheusTimeoutAndErrorAnswers(t *testing.T) {
	store := chtest.New(t)
	b, err := metering.NewBatcher(metering.BatcherConfig{Sink: store})
	require.NoError(t, err)
	defer b.Close(context.Background())
	release := make(chan struct{})
	var hits atomic.Int64
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		switch hits.Add(1) {
		case 1: // hangs
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, "<html>gateway down</html>")
		default:
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"status":"error","errorType":"timeout","error":"query timed out in expression evaluation"}`)
		}
	}))
	defer func() { close(release); slow.Close() }()
	cfg, err := pull.ParseConfig("v03.yaml", []byte(fmt.Sprintf(`
vendor: V03
prometheus: {url: %s, timeout: 300ms}
start: 2026-11-02
mappings:
  - {metric: a, query: "avg_over_time(x[$window])", resource_label: id, window: 1h}
`, slow.URL)))
	require.NoError(t, err)
	now := T0.Add(time.Hour)
	c, err := pull.New(pull.CollectorConfig{Config: cfg, Samples: b, Store: store, Now: func() time.Time { return now }})
	require.NoError(t, err)
	for _, want := range []string{"timeout: no answer within 300ms", "prometheus answered 503 Service Unavailable", "timeout: query timed out in expression evaluation"} {
		rep, err := c.CatchUp(context.Background(), "schedule")
		require.NoError(t, err)
		assert.Equal(t, 1, rep.Failed)
		require.Len(t, rep.Errors, 1)
		assert.Contains(t, rep.Errors[0], want)
	}
}

func TestLiveScrapedWindows(t *testing.T) {
	needProm(t)
	// windows of 2 s from the first whole window after Prometheus has scraped the exporter
	require.Eventually(t, func() bool {
		resp, err := http.Get(prom.URL() + "/api/v1/query?query=live_util")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return strings.Contains(string(b), `"vm-1"`)
	}, 30*time.Second, 100*time.Millisecond)
	start := pull.AlignUp(time.Now().Add(time.Second), 2*time.Second)
	e := newEnv(t, `
vendor: V04
prometheus:
  url: %s
start: `+start.Format(time.RFC3339)+`
mappings:
  - metric: util
    query: avg_over_time(live_util[$window])
    resource_label: instance_id
    window: 2s
    lateness: 3s
  - metric: step
    query: max_over_time(live_step[$window])
    resource_label: instance_id
    window: 2s
    lateness: 3s
`)
	const n = 3
	until := start.Add(n*2*time.Second + 3*time.Second)
	time.Sleep(time.Until(until))
	e.setNow(until)
	rep, err := e.collector(t, nil, 0).CatchUp(context.Background(), "schedule")
	require.NoError(t, err)
	// every window collected; a scrape that a loaded machine delayed past a whole window
	// leaves that window without series (collected with 0), never with a wrong value
	assert.Equal(t, 2*n, rep.Windows)
	assert.Equal(t, 2*n, rep.Collected)
	assert.Equal(t, rep.Samples%nResources, 0, "each scraped window has every resource")
	assert.GreaterOrEqual(t, rep.Samples, 2*nResources, "at least one window of each metric")
	got, err := e.store.LatestSamples(context.Background(), chstore.SampleFilter{})
	require.NoError(t, err)
	require.Len(t, got, rep.Samples)
	for _, s := range got {
		var i int
		_, err := fmt.Sscanf(s.ResourceID, "vm-%d", &i)
		require.NoError(t, err)
		switch s.Metric {
		case "util":
			assert.Equal(t, float64(10*i)+0.5, s.Value, "%s %s", s.ResourceID, s.TS)
		case "step":
			assert.Equal(t, float64(1000*i+int(s.TS.Unix()/2)), s.Value, "%s %s: the window's own value, not the next one's", s.ResourceID, s.TS)
		}
	}
}

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown key", "vendor: V\nprometheus: {url: http://p:9090, timeot: 5s}\nstart: 2026-11-01\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}]\n",
			`c.yaml:2: prometheus.timeot: unknown key "timeot" (known here: auth, max_answer_mib, timeout, url)`},
		{"bad duration", "vendor: V\nprometheus: {url: http://p:9090}\nstart: 2026-11-01\nmappings:\n  - metric: a\n    query: avg_over_time(x[$window])\n    resource_label: id\n    window: 5 minutes\n",
			`c.yaml:8: mappings[0].window: "5 minutes": want a positive duration such as 30s, 5m, 1h or 1d`},
		{"window not dividing a day", "vendor: V\nprometheus: {url: http://p:9090}\nstart: 2026-11-01\nmappings:\n  - {metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 7m}\n",
			`c.yaml:5: mappings[0].window: 7m0s: a window must be whole seconds and divide a day`},
		{"bad URL", "vendor: V\nprometheus:\n  url: prom.example:9090\nstart: 2026-11-01\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}]\n",
			`c.yaml:3: prometheus.url: "prom.example:9090": want an http:// or https:// URL with a host`},
		{"instant query", "vendor: V\nprometheus: {url: http://p:9090}\nstart: 2026-11-01\nmappings: [{metric: a, query: 'x', resource_label: id, window: 5m}]\n",
			`c.yaml:4: mappings[0].query: the expression must range over [$window]`},
		{"missing label", "vendor: V\nprometheus: {url: http://p:9090}\nstart: 2026-11-01\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', window: 5m}]\n",
			`c.yaml:4: mappings[0].resource_label: is required`},
		{"bad auth", "vendor: V\nprometheus: {url: http://p:9090, auth: {type: digest}}\nstart: 2026-11-01\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}]\n",
			`c.yaml:2: prometheus.auth.type: "digest": want none, basic or bearer`},
		{"bearer without token", "vendor: V\nprometheus: {url: http://p:9090, auth: {type: bearer}}\nstart: 2026-11-01\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}]\n",
			`prometheus.auth: bearer authentication needs token`},
		{"no start", "vendor: V\nprometheus: {url: http://p:9090}\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}]\n",
			`c.yaml:1: start: is required`},
		{"bad start", "vendor: V\nprometheus: {url: http://p:9090}\nstart: yesterday\nmappings: [{metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}]\n",
			`c.yaml:3: start: "yesterday": want an RFC 3339 time`},
		{"metric twice", "vendor: V\nprometheus: {url: http://p:9090}\nstart: 2026-11-01\nmappings:\n  - {metric: a, query: 'avg_over_time(x[$window])', resource_label: id, window: 5m}\n  - {metric: a, query: 'avg_over_time(y[$window])', resource_label: id, window: 5m}\n",
			`c.yaml:6: mappings[1].metric: "a" is mapped twice (also line 5)`},
		{"not YAML", "vendor: [\n", `c.yaml: not a YAML document`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := pull.ParseConfig("c.yaml", []byte(c.yaml))
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	t.Run("complete example", func(t *testing.T) {
		dir := t.TempDir()
		tok := filepath.Join(dir, "token")
		require.NoError(t, os.WriteFile(tok, []byte("s3cret\n"), 0o600))
		cfg, err := pull.ParseConfig("c.yaml", []byte(`
vendor: V01
prometheus:
  url: https://prom.v01.example:9090/prometheus
  auth: {type: bearer, token_file: `+tok+`}
  timeout: 1m
start: 2026-11-01T00:00:00+08:00
retry: 2m
mappings:
  - {metric: cpu_util, query: 'avg_over_time(vm_cpu_util[$window])', resource_label: instance_id, window: 5m, lateness: 2m}
  - {metric: net_out_gb, query: 'increase(vm_net_bytes_total[$window]) / 1e9', resource_label: instance_id, window: 1d, lateness: 10m}
`))
		require.NoError(t, err)
		assert.Equal(t, "s3cret", cfg.Prometheus.Token)
		assert.Equal(t, "increase(vm_net_bytes_total[1d]) / 1e9", cfg.Mappings[1].Expr())
		assert.Equal(t, "avg_over_time(vm_cpu_util[5m])", cfg.Mappings[0].Expr())
		assert.Equal(t, 2*time.Minute, cfg.Retry)
	})
}

func TestWindowsAlignOnShanghaiMidnight(t *testing.T) {
	at := time.Date(2026, 11, 2, 13, 7, 30, 0, calendar.Shanghai())
	assert.Equal(t, time.Date(2026, 11, 2, 0, 0, 0, 0, calendar.Shanghai()).Unix(), pull.AlignDown(at, 24*time.Hour).Unix())
	assert.Equal(t, time.Date(2026, 11, 2, 13, 5, 0, 0, calendar.Shanghai()).Unix(), pull.AlignDown(at, 5*time.Minute).Unix())
	assert.Equal(t, time.Date(2026, 11, 2, 13, 10, 0, 0, calendar.Shanghai()).Unix(), pull.AlignUp(at, 5*time.Minute).Unix())
	aligned := time.Date(2026, 11, 2, 13, 10, 0, 0, calendar.Shanghai())
	assert.Equal(t, aligned.Unix(), pull.AlignUp(aligned, 5*time.Minute).Unix())
}

// TestRunsAskedOneAtATime: the next run is asked once the answer before it has come
// (so Prometheus never evaluates two queries of a pass at once), and read while the one
// before is stored. A run asked that way is read as any, even when the answer before it
// turns out unreadable; runs of a failed mapping not yet asked are not asked; and after
// an answer that failed at its head (a 503) the next run of its mapping is not asked.
func TestRunsAskedOneAtATime(t *testing.T) {
	store := chtest.New(t)
	b, err := metering.NewBatcher(metering.BatcherConfig{Sink: store})
	require.NoError(t, err)
	defer b.Close(context.Background())
	var mu sync.Mutex
	evaluating, overlaps := 0, 0
	asked := map[string]int{} // "query start" → times asked
	hour := int64(3600)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.NoError(t, r.ParseForm())
		q, start := r.Form.Get("query"), r.Form.Get("start")
		var end int64
		fmt.Sscan(start, &end)
		k := (end - T0.Unix()) / hour // the window's index + 1
		mu.Lock()
		if evaluating > 0 {
			overlaps++
		}
		evaluating++
		name := "a"
		if strings.Contains(q, "b[") {
			name = "b"
		}
		asked[fmt.Sprintf("%s %d", name, k)]++
		mu.Unlock()
		answer := func(status int, body string) {
			mu.Lock()
			evaluating-- // the head is about to go: the query is evaluated
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}
		ok := fmt.Sprintf(`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"id":"r1"},"values":[[%d,"1.5"]]}]}}`, end)
		switch {
		case name == "a" && k == 2:
			answer(200, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"id":"r1"},"values":[[`)
		case name == "b" && k == 1:
			answer(503, "<html>overloaded</html>")
		default:
			answer(200, ok)
		}
	}))
	defer srv.Close()
	cfg, err := pull.ParseConfig("v05.yaml", []byte(fmt.Sprintf(`
vendor: V05
prometheus: {url: %s, timeout: 1m}
start: 2026-11-02T00:00:00+08:00
mappings:
  - {metric: ma, query: "avg_over_time(a[$window])", resource_label: id, window: 1h}
  - {metric: mb, query: "avg_over_time(b[$window])", resource_label: id, window: 1h}
`, srv.URL)))
	require.NoError(t, err)
	now := T0.Add(4 * time.Hour)
	c, err := pull.New(pull.CollectorConfig{Config: cfg, Samples: b, Store: store, MaxWindowsPerQuery: 1, Now: func() time.Time { return now }})
	require.NoError(t, err)
	rep, err := c.CatchUp(context.Background(), "catch-up")
	require.NoError(t, err)
	assert.Equal(t, 0, overlaps, "two queries evaluated at once")
	assert.Equal(t, map[string]int{"a 1": 1, "a 2": 1, "a 3": 1, "b 1": 1}, asked)
	assert.Equal(t, 8, rep.Windows)
	assert.Equal(t, 2, rep.Collected)
	assert.Equal(t, 6, rep.Failed)

	status := func(metric string) []string {
		recs, err := store.WindowRecords(context.Background(), "V05", metric, T0, T0.Add(24*time.Hour))
		require.NoError(t, err)
		var out []string
		for _, w := range recs {
			out = append(out, fmt.Sprintf("%s %s %s", w.Start.In(calendar.Shanghai()).Format("15:04"), w.Status, w.Error))
		}
		return out
	}
	a := status("ma")
	require.Len(t, a, 4)
	assert.Equal(t, "00:00 collected ", a[0])
	assert.Contains(t, a[1], "01:00 failed prometheus answer unreadable: ")
	assert.Contains(t, a[1], "unexpected end of JSON input")
	assert.Equal(t, "02:00 collected ", a[2], "asked before the answer before it was read: read as any")
	assert.Contains(t, a[3], "03:00 failed not asked after an earlier failure in this pass: prometheus answer unreadable")
	mb := status("mb")
	require.Len(t, mb, 4)
	assert.Equal(t, "00:00 failed prometheus answered 503 Service Unavailable", mb[0])
	for _, s := range mb[1:] {
		assert.Contains(t, s, "failed not asked after an earlier failure in this pass: prometheus answered 503")
	}
	got, err := store.LatestSamples(context.Background(), chstore.SampleFilter{Metric: "ma"})
	require.NoError(t, err)
	require.Len(t, got, 2)
	assert.Equal(t, 1.5, got[1].Value)
	assert.Equal(t, T0.Add(2*time.Hour).Unix(), got[1].TS.Unix())
}
