package statements_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/document/pdf"
	"cloudbill/document/sheet"
	"cloudbill/internal/money"
	"cloudbill/statements"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var (
	fontOnce sync.Once
	font     *pdf.Font
	fontErr  error
)

func typesetter(t *testing.T) pdf.Typesetter {
	t.Helper()
	fontOnce.Do(func() { font, fontErr = pdf.LoadFont("") })
	require.NoError(t, fontErr, "the CJK font is installed by `make deps`")
	return pdf.Typesetter{Font: font, Workers: 2}
}

func issue(t *testing.T, src statements.Source, out string) statements.Summary {
	t.Helper()
	sm, err := statements.Issue(context.Background(), src, nov, out, statements.Options{Now: fixedNow, PDF: typesetter(t)})
	require.NoError(t, err)
	return sm
}

// pdfText is the text pdftotext -layout reads from a PDF.
func pdfText(t *testing.T, file string) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed: run `make deps`")
	}
	out, err := exec.Command("pdftotext", "-layout", file, "-").Output()
	require.NoError(t, err, "pdftotext %s", file)
	return string(out)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "golden file missing: go test ./statements -update")
	assert.Equal(t, string(want), string(got), "%s differs from the golden file (go test ./statements -update to accept)", name)
}

// TestGoldenStatements writes the statements of the hand month (closed) and compares the
// CSV files and the text of the PDFs with golden files.
func TestGoldenStatements(t *testing.T) {
	src := handMonth()
	closeHand(src)
	out := t.TempDir()
	sm := issue(t, src, out)
	assert.True(t, sm.Final)
	assert.Equal(t, 3, sm.Departments)
	assert.Equal(t, 2, sm.Vendors)
	assert.Equal(t, "3079.26", money.Plain(sm.Net))
	assert.Equal(t, 12, sm.Files)

	var files []string
	require.NoError(t, filepath.WalkDir(sm.Dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(sm.Dir, p)
			files = append(files, rel)
		}
		return err
	}))
	sort.Strings(files)
	assert.Equal(t, []string{
		"departments/D01.csv", "departments/D01.pdf", "departments/D02.csv", "departments/D02.pdf",
		"departments/D0201.csv", "departments/D0201.pdf", "summary.csv", "summary.pdf",
		"vendors/V1.csv", "vendors/V1.pdf", "vendors/V2.csv", "vendors/V2.pdf",
	}, files)
	for _, f := range files {
		if strings.HasSuffix(f, ".csv") {
			b, err := os.ReadFile(filepath.Join(sm.Dir, f))
			require.NoError(t, err)
			t.Run(f, func(t *testing.T) { golden(t, filepath.Join("golden", f), b) })
		}
	}
	for _, f := range []string{"departments/D02.pdf", "departments/D01.pdf", "vendors/V2.pdf", "summary.pdf"} {
		t.Run(f, func(t *testing.T) {
			golden(t, filepath.Join("golden", strings.TrimSuffix(f, ".pdf")+".txt"), []byte(pdfText(t, filepath.Join(sm.Dir, f))))
		})
	}
	t.Run("the department PDF shows names, totals, capitals and page numbers", func(t *testing.T) {
		txt := pdfText(t, filepath.Join(sm.Dir, "departments/D02.pdf"))
		for _, want := range []string{"部门月度账单", "区大数据发展局", "1,990.60", "壹仟玖佰玖拾元陆角整", "第 1 页 / 共", "政务云监控平台建设",
			"未列入年度项目清单", "不通过", "正式（已结账）"} {
			assert.Contains(t, txt, want)
		}
		assert.NotContains(t, txt, "PROVISIONAL")
	})
}

// TestCSVTotals: each CSV's amount column adds up to its statement's total, and the
// CSVs carry the contract columns first.
func TestCSVTotals(t *testing.T) {
	sm := issue(t, handMonth(), t.TempDir())
	want := map[string]string{"summary.csv": "3079.26", "departments/D01.csv": "1088.66", "departments/D02.csv": "1990.60",
		"departments/D0201.csv": "416.80", "vendors/V1.csv": "1441.46", "vendors/V2.csv": "1637.80"}
	for f, total := range want {
		t.Run(f, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(sm.Dir, f))
			require.NoError(t, err)
			rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
			require.NoError(t, err)
			require.NotEmpty(t, rows)
			assert.Equal(t, statements.CSVColumns(), rows[0][:len(statements.CSVColumns())])
			s := money.Sum()
			for _, r := range rows[1:] {
				s = s.Add(dec(r[14]))
			}
			assert.Equal(t, total, money.Plain(s))
		})
	}
}

// TestProvisional: an open month's statements are marked 临时 / PROVISIONAL and dated by
// the clock.
func TestProvisional(t *testing.T) {
	sm := issue(t, handMonth(), t.TempDir())
	assert.False(t, sm.Final)
	txt := pdfText(t, filepath.Join(sm.Dir, "departments/D01.pdf"))
	assert.Contains(t, txt, "临时 / PROVISIONAL")
	assert.Contains(t, txt, "2026-11-20") // issue date from the clock
	assert.Contains(t, txt, "临时（账期未结账")
}

// TestReissueClosedMonth: a closed month re-issues byte-identical, whatever the clock.
func TestReissueClosedMonth(t *testing.T) {
	src := handMonth()
	closeHand(src)
	a := issue(t, src, t.TempDir())
	b, err := statements.Issue(context.Background(), src, nov, t.TempDir(), statements.Options{
		Now: func() time.Time { return fixedNow().AddDate(0, 3, 0) }, PDF: pdf.Typesetter{Font: font, Workers: 1}})
	require.NoError(t, err)
	n := 0
	require.NoError(t, filepath.WalkDir(a.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a.Dir, p)
		x, err := os.ReadFile(p)
		require.NoError(t, err)
		y, err := os.ReadFile(filepath.Join(b.Dir, rel))
		require.NoError(t, err)
		assert.True(t, bytes.Equal(x, y), "%s differs between two issues of a closed month", rel)
		n++
		return nil
	}))
	assert.Equal(t, 12, n)
}

// failingTypesetter fails after laying out the documents.
type failingTypesetter struct{}

func (failingTypesetter) Typeset(_ context.Context, n int, doc func(int) sheet.Doc, _ func(int, []byte) error) error {
	for i := 0; i < n; i++ {
		doc(i)
	}
	return errors.New("disk full")
}

// TestFailedIssueKeepsEarlierOne: an issue that fails leaves the month's earlier folder
// as it was and no temporary folder behind.
func TestFailedIssueKeepsEarlierOne(t *testing.T) {
	out := t.TempDir()
	first := issue(t, handMonth(), out)
	before, err := os.ReadFile(filepath.Join(first.Dir, "summary.pdf"))
	require.NoError(t, err)

	_, err = statements.Issue(context.Background(), handMonth(), nov, out, statements.Options{Now: fixedNow, PDF: failingTypesetter{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "statements of 2026-11: disk full")
	after, err := os.ReadFile(filepath.Join(first.Dir, "summary.pdf"))
	require.NoError(t, err)
	assert.True(t, bytes.Equal(before, after))
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	require.Len(t, entries, 1, "only the month's folder, no temporary one")
	assert.Equal(t, "2026-11", entries[0].Name())
}
