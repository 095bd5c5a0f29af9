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
