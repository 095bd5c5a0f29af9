package metering

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
)

// FileReport is the outcome of ingesting one file (IngestFile).
type FileReport struct {
	File       string
	Format     Format
	Encoding   string // "UTF-8" or "GB18030", as read
	Accepted   int
	Duplicates int
	Spooled    int
	Rejected   int
	Sum        float64  // of the values written (not duplicates)
	Errors     []string // the first 20 messages
	Refused    string   // the whole file was refused (header, empty file, unreadable)
	// RefusedErr is the refusal as an input error (*csvin.Error or csvin.Errors), when
	// it is one: a report can then say it without quoting the file (the drop folder).
	RefusedErr error
	RejectFile string // where the refused lines are, if any
	// MinTS and MaxTS are the range of the file's sample timestamps (Unix seconds).
	MinTS, MaxTS int64
}

// FileParams is one file to ingest.
type FileParams struct {
	Name string
	// File, when set, is the file already open (the drop folder opens its files itself,
	// without following links); Name then only names it in messages. IngestFile does not
	// close it.
	File *os.File
	// Rejects is the reject file, created at the first refused line: the CSV header,
	// then every refused line, ready to be corrected and loaded again.
	Rejects  string
	Chunk    int            // samples per batch handed to the batcher (at most 10,000)
	Encoding csvin.Encoding // of a CSV file; zero: decided from the text
	Ranges   *Ranges        // ceilings of the metrics' values; nil: the defaults
	Scope    *Scope         // a vendor's lines only (drop folders); nil: any
	// Resources collects the distinct resource ids of the file's samples; may be nil.
	Resources *ResourceSet
	// Progress, when set, is called once the file is open and returns the function that
	// ends the progress display; rows counts the samples read so far.
	Progress func(p *Parser, size int64, rows *atomic.Int64) (stop func())
}

// IngestFile streams one file into the batcher and waits until its samples are durable
// (stored or spooled). A file that cannot be read or parsed at all is reported as
// refused, not as an error; an error is a failure of the batcher or the reject file.
func IngestFile(ctx context.Context, b *Batcher, fp FileParams) (r *FileReport, err error) {
	r = &FileReport{File: fp.Name}
	f := fp.File
	if f == nil {
		if f, err = os.Open(fp.Name); err != nil {
			r.Refused = err.Error()
			return r, nil
		}
		defer f.Close()
	}
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	r.Format = FormatOf(fp.Name, head[:n])
	pc := ParserConfig{Name: fp.Name, Format: r.Format, Source: filepath.Base(fp.Name), Encoding: fp.Encoding, Ranges: fp.Ranges}
	if fp.Scope != nil { // a vendor's drop folder: its lines, its resources
		pc.Source, pc.Admit = fp.Scope.Vendor, fp.Scope.Admit
	}
	p, err := NewParser(f, pc)
	if err != nil {
		var ce *csvin.Error
		var ces csvin.Errors
		if errors.As(err, &ce) || errors.As(err, &ces) {
			r.Refused, r.RefusedErr = err.Error(), err
			return r, nil
		}
		return nil, err
	}
	var rw *bufio.Writer
	var rf *os.File
	defer func() {
		if rw != nil {
			if ferr := rw.Flush(); err == nil && ferr != nil {
				err = ferr
			}
			if cerr := rf.Close(); err == nil && cerr != nil {
				err = cerr
			}
		}
	}()
	var werr error
	onReject := func(rj Reject) {
		r.Rejected++
		if len(r.Errors) < 20 {
			r.Errors = append(r.Errors, rj.Err.Error())
		}
		if rw == nil {
			// readable by the service only; never through a link put in its place
			rf, werr = os.OpenFile(fp.Rejects, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|syscall.O_NOFOLLOW, 0o600)
			if werr != nil {
				return
			}
			rw = bufio.NewWriter(rf)
			r.RejectFile = fp.Rejects
			if h := p.Header(); h != nil {
				writeRejectLine(rw, h, true)
			}
		}
		writeRejectLine(rw, rj.Raw, r.Format == CSV)
	}

	var rows atomic.Int64
	if fp.Progress != nil {
		defer fp.Progress(p, st.Size(), &rows)()
	}

	var batch Batch
	var tickets []*Ticket
	// every done ticket is counted and let go, not only those in front: a batch whose
	// write takes long (a timeout, then the spool) must not hold the batches after it
	collect := func(all bool) error {
		kept := tickets[:0]
		for _, t := range tickets {
			if !all && !t.Done() {
				kept = append(kept, t)
				continue
			}
			res, err := t.Wait(ctx)
			if err != nil {
				return err
			}
			r.Accepted += res.Accepted
			r.Duplicates += res.Duplicates
			r.Spooled += res.Spooled
			r.Sum += t.Sum()
		}
		clear(tickets[len(kept):])
		tickets = kept
		return nil
	}
	step := min(max(fp.Chunk, 1), 10_000)
	for {
		batch.Reset()
		n, err := p.Next(&batch, step, onReject)
		if werr != nil {
			return nil, fmt.Errorf("reject file: %w", werr)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", fp.Name, err)
		}
		for _, ts := range batch.TS[:n] {
			if r.MinTS == 0 || ts < r.MinTS {
				r.MinTS = ts
			}
			if ts > r.MaxTS {
				r.MaxTS = ts
			}
		}
		if fp.Resources != nil {
			for _, id := range batch.ResourceID[:n] {
				fp.Resources.add(id)
			}
		}
		t, err := b.Add(ctx, &batch)
		if err != nil {
			return nil, err
		}
		tickets = append(tickets, t)
		rows.Add(int64(n))
		if err := collect(false); err != nil {
			return nil, err
		}
	}
	b.Flush()
	if err := collect(true); err != nil {
		return nil, err
	}
	r.Encoding = p.Encoding()
	return r, nil
}

// writeRejectLine copies a refused line to a reject file. A CSV line is written again
// through the neutralising CSV writer (package csvout: no cell can act as a formula when
// the file is opened in a spreadsheet; re-ingesting it reads the same values); a CSV line
// that cannot be split is written as one text cell; NDJSON as it came.
func writeRejectLine(w io.Writer, raw []byte, isCSV bool) {
	if !isCSV {
		w.Write(raw)
		io.WriteString(w, "\n")
		return
	}
	cr := csv.NewReader(bytes.NewReader(raw))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	cw := csvout.NewWriter(w)
	if err != nil || len(recs) != 1 {
		_ = cw.Write([]string{string(raw)})
	} else {
		_ = cw.Write(recs[0])
	}
	cw.Flush()
}

// RejectPath is the reject file of the i-th input (counting from 0), beside report.
func RejectPath(report string, i int, name string) string {
	base := strings.TrimSuffix(report, filepath.Ext(report))
	return fmt.Sprintf("%s.%d-%s.rejected", base, i+1, filepath.Base(name))
}

// ResourceSet holds the distinct resource ids of the samples read (its size follows the
// resources, not the samples). The parser shares equal strings, so most rows are found
// by where their id lies, without hashing it.
type ResourceSet struct {
	ids  map[string]struct{}
	seen map[*byte]struct{}
}

// NewResourceSet is an empty set.
func NewResourceSet() *ResourceSet {
	return &ResourceSet{ids: map[string]struct{}{}, seen: map[*byte]struct{}{}}
}

// Len is the number of distinct resource ids.
func (s *ResourceSet) Len() int { return len(s.ids) }

func (s *ResourceSet) add(id string) {
	p := unsafe.StringData(id)
	if _, ok := s.seen[p]; ok {
		return
	}
	if len(s.seen) < 1<<20 {
		s.seen[p] = struct{}{}
	}
	s.ids[id] = struct{}{}
}

// IngestReport is the outcome of an ingest of several files.
type IngestReport struct {
	Files     []*FileReport
	Elapsed   time.Duration
	Resources int // distinct resources of the samples read
}

// Rejected counts the rejected lines and refused files.
func (ir IngestReport) Rejected() int {
	n := 0
	for _, r := range ir.Files {
		if r.Refused != "" {
			n++
		}
		n += r.Rejected
	}
	return n
}

// Text is the report as `cloudbill ingest` prints and keeps it: a paragraph per file
// (counts, the first errors, the reject file), the totals, with summary the samples
// written (computed from what was written: no query), and where the report is kept.
func (ir IngestReport) Text(summary bool, reportPath string) string {
	var text strings.Builder
	var tot FileReport
	for _, r := range ir.Files {
		fmt.Fprintf(&text, "%s (%s", r.File, r.Format)
		if r.Encoding != "" {
			fmt.Fprintf(&text, ", %s", r.Encoding)
		}
		fmt.Fprintf(&text, "): ")
		if r.Refused != "" {
			fmt.Fprintf(&text, "refused: %s\n", r.Refused)
			tot.Rejected++
			continue
		}
		fmt.Fprintf(&text, "accepted %d, duplicates %d, rejected %d", r.Accepted, r.Duplicates, r.Rejected)
		if r.Spooled > 0 {
			fmt.Fprintf(&text, ", spooled %d (ClickHouse unavailable; written when it is back)", r.Spooled)
		}
		text.WriteString("\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&text, "  %s\n", e)
		}
		if r.Rejected > len(r.Errors) {
			fmt.Fprintf(&text, "  … and %d more\n", r.Rejected-len(r.Errors))
		}
		if r.RejectFile != "" {
			fmt.Fprintf(&text, "  rejected lines: %s\n", r.RejectFile)
		}
		tot.Accepted += r.Accepted
		tot.Duplicates += r.Duplicates
		tot.Rejected += r.Rejected
		tot.Spooled += r.Spooled
		tot.Sum += r.Sum
		if r.Accepted > 0 {
			if tot.MinTS == 0 || r.MinTS < tot.MinTS {
				tot.MinTS = r.MinTS
			}
			if r.MaxTS > tot.MaxTS {
				tot.MaxTS = r.MaxTS
			}
		}
	}
	rate := float64(tot.Accepted) / max(ir.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(&text, "total: accepted %d, duplicates %d, rejected %d, spooled %d in %s (%.0f rows/s)\n",
		tot.Accepted, tot.Duplicates, tot.Rejected, tot.Spooled, ir.Elapsed.Round(time.Millisecond), rate)
	if summary && tot.Accepted > 0 {
		// From what was just written, never a query over the range: its cost would grow
		// with the data stored there.
		fmt.Fprintf(&text, "written: %d new or corrected samples of %d resources in %s … %s, sum of values %g; %d duplicates not written again\n",
			tot.Accepted-tot.Duplicates, ir.Resources, time.Unix(tot.MinTS, 0).UTC().Format(time.RFC3339), time.Unix(tot.MaxTS, 0).UTC().Format(time.RFC3339),
			tot.Sum, tot.Duplicates)
	}
	fmt.Fprintf(&text, "report: %s\n", reportPath)
	return text.String()
}
