package main

import (
	"context"
	"sync"
	"time"

	"cloudbill/internal/chserver"
)

// supervisor keeps the embedded ClickHouse of `serve` running: when the server process
// is gone (killed, crashed) it starts it again on the same port, with back-off between
// failed attempts (1 s doubling to 1 min). Restarts are logged and counted for /healthz.
// With an external ClickHouse (--clickhouse) there is nothing to supervise.
type supervisor struct {
	srv   *chserver.Server
	logf  func(string, ...any)
	every time.Duration

	mu          sync.Mutex
	restarts    int
	lastRestart time.Time
	lastError   string
}

// superviseClickHouse starts supervising the embedded server, if this process uses one;
// it stops with ctx. The result is nil without an embedded server.
func (a *app) superviseClickHouse(ctx context.Context, logf func(string, ...any)) *supervisor {
	if a.server == nil {
		return nil
	}
	sv := &supervisor{srv: a.server, logf: logf, every: time.Second}
	go sv.run(ctx)
	return sv
}

func (sv *supervisor) run(ctx context.Context) {
	const minBackoff, maxBackoff = time.Second, time.Minute
	backoff := minBackoff
	wait := sv.every
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = sv.every
		if sv.srv.Alive() {
			backoff = minBackoff
			continue
		}
		sv.logf("embedded ClickHouse is not running: restarting it")
		was := sv.srv.Addr
		began := time.Now()
		rctx, cancel := context.WithTimeout(ctx, 90*time.Second)
		err := sv.srv.Restart(rctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		sv.mu.Lock()
		if err != nil {
			sv.lastError = err.Error()
			sv.mu.Unlock()
			sv.logf("embedded ClickHouse restart failed: %v; next attempt in %s", err, backoff)
			wait = backoff
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		sv.restarts++
		sv.lastRestart = time.Now()
		sv.lastError = ""
		n := sv.restarts
		sv.mu.Unlock()
		sv.logf("embedded ClickHouse restarted on %s in %s (%d restarts since serve started); spooled samples are replayed now",
			sv.srv.Addr, time.Since(began).Round(time.Millisecond), n)
		if sv.srv.Addr != was {
			// its port was taken meanwhile: this process still dials the old one
			sv.logf("embedded ClickHouse came back on %s, not %s: restart serve to use it", sv.srv.Addr, was)
		}
	}
}

// report adds the supervisor's figures to a /healthz answer.
func (sv *supervisor) report(ans map[string]any) {
	if sv == nil {
		return
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	ans["clickhouse_restarts"] = sv.restarts
	if !sv.lastRestart.IsZero() {
		ans["clickhouse_last_restart"] = sv.lastRestart.UTC().Format(time.RFC3339)
	}
	if sv.lastError != "" {
		ans["clickhouse_restart_error"] = sv.lastError
	}
}

// restartCount is the restarts since serve started (for /metrics).
func (sv *supervisor) restartCount() int {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.restarts
}
