// Package sheet describes a printed statement as plain values: a running header, a mark
// for provisional documents, headings, paragraphs, label/value fields and tables whose
// header repeats on each page. A typesetter (package pdf) draws it; sheet itself imports
// no PDF library, so domain packages can lay out documents without one.
package sheet

import (
	"context"
	"sort"
	"strings"
	"time"
)

// Doc is one printed document.
type Doc struct {
	// Title is printed large at the top of the first page and stored as the document
	// title; Header is printed at the top of every page (e.g. the statement number).
	Title  string
	Header string
	// Mark, when set, is printed on every page in red (e.g. "临时 / PROVISIONAL").
	Mark string
	// Created is the document's creation and modification date. A document that must
	// re-issue byte-identical sets a fixed time here.
	Created time.Time
	Blocks  []Block
}

// Typesetter turns documents into PDF files with one font. Package document/pdf provides it
// (*pdf.Font, loaded by pdf.Load); the packages that lay documents out and keep or serve the
// bytes (app, idle, the portal) depend on this interface, not on the PDF library.
type Typesetter interface {
	// Render typesets one document.
	Render(d Doc) ([]byte, error)
	// Typeset renders documents 0…n−1 and hands each PDF to emit, which may be called
	// from several goroutines at once (each index once); the first error stops the batch.
	Typeset(ctx context.Context, n int, doc func(i int) Doc, emit func(i int, pdf []byte) error) error
}

// Add appends blocks.
func (d *Doc) Add(b ...Block) { d.Blocks = append(d.Blocks, b...) }

// Block is one element of a document: Heading, Para, Fields or Table.
type Block interface{ texts(func(string)) }

// Heading starts a section.
type Heading struct {
	Text string
	// Level 1 is a section, 2 a subsection.
	Level int
}

// Para is a paragraph, wrapped to the page width.
type Para struct {
	Text string
	// Emphasis prints the paragraph larger (a grand total, say).
	Emphasis bool
}

// Fields is a grid of label: value pairs, Columns pairs a row (default 2).
type Fields struct {
	Pairs   []Field
	Columns int
}

// Field is one label: value pair.
type Field struct{ Label, Value string }

// Align is the horizontal alignment of a table column.
type Align int

const (
	Left Align = iota
	Right
	Center
)

// Column is a table column; Width is relative (the widths of a table share the page
// width in proportion).
type Column struct {
	Title string
	Width float64
	Align Align
}

// Style marks a table row.
type Style int

const (
	Plain    Style = iota
	Subtotal       // shaded
	Total          // shaded darker
	Group          // a group caption spanning the row (its first cell is printed across)
)

// Row is one table row; a cell's text wraps inside its column, never cut.
type Row struct {
	Cells []string
	Style Style
}

// Table is a table whose header row is repeated at the top of each page it runs on.
type Table struct {
	Columns []Column
	Rows    []Row
}

func (h Heading) texts(f func(string)) { f(h.Text) }
func (p Para) texts(f func(string))    { f(p.Text) }
func (fs Fields) texts(f func(string)) {
	for _, p := range fs.Pairs {
		f(p.Label)
		f(p.Value)
	}
}
func (t Table) texts(f func(string)) {
	for _, c := range t.Columns {
		f(c.Title)
	}
	for _, r := range t.Rows {
		for _, c := range r.Cells {
			f(c)
		}
	}
}

// Runes returns every distinct rune the documents print, sorted: what a font subset for
// them must hold.
func Runes(docs ...Doc) string {
	seen := map[rune]bool{}
	add := func(s string) {
		for _, r := range s {
			seen[r] = true
		}
	}
	for _, d := range docs {
		add(d.Title)
		add(d.Header)
		add(d.Mark)
		for _, b := range d.Blocks {
			b.texts(add)
		}
	}
	rs := make([]rune, 0, len(seen))
	for r := range seen {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	var sb strings.Builder
	for _, r := range rs {
		sb.WriteRune(r)
	}
	return sb.String()
}
