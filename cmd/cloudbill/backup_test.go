package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/backup"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// otherDB is a fresh database on dsn's server (dropped after the test).
func otherDB(t *testing.T, dsn string) string {
	t.Helper()
	cfg, err := chstore.ParseDSN(dsn)
	require.NoError(t, err)
	cfg.Database = chtest.Name()
	t.Cleanup(func() {
		if s, err := chstore.Open(context.Background(), cfg); err == nil {
			_ = s.DropDatabase(context.Background(), cfg.Database)
			_ = s.Close()
		}
	})
	return dsnOf(cfg)
}

// files reads every file under dir, by relative path.
func files(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	require.NoError(t, filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = b
		return err
	}))
	return out
}

// Backup → a fresh database → restore: status is the same, the closed month re-issued
// gives the same bytes, accounts and audit are intact; a restore into a database with
// rows, or of a damaged backup, is refused with exit status 2.
func TestBackupRestore(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	dir := t.TempDir()
	samples := filepath.Join(dir, "samples.ndjson")
	require.NoError(t, os.WriteFile(samples, sampleLines(1, 0, 300, 0.5), 0o644))
	for _, args := range [][]string{
		{"ingest", samples},
		{"rate", "--period", "2026-11"},
		{"close", "--period", "2026-11"},
		{"statements", "--period", "2026-11", "--out", filepath.Join(dir, "issued")},
	} {
		_, errOut, err := at(t, dsn, dec1, args...)
		require.NoError(t, err, errOut)
	}
	pw := filepath.Join(dir, "pw")
	require.NoError(t, os.WriteFile(pw, []byte("a good long password\n"), 0o600))
	_, errOut, err := at(t, dsn, dec1, "users", "add", "edu", "--role", "department", "--department", "D03", "--password-file", pw)
	require.NoError(t, err, errOut)
	status, _, err := at(t, dsn, dec1, "status", "--format", "json")
	require.NoError(t, err)
	users, _, err := at(t, dsn, dec1, "users", "list")
	require.NoError(t, err)

	out := filepath.Join(dir, "backup")
	msg, errOut, err := at(t, dsn, dec1, "backup", "--out", out)
	require.NoError(t, err, errOut)
	assert.Contains(t, msg, "backup "+out+": ")
	m, err := backup.ReadManifest(out)
	require.NoError(t, err)
	rows := map[string]int64{}
	for _, e := range m.Tables {
		rows[e.Name] = e.Rows
	}
	assert.Equal(t, int64(300), rows["usage_samples"])
	assert.Equal(t, int64(1), rows["period_closes"])
	assert.Positive(t, rows["audit_log"])
	assert.Positive(t, rows["statement_files"])
	assert.Equal(t, int64(1), rows["users"])

	dsn2 := otherDB(t, dsn)
	msg, errOut, err = at(t, dsn2, dec1, "restore", out)
	require.NoError(t, err, errOut)
	assert.Contains(t, msg, "restored "+out)

	status2, _, err := at(t, dsn2, dec1, "status", "--format", "json")
	require.NoError(t, err)
	assert.Equal(t, statusWithoutPlace(t, status), statusWithoutPlace(t, status2), "status after the restore")
	users2, _, err := at(t, dsn2, dec1, "users", "list")
	require.NoError(t, err)
	assert.Equal(t, users, users2, "accounts")
	for _, table := range []string{"audit_log", "users", "sessions", "access_tokens"} {
		var n [2]int64
		for i, d := range []string{dsn, dsn2} {
			cfg, err := chstore.ParseDSN(d)
			require.NoError(t, err)
			s, err := chstore.Open(context.Background(), cfg)
			require.NoError(t, err)
			n[i], err = s.Count(context.Background(), table)
			require.NoError(t, err)
			s.Close()
		}
		assert.Equal(t, n[0], n[1], "rows of %s", table)
	}

	_, errOut, err = at(t, dsn2, dec1, "statements", "--period", "2026-11", "--out", filepath.Join(dir, "reissued"))
	require.NoError(t, err, errOut)
	issued, reissued := files(t, filepath.Join(dir, "issued")), files(t, filepath.Join(dir, "reissued"))
	require.NotEmpty(t, issued)
	require.Equal(t, len(issued), len(reissued))
	for name, b := range issued {
		assert.True(t, bytes.Equal(b, reissued[name]), "%s re-issued byte-identical", name)
	}

	t.Run("not into a database with rows", func(t *testing.T) {
		_, _, err := at(t, dsn2, dec1, "restore", out)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.ErrorIs(t, err, backup.ErrNotEmpty)
	})
	t.Run("not a damaged backup", func(t *testing.T) {
		bad := filepath.Join(dir, "damaged")
		require.NoError(t, os.CopyFS(bad, os.DirFS(out)))
		f := filepath.Join(bad, "tables", "users.native.zst")
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		b[len(b)/2] ^= 0xff
		require.NoError(t, os.WriteFile(f, b, 0o640))
		dsn3 := otherDB(t, dsn)
		_, _, err = at(t, dsn3, dec1, "restore", bad)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.ErrorIs(t, err, backup.ErrCorrupt)
		assert.Contains(t, err.Error(), "tables/users.native.zst")
	})
	t.Run("not a format 1 backup", func(t *testing.T) {
		old := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(old, backup.ManifestFile), []byte(`{"format": 1, "tables": []}`), 0o640))
		_, _, err := at(t, otherDB(t, dsn), dec1, "restore", old)
		require.Error(t, err)
		assert.Equal(t, exitBadInput, exitCode(err))
		assert.ErrorIs(t, err, backup.ErrFormat)
		assert.Contains(t, err.Error(), "format 1 backup")
	})
	t.Run("samples by month", func(t *testing.T) {
		for _, c := range []struct {
			samples string
			want    int64
		}{{"none", 0}, {"2026-10", 0}, {"2026-10..2026-11", 300}} {
			o := filepath.Join(t.TempDir(), "b")
			_, errOut, err := at(t, dsn, dec1, "backup", "--out", o, "--samples", c.samples)
			require.NoError(t, err, errOut)
			m, err := backup.ReadManifest(o)
			require.NoError(t, err)
			for _, e := range m.Tables {
				if e.Name == "usage_samples" {
					assert.Equal(t, c.want, e.Rows, c.samples)
					assert.True(t, e.Partial)
				}
			}
		}
	})
}

// A backup taken while serve ingests loses nothing acknowledged before it started: every
// request answered 200 before the backup began is in the restored database.
func TestBackupDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("starts serve")
	}
	dsn, _ := freshDB(t, meteringServer(t))
	dataDir := t.TempDir()
	listen := freeAddr(t)
	ctx, cancel := context.WithCancel(context.Background())
	exited := make(chan error, 1)
	var serveOut syncWriter
	serveOut.w = &bytes.Buffer{}
	go func() {
		exited <- run(ctx, []string{"--clickhouse", dsn, "--data-dir", dataDir, "serve", "--no-auth", "--listen", listen,
			"--close-schedule", "off", "--rate-schedule", "off", "--idle-schedule", "off", "--idle-follow-schedule", "off", "--flush", "50ms"}, &serveOut, &serveOut)
	}()
	defer func() {
		cancel()
		<-exited
	}()
	waitHealthy(t, listen, exited)

	// bounded load: 4 senders, 200 requests of 100 samples each at most
	var acked sync.Map // resource → time its request was answered
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := int(next.Add(1))
				if r > 200 {
					return
				}
				if a, ok := post(ctx, "http://"+listen+"/v1/samples", sampleLines(r, 0, 100, 0), 30*time.Second); ok && a.Accepted == 100 {
					acked.Store(r, time.Now())
				}
			}
		}()
	}
	for next.Load() < 40 {
		time.Sleep(5 * time.Millisecond)
	}
	began := time.Now()
	out := filepath.Join(t.TempDir(), "backup")
	var bout, berr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"--clickhouse", dsn, "--data-dir", dataDir, "backup", "--out", out}, &bout, &berr), berr.String())
	close(stop)
	wg.Wait()

	dsn2 := otherDB(t, dsn)
	_, errOut, err := at(t, dsn2, dec1, "restore", out)
	require.NoError(t, err, errOut)
	cfg, err := chstore.ParseDSN(dsn2)
	require.NoError(t, err)
	s2, err := chstore.Open(context.Background(), cfg)
	require.NoError(t, err)
	defer s2.Close()
	got, err := s2.LatestSamples(context.Background(), chstore.SampleFilter{})
	require.NoError(t, err)
	stored := map[string]int{}
	for _, sm := range got {
		stored[sm.ResourceID]++
	}
	before, after := 0, 0
	acked.Range(func(k, v any) bool {
		if v.(time.Time).Before(began) {
			before++
			assert.Equal(t, 100, stored[fmt.Sprintf("vm-%04d", k.(int))], "resource %d acknowledged before the backup is in it", k)
		} else {
			after++
		}
		return true
	})
	require.Positive(t, before)
	t.Logf("%d requests acknowledged before the backup, %d during or after it; %d resources in the backup; %s", before, after, len(stored), bout.String())
}

// statusWithoutPlace is status --format json without where it was read (the database's
// address and the spool's directory).
func statusWithoutPlace(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(s), &m))
	delete(m, "clickhouse")
	if sp, ok := m["spool"].(map[string]any); ok {
		delete(sp, "dir")
	}
	require.NotEmpty(t, m["months"])
	return m
}

// The scheduled backup writes a new directory each time and keeps the newest complete
// ones; an interrupted one older than them is removed too.
func TestScheduledBackupRetention(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, false)
	root := t.TempDir()
	cut := filepath.Join(root, backup.Name(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))) // interrupted: no manifest
	require.NoError(t, os.MkdirAll(filepath.Join(cut, "tables"), 0o750))
	var names []string
	for day := 2; day <= 4; day++ {
		now := time.Date(2026, 11, day, 1, 0, 0, 0, time.UTC)
		a := &app{dsn: dsn, dataDir: t.TempDir(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, now: func() time.Time { return now }}
		detail, err := scheduledBackup(context.Background(), a, backupSettings{dir: root, spec: "0 1 * * *", keep: 2, samples: "none"})
		a.close()
		require.NoError(t, err)
		assert.Contains(t, detail, backup.Name(now))
		names = append(names, backup.Name(now))
	}
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.Equal(t, names[1:], left, "the two newest complete backups are kept")
	_, err = backup.ReadManifest(filepath.Join(root, names[2]))
	assert.NoError(t, err)
}
