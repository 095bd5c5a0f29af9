package backup

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

// A row's text that is not UTF-8 (a PDF in statement_files) comes back byte for byte; a
// plain text stays readable JSON.
func TestRowCodec(t *testing.T) {
	pdf, name, n := "%PDF-1.4\n\xff\xfe\x00binary", "市政府", uint64(1<<63+5)
	line, err := encodeRow([]any{&pdf, &name, &n})
	require.NoError(t, err)
	assert.Contains(t, string(line), `"市政府"`)
	assert.Contains(t, string(line), `{"b64":`)
	var raw []json.RawMessage
	require.NoError(t, json.Unmarshal(line, &raw))
	var gotPDF, gotName string
	var gotN uint64
	for i, dst := range []any{&gotPDF, &gotName, &gotN} {
		require.NoError(t, decodeValue(raw[i], dst))
	}
	assert.Equal(t, pdf, gotPDF)
	assert.Equal(t, name, gotName)
	assert.Equal(t, n, gotN)
}

func TestParseSamples(t *testing.T) {
	nov, dec := calendar.MustPeriod("2026-11"), calendar.MustPeriod("2026-12")
	for in, want := range map[string]Samples{"all": {}, "": {}, "none": {None: true}, "2026-11": {From: nov, To: nov}, "2026-11..2026-12": {From: nov, To: dec}} {
		got, err := ParseSamples(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"2026", "2026-12..2026-11", "some", "2026-11.."} {
		_, err := ParseSamples(bad)
		assert.Error(t, err, bad)
	}
}

// Records that commit work are read before the rows they commit, samples last.
func TestReadOrder(t *testing.T) {
	got := readOrder([]Table{{Name: "usage_samples"}, {Name: "rated_lines"}, {Name: "rating_runs"}, {Name: "audit_log"}, {Name: "period_closes"}})
	var names []string
	for _, tb := range got {
		names = append(names, tb.Name)
	}
	assert.Equal(t, []string{"period_closes", "rating_runs", "audit_log", "rated_lines", "usage_samples"}, names)
}

func TestPrune(t *testing.T) {
	root := t.TempDir()
	mk := func(day int, complete bool) string {
		n := Name(time.Date(2026, 11, day, 1, 0, 0, 0, time.UTC))
		require.NoError(t, os.MkdirAll(filepath.Join(root, n), 0o750))
		if complete {
			require.NoError(t, os.WriteFile(filepath.Join(root, n, ManifestFile), []byte("{}"), 0o640))
		}
		return n
	}
	old, cut, a, b, running := mk(1, true), mk(2, false), mk(3, true), mk(4, true), mk(5, false)
	require.NoError(t, os.MkdirAll(filepath.Join(root, "manual"), 0o750))
	removed, err := Prune(root, 2)
	require.NoError(t, err)
	assert.ElementsMatch(t, []string{filepath.Join(root, old), filepath.Join(root, cut)}, removed)
	entries, err := os.ReadDir(root)
	require.NoError(t, err)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	assert.Equal(t, []string{a, b, running, "manual"}, left, "a backup newer than the newest complete one may be running; other directories are left alone")
	_, err = Prune(root, 0)
	assert.Error(t, err)
}
