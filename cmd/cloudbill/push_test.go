package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lastLine is the last line of a command's output (where a token is printed).
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func pushSamples(t *testing.T, url, token, body string) (int, http.Header, map[string]any) {
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
	return resp.StatusCode, resp.Header, ans
}

// Authenticated push: collector tokens of a vendor (tokens create|list|revoke), 401
// without a valid one, lines of another vendor refused with the reason, unassigned
// resources counted, 429 over the per-token rate.
func TestAuthenticatedPush(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true) // V1 orders ecs-001, ecs-777; V2 eip-9, disk-4
	now := time.Now()

	out, _, err := at(t, dsn, now, "tokens", "create", "--vendor", "V1")
	require.NoError(t, err)
	v1 := lastLine(out)
	assert.True(t, strings.HasPrefix(v1, "cbc_") || len(v1) > 30, "the token alone on the last line: %q", v1)
	_, _, err = at(t, dsn, now, "tokens", "create", "--vendor", "V9")
	require.Error(t, err)
	assert.Equal(t, exitBadInput, exitCode(err))
	out, _, err = at(t, dsn, now.Add(-2*time.Hour), "tokens", "create", "--vendor", "V1", "--expires", "1h")
	require.NoError(t, err)
	expired := lastLine(out)
	out, _, err = at(t, dsn, now, "tokens", "create", "--vendor", "V2")
	require.NoError(t, err)
	revoked := lastLine(out)

	out, _, err = at(t, dsn, now, "tokens", "list")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3)
	assert.Contains(t, lines[0], "expired", "oldest first: created two hours ago")
	var revokedID string
	for _, l := range lines {
		if strings.Contains(l, "vendor V2") {
			revokedID = strings.Fields(l)[0]
		}
	}
	require.NotEmpty(t, revokedID)
	_, _, err = at(t, dsn, now, "tokens", "revoke", revokedID)
	require.NoError(t, err)
	out, _, err = at(t, dsn, now, "tokens", "list")
	require.NoError(t, err)
	assert.Contains(t, out, revokedID+"  collector  vendor V2  revoked")

	t.Run("--no-auth only on loopback", func(t *testing.T) {
		var o, e bytes.Buffer
		err := run(context.Background(), []string{"--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--no-auth", "--listen", "0.0.0.0:0", "--behind-tls-proxy"}, &o, &e)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "--no-auth only with a loopback --listen address")
	})

	addr := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan error, 1)
	var sout, serr bytes.Buffer
	go func() {
		exited <- run(ctx, []string{"--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--listen", addr, "--flush", "20ms",
			"--close-schedule", "off", "--rate-schedule", "off", "--rate-limit", "0.01"}, &sout, &syncWriter{w: &serr})
	}()
	defer func() {
		cancel()
		<-exited
	}()
	waitHealthy(t, addr, exited)
	url := "http://" + addr + "/v1/samples"
	line := func(res, source string) string {
		s := `{"resource_id":"` + res + `","metric":"cpu_util","ts":"2026-11-05T00:00:00+08:00","value":12.5`
		if source != "" {
			s += `,"source":"` + source + `"`
		}
		return s + "}\n"
	}

	for _, c := range []struct{ name, token string }{{"no token", ""}, {"wrong token", v1[:len(v1)-2] + "xx"}, {"garbage", "hello"},
		{"expired", expired}, {"revoked", revoked}} {
		code, hdr, ans := pushSamples(t, url, c.token, line("ecs-001", ""))
		assert.Equal(t, http.StatusUnauthorized, code, c.name)
		assert.Contains(t, hdr.Get("WWW-Authenticate"), "Bearer", c.name)
		assert.Contains(t, ans["error"], "a valid collector token is required", c.name)
	}

	code, _, ans := pushSamples(t, url, v1, line("ecs-001", "")+line("eip-9", "")+line("ecs-777", "V2")+line("trial-42", "V1")+line("ecs-777", "V1"))
	require.Equal(t, http.StatusOK, code, "%v", ans)
	assert.Equal(t, 3.0, ans["accepted"])
	assert.Equal(t, 1.0, ans["unassigned"])
	assert.Equal(t, []any{
		map[string]any{"line": 2.0, "error": `column "resource_id": resource "eip-9" belongs to a work order of vendor V2, not V1`},
		map[string]any{"line": 3.0, "error": `column "source": "V2" names another vendor than the token's (V1)`},
	}, ans["rejected"])

	// --rate-limit 0.01: a burst of 1, which the request above spent
	code, hdr, ans := pushSamples(t, url, v1, line("ecs-001", ""))
	assert.Equal(t, http.StatusTooManyRequests, code)
	assert.NotEmpty(t, hdr.Get("Retry-After"))
	assert.Contains(t, ans["error"], "over the rate limit")

	resp, err := http.Get("http://" + addr + "/healthz")
	require.NoError(t, err)
	var health map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&health))
	resp.Body.Close()
	ingest, _ := health["ingest"].(map[string]any)
	require.NotNil(t, ingest, "%v", health)
	assert.Equal(t, false, ingest["saturated"])
	assert.Equal(t, 16.0, ingest["slots"])
	assert.Equal(t, 1.0, ingest["throttled"])
}
