package csvin

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

func gb(t *testing.T, s string) string {
	t.Helper()
	out, err := simplifiedchinese.GB18030.NewEncoder().String(s)
	require.NoError(t, err)
	return out
}

// readNames reads every row's "name" column, or the first error.
func readNames(t *testing.T, body string, enc Encoding) ([]string, string, error) {
	t.Helper()
	r, err := OpenEncoding("f.csv", strings.NewReader(body), Spec{Required: []string{"id", "name"}}, enc)
	if err != nil {
		return nil, "", err
	}
	var names []string
	for {
		row, err := r.Next()
		if err == io.EOF {
			return names, r.Encoding(), nil
		}
		if err != nil {
			return names, r.Encoding(), err
		}
		names = append(names, row.Get("name"))
	}
}

func TestEncodingDecidedWithEvidence(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		enc     Encoding
		want    []string
		wantEnc string
		wantErr string
	}{
		{name: "UTF-8", body: "id,name\nD1,区民政局\nD2,区审计局\n", want: []string{"区民政局", "区审计局"}, wantEnc: "UTF-8"},
		{name: "UTF-8 with BOM", body: "\xef\xbb\xbfid,name\nD1,区民政局\n", want: []string{"区民政局"}, wantEnc: "UTF-8"},
		{name: "GB18030", body: gb(t, "id,name\nD1,区民政局\nD2,区审计局\n"), want: []string{"区民政局", "区审计局"}, wantEnc: "GB18030"},
		{name: "GB18030 whose first Chinese line is also valid UTF-8", body: gb(t, "id,name\nD1,省\nD2,区民政局 社会救助中心\nD3,区审计局\n"), want: []string{"省", "区民政局 社会救助中心", "区审计局"}, wantEnc: "GB18030"},
		{name: "ASCII only", body: "id,name\nD1,x\n", want: []string{"x"}, wantEnc: "UTF-8"},
		// finding 7: one bad byte in a UTF-8 file read the whole file as GB18030 (中 → 涓�)
		{name: "UTF-8 with one invalid byte on a Chinese line", body: "id,name\nD1,区民政局\nD2,中\x80文\n", want: []string{"区民政局"}, wantErr: "f.csv:3: byte 7 (0x80) is not valid UTF-8, and the file is UTF-8 (as its text up to line 2 shows)"},
		{name: "UTF-8 with one invalid byte on the first Chinese line", body: "id,name\nD2,中\x80文\nD1,区民政局\n", wantErr: "f.csv:2: byte 7 (0x80): is not valid UTF-8 in text that is otherwise UTF-8"},
		{name: "Latin-1", body: "id,name\nD1,caf\xe9,\n", wantErr: "f.csv:2: byte 7 (0xE9): is neither UTF-8 nor GB18030 text"},
		// Hostile input: Latin-1 text whose bytes happen to be valid GB18030 was read as
		// GB18030 ("Müller Straße" → "M黮ler Stra遝"); it does not read as Chinese: refused
		{name: "Latin-1 valid as GB18030", body: "id,name\nD1,M\xfcller Stra\xdfe\n", wantErr: "f.csv:2: byte 5 (0xFC): is valid GB18030 only by chance"},
		{name: "Latin-1 cafés", body: "id,name\nD1,caf\xe9s\n", wantErr: "(--encoding utf-8|gb18030 says which)"},
		{name: "Latin-1 further on, after an ASCII line", body: "id,name\nD1,Verwaltung\nD2,Stra\xdfenbau M\xfcnchen\n", want: []string{"Verwaltung"}, wantErr: "f.csv:3: byte 8 (0xDF): is valid GB18030 only by chance"},
		{name: "GB18030 with a name of a GBK-only character", body: gb(t, "id,name\nD1,王喆\nD2,区民政局\n"), want: []string{"王喆", "区民政局"}, wantEnc: "GB18030"},
		{name: "GB18030 with full-width punctuation", body: gb(t, "id,name\nD1,区民政局（社会救助中心），一科\n"), want: []string{"区民政局（社会救助中心），一科"}, wantEnc: "GB18030"},
		{name: "forced GB18030 reads Latin-1 as the user asked", body: "id,name\nD1,M\xfcller\n", enc: GB18030, want: []string{"M黮ler"}, wantEnc: "GB18030"},
		{name: "UTF-8 then a GB18030 line", body: "id,name\nD1,区民政局\nD2," + gb(t, "区审计局") + "\n", want: []string{"区民政局"}, wantErr: "f.csv:3: byte 4 (0xC7) is not valid UTF-8"},
		{name: "forced GB18030", body: gb(t, "id,name\nD1,省\n"), enc: GB18030, want: []string{"省"}, wantEnc: "GB18030"},
		{name: "forced UTF-8 refuses GB18030", body: gb(t, "id,name\nD1,区民政局\n"), enc: UTF8, wantErr: "f.csv:2: byte 4 (0xC7) is not valid UTF-8, and the file is UTF-8 (as --encoding says)"},
		{name: "forced GB18030 reads damaged UTF-8 as the user asked", body: "id,name\nD1,中\x80文\n", enc: GB18030, wantErr: "f.csv:2: byte"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, enc, err := readNames(t, tt.body, tt.enc)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
			} else {
				require.NoError(t, err)
				assert.Equal(t, tt.wantEnc, enc)
			}
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestParseEncoding(t *testing.T) {
	for in, want := range map[string]Encoding{"": Auto, "AUTO": Auto, "utf-8": UTF8, "utf8": UTF8, "GBK": GB18030, "gb18030": GB18030} {
		got, err := ParseEncoding(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := ParseEncoding("latin1")
	assert.EqualError(t, err, `unknown encoding "latin1" (expected auto, utf-8 or gb18030)`)
}

func TestDetectLongGB18030Text(t *testing.T) {
	// GB18030 Chinese text holds pieces that happen to be valid UTF-8; it is still GB18030
	var b strings.Builder
	for _, n := range []string{"区民政局", "省社会保障中心", "区审计局", "县财政局国库支付中心", "区卫生健康委员会", "区大数据发展局", "王淑芬", "张伟", "陈静", "赵磊"} {
		b.WriteString(n + "\n")
	}
	enc, err := Detect([]byte(gb(t, b.String())), false)
	require.Nil(t, err)
	assert.Equal(t, GB18030, enc)
}

func TestEncodingMixedFiles(t *testing.T) {
	_, _, err := readNames(t, gb(t, "id,name\nD1,区民政局\n")+"D2,区审计局\n", Auto)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "f.csv:3: the line is UTF-8 text, and the file is GB18030 (as its text up to line 2 shows)")
}
