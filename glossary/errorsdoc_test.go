package glossary_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/glossary"
	"cloudbill/internal/csvin"
)

var update = flag.Bool("update", false, "rewrite the table of codes in docs/errors.md")

// codesMark starts the table of codes in docs/errors.md; the table runs to the end of
// the file.
const codesMark = "<!-- the table below is written by `go test ./glossary -run TestErrorCodeReference -update` -->\n"

// TestErrorCodeReference: docs/errors.md lists every input error code with its English
// and its Chinese, as the code says them (a new code, or changed words, fail until the
// reference is rewritten with -update).
func TestErrorCodeReference(t *testing.T) {
	const path = "../docs/errors.md"
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	doc := string(b)
	i := strings.Index(doc, codesMark)
	require.GreaterOrEqual(t, i, 0, "docs/errors.md has the mark of its table of codes")
	var tb strings.Builder
	tb.WriteString("| code | English | 中文 |\n| --- | --- | --- |\n")
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, c := range csvin.Codes() {
		tb.WriteString("| `" + string(c) + "` | " + cell(csvin.English(c)) + " | " + cell(glossary.InputText(c)) + " |\n")
	}
	want := doc[:i+len(codesMark)] + tb.String()
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
		return
	}
	assert.Equal(t, want, doc, "docs/errors.md is not the codes' words: go test ./glossary -run TestErrorCodeReference -update")
}
