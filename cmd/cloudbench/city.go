package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// benchCity runs the city month once, end to end, as `make bench-city` does:
// `cloudbill demo --scale city` (binary $CLOUDBENCH_CITY_BIN, default bin/cloudbill;
// --history $CLOUDBENCH_CITY_HISTORY, default 1; --out $CLOUDBENCH_CITY_OUT, default
// ./var/bench-city), printing its steps as they run, and returns the city goals as figures:
// the month end to end without generation, the rating of the open month, idle analysis
// and reminders together, and the peak RSS (the largest single process, and cloudbill
// with its ClickHouse together, sampled every second), after the peak of each step (cloudbill,
// its ClickHouse, both). $CLOUDBENCH_CITY_SCALE runs another scale (a check of the bench).
func benchCity(ctx context.Context) ([]figure, error) {
	bin := envStr("CLOUDBENCH_CITY_BIN", "bin/cloudbill")
	out := envStr("CLOUDBENCH_CITY_OUT", "./var/bench-city")
	history := envInt("CLOUDBENCH_CITY_HISTORY", 1)
	scale := envStr("CLOUDBENCH_CITY_SCALE", "city") // small or district: a quick check of the bench itself
	args := []string{"demo", "--scale", scale, "--history", strconv.Itoa(history), "--out", out}
	cmd := exec.CommandContext(ctx, bin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	var together atomic.Int64 // peak of cloudbill + its children, bytes
	// The peaks since the last step line, by process: a step's line is printed when it
	// ends, so the peaks seen before it are that step's.
	var (
		mu       sync.Mutex
		stepPeak rssPeak
		byStep   []stepRSS
	)
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				own, children := treeRSSParts(cmd.Process.Pid)
				if n := own + children; n > together.Load() {
					together.Store(n)
				}
				mu.Lock()
				stepPeak.add(own, children)
				mu.Unlock()
			}
		}
	}()
	step := regexp.MustCompile(`^  (cloudbill \S+.*?)\s+([0-9.]+)s$`)
	var steps []struct {
		label string
		secs  float64
	}
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Println(line)
			if m := step.FindStringSubmatch(line); m != nil {
				v, _ := strconv.ParseFloat(m[2], 64)
				steps = append(steps, struct {
					label string
					secs  float64
				}{strings.TrimSpace(m[1]), v})
				mu.Lock()
				byStep = append(byStep, stepRSS{label: strings.TrimSpace(m[1]), peak: stepPeak})
				stepPeak = rssPeak{}
				mu.Unlock()
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	err := cmd.Wait()
	pw.Close()
	<-scanDone
	close(done)
	whole := time.Since(start).Seconds()
	if err != nil {
		return nil, fmt.Errorf("cloudbill demo --scale city: %w", err)
	}
	var gen, rate, idleSecs float64
	var rateLabel string
	for _, s := range steps {
		switch {
		case strings.HasPrefix(s.label, "cloudbill gen"):
			gen += s.secs
		case strings.HasPrefix(s.label, "cloudbill rate"):
			rate, rateLabel = s.secs, s.label // the last: the open month
		case strings.HasPrefix(s.label, "cloudbill idle"):
			idleSecs += s.secs
		}
	}
	fmt.Println("\npeak RSS by step (sampled each second; MB): cloudbill, ClickHouse, together")
	for _, st := range byStep {
		fmt.Printf("  %-70.70s %6.0f %6.0f %6.0f\n", st.label, mb(st.peak.own), mb(st.peak.children), mb(st.peak.together))
	}
	var maxrss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		maxrss = ru.Maxrss << 10 // KiB on Linux
	}
	load := loadNow()
	c := strings.Join(append([]string{bin}, args...), " ")
	figs := []figure{
		{Name: "city month end to end, generation excluded", Value: whole - gen, Unit: "s", Bound: 180, Command: c, Load: load},
		{Name: "rating the open city month", Value: rate, Unit: "s", Bound: 20, Command: rateLabel + " (in the demo)", Load: load},
		{Name: "idle analysis and reminders, city month", Value: idleSecs, Unit: "s", Bound: 10, Command: "cloudbill idle analyze + idle reminders (in the demo)", Load: load},
		{Name: "city month peak RSS, largest process", Value: float64(maxrss) / (1 << 20), Unit: "MB", Bound: 1024, Command: c + " (rusage)", Load: load},
		{Name: "city month peak RSS, cloudbill + ClickHouse", Value: float64(together.Load()) / (1 << 20), Unit: "MB", Bound: 1024, Command: c + " (sampled each second)", Load: load},
	}
	return figs, nil
}

// rssPeak is the peak resident memory of a process (own), of its children (the embedded
// ClickHouse) and of both at one sample, in bytes.
type rssPeak struct{ own, children, together int64 }

func (p *rssPeak) add(own, children int64) {
	p.own, p.children, p.together = max(p.own, own), max(p.children, children), max(p.together, own+children)
}

// stepRSS is the peak seen during one step of the demo.
type stepRSS struct {
	label string
	peak  rssPeak
}

func mb(b int64) float64 { return float64(b) / (1 << 20) }

// treeRSSParts is the resident memory of pid and of its descendants, in bytes.
func treeRSSParts(pid int) (own, descendants int64) {
	for _, c := range childPids(pid) {
		o, d := treeRSSParts(c)
		descendants += o + d
	}
	return procRSS(pid), descendants
}

// childPids lists the children of every thread of pid: /proc/PID/task/PID/children names
// only the main thread's, and a Go program starts its children (the embedded ClickHouse)
// from whichever thread runs the goroutine.
func childPids(pid int) []int {
	tasks, _ := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	var out []int
	for _, t := range tasks {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, t.Name()))
		for _, c := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(c); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}

func procRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			f := strings.Fields(l)
			if len(f) >= 2 {
				kb, _ := strconv.ParseInt(f[1], 10, 64)
				return kb << 10
			}
		}
	}
	return 0
}

func envStr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
