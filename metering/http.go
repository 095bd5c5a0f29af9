package metering

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"cloudbill/internal/csvin"
)

// HandlerConfig configures the POST /v1/samples handler.
type HandlerConfig struct {
	Batcher *Batcher
	// MaxBody is the largest request body taken, in bytes; larger ones get 413.
	// Default 64 MiB.
	MaxBody int64
	// MaxListed bounds the rejected lines listed in one answer (all are counted);
	// default 1000.
	MaxListed int
	// MaxConcurrent bounds the requests read at once (each holds its samples until
	// they are durable); others wait their turn. Default 16.
	MaxConcurrent int
	// Authenticate, when set, tells who sends a request; an error (ErrUnauthenticated)
	// is answered 401. Without it every request is taken (serve --no-auth, loopback).
	Authenticate func(r *http.Request) (Client, error)
	// Owners, when set, tells which vendor's work orders name each resource: a line of
	// another vendor's resource is rejected; a resource no order names is accepted and
	// counted as unassigned. OwnersTTL is how long a loaded answer is used (default 30s).
	Owners    OwnerSource
	OwnersTTL time.Duration
	// RatePerClient is the requests a second a client (a token) may send, with bursts of
	// RateBurst; over it: 429 with Retry-After. 0: no limit.
	RatePerClient float64
	RateBurst     int
	// PerClient bounds the requests of one client in progress at once (over it: 429), so
	// that one sender cannot take every slot; default MaxConcurrent/2.
	PerClient int
	// RatePerVendor and PerVendor are the same limits for all the tokens of one vendor
	// together (Client.Vendor), so that a vendor with several tokens cannot take the
	// others' share; defaults RatePerClient (burst RateBurst) and PerClient.
	RatePerVendor float64
	PerVendor     int
	// MinRate is the slowest body taken, in bytes a second on average after BodyGrace
	// (defaults 16 KiB/s, 10s); BodyTimeout bounds the reading of a whole body (default
	// 5 minutes). A body slower is cut off: 408, the connection closed, nothing kept.
	MinRate     float64
	BodyGrace   time.Duration
	BodyTimeout time.Duration
	// Ranges are the valid values per metric (nil: DefaultRanges); a sample outside is
	// a rejected line.
	Ranges *Ranges
	// Observe, when set, is told every 200 answer and whose it is (the sender's vendor,
	// "" without authentication): serve counts the lines for /metrics.
	Observe func(vendor string, a Answer)
}

// Answer is the body of a 200 answer (docs/formats.md).
type Answer struct {
	Accepted   int        `json:"accepted"`
	Duplicates int        `json:"duplicates"`
	Rejected   []Rejected `json:"rejected"`
	// RejectedCount counts every rejected line, listed or not.
	RejectedCount int `json:"rejected_count"`
	// Spooled of the accepted samples wait in the spool for ClickHouse.
	Spooled int `json:"spooled"`
	// Unassigned of the accepted samples name a resource no work order names yet.
	Unassigned int `json:"unassigned"`
}

// Rejected is one refused line of a request.
type Rejected struct {
	Line  int    `json:"line"`
	Error string `json:"error"`
}

// Handler serves POST /v1/samples: an NDJSON (application/x-ndjson) or CSV (text/csv)
// body of samples. It answers 200 once the valid samples are durable (stored, or
// spooled and fsync'd), listing the refused lines; 400 when nothing can be read (an
// empty body, a CSV header that cannot be used); 413 past the size limit (nothing of
// the request is kept); 415 for another content type; 503 when the samples could be
// neither stored nor spooled (nothing acknowledged; the sender retries).
type Handler struct {
	cfg     HandlerConfig
	pool    sync.Pool
	strings *Strings
	slots   chan struct{}
	owners  *ownerCache
	limits  *limiter // per client (token)
	vendors *limiter // per vendor, all its tokens together

	waiting, slowClosed, throttled atomic.Int64
}

// NewHandler makes the handler.
func NewHandler(cfg HandlerConfig) (*Handler, error) {
	if cfg.Batcher == nil {
		return nil, errors.New("samples handler: no batcher")
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 64 << 20
	}
	if cfg.MaxListed <= 0 {
		cfg.MaxListed = 1000
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = 16
	}
	if cfg.PerClient <= 0 {
		cfg.PerClient = max(1, cfg.MaxConcurrent/2)
	}
	if cfg.PerVendor <= 0 {
		cfg.PerVendor = cfg.PerClient
	}
	if cfg.RatePerVendor <= 0 {
		cfg.RatePerVendor = cfg.RatePerClient
	}
	if cfg.MinRate <= 0 {
		cfg.MinRate = 16 << 10
	}
	if cfg.BodyGrace <= 0 {
		cfg.BodyGrace = 10 * time.Second
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = 5 * time.Minute
	}
	if cfg.OwnersTTL <= 0 {
		cfg.OwnersTTL = 30 * time.Second
	}
	burst := float64(cfg.RateBurst)
	if burst < 1 {
		burst = math.Max(1, 2*cfg.RatePerClient)
	}
	h := &Handler{cfg: cfg, pool: sync.Pool{New: func() any { return new(Batch) }}, strings: NewStrings(),
		slots:   make(chan struct{}, cfg.MaxConcurrent),
		limits:  &limiter{rate: cfg.RatePerClient, burst: burst, perClient: cfg.PerClient, buckets: map[string]*bucket{}, inflight: map[string]int{}},
		vendors: &limiter{rate: cfg.RatePerVendor, burst: math.Max(burst, 2*cfg.RatePerVendor), perClient: cfg.PerVendor, buckets: map[string]*bucket{}, inflight: map[string]int{}}}
	if cfg.Owners != nil {
		h.owners = &ownerCache{load: cfg.Owners, ttl: cfg.OwnersTTL}
	}
	return h, nil
}

// Saturation tells how busy the handler is.
func (h *Handler) Saturation() Saturation {
	s := Saturation{InProgress: len(h.slots), Slots: cap(h.slots), Waiting: int(h.waiting.Load()),
		SlowClosed: h.slowClosed.Load(), Throttled: h.throttled.Load()}
	s.Saturated = s.InProgress >= s.Slots && s.Waiting > 0
	return s
}

// contentFormat maps a Content-Type to a Format (0: not taken).
func contentFormat(ct string) Format {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return 0
	}
	switch mt {
	case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines":
		return NDJSON
	case "text/csv":
		return CSV
	}
	return 0
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, "use POST")
		return
	}
	format := contentFormat(r.Header.Get("Content-Type"))
	if format == 0 {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("content type %q is not taken: send application/x-ndjson or text/csv", r.Header.Get("Content-Type")))
		return
	}
	if r.ContentLength > h.cfg.MaxBody {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes is over the limit of %d bytes: send smaller requests", r.ContentLength, h.cfg.MaxBody))
		return
	}
	client := Client{ID: "addr:" + remoteHost(r)}
	if h.cfg.Authenticate != nil {
		c, err := h.cfg.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="cloudbill samples"`)
			w.Header().Set("Connection", "close") // the body is not read: do not wait for it
			if errors.Is(err, ErrUnauthenticated) {
				writeError(w, http.StatusUnauthorized, "a valid collector token is required: Authorization: Bearer <token> (cloudbill tokens create --vendor ID)")
			} else {
				writeError(w, http.StatusServiceUnavailable, "cannot check the token now, send again: "+err.Error())
			}
			return
		}
		client = c
	}
	if wait, ok := h.limits.allow(client.ID, time.Now()); !ok {
		h.throttled.Add(1)
		w.Header().Set("Connection", "close")
		retryAfter(w, wait)
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("over the rate limit of %g requests a second for this sender: send again after the Retry-After delay", h.cfg.RatePerClient))
		return
	}
	if !h.limits.enter(client.ID) {
		h.throttled.Add(1)
		w.Header().Set("Connection", "close")
		retryAfter(w, time.Second)
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("this sender already has %d requests in progress: wait for their answers", h.cfg.PerClient))
		return
	}
	defer h.limits.leave(client.ID)
	if client.Vendor != "" {
		if wait, ok := h.vendors.allow(client.Vendor, time.Now()); !ok {
			h.throttled.Add(1)
			w.Header().Set("Connection", "close")
			retryAfter(w, wait)
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("over the rate limit of %g requests a second for vendor %s (all its tokens together): send again after the Retry-After delay", h.cfg.RatePerVendor, client.Vendor))
			return
		}
		if !h.vendors.enter(client.Vendor) {
			h.throttled.Add(1)
			w.Header().Set("Connection", "close")
			retryAfter(w, time.Second)
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("vendor %s already has %d requests in progress (all its tokens together): wait for their answers", client.Vendor, h.cfg.PerVendor))
			return
		}
		defer h.vendors.leave(client.Vendor)
	}
	var owners Owners
	if client.Vendor != "" && h.owners != nil {
		var err error
		if owners, err = h.owners.get(r.Context()); err != nil {
			writeError(w, http.StatusServiceUnavailable, "cannot read the work orders now, send again: "+err.Error())
			return
		}
	}
	h.waiting.Add(1)
	select {
	case h.slots <- struct{}{}:
		h.waiting.Add(-1)
		defer func() { <-h.slots }()
	case <-r.Context().Done():
		h.waiting.Add(-1)
		return // the sender is gone
	}
	now := time.Now()
	sb := &slowBody{r: r.Body, rc: http.NewResponseController(w), start: now, grace: h.cfg.BodyGrace, minRate: h.cfg.MinRate, deadline: now.Add(h.cfg.BodyTimeout)}
	defer func() { _ = sb.rc.SetReadDeadline(time.Time{}) }()
	body := http.MaxBytesReader(w, io.NopCloser(sb), h.cfg.MaxBody)
	source := "http"
	if host := remoteHost(r); host != "" {
		source = "http:" + host
	}
	var scope *Scope
	var admit func(resource, source string) (string, string)
	if client.Vendor != "" {
		source = client.Vendor
		scope = &Scope{Vendor: client.Vendor, Owners: owners}
		admit = scope.Admit
	}
	batch := h.pool.Get().(*Batch)
	batch.Reset()
	defer h.pool.Put(batch)

	var ans Answer
	ans.Rejected = []Rejected{}
	p, err := NewParser(body, ParserConfig{Name: "request", Format: format, Source: source, Strings: h.strings, Ranges: h.cfg.Ranges, Admit: admit})
	if err == nil {
		for {
			_, err = p.Next(batch, 1<<30, func(rj Reject) {
				ans.RejectedCount++
				if len(ans.Rejected) < h.cfg.MaxListed {
					ans.Rejected = append(ans.Rejected, Rejected{Line: rj.Line, Error: lineMessage(rj.Err)})
				}
			})
			if err != nil {
				break
			}
		}
		if err == io.EOF {
			err = nil
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		var ce *csvin.Error
		var ces csvin.Errors
		switch {
		case sb.tooSlow:
			h.slowClosed.Add(1)
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestTimeout, fmt.Sprintf("request body too slow: %d bytes in %s (at least %.0f bytes a second after %s, all within %s): nothing of it was kept",
				sb.n, time.Since(sb.start).Round(time.Millisecond), h.cfg.MinRate, h.cfg.BodyGrace, h.cfg.BodyTimeout))
		case errors.As(err, &mbe):
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over the limit of %d bytes: nothing of it was kept; send smaller requests", h.cfg.MaxBody))
		case errors.As(err, &ce), errors.As(err, &ces):
			writeError(w, http.StatusBadRequest, err.Error())
		default:
			writeError(w, http.StatusBadRequest, "read request: "+err.Error())
		}
		return
	}
	if batch.Len() > 0 {
		t, err := h.cfg.Batcher.Add(r.Context(), batch)
		if err == nil {
			var res Result
			res, err = t.Wait(r.Context())
			ans.Accepted, ans.Duplicates, ans.Spooled = res.Accepted, res.Duplicates, res.Spooled
			if scope != nil {
				ans.Unassigned = scope.Unassigned
			}
		}
		if err != nil {
			writeError(w, http.StatusServiceUnavailable, "samples not kept, send them again: "+err.Error())
			return
		}
	}
	if h.cfg.Observe != nil {
		h.cfg.Observe(client.Vendor, ans)
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(ans)
}

func remoteHost(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// lineMessage is an input error without its file and line (the answer gives the line).
func lineMessage(e *csvin.Error) string {
	if e.Column != "" {
		return fmt.Sprintf("column %q: %s", e.Column, e.Msg)
	}
	return e.Msg
}

func writeError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": strings.TrimSpace(msg)})
}
