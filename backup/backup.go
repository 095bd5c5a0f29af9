// Package backup copies cloudbill's database to a directory and back (docs/backup.md):
// every table in ClickHouse's Native format, zstd-compressed, the spool of acknowledged samples not yet in
// ClickHouse, and a manifest (manifest.json, written last) with each table's row count,
// the SHA-256 of its file and a content hash that does not depend on row order.
//
// Consistency without transactions: the spool is copied first, then the tables, each read
// by one query (a snapshot of its parts), in an order where a record that commits a
// piece of work (a rating run, a close, an issue, a claim) is read before the rows it
// commits; usage samples last. So every sample acknowledged before the backup started is
// in it (in ClickHouse, or in the spool, whose replay is idempotent); what arrives during
// it may or may not be, and is in the next one. A close that commits during the backup
// is not in it (the month is open in the copy; closing it again after a restore redoes
// it).
//
// The package holds the logic; the store (package chstore) reads and writes rows.
package backup

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"

	"cloudbill/internal/calendar"
)

// FormatVersion is the version of the backup layout this package writes and reads: 2,
// tables in Native format. Format 1 (tables as gzip'd JSON lines) is refused: restore it
// with the binary that took it, or take a new backup.
const FormatVersion = 2

// ManifestFile is the manifest's name in a backup directory; a directory without it is
// not a (complete) backup.
const ManifestFile = "manifest.json"

// SamplesTable is the table of usage samples, the one a backup may leave out or cut to
// a range of months.
const SamplesTable = "usage_samples"

// Table is a table of the database.
type Table struct {
	Name   string
	Engine string // MergeTree, ReplacingMergeTree, ReplicatedReplacingMergeTree (cluster), …
}

// Replacing reports whether the table keeps only the latest version of a key (read with
// FINAL, so that a copy holds what a reader sees, whatever merges have happened).
func (t Table) Replacing() bool {
	return strings.HasPrefix(t.Engine, "Replacing") || strings.HasPrefix(t.Engine, "ReplicatedReplacing")
}

// Dump says which rows of a table to read.
type Dump struct {
	Table Table
	// Columns, when set, are the columns read (default every column but MATERIALIZED
	// and ALIAS ones, in table order).
	Columns []string
	// TimeColumn, From and To, when set, keep the rows with From ≤ TimeColumn < To.
	TimeColumn string
	From, To   time.Time
}

// Store is what a backup reads and a restore writes; package chstore satisfies it.
type Store interface {
	// Tables lists the tables of the database but its migration records.
	Tables(ctx context.Context) ([]Table, error)
	// Migrations lists the applied schema migrations.
	Migrations(ctx context.Context) ([]uint32, error)
	// DumpNative reads the rows of d in one query, calling columns with the column names
	// (once, first) and then each with the rows as blocks in ClickHouse's Native format
	// (revision 0; the slice is valid during the call).
	DumpNative(ctx context.Context, d Dump, columns func([]string), each func(block []byte) error) error
	// LoadNative inserts the Native blocks of r into table's columns and returns the
	// rows inserted.
	LoadNative(ctx context.Context, table string, columns []string, r io.Reader) (int64, error)
	// Count is the rows of a table.
	Count(ctx context.Context, table string) (int64, error)
}

// Samples is which samples a backup takes: all, none, or the months From..To.
type Samples struct {
	None     bool
	From, To calendar.Period // zero: all
}

// ParseSamples reads "all", "none" or "YYYY-MM..YYYY-MM" (or one month "YYYY-MM").
func ParseSamples(s string) (Samples, error) {
	switch s {
	case "", "all":
		return Samples{}, nil
	case "none":
		return Samples{None: true}, nil
	}
	from, to, ok := strings.Cut(s, "..")
	if !ok {
		to = from
	}
	f, err := calendar.ParsePeriod(from)
	if err != nil {
		return Samples{}, fmt.Errorf("samples %q: want all, none, YYYY-MM or YYYY-MM..YYYY-MM", s)
	}
	t, err := calendar.ParsePeriod(to)
	if err != nil || t.Before(f) {
		return Samples{}, fmt.Errorf("samples %q: want all, none, YYYY-MM or YYYY-MM..YYYY-MM (first month first)", s)
	}
	return Samples{From: f, To: t}, nil
}

func (s Samples) String() string {
	switch {
	case s.None:
		return "none"
	case s.From == (calendar.Period{}):
		return "all"
	}
	return s.From.String() + ".." + s.To.String()
}

// Manifest describes a backup.
type Manifest struct {
	Format     int       `json:"format"`
	CreatedAt  time.Time `json:"created_at"`
	FinishedAt time.Time `json:"finished_at"`
	Database   string    `json:"database"`
	// Migrations are the schema migrations applied to the database backed up: a restore
	// needs a binary that has them all.
	Migrations []uint32     `json:"migrations"`
	Samples    string       `json:"samples"`
	Tables     []TableEntry `json:"tables"`
	Spool      []FileEntry  `json:"spool"`
}

// TableEntry is one table's copy.
type TableEntry struct {
	Name    string   `json:"name"`
	Engine  string   `json:"engine"`
	Columns []string `json:"columns"`
	Rows    int64    `json:"rows"`
	// Partial: only some rows were taken (samples by month, or none).
	Partial bool `json:"partial,omitempty"`
	FileEntry
	// ContentHash hashes the rows whatever their order: the sum, modulo 2^64, of the
	// first 8 bytes of each row's SHA-256 (over its values as the Native format writes
	// them, each preceded by its length as a uvarint), in hex.
	ContentHash string `json:"content_hash"`
}

// FileEntry is one file of the backup.
type FileEntry struct {
	File   string `json:"file"` // relative to the backup directory
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// ErrNotEmpty: restore into a database that holds rows.
var ErrNotEmpty = errors.New("the database is not empty")

// ErrFormat: a backup in a format this binary does not read.
var ErrFormat = errors.New("backup format not read by this binary")

// ErrCorrupt: a backup whose files do not match its manifest.
var ErrCorrupt = errors.New("backup does not match its manifest")

// readOrder puts the tables in the order they are read: records that commit work
// first, samples last, the rest by name.
func readOrder(ts []Table) []Table {
	first := []string{"close_claims", "period_closes", "statement_issues", "rating_runs", "job_runs", "imports", "budget_warnings"}
	rank := func(t Table) int {
		if i := slices.Index(first, t.Name); i >= 0 {
			return i
		}
		if t.Name == SamplesTable {
			return len(first) + 2
		}
		return len(first) + 1
	}
	out := slices.Clone(ts)
	sort.SliceStable(out, func(i, j int) bool {
		ri, rj := rank(out[i]), rank(out[j])
		if ri != rj {
			return ri < rj
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Params of a backup.
type Params struct {
	Store Store
	// Database names the database in the manifest.
	Database string
	// Dir is the backup directory: created; it must not exist or be empty.
	Dir string
	// SpoolDir is serve's spool (data-dir/spool); "" or missing: none copied.
	SpoolDir string
	Samples  Samples
	Now      func() time.Time
}

// Take writes a backup of the database to p.Dir and returns its manifest.
func Take(ctx context.Context, p Params) (*Manifest, error) {
	if p.Now == nil {
		p.Now = time.Now
	}
	if err := emptyDir(p.Dir); err != nil {
		return nil, err
	}
	m := &Manifest{Format: FormatVersion, CreatedAt: p.Now().UTC(), Database: p.Database, Samples: p.Samples.String()}
	var err error
	if m.Migrations, err = p.Store.Migrations(ctx); err != nil {
		return nil, err
	}
	// the spool first: a batch replayed into ClickHouse meanwhile is in both, and its
	// replay after a restore changes nothing (samples are deduplicated by identity).
	if m.Spool, err = copySpool(p.SpoolDir, p.Dir); err != nil {
		return nil, err
	}
	tables, err := p.Store.Tables(ctx)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(p.Dir, "tables"), 0o750); err != nil {
		return nil, err
	}
	for _, t := range readOrder(tables) {
		d := Dump{Table: t}
		partial := false
		if t.Name == SamplesTable {
			switch {
			case p.Samples.None:
				d.TimeColumn, d.From, d.To = "ts", time.Unix(0, 0), time.Unix(0, 0)
				partial = true
			case p.Samples.From != (calendar.Period{}):
				d.TimeColumn, d.From, d.To = "ts", p.Samples.From.Start(), p.Samples.To.End()
				partial = true
			}
		}
		e, err := dumpTable(ctx, p.Store, d, p.Dir)
		if err != nil {
			return nil, fmt.Errorf("backup %s: %w", t.Name, err)
		}
		e.Partial = partial
		m.Tables = append(m.Tables, e)
	}
	m.FinishedAt = p.Now().UTC()
	if err := writeManifest(p.Dir, m); err != nil {
		return nil, err
	}
	return m, nil
}

// rowHash accumulates the order-free content hash and the row count.
type rowHash struct {
	sum  uint64
	rows int64
}

func (h *rowHash) add(line []byte) {
	s := sha256.Sum256(line)
	h.sum += binary.BigEndian.Uint64(s[:8])
	h.rows++
}

func (h *rowHash) String() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h.sum)
	return hex.EncodeToString(b[:])
}

// TableExt is the name ending of a table's file: Native format, zstd-compressed.
const TableExt = ".native.zst"

func dumpTable(ctx context.Context, s Store, d Dump, dir string) (TableEntry, error) {
	rel := filepath.Join("tables", d.Table.Name+TableExt)
	f, err := os.OpenFile(filepath.Join(dir, rel), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return TableEntry{}, err
	}
	defer f.Close()
	sum := sha256.New()
	counted := &countWriter{w: io.MultiWriter(f, sum)}
	zw, err := zstd.NewWriter(counted, zstd.WithEncoderLevel(zstd.SpeedFastest))
	if err != nil {
		return TableEntry{}, err
	}
	e := TableEntry{Name: d.Table.Name, Engine: d.Table.Engine}
	var h rowHash
	err = s.DumpNative(ctx, d, func(cols []string) { e.Columns = cols }, func(block []byte) error {
		if _, err := hashNative(block, &h); err != nil {
			return fmt.Errorf("after row %d: %w", h.rows, err)
		}
		_, err := zw.Write(block)
		return err
	})
	if err != nil {
		zw.Close()
		return e, err
	}
	if err := zw.Close(); err != nil {
		return e, err
	}
	if err := f.Sync(); err != nil {
		return e, err
	}
	e.Rows, e.ContentHash = h.rows, h.String()
	e.FileEntry = FileEntry{File: filepath.ToSlash(rel), Bytes: counted.n, SHA256: hex.EncodeToString(sum.Sum(nil))}
	return e, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func emptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return os.MkdirAll(dir, 0o750)
	case err != nil:
		return err
	case len(entries) > 0:
		return fmt.Errorf("backup directory %s is not empty: give a new one", dir)
	}
	return nil
}

func copySpool(spoolDir, dir string) ([]FileEntry, error) {
	if spoolDir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(spoolDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []FileEntry
	for _, e := range entries {
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") || strings.HasSuffix(e.Name(), ".tmp") {
			continue
		}
		rel := filepath.Join("spool", e.Name())
		fe, err := copyFile(filepath.Join(spoolDir, e.Name()), filepath.Join(dir, rel))
		if errors.Is(err, os.ErrNotExist) {
			continue // replayed and removed meanwhile: its samples are in ClickHouse
		}
		if err != nil {
			return nil, fmt.Errorf("backup spool: %w", err)
		}
		fe.File = filepath.ToSlash(rel)
		out = append(out, fe)
	}
	return out, nil
}

func copyFile(src, dst string) (FileEntry, error) {
	in, err := os.Open(src)
	if err != nil {
		return FileEntry{}, err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return FileEntry{}, err
	}
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o640)
	if err != nil {
		return FileEntry{}, err
	}
	defer out.Close()
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, sum), in)
	if err != nil {
		return FileEntry{}, err
	}
	if err := out.Sync(); err != nil {
		return FileEntry{}, err
	}
	return FileEntry{Bytes: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

func writeManifest(dir string, m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, ManifestFile+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o640); err != nil {
		return err
	}
	if f, err := os.Open(tmp); err == nil {
		_ = f.Sync()
		f.Close()
	}
	return os.Rename(tmp, filepath.Join(dir, ManifestFile))
}

// ReadManifest reads the manifest of the backup in dir.
func ReadManifest(dir string) (*Manifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, ManifestFile))
	if err != nil {
		return nil, fmt.Errorf("%s: not a complete backup: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ManifestFile), err)
	}
	switch {
	case m.Format == 1:
		return nil, fmt.Errorf("%w: %s is a format 1 backup (tables as JSON lines, written by cloudbill before December 2026); this binary reads format %d (Native tables): restore it with the binary that took it, then take a new backup", ErrFormat, dir, FormatVersion)
	case m.Format != FormatVersion:
		return nil, fmt.Errorf("%w: %s is a format %d backup; this binary reads format %d", ErrFormat, dir, m.Format, FormatVersion)
	}
	return &m, nil
}

// Verify checks every file of the backup in dir against its manifest (size and
// SHA-256), without a database.
func Verify(dir string, m *Manifest) error {
	var files []FileEntry
	for _, t := range m.Tables {
		files = append(files, t.FileEntry)
	}
	files = append(files, m.Spool...)
	for _, fe := range files {
		f, err := os.Open(filepath.Join(dir, filepath.FromSlash(fe.File)))
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		sum := sha256.New()
		n, err := io.Copy(sum, f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%w: %s: %v", ErrCorrupt, fe.File, err)
		}
		if n != fe.Bytes || hex.EncodeToString(sum.Sum(nil)) != fe.SHA256 {
			return fmt.Errorf("%w: %s: %d bytes, SHA-256 %s; the manifest says %d bytes, %s", ErrCorrupt, fe.File, n, hex.EncodeToString(sum.Sum(nil)), fe.Bytes, fe.SHA256)
		}
	}
	return nil
}
