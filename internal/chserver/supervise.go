package chserver

import (
	"context"
	"sync"
	"time"
)

// Supervisor keeps an embedded server running (serve's): when the server process is
// gone (killed, crashed) it starts it again on the same port, with back-off between
// failed attempts (1 s doubling to 1 min). Restarts are logged and counted (Stats).
// Create it with Supervise; a nil *Supervisor (no embedded server) reports nothing.
type Supervisor struct {
	srv   *Server
	logf  func(string, ...any)
	every time.Duration

	mu    sync.Mutex
	stats SupervisorStats
}

// SupervisorStats are a supervisor's figures since it started.
type SupervisorStats struct {
	Restarts    int
	LastRestart time.Time // zero: none
	LastError   string    // of the latest failed restart, "" once one succeeded
}

// Supervise starts supervising srv (looking every second) until ctx ends; logf
// receives the restarts. srv nil: nothing to supervise, the result is nil.
func Supervise(ctx context.Context, srv *Server, logf func(string, ...any)) *Supervisor {
	if srv == nil {
		return nil
	}
	sv := &Supervisor{srv: srv, logf: logf, every: time.Second}
	go sv.run(ctx)
	return sv
}

func (sv *Supervisor) run(ctx context.Context) {
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
			sv.stats.LastError = err.Error()
			sv.mu.Unlock()
			sv.logf("embedded ClickHouse restart failed: %v; next attempt in %s", err, backoff)
			wait = backoff
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		sv.stats.Restarts++
		sv.stats.LastRestart = time.Now()
		sv.stats.LastError = ""
		n := sv.stats.Restarts
		sv.mu.Unlock()
		sv.logf("embedded ClickHouse restarted on %s in %s (%d restarts since serve started); spooled samples are replayed now",
			sv.srv.Addr, time.Since(began).Round(time.Millisecond), n)
		if sv.srv.Addr != was {
			// its port was taken meanwhile: this process still dials the old one
			sv.logf("embedded ClickHouse came back on %s, not %s: restart serve to use it", sv.srv.Addr, was)
		}
	}
}

// Stats are the supervisor's figures (zero for a nil supervisor).
func (sv *Supervisor) Stats() SupervisorStats {
	if sv == nil {
		return SupervisorStats{}
	}
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.stats
}

// Restarts is the number of restarts since the supervisor started.
func (sv *Supervisor) Restarts() int { return sv.Stats().Restarts }
