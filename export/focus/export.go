package focus

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/export/focus/conformance"
	"cloudbill/internal/calendar"
	"cloudbill/statements"
)

// Source is what an export reads: the month as the statements read it, and the work
// orders' events (for each order's resource).
type Source interface {
	statements.Source
	OrderEvents(ctx context.Context) ([]catalog.Event, error)
}

// Format is a file format of the export.
type Format string

const (
	FormatCSV     Format = "csv"
	FormatParquet Format = "parquet"
)

// Options of an export.
type Options struct {
	Format Format
	// Provisional allows exporting an open (rated, not closed) month.
	Provisional bool
	// Now dates nothing in the file (a closed month's export is the same bytes every
	// time); it is kept for the open month's statements machinery that Load shares.
	Now func() time.Time
	// WriteParquet writes rows as Parquet (package focusparquet); needed for FormatParquet.
	WriteParquet func(io.Writer, []Row) error
}

// Result says what an export wrote.
type Result struct {
	Period calendar.Period
	Path   string
	Rows   int
	Bytes  int64
	// BilledCost is Σ BilledCost: the month's net payable.
	BilledCost decimal.Decimal
	Final      bool
}

// ErrNonConformant: the dataset built failed the FOCUS conformance check; nothing was
// written.
var ErrNonConformant = errors.New("the FOCUS dataset does not conform")

// Export writes month p as a FOCUS dataset to outDir/YYYY-MM/focus-YYYY-MM.csv (or
// .parquet). The file is written under a temporary name and renamed into place, so a
// reader never sees half a file; the CSV is checked for conformance before it is kept.
// A never-rated month fails with an error wrapping rating.ErrNotRated; an open month
// without Provisional with ErrProvisional.
func Export(ctx context.Context, src Source, p calendar.Period, outDir string, opts Options) (Result, error) {
	if opts.Format == "" {
		opts.Format = FormatCSV
	}
	if opts.Format != FormatCSV && opts.Format != FormatParquet {
		return Result{}, fmt.Errorf("export focus: format %q: want csv or parquet", opts.Format)
	}
	if opts.Format == FormatParquet && opts.WriteParquet == nil {
		return Result{}, errors.New("export focus: no Parquet writer configured")
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	m, err := statements.Load(ctx, src, p, now)
	if err != nil {
		return Result{}, fmt.Errorf("export focus: %w", err)
	}
	if !m.Final() && !opts.Provisional {
		return Result{}, fmt.Errorf("export focus %s: %w", p, ErrProvisional)
	}
	events, err := src.OrderEvents(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("export focus %s: work orders: %w", p, err)
	}
	rows, err := Build(m, Resources(events, p.Last()), opts.Provisional)
	if err != nil {
		return Result{}, err
	}
	var csvBuf bytes.Buffer
	if err := WriteCSV(&csvBuf, rows); err != nil {
		return Result{}, err
	}
	vs, err := conformance.Check(bytes.NewReader(csvBuf.Bytes()))
	if err != nil {
		return Result{}, fmt.Errorf("export focus %s: %w", p, err)
	}
	if len(vs) > 0 {
		var lines []string
		for i, v := range vs {
			if i == 10 {
				lines = append(lines, fmt.Sprintf("… and %d more", len(vs)-10))
				break
			}
			lines = append(lines, v.String())
		}
		return Result{}, fmt.Errorf("export focus %s: %w:\n  %s", p, ErrNonConformant, strings.Join(lines, "\n  "))
	}
	content := csvBuf.Bytes()
	if opts.Format == FormatParquet {
		var pq bytes.Buffer
		if err := opts.WriteParquet(&pq, rows); err != nil {
			return Result{}, fmt.Errorf("export focus %s: %w", p, err)
		}
		content = pq.Bytes()
	}
	dir := filepath.Join(outDir, p.String())
	path := filepath.Join(dir, fmt.Sprintf("focus-%s.%s", p, opts.Format))
	if err := writeAtomic(dir, path, content); err != nil {
		return Result{}, fmt.Errorf("export focus %s: %w", p, err)
	}
	return Result{Period: p, Path: path, Rows: len(rows), Bytes: int64(len(content)), BilledCost: Total(rows), Final: m.Final()}, nil
}

// writeAtomic writes content to path through a temporary file in the same directory,
// synced, then renamed over path.
func writeAtomic(dir, path string, content []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".writing-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if _, err := f.Write(content); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
