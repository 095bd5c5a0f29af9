package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// With a token, /metrics answers 401 without it (or with another) and the series with it.
func TestHandlerToken(t *testing.T) {
	m := New(State{SpoolBatches: func() int { return 3 }})
	m.Ingest("V1", "http", 10, 2, 1)
	m.Audit("sign-in-failed")
	srv := httptest.NewServer(m.Handler("s3cret"))
	defer srv.Close()
	for _, tc := range []struct {
		name, auth string
		want       int
	}{{"no token", "", 401}, {"wrong token", "Bearer nope", 401}, {"token", "Bearer s3cret", 200}} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("GET", srv.URL, nil)
			require.NoError(t, err)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			assert.Equal(t, tc.want, resp.StatusCode)
			if tc.want == 200 {
				assert.Contains(t, string(body), `cloudbill_ingest_lines_total{channel="http",result="duplicate",vendor="V1"} 2`)
				assert.Contains(t, string(body), `cloudbill_spool_batches 3`)
				assert.Contains(t, string(body), `cloudbill_signin_failures_total{reason="failed"} 1`)
			} else {
				assert.NotContains(t, string(body), "cloudbill_ingest_lines_total")
			}
		})
	}
}
