package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/schedule/jobrun"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// A vendor's Prometheus that cannot be reached: every window fails, the month is
// incomplete, rate warns naming the vendor and windows, close refuses unless
// --allow-incomplete, which is recorded. (The pulls themselves are tested against a
// real Prometheus in metering/pull.)
func TestCollectIncompleteMonthBlocksClose(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "V1.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte(`
vendor: V1
prometheus: {url: "http://127.0.0.1:1", timeout: 2s}
start: 2026-11-30T00:00:00+08:00
mappings:
  - {metric: cpu_util, query: "avg_over_time(vm_cpu_util[$window])", resource_label: instance_id, window: 1h}
`), 0o644))

	t.Run("bad configuration", func(t *testing.T) {
		bad := filepath.Join(dir, "bad.yaml")
		require.NoError(t, os.WriteFile(bad, []byte("vendor: V1\nprometheus: {url: x}\nstart: 2026-11-01\nmappings: [{metric: a, query: 'a[$window]', resource_label: id, window: 5m, late: 1m}]\n"), 0o644))
		_, _, err := at(t, dsn, dec1, "collect", "--config", bad)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, err.Error(), "bad.yaml:2: prometheus.url")
		assert.Contains(t, err.Error(), `bad.yaml:4: mappings[0].late: unknown key "late"`)
		_, _, err = at(t, dsn, dec1, "collect", "--config", cfg, "--from", "2026-11-30", "--to", "2026-12-01")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "--reason is required")
	})

	out, _, err := at(t, dsn, dec1, "collect", "--config", cfg)
	require.Error(t, err)
	assert.Equal(t, exitFailed, exitCode(err))
	assert.Contains(t, out, "V1 ("+cfg+"): 26 windows: 0 collected, 0 partial, 26 failed")
	// the failure names the Prometheus asked (its cause is the system's: "connection
	// refused" here, and once in CI "EOF" while something held 127.0.0.1:1 for a moment)
	assert.Contains(t, out, "failed: cpu_util 2026-11-30T00:00:00+08:00 … 2026-12-01T02:00:00+08:00: prometheus http://127.0.0.1:1: ")

	out, _, err = at(t, dsn, dec1, "collect", "status", "--period", "2026-11")
	require.Error(t, err)
	assert.Equal(t, 3, exitCode(err))
	assert.Contains(t, out, "V1      cpu_util  1h0m0s  24        0          0        24      24       2026-11-30 00:00 … 2026-12-01 00:00 (24 windows)")

	_, errOut, err := at(t, dsn, dec1, "rate", "--period", "2026-11")
	require.NoError(t, err)
	assert.Contains(t, errOut, "warning: usage of 2026-11 incomplete: vendor V1, metric cpu_util: 24 of 24 windows missing (24 failed): 2026-11-30 00:00 … 2026-12-01 00:00 (24 windows)")

	_, _, err = at(t, dsn, dec1, "close", "--period", "2026-11")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "close 2026-11 refused: 24 collector windows missing")
	assert.Contains(t, err.Error(), "--allow-incomplete")

	out, errOut, err = at(t, dsn, dec1, "close", "--period", "2026-11", "--allow-incomplete")
	require.NoError(t, err, errOut)
	assert.Contains(t, out, "closed with 24 collector windows missing (--allow-incomplete, recorded)")
	s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
	require.NoError(t, err)
	defer s.Close()
	var n uint64
	require.NoError(t, chtest.Conn(t, s).QueryRow(context.Background(), "SELECT count() FROM collect_incomplete_closes WHERE period = ? AND missing = 24", calendar.MustPeriod("2026-11").Key()).Scan(&n))
	assert.Equal(t, uint64(1), n)
	// closing again is the usual no-op
	_, _, err = at(t, dsn, dec1, "close", "--period", "2026-11")
	require.NoError(t, err)
}

// serve --collect-config runs the pulls at start (catch-up) and records each pass as a
// job run.
func TestServeRunsCollectors(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	cfg := filepath.Join(t.TempDir(), "V1.yaml")
	start := time.Now().Add(-3 * time.Hour).In(calendar.Shanghai()).Format(time.RFC3339)
	require.NoError(t, os.WriteFile(cfg, []byte(`
vendor: V1
prometheus: {url: "http://127.0.0.1:1", timeout: 2s}
start: `+start+`
retry: 1h
mappings:
  - {metric: cpu_util, query: "avg_over_time(vm_cpu_util[$window])", resource_label: instance_id, window: 1h}
`), 0o644))
	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan error, 1)
	var sout, serr bytes.Buffer
	go func() {
		exited <- run(ctx, []string{"--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--listen", addr,
			"--close-schedule", "off", "--rate-schedule", "off", "--collect-config", cfg}, &sout, &syncWriter{w: &serr})
	}()
	defer func() {
		cancel()
		<-exited
	}()
	waitHealthy(t, addr, exited)
	s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
	require.NoError(t, err)
	defer s.Close()
	var runs []jobrun.Run
	require.Eventually(t, func() bool {
		runs, err = s.JobRuns(context.Background(), "collect:V1")
		return err == nil && len(runs) > 0
	}, 30*time.Second, 100*time.Millisecond)
	assert.Equal(t, "catch-up", runs[0].Trigger)
	assert.Equal(t, jobrun.Failed, runs[0].Status)
	assert.Contains(t, jobrun.DetailEnglish(runs[0].Detail), "windows: 0 collected, 0 partial")
	assert.Contains(t, runs[0].Error, "prometheus http://127.0.0.1:1: ")
}
