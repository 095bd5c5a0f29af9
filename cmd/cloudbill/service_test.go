package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deploy/systemd/cloudbill.service passes systemd-analyze verify without a warning, runs
// as its own user and is hardened; the configuration it names (deploy/cloudbill.yaml, as
// installed) passes config check.
func TestSystemdUnit(t *testing.T) {
	unit, err := os.ReadFile(filepath.Join("..", "..", "deploy", "systemd", "cloudbill.service"))
	require.NoError(t, err)
	for _, want := range []string{"User=cloudbill", "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes",
		"ReadWritePaths=/var/lib/cloudbill /var/log/cloudbill -/var/backups/cloudbill", "ExecReload=/bin/kill -HUP $MAINPID",
		"ExecStart=/usr/local/bin/cloudbill serve --config /etc/cloudbill/cloudbill.yaml", "SystemCallFilter=@system-service"} {
		assert.Contains(t, string(unit), want+"\n")
	}
	analyze, err := exec.LookPath("systemd-analyze")
	require.NoError(t, err, "systemd-analyze (Debian package systemd; scripts/deps.sh test installs it)")
	// verify checks that the executables exist: point them at this test binary
	self, err := os.Executable()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "cloudbill.service")
	require.NoError(t, os.WriteFile(path, bytes.ReplaceAll(unit, []byte("/usr/local/bin/cloudbill"), []byte(self)), 0o644))
	out, err := exec.Command(analyze, "verify", "--man=no", path).CombinedOutput()
	require.NoError(t, err, string(out))
	assert.Empty(t, strings.TrimSpace(string(out)), "systemd-analyze verify has no warning")

	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"config", "check", filepath.Join("..", "..", "deploy", "cloudbill.yaml")}, &stdout, &stderr), stderr.String())
}

// serve --log-format json --log-file F: every line of F is a JSON object; after the file
// is moved away (logrotate), SIGHUP makes serve write to a new F.
func TestServeLogFileJSONAndSIGHUP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	dsn, _ := freshDB(t, meteringServer(t))
	logPath := filepath.Join(t.TempDir(), "cloudbill.log")
	listen := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		exited <- run(ctx, []string{"--clickhouse", dsn, "--data-dir", t.TempDir(), "serve", "--no-auth", "--listen", listen,
			"--close-schedule", "off", "--rate-schedule", "off", "--idle-schedule", "off", "--idle-follow-schedule", "off",
			"--log-format", "json", "--log-file", logPath}, &out, &out)
	}()
	defer func() {
		cancel()
		<-exited
	}()
	waitHealthy(t, listen, exited)

	jsonLines := func(path string) []map[string]any {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		var lines []map[string]any
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			var m map[string]any
			require.NoError(t, json.Unmarshal(sc.Bytes(), &m), "a JSON line: %s", sc.Text())
			lines = append(lines, m)
		}
		return lines
	}
	first := jsonLines(logPath)
	require.NotEmpty(t, first)
	assert.Contains(t, first[0], "msg")
	assert.Contains(t, first[0], "time")

	require.NoError(t, os.Rename(logPath, logPath+".1"))
	require.NoError(t, syscall.Kill(os.Getpid(), syscall.SIGHUP))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(logPath); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var reopened []map[string]any
	for time.Now().Before(deadline) {
		if reopened = jsonLines(logPath); len(reopened) > 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NotEmpty(t, reopened, "serve writes to the new file after SIGHUP")
	assert.Equal(t, "SIGHUP: log file reopened", reopened[0]["msg"])
	select {
	case err := <-exited:
		t.Fatalf("serve stopped on SIGHUP: %v", err)
	default:
	}
}
