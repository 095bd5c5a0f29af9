package metering

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// parseAll reads the whole input: the kept samples, the messages of the rejected lines,
// and the error that refused the whole input.
func parseAll(t testing.TB, name string, f Format, in string) (kept []Sample, rejected []string, err error) {
	t.Helper()
	p, err := NewParser(strings.NewReader(in), ParserConfig{Name: name, Format: f, Source: "test"})
	if err != nil {
		return nil, nil, err
	}
	var b Batch
	for {
		_, err := p.Next(&b, 3, func(r Reject) { rejected = append(rejected, r.Err.Error()) })
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	for i := 0; i < b.Len(); i++ {
		kept = append(kept, b.Sample(i))
	}
	return kept, rejected, nil
}

func ids(ss []Sample) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.ResourceID)
	}
	return out
}

const head = "resource_id,metric,ts,value,source\n"

func TestBadInput(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().String(head + "云主机-甲,cpu,2026-11-01T00:00:00+08:00,1,\n云主机-乙,cpu,2026-11-01T00:00:00+08:00,xx,\n")
	require.NoError(t, err)
	long := strings.Repeat("x", 10<<20)
	cases := []struct {
		name     string
		file     string
		format   Format
		in       string
		refused  string   // the whole file is refused with this error
		rejected []string // each rejected line's error
		kept     []string // resource ids of the kept samples
	}{
		{name: "csv bad timestamp", file: "u.csv", format: CSV,
			in:       head + "r1,cpu,2026-11-01T00:00:00Z,1,\nr2,cpu,2026-13-01T00:00:00Z,1,\nr3,cpu,yesterday,1,\n",
			rejected: []string{`u.csv:3: column "ts": "2026-13-01T00:00:00Z": timestamp is not a valid date and time`, `u.csv:4: column "ts": "yesterday": timestamp is not RFC 3339`},
			kept:     []string{"r1"}},
		{name: "csv NaN and Inf", file: "u.csv", format: CSV,
			in:       head + "r1,cpu,2026-11-01T00:00:00Z,NaN,\nr2,cpu,2026-11-01T00:00:00Z,-Inf,\nr3,cpu,2026-11-01T00:00:00Z,1e999,\nr4,cpu,2026-11-01T00:00:00Z,2.5,\n",
			rejected: []string{`u.csv:2: column "value": "NaN": value is not a finite number`, `u.csv:3: column "value": "-Inf": value is not a finite number`, `u.csv:4: column "value": "1e999": value is not a finite number`},
			kept:     []string{"r4"}},
		{name: "csv missing column", file: "u.csv", format: CSV,
			in:      "resource_id,metric,ts\nr1,cpu,2026-11-01T00:00:00Z\n",
			refused: `u.csv:1: column "value": required column is missing from the header`},
		{name: "csv unknown column", file: "u.csv", format: CSV,
			in:      "resource_id,metric,ts,value,colour\nr1,cpu,2026-11-01T00:00:00Z,1,red\n",
			refused: `u.csv:1: column "colour": unknown column (expected resource_id, metric, ts, value, source; extra columns must start with x_)`},
		{name: "csv x_ column taken", file: "u.csv", format: CSV,
			in:   "x_note,value,ts,metric,resource_id\nhello,1,2026-11-01T00:00:00Z,cpu,r1\n",
			kept: []string{"r1"}},
		{name: "csv empty file", file: "u.csv", format: CSV, in: "",
			refused: `u.csv: file is empty: a header row naming the columns is required`},
		{name: "csv BOM and CRLF", file: "u.csv", format: CSV,
			in:   "\xef\xbb\xbfresource_id,metric,ts,value\r\nr1,cpu,2026-11-01T00:00:00Z,1\r\nr2,cpu,2026-11-01T00:00:00Z,2\r\n",
			kept: []string{"r1", "r2"}},
		{name: "csv GB18030", file: "u.csv", format: CSV, in: gb,
			rejected: []string{`u.csv:3: column "value": "xx": is not a decimal number`},
			kept:     []string{"云主机-甲"}},
		{name: "csv 10 MB line", file: "u.csv", format: CSV,
			in:       head + "r1,cpu,2026-11-01T00:00:00Z,1,\nr2,cpu,2026-11-01T00:00:00Z,1," + long + "\nr3,cpu,2026-11-01T00:00:00Z,1,\n",
			rejected: []string{`u.csv:3: line is longer than 1048576 bytes`},
			kept:     []string{"r1", "r3"}},
		{name: "csv field count", file: "u.csv", format: CSV,
			in:       head + "r1,cpu,2026-11-01T00:00:00Z,1\nr2,cpu,2026-11-01T00:00:00Z,1,s,extra\nr3,cpu,2026-11-01T00:00:00Z,1,s\n",
			rejected: []string{`u.csv:2: has 4 fields, the header has 5`, `u.csv:3: has 6 fields, the header has 5`},
			kept:     []string{"r3"}},
		{name: "csv empty and over-long ids", file: "u.csv", format: CSV,
			in:       head + ",cpu,2026-11-01T00:00:00Z,1,\nr2,,2026-11-01T00:00:00Z,1,\nr3," + strings.Repeat("m", 129) + ",2026-11-01T00:00:00Z,1,\nr4,cpu,2026-11-01T00:00:00Z,1,\n",
			rejected: []string{`u.csv:2: column "resource_id": is empty`, `u.csv:3: column "metric": is empty`, `u.csv:4: column "metric": is longer than 128 bytes`},
			kept:     []string{"r4"}},
		{name: "csv thousands separator and quotes", file: "u.csv", format: CSV,
			in:       head + "r1,cpu,2026-11-01T00:00:00Z,\"1,234.5\",\n\"r2\",cpu,2026-11-01T00:00:00Z,\"7\",\"multi\nline\"\nr3,c\"pu,2026-11-01T00:00:00Z,1,\n\"r4\",\"c\"\"pu\" , 2026-11-01T00:00:00Z ,\" 3 \",\"a,b\"\n",
			rejected: []string{`u.csv:2: column "value": "1,234.5": is not a decimal number`, `u.csv:3: column "source": contains a control character`, `u.csv:5: malformed CSV: a quote inside a field that does not start with one`},
			kept:     []string{"r4"}},
		{name: "csv quote never closed", file: "u.csv", format: CSV,
			in:       head + "r1,cpu,2026-11-01T00:00:00Z,1,\nr2,cpu,2026-11-01T00:00:00Z,1,\"oops\n",
			rejected: []string{`u.csv:3: malformed CSV: a quoted field is not closed before the end of the file`},
			kept:     []string{"r1"}},
		{name: "ndjson truncated", file: "u.ndjson", format: NDJSON,
			in:       `{"resource_id":"r1","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" + `{"resource_id":"r2","metric":"cpu"` + "\n" + `{"resource_id":"r3","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":"2.5"}` + "\n",
			rejected: []string{`u.ndjson:2: malformed JSON: the line ends where ',' or '}' was expected (truncated?)`},
			kept:     []string{"r1", "r3"}},
		{name: "ndjson missing and unknown keys", file: "u.ndjson", format: NDJSON,
			in:       `{"resource_id":"r1","metric":"cpu","value":1}` + "\n" + `{"resource_id":"r2","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1,"colour":"red"}` + "\n" + `{"resource_id":"r3","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1,"x_note":{"a":[1,2]}}` + "\n",
			rejected: []string{`u.ndjson:1: column "ts": required key is missing`, `u.ndjson:2: column "colour": unknown column`},
			kept:     []string{"r3"}},
		{name: "ndjson bad values", file: "u.ndjson", format: NDJSON,
			in: `{"resource_id":"r1","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":null}` + "\n" +
				`{"resource_id":"r2","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":"NaN"}` + "\n" +
				`{"resource_id":"r3","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":true}` + "\n" +
				`{"resource_id":"r4","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1e400}` + "\n" +
				`{"resource_id":5,"metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" +
				`{"resource_id":"r6","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":"0.125"}` + "\n",
			rejected: []string{`u.ndjson:1: column "value": is null`, `u.ndjson:2: column "value": "NaN": value is not a finite number`,
				`u.ndjson:3: column "value": must be a JSON number or a decimal string`, `u.ndjson:4: column "value": "1e400": value is not a finite number`,
				`u.ndjson:5: column "resource_id": must be a JSON string`},
			kept: []string{"r6"}},
		{name: "ndjson not an object, text after it, duplicate key", file: "u.ndjson", format: NDJSON,
			in: `[1,2]` + "\n" + `{"resource_id":"r2","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1} {}` + "\n" +
				`{"resource_id":"r3","resource_id":"r3","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" +
				"\n" + `{"resource_id":"r\u00e94","metric":"cpu","ts":"2026-11-01 08:00:00","value":1}` + "\n",
			rejected: []string{`u.ndjson:1: malformed JSON: a line must be one JSON object {…}`, `u.ndjson:2: malformed JSON: text after the object (one object a line)`, `u.ndjson:3: column "resource_id": key appears twice in the object`},
			kept:     []string{"ré4"}},
		{name: "ndjson empty file", file: "u.ndjson", format: NDJSON, in: "\n  \n",
			refused: `u.ndjson: file is empty: one JSON object a line was expected`},
		{name: "ndjson 10 MB line", file: "u.ndjson", format: NDJSON,
			in:       `{"resource_id":"` + long + `","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" + `{"resource_id":"r2","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}`,
			rejected: []string{`u.ndjson:1: line is longer than 1048576 bytes`},
			kept:     []string{"r2"}},
		{name: "ndjson control character and bad escape", file: "u.ndjson", format: NDJSON,
			in: `{"resource_id":"r\u0001","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" +
				`{"resource_id":"r\q","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" +
				`{"resource_id":"r3","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":01}` + "\n",
			rejected: []string{`u.ndjson:1: column "resource_id": contains a control character`, `u.ndjson:2: malformed JSON: a closed string expected at byte`, `u.ndjson:3: malformed JSON: ',' or '}' expected at byte`},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			kept, rejected, err := parseAll(t, c.file, c.format, c.in)
			if c.refused != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), c.refused)
				return
			}
			require.NoError(t, err)
			require.Len(t, rejected, len(c.rejected), "rejected: %q", rejected)
			for i := range rejected {
				assert.Contains(t, rejected[i], c.rejected[i])
			}
			assert.Equal(t, c.kept, ids(kept))
		})
	}
}

func TestParseValues(t *testing.T) {
	in := head + "r1,cpu,2026-11-01T00:00:00,1.5,src\nr1,cpu,2026-11-01T00:00:00.75Z,2e3,\nr1,mem,1990-07-01T12:00:00,0,\n"
	kept, rejected, err := parseAll(t, "u.csv", CSV, in)
	require.NoError(t, err)
	require.Empty(t, rejected)
	require.Len(t, kept, 3)
	sh := time.FixedZone("CST", 8*3600)
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, sh).Unix(), kept[0].TS.Unix(), "no offset: Asia/Shanghai")
	assert.Equal(t, "src", kept[0].Source)
	assert.Equal(t, 1.5, kept[0].Value)
	assert.Equal(t, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Unix(), kept[1].TS.Unix(), "fraction dropped")
	assert.Equal(t, "test", kept[1].Source, "default source")
	assert.Equal(t, 2000.0, kept[1].Value)
	// 1990 Shanghai kept summer time (UTC+9): 12:00 local was 03:00 UTC
	assert.Equal(t, time.Date(1990, 7, 1, 3, 0, 0, 0, time.UTC).Unix(), kept[2].TS.Unix())
}

func TestParseTSAgainstTime(t *testing.T) {
	for _, s := range []string{"2026-11-01T00:00:00Z", "2024-02-29T23:59:59+05:30", "2026-01-01T00:00:00-08:00", "2000-03-01T00:00:00.123456789Z", "2026-02-29T00:00:00Z", "2026-11-01T24:00:00Z", "2026-11-01T00:00:00+8:00"} {
		want, werr := time.Parse(time.RFC3339Nano, s)
		got, msg := parseTS([]byte(s))
		if werr != nil {
			assert.NotEmpty(t, msg, s)
			continue
		}
		assert.Empty(t, msg, s)
		assert.Equal(t, want.Unix(), got, s)
	}
}

func TestParseTSForms(t *testing.T) {
	want := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).Unix()
	for _, s := range []string{"2026-01-01t00:00:00-08:00", "2026-01-01 00:00:00-08:00", "2026-01-01T16:00:00", "2026-01-01T08:00:00z"} {
		got, msg := parseTS([]byte(s))
		assert.Empty(t, msg, s)
		assert.Equal(t, want, got, s)
	}
}

func TestFormatOf(t *testing.T) {
	assert.Equal(t, CSV, FormatOf("a.CSV", []byte("{")))
	assert.Equal(t, NDJSON, FormatOf("a.jsonl", nil))
	assert.Equal(t, NDJSON, FormatOf("samples", []byte("\xef\xbb\xbf \n{\"a\":1}")))
	assert.Equal(t, CSV, FormatOf("samples", []byte("resource_id,metric")))
}

// FuzzParseCSV: the parser never panics, every line is either kept or rejected with a
// message naming the file and line, and every kept sample is valid.
func FuzzParseCSV(f *testing.F) {
	f.Add(head + "r1,cpu,2026-11-01T00:00:00Z,1,\n\"r,2\",\"c\"\"pu\",2026-11-01 08:00:00,2.5,\"a\nb\"\n")
	f.Add("value,ts,metric,resource_id,x_a\n1,2026-11-01T00:00:00+08:00,m,r,\n,,,,\n")
	f.Add("\xef\xbb\xbfresource_id,metric,ts,value\r\nr,m,2026-02-29T00:00:00Z,NaN\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		checkFuzz(t, "f.csv", CSV, in)
	})
}

// FuzzParseNDJSON: as FuzzParseCSV, and a kept line is valid JSON with the same fields.
func FuzzParseNDJSON(f *testing.F) {
	f.Add(`{"resource_id":"r1","metric":"cpu","ts":"2026-11-01T00:00:00Z","value":1}` + "\n" + `{"resource_id":"r\u00e9","metric":"m","ts":"2026-11-01 08:00:00","value":"2.5","x_a":[{"b":null}]}`)
	f.Add(`{"resource_id":"r","metric":"m","ts":"2026-11-01T00:00:00Z","value":-0.5e-3,"source":null}` + "\n{\n[]\n")
	f.Fuzz(func(t *testing.T, in string) {
		kept := checkFuzz(t, "f.ndjson", NDJSON, in)
		if len(kept) == 0 || !utf8.ValidString(in) {
			// input that is not UTF-8 is read as GB18030, which encoding/json cannot
			// tell us about: the comparison below holds for UTF-8 input only
			return
		}
		// every kept line must be valid JSON whose fields are what was kept
		var objs []map[string]any
		for _, line := range strings.Split(in, "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(strings.TrimPrefix(line, "\xef\xbb\xbf")), &m) == nil {
				objs = append(objs, m)
			}
		}
		for _, s := range kept {
			found := false
			for _, m := range objs {
				if m["resource_id"] == s.ResourceID && m["metric"] == s.Metric {
					found = true
				}
			}
			assert.True(t, found, "kept %+v is not a JSON object of the input", s)
		}
	})
}

func checkFuzz(t *testing.T, name string, f Format, in string) []Sample {
	p, err := NewParser(bytes.NewReader([]byte(in)), ParserConfig{Name: name, Format: f, Source: "s"})
	if err != nil {
		require.True(t, strings.HasPrefix(err.Error(), name) || strings.Contains(err.Error(), " "+name+":"), "error %q names the file", err)
		return nil
	}
	var b Batch
	for {
		_, err := p.Next(&b, 7, func(r Reject) {
			require.Greater(t, r.Line, 0)
			require.True(t, strings.HasPrefix(r.Err.Error(), name+":"), "error %q names file and line", r.Err)
		})
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	var out []Sample
	for i := 0; i < b.Len(); i++ {
		s := b.Sample(i)
		require.NotEmpty(t, s.ResourceID)
		require.NotEmpty(t, s.Metric)
		require.LessOrEqual(t, len(s.ResourceID), MaxResourceIDLen)
		require.LessOrEqual(t, len(s.Metric), MaxMetricLen)
		require.False(t, math.IsNaN(s.Value) || math.IsInf(s.Value, 0))
		out = append(out, s)
	}
	return out
}

func TestLongLines(t *testing.T) {
	// lines around the limit and around the read buffer's size
	for _, n := range []int{100, 64<<10 - 1, 64 << 10, 64<<10 + 1, 200 << 10} {
		for _, max := range []int{n - 1, n, n + 1} {
			line := strings.Repeat("a", n)
			in := "resource_id,metric,ts,value,x_pad\nr1,cpu,2026-11-01T00:00:00Z,1," + line + "\nr2,cpu,2026-11-01T00:00:00Z,1,\n"
			p, err := NewParser(strings.NewReader(in), ParserConfig{Name: "f", Format: CSV, MaxLineLen: max + 30})
			require.NoError(t, err)
			var b Batch
			var rejected []string
			for {
				_, err := p.Next(&b, 10, func(r Reject) { rejected = append(rejected, r.Err.Error()) })
				if err == io.EOF {
					break
				}
				require.NoError(t, err)
			}
			if len("r1,cpu,2026-11-01T00:00:00Z,1,")+n > max+30 {
				assert.Equal(t, []string{fmt.Sprintf("f:2: line is longer than %d bytes", max+30)}, rejected, "n=%d max=%d", n, max)
				assert.Equal(t, []string{"r2"}, b.ResourceID)
			} else {
				assert.Empty(t, rejected, "n=%d max=%d", n, max)
				assert.Equal(t, []string{"r1", "r2"}, b.ResourceID)
			}
			assert.Equal(t, int64(len(in)), p.Offset())
		}
	}
}
