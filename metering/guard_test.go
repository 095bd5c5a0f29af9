package metering

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenAuth is a stand-in for the access service: "Bearer <id>:<vendor>".
func tokenAuth(r *http.Request) (Client, error) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	id, vendor, ok2 := strings.Cut(tok, ":")
	if !ok || !ok2 || id == "" {
		return Client{}, ErrUnauthenticated
	}
	return Client{ID: id, Vendor: vendor}, nil
}

// srcSink keeps the sources of what it stores too.
type srcSink struct {
	*memSink
	mu      sync.Mutex
	sources []string
}

func (s *srcSink) InsertSamples(ctx context.Context, b *Batch) error {
	if err := s.memSink.InsertSamples(ctx, b); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sources = append(s.sources, b.Source...)
	return nil
}

func guardServer(t *testing.T, cfg HandlerConfig) (*httptest.Server, *Handler, *srcSink) {
	t.Helper()
	sink := &srcSink{memSink: newMemSink()}
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxDelay: 5 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	cfg.Batcher = b
	h, err := NewHandler(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, h, sink
}

func post(t *testing.T, url, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-ndjson")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var ans map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&ans))
	return resp, ans
}

const oneSample = `{"resource_id":"vm-1","metric":"cpu_util","ts":"2026-11-01T00:00:00Z","value":1}` + "\n"

// slowSender opens a connection and sends a request whose body trickles one byte every
// interval until the server answers or closes; it returns the status line read (or the
// error).
func slowSender(addr, token string, interval time.Duration, stop <-chan struct{}) (string, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer c.Close()
	body := strings.Repeat(oneSample, 10)
	fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nAuthorization: Bearer %s\r\nContent-Length: %d\r\n\r\n", token, len(body))
	status := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(c).ReadString('\n')
		status <- strings.TrimSpace(line)
	}()
	for i := 0; i < len(body); i++ {
		select {
		case s := <-status:
			return s, nil
		case <-stop:
			return "stopped", nil
		case <-time.After(interval):
		}
		if _, err := c.Write([]byte{body[i]}); err != nil {
			return <-status, nil
		}
	}
	return <-status, nil
}

// Slow bodies (finding 5): senders of one byte every 100 ms hold every slot; a
// normal sender waits (saturation shows), then the slow ones are cut off (408) once
// their rate stays under the minimum past the grace period, and the normal request is
// answered. A sender with more slow connections than its per-token limit gets 429 for
// the rest. Bounded: 6 connections, a 2 s grace, stopped by itself.
func TestSlowBodiesAreCutOffAndDoNotStarveOthers(t *testing.T) {
	srv, h, sink := guardServer(t, HandlerConfig{Authenticate: tokenAuth, MaxConcurrent: 3, PerClient: 2,
		MinRate: 512, BodyGrace: 2 * time.Second, BodyTimeout: 10 * time.Second})
	addr := srv.Listener.Addr().String()
	stop := make(chan struct{})
	defer close(stop)
	var wg sync.WaitGroup
	statuses := make([]string, 5)
	// tokens a and b (of vendors of their own: the per-vendor limit is tested below): two
	// slow connections each (a's third one is over its limit)
	for i, tok := range []string{"a:V1", "a:V1", "b:V2", "b:V2", "a:V1"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := slowSender(addr, tok, 100*time.Millisecond, stop)
			if err != nil {
				s = err.Error()
			}
			statuses[i] = s
		}()
		if i == 3 {
			require.Eventually(t, func() bool { return h.Saturation().InProgress == 3 }, 5*time.Second, 5*time.Millisecond, "slow senders hold every slot")
		}
	}
	require.Eventually(t, func() bool { return h.Saturation().Waiting >= 1 }, 5*time.Second, 5*time.Millisecond)

	answered := make(chan int, 1)
	go func() {
		resp, _ := post(t, srv.URL, "c:V3", oneSample)
		answered <- resp.StatusCode
	}()
	require.Eventually(t, func() bool { return h.Saturation().Saturated }, 5*time.Second, 5*time.Millisecond, "saturation reported")
	select {
	case code := <-answered:
		assert.Equal(t, http.StatusOK, code)
	case <-time.After(20 * time.Second):
		t.Fatal("the normal request was never answered")
	}
	wg.Wait()
	var cut, refused int
	for _, s := range statuses {
		switch s {
		case "HTTP/1.1 408 Request Timeout":
			cut++
		case "HTTP/1.1 429 Too Many Requests":
			refused++
		default:
			t.Errorf("slow sender got %q", s)
		}
	}
	assert.Equal(t, 4, cut, "every slow body cut off")
	assert.Equal(t, 1, refused, "token a's third connection over its per-token limit")
	st := h.Saturation()
	assert.Equal(t, int64(4), st.SlowClosed)
	assert.False(t, st.Saturated)
	assert.Equal(t, 1, sink.count(), "only the normal sample stored")
}

// TestVendorSharePerVendor: one vendor with two tokens cannot hold the slots of the
// others. V1's tokens a and b open three slow connections each (per token 3 of 6 slots
// would let them hold all 6): V1 holds 3 in all (its per-vendor limit), the other three
// are refused at once (429), and a request of a third vendor is answered promptly while
// V1's slow bodies are still being read. The vendor's rate counts all its tokens.
func TestVendorSharePerVendor(t *testing.T) {
	srv, h, _ := guardServer(t, HandlerConfig{Authenticate: tokenAuth, MaxConcurrent: 6, PerClient: 3, PerVendor: 3,
		MinRate: 1, BodyGrace: time.Minute, BodyTimeout: time.Minute})
	addr := srv.Listener.Addr().String()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	statuses := make(chan string, 6)
	for _, tok := range []string{"a:V1", "a:V1", "a:V1", "b:V1", "b:V1", "b:V1"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := slowSender(addr, tok, 200*time.Millisecond, stop)
			if err != nil {
				s = err.Error()
			}
			statuses <- s
		}()
	}
	refused := 0
	for refused < 3 {
		select {
		case s := <-statuses:
			require.Equal(t, "HTTP/1.1 429 Too Many Requests", s, "over V1's share")
			refused++
		case <-time.After(10 * time.Second):
			t.Fatalf("V1's connections over its share were not refused (%d refused, %+v)", refused, h.Saturation())
		}
	}
	require.Eventually(t, func() bool { return h.Saturation().InProgress == 3 }, 5*time.Second, 5*time.Millisecond, "V1 holds its share")

	start := time.Now()
	resp, ans := post(t, srv.URL, "c:V3", oneSample)
	took := time.Since(start)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%v", ans)
	// Not served, it would wait for V1's bodies, which never end before stop: the bound
	// only separates "at once" from "never" and is generous for a loaded machine.
	assert.Less(t, took, 30*time.Second, "the third vendor is served promptly")
	assert.Equal(t, 3, h.Saturation().InProgress, "V1's slow bodies still held: the answer did not wait for them")
	close(stop)
	wg.Wait()

	// the rate: two tokens of one vendor share its budget
	srv2, _, _ := guardServer(t, HandlerConfig{Authenticate: tokenAuth, RatePerClient: 0.01, RateBurst: 2})
	for _, tok := range []string{"a:V1", "b:V1"} {
		resp, _ := post(t, srv2.URL, tok, oneSample)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, ans = post(t, srv2.URL, "d:V1", oneSample)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "a third token of V1 finds V1's budget spent")
	assert.Contains(t, ans["error"], "for vendor V1 (all its tokens together)")
	resp, _ = post(t, srv2.URL, "e:V2", oneSample)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another vendor has its own budget")
}

func TestRateLimitPerToken(t *testing.T) {
	srv, h, _ := guardServer(t, HandlerConfig{Authenticate: tokenAuth, RatePerClient: 0.01, RateBurst: 2})
	for i := 0; i < 2; i++ {
		resp, _ := post(t, srv.URL, "a:V1", oneSample)
		require.Equal(t, http.StatusOK, resp.StatusCode)
	}
	resp, ans := post(t, srv.URL, "a:V1", oneSample)
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	ra, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, ra, 90, "a token every 100 s")
	assert.LessOrEqual(t, ra, 100)
	assert.Contains(t, ans["error"], "over the rate limit of 0.01 requests a second")
	resp, _ = post(t, srv.URL, "b:V2", oneSample)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another token (of another vendor) has its own budget")
	assert.Equal(t, int64(1), h.Saturation().Throttled)
}

func TestVendorScopeOfLines(t *testing.T) {
	owners := func(context.Context) (Owners, error) {
		return Owners{"vm-1": {"V1"}, "vm-2": {"V2"}, "vm-shared": {"V2", "V1"}}, nil
	}
	srv, _, sink := guardServer(t, HandlerConfig{Authenticate: tokenAuth, Owners: owners})

	resp, ans := post(t, srv.URL, "", oneSample)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer realm="cloudbill samples"`, resp.Header.Get("WWW-Authenticate"))
	assert.Contains(t, ans["error"], "a valid collector token is required")
	assert.Zero(t, sink.count())

	body := `{"resource_id":"vm-1","metric":"cpu_util","ts":"2026-11-01T00:00:00Z","value":1}
{"resource_id":"vm-2","metric":"cpu_util","ts":"2026-11-01T00:00:00Z","value":2}
{"resource_id":"vm-1","metric":"cpu_util","ts":"2026-11-01T00:05:00Z","value":3,"source":"V2"}
{"resource_id":"vm-new","metric":"cpu_util","ts":"2026-11-01T00:00:00Z","value":4,"source":"V1"}
{"resource_id":"vm-shared","metric":"cpu_util","ts":"2026-11-01T00:00:00Z","value":5}
`
	resp, ans = post(t, srv.URL, "tok1:V1", body)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 3.0, ans["accepted"])
	assert.Equal(t, 1.0, ans["unassigned"])
	assert.Equal(t, []any{
		map[string]any{"line": 2.0, "error": `column "resource_id": resource "vm-2" belongs to a work order of vendor V2, not V1`},
		map[string]any{"line": 3.0, "error": `column "source": "V2" names another vendor than the token's (V1)`},
	}, ans["rejected"])
	assert.Equal(t, []string{"V1", "V1", "V1"}, sink.sources, "a line without source is the token's vendor's")
}
