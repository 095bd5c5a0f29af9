package statements_test

import (
	"testing"

	"cloudbill/document/pdf"
	"cloudbill/document/sheet"
	"cloudbill/fixture/synth"
	"cloudbill/internal/calendar"
	"cloudbill/statements"
)

// BenchmarkDepartmentPDF typesets department statements of a generated month (about 60
// lines each, as in the city benchmark) on one goroutine: the CPU cost of one PDF.
func BenchmarkDepartmentPDF(b *testing.B) {
	font, err := pdf.LoadFont("")
	if err != nil {
		b.Skip(err)
	}
	m := synth.Month(synth.Config{Period: calendar.MustPeriod("2026-11"), Departments: 100, Vendors: 4, Orders: 5000, Seed: 1, Closed: true})
	st := statements.Build(m)
	n := len(st.Departments)
	docs := make([]sheet.Doc, n)
	for i, d := range st.Departments {
		docs[i] = st.Month.DepartmentDoc(d)
	}
	face := font.Face(sheet.Runes(docs...))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := face.Render(st.Month.DepartmentDoc(st.Departments[i%n])); err != nil {
			b.Fatal(err)
		}
	}
}
