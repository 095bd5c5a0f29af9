package memguard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdmit(t *testing.T) {
	g := New(1 << 30)
	live := g.Stats().LiveHeapBytes
	room := g.Stats().ShedAtBytes - live
	require.Positive(t, room)
	r1, ok := g.Admit(room / 2)
	require.True(t, ok)
	_, ok = g.Admit(room/2 + room/4)
	assert.False(t, ok, "the two together would pass the shedding point")
	r1()
	r1() // a second release is harmless
	r2, ok := g.Admit(room/2 + room/4)
	assert.True(t, ok, "released: room again")
	r2()
	assert.Equal(t, int64(0), g.Stats().ReservedBytes)
	assert.Equal(t, int64(1), g.Stats().Shed)

	none := New(0)
	_, ok = none.Admit(1 << 50)
	assert.True(t, ok, "no limit, no shedding")
}

func TestHandler(t *testing.T) {
	g := New(64 << 20)
	var served int
	h := g.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { served++ }), Policy{
		Match:  func(r *http.Request) bool { return r.Method == http.MethodPost },
		Factor: 1, Max: 1 << 30, RetryAfter: 7,
		Refuse: func(w http.ResponseWriter, _ *http.Request, msg string) {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(msg))
		}})
	// a body that alone would pass ¾ of the limit: refused before it is read
	req := httptest.NewRequest("POST", "/v1/samples", strings.NewReader("x"))
	req.ContentLength = 60 << 20
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Equal(t, "7", rec.Header().Get("Retry-After"))
	assert.Contains(t, rec.Body.String(), "near its memory limit (64 MiB)")
	// a small one, and what is not guarded, pass
	for _, req := range []*http.Request{httptest.NewRequest("POST", "/v1/samples", strings.NewReader("x")), httptest.NewRequest("GET", "/", nil)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		assert.Equal(t, http.StatusOK, rec.Code)
	}
	assert.Equal(t, 2, served)
}
