package pull

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Hostile input: a vendor's Prometheus answered a 10 MB error string (1.6 GB of the
// collector's memory, stored in every window's row). An answer is read within bounds:
// its size in all (prometheus.max_answer_mib), each string, and the error and warning
// texts kept are cut to a few KB. (The whole command's peak memory is asserted in
// cmd/cloudbill, TestHostileInputRound2/F3.)
func TestPromAnswerBounds(t *testing.T) {
	answer := func(status int, body string) *promClient {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		return &promClient{ep: Endpoint{URL: srv.URL, Timeout: time.Minute, MaxAnswer: 4 << 20}, http: srv.Client()}
	}
	ask := func(c *promClient) ([]promSeries, []string, error) {
		t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		return c.queryRange(context.Background(), "up[1h]", t0, t0.Add(time.Hour), time.Hour)
	}

	t.Run("an error text is cut to a few KB", func(t *testing.T) {
		_, _, err := ask(answer(422, `{"status":"error","errorType":"bad_data","error":"`+strings.Repeat("é", 200_000)+`"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "prometheus answered 422 Unprocessable Entity: bad_data: éé")
		assert.Contains(t, err.Error(), "bytes more, cut)")
		assert.Less(t, len(err.Error()), 3<<10)
	})
	t.Run("a string past the bound is refused while it is read", func(t *testing.T) {
		_, _, err := ask(answer(400, `{"status":"error","errorType":"bad_data","error":"`+strings.Repeat("x", 2<<20)+`"}`))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "prometheus answered 400 Bad Request, refused: a string of more than 1024 KiB in the answer")
	})
	t.Run("an answer past max_answer_mib is refused", func(t *testing.T) {
		var b strings.Builder
		b.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
		for i := 0; b.Len() < 5<<20; i++ {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `{"metric":{"instance_id":"vm-%d"},"values":[[1761955200,"1"]]}`, i)
		}
		b.WriteString(`]}}`)
		_, _, err := ask(answer(200, b.String()))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "the answer is larger than 4 MiB (prometheus.max_answer_mib")
	})
	t.Run("warnings: at most five, each cut", func(t *testing.T) {
		w := `"` + strings.Repeat("w", 100_000) + `"`
		_, warnings, err := ask(answer(200, `{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":[`+strings.Repeat(w+",", 9)+w+`]}`))
		require.NoError(t, err)
		require.Len(t, warnings, 6)
		for _, s := range warnings[:5] {
			assert.Less(t, len(s), 3<<10)
		}
		assert.Equal(t, "… and 5 more warnings", warnings[5])
	})
	t.Run("a normal answer is read", func(t *testing.T) {
		series, _, err := ask(answer(200, `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance_id":"vm-1"},"values":[[1761955200,"1.5"]]}]}}`))
		require.NoError(t, err)
		require.Len(t, series, 1)
		assert.Equal(t, 1.5, series[0].Values[0].V)
	})
}

func TestConfigMaxAnswer(t *testing.T) {
	const base = "vendor: V1\nprometheus: {url: \"http://127.0.0.1:9090\"%s}\nstart: 2026-11-01\nmappings: [{metric: cpu_util, query: 'avg_over_time(x[$window])', resource_label: id, window: 1h}]\n"
	cfg, err := ParseConfig("c.yaml", fmt.Appendf(nil, base, ""))
	require.NoError(t, err)
	assert.Equal(t, int64(DefaultMaxAnswer), cfg.Prometheus.MaxAnswer)
	cfg, err = ParseConfig("c.yaml", fmt.Appendf(nil, base, ", max_answer_mib: 16"))
	require.NoError(t, err)
	assert.Equal(t, int64(16<<20), cfg.Prometheus.MaxAnswer)
	_, err = ParseConfig("c.yaml", fmt.Appendf(nil, base, ", max_answer_mib: 4096"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `c.yaml:2: prometheus.max_answer_mib: "4096": want a whole number of MiB, 1 to 1024`)
}
