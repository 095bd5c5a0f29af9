package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/internal/chserver"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// meteringServer is a ClickHouse for the metering command tests: the server of
// $CLOUDBILL_TEST_CLICKHOUSE, or one started in a temporary directory for this test.
func meteringServer(t *testing.T) chstore.Config {
	t.Helper()
	if addr := os.Getenv("CLOUDBILL_TEST_CLICKHOUSE"); addr != "" {
		return chstore.Config{Addr: addr, User: os.Getenv("CLOUDBILL_TEST_CLICKHOUSE_USER"), Password: os.Getenv("CLOUDBILL_TEST_CLICKHOUSE_PASSWORD")}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	srv, err := chserver.Start(ctx, chserver.Config{Dir: t.TempDir(), KillWithParent: true})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	return chstore.Config{Addr: srv.Addr, User: srv.User, Password: srv.Password}
}

// dsnOf is the clickhouse:// address of cfg, credentials included.
func dsnOf(cfg chstore.Config) string {
	if cfg.User == "" && cfg.Password == "" {
		return "clickhouse://" + cfg.Addr + "/" + cfg.Database
	}
	return "clickhouse://" + cfg.User + ":" + cfg.Password + "@" + cfg.Addr + "/" + cfg.Database
}

// freshDB opens a new database on the server of addr, dropped when the test ends.
func freshDB(t *testing.T, addr chstore.Config) (dsn string, s *chstore.Store) {
	t.Helper()
	addr.Database = chtest.Name()
	s, err := chstore.Open(context.Background(), addr)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = s.DropDatabase(context.Background(), addr.Database)
		_ = s.Close()
	})
	return dsnOf(addr), s
}

func runCmd(t *testing.T, dsn, dataDir string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var o, e bytes.Buffer
	err = run(context.Background(), append([]string{"--clickhouse", dsn, "--data-dir", dataDir}, args...), &o, &e)
	return o.String(), e.String(), err
}

func november() chstore.SampleFilter {
	return chstore.SampleFilter{From: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(-8 * time.Hour), To: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)}
}

func TestIngestCommand(t *testing.T) {
	addr := meteringServer(t)
	ctx := context.Background()

	t.Run("same file twice, then a correction", func(t *testing.T) {
		dsn, s := freshDB(t, addr)
		dir := t.TempDir()
		var csv strings.Builder
		csv.WriteString("resource_id,metric,ts,value,source\n")
		var nd strings.Builder
		want := 0.0
		for r := 0; r < 20; r++ {
			for m := 0; m < 50; m++ {
				v := float64(r*100+m) / 4
				want += v
				ts := fmt.Sprintf("2026-11-02T%02d:%02d:00", m/60, m%60)
				if r%2 == 0 {
					fmt.Fprintf(&csv, "vm-%02d,cpu,%s,%g,\n", r, ts, v)
				} else {
					fmt.Fprintf(&nd, `{"resource_id":"vm-%02d","metric":"cpu","ts":"%s","value":"%g"}`+"\n", r, ts, v)
				}
			}
		}
		a := filepath.Join(dir, "a.csv")
		b := filepath.Join(dir, "b.ndjson")
		require.NoError(t, os.WriteFile(a, []byte(csv.String()), 0o644))
		require.NoError(t, os.WriteFile(b, []byte(nd.String()), 0o644))

		out, _, err := runCmd(t, dsn, dir, "ingest", "--report", filepath.Join(dir, "r1.txt"), a, b)
		require.NoError(t, err, out)
		assert.Contains(t, out, "a.csv (CSV, UTF-8): accepted 500, duplicates 0, rejected 0")
		assert.Contains(t, out, "b.ndjson (NDJSON, UTF-8): accepted 500, duplicates 0, rejected 0")
		assert.Contains(t, out, "written: 1000 new or corrected samples of 20 resources in 2026-11-01T16:00:00Z … 2026-11-01T16:49:00Z, sum of values "+fmt.Sprintf("%g", want)+"; 0 duplicates not written again")
		first, err := s.SampleStats(ctx, november())
		require.NoError(t, err)
		assert.Equal(t, uint64(1000), first.Samples)
		assert.InDelta(t, want, first.Sum, 1e-6)

		out, _, err = runCmd(t, dsn, dir, "ingest", "--report", filepath.Join(dir, "r2.txt"), a, b)
		require.NoError(t, err, out)
		assert.Contains(t, out, "a.csv (CSV, UTF-8): accepted 500, duplicates 500, rejected 0")
		assert.Contains(t, out, "written: 0 new or corrected samples of 20 resources", "a file sent again writes nothing")
		assert.Contains(t, out, "1000 duplicates not written again")
		again, err := s.SampleStats(ctx, november())
		require.NoError(t, err)
		assert.Equal(t, first.Samples, again.Samples, "same file twice: count unchanged")
		assert.Equal(t, first.Sum, again.Sum, "same file twice: sum unchanged")
		assert.Equal(t, first.Rows, again.Rows, "duplicates are not written again")

		fix := filepath.Join(dir, "fix.csv")
		require.NoError(t, os.WriteFile(fix, []byte("resource_id,metric,ts,value\nvm-00,cpu,2026-11-02T00:00:00+08:00,1000\n"), 0o644))
		out, _, err = runCmd(t, dsn, dir, "ingest", "--report", filepath.Join(dir, "r3.txt"), fix)
		require.NoError(t, err, out)
		fixed, err := s.SampleStats(ctx, november())
		require.NoError(t, err)
		assert.Equal(t, first.Samples, fixed.Samples, "a correction adds no sample")
		assert.InDelta(t, want-0+1000, fixed.Sum, 1e-6, "vm-00 at 00:00 was 0, now 1000")
	})

	t.Run("a correction and its undoing in one command", func(t *testing.T) {
		// one command reads what is stored of a series once and checks later batches
		// against it: what it writes itself must count, or the undoing would be taken
		// for a duplicate of the first value and lost
		dsn, s := freshDB(t, addr)
		dir := t.TempDir()
		var csv strings.Builder
		csv.WriteString("resource_id,metric,ts,value\n")
		for m := 0; m < 30; m++ {
			for r := 0; r < 4; r++ { // time-major, as collectors write
				fmt.Fprintf(&csv, "vm-%02d,cpu,2026-11-05T10:%02d:00,%d\n", r, m, r+m)
			}
		}
		orig := filepath.Join(dir, "orig.csv")
		require.NoError(t, os.WriteFile(orig, []byte(csv.String()), 0o644))
		out, _, err := runCmd(t, dsn, dir, "ingest", "--batch", "10", "--report", filepath.Join(dir, "r1.txt"), orig)
		require.NoError(t, err, out)
		first, err := s.SampleStats(ctx, november())
		require.NoError(t, err)

		fix := filepath.Join(dir, "fix.csv")
		require.NoError(t, os.WriteFile(fix, []byte("resource_id,metric,ts,value\nvm-01,cpu,2026-11-05T10:07:00,500\n"), 0o644))
		undo := filepath.Join(dir, "undo.csv")
		require.NoError(t, os.WriteFile(undo, []byte("resource_id,metric,ts,value\nvm-01,cpu,2026-11-05T10:07:00,8\n"), 0o644))
		out, _, err = runCmd(t, dsn, dir, "ingest", "--batch", "10", "--report", filepath.Join(dir, "r2.txt"), orig, fix, undo)
		require.NoError(t, err, out)
		assert.Contains(t, out, "orig.csv (CSV, UTF-8): accepted 120, duplicates 120, rejected 0")
		assert.Contains(t, out, "fix.csv (CSV, UTF-8): accepted 1, duplicates 0, rejected 0")
		assert.Contains(t, out, "undo.csv (CSV, UTF-8): accepted 1, duplicates 0, rejected 0", "8 is stored, but 500 was written after it")
		got, err := s.SampleStats(ctx, november())
		require.NoError(t, err)
		assert.Equal(t, first.Samples, got.Samples)
		assert.Equal(t, first.Sum, got.Sum, "vm-01 at 10:07 is 8 again")
	})

	t.Run("rejected lines", func(t *testing.T) {
		dsn, s := freshDB(t, addr)
		dir := t.TempDir()
		gb, err := simplifiedchinese.GB18030.NewEncoder().String("resource_id,metric,ts,value,x_备注\n云主机-1,cpu,2026-11-03T00:00:00,2.5,甲\n云主机-2,cpu,2026-11-03T00:00:00,Inf,乙\n")
		require.NoError(t, err)
		f := filepath.Join(dir, "gb.csv")
		require.NoError(t, os.WriteFile(f, []byte(gb), 0o644))
		empty := filepath.Join(dir, "empty.csv")
		require.NoError(t, os.WriteFile(empty, nil, 0o644))
		report := filepath.Join(dir, "out", "report.txt")
		out, _, err := runCmd(t, dsn, dir, "ingest", "--report", report, f, empty)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.Contains(t, out, "gb.csv (CSV, GB18030): accepted 1, duplicates 0, rejected 1")
		assert.Contains(t, out, `gb.csv:3: column "value": "Inf": value is not a finite number`)
		assert.Contains(t, out, `empty.csv: file is empty: a header row naming the columns is required`)
		rej, err := os.ReadFile(filepath.Join(dir, "out", "report.1-gb.csv.rejected"))
		require.NoError(t, err)
		assert.Equal(t, "resource_id,metric,ts,value,x_备注\n云主机-2,cpu,2026-11-03T00:00:00,Inf,乙\n", string(rej), "rejected lines with the header, in UTF-8")
		saved, err := os.ReadFile(report)
		require.NoError(t, err)
		assert.Equal(t, out, string(saved))
		got, err := s.LatestSamples(ctx, november())
		require.NoError(t, err)
		require.Len(t, got, 1, "the valid line is kept")
		assert.Equal(t, "云主机-1", got[0].ResourceID)
		assert.Equal(t, 2.5, got[0].Value)
		assert.Equal(t, "gb.csv", got[0].Source)
	})

	t.Run("usage", func(t *testing.T) {
		dsn, _ := freshDB(t, addr)
		_, _, err := runCmd(t, dsn, t.TempDir(), "ingest")
		assert.ErrorContains(t, err, "no FILE given")
		assert.Equal(t, exitBadInput, exitCode(err))
		_, _, err = runCmd(t, dsn, t.TempDir(), "ingest", "/nonexistent/x.csv")
		assert.ErrorContains(t, err, "no such file")
	})
}
