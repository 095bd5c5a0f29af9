// Package gentest gives other packages' tests generated datasets in one line:
//
//	ds := gentest.Small(t, "2026-11", 1) // a small month with samples, loaded and checked
//	for _, id := range ds.Orders { segs, err := ds.Segments(id); … }
//
// The files are in ds.Dir (a t.TempDir), named by ds.Manifest.
package gentest

import (
	"context"
	"testing"

	"cloudbill/internal/calendar"
	"cloudbill/internal/gen"
)

// Dataset generates cfg (into t.TempDir() when cfg.Out is empty), loads it and checks it
// with gen.Dataset.Check; any error fails the test at once.
func Dataset(t testing.TB, cfg gen.Config) *gen.Dataset {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = t.TempDir()
	}
	if _, err := gen.Generate(context.Background(), cfg); err != nil {
		t.Fatalf("generate %s %s seed %d: %v", cfg.Scale, cfg.Period, cfg.Seed, err)
	}
	ds, err := gen.Load(cfg.Out)
	if err != nil {
		t.Fatalf("load generated dataset: %v", err)
	}
	if err := ds.Check(); err != nil {
		t.Fatalf("generated dataset is inconsistent: %v", err)
	}
	return ds
}

// Small is a small month (5 departments, 30 orders, a few thousand samples every 4h) of
// period YYYY-MM.
func Small(t testing.TB, period string, seed int64) *gen.Dataset {
	t.Helper()
	p, err := calendar.ParsePeriod(period)
	if err != nil {
		t.Fatalf("gentest.Small: %v", err)
	}
	return Dataset(t, gen.Config{Scale: gen.Small, Period: p, Seed: seed, Samples: true})
}
