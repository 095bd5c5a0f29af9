package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/chserver"
	"cloudbill/sql"
)

// TestServeRestartsEmbeddedClickHouse: the embedded server dies (SIGKILL) under serve;
// serve starts it again, logs and counts the restart in /healthz, and the samples spooled
// meanwhile are replayed: every sample sent is stored.
func TestServeRestartsEmbeddedClickHouse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers")
	}
	ctx := context.Background()
	dataDir := newDataDir(t)
	addr := freeAddr(t)
	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	var out, errs bytes.Buffer
	logs := &syncWriter{w: &errs}
	exited := make(chan error, 1)
	go func() {
		exited <- run(serveCtx, []string{"--clickhouse=", "--data-dir", dataDir, "serve", "--no-auth", "--listen", addr, "--flush", "100ms",
			"--close-schedule", "off", "--rate-schedule", "off"}, &out, logs)
	}()
	waitHealthy(t, addr, exited)
	url := "http://" + addr + "/v1/samples"
	a, ok := post(ctx, url, sampleLines(1, 0, 100, 0), 30*time.Second)
	require.True(t, ok)
	require.Equal(t, 100, a.Accepted)

	pid := serverPid(dataDir)
	require.NotZero(t, pid)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	// sent while the server is down or coming back: spooled, or stored after the restart
	a, ok = post(ctx, url, sampleLines(2, 0, 100, 0), 30*time.Second)
	require.True(t, ok)
	require.Equal(t, 100, a.Accepted)

	health := func() map[string]any {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err != nil {
			return nil
		}
		defer resp.Body.Close()
		var h map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&h)
		return h
	}
	var h map[string]any
	deadline := time.Now().Add(60 * time.Second)
	for {
		h = health()
		if h != nil && h["clickhouse"] == "up" && h["clickhouse_restarts"] == float64(1) && h["spooled_batches"] == float64(0) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no restart reported by /healthz: %v\n%s", h, errs.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	assert.NotEmpty(t, h["clickhouse_last_restart"])
	assert.NotEqual(t, pid, serverPid(dataDir), "a new server process")

	stopServe()
	select {
	case err := <-exited:
		require.NoError(t, err, errs.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
	assert.Contains(t, errs.String(), "embedded ClickHouse is not running: restarting it")
	assert.Contains(t, errs.String(), "embedded ClickHouse restarted on ")
	assert.Contains(t, errs.String(), "spooling", "the batch sent while the server was down went to the spool")
	assert.Contains(t, errs.String(), "replayed spooled batch", "and was replayed after the restart")

	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	srv, err := chserver.Start(sctx, chserver.Config{Dir: filepath.Join(dataDir, "clickhouse")})
	require.NoError(t, err)
	defer srv.Stop()
	s, err := chstore.Open(ctx, chstore.Config{Addr: srv.Addr, Database: "cloudbill", User: srv.User, Password: srv.Password})
	require.NoError(t, err)
	defer s.Close()
	st, err := s.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	assert.Equal(t, uint64(200), st.Samples, "every sample sent is stored")
}
