package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/term"

	"cloudbill/internal/csvin"
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
	// Memory stays flat whatever the file size: a few batches are in flight (the one
	// filling, one waiting, two being written: about 600 bytes a row of --batch), so
	// the heap's bound follows the batch size, at least the 180 MB of 100,000 rows.
	defer batchGC(800, max(180<<20, 120<<20+int64(in.BatchRows)*600))()
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
		// what is stored of the files' series is read once, not once per batch (a
		// re-sent time-major file); 4 M rows are about 80 MB
		StoredCacheRows: 4 << 20,
		Logf:            func(f string, args ...any) { fmt.Fprintf(a.stderr, "ingest: "+f+"\n", args...) },
	})
	if err != nil {
		return err
	}
	b.ReplaySpool(ctx)
	defer b.Close(context.Background())

	terminal := false
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		terminal = true
	}
	progressOf := func(name string) func(*metering.Parser, int64, *atomic.Int64) func() {
		if !terminal {
			return nil
		}
		return func(p *metering.Parser, size int64, rows *atomic.Int64) func() {
			done := make(chan struct{})
			go showProgress(a.stderr, name, size, p, rows, done)
			return func() { close(done); fmt.Fprintf(a.stderr, "\r\033[K") }
		}
	}
	rep := metering.IngestReport{}
	resources := metering.NewResourceSet()
	start := time.Now()
	for i, name := range in.Files {
		r, err := metering.IngestFile(ctx, b, metering.FileParams{
			Name: name, Rejects: metering.RejectPath(in.Report, i, name), Chunk: in.BatchRows,
			Encoding: in.Encoding, Ranges: in.Ranges, Resources: resources, Progress: progressOf(name),
		})
		if err != nil {
			return err
		}
		rep.Files = append(rep.Files, r)
	}
	if err := b.Close(ctx); err != nil {
		return err
	}
	rep.Elapsed, rep.Resources = time.Since(start), resources.Len()
	text := rep.Text(in.Summary, in.Report)
	if err := os.WriteFile(in.Report, []byte(text), 0o644); err != nil {
		return err
	}
	fmt.Fprint(a.stdout, text)
	if n := rep.Rejected(); n > 0 {
		return &exitError{exitBadInput, fmt.Errorf("%d lines or files rejected (see %s)", n, in.Report)}
	}
	return nil
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

// cpuProfile writes a CPU profile to $CLOUDBILL_CPUPROFILE and the allocations to
// $CLOUDBILL_MEMPROFILE, each if set, until the returned function is called; every
// command runs under it (command.execute), for finding where a command spends its time
// and memory.
func cpuProfile() (stop func(), err error) {
	stop = func() {}
	if path := os.Getenv("CLOUDBILL_CPUPROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		stop = func() { pprof.StopCPUProfile(); f.Close() }
	}
	if path := os.Getenv("CLOUDBILL_MEMPROFILE"); path != "" {
		stopCPU := stop
		stop = func() {
			stopCPU()
			if f, err := os.Create(path); err == nil {
				_ = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
		}
	}
	return stop, nil
}
