// Package pdf typesets sheet.Docs as PDF with gofpdf and a TrueType CJK font: A4
// portrait, a running header and a provisional mark on every page, "第 n 页 / 共 m 页"
// page numbers, tables whose header repeats on each page, cell text wrapped (never cut)
// and numbers right-aligned where the column says so.
//
// The big font is read and parsed once per run: Font.Face cuts it down to the runes a
// batch of documents prints, and every document of the batch is typeset with a cut of
// that small face to its own runes (cheap to make and to parse). Output is deterministic: catalogs are sorted, the creation date is the
// document's Created time, and nothing random is written, so the same Doc gives the same
// bytes whether typeset alone or within a batch.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jung-kurt/gofpdf"

	"cloudbill/document/sheet"
)

// fontPaths are where Debian's fonts-arphic-gbsn00lp package puts its TrueType font
// (AR PL SungtiL GB), tried in order by LoadFont("").
var fontPaths = []string{
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",
	"/usr/share/fonts/truetype/arphic/gbsn00lp.ttf",
}

// Font is a TrueType font read once; it is safe for concurrent use.
type Font struct {
	ttf []byte
}

// LoadFont reads a TrueType font file; "" tries fontPaths. gofpdf rejects TTC and
// CFF/OTF fonts, so the font must be a plain .ttf.
func LoadFont(path string) (*Font, error) {
	paths := fontPaths
	if path != "" {
		paths = []string{path}
	}
	var errs []error
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(b) < 12 || !bytes.Equal(b[:4], []byte{0, 1, 0, 0}) {
			return nil, fmt.Errorf("font %s: not a TrueType font (TTC and OTF/CFF fonts do not work with gofpdf)", p)
		}
		return &Font{ttf: b}, nil
	}
	return nil, fmt.Errorf("load font (install fonts-arphic-gbsn00lp, `make deps`): %w", errors.Join(errs...))
}

// Load loads the font at path ("": fontPaths) as the sheet.Typesetter the use cases take
// (app.Config.LoadFont).
func Load(path string) (sheet.Typesetter, error) {
	f, err := LoadFont(path)
	if err != nil {
		return nil, err
	}
	return f, nil
}

var _ sheet.Typesetter = (*Font)(nil)

// Render typesets one document with its own cut of the font (Render(f, d)).
func (f *Font) Render(d sheet.Doc) ([]byte, error) { return Render(f, d) }

// Typeset typesets a batch on GOMAXPROCS goroutines with one face (Typesetter{Font: f}).
func (f *Font) Typeset(ctx context.Context, n int, doc func(i int) sheet.Doc, emit func(i int, pdf []byte) error) error {
	return Typesetter{Font: f}.Typeset(ctx, n, doc, emit)
}

// baseRunes are always in a face: printable ASCII and the page furniture.
const baseRunes = "第页共临时 /PROVISIONAL"

// Face is a font cut down to a set of runes, ready to be embedded in many documents.
type Face struct {
	ttf   []byte
	runes map[rune]bool
}

// Face cuts the font to the given runes (plus printable ASCII and the page furniture).
// Parsing the full font happens here, once; documents typeset with the face parse only
// small cuts of it.
func (f *Font) Face(runes string) *Face {
	set := runeSet(runes)
	return &Face{ttf: cut(f.ttf, setString(set)), runes: set}
}

// cut is gofpdf.UTF8CutFont on a private copy of ttf: gofpdf pads the tables of the font
// it reads in place (append on a sub-slice), which would race between goroutines sharing
// the bytes.
func cut(ttf []byte, runes string) []byte {
	return gofpdf.UTF8CutFont(append([]byte(nil), ttf...), runes)
}

func runeSet(runes string) map[rune]bool {
	set := map[rune]bool{}
	for r := rune(32); r < 127; r++ {
		set[r] = true
	}
	for _, r := range baseRunes + runes {
		set[r] = true
	}
	return set
}

func setString(set map[rune]bool) string {
	rs := make([]rune, 0, len(set))
	for r := range set {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i] < rs[j] })
	return string(rs)
}

// Render typesets one document with its own cut of the font: the convenient call for a
// single report.
func Render(f *Font, d sheet.Doc) ([]byte, error) {
	return f.Face(sheet.Runes(d)).Render(d)
}

// Typesetter typesets batches of documents on several goroutines with one face.
type Typesetter struct {
	Font *Font
	// Workers is the number of documents typeset at once (default GOMAXPROCS).
	Workers int
}

// Typeset renders documents 0…n−1 and hands each PDF to emit, which may be called from
// several goroutines at once (each index once). doc lays out document i; it is called
// twice per document, from several goroutines at once — once to gather the runes of the
// batch's font face, once to typeset — so that no more than a few documents are held at
// a time. The first error stops the batch.
func (t Typesetter) Typeset(ctx context.Context, n int, doc func(i int) sheet.Doc, emit func(i int, pdf []byte) error) error {
	if n == 0 {
		return nil
	}
	workers := t.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	// The face's runes are gathered on the workers too (each a stripe of the documents):
	// on one goroutine this pass was the batch's longest serial step after its queries.
	// Each document's runes are kept for its typesetting, which needs them again.
	runes := make([]string, n)
	sets := make([]map[rune]bool, workers)
	var gather sync.WaitGroup
	for w := 0; w < workers; w++ {
		gather.Add(1)
		go func() {
			defer gather.Done()
			set := map[rune]bool{}
			for i := w; i < n; i += workers {
				runes[i] = sheet.Runes(doc(i))
				for _, r := range runes[i] {
					set[r] = true
				}
			}
			sets[w] = set
		}()
	}
	gather.Wait()
	set := sets[0]
	for _, s := range sets[1:] {
		for r := range s {
			set[r] = true
		}
	}
	face := t.Font.Face(setString(set))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	next := make(chan int)
	var (
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	fail := func(err error) {
		once.Do(func() { firstErr = err; cancel() })
	}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d := doc(i)
				b, err := face.render(d, runes[i])
				if err == nil {
					err = emit(i, b)
				}
				if err != nil {
					fail(fmt.Errorf("typeset %s: %w", d.Header, err))
				}
			}
		}()
	}
feed:
	for i := 0; i < n; i++ {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// Page geometry in millimetres (A4 portrait).
const (
	pageW, pageH = 210.0, 297.0
	marginX      = 12.0
	contentTop   = 17.0
	contentBot   = pageH - 15.0
	usableW      = pageW - 2*marginX
	cellPadX     = 1.2
	cellPadY     = 0.8
	ptToMM       = 25.4 / 72
)

// Font sizes in points.
const (
	sizeTitle   = 15.0
	sizeHeading = 11.0
	sizeSub     = 9.5
	sizeBody    = 8.5
	sizeTable   = 7.5
	sizeSmall   = 7.5
)

// Render typesets a document.
func (fc *Face) Render(d sheet.Doc) ([]byte, error) { return fc.render(d, sheet.Runes(d)) }

// render typesets d, whose runes (sheet.Runes(d)) are given.
func (fc *Face) render(d sheet.Doc, runes string) ([]byte, error) {
	f := gofpdf.New("P", "mm", "A4", "")
	f.SetCompression(true)
	f.SetCatalogSort(true)
	if !d.Created.IsZero() {
		f.SetCreationDate(d.Created)
		f.SetModificationDate(d.Created)
	}
	f.SetProducer("cloudbill", false)
	f.SetTitle(d.Title, true)
	// The document embeds a cut of the face to its own runes: cutting is exact (a cut of
	// a cut is the cut of the full font), so a document's bytes do not depend on which
	// other documents shared the face.
	docRunes := runeSet(runes)
	for r := range docRunes {
		if !fc.runes[r] {
			return nil, fmt.Errorf("character %q is not in the font face (make the face from every document's runes)", r)
		}
	}
	f.AliasNbPages("{nb}") // before the font: gofpdf sizes the font's subset by it
	f.AddUTF8FontFromBytes("song", "", cut(fc.ttf, setString(docRunes)))
	if err := f.Error(); err != nil {
		return nil, fmt.Errorf("font: %w", err)
	}
	f.SetMargins(marginX, contentTop, marginX)
	f.SetAutoPageBreak(false, 0)
	r := &renderer{f: f, widths: map[rune]float64{}, ellipsis: "..."}
	if docRunes['…'] {
		r.ellipsis = "…"
	}
	f.SetHeaderFunc(func() {
		f.SetFont("song", "", sizeSmall)
		f.SetTextColor(90, 90, 90)
		f.SetXY(marginX, 7)
		f.CellFormat(usableW*0.75, 5, r.clip(d.Header, usableW*0.75-1, sizeSmall, 1)[0], "", 0, "L", false, 0, "")
		if d.Mark != "" {
			f.SetFont("song", "", 10)
			f.SetTextColor(200, 0, 0)
			f.SetXY(marginX+usableW*0.75, 7)
			f.CellFormat(usableW*0.25, 5, d.Mark, "", 0, "R", false, 0, "")
		}
		f.SetDrawColor(150, 150, 150)
		f.Line(marginX, 13, pageW-marginX, 13)
		f.SetTextColor(0, 0, 0)
		f.SetDrawColor(0, 0, 0)
		f.SetXY(marginX, contentTop)
	})
	f.SetFooterFunc(func() {
		f.SetFont("song", "", sizeSmall)
		f.SetTextColor(90, 90, 90)
		f.SetXY(marginX, pageH-11)
		f.CellFormat(usableW, 5, "第 "+strconv.Itoa(f.PageNo())+" 页 / 共 {nb} 页", "", 0, "C", false, 0, "")
		f.SetTextColor(0, 0, 0)
	})
	f.AddPage()
	if d.Title != "" {
		f.SetFont("song", "", sizeTitle)
		f.CellFormat(usableW, 9, d.Title, "", 1, "C", false, 0, "")
		f.Ln(2)
	}
	for _, b := range d.Blocks {
		switch b := b.(type) {
		case sheet.Heading:
			r.heading(b)
		case sheet.Para:
			r.para(b)
		case sheet.Fields:
			r.fields(b)
		case sheet.Table:
			r.table(b)
		default:
			return nil, fmt.Errorf("unknown block %T", b)
		}
	}
	var out bytes.Buffer
	if err := f.Output(&out); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

type renderer struct {
	f      *gofpdf.Fpdf
	widths map[rune]float64 // in ems
	// ellipsis marks clipped text: "…" when the document has it already, else "..." (the
	// font is cut to the document's own characters, and adding one would change the bytes
	// of statements issued before)
	ellipsis string
}

func lineH(size float64) float64 { return size * ptToMM * 1.35 }

// room starts a new page unless h millimetres fit above the bottom margin.
func (r *renderer) room(h float64) {
	if r.f.GetY()+h > contentBot {
		r.f.AddPage()
	}
}

func (r *renderer) heading(h sheet.Heading) {
	size := sizeHeading
	if h.Level > 1 {
		size = sizeSub
	}
	r.room(lineH(size) + 14) // keep a heading with what follows
	r.f.Ln(1.5)
	r.f.SetFont("song", "", size)
	for _, l := range r.clip(h.Text, usableW, size, maxHeadingLines) {
		r.f.SetX(marginX)
		r.f.CellFormat(usableW, lineH(size), l, "", 1, "L", false, 0, "")
	}
	r.f.Ln(0.8)
}

func (r *renderer) para(p sheet.Para) {
	size := sizeBody
	if p.Emphasis {
		size = sizeSub
	}
	r.f.SetFont("song", "", size)
	for _, l := range r.wrap(p.Text, usableW, size) {
		r.room(lineH(size))
		r.f.SetX(marginX)
		r.f.CellFormat(usableW, lineH(size), l, "", 1, "L", false, 0, "")
	}
	r.f.Ln(0.8)
}

func (r *renderer) fields(fs sheet.Fields) {
	cols := fs.Columns
	if cols <= 0 {
		cols = 2
	}
	size := sizeBody
	r.f.SetFont("song", "", size)
	cw := usableW / float64(cols)
	lw := cw * 0.32
	for i := 0; i < len(fs.Pairs); i += cols {
		var cells [][]string
		n := 1
		for j := i; j < i+cols && j < len(fs.Pairs); j++ {
			ls := r.clip(fs.Pairs[j].Label, lw-cellPadX, size, maxCellLines)
			vs := r.clip(fs.Pairs[j].Value, cw-lw-cellPadX, size, maxCellLines)
			cells = append(cells, ls, vs)
			n = max(n, len(ls), len(vs))
		}
		h := float64(n) * lineH(size)
		r.room(h)
		y := r.f.GetY()
		for k, c := range cells {
			x := marginX + float64(k/2)*cw
			w := lw
			if k%2 == 1 {
				x += lw
				w = cw - lw
				r.f.SetTextColor(0, 0, 0)
			} else {
				r.f.SetTextColor(80, 80, 80)
			}
			for li, l := range c {
				r.f.SetXY(x, y+float64(li)*lineH(size))
				r.f.CellFormat(w, lineH(size), l, "", 0, "L", false, 0, "")
			}
		}
		r.f.SetTextColor(0, 0, 0)
		r.f.SetXY(marginX, y+h)
	}
	r.f.Ln(1)
}

func (r *renderer) table(t sheet.Table) {
	size := sizeTable
	lh := lineH(size)
	var sum float64
	for _, c := range t.Columns {
		sum += c.Width
	}
	ws := make([]float64, len(t.Columns))
	for i, c := range t.Columns {
		ws[i] = usableW * c.Width / sum
	}
	header := sheet.Row{Cells: make([]string, len(t.Columns))}
	for i, c := range t.Columns {
		header.Cells[i] = c.Title
	}
	r.f.SetFont("song", "", size)
	r.f.SetLineWidth(0.15)
	headerLines, headerH := r.layoutRow(header, ws, size)
	first := true
	for _, row := range t.Rows {
		lines, h := r.layoutRow(row, ws, size)
		if first || r.f.GetY()+h > contentBot {
			if first {
				r.room(headerH + h)
			} else {
				r.f.AddPage()
			}
			r.drawRow(header, headerLines, ws, headerH, lh, t.Columns, true)
			first = false
		}
		r.drawRow(row, lines, ws, h, lh, t.Columns, false)
	}
	if first { // no rows: the header alone
		r.room(headerH)
		r.drawRow(header, headerLines, ws, headerH, lh, t.Columns, true)
	}
	r.f.Ln(2)
}

// layoutRow wraps a row's cells; a Group row's first cell spans the table.
func (r *renderer) layoutRow(row sheet.Row, ws []float64, size float64) ([][]string, float64) {
	lh := lineH(size)
	if row.Style == sheet.Group {
		var total float64
		for _, w := range ws {
			total += w
		}
		text := ""
		if len(row.Cells) > 0 {
			text = row.Cells[0]
		}
		ls := r.clip(text, total-2*cellPadX, size, maxCellLines)
		return [][]string{ls}, float64(len(ls))*lh + 2*cellPadY
	}
	out := make([][]string, len(ws))
	n := 1
	for i := range ws {
		text := ""
		if i < len(row.Cells) {
			text = row.Cells[i]
		}
		out[i] = r.clip(text, ws[i]-2*cellPadX, size, maxCellLines)
		n = max(n, len(out[i]))
	}
	return out, float64(n)*lh + 2*cellPadY
}

func (r *renderer) drawRow(row sheet.Row, lines [][]string, ws []float64, h, lh float64, cols []sheet.Column, isHeader bool) {
	f := r.f
	y := f.GetY()
	style := "D"
	switch {
	case isHeader:
		f.SetFillColor(215, 222, 232)
		style = "FD"
	case row.Style == sheet.Subtotal:
		f.SetFillColor(238, 238, 238)
		style = "FD"
	case row.Style == sheet.Total:
		f.SetFillColor(218, 218, 218)
		style = "FD"
	case row.Style == sheet.Group:
		f.SetFillColor(246, 243, 232)
		style = "FD"
	}
	f.SetDrawColor(140, 140, 140)
	if row.Style == sheet.Group && !isHeader {
		var total float64
		for _, w := range ws {
			total += w
		}
		f.Rect(marginX, y, total, h, style)
		for li, l := range lines[0] {
			f.SetXY(marginX+cellPadX, y+cellPadY+float64(li)*lh)
			f.CellFormat(total-2*cellPadX, lh, l, "", 0, "L", false, 0, "")
		}
		f.SetXY(marginX, y+h)
		return
	}
	x := marginX
	for i, w := range ws {
		f.Rect(x, y, w, h, style)
		align := "L"
		switch {
		case isHeader:
			align = "C"
		case cols[i].Align == sheet.Right:
			align = "R"
		case cols[i].Align == sheet.Center:
			align = "C"
		}
		for li, l := range lines[i] {
			if l == "" {
				continue
			}
			f.SetXY(x+cellPadX, y+cellPadY+float64(li)*lh)
			f.CellFormat(w-2*cellPadX, lh, l, "", 0, align, false, 0, "")
		}
		x += w
	}
	f.SetDrawColor(0, 0, 0)
	f.SetXY(marginX, y+h)
}

// wrap breaks text into lines no wider than w millimetres at the given size: at spaces
// where a Latin word would be cut, else between any two characters (CJK text has no
// spaces). Explicit newlines break too. Nothing is cut off.
func (r *renderer) wrap(text string, w, size float64) []string {
	var out []string
	for _, para := range strings.Split(text, "\n") {
		out = append(out, r.wrapLine(para, w, size)...)
	}
	return out
}

func (r *renderer) wrapLine(text string, w, size float64) []string {
	scale := size * ptToMM
	var (
		out       []string
		line      []rune
		width     float64
		lastSpace = -1
	)
	for _, c := range text {
		cw := r.runeWidth(c) * scale
		if width+cw > w && len(line) > 0 {
			switch {
			case lastSpace > 0 && c != ' ' && isLatin(c):
				out = append(out, strings.TrimRight(string(line[:lastSpace]), " "))
				line = append([]rune(nil), line[lastSpace+1:]...)
			case noLineStart(c) && len(line) > 1:
				// Closing punctuation never starts a line: the character before it goes
				// down with it.
				out = append(out, strings.TrimRight(string(line[:len(line)-1]), " "))
				line = append([]rune(nil), line[len(line)-1])
			default:
				out = append(out, strings.TrimRight(string(line), " "))
				line = line[:0]
			}
			lastSpace = -1
			width = 0
			for _, lc := range line {
				width += r.runeWidth(lc) * scale
			}
			if c == ' ' && len(line) == 0 {
				continue
			}
		}
		if c == ' ' {
			lastSpace = len(line)
		}
		line = append(line, c)
		width += cw
	}
	return append(out, string(line))
}

// Bounds of a block that must fit on a page (a heading, a field, a table cell): beyond
// them the text is cut with "…" (statements keep every name in full in their CSV). A
// department name of 1,651 characters once ran the running header and a field over the
// page's footer.
const (
	maxHeadingLines = 3
	maxCellLines    = 8
)

// clip is wrap limited to n lines, the last one ending in an ellipsis when text was cut.
func (r *renderer) clip(text string, w, size float64, n int) []string {
	lines := r.wrap(text, w, size)
	if len(lines) <= n {
		return lines
	}
	lines = lines[:n]
	last := []rune(lines[n-1])
	ell := r.textWidth(r.ellipsis, size)
	for len(last) > 0 && r.textWidth(string(last), size)+ell > w {
		last = last[:len(last)-1]
	}
	lines[n-1] = string(last) + r.ellipsis
	return lines
}

// textWidth is the width of s in millimetres at size.
func (r *renderer) textWidth(s string, size float64) float64 {
	var em float64
	for _, c := range s {
		em += r.runeWidth(c)
	}
	return em * size * ptToMM
}

func isLatin(c rune) bool { return c < 0x2E80 }

// noLineStart reports the punctuation that must not begin a line (行首禁则).
func noLineStart(c rune) bool {
	return strings.ContainsRune("）】」』》〉，。、；：！？%)],.;:!?", c)
}

// runeWidth is the advance width of c in ems (multiply by the font size).
func (r *renderer) runeWidth(c rune) float64 {
	if w, ok := r.widths[c]; ok {
		return w
	}
	w := float64(r.f.GetStringSymbolWidth(string(c))) / 1000
	r.widths[c] = w
	return w
}
