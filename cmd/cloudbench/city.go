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
// with its ClickHouse together, sampled every second).
func benchCity(ctx context.Context) ([]figure, error) {
	bin := envStr("CLOUDBENCH_CITY_BIN", "bin/cloudbill")
	out := envStr("CLOUDBENCH_CITY_OUT", "./var/bench-city")
	history := envInt("CLOUDBENCH_CITY_HISTORY", 1)
	args := []string{"demo", "--scale", "city", "--history", strconv.Itoa(history), "--out", out}
	cmd := exec.CommandContext(ctx, bin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, os.Stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", bin, err)
	}
	var together atomic.Int64 // peak of cloudbill + its children, bytes
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if n := treeRSS(cmd.Process.Pid); n > together.Load() {
					together.Store(n)
				}
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

// treeRSS is the resident memory of pid and its child processes, in bytes.
func treeRSS(pid int) int64 {
	total := procRSS(pid)
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
	for _, c := range strings.Fields(string(b)) {
		if n, err := strconv.Atoi(c); err == nil {
			total += procRSS(n)
		}
	}
	return total
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
