package metering

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// finding 7 of issue 9: one invalid byte in a UTF-8 file made the whole file GB18030
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

// finding 4 of issue 9: −100000 made a negative bill, 1e30 overflowed the month's rating;
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
