package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/chserver"
	"cloudbill/metering"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

func waitHealthy(t *testing.T, addr string, exited <-chan error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("serve exited before answering: %v", err)
		default:
		}
		if resp, err := http.Get("http://" + addr + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("serve did not answer /healthz")
}

// sampleLines is an NDJSON request: resource r's samples k in [from, to), value
// r*1000+k+delta.
func sampleLines(r, from, to int, delta float64) []byte {
	var b bytes.Buffer
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for k := from; k < to; k++ {
		fmt.Fprintf(&b, `{"resource_id":"vm-%04d","metric":"cpu","ts":"%s","value":%g}`+"\n",
			r, base.Add(time.Duration(k)*time.Minute).Format(time.RFC3339), float64(r*1000+k)+delta)
	}
	return b.Bytes()
}

// post sends one request until it is acknowledged (200), retrying on 503 and on
// connection errors, as a sender does; it returns false if the server is gone for good.
func post(ctx context.Context, url string, body []byte, giveUp time.Duration) (metering.Answer, bool) {
	deadline := time.Now().Add(giveUp)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		resp, err := http.Post(url, "application/x-ndjson", bytes.NewReader(body))
		if err == nil {
			var a metering.Answer
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && json.Unmarshal(data, &a) == nil {
				return a, true
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return metering.Answer{}, false
}

// TestServeSurvivesClickHouseKill posts 1,000,000 samples (1,000 resources × 1,000
// minutes) over HTTP from 4 senders, then a corrected value for every tenth resource,
// and kills ClickHouse with SIGKILL in the middle. Afterwards every sample is stored
// exactly once with the last value sent.
func TestServeSurvivesClickHouseKill(t *testing.T) {
	if testing.Short() {
		t.Skip("posts a million samples")
	}
	ctx := context.Background()
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	srv, err := chserver.Start(sctx, chserver.Config{Dir: t.TempDir(), KillWithParent: true})
	cancel()
	require.NoError(t, err)
	defer srv.Stop()
	db := chtest.Name()
	dsn := srv.DSN(db)
	dataDir := t.TempDir()
	addr := freeAddr(t)

	serveCtx, stopServe := context.WithCancel(ctx)
	defer stopServe()
	var out, errs bytes.Buffer
	exited := make(chan error, 1)
	go func() {
		exited <- run(serveCtx, []string{"--clickhouse", dsn, "--data-dir", dataDir, "serve", "--no-auth", "--listen", addr, "--flush", "100ms"}, &out, &syncWriter{w: &errs})
	}()
	waitHealthy(t, addr, exited)

	const resources, minutes, senders = 1000, 1000, 4
	url := "http://" + addr + "/v1/samples"
	var acked atomic.Int64
	var wg sync.WaitGroup
	failed := make(chan string, senders)
	for g := 0; g < senders; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			// requests of 5 resources (5,000 samples)
			const per = 5
			for r0 := g * per; r0 < resources; r0 += senders * per {
				var body []byte
				for r := r0; r < r0+per; r++ {
					body = append(body, sampleLines(r, 0, minutes, 0)...)
				}
				if a, ok := post(ctx, url, body, time.Minute); !ok || a.Accepted != per*minutes {
					failed <- fmt.Sprintf("resources %d… not acknowledged: %+v", r0, a)
					return
				}
				acked.Add(per)
			}
			for r := g; r < resources; r += senders {
				if r%10 != 0 {
					continue
				}
				if a, ok := post(ctx, url, sampleLines(r, 0, minutes, 0.5), time.Minute); !ok || a.Accepted != minutes {
					failed <- fmt.Sprintf("correction of resource %d not acknowledged: %+v", r, a)
					return
				}
			}
		}(g)
	}
	// kill ClickHouse a third of the way through, keep it down a while, restart it
	for acked.Load() < resources/3 {
		time.Sleep(10 * time.Millisecond)
	}
	began := time.Now()
	require.NoError(t, srv.Kill())
	killedAt := acked.Load()
	time.Sleep(3 * time.Second)
	rctx, rcancel := context.WithTimeout(ctx, 90*time.Second)
	require.NoError(t, srv.Restart(rctx))
	rcancel()
	t.Logf("ClickHouse killed after %d of %d resources acknowledged, back after %s", killedAt, resources, time.Since(began).Round(time.Millisecond))
	wg.Wait()
	t.Logf("every sample acknowledged %s after the kill", time.Since(began).Round(time.Millisecond))
	close(failed)
	for f := range failed {
		t.Error(f)
	}
	assert.Less(t, killedAt, int64(resources), "the kill happened while samples were still being posted")
	stopServe()
	select {
	case err := <-exited:
		require.NoError(t, err, errs.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop")
	}
	t.Logf("serve stopped %s after the kill", time.Since(began).Round(time.Millisecond))
	assert.Contains(t, errs.String(), "spooling", "batches went to the spool while ClickHouse was down")
	left, err := os.ReadDir(filepath.Join(dataDir, "spool"))
	require.NoError(t, err)
	assert.Empty(t, left, "the spool is replayed")

	s, err := chstore.Open(ctx, chstore.Config{Addr: srv.Addr, Database: db, User: srv.User, Password: srv.Password})
	require.NoError(t, err)
	defer func() {
		_ = s.DropDatabase(ctx, db)
		s.Close()
	}()
	st, err := s.SampleStats(ctx, chstore.SampleFilter{})
	require.NoError(t, err)
	assert.Equal(t, uint64(resources*minutes), st.Samples, "distinct samples")
	rows, err := chtest.Conn(t, s).Query(ctx, "SELECT resource_id, toUInt32(ts), argMax(value, version) FROM usage_samples GROUP BY resource_id, ts")
	require.NoError(t, err)
	defer rows.Close()
	base := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix()
	wrong, n := 0, 0
	for rows.Next() {
		var id string
		var ts uint32
		var v float64
		require.NoError(t, rows.Scan(&id, &ts, &v))
		r, err := strconv.Atoi(id[3:])
		require.NoError(t, err)
		k := int((int64(ts) - base) / 60)
		want := float64(r*1000 + k)
		if r%10 == 0 {
			want += 0.5
		}
		if v != want {
			wrong++
		}
		n++
	}
	require.NoError(t, rows.Err())
	assert.Equal(t, resources*minutes, n)
	assert.Equal(t, 0, wrong, "samples whose stored value is not the last one sent")
}

// syncWriter makes a writer safe for the goroutines of serve.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// TestServeSIGTERM runs the real binary, loads it from 4 senders and stops it with
// SIGTERM in the middle: every acknowledged sample is stored.
func TestServeSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "cloudbill")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	addr := meteringServer(t)
	dsn, s := freshDB(t, addr)
	listen := freeAddr(t)
	var stderr bytes.Buffer
	cmd := exec.Command(bin, "--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--no-auth", "--listen", listen, "--flush", "300ms")
	cmd.Stderr = &syncWriter{w: &stderr}
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitHealthy(t, listen, exited)

	url := "http://" + listen + "/v1/samples"
	var mu sync.Mutex
	ackedRes := map[int]bool{}
	var wg sync.WaitGroup
	var sent atomic.Int64
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for r := g; ; r += 4 {
				body := sampleLines(r, 0, 200, 0)
				resp, err := http.Post(url, "application/x-ndjson", bytes.NewReader(body))
				if err != nil {
					return // the server is gone
				}
				data, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				sent.Add(1)
				var a metering.Answer
				if resp.StatusCode == 200 && json.Unmarshal(data, &a) == nil && a.Accepted == 200 {
					mu.Lock()
					ackedRes[r] = true
					mu.Unlock()
				}
			}
		}(g)
	}
	for sent.Load() < 40 {
		time.Sleep(5 * time.Millisecond)
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-exited:
		require.NoError(t, err, stderr.String())
	case <-time.After(2 * time.Minute):
		t.Fatal("serve did not stop on SIGTERM")
	}
	wg.Wait()
	require.NotEmpty(t, ackedRes)
	got, err := s.LatestSamples(context.Background(), chstore.SampleFilter{})
	require.NoError(t, err)
	stored := map[string]int{}
	for _, sm := range got {
		stored[sm.ResourceID]++
	}
	for r := range ackedRes {
		assert.Equal(t, 200, stored[fmt.Sprintf("vm-%04d", r)], "acknowledged resource %d fully stored", r)
	}
	t.Logf("%d requests acknowledged before SIGTERM; %d resources stored", len(ackedRes), len(stored))
}
