package safeid

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestValid(t *testing.T) {
	for _, id := range []string{"D01", "P2026-001", "WO2026000001", "ecs.g6.large", "V_1", "a"} {
		assert.True(t, Valid(id), id)
		assert.NoError(t, Check(id), id)
	}
	for _, id := range []string{"", "Q/1", "x/../../rec-escaped", "..", ".hidden", "-x", "_x", "=cmd|'/Ccalc'!A0", "a b", "区财政局", "a,b", "a\\b", strings.Repeat("x", 65)} {
		assert.False(t, Valid(id), id)
		assert.Error(t, Check(id), id)
	}
}

func TestFileNameInjective(t *testing.T) {
	tests := map[string]string{"D01": "D01", "Q/1": "Q%2F1", "Q_1": "Q_1", "..": "%2E.", "": "%", "x/../../y": "x%2F..%2F..%2Fy", "%41": "%2541", "A": "A", "区": "%E5%8C%BA", "-1": "%2D1"}
	seen := map[string]string{}
	for in, want := range tests {
		got := FileName(in)
		assert.Equal(t, want, got, "FileName(%q)", in)
		assert.NotContains(t, got, "/")
		assert.NotEqual(t, "..", got)
		assert.NotEqual(t, ".", got)
		if prev, ok := seen[got]; ok {
			t.Errorf("FileName(%q) == FileName(%q) == %q", in, prev, got)
		}
		seen[got] = in
	}
	long := FileName(strings.Repeat("x", 300))
	assert.Len(t, long, 66)
	assert.NotEqual(t, long, FileName(strings.Repeat("x", 301)))
}

// FuzzFileName: two different ids never share a file name, and a name is one path element.
func FuzzFileName(f *testing.F) {
	f.Add("Q/1", "Q_1")
	f.Add("%2F", "/")
	f.Add("..", "%2E.")
	f.Fuzz(func(t *testing.T, a, b string) {
		na, nb := FileName(a), FileName(b)
		for _, n := range []string{na, nb} {
			if strings.ContainsAny(n, "/\\\x00") || n == "." || n == ".." || n == "" {
				t.Fatalf("unsafe file name %q", n)
			}
		}
		if a != b && na == nb {
			t.Fatalf("FileName(%q) == FileName(%q) == %q", a, b, na)
		}
	})
}
