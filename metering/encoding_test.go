package metering

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// finding 7 of the first hostile-input probe: one invalid byte in a UTF-8 file made the whole file GB18030
// (云主机 stored as mojibake); now the file's encoding is decided with evidence
// (csvin.Detect) and the offending line is rejected naming the byte.
func TestParserOneEncodingPerFile(t *testing.T) {
	in := "resource_id,metric,ts,value\n" +
		"云主机-甲,cpu_util,2026-11-01T00:00:00+08:00,1\n" +
		"云主机-\x80乙,cpu_util,2026-11-01T00:00:00+08:00,2\n" +
		"云主机-丙,cpu_util,2026-11-01T00:00:00+08:00,3\n"
	p, err := NewParser(strings.NewReader(in), ParserConfig{Name: "u.csv", Format: CSV})
	require.NoError(t, err)
	var b Batch
	var rejects []string
	for {
		_, err := p.Next(&b, 100, func(r Reject) { rejects = append(rejects, r.Err.Error()) })
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"云主机-甲", "云主机-丙"}, b.ResourceID)
	require.Len(t, rejects, 1)
	assert.Contains(t, rejects[0], "u.csv:3: byte 11 (0x80) is not valid UTF-8, and the file is UTF-8 (as its text up to line 2 shows)")
	assert.Equal(t, "UTF-8", p.Encoding())
}

// finding 4 of the first hostile-input probe: −100000 made a negative bill, 1e30 overflowed the month's rating;
// a value outside its metric's range is a rejected line with the reason.
func TestParserMetricRanges(t *testing.T) {
	r := DefaultRanges()
	require.NoError(t, r.ParseCeiling("net_out_gb=500"))
	in := "resource_id,metric,ts,value\n" +
		"r1,cpu_util,2026-11-01T00:00:00+08:00,100\n" +
		"r1,cpu_util,2026-11-01T00:05:00+08:00,100.5\n" +
		"r1,net_out_gb,2026-11-01T00:00:00+08:00,-100000\n" +
		"r1,net_out_gb,2026-11-01T00:05:00+08:00,1e30\n" +
		"r1,net_out_gb,2026-11-01T00:10:00+08:00,500\n" +
		"r1,net_out_gb,2026-11-01T00:15:00+08:00,500.01\n" +
		"r1,objstore_gb,2026-11-01T00:00:00+08:00,1e30\n" +
		"r1,objstore_gb,2026-11-01T00:05:00+08:00,0\n"
	p, err := NewParser(strings.NewReader(in), ParserConfig{Name: "u.csv", Format: CSV, Ranges: r})
	require.NoError(t, err)
	var b Batch
	var rejects []string
	for {
		_, err := p.Next(&b, 100, func(r Reject) { rejects = append(rejects, r.Err.Error()) })
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	assert.Equal(t, []float64{100, 500, 0}, b.Value)
	assert.Equal(t, []string{
		`u.csv:3: column "value": value 100.5 is out of range: cpu_util is a utilisation in percent, valid 0 to 100`,
		`u.csv:4: column "value": value -100000 is out of range: net_out_gb is a counter or gauge, valid 0 to 500`,
		`u.csv:5: column "value": value 1e+30 is out of range: net_out_gb is a counter or gauge, valid 0 to 500`,
		`u.csv:7: column "value": value 500.01 is out of range: net_out_gb is a counter or gauge, valid 0 to 500`,
		`u.csv:8: column "value": value 1e+30 is out of range: objstore_gb is a counter or gauge, valid 0 to 10000000`,
	}, rejects)
	assert.Error(t, r.ParseCeiling("cpu_util=150"))
	assert.Error(t, r.ParseCeiling("x"))
}

// Hostile-input probe, findings 4 and 7 over HTTP: a sender's 1e30, −100000, 150 % and a Latin-1
// line are rejected lines of the answer with their reason; the valid line is kept.
func TestHandlerHostileValues(t *testing.T) {
	sink := newMemSink()
	b, err := NewBatcher(BatcherConfig{Sink: sink, MaxDelay: 5 * time.Millisecond})
	require.NoError(t, err)
	defer b.Close(context.Background())
	h, err := NewHandler(HandlerConfig{Batcher: b, MaxBody: 1 << 20})
	require.NoError(t, err)
	body := "resource_id,metric,ts,value\n" +
		"vm-1,net_out_gb,2026-11-01T00:00:00Z,12\n" +
		"vm-1,net_out_gb,2026-11-01T00:05:00Z,1e30\n" +
		"vm-1,net_out_gb,2026-11-01T00:10:00Z,-100000\n" +
		"vm-1,cpu_util,2026-11-01T00:00:00Z,150\n" +
		"caf\xe9,cpu_util,2026-11-01T00:00:00Z,1\n"
	req := httptest.NewRequest("POST", "/v1/samples", strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	require.Equal(t, 200, rec.Code, rec.Body.String())
	var a Answer
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &a))
	assert.Equal(t, 1, a.Accepted)
	assert.Equal(t, []Rejected{
		{Line: 3, Error: `column "value": value 1e+30 is out of range: net_out_gb is a counter or gauge, valid 0 to 10000`},
		{Line: 4, Error: `column "value": value -100000 is out of range: net_out_gb is a counter or gauge, valid 0 to 10000`},
		{Line: 5, Error: `column "value": value 150 is out of range: cpu_util is a utilisation in percent, valid 0 to 100`},
		{Line: 6, Error: `byte 4 (0xE9): is neither UTF-8 nor GB18030 text; a file must be UTF-8 or GB18030 as a whole (--encoding utf-8|gb18030 says which)`},
	}, a.Rejected)
	assert.Equal(t, 1, sink.count())
}
