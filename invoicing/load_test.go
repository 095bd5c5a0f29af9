package invoicing_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/invoicing"
	"cloudbill/rating"
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
			_, err := invoicing.Issue(context.Background(), src, nov, t.TempDir(), invoicing.Options{Now: fixedNow})
			require.Error(t, err)
			assert.Equal(t, tt.want, err.Error())
		})
	}
	t.Run("never rated wraps ErrNotRated", func(t *testing.T) {
		src := handMonth()
		delete(src.lines, nov)
		_, err := invoicing.Load(context.Background(), src, nov, fixedNow)
		assert.ErrorIs(t, err, invoicing.ErrNotRated)
	})
	t.Run("no clock", func(t *testing.T) {
		_, err := invoicing.Issue(context.Background(), handMonth(), nov, t.TempDir(), invoicing.Options{})
		assert.EqualError(t, err, "statements: no clock (Options.Now)")
	})
}

// TestEmptyMonth: a rated month without lines still gets its summary, and the vendors
// with an acceptance outcome their settlements, all at zero.
func TestEmptyMonth(t *testing.T) {
	src := handMonth()
	src.lines[nov] = []rating.Line{}
	sm, err := invoicing.Issue(context.Background(), src, nov, t.TempDir(), invoicing.Options{Now: fixedNow, PDF: typesetter(t)})
	require.NoError(t, err)
	assert.Equal(t, 0, sm.Departments)
	assert.Equal(t, 2, sm.Vendors)
	assert.Equal(t, "0.00", money.Plain(sm.Net))
	assert.Contains(t, pdfText(t, sm.Dir+"/summary.pdf"), "零元整")
}

func TestFileName(t *testing.T) {
	for in, want := range map[string]string{"D01": "D01", "a/b": "a_b", `a\b`: "a_b", "..": "_..", "": "_", "x:y": "x_y", "区财政局": "区财政局"} {
		assert.Equal(t, want, invoicing.FileName(in), "FileName(%q)", in)
	}
}
