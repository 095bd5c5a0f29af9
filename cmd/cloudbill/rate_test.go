package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRateCommand(t *testing.T) {
	dsn := catalogDSN(t)
	fx := func(name string) string { return filepath.Join("..", "..", "sql", "testdata", "catalog", name) }
	cli := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"--clickhouse", dsn}, args...), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	for _, args := range [][]string{
		{"catalog", "import", fx("catalog.csv"), "--effective", "2026-01-01"},
		{"catalog", "adapt", fx("adaptations.csv")},
		{"org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", fx("vendors.csv")},
		{"orders", "import", fx("orders.csv")},
		{"acceptance", "import", fx("acceptance.csv")},
	} {
		out, err := cli(args...)
		require.NoError(t, err, out)
	}

	out, err := cli("rate", "--period", "2026-11")
	require.NoError(t, err, out)
	assert.Contains(t, out, "rated 2026-11: run 2026-11-")
	assert.Contains(t, out, "(stored)")
	assert.Regexp(t, `lines +\d+ \(charge \d+, metered \d+, unfunded \d+, deduction \d+, adjustment 0\)`, out)
	assert.Contains(t, out, "gross")
	assert.Contains(t, out, "net")
	assert.Contains(t, out, "elapsed")

	out, err = cli("rate", "--period", "2026-11")
	require.NoError(t, err, out)
	assert.Contains(t, out, "unchanged: same inputs as the latest run, nothing written")

	bad := filepath.Join(t.TempDir(), "rules.csv")
	require.NoError(t, os.WriteFile(bad, []byte("effective,group,threshold,rate_percent\n2026-01,cap,,500\n"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no period", []string{"rate"}, "rate: --period is required"},
		{"bad period", []string{"rate", "--period", "2026-13"}, `rate: --period "2026-13": want a month YYYY-MM`},
		{"rules flag refused", []string{"rate", "--period", "2026-11", "--rules", bad}, "--rules is no longer taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cli(tt.args...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Equal(t, exitBadInput, exitCode(err))
		})
	}
}
