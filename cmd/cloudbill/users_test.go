package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
)

func TestUsersCommands(t *testing.T) {
	dsn := catalogDSN(t)
	fixtures := filepath.Join("..", "..", "sql", "testdata", "catalog")
	fx := func(name string) string { return filepath.Join(fixtures, name) }
	cli := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"--clickhouse", dsn}, args...), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	_, err := cli("org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", fx("vendors.csv"))
	require.NoError(t, err)
	pw := filepath.Join(t.TempDir(), "pw")
	require.NoError(t, os.WriteFile(pw, []byte("a good long password\n"), 0o600))

	out, err := cli("users", "add", "edu", "--role", "department", "--department", "D03", "--password-file", pw)
	require.NoError(t, err, out)
	assert.Contains(t, out, "added edu (department of department D03)")
	out, err = cli("users", "add", "--role", "vendor", "--vendor", "V1", "--password-file", pw, "v1")
	require.NoError(t, err, out)

	for name, args := range map[string][]string{
		"unknown role":          {"users", "add", "x", "--role", "admin", "--password-file", pw},
		"department without id": {"users", "add", "x", "--role", "department", "--password-file", pw},
		"unknown department":    {"users", "add", "x", "--role", "department", "--department", "NOPE", "--password-file", pw},
		"finance with vendor":   {"users", "add", "x", "--role", "finance", "--vendor", "V1", "--password-file", pw},
		"bad login":             {"users", "add", "bad login", "--role", "finance", "--password-file", pw},
		"taken":                 {"users", "add", "edu", "--role", "finance", "--password-file", pw},
		"disable unknown":       {"users", "disable", "nobody"},
		"token bad expiry":      {"users", "token", "edu", "--expires", "soon"},
		"no subcommand":         {"users"},
	} {
		out, err := cli(args...)
		assert.Error(t, err, name)
		assert.Equal(t, exitBadInput, exitCode(err), "%s: %s", name, out)
	}

	out, err = cli("users", "token", "edu", "--expires", "90d")
	require.NoError(t, err, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	assert.Regexp(t, `^cbp_[0-9a-f]{16}_\S{40,}$`, token, "the token alone on the last line")

	out, err = cli("users", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "edu\tdepartment\tdepartment=D03\tactive")
	assert.Contains(t, out, "v1\tvendor\tvendor=V1\tactive")
	assert.NotContains(t, out, "good long password")

	out, err = cli("users", "disable", "edu")
	require.NoError(t, err, out)
	out, err = cli("users", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "edu\tdepartment\tdepartment=D03\tdisabled")

	// enable, reset-password; the last enabled bureau account is never disabled
	out, err = cli("users", "enable", "edu")
	require.NoError(t, err, out)
	out, err = cli("users", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "edu\tdepartment\tdepartment=D03\tactive")
	pw2 := filepath.Join(t.TempDir(), "pw2")
	require.NoError(t, os.WriteFile(pw2, []byte("another long password\n"), 0o600))
	out, err = cli("users", "reset-password", "edu", "--password-file", pw2)
	require.NoError(t, err, out)
	assert.Contains(t, out, "new password set for edu")
	short := filepath.Join(t.TempDir(), "short")
	require.NoError(t, os.WriteFile(short, []byte("short\n"), 0o600))
	out, err = cli("users", "add", "boss", "--role", "bureau", "--password-file", pw)
	require.NoError(t, err, out)
	for name, args := range map[string][]string{
		"last bureau":          {"users", "disable", "boss"},
		"enable unknown":       {"users", "enable", "nobody"},
		"reset unknown":        {"users", "reset-password", "nobody", "--password-file", pw2},
		"reset short password": {"users", "reset-password", "edu", "--password-file", short},
	} {
		out, err := cli(args...)
		assert.Error(t, err, name)
		assert.Equal(t, exitBadInput, exitCode(err), "%s: %s", name, out)
	}
	a := &app{dsn: dsn, dataDir: t.TempDir(), stdout: io.Discard, stderr: io.Discard, now: time.Now}
	defer a.close()
	svc, err := a.accessService(context.Background())
	require.NoError(t, err)
	evs, err := svc.Audit(context.Background(), access.AuditFilter{})
	require.NoError(t, err)
	var actions []string
	for _, e := range evs {
		actions = append(actions, e.Action+"/"+e.Outcome+"/"+e.Target)
	}
	all := strings.Join(actions, " ")
	for _, want := range []string{"user-enable/ok/edu", "password-reset/ok/edu", "user-disable/refused/boss"} {
		assert.Contains(t, all, want)
	}
}

func TestServeRefusesPlainNonLoopback(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"--clickhouse", "clickhouse://127.0.0.1:1/x", "serve", "--listen", "0.0.0.0:0"}, &stdout, &stderr)
	require.Error(t, err)
	assert.Equal(t, exitBadInput, exitCode(err))
	assert.Contains(t, err.Error(), "refusing to listen without TLS beyond loopback")
	err = run(context.Background(), []string{"--clickhouse", "clickhouse://127.0.0.1:1/x", "serve", "--listen", "127.0.0.1:0", "--tls-cert", "c.pem"}, &stdout, &stderr)
	assert.Equal(t, exitBadInput, exitCode(err), "cert without key")
}
