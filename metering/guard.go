package metering

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Client is the sender of a request, as the handler's Authenticate tells it.
type Client struct {
	// ID keys the per-client limits: the token id (or, without authentication, the
	// remote address).
	ID string
	// Vendor is the vendor the sender may send samples of ("" without authentication:
	// any).
	Vendor string
}

// ErrUnauthenticated is what Authenticate returns for a request without a valid
// credential (answered 401).
var ErrUnauthenticated = errors.New("no valid collector token")

// Owners tells which vendors' work orders name a resource; a resource no work order names
// yet has no entry.
type Owners map[string][]string

// Scope holds the lines of a vendor's sender (a collector token, a drop-folder
// sub-folder) to that vendor: its Admit is a ParserConfig.Admit.
type Scope struct {
	Vendor string
	Owners Owners
	// Unassigned counts the lines admitted whose resource no work order names yet.
	Unassigned int
}

// Admit refuses a line whose source names another vendor, or whose resource belongs to
// another vendor's work orders (only); it counts the unassigned ones.
func (s *Scope) Admit(resource, source string) (col, msg string) {
	col, msg, un := s.Owners.scope(s.Vendor, resource, source)
	if un {
		s.Unassigned++
	}
	return col, msg
}

// scope decides, for a sender of vendor, whether a line's resource and source may be
// taken. It returns the column and reason of a refusal, or "" (unassigned: no work
// order names the resource yet).
func (o Owners) scope(vendor, resource, source string) (col, msg string, unassigned bool) {
	if source != vendor {
		return colSource, fmt.Sprintf("%q names another vendor than the token's (%s)", source, vendor), false
	}
	vs, ok := o[resource]
	if !ok {
		return "", "", true
	}
	for _, v := range vs {
		if v == vendor {
			return "", "", false
		}
	}
	return colResource, fmt.Sprintf("resource %q belongs to a work order of vendor %s, not %s", resource, vs[0], vendor), false
}

// OwnerSource loads the owners of resources (from the work orders).
type OwnerSource func(ctx context.Context) (Owners, error)

// ownerCache keeps the owners for a while.
type ownerCache struct {
	load OwnerSource
	ttl  time.Duration
	mu   sync.Mutex
	at   time.Time
	cur  Owners
}

func (c *ownerCache) get(ctx context.Context) (Owners, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && time.Since(c.at) < c.ttl {
		return c.cur, nil
	}
	o, err := c.load(ctx)
	if err != nil {
		if c.cur != nil {
			return c.cur, nil // keep the last known owners while the store is away
		}
		return nil, err
	}
	c.cur, c.at = o, time.Now()
	return o, nil
}

// bucket is a token bucket of requests per client.
type bucket struct {
	tokens float64
	last   time.Time
}

// limiter gives each client Rate requests a second with bursts of Burst, and at most
// PerClient requests in progress.
type limiter struct {
	rate      float64
	burst     float64
	perClient int
	mu        sync.Mutex
	buckets   map[string]*bucket
	inflight  map[string]int
}

// allow takes one request of id: ok, or how long until one would be allowed.
func (l *limiter) allow(id string, now time.Time) (time.Duration, bool) {
	if l.rate <= 0 {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[id]
	if b == nil {
		if len(l.buckets) > 100_000 {
			l.buckets = map[string]*bucket{} // bounded: forget idle clients
		}
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[id] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// enter counts a request of id in progress; false when id has PerClient already.
func (l *limiter) enter(id string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perClient > 0 && l.inflight[id] >= l.perClient {
		return false
	}
	l.inflight[id]++
	return true
}

func (l *limiter) leave(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.inflight[id]--; l.inflight[id] <= 0 {
		delete(l.inflight, id)
	}
}

// retryAfter writes a Retry-After header of at least one second.
func retryAfter(w http.ResponseWriter, d time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))))
}

// slowBody reads a request body that must keep arriving: after a grace period at least
// minRate bytes a second on average, and all of it before the body deadline. It moves the
// connection's read deadline before each read, so a sender that stalls is cut off by
// the kernel's clock, not by another goroutine.
type slowBody struct {
	r        io.Reader
	rc       *http.ResponseController
	start    time.Time
	grace    time.Duration
	minRate  float64
	deadline time.Time
	n        int64
	tooSlow  bool
}

func (b *slowBody) Read(p []byte) (int, error) {
	next := b.start.Add(b.grace + time.Duration(float64(b.n+1)/b.minRate*float64(time.Second)))
	if next.After(b.deadline) {
		next = b.deadline
	}
	if err := b.rc.SetReadDeadline(next); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		b.tooSlow = true
	}
	return n, err
}

// Saturation is how busy the ingest handler is (reported by /healthz).
type Saturation struct {
	// InProgress requests hold one of the Slots; Waiting wait for one.
	InProgress, Slots, Waiting int
	// Saturated: every slot is taken and requests wait.
	Saturated bool
	// SlowClosed counts requests cut off for a too slow body since start; Throttled
	// the requests answered 429.
	SlowClosed, Throttled int64
}
