package backup

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ClickHouse/ch-go/proto"
	"github.com/ClickHouse/clickhouse-go/v2/lib/column"
	chproto "github.com/ClickHouse/clickhouse-go/v2/lib/proto"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
)

// A Native block (as clickhouse-go writes it) splits into rows: a text that is not UTF-8
// (a PDF), arrays, decimals, dates; the same rows in another order or other blocks give
// the same content hash, a changed value another.
func TestNativeRowHash(t *testing.T) {
	type row struct {
		pdf  string
		tags []string
		amt  decimal.Decimal
		day  time.Time
		n    uint64
	}
	day := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	rows := []row{
		{"%PDF-1.4\n\xff\xfe\x00binary", []string{"市政府", "b"}, decimal.RequireFromString("12.34"), day, 1<<63 + 5},
		{"", nil, decimal.RequireFromString("-0.01"), day.AddDate(0, 0, 1), 0},
		{"x", []string{""}, decimal.Zero, day, 7},
	}
	encode := func(rs ...row) []byte {
		blk := &chproto.Block{ServerContext: &column.ServerContext{Timezone: time.UTC}}
		for _, c := range []struct{ name, typ string }{{"pdf", "String"}, {"tags", "Array(String)"}, {"amt", "Decimal(38, 2)"}, {"day", "Date"}, {"n", "UInt64"}} {
			require.NoError(t, blk.AddColumn(c.name, column.Type(c.typ)))
		}
		for _, r := range rs {
			require.NoError(t, blk.Append(r.pdf, r.tags, r.amt, r.day, r.n))
		}
		var buf proto.Buffer
		require.NoError(t, blk.Encode(&buf, 0))
		return buf.Buf
	}
	hash := func(b []byte) (string, int64, []string) {
		var h rowHash
		names, err := hashNative(b, &h)
		require.NoError(t, err)
		return h.String(), h.rows, names
	}
	want, n, names := hash(encode(rows...))
	assert.Equal(t, int64(3), n)
	assert.Equal(t, []string{"pdf", "tags", "amt", "day", "n"}, names)
	got, n, _ := hash(append(encode(rows[2], rows[0]), encode(rows[1])...))
	assert.Equal(t, int64(3), n)
	assert.Equal(t, want, got, "order and blocks do not matter")
	changed := rows[0]
	changed.tags = []string{"市政府b"}
	got, _, _ = hash(encode(changed, rows[1], rows[2]))
	assert.NotEqual(t, want, got, "array elements are not run together")

	blk, _, err := parseNativeBlock(encode(rows...))
	require.NoError(t, err)
	assert.Equal(t, rows[0].pdf, string(blk.cells[0][0][1:]), "a string's bytes follow its length")

	b := encode(rows...)
	_, err = hashNative(b[:len(b)-3], &rowHash{})
	assert.ErrorIs(t, err, errNativeEnd)
}

func TestCheckType(t *testing.T) {
	for _, ok := range []string{"String", "Array(String)", "Decimal(38, 2)", "DateTime", "DateTime('UTC')", "Date", "UInt8", "Float64", "Nullable(Int32)", "FixedString(3)"} {
		assert.NoError(t, CheckType(ok), ok)
	}
	for _, bad := range []string{"LowCardinality(String)", "Array(Array(UInt8))", "Map(String, String)", "Tuple(UInt8)", "Decimal(x, 2)"} {
		assert.Error(t, CheckType(bad), bad)
	}
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
