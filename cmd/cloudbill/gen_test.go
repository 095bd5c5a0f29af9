package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/gen"
	"cloudbill/internal/calendar"
)

func TestGenCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"gen", "--out", dir, "--scale", "small", "--period", "2026-11", "--seed", "5", "--interval", "6h"}, &stdout, &stderr)
	require.NoError(t, err, stderr.String())
	m, err := gen.ReadManifest(dir)
	require.NoError(t, err)
	assert.Equal(t, calendar.MustPeriod("2026-11"), m.Period)
	assert.Equal(t, int64(5), m.Seed)
	assert.Equal(t, "6h0m0s", m.Interval)
	assert.NotEmpty(t, m.Samples)
	assert.Contains(t, stdout.String(), "small dataset for 2026-11 (seed 5)")
	assert.Contains(t, stdout.String(), "orders               30  orders.csv")
	assert.Contains(t, stdout.String(), "cloudbill orders import "+filepath.Join(dir, "orders.csv"))
	assert.Contains(t, stderr.String(), "gen: small 2026-11 seed 5: 5 departments")

	ds, err := gen.Load(dir)
	require.NoError(t, err)
	assert.NoError(t, ds.Check())
}

func TestGenCommandDefaults(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	a := []string{"gen", "--out", dir, "--samples=false"}
	require.NoError(t, run(context.Background(), a, &stdout, &stderr), stderr.String())
	m, err := gen.ReadManifest(dir)
	require.NoError(t, err)
	assert.Equal(t, gen.Small, m.Scale)
	assert.Equal(t, int64(1), m.Seed)
	assert.Equal(t, calendar.LocalDate(time.Now()).Period().Prev(), m.Period, "default period: the previous month")
	assert.Empty(t, m.Samples)
	assert.Contains(t, stdout.String(), "samples            none  (--samples=false)")
}

func TestGenCommandBadUsage(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"no out", []string{"gen", "--scale", "small"}, "gen: --out is required"},
		{"bad scale", []string{"gen", "--out", "x", "--scale", "town"}, `gen: scale "town" is not one of small, district, city`},
		{"bad period", []string{"gen", "--out", "x", "--period", "2026-13"}, `gen: --period "2026-13": want a month YYYY-MM, e.g. 2026-11`},
		{"bad interval", []string{"gen", "--out", "x", "--interval", "5s"}, "sample interval 5s is not between 1m0s and 24h0m0s"},
		{"argument", []string{"gen", "--out", "x", "extra"}, `unexpected argument "extra"`},
		{"unknown flag", []string{"gen", "--out", "x", "--size", "big"}, "bad usage"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), c.args, &stdout, &stderr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Equal(t, exitBadInput, exitCode(err))
		})
	}
}

func TestGenHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	require.NoError(t, run(context.Background(), []string{"gen", "--help"}, &stdout, &stderr))
	for _, want := range []string{"usage: cloudbill gen --out DIR", "same bytes", "--vendor-invoices", "--interval", "district ≈ 60 departments"} {
		assert.Contains(t, stdout.String(), want)
	}
}
