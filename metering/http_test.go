package metering

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHandler(t *testing.T) {
	sink := newMemSink()
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxDelay: 5 * time.Millisecond})
	require.NoError(t, err)
	defer b.Close(context.Background())
	h, err := NewHandler(HandlerConfig{Batcher: b, MaxBody: 4096})
	require.NoError(t, err)
	good := `{"resource_id":"vm-1","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n"
	cases := []struct {
		name        string
		method      string
		contentType string
		body        string
		code        int
		err         string // the error of a refused request
		accepted    int
		rejected    []Rejected
	}{
		{name: "ndjson with bad lines", contentType: "application/x-ndjson",
			body: good + `{"resource_id":"vm-2","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":"NaN"}` + "\n" +
				`{"resource_id":"vm-3","metric":"cpu","ts":"2026-11-31T00:00:00Z","value":3}` + "\n" +
				`{"resource_id":"vm-4","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":4}` + "\n" + `{"resource_id":"vm-5"`,
			code: 200, accepted: 2, rejected: []Rejected{
				{Line: 2, Error: `column "value": "NaN": value is not a finite number`},
				{Line: 3, Error: `column "ts": "2026-11-31T00:00:00Z": timestamp is not a valid date and time`},
				{Line: 5, Error: `malformed JSON: the line ends where ',' or '}' was expected (truncated?)`}}},
		{name: "csv with charset", contentType: "text/csv; charset=utf-8",
			body: "resource_id,metric,ts,value\nvm-1,cpu,2026-11-01T00:00:00Z,1\nvm-2,cpu,2026-11-01T00:00:00Z,\n",
			code: 200, accepted: 1, rejected: []Rejected{{Line: 3, Error: `column "value": is empty`}}},
		{name: "csv unknown column", contentType: "text/csv",
			body: "resource_id,metric,ts,value,owner\nvm-1,cpu,2026-11-01T00:00:00Z,1,x\n",
			code: 400, err: `request:1: column "owner": unknown column`},
		{name: "empty body", contentType: "application/x-ndjson", body: "",
			code: 400, err: `request: file is empty`},
		{name: "wrong content type", contentType: "application/json", body: good,
			code: 415, err: `content type "application/json" is not taken: send application/x-ndjson or text/csv`},
		{name: "no content type", body: good,
			code: 415, err: `content type "" is not taken`},
		{name: "too large", contentType: "application/x-ndjson", body: strings.Repeat(good, 100),
			code: 413, err: `is over the limit of 4096 bytes`},
		{name: "GET", method: "GET", code: 405, err: "use POST"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := sink.count()
			method := c.method
			if method == "" {
				method = "POST"
			}
			req := httptest.NewRequest(method, "/v1/samples", strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			if c.name == "too large" {
				req.ContentLength = -1 // streamed: the limit is found while reading
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			require.Equal(t, c.code, rec.Code, rec.Body.String())
			if c.code != http.StatusOK {
				var e map[string]string
				require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
				assert.Contains(t, e["error"], c.err)
				assert.Equal(t, before, sink.count(), "nothing of a refused request kept")
				return
			}
			var a Answer
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a))
			assert.Equal(t, c.accepted, a.Accepted)
			assert.Equal(t, c.rejected, a.Rejected)
			assert.Equal(t, len(c.rejected), a.RejectedCount)
		})
	}
	_, ok := sink.value("vm-4", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix())
	assert.True(t, ok, "valid lines of a request with bad ones are stored")
}

func TestHandlerDeclaredTooLarge(t *testing.T) {
	b, err := NewBatcher(BatcherConfig{Sink: newMemSink()})
	require.NoError(t, err)
	defer b.Close(context.Background())
	h, err := NewHandler(HandlerConfig{Batcher: b, MaxBody: 10})
	require.NoError(t, err)
	req := httptest.NewRequest("POST", "/v1/samples", strings.NewReader(strings.Repeat("x", 11)))
	req.Header.Set("Content-Type", "text/csv")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusRequestEntityTooLarge, rec.Code)
	assert.Contains(t, rec.Body.String(), "request body of 11 bytes is over the limit of 10 bytes")
}

func TestHandler503WhenNotDurable(t *testing.T) {
	sink := newMemSink()
	sink.setDown(true)
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxDelay: time.Millisecond}) // no spool
	require.NoError(t, err)
	defer b.Close(context.Background())
	h, err := NewHandler(HandlerConfig{Batcher: b})
	require.NoError(t, err)
	req := httptest.NewRequest("POST", "/v1/samples", strings.NewReader("resource_id,metric,ts,value\nvm-1,cpu,2026-11-01T00:00:00Z,1\n"))
	req.Header.Set("Content-Type", "text/csv")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	assert.Equal(t, http.StatusServiceUnavailable, rec.Code)
	assert.Contains(t, rec.Body.String(), "samples not kept, send them again")
}

func TestStringsShared(t *testing.T) {
	s := NewStrings()
	done := make(chan []string)
	for g := 0; g < 4; g++ {
		go func() {
			var got []string
			for i := 0; i < 1000; i++ {
				got = append(got, s.get([]byte(fmt.Sprintf("vm-%d", i%50))))
			}
			done <- got
		}()
	}
	first := <-done
	for g := 1; g < 4; g++ {
		other := <-done
		for i := range other {
			require.Equal(t, first[i], other[i])
			assert.True(t, unsafe.StringData(first[i]) == unsafe.StringData(other[i]), "one string for equal strings")
		}
	}
}
