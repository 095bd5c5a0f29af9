package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"cloudbill/gen"
	"cloudbill/internal/calendar"
)

// benchGen times the generator on a district month with samples (about 6 million) and
// on the city's master data (50,000 orders), and prints the speeds. The files go to a
// temporary directory that is removed afterwards; CLOUDBENCH_GEN_SCALE=city also writes
// the city's samples (about 100 million, ~8 GB of disk).
func benchGen(ctx context.Context) ([]figure, error) {
	var figs []figure
	tmp, err := os.MkdirTemp("", "cloudbench-gen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	runs := []struct {
		scale   gen.Scale
		samples bool
	}{{gen.District, true}, {gen.City, false}}
	if os.Getenv("CLOUDBENCH_GEN_SCALE") == "city" {
		runs = append(runs, struct {
			scale   gen.Scale
			samples bool
		}{gen.City, true})
	}
	for i, r := range runs {
		out := filepath.Join(tmp, fmt.Sprint(i))
		start := time.Now()
		m, err := gen.Generate(ctx, gen.Config{Out: out, Scale: r.scale, Period: calendar.MustPeriod("2026-11"), Seed: 1, Samples: r.samples})
		if err != nil {
			return nil, err
		}
		secs := time.Since(start).Seconds()
		size := genDirSize(out)
		fmt.Printf("gen %-8s samples=%-5v %8d orders %8d events %11d samples  %6.1f MB  %6.2f s  %10.0f samples/s  %6.1f MB/s\n",
			r.scale, r.samples, m.Counts.Orders, m.Counts.Events, m.Counts.Samples, float64(size)/1e6, secs,
			float64(m.Counts.Samples)/secs, float64(size)/1e6/secs)
		_ = os.RemoveAll(out)
	}
	return figs, nil
}

func genDirSize(dir string) int64 {
	var n int64
	_ = filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return nil
	})
	return n
}
