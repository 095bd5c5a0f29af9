package backup

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/klauspost/compress/zstd"
)

// RestoreParams of a restore.
type RestoreParams struct {
	Store Store
	// Dir is the backup directory.
	Dir string
	// SpoolDir receives the spooled batches of the backup (serve replays them on start).
	SpoolDir string
	// Logf, when set, is told each table restored.
	Logf func(format string, args ...any)
}

// Restore loads the backup in p.Dir into the store's database, which must have every
// migration the backup has and no row in any table (else ErrNotEmpty). It checks the
// files against the manifest first (ErrCorrupt) and every table afterwards: its rows and
// content hash, read back, must be the manifest's.
func Restore(ctx context.Context, p RestoreParams) (*Manifest, error) {
	logf := p.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	m, err := ReadManifest(p.Dir)
	if err != nil {
		return nil, err
	}
	if err := Verify(p.Dir, m); err != nil {
		return nil, err
	}
	have, err := p.Store.Migrations(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range m.Migrations {
		if !slices.Contains(have, v) {
			return nil, fmt.Errorf("the backup's schema has migration %04d, which this binary does not: restore with the release that took it (or a later one)", v)
		}
	}
	tables, err := p.Store.Tables(ctx)
	if err != nil {
		return nil, err
	}
	exists := map[string]Table{}
	for _, t := range tables {
		exists[t.Name] = t
		n, err := p.Store.Count(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		if n > 0 {
			return nil, fmt.Errorf("%w: table %s has %d rows; restore into a new database (or a fresh --data-dir)", ErrNotEmpty, t.Name, n)
		}
	}
	for _, e := range m.Tables {
		t, ok := exists[e.Name]
		if !ok {
			return nil, fmt.Errorf("restore %s: no such table in this schema", e.Name)
		}
		began := time.Now()
		if err := loadTable(ctx, p.Store, p.Dir, e); err != nil {
			return nil, fmt.Errorf("restore %s: %w", e.Name, err)
		}
		loaded := time.Now()
		var h rowHash
		err := p.Store.DumpNative(ctx, Dump{Table: t, Columns: e.Columns}, func([]string) {}, func(block []byte) error {
			_, err := hashNative(block, &h)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("restore %s: read back: %w", e.Name, err)
		}
		if h.rows != e.Rows || h.String() != e.ContentHash {
			return nil, fmt.Errorf("%w: table %s restored with %d rows, content hash %s; the manifest says %d rows, %s", ErrCorrupt, e.Name, h.rows, h.String(), e.Rows, e.ContentHash)
		}
		logf("restored %s: %d rows (loaded in %s, read back and checked in %s)", e.Name, e.Rows,
			loaded.Sub(began).Round(time.Millisecond), time.Since(loaded).Round(time.Millisecond))
	}
	if len(m.Spool) > 0 && p.SpoolDir != "" {
		for _, fe := range m.Spool {
			dst := filepath.Join(p.SpoolDir, filepath.Base(fe.File))
			if _, err := os.Stat(dst); err == nil {
				continue
			}
			if _, err := copyFile(filepath.Join(p.Dir, filepath.FromSlash(fe.File)), dst); err != nil {
				return nil, fmt.Errorf("restore spool: %w", err)
			}
		}
		logf("restored %d spooled batches into %s: serve replays them when it starts", len(m.Spool), p.SpoolDir)
	}
	return m, nil
}

func loadTable(ctx context.Context, s Store, dir string, e TableEntry) error {
	f, err := os.Open(filepath.Join(dir, filepath.FromSlash(e.File)))
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := zstd.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return err
	}
	defer zr.Close()
	n, err := s.LoadNative(ctx, e.Name, e.Columns, zr)
	if err != nil {
		return fmt.Errorf("%s: %w", e.File, err)
	}
	if n != e.Rows {
		return fmt.Errorf("%w: %s: %d rows read, the manifest says %d", ErrCorrupt, e.File, n, e.Rows)
	}
	return nil
}
