package main

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
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/term"

	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
	"cloudbill/metering"
)

const ingestExplain = `
Loads usage samples (docs/formats.md) from CSV files (header: resource_id, metric, ts, value,
source; UTF-8 with or without BOM, or GB18030) and NDJSON files (one JSON object a line,
value a number or a decimal string). The format is taken from the extension (.csv;
.ndjson, .jsonl, .json) or else from the content. Files are streamed: memory stays flat
whatever their size.

A sample's identity is (resource_id, metric, ts): loading the same file again changes no
figure, and a new value for an identity replaces the old one (the latest loaded wins).
Lines that are not valid samples are refused with an error naming file, line and column;
the other lines are kept. The report (also written to --report) counts accepted,
duplicate and rejected lines per file; refused lines are copied, with the CSV header, to
a reject file beside the report, ready to be corrected and loaded again. If ClickHouse
cannot take the samples they are kept in the spool (--data-dir/spool, fsync'd before a
file is reported done) and written by the next ingest or by serve.

On a terminal a progress line shows percent of bytes and rows/s.
Exit status: 0 all lines loaded, 2 some lines or files refused, 1 failure.`

// ingestReport is the outcome of one file.
type ingestReport struct {
	file       string
	format     metering.Format
	encoding   string
	accepted   int
	duplicates int
	spooled    int
	rejected   int
	sum        float64  // of the values written (not duplicates)
	errors     []string // the first few messages, for the report
	refused    string   // the whole file was refused (header, empty file, unreadable)
	rejectFile string
}

func ingestCommand() *command {
	return &command{
		Name:  "ingest",
		Usage: "[--report FILE] FILE...",
		Short: "load usage samples from CSV or NDJSON files",
		Long:  ingestExplain,
		Args:  "FILE...",
		Flags: func(fs *flagSet) runFunc {
			report := fs.String("report", "", "report `file` (default DATA-DIR/reports/ingest-<time>.txt); reject files are written beside it")
			summary := fs.Bool("summary", true, "end the report with the samples written, their resources, time range and sum (computed from what was written: no query)")
			batchRows := fs.Int("batch", 100_000, "samples per insert")
			enc := fs.Encoding()
			ranges := fs.MetricMax()
			return func(ctx context.Context, a *app, files []string) error {
				return runIngest(ctx, a, ingestParams{Files: files, Report: *report, Summary: *summary, BatchRows: *batchRows, Encoding: *enc, Ranges: ranges})
			}
		},
	}
}

// ingestParams is one ingest asked for.
type ingestParams struct {
	Files     []string
	Report    string // "" → DATA-DIR/reports/ingest-<time>.txt
	Summary   bool
	BatchRows int
	Encoding  csvin.Encoding   // of the CSV files; zero: decided from the text
	Ranges    *metering.Ranges // ceilings of the metrics' values
}

func runIngest(ctx context.Context, a *app, in ingestParams) error {
	for _, f := range in.Files {
		if _, err := os.Stat(f); err != nil {
			return usagef("ingest: %v", err)
		}
	}
	if in.Report == "" {
		in.Report = filepath.Join(a.dataDir, "reports", "ingest-"+a.now().UTC().Format("20060102-150405")+".txt")
	}
	if err := os.MkdirAll(filepath.Dir(in.Report), 0o755); err != nil {
		return err
	}
	// Memory stays flat whatever the file size: a few batches are in flight.
	defer batchGC(800, 180<<20)()
	stopProfile, err := cpuProfile()
	if err != nil {
		return err
	}
	defer stopProfile()
	store, err := a.Store(ctx)
	if err != nil {
		return err
	}
	spool, err := metering.OpenSpool(filepath.Join(a.dataDir, "spool"))
	if err != nil {
		return err
	}
	b, err := metering.NewBatcher(metering.BatcherConfig{
		Sink: store, Spool: spool, MaxRows: in.BatchRows, MaxDelay: time.Second,
		Logf: func(f string, args ...any) { fmt.Fprintf(a.stderr, "ingest: "+f+"\n", args...) },
	})
	if err != nil {
		return err
	}
	b.ReplaySpool(ctx)
	defer b.Close(context.Background())

	var progress io.Writer
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		progress = a.stderr
	}
	var reports []*ingestReport
	var minTS, maxTS int64
	resources := newResourceSet()
	start := time.Now()
	for i, name := range in.Files {
		r, lo, hi, err := ingestFile(ctx, b, name, rejectPath(in.Report, i, name), progress, in.BatchRows, in.Encoding, resources, in.Ranges, nil)
		if err != nil {
			return err
		}
		if r.accepted > 0 {
			if minTS == 0 || lo < minTS {
				minTS = lo
			}
			if hi > maxTS {
				maxTS = hi
			}
		}
		reports = append(reports, r)
	}
	if err := b.Close(ctx); err != nil {
		return err
	}
	elapsed := time.Since(start)

	var text strings.Builder
	var tot ingestReport
	for _, r := range reports {
		fmt.Fprintf(&text, "%s (%s", r.file, r.format)
		if r.encoding != "" {
			fmt.Fprintf(&text, ", %s", r.encoding)
		}
		fmt.Fprintf(&text, "): ")
		if r.refused != "" {
			fmt.Fprintf(&text, "refused: %s\n", r.refused)
			tot.rejected++
			continue
		}
		fmt.Fprintf(&text, "accepted %d, duplicates %d, rejected %d", r.accepted, r.duplicates, r.rejected)
		if r.spooled > 0 {
			fmt.Fprintf(&text, ", spooled %d (ClickHouse unavailable; written when it is back)", r.spooled)
		}
		text.WriteString("\n")
		for _, e := range r.errors {
			fmt.Fprintf(&text, "  %s\n", e)
		}
		if r.rejected > len(r.errors) {
			fmt.Fprintf(&text, "  … and %d more\n", r.rejected-len(r.errors))
		}
		if r.rejectFile != "" {
			fmt.Fprintf(&text, "  rejected lines: %s\n", r.rejectFile)
		}
		tot.accepted += r.accepted
		tot.duplicates += r.duplicates
		tot.rejected += r.rejected
		tot.spooled += r.spooled
		tot.sum += r.sum
	}
	rate := float64(tot.accepted) / max(elapsed.Seconds(), 1e-9)
	fmt.Fprintf(&text, "total: accepted %d, duplicates %d, rejected %d, spooled %d in %s (%.0f rows/s)\n",
		tot.accepted, tot.duplicates, tot.rejected, tot.spooled, elapsed.Round(time.Millisecond), rate)
	if in.Summary && tot.accepted > 0 {
		// From what was just written, never a query over the range: its cost would grow
		// with the data stored there.
		fmt.Fprintf(&text, "written: %d new or corrected samples of %d resources in %s … %s, sum of values %g; %d duplicates not written again\n",
			tot.accepted-tot.duplicates, len(resources.ids), time.Unix(minTS, 0).UTC().Format(time.RFC3339), time.Unix(maxTS, 0).UTC().Format(time.RFC3339),
			tot.sum, tot.duplicates)
	}
	fmt.Fprintf(&text, "report: %s\n", in.Report)
	if err := os.WriteFile(in.Report, []byte(text.String()), 0o644); err != nil {
		return err
	}
	fmt.Fprint(a.stdout, text.String())
	if tot.rejected > 0 {
		return &exitError{exitBadInput, fmt.Errorf("%d lines or files rejected (see %s)", tot.rejected, in.Report)}
	}
	return nil
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

// rejectPath is the reject file of the i-th input, beside the report.
func rejectPath(report string, i int, name string) string {
	base := strings.TrimSuffix(report, filepath.Ext(report))
	return fmt.Sprintf("%s.%d-%s.rejected", base, i+1, filepath.Base(name))
}

// resourceSet holds the distinct resource ids of the samples read (its size follows the
// resources, not the samples). The parser shares equal strings, so most rows are found
// by where their id lies, without hashing it.
type resourceSet struct {
	ids  map[string]struct{}
	seen map[*byte]struct{}
}

func newResourceSet() *resourceSet {
	return &resourceSet{ids: map[string]struct{}{}, seen: map[*byte]struct{}{}}
}

func (s *resourceSet) add(id string) {
	p := unsafe.StringData(id)
	if _, ok := s.seen[p]; ok {
		return
	}
	if len(s.seen) < 1<<20 {
		s.seen[p] = struct{}{}
	}
	s.ids[id] = struct{}{}
}

// ingestFile streams one file into the batcher and waits until its samples are durable.
// It returns the file's report and the range of its timestamps, and adds the resources
// of its samples to resources.
func ingestFile(ctx context.Context, b *metering.Batcher, name, rejects string, progress io.Writer, chunk int, enc csvin.Encoding, resources *resourceSet, ranges *metering.Ranges, scope *metering.Scope) (r *ingestReport, minTS, maxTS int64, err error) {
	r = &ingestReport{file: name}
	f, err := os.Open(name)
	if err != nil {
		r.refused = err.Error()
		return r, 0, 0, nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, 0, err
	}
	head := make([]byte, 512)
	n, _ := f.ReadAt(head, 0)
	r.format = metering.FormatOf(name, head[:n])
	pc := metering.ParserConfig{Name: name, Format: r.format, Source: filepath.Base(name), Encoding: enc, Ranges: ranges}
	if scope != nil { // a vendor's drop folder: its lines, its resources
		pc.Source, pc.Admit = scope.Vendor, scope.Admit
	}
	p, err := metering.NewParser(f, pc)
	if err != nil {
		var ce *csvin.Error
		var ces csvin.Errors
		if errors.As(err, &ce) || errors.As(err, &ces) {
			r.refused = err.Error()
			return r, 0, 0, nil
		}
		return nil, 0, 0, err
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
	onReject := func(rj metering.Reject) {
		r.rejected++
		if len(r.errors) < 20 {
			r.errors = append(r.errors, rj.Err.Error())
		}
		if rw == nil {
			rf, werr = os.Create(rejects)
			if werr != nil {
				return
			}
			rw = bufio.NewWriter(rf)
			r.rejectFile = rejects
			if h := p.Header(); h != nil {
				writeRejectLine(rw, h, true)
			}
		}
		writeRejectLine(rw, rj.Raw, r.format == metering.CSV)
	}

	var rows atomic.Int64
	done := make(chan struct{})
	if progress != nil {
		go showProgress(progress, name, st.Size(), p, &rows, done)
	}
	defer close(done)

	var batch metering.Batch
	var tickets []*metering.Ticket
	collect := func(all bool) error {
		for len(tickets) > 0 && (all || tickets[0].Done()) {
			res, err := tickets[0].Wait(ctx)
			if err != nil {
				return err
			}
			r.accepted += res.Accepted
			r.duplicates += res.Duplicates
			r.spooled += res.Spooled
			r.sum += tickets[0].Sum()
			tickets = tickets[1:]
		}
		return nil
	}
	step := min(chunk, 10_000)
	for {
		batch.Reset()
		n, err := p.Next(&batch, step, onReject)
		if werr != nil {
			return nil, 0, 0, fmt.Errorf("reject file: %w", werr)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("read %s: %w", name, err)
		}
		for _, ts := range batch.TS[:n] {
			if minTS == 0 || ts < minTS {
				minTS = ts
			}
			if ts > maxTS {
				maxTS = ts
			}
		}
		for _, id := range batch.ResourceID[:n] {
			resources.add(id)
		}
		t, err := b.Add(ctx, &batch)
		if err != nil {
			return nil, 0, 0, err
		}
		tickets = append(tickets, t)
		rows.Add(int64(n))
		if err := collect(false); err != nil {
			return nil, 0, 0, err
		}
	}
	b.Flush()
	if err := collect(true); err != nil {
		return nil, 0, 0, err
	}
	r.encoding = p.Encoding()
	if progress != nil {
		fmt.Fprintf(progress, "\r\033[K")
	}
	return r, minTS, maxTS, nil
}

// showProgress draws a progress line until done is closed.
func showProgress(w io.Writer, name string, size int64, p *metering.Parser, rows *atomic.Int64, done chan struct{}) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		pct := 100.0
		if size > 0 {
			pct = float64(p.Offset()) * 100 / float64(size)
		}
		const width = 30
		filled := int(pct / 100 * width)
		filled = max(0, min(width, filled))
		rate := float64(rows.Load()) / time.Since(start).Seconds()
		fmt.Fprintf(w, "\r\033[K%s [%s%s] %5.1f%%  %d rows  %.0f rows/s", filepath.Base(name),
			strings.Repeat("#", filled), strings.Repeat(".", width-filled), pct, rows.Load(), rate)
	}
}

// cpuProfile writes a CPU profile to $CLOUDBILL_CPUPROFILE, if set, until the returned
// function is called (for finding where ingest and serve spend their time).
func cpuProfile() (stop func(), err error) {
	path := os.Getenv("CLOUDBILL_CPUPROFILE")
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}
