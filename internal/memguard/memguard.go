// Package memguard keeps a server away from its memory limit: work that would bring it
// near (an ingest request, an upload) is refused for now — 503 with Retry-After — before
// its body is read, instead of being taken and pushing the process into the garbage
// collector's death spiral or the kernel's OOM killer.
//
// The measure is the Go runtime's own accounting (runtime/metrics): the heap that was
// live at the last collection, plus what the requests in progress have reserved (each
// reserves its cost — its body's size times a factor — when it is admitted and releases
// it when it ends). A request is admitted while that sum, with its own cost, stays under
// the shedding point (¾ of the limit).
package memguard

import (
	"fmt"
	"net/http"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
)

// Guard admits work under a memory limit. The zero limit admits everything.
type Guard struct {
	limit, shedAt int64
	mu            sync.Mutex
	reserved      int64
	sample        []metrics.Sample
	shed          atomic.Int64
}

// New is a guard for limit bytes (0: none).
func New(limit int64) *Guard {
	return &Guard{limit: limit, shedAt: limit / 4 * 3, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// Limit is the memory limit in bytes (0: none).
func (g *Guard) Limit() int64 { return g.limit }

// Stats is what /healthz shows.
type Stats struct {
	LimitBytes    int64 `json:"limit_bytes"`
	ShedAtBytes   int64 `json:"shed_at_bytes"`
	LiveHeapBytes int64 `json:"live_heap_bytes"`
	ReservedBytes int64 `json:"reserved_bytes"`
	Shed          int64 `json:"shed"` // requests refused so far
}

// Stats reads the guard's state.
func (g *Guard) Stats() Stats {
	g.mu.Lock()
	defer g.mu.Unlock()
	return Stats{LimitBytes: g.limit, ShedAtBytes: g.shedAt, LiveHeapBytes: g.live(), ReservedBytes: g.reserved, Shed: g.shed.Load()}
}

// live is the heap live at the last collection; g.mu held.
func (g *Guard) live() int64 {
	metrics.Read(g.sample)
	if g.sample[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(g.sample[0].Value.Uint64())
}

// Admit reserves cost bytes if that keeps the process under the shedding point; the
// returned release gives them back. ok is false when the work must wait.
func (g *Guard) Admit(cost int64) (release func(), ok bool) {
	if g.limit <= 0 {
		return func() {}, true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live()+g.reserved+cost > g.shedAt {
		g.shed.Add(1)
		return nil, false
	}
	g.reserved += cost
	var once sync.Once
	return func() {
		once.Do(func() {
			g.mu.Lock()
			g.reserved -= cost
			g.mu.Unlock()
		})
	}, true
}

// Policy says which requests a Handler admits through the guard and what they cost.
type Policy struct {
	// Match selects the requests guarded (the others pass untouched).
	Match func(*http.Request) bool
	// Factor times the body's size (Content-Length, or Max when not given or larger) is
	// the cost reserved while the request runs.
	Factor, Max int64
	// RetryAfter is the delay, in seconds, a refused sender is told to wait.
	RetryAfter int
	// Refuse writes the body of the 503 answer (its status and Retry-After are set).
	Refuse func(w http.ResponseWriter, r *http.Request, msg string)
}

// Handler wraps next: a request that p matches is admitted with its cost, else answered
// 503 with Retry-After, its body unread.
func (g *Guard) Handler(next http.Handler, p Policy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.limit <= 0 || !p.Match(r) {
			next.ServeHTTP(w, r)
			return
		}
		size := r.ContentLength
		if size < 0 || size > p.Max {
			size = p.Max
		}
		release, ok := g.Admit(size * p.Factor)
		if !ok {
			w.Header().Set("Retry-After", strconv.Itoa(p.RetryAfter))
			w.Header().Set("Connection", "close") // the body is not read
			p.Refuse(w, r, fmt.Sprintf("busy: taking this request now would bring the server near its memory limit (%d MiB); send it again after %d s", g.limit>>20, p.RetryAfter))
			return
		}
		defer release()
		next.ServeHTTP(w, r)
	})
}
