package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDemoStepLabel: a step's label names its flags and the first files, then counts the
// files (not the flags' words) when there are many.
func TestDemoStepLabel(t *testing.T) {
	files := []string{"in/a.csv", "in/b.csv", "in/c.csv", "in/d.csv", "in/e.csv", "in/f.csv", "in/g.csv", "in/h.csv"}
	require.Equal(t, []string{"--batch", "500000", "a.csv", "b.csv", "c.csv", "… (8 files)"},
		shorten(append([]string{"--batch", "500000"}, files...)))
	require.Equal(t, []string{"a.csv", "b.csv", "c.csv", "… (8 files)"}, shorten(files))
	require.Equal(t, []string{"import", "cat.csv", "--effective", "2026-01-01"},
		shorten([]string{"import", "in/cat.csv", "--effective", "2026-01-01"}))
}
