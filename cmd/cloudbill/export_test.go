package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/export/focus/conformance"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
)

// TestExportFocus runs the demo (a year of closed months, 2025-11 … 2026-10, and 2026-11
// rated and open: checked first), exports the last closed month as FOCUS CSV and Parquet,
// and checks the files: conformant, Σ BilledCost = the finance summary's total to the
// fen, byte-identical when repeated; an open month needs --provisional and a month never
// rated is refused.
func TestExportFocus(t *testing.T) {
	dsn := catalogDSN(t)
	out, dataDir := t.TempDir(), t.TempDir()
	cli := func(dsn string, args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"--clickhouse", dsn, "--data-dir", dataDir}, args...), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	msg, err := cli(dsn, "demo", "--scale", "small", "--period", "2026-11", "--seed", "7", "--out", out)
	require.NoError(t, err, msg)
	demo := regexp.MustCompile(`/[^/?]*(\?|$)`).ReplaceAllString(dsn, "/cloudbill_demo$1")
	t.Run("the demo's history", func(t *testing.T) {
		a := &app{dsn: demo, dataDir: dataDir, stdout: io.Discard, stderr: io.Discard, now: time.Now}
		defer a.close()
		st, err := a.Store(context.Background())
		require.NoError(t, err)
		closed, err := st.ClosedPeriods(context.Background())
		require.NoError(t, err)
		var want []calendar.Period
		for p := calendar.MustPeriod("2025-11"); p.Before(calendar.MustPeriod("2026-11")); p = p.Next() {
			want = append(want, p)
		}
		assert.Equal(t, want, closed, "twelve closed months")
		rated, err := st.RatedPeriods(context.Background())
		require.NoError(t, err)
		assert.Contains(t, rated, calendar.MustPeriod("2026-11"), "the open month is rated")
		for _, p := range append(want, calendar.MustPeriod("2026-11")) {
			lines, err := st.RatedLines(context.Background(), p)
			require.NoError(t, err)
			net := decimal.Zero
			for _, l := range lines {
				net = net.Add(l.Amount)
			}
			assert.True(t, net.IsPositive(), "%s: net %s", p, net)
		}
	})

	exp := filepath.Join(out, "focus")
	msg, err = cli(demo, "export", "focus", "--period", "2026-10", "--out", exp)
	require.NoError(t, err, msg)
	assert.Contains(t, msg, "final (closed month)")
	file := filepath.Join(exp, "2026-10", "focus-2026-10.csv")
	first, err := os.ReadFile(file)
	require.NoError(t, err)
	vs, err := conformance.Check(bytes.NewReader(first))
	require.NoError(t, err)
	assert.Empty(t, vs)

	// Σ BilledCost = the finance summary's total (net payable), to the fen.
	summary := csvTotal(t, filepath.Join(out, "2026-10", "summary.csv"))
	assert.Contains(t, msg, "Σ BilledCost "+money.Grouped(summary)+" CNY")
	lines := strings.Count(string(first), "\n") - 1
	assert.Greater(t, lines, 10)

	msg, err = cli(demo, "export", "focus", "--period", "2026-10", "--out", exp)
	require.NoError(t, err, msg)
	again, err := os.ReadFile(file)
	require.NoError(t, err)
	assert.Equal(t, first, again, "a closed month exports the same bytes")

	msg, err = cli(demo, "export", "focus", "--period", "2026-10", "--out", exp, "--format", "parquet")
	require.NoError(t, err, msg)
	pq, err := os.ReadFile(filepath.Join(exp, "2026-10", "focus-2026-10.parquet"))
	require.NoError(t, err)
	assert.Equal(t, "PAR1", string(pq[:4]))

	t.Run("an open month needs --provisional", func(t *testing.T) {
		msg, err := cli(demo, "rate", "--period", "2026-11")
		require.NoError(t, err, msg)
		msg, err = cli(demo, "export", "focus", "--period", "2026-11", "--out", exp)
		require.Error(t, err, msg)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, err.Error(), "--provisional")
		_, statErr := os.Stat(filepath.Join(exp, "2026-11"))
		assert.True(t, os.IsNotExist(statErr), "nothing written")
		msg, err = cli(demo, "export", "focus", "--period", "2026-11", "--out", exp, "--provisional")
		require.NoError(t, err, msg)
		assert.Contains(t, msg, "provisional")
	})
	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			args []string
			want string
		}{
			{[]string{"export", "focus", "--period", "2025-05", "--out", exp}, "rate it first"},
			{[]string{"export", "focus", "--period", "2026-13", "--out", exp}, "--period"},
			{[]string{"export", "focus", "--out", exp}, "required"},
			{[]string{"export", "focus", "--period", "2026-10", "--out", exp, "--format", "xlsx"}, "want csv or parquet"},
			{[]string{"export", "cur", "--period", "2026-10"}, "export focus"},
		} {
			msg, err := cli(demo, c.args...)
			require.Error(t, err, "%v: %s", c.args, msg)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", c.args)
			assert.Contains(t, err.Error(), c.want, "%v", c.args)
		}
	})
}
