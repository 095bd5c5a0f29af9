package chstore_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/backup"
	chstore "cloudbill/sql"
	"cloudbill/sql/chtest"
)

// A read that lasts longer than the read timeout completes while bytes keep coming, and a
// server that goes silent is reported, after the read timeout, as such: the timeout is a
// progress deadline, not a bound on the query (a backup's FINAL read of a city month).
func TestReadTimeoutIsAProgressDeadline(t *testing.T) {
	src := chtest.New(t)
	ctx := context.Background()
	const rows = 40_000
	require.NoError(t, chtest.Conn(t, src).Exec(ctx, `INSERT INTO usage_samples (resource_id, metric, ts, value, source, ingested_at, version)
		SELECT concat('vm-', toString(number % 97)), 'cpu', toDateTime('2026-11-01 00:00:00') + number * 60, number / 7, 'ctcc', toDateTime('2026-12-01 00:00:00'), 1
		FROM system.numbers LIMIT 40000`))
	tables, err := src.Tables(ctx)
	require.NoError(t, err)
	var samples backup.Table
	for _, tb := range tables {
		if tb.Name == "usage_samples" {
			samples = tb
		}
	}
	require.Equal(t, "usage_samples", samples.Name)

	// the same database through a proxy that can slow down or stop the server's answers
	const timeout = 4 * time.Second
	px := newThrottle(t, src.Config().Addr)
	cfg := src.Config()
	cfg.Addr, cfg.ReadTimeout = px.addr(), timeout
	s, err := chstore.Open(ctx, cfg)
	require.NoError(t, err)
	t.Cleanup(func() { px.mode.Store(pass); _ = s.Close() })

	dump := func(ctx context.Context) (int, error) {
		n := 0
		err := s.DumpNative(ctx, backup.Dump{Table: samples}, func([]string) {}, func(b []byte) error {
			n += len(b)
			return nil
		})
		return n, err
	}
	whole, err := dump(ctx)
	require.NoError(t, err)

	// slow: 256 KB every timeout/2 (the answer is about 1.6 MB)
	px.mode.Store(trickle)
	start := time.Now()
	got, err := dump(ctx)
	took := time.Since(start)
	require.NoError(t, err, "a read that keeps receiving completes")
	assert.Equal(t, whole, got, "every row")
	assert.Greater(t, took, 2*timeout, "the read lasted longer than the read timeout (else this test shows nothing)")
	t.Logf("slow read: %d bytes in %s with a read timeout of %s", got, took.Round(time.Millisecond), timeout)

	// dead: the server's answers stop (the connection stays open)
	px.mode.Store(silent)
	guard, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	_, err = dump(guard)
	require.Error(t, err)
	var stalled *chstore.StalledError
	require.True(t, errors.As(err, &stalled), "%v", err)
	assert.ErrorContains(t, err, "sent nothing for 4s")
	assert.NoError(t, guard.Err(), "reported by the read timeout, not the test's guard")
}

const (
	pass int32 = iota
	trickle
	silent
)

// throttle is a TCP proxy to a ClickHouse server whose answers pass, trickle (256 KB every
// 2 s) or stop (silent: nothing is forwarded either way, the connections stay open).
type throttle struct {
	ln   net.Listener
	mode atomic.Int32
	gap  time.Duration
	done chan struct{}
	wg   sync.WaitGroup
}

func newThrottle(t *testing.T, target string) *throttle {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p := &throttle{ln: ln, gap: 2 * time.Second, done: make(chan struct{})}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, u)
			mu.Unlock()
			p.wg.Add(2)
			go p.copy(u, c, false)
			go p.copy(c, u, true)
		}
	}()
	t.Cleanup(func() {
		close(p.done)
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *throttle) addr() string { return p.ln.Addr().String() }

// copy forwards src to dst; answers (from the server) are throttled by the mode.
func (p *throttle) copy(dst, src net.Conn, answers bool) {
	defer p.wg.Done()
	buf := make([]byte, 64<<10)
	sent := 0
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if p.mode.Load() == silent {
				<-p.done
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
			sent += n
			if answers && p.mode.Load() == trickle && sent >= 256<<10 {
				sent = 0
				select {
				case <-time.After(p.gap):
				case <-p.done:
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}
