package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/monthclose"
	"cloudbill/sql/chtest"
)

// csvTotal is the sum of a statement CSV's amount column and its department_id column
// values.
func csvTotal(t *testing.T, file string) decimal.Decimal {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "amount", rows[0][14])
	s := money.Sum()
	for _, r := range rows[1:] {
		s = s.Add(decimal.RequireFromString(r[14]))
	}
	return s
}

// TestStatementsCommand runs the real pipeline on the catalog fixtures: import, rate,
// provisional statements, close, final statements; the three views agree to the fen on
// real rated lines, and a closed month re-issues byte-identical.
func TestStatementsCommand(t *testing.T) {
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
	out := t.TempDir()

	t.Run("a month never rated is refused", func(t *testing.T) {
		msg, err := cli("statements", "--period", "2026-11", "--out", out)
		require.Error(t, err, msg)
		assert.Contains(t, err.Error(), "rate it first (cloudbill rate --period 2026-11)")
		assert.Equal(t, exitFailed, exitCode(err))
	})
	t.Run("bad usage", func(t *testing.T) {
		for _, args := range [][]string{{"statements", "--out", out}, {"statements", "--period", "2026-11"}, {"statements", "--period", "11/2026", "--out", out}} {
			_, err := cli(args...)
			require.Error(t, err)
			assert.Equal(t, exitBadInput, exitCode(err), "%v", args)
		}
	})

	msg, err := cli("rate", "--period", "2026-11")
	require.NoError(t, err, msg)
	msg, err = cli("statements", "--period", "2026-11", "--out", out)
	require.NoError(t, err, msg)
	assert.Contains(t, msg, "provisional")
	dir := filepath.Join(out, "2026-11")
	assert.Contains(t, msg, dir)

	agree := func(t *testing.T) {
		total := viewsAgree(t, dir, orgParents(t, fx("departments.csv")))
		assert.Contains(t, msg, "net "+money.Grouped(total))
	}
	t.Run("provisional views agree", agree)

	// Close through the close engine with a clock after the month's end (the CLI's clock
	// is the real one, and November 2026 may not have ended yet).
	a := &app{dsn: dsn, stdout: io.Discard, stderr: io.Discard, now: time.Now}
	defer a.close()
	ms, err := a.monthStore(context.Background())
	require.NoError(t, err)
	closedAt := time.Date(2026, 12, 1, 2, 0, 0, 0, calendar.Shanghai())
	_, err = monthclose.Close(context.Background(), ms, calendar.MustPeriod("2026-11"),
		monthclose.Options{AllowPending: true, Now: func() time.Time { return closedAt }, ClosedBy: "test"})
	require.NoError(t, err)
	msg, err = cli("statements", "--period", "2026-11", "--out", out)
	require.NoError(t, err, msg)
	assert.Contains(t, msg, "final (closed")
	t.Log(msg)
	t.Run("final views agree", agree)

	first := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			first[p], err = os.ReadFile(p)
		}
		return err
	}))
	msg, err = cli("statements", "--period", "2026-11", "--out", out)
	require.NoError(t, err, msg)
	t.Run("a closed month re-issues byte-identical", func(t *testing.T) {
		require.NotEmpty(t, first)
		for p, want := range first {
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want, got), "%s changed at re-issue", p)
		}
	})

	// A vendor's name corrected in master data after the close. The
	// month's final issue is archived and never rewritten: re-issuing gives the archived
	// bytes (not a failure), and the month's folder is never replaced by the new rendering.
	vendors := filepath.Join(t.TempDir(), "vendors.csv")
	require.NoError(t, os.WriteFile(vendors, []byte("id,name\nV1,城市云服务股份有限公司（更名）\nV2,政务云科技有限公司\n"), 0o644))
	msg, err = cli("org", "import", "--departments", fx("departments.csv"), "--projects", fx("projects.csv"), "--vendors", vendors)
	require.NoError(t, err, msg)
	msg, err = cli("statements", "--period", "2026-11", "--out", out)
	t.Run("a re-issue after a vendor's rename gives the archived bytes", func(t *testing.T) {
		require.NoError(t, err, msg)
		assert.Contains(t, msg, "issued from the archive")
		assert.Contains(t, msg, "master data imported since the final issue was archived", "the output says what differs")
		assert.Regexp(t, `: org [^\n]*vendors\.csv`, msg, "the import named")
		sameFiles(t, first, dir)
	})
	t.Run("a failed re-issue leaves the earlier files byte-identical", func(t *testing.T) {
		// the archive cannot be read or written (its table is gone): the issue fails
		// after the new files are typeset, and the month's folder is untouched
		s, err := a.Store(context.Background())
		require.NoError(t, err)
		require.NoError(t, chtest.Conn(t, s).Exec(context.Background(), "RENAME TABLE statement_issues TO statement_issues_away"))
		defer func() {
			require.NoError(t, chtest.Conn(t, s).Exec(context.Background(), "RENAME TABLE statement_issues_away TO statement_issues"))
		}()
		msg, err := cli("statements", "--period", "2026-11", "--out", out)
		require.Error(t, err, msg)
		assert.Contains(t, err.Error(), "the earlier files of the month are as they were")
		sameFiles(t, first, dir)
		left, _ := filepath.Glob(filepath.Join(out, ".*"))
		assert.Empty(t, left, "no temporary folder left behind")
	})
}

// sameFiles checks that dir holds exactly the files of want (path → bytes), unchanged.
func sameFiles(t *testing.T, want map[string][]byte, dir string) {
	t.Helper()
	require.NotEmpty(t, want)
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(want[p], got), "%s changed", p)
		}
		return err
	}))
	assert.Equal(t, len(want), n, "files in %s", dir)
}

// viewsAgree checks that the statement CSVs under dir agree to the fen: Σ vendors =
// Σ top-level departments = the summary; it returns the summary's total.
func viewsAgree(t *testing.T, dir string, parents map[string]string) decimal.Decimal {
	t.Helper()
	summary := csvTotal(t, filepath.Join(dir, "summary.csv"))
	vendors := money.Sum()
	vs, _ := filepath.Glob(filepath.Join(dir, "vendors", "*.csv"))
	require.NotEmpty(t, vs)
	for _, f := range vs {
		vendors = vendors.Add(csvTotal(t, f))
	}
	// The top-level departments' statements hold their units: sum those whose
	// department has no parent in the org (the subordinate units' files repeat them).
	deps := money.Sum()
	ds, _ := filepath.Glob(filepath.Join(dir, "departments", "*.csv"))
	require.NotEmpty(t, ds)
	for _, f := range ds {
		if parents[strings.TrimSuffix(filepath.Base(f), ".csv")] == "" {
			deps = deps.Add(csvTotal(t, f))
		}
	}
	assert.Equal(t, money.Plain(summary), money.Plain(vendors), "vendors vs summary")
	assert.Equal(t, money.Plain(summary), money.Plain(deps), "departments vs summary")
	return summary
}

// TestStatementsGeneratedDistrict runs a generated district month (60 departments with
// subordinate units, 2,000 work orders, 4 vendors; no usage samples) through import,
// rating, close and statements: the views agree to the fen and a re-issue of the closed
// month gives the same bytes.
func TestStatementsGeneratedDistrict(t *testing.T) {
	if testing.Short() {
		t.Skip("imports and rates a district month")
	}
	dsn := catalogDSN(t)
	data := t.TempDir()
	cli := func(args ...string) (string, error) {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"--clickhouse", dsn}, args...), &stdout, &stderr)
		return stdout.String() + stderr.String(), err
	}
	f := func(name string) string { return filepath.Join(data, name) }
	for _, args := range [][]string{
		{"gen", "--out", data, "--scale", "district", "--period", "2026-10", "--seed", "3", "--samples=false"},
		{"catalog", "import", f("catalog-2026-01-01.csv"), "--effective", "2026-01-01"},
		{"catalog", "import", f("catalog-2026-10-16.csv"), "--effective", "2026-10-16"},
		{"catalog", "adapt", f("adaptations.csv")},
		{"org", "import", "--departments", f("departments.csv"), "--projects", f("projects.csv"), "--vendors", f("vendors.csv")},
		{"orders", "import", f("orders.csv")},
		{"acceptance", "import", f("acceptance.csv")},
		{"rate", "--period", "2026-10"},
		{"close", "--period", "2026-10", "--allow-pending"},
	} {
		out, err := cli(args...)
		require.NoError(t, err, "%v: %s", args, out)
	}
	out := t.TempDir()
	msg, err := cli("statements", "--period", "2026-10", "--out", out)
	require.NoError(t, err, msg)
	assert.Contains(t, msg, "final (closed")
	dir := filepath.Join(out, "2026-10")
	total := viewsAgree(t, dir, orgParents(t, f("departments.csv")))
	assert.Contains(t, msg, "net "+money.Grouped(total))
	assert.True(t, total.IsPositive())

	again := t.TempDir()
	msg, err = cli("statements", "--period", "2026-10", "--out", again)
	require.NoError(t, err, msg)
	n := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		x, err := os.ReadFile(p)
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(again, "2026-10", rel))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(x, y), "%s differs between two issues of the closed month", rel)
		n++
		return nil
	}))
	assert.Greater(t, n, 100)
}

// orgParents reads id → parent_id from a departments file.
func orgParents(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")))).ReadAll()
	require.NoError(t, err)
	col := map[string]int{}
	for i, c := range rows[0] {
		col[c] = i
	}
	out := map[string]string{}
	for _, r := range rows[1:] {
		if i, ok := col["parent_id"]; ok {
			out[r[col["id"]]] = r[i]
		} else {
			out[r[col["id"]]] = ""
		}
	}
	return out
}
