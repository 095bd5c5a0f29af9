package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	yaml "go.yaml.in/yaml/v3"
)

// fullConfig writes testdata/config/full.yaml (every key set) into a fresh directory with
// the files it names, and returns its path.
func fullConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	b, err := os.ReadFile(filepath.Join("testdata", "config", "full.yaml"))
	require.NoError(t, err)
	path := filepath.Join(dir, "cloudbill.yaml")
	require.NoError(t, os.WriteFile(path, bytes.ReplaceAll(b, []byte("@DIR@"), []byte(dir)), 0o644))
	for name, body := range map[string]string{
		"clickhouse.password": "s3cret\n",
		"metrics.token":       "scrape-me\n",
		"webhook.credentials": "mcm:hook-secret\n",
		"tls.crt":             "-----BEGIN CERTIFICATE-----\n",
		"tls.key":             "-----BEGIN EC PRIVATE KEY-----\n",
		"V1.yaml": `vendor: V1
prometheus: {url: "http://127.0.0.1:1", timeout: 2s}
start: 2026-11-30T00:00:00+08:00
mappings:
  - {metric: cpu_util, query: "avg_over_time(vm_cpu_util[$window])", resource_label: instance_id, window: 1h}
`,
	} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600))
	}
	return path
}

// configKeys are the keys the file may set: serve's flags (but --config) and the global
// flags.
func configKeys() []string {
	var keys []string
	fs := newFlagSet("serve")
	(&serveParams{}).addFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		if f.Name != "config" {
			keys = append(keys, f.Name)
		}
	})
	g := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	(&app{}).globalFlags(g)
	g.VisitAll(func(f *flag.Flag) { keys = append(keys, f.Name) })
	sort.Strings(keys)
	return keys
}

// loadServe parses serve's command line as the frame does (global flags, then serve's)
// and completes it with load, without serving.
func loadServe(t *testing.T, args ...string) (*app, *serveParams, string, error) {
	t.Helper()
	var stderr bytes.Buffer
	a := &app{stdout: &bytes.Buffer{}, stderr: &stderr, now: time.Now}
	g := flag.NewFlagSet("cloudbill", flag.ContinueOnError)
	g.SetOutput(&stderr)
	a.globalFlags(g)
	require.NoError(t, g.Parse(args))
	a.globalsSet = map[string]bool{}
	g.Visit(func(f *flag.Flag) { a.globalsSet[f.Name] = true })
	require.Equal(t, "serve", g.Arg(0))
	fs := newFlagSet("serve")
	p := &serveParams{}
	p.addFlags(fs)
	_, err := fs.parseInterspersed(g.Args()[1:])
	require.NoError(t, err)
	err = p.load(a, fs)
	return a, p, stderr.String(), err
}

// The file with every key set is accepted by config check and by serve --config, and sets
// what it says; a flag on the command line overrides its key.
func TestConfigEveryKey(t *testing.T) {
	t.Setenv("CLOUDBILL_CLICKHOUSE", "")
	t.Setenv("CLOUDBILL_CLUSTER", "")
	path := fullConfig(t)

	var doc map[string]any
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, yaml.Unmarshal(b, &doc))
	var inFile []string
	for k := range doc {
		inFile = append(inFile, k)
	}
	sort.Strings(inFile)
	assert.Equal(t, configKeys(), inFile, "testdata/config/full.yaml sets every key (a new flag of serve is a new key: add it there and to docs/configuration.md)")

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"config", "check", path}, &stdout, &stderr), stderr.String())
	assert.Contains(t, stdout.String(), fmt.Sprintf("good (%d keys)", len(configKeys())))

	a, p, _, err := loadServe(t, "serve", "--config", path)
	require.NoError(t, err)
	dir := filepath.Dir(path)
	assert.Equal(t, "clickhouse://cloudbill@127.0.0.1:9000/cloudbill?compress=lz4", a.dsn)
	assert.Equal(t, filepath.Join(dir, "var"), a.dataDir)
	pw, err := a.clickhousePassword()
	require.NoError(t, err)
	assert.Equal(t, "s3cret", pw)
	assert.Equal(t, "0.0.0.0:8443", p.Listen)
	assert.Equal(t, int64(33554432), p.MaxBody)
	assert.Equal(t, int64(2048), p.MemoryLimit)
	assert.Equal(t, 50000, p.BatchRows)
	assert.Equal(t, 500*time.Millisecond, p.Flush)
	assert.Equal(t, "30 3 * * *", p.Schedule.rate)
	assert.Equal(t, 150.5, p.RateLimit)
	assert.Equal(t, 4, p.PerToken)
	assert.Equal(t, 300.0, p.VendorRateLimit)
	assert.Equal(t, 6, p.PerVendor)
	assert.True(t, p.DropMarker)
	assert.Equal(t, 5*time.Minute, p.Idle.interval)
	assert.Equal(t, []string{filepath.Join(dir, "V1.yaml")}, []string(p.CollectConfigs))
	_, hi := p.Ranges.Bounds("net_out_gb")
	assert.Equal(t, 5000.0, hi)

	t.Run("flags override the file", func(t *testing.T) {
		a, p, _, err := loadServe(t, "--data-dir", "/srv/x", "serve", "--batch", "7", "--config", path, "--listen", "127.0.0.1:9")
		require.NoError(t, err)
		assert.Equal(t, "/srv/x", a.dataDir)
		assert.Equal(t, 7, p.BatchRows)
		assert.Equal(t, "127.0.0.1:9", p.Listen)
		assert.Equal(t, 500*time.Millisecond, p.Flush, "a key no flag overrides still comes from the file")
	})
	t.Run("the environment overrides clickhouse", func(t *testing.T) {
		t.Setenv("CLOUDBILL_CLICKHOUSE", "clickhouse://10.0.0.9:9000/other")
		a, _, _, err := loadServe(t, "serve", "--config", path)
		require.NoError(t, err)
		assert.Equal(t, "clickhouse://10.0.0.9:9000/other", a.dsn)
	})
}

// Each wrong value is refused with its file, line and key; serve --config refuses the
// same file before it starts anything.
func TestConfigRefused(t *testing.T) {
	t.Setenv("CLOUDBILL_METRICS_TOKEN", "")
	t.Setenv("CLOUDBILL_CLICKHOUSE", "")
	t.Setenv("CLOUDBILL_CLUSTER", "")
	good := fullConfig(t)
	base, err := os.ReadFile(good)
	require.NoError(t, err)
	tests := []struct {
		name string
		line string // replaces the line of its key (or is appended when the key is new)
		want string // the message after "FILE:LINE: "
	}{
		{"unknown key", "frobnicate: 3", "frobnicate: unknown key"},
		{"misspelt key", "batch-size: 3", "batch-size: unknown key"},
		{"text for a number", `batch: "many"`, `batch: want a whole number, got text "many"`},
		{"fraction for a whole number", "per-token: 2.5", `per-token: want a whole number, got a number "2.5"`},
		{"word for a bool", "drop-marker: yes", `drop-marker: want true or false, got text "yes"`},
		{"bare number for a duration", "flush: 200", "flush: want a duration with its unit"},
		{"bad duration", "drop-every: soon", `drop-every: "soon" is not a duration`},
		{"list for a value", "listen: [a, b]", "listen: want a string, got a list"},
		{"mapping for a value", "listen: {host: a}", "listen: want a value or a list of values, not a mapping"},
		{"bad cron spec", `close-schedule: "0 2 31 2 *"`, `close-schedule: cron spec "0 2 31 2 *" never fires`},
		{"bad interval", "idle-interval: 7m", "idle-interval: 7m0s: want whole seconds that divide a day"},
		{"bad webhook", "idle-webhook: ftp://x/y", `idle-webhook: webhook URL "ftp://x/y": want http(s)://host/path`},
		{"bad metric ceiling", "metric-max: [cpu_util=lots]", `metric-max: "cpu_util=lots"`},
		{"password in the DSN", "clickhouse: clickhouse://cloudbill:hunter2@db:9000/cloudbill", "clickhouse: a secret given inline"},
		{"credentials in the webhook", "idle-webhook: https://u:p@mcm.example/h", "idle-webhook: a secret given inline"},
		{"a password key", "clickhouse-password: hunter2", "clickhouse-password: a secret given inline"},
		{"a token key", "metrics-token: abc", "metrics-token: a secret given inline"},
		{"key twice", "+batch: 6", "batch: set twice (first on line 15)"},
		{"plain HTTP beyond loopback", "tls-cert: \"\"\ntls-key: \"\"", "listen: listen address 0.0.0.0:8443: refusing to listen without TLS beyond loopback"},
		{"no-auth beyond loopback", "no-auth: true", "no-auth: only with a loopback listen address"},
		{"missing password file", "clickhouse-password-file: /nonexistent/pw", "clickhouse-password-file: open /nonexistent/pw: no such file or directory"},
		{"cluster without clickhouse", "clickhouse: \"\"\ncluster: c1", "cluster: needs clickhouse"},
		{"missing token file", "metrics-token-file: /nonexistent/token", "metrics-token-file: open /nonexistent/token"},
		{"metrics beyond loopback, plain, no token", "listen: 127.0.0.1:8080\ntls-cert: \"\"\ntls-key: \"\"\nmetrics-token-file: \"\"\nmetrics-listen: 0.0.0.0:9464",
			"metrics-listen: 0.0.0.0:9464: refusing to serve /metrics beyond loopback without TLS or a token"},
		{"metrics on the main listener beyond loopback, no token", "metrics-token-file: \"\"",
			"metrics-on-listen: with listen 0.0.0.0:8443: refusing to serve /metrics beyond loopback without TLS or a token: give a token"},
		{"no backup kept", "backup-keep: 0", "backup-keep: 0: keep at least one"},
		{"bad backup samples", "backup-samples: 2026", `backup-samples: samples "2026": want all, none, YYYY-MM or YYYY-MM..YYYY-MM`},
		{"bad log format", "log-format: xml", `log-format: "xml": want text or json`},
		{"retired rules flag", "rules: rules.yaml", "rules: no longer taken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text, line := withLine(t, string(base), tc.line, tc.want)
			path := filepath.Join(t.TempDir(), "bad.yaml")
			require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
			want := fmt.Sprintf("%s:%d: %s", path, line, tc.want)

			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"config", "check", path}, &stdout, &stderr)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err))
			assert.Contains(t, stderr.String(), want)

			_, _, serveErr, err := loadServe(t, "serve", "--config", path)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err))
			assert.Contains(t, serveErr, want)
		})
	}
	t.Run("not YAML", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.yaml")
		require.NoError(t, os.WriteFile(path, []byte("listen: 127.0.0.1:1\nbatch: [1,\n"), 0o644))
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), []string{"config", "check", path}, &stdout, &stderr)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, stderr.String(), path+":")
		assert.Contains(t, stderr.String(), "not YAML")
	})
}

// withLine puts repl into text in place of the line(s) of its key(s), or at the end (a
// line starting with "+" is added even when its key is there), and
// returns the text and the line of the key that want names.
func withLine(t *testing.T, text, repl, want string) (string, int) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for _, r := range strings.Split(repl, "\n") {
		add := strings.HasPrefix(r, "+") // a second line of its key
		r = strings.TrimPrefix(r, "+")
		key, _, _ := strings.Cut(r, ":")
		replaced := false
		for i, l := range lines {
			if strings.HasPrefix(l, key+":") && !add {
				lines[i] = r
				// a list's items go with their key
				for i+1 < len(lines) && strings.HasPrefix(lines[i+1], "  - ") {
					lines = append(lines[:i+1], lines[i+2:]...)
				}
				replaced = true
				break
			}
		}
		if !replaced {
			lines = append(lines, r)
		}
	}
	wantKey, _, _ := strings.Cut(want, ":")
	line := 0
	for i, l := range lines {
		if strings.HasPrefix(l, wantKey+":") {
			line = i + 1 // the last line of the key: where a second one is reported
		}
	}
	require.NotZero(t, line, "no line of %s", wantKey)
	return strings.Join(lines, "\n") + "\n", line
}

// docs/configuration.md explains every key.
func TestConfigDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "configuration.md"))
	require.NoError(t, err)
	for _, k := range configKeys() {
		assert.Contains(t, string(b), "| `"+k+"` |", "docs/configuration.md: add a row for the key %s", k)
	}
}
