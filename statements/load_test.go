package statements_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/rating"
	"cloudbill/statements"
)

func TestLoadRefuses(t *testing.T) {
	tests := []struct {
		name   string
		change func(s *fakeSource)
		want   string
	}{
		{"month never rated", func(s *fakeSource) { delete(s.lines, nov) }, "statements of 2026-11: lines of 2026-11: month not rated"},
		{"line not rounded", func(s *fakeSource) { s.lines[nov][0].Amount = dec("640.001") }, "statements of 2026-11: line 1 (order O-1001) amount 640.001 is not rounded to the fen"},
		{"line of another month", func(s *fakeSource) { s.lines[nov][4].Period = calendar.MustPeriod("2026-10") }, "statements of 2026-11: line 5 (order O-2001) belongs to 2026-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := handMonth()
			tt.change(src)
			_, err := statements.Issue(context.Background(), src, nov, t.TempDir(), statements.Options{Now: fixedNow})
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
	t.Run("never rated wraps ErrNotRated", func(t *testing.T) {
		src := handMonth()
		delete(src.lines, nov)
		_, err := statements.Load(context.Background(), src, nov, fixedNow)
		assert.ErrorIs(t, err, statements.ErrNotRated)
	})
	t.Run("no clock", func(t *testing.T) {
		_, err := statements.Issue(context.Background(), handMonth(), nov, t.TempDir(), statements.Options{})
		assert.EqualError(t, err, "statements: no clock (Options.Now)")
	})
}

// TestEmptyMonth: a rated month without lines still gets its summary, the vendors with
// an acceptance outcome their settlements, and the departments with lines in October a
// zero statement each, all at zero.
func TestEmptyMonth(t *testing.T) {
	src := handMonth()
	src.lines[nov] = []rating.Line{}
	sm, err := statements.Issue(context.Background(), src, nov, t.TempDir(), statements.Options{Now: fixedNow, PDF: typesetter(t)})
	require.NoError(t, err)
	assert.Equal(t, 2, sm.Departments, "D01 and D02 had lines in October")
	assert.Equal(t, 2, sm.Vendors)
	assert.Equal(t, "0.00", money.Plain(sm.Net))
	assert.Contains(t, pdfText(t, sm.Dir+"/summary.pdf"), "零元整")
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"D01": "D01", "a/b": "a%2Fb", "a_b": "a_b", `a\b`: "a%5Cb", "..": "%2E.", "": "%", "x:y": "x%3Ay", "区财政局": "%E5%8C%BA%E8%B4%A2%E6%94%BF%E5%B1%80"} {
		assert.Equal(t, want, statements.FileName(in), "FileName(%q)", in)
	}
}

// TestZeroStatements: every department that had a work order in service or a statement
// in the twelve months before gets a statement every month, a zero one when it has no
// line; one idle for longer, or never active, gets none.
func TestZeroStatements(t *testing.T) {
	src := handMonth()
	src.lines[nov] = src.lines[nov][:3] // only D01 has lines in November
	delete(src.lines, calendar.MustPeriod("2026-10"))
	ev := func(order, kind, date, dep string) catalog.Event {
		return catalog.Event{Order: catalog.OrderID(order), Kind: catalog.EventKind(kind), Effective: calendar.MustDate(date),
			Config: catalog.Config{Department: catalog.DepartmentID(dep)}}
	}
	src.events = []catalog.Event{
		ev("O-1001", "open", "2026-01-01", "D01"),
		ev("O-2001", "open", "2025-06-01", "D02"), ev("O-2001", "terminate", "2025-12-31", "D02"), // in service in December 2025: 11 months before
		ev("O-3001", "open", "2024-01-01", "D0201"), ev("O-3001", "terminate", "2025-10-31", "D0201"), // ended 13 months before
	}
	dir := t.TempDir()
	sm, err := statements.Issue(context.Background(), src, nov, dir, statements.Options{Now: fixedNow, PDF: typesetter(t)})
	require.NoError(t, err)
	assert.Equal(t, 2, sm.Departments)
	files, err := filepath.Glob(filepath.Join(sm.Dir, "departments", "*.csv"))
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	assert.Equal(t, []string{"D01.csv", "D02.csv"}, names)
	b, err := os.ReadFile(filepath.Join(sm.Dir, "departments", "D02.csv"))
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(b), "\n"), "a zero statement is the header alone:\n%s", b)
	assert.Contains(t, pdfText(t, filepath.Join(sm.Dir, "departments", "D02.pdf")), "零账单")

	// A statement in the previous twelve months keeps the department too.
	src.lines[calendar.MustPeriod("2026-03")] = []rating.Line{{Period: calendar.MustPeriod("2026-03"), Kind: rating.KindCharge,
		Department: "D0201", Vendor: "V1", Project: "P03", Amount: dec("1.00"), Unrounded: dec("1.00")}}
	sm, err = statements.Issue(context.Background(), src, nov, dir, statements.Options{Now: fixedNow})
	require.NoError(t, err)
	assert.Equal(t, 3, sm.Departments, "D02's unit D0201 had a statement in March: D0201 gets one, within D02's")
}
