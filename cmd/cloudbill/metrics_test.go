package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/promtest"
)

// A real Prometheus scrapes serve's /metrics; the PromQL sums of the ingest counters are
// the lines that were sent (accepted, duplicate, rejected), and every cloudbill series
// scraped is documented in docs/metrics.md.
func TestMetricsScrapedByPrometheus(t *testing.T) {
	if testing.Short() {
		t.Skip("starts ClickHouse and Prometheus")
	}
	if _, err := promtest.Binary(); err != nil {
		t.Skip(err)
	}
	t.Setenv("CLOUDBILL_METRICS_TOKEN", "")
	dsn, _ := freshDB(t, meteringServer(t))
	listen, mlisten := freeAddr(t), freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncWriter
	stdout.w, stderr.w = &bytes.Buffer{}, &bytes.Buffer{}
	exited := make(chan error, 1)
	go func() {
		exited <- run(ctx, []string{"--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--no-auth", "--listen", listen,
			"--metrics-listen", mlisten, "--metrics-on-listen", "--close-schedule", "off", "--rate-schedule", "off", "--idle-schedule", "off"}, &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(time.Minute):
			t.Error("serve did not stop")
		}
	})
	waitHealthy(t, listen, exited)

	prom, err := promtest.Start(context.Background(), promtest.Config{Dir: t.TempDir(), Targets: []string{mlisten}, ScrapeInterval: 500 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(prom.Stop)

	samples := "http://" + listen + "/v1/samples"
	sent := 0
	for r := 0; r < 5; r++ {
		a, ok := post(ctx, samples, sampleLines(r, 0, 100, 0), 30*time.Second)
		require.True(t, ok)
		sent += a.Accepted
	}
	require.Equal(t, 500, sent)
	// then 40 of them again and a request with a bad line
	a, ok := post(ctx, samples, sampleLines(0, 0, 40, 0), 30*time.Second) // sent again: duplicates
	require.True(t, ok)
	require.Equal(t, 40, a.Duplicates)
	sent += a.Accepted // an answer's accepted counts its duplicates too
	bad := append(sampleLines(9, 0, 3, 0), []byte(`{"resource_id":"vm-9","metric":"cpu","ts":"yesterday","value":1}`+"\n")...)
	a, ok = post(ctx, samples, bad, 30*time.Second)
	require.True(t, ok)
	require.Equal(t, 1, a.RejectedCount)
	sent += a.Accepted
	resp, err := http.Get("http://" + listen + "/") // a portal page, timed
	require.NoError(t, err)
	resp.Body.Close()
	resp, err = http.Get("http://" + listen + "/metrics") // --metrics-on-listen: the main listener too
	require.NoError(t, err)
	onListen, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(onListen), "cloudbill_clickhouse_up 1", "/metrics on the main listener")

	for _, q := range []struct {
		query string
		want  float64
	}{
		{`sum(cloudbill_ingest_lines_total{result="accepted"})`, float64(sent)},
		{`sum(cloudbill_ingest_lines_total{result="duplicate"})`, 40},
		{`sum(cloudbill_ingest_lines_total{result="rejected"})`, 1},
		{`cloudbill_spool_batches`, 0},
		{`cloudbill_clickhouse_up`, 1},
		{`sum(cloudbill_job_runs_total{job_name="idle-follow",status="ok"})`, 1},
		{`clamp_max(sum(cloudbill_portal_request_duration_seconds_count{kind="page"}), 1)`, 1},
	} {
		got := promValue(t, prom.URL(), q.query, q.want)
		assert.Equal(t, q.want, got, "PromQL %s", q.query)
	}

	// What the scrape holds is what docs/metrics.md names.
	resp, err = http.Get("http://" + mlisten + "/metrics")
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "metrics.md"))
	require.NoError(t, err)
	names := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^# TYPE (cloudbill_\w+) `).FindAllStringSubmatch(string(body), -1) {
		names[m[1]] = true
	}
	var seen []string
	for n := range names {
		seen = append(seen, n)
		assert.Contains(t, string(doc), "`"+n+"`", "docs/metrics.md names %s", n)
	}
	sort.Strings(seen)
	t.Logf("series scraped: %v", seen)
	assert.True(t, names["cloudbill_job_runs_total"], "the idle follow-up's catch-up run is counted")
}

// promValue polls Prometheus until query returns want (or 30 s pass) and returns the last
// value read.
func promValue(t *testing.T, base, query string, want float64) float64 {
	t.Helper()
	got := -1.0
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(query))
		if err == nil {
			var ans struct {
				Data struct {
					Result []struct {
						Value [2]any `json:"value"`
					} `json:"result"`
				} `json:"data"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&ans)
			resp.Body.Close()
			if len(ans.Data.Result) == 1 {
				if s, ok := ans.Data.Result[0].Value[1].(string); ok {
					got, _ = strconv.ParseFloat(s, 64)
					if got == want {
						return got
					}
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	return got
}

// docs/grafana-dashboard.json is a dashboard Grafana imports (JSON with panels and their
// queries) over series docs/metrics.md names.
func TestGrafanaDashboard(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "grafana-dashboard.json"))
	require.NoError(t, err)
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "metrics.md"))
	require.NoError(t, err)
	var d struct {
		Title  string `json:"title"`
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	require.NoError(t, json.Unmarshal(b, &d))
	require.NotEmpty(t, d.Panels)
	series := regexp.MustCompile(`cloudbill_[a-z_]+`)
	for _, p := range d.Panels {
		require.NotEmpty(t, p.Targets, p.Title)
		for _, tg := range p.Targets {
			for _, s := range series.FindAllString(tg.Expr, -1) {
				s = regexp.MustCompile(`_(bucket|count|sum)$`).ReplaceAllString(s, "")
				assert.Contains(t, string(doc), "`"+s+"`", "panel %q: series %s is in docs/metrics.md", p.Title, s)
			}
		}
	}
}
