package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"

	"cloudbill/document/pdf"
	"cloudbill/document/sheet"
	"cloudbill/fixture/synth"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/statements"
)

// statementsChild marks the child process that does the work, so that its peak RSS is
// the statements' alone.
const statementsChild = "CLOUDBENCH_STATEMENTS_CHILD"

// benchStatements issues the statements of a city-scale closed month (1,000
// departments, 4 vendors, 50,000 work orders' lines, synthesized in Go) and prints the
// department PDFs per second (goal ≥ 100/s) and the peak RSS (goal ≤ 1 GB). It runs in a
// child process so the RSS is its own.
func benchStatements(ctx context.Context) ([]figure, error) {
	var figs []figure
	if os.Getenv(statementsChild) == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		ff, err := os.CreateTemp("", "cloudbench-figures-")
		if err != nil {
			return nil, err
		}
		ff.Close()
		defer os.Remove(ff.Name())
		cmd := exec.CommandContext(ctx, exe, "statements")
		cmd.Env = append(os.Environ(), statementsChild+"=1", figuresFile+"="+ff.Name())
		cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, err
		}
		return readFigures(ff.Name())
	}
	font, err := pdf.LoadFont("")
	if err != nil {
		return nil, err
	}
	out, err := os.MkdirTemp("", "cloudbench-statements-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)

	t0 := time.Now()
	m := synth.Month(synth.Config{Period: calendar.MustPeriod("2026-11"), Departments: 1000, Vendors: 4, Orders: 50_000, Seed: 1, Closed: true})
	synthTime := time.Since(t0)
	t0 = time.Now()
	st := statements.Build(m)
	m = statements.Month{} // as in Issue: only the built statements stay live
	build := time.Since(t0)

	// Department PDFs alone: layout, one font face for the batch, typesetting, files.
	cpu0 := cpuTime()
	t1 := time.Now()
	depDir := filepath.Join(out, "departments")
	if err := os.MkdirAll(depDir, 0o755); err != nil {
		return nil, err
	}
	var size atomic.Int64
	n := len(st.Departments)
	err = pdf.Typesetter{Font: font}.Typeset(ctx, n, func(i int) sheet.Doc { return st.Month.DepartmentDoc(st.Departments[i]) }, func(i int, b []byte) error {
		size.Add(int64(len(b)))
		return os.WriteFile(filepath.Join(depDir, string(st.Departments[i].Department.ID)+".pdf"), b, 0o644)
	})
	if err != nil {
		return nil, err
	}
	depTime := time.Since(t1)
	depCPU := cpuTime() - cpu0

	// The same department PDFs on one worker, right after (same load): what the pool
	// gains over typesetting one after another; the files are the same bytes.
	serialDir := filepath.Join(out, "departments-serial")
	if err := os.MkdirAll(serialDir, 0o755); err != nil {
		return nil, err
	}
	t6 := time.Now()
	err = pdf.Typesetter{Font: font, Workers: 1}.Typeset(ctx, n, func(i int) sheet.Doc { return st.Month.DepartmentDoc(st.Departments[i]) }, func(i int, b []byte) error {
		return os.WriteFile(filepath.Join(serialDir, string(st.Departments[i].Department.ID)+".pdf"), b, 0o644)
	})
	if err != nil {
		return nil, err
	}
	serialTime := time.Since(t6)
	for _, d := range st.Departments {
		a, errA := os.ReadFile(filepath.Join(depDir, string(d.Department.ID)+".pdf"))
		b, errB := os.ReadFile(filepath.Join(serialDir, string(d.Department.ID)+".pdf"))
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			return nil, fmt.Errorf("department %s: the pool's PDF differs from the serial one", d.Department.ID)
		}
	}
	serialRate := float64(n) / serialTime.Seconds()
	figs = append(figs, figure{Name: "statements, department PDFs: pool ÷ 1 worker", Value: float64(n) / depTime.Seconds(), Unit: "PDFs/s",
		Reference: "pdf.Typesetter, 1 worker", RefValue: serialRate,
		Command: fmt.Sprintf("cloudbench statements: %d departments, pool of GOMAXPROCS %d, then 1 worker", n, runtime.GOMAXPROCS(0)), Load: loadNow()})

	// The whole issue: every CSV and PDF (summary, departments, vendors).
	t2 := time.Now()
	sm, err := statements.Write(ctx, st, out, pdf.Typesetter{Font: font})
	if err != nil {
		return nil, err
	}
	whole := time.Since(t2)

	// What parsing the font once per run saves: 20 department documents typeset each
	// with a face cut from the full font (the full font parsed per document) against
	// the batch's face (parsed once), alternately, five rounds, the best round of each;
	// and the cost of parsing and cutting the full font itself.
	sample := make([]sheet.Doc, 20)
	for i := range sample {
		sample[i] = st.Month.DepartmentDoc(st.Departments[i])
	}
	face := font.Face(sheet.Runes(sample...))
	perDocFull, perDocFace := time.Duration(1<<62), time.Duration(1<<62)
	for round := 0; round < 5; round++ {
		t3 := time.Now()
		for _, d := range sample {
			if _, err := pdf.Render(font, d); err != nil {
				return nil, err
			}
		}
		perDocFull = min(perDocFull, time.Since(t3)/time.Duration(len(sample)))
		t4 := time.Now()
		for _, d := range sample {
			if _, err := face.Render(d); err != nil {
				return nil, err
			}
		}
		perDocFace = min(perDocFace, time.Since(t4)/time.Duration(len(sample)))
	}
	t5 := time.Now()
	runes := sheet.Runes(sample...)
	for i := 0; i < 5; i++ {
		font.Face(runes)
	}
	fullCut := time.Since(t5) / 5

	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	rate := float64(n) / depTime.Seconds()
	fmt.Printf("statements (city: %d departments, %d vendors, %d lines, GOMAXPROCS %d)\n", sm.Departments, sm.Vendors, sm.Lines, runtime.GOMAXPROCS(0))
	fmt.Printf("  synthesize lines         %.2f s\n", synthTime.Seconds())
	fmt.Printf("  build statements         %.2f s\n", build.Seconds())
	fmt.Printf("  department PDFs          %d in %.2f s: %.0f PDFs/s (target ≥ 100/s), %.1f MB\n", n, depTime.Seconds(), rate, float64(size.Load())/1e6)
	fmt.Printf("  department PDFs, 1 worker %d in %.2f s: %.0f PDFs/s (the pool of %d: %.2f×; same bytes)\n", n, serialTime.Seconds(), serialRate,
		runtime.GOMAXPROCS(0), rate/serialRate)
	fmt.Printf("  CPU per department PDF   %.1f ms (user+system): %.0f PDFs/s per core, ≈ %.0f/s on %d idle cores (estimate; the wall figure above is what this machine gave now)\n",
		depCPU.Seconds()*1000/float64(n), float64(n)/depCPU.Seconds(), float64(n*runtime.GOMAXPROCS(0))/depCPU.Seconds(), runtime.GOMAXPROCS(0))
	fmt.Printf("  whole issue              %d files in %.2f s (summary, departments, vendors; CSV and PDF)\n", sm.Files, whole.Seconds())
	fmt.Printf("  per document, 1 core     %.1f ms with the run's font face, %.1f ms parsing the full font each time (parsing and cutting the full font: %.1f ms, once per run)\n",
		perDocFace.Seconds()*1000, perDocFull.Seconds()*1000, fullCut.Seconds()*1000)
	fmt.Printf("  net %s; peak RSS %.0f MB (target ≤ 1024 MB)\n", money.Grouped(sm.Net), float64(ru.Maxrss)/1024)
	if load, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("  machine load average     %s", load)
	}
	load := loadNow()
	figs = append(figs,
		figure{Name: "statements, department PDFs", Value: rate, Unit: "PDFs/s", AtLeast: true, Bound: 100,
			Command: fmt.Sprintf("cloudbench statements: pdf.Typesetter, %d departments, GOMAXPROCS %d", n, runtime.GOMAXPROCS(0)), Load: load},
		figure{Name: "statements, whole issue", Value: float64(sm.Files) / whole.Seconds(), Unit: "files/s", AtLeast: true, Bound: 100,
			Command: fmt.Sprintf("cloudbench statements: statements.Write, %d files", sm.Files), Load: load},
		figure{Name: "statements, peak RSS", Value: float64(ru.Maxrss) / 1024, Unit: "MB", Bound: 1024, Command: "cloudbench statements (child process)", Load: load})
	return figs, nil
}

// cpuTime is the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
