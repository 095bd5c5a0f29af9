package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/metering"
	"cloudbill/metering/drop"
	"cloudbill/sql"
	"cloudbill/sql/chtest"
)

// dropConfig is a drop folder in dir over the store at dsn.
func dropConfig(t *testing.T, dsn, dir string, marker bool) (drop.Config, *chstore.Store) {
	t.Helper()
	s, err := chstore.Open(context.Background(), mustDSN(t, dsn))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	b, err := metering.NewBatcher(metering.BatcherConfig{Sink: s, MaxDelay: 10 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	return drop.Config{Dir: dir, Marker: marker, Batcher: b, Owners: s.ResourceOwners, VendorOK: s.VendorExists,
		Now: time.Now, Logf: t.Logf, BatchRows: 1000}, s
}

func newDropper(t *testing.T, dsn, dir string, marker bool) (*drop.Folder, *chstore.Store) {
	t.Helper()
	cfg, s := dropConfig(t, dsn, dir, marker)
	d, err := drop.New(cfg)
	require.NoError(t, err)
	return d, s
}

func write(t *testing.T, name, text string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(name), 0o755))
	require.NoError(t, os.WriteFile(name, []byte(text), 0o644))
}

const dropCSV = "resource_id,metric,ts,value\necs-001,cpu_util,2026-11-05T00:00:00+08:00,10\necs-001,cpu_util,2026-11-05T00:05:00+08:00,20\ntrial-7,cpu_util,2026-11-05T00:00:00+08:00,30\n"

func distinctSamples(t *testing.T, s *chstore.Store) (n uint64, sum float64) {
	t.Helper()
	require.NoError(t, chtest.Conn(t, s).QueryRow(context.Background(),
		"SELECT count(), sum(v) FROM (SELECT argMax(value, version) AS v FROM usage_samples GROUP BY resource_id, metric, ts)").Scan(&n, &sum))
	return n, sum
}

func TestDropFolder(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true) // V1 orders ecs-001, ecs-777; V2 eip-9, disk-4
	dir := t.TempDir()
	d, s := newDropper(t, dsn, dir, false)
	ctx := context.Background()

	// being written: not taken
	write(t, filepath.Join(dir, "V1", "a.csv.part"), dropCSV[:40])
	write(t, filepath.Join(dir, "V1", ".b.csv"), dropCSV[:40])
	rs, err := d.Scan(ctx)
	require.NoError(t, err)
	assert.Empty(t, rs)
	assert.FileExists(t, filepath.Join(dir, "V1", "a.csv.part"))

	// renamed into place: taken, to done/ with its report
	require.NoError(t, os.WriteFile(filepath.Join(dir, "V1", "a.csv.part"), []byte(dropCSV), 0o644))
	require.NoError(t, os.Rename(filepath.Join(dir, "V1", "a.csv.part"), filepath.Join(dir, "V1", "a.csv")))
	rs, err = d.Scan(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.False(t, rs[0].Rejected)
	assert.Equal(t, filepath.Join(dir, "done", "V1"), filepath.Dir(rs[0].Dest))
	report, err := os.ReadFile(rs[0].Report)
	require.NoError(t, err)
	assert.Contains(t, string(report), "accepted 3 (unassigned 1: no work order names their resource yet), duplicates 0, rejected 0")
	assert.NoFileExists(t, filepath.Join(dir, "V1", "a.csv"))
	n, sum := distinctSamples(t, s)
	assert.Equal(t, uint64(3), n)
	assert.Equal(t, 60.0, sum)

	// a bad file: refused whole, to rejected/ with the report naming file, line, column
	write(t, filepath.Join(dir, "V1", "bad.csv"), "resource_id,metric,when,value\necs-001,cpu_util,2026-11-05T00:00:00+08:00,1\n")
	// another vendor's resource: that line rejected, the rest kept
	write(t, filepath.Join(dir, "V2", "mixed.csv"), "resource_id,metric,ts,value\neip-9,net_out_gb,2026-11-05T00:00:00+08:00,5\necs-001,cpu_util,2026-11-05T00:10:00+08:00,99\n")
	// an unknown vendor's folder
	write(t, filepath.Join(dir, "V9", "x.csv"), dropCSV)
	rs, err = d.Scan(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 3)
	for _, r := range rs {
		assert.True(t, r.Rejected, r.File)
		assert.Equal(t, filepath.Join(dir, "rejected", r.Vendor), filepath.Dir(r.Dest))
		assert.FileExists(t, r.Dest)
	}
	text := func(i int) string {
		b, err := os.ReadFile(rs[i].Report)
		require.NoError(t, err)
		return string(b)
	}
	assert.Contains(t, text(0), `refused: `)
	// the report quotes nothing of the file but the sample columns' names
	assert.Contains(t, text(0), `V1/bad.csv:1: column 3 of the header: unknown column (expected resource_id, metric, ts, value`)
	assert.NotContains(t, text(0), "when")
	assert.Contains(t, text(1), "accepted 1 (unassigned 0")
	assert.Contains(t, text(1), `V2/mixed.csv:3: column "resource_id": resource "ecs-001" belongs to a work order of vendor V1, not V2`)
	rejected, err := os.ReadFile(rs[1].Dest + ".rejected")
	require.NoError(t, err)
	assert.Equal(t, "resource_id,metric,ts,value\necs-001,cpu_util,2026-11-05T00:10:00+08:00,99\n", string(rejected))
	assert.Contains(t, text(2), `refused: vendor "V9" is not known`)
	n, _ = distinctSamples(t, s)
	assert.Equal(t, uint64(4), n, "the eip-9 line of V2 kept, nothing of the others")

	// a file whose one line is not a header (a password file's shape): refused, the line
	// not echoed in the report
	write(t, filepath.Join(dir, "V1", "pw.csv"), "S3CRET-line-of-a-password-file\n")
	rs, err = d.Scan(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 1)
	b, err := os.ReadFile(rs[0].Report)
	require.NoError(t, err)
	assert.Contains(t, string(b), "V1/pw.csv:1: column 1 of the header: unknown column")
	assert.Contains(t, string(b), `V1/pw.csv:1: column "resource_id": required column is missing from the header`)
	assert.NotContains(t, strings.ToLower(string(b)), "s3cret")
}

func TestDropFolderMarker(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	dir := t.TempDir()
	d, _ := newDropper(t, dsn, dir, true)
	write(t, filepath.Join(dir, "V1", "a.csv"), dropCSV[:50]) // written in place, not done yet
	rs, err := d.Scan(context.Background())
	require.NoError(t, err)
	assert.Empty(t, rs, "no marker: not taken")
	write(t, filepath.Join(dir, "V1", "a.csv"), dropCSV)
	write(t, filepath.Join(dir, "V1", "a.csv.done"), "")
	rs, err = d.Scan(context.Background())
	require.NoError(t, err)
	require.Len(t, rs, 1)
	assert.False(t, rs[0].Rejected)
	assert.NoFileExists(t, filepath.Join(dir, "V1", "a.csv.done"), "the marker goes with the file")
}

// A restart in the middle: a file claimed but not finished (not ingested at all, or
// ingested and not moved) is taken again on the next start, and counted once.
func TestDropFolderRestartDuringIngest(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	dir := t.TempDir()
	cfg, s := dropConfig(t, dsn, dir, false)
	ctx := context.Background()
	// crash after the claim, before any sample was stored
	write(t, filepath.Join(dir, ".work", "V1", "one.csv"), dropCSV)
	// crash after the samples were stored, before the move: ingest it by hand first
	two := "resource_id,metric,ts,value\necs-777,mem_util,2026-11-06T00:00:00+08:00,7\n"
	write(t, filepath.Join(dir, ".work", "V1", "two.csv"), two)
	_, err := metering.IngestFile(ctx, cfg.Batcher, metering.FileParams{Name: filepath.Join(dir, ".work", "V1", "two.csv"), Rejects: filepath.Join(t.TempDir(), "rej"), Chunk: 1000})
	require.NoError(t, err)

	d2, _ := newDropper(t, dsn, dir, false) // the restarted serve
	rs, err := d2.Scan(ctx)
	require.NoError(t, err)
	require.Len(t, rs, 2)
	names := []string{filepath.Base(rs[0].Dest), filepath.Base(rs[1].Dest)}
	assert.True(t, strings.HasSuffix(names[0], "-one.csv") && strings.HasSuffix(names[1], "-two.csv"), "%v", names)
	b, err := os.ReadFile(rs[1].Report)
	require.NoError(t, err)
	assert.Contains(t, string(b), "accepted 1 (unassigned 0: no work order names their resource yet), duplicates 1", "two.csv's sample was already stored")
	entries, _ := os.ReadDir(filepath.Join(dir, ".work", "V1"))
	assert.Empty(t, entries)
	n, sum := distinctSamples(t, s)
	assert.Equal(t, uint64(4), n, "no loss, no double count")
	assert.Equal(t, 67.0, sum)
}

// Hostile input: a vendor swaps a listed file for a symbolic link to a secret of the
// service while an earlier large file is being ingested (and drops a hard link to another
// one). Nothing of either secret may reach a report, a rejected copy or the samples; what
// is kept is readable by the service only.
func TestDropFolderSymlinkSwapDuringIngest(t *testing.T) {
	dsn := catalogDSN(t)
	importFixtures(t, dsn, true)
	dir := t.TempDir()
	cfg, s := dropConfig(t, dsn, dir, false)
	ctx := context.Background()

	secrets := t.TempDir()
	password := filepath.Join(secrets, "clickhouse-password")
	require.NoError(t, os.WriteFile(password, []byte("S3CRET-password-of-clickhouse\n"), 0o600))
	users := filepath.Join(secrets, "users.csv") // CSV-shaped: would be copied line by line
	require.NoError(t, os.WriteFile(users, []byte("resource_id,metric,ts,value\nS3CRET-row,cpu_util,not-a-time,1\n"), 0o600))

	var big strings.Builder
	big.WriteString("resource_id,metric,ts,value\n")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	const bigRows = 30_000
	for i := range bigRows {
		fmt.Fprintf(&big, "ecs-001,cpu_util,%s,%d\n", start.Add(time.Duration(i)*time.Minute).Format(time.RFC3339), i%100)
	}
	write(t, filepath.Join(dir, "V1", "a-large.csv"), big.String())
	write(t, filepath.Join(dir, "V1", "b.csv"), dropCSV)
	write(t, filepath.Join(dir, "V1", "c.csv"), dropCSV)
	require.NoError(t, os.Link(users, filepath.Join(dir, "V1", "d.csv")))

	owners := cfg.Owners
	swapped := false
	cfg.Owners = func(ctx context.Context) (metering.Owners, error) {
		if !swapped { // a-large.csv is being taken: b.csv and c.csv were listed as files
			swapped = true
			for name, target := range map[string]string{"b.csv": password, "c.csv": users} {
				p := filepath.Join(dir, "V1", name)
				require.NoError(t, os.Remove(p))
				require.NoError(t, os.Symlink(target, p))
			}
		}
		return owners(ctx)
	}
	d, err := drop.New(cfg)
	require.NoError(t, err)
	rs, err := d.Scan(ctx)
	require.NoError(t, err)
	require.True(t, swapped)
	require.Len(t, rs, 4)
	assert.False(t, rs[0].Rejected, "the large file is taken")
	for _, r := range rs[1:] {
		assert.True(t, r.Rejected, r.File)
		b, err := os.ReadFile(r.Report)
		require.NoError(t, err)
		assert.Contains(t, string(b), "refused unread: ", r.File)
	}

	// no secret anywhere under the folder, no link left, everything kept is 0600
	kept := 0
	require.NoError(t, filepath.WalkDir(dir, func(p string, e os.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := os.Lstat(p)
		require.NoError(t, err)
		if fi.IsDir() {
			return nil
		}
		assert.True(t, fi.Mode().IsRegular(), "%s is %s", p, fi.Mode())
		if !fi.Mode().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		require.NoError(t, err)
		assert.NotContains(t, string(b), "S3CRET", p)
		if strings.HasPrefix(p, filepath.Join(dir, "done")) || strings.HasPrefix(p, filepath.Join(dir, "rejected")) {
			kept++
			assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), p)
		}
		return nil
	}))
	assert.GreaterOrEqual(t, kept, 5, "the large file, its report, and the three reports")
	n, _ := distinctSamples(t, s)
	assert.Equal(t, uint64(bigRows), n, "only the large file's samples")
	var leaked uint64
	require.NoError(t, chtest.Conn(t, s).QueryRow(ctx, "SELECT count() FROM usage_samples WHERE position(resource_id, 'S3CRET') > 0").Scan(&leaked))
	assert.Zero(t, leaked)
	// the secrets themselves are untouched
	b, err := os.ReadFile(password)
	require.NoError(t, err)
	assert.Equal(t, "S3CRET-password-of-clickhouse\n", string(b))
}
