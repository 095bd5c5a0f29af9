// Package csvin reads the CSV input files of cloudbill (docs/formats.md): UTF-8 with or
// without a byte-order mark, or GB18030/GBK as Excel on a Chinese Windows saves it; a
// header row that names the columns in any order; unknown columns refused unless they
// start with "x_". Reading streams: memory does not grow with the file.
//
// Every error is an *Error naming the file, the line and the column.
package csvin

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"cloudbill/internal/csvout"
)

// Error is an input error at a place in a file. Line is 1-based (the header is line 1,
// counting a BOM-prefixed first line as 1); Column is the header name, empty when the
// error concerns the whole line or file.
type Error struct {
	File   string
	Line   int
	Column string
	Msg    string
	// Record names the record of the line by its key when the error concerns one
	// (e.g. "order O-1", "vendor V1, period 2026-11"); empty otherwise.
	Record string
	// Field is the 1-based position of the column in the header, when the error
	// concerns a header cell (0 otherwise): a report that must not quote the file's text
	// names the column by it.
	Field int
	// Code is what is wrong as data, with its values in Params (Coded); empty for a
	// message that is only text (Errorf).
	Code   Code
	Params map[string]string
	// Key is the record's key as data, noun and value pairs ("order", "O-1", "item",
	// "C01"), when it was given as such (SetKey); Record is then the same in words.
	Key []string
	// Err is the refusal the error stands for, when its caller tells refusals apart
	// (errors.Is), e.g. rating.ErrRulesOfClosedMonth; nil for most.
	Err error
}

// Unwrap is the refusal e stands for (Err).
func (e *Error) Unwrap() error { return e.Err }

// SetKey names the record e concerns by its key, noun and value pairs (a pair with an
// empty value left out): Record becomes "order O-1, item C01". It returns e.
func (e *Error) SetKey(kv ...string) *Error {
	e.Key = nil
	var words []string
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			e.Key = append(e.Key, kv[i], kv[i+1])
			words = append(words, kv[i]+" "+kv[i+1])
		}
	}
	e.Record = strings.Join(words, ", ")
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Record != "" {
		b.WriteString(": ")
		b.WriteString(e.Record)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, ": column %q", e.Column)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// Errorf makes an *Error.
func Errorf(file string, line int, column, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Column: column, Msg: fmt.Sprintf(format, args...)}
}

// Errors is a list of input errors reported together.
type Errors []*Error

func (es Errors) Error() string {
	switch len(es) {
	case 0:
		return "no errors"
	case 1:
		return es[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d errors:", len(es))
	for i, e := range es {
		if i == 50 {
			fmt.Fprintf(&b, "\n  … and %d more", len(es)-50)
			break
		}
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns es as an error, or nil when empty.
func (es Errors) Err() error {
	if len(es) == 0 {
		return nil
	}
	return es
}

// Spec names the columns of one kind of file.
type Spec struct {
	Required []string
	Optional []string
}

// Reader reads the rows of one CSV file.
type Reader struct {
	file  string
	csv   *csv.Reader
	dec   *decoder
	cols  map[string]int
	names []string
	done  bool // a text error ended the file
}

// Open reads the header of r (named file in errors) and checks it against spec: every
// required column present, no column twice, no unknown column other than x_*.
// A file with no header row is an error.
func Open(file string, r io.Reader, spec Spec) (*Reader, error) {
	return OpenEncoding(file, r, spec, Auto)
}

// OpenEncoding is Open reading the file in enc (Auto: decided from the text, see
// TextDecoder). A line that is not valid in the file's encoding is an *Error naming the
// line and the byte; the reader cannot go on after it.
func OpenEncoding(file string, r io.Reader, spec Spec, enc Encoding) (*Reader, error) {
	dec := newDecoder(file, r, enc)
	cr := csv.NewReader(dec)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err == io.EOF {
		return nil, Coded(file, 0, "", CodeFileEmpty)
	}
	if err != nil {
		return nil, fromCSV(file, err)
	}
	cols, names, herr := CheckHeader(file, header, spec)
	if herr != nil {
		return nil, herr
	}
	return &Reader{file: file, csv: cr, dec: dec, cols: cols, names: names}, nil
}

// CheckHeader checks a header row (line 1 of file) against spec: every required column
// present, no column twice, no unknown column other than x_*. Names are trimmed and
// lower-cased. It returns each known column's index and the names in order; the error is
// an Errors listing every problem.
func CheckHeader(file string, header []string, spec Spec) (cols map[string]int, names []string, err error) {
	known := map[string]bool{}
	for _, c := range spec.Required {
		known[c] = true
	}
	for _, c := range spec.Optional {
		known[c] = true
	}
	cols = map[string]int{}
	var errs Errors
	for i, h := range header {
		name := strings.ToLower(strings.TrimSpace(h))
		names = append(names, name)
		at := func(e *Error) *Error { e.Field = i + 1; return e }
		switch {
		case name == "":
			errs = append(errs, at(Coded(file, 1, "", CodeHeaderEmptyName, "n", strconv.Itoa(i+1))))
		case hasIndex(cols, name):
			errs = append(errs, at(Coded(file, 1, name, CodeHeaderTwice)))
		case !known[name] && !strings.HasPrefix(name, "x_"):
			errs = append(errs, at(Coded(file, 1, name, CodeHeaderUnknown, "expected", strings.Join(append(append([]string{}, spec.Required...), spec.Optional...), ", "))))
		default:
			cols[name] = i
		}
	}
	for _, c := range spec.Required {
		if _, ok := cols[c]; !ok {
			errs = append(errs, Coded(file, 1, c, CodeHeaderMissing))
		}
	}
	if len(errs) > 0 {
		return nil, nil, errs
	}
	return cols, names, nil
}

func hasIndex(m map[string]int, k string) bool { _, ok := m[k]; return ok }

// File is the name used in errors.
func (r *Reader) File() string { return r.file }

// Has reports whether the header names column c.
func (r *Reader) Has(c string) bool { _, ok := r.cols[c]; return ok }

// Encoding is "UTF-8" or "GB18030", as detected so far.
func (r *Reader) Encoding() string {
	return r.dec.text.Encoding()
}

// Next returns the next non-blank row, io.EOF at the end, or an *Error for a line that is
// not valid CSV (the reader can go on after it) or not valid text in the file's encoding
// (the reader ends there: io.EOF follows). The Row is valid until the next call.
func (r *Reader) Next() (Row, error) {
	for {
		if r.done {
			return Row{}, io.EOF
		}
		rec, err := r.csv.Read()
		r.dec.record = int64(len(r.dec.pending)) // what csv holds ahead is the next record's
		if err == io.EOF {
			return Row{}, io.EOF
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(pe.Err, csv.ErrFieldCount) {
				return Row{}, fromCSV(r.file, err)
			}
			var te *Error
			if errors.As(err, &te) {
				r.done = true // the file's encoding is broken from here on
				return Row{}, te
			}
			if !errors.As(err, &pe) {
				return Row{}, Coded(r.file, 0, "", CodeReadFailed, "detail", err.Error())
			}
		}
		line, _ := r.csv.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		if len(rec) != len(r.names) {
			return Row{}, Coded(r.file, line, "", CodeFieldCount, "got", strconv.Itoa(len(rec)), "want", strconv.Itoa(len(r.names)))
		}
		return Row{Line: line, rec: rec, r: r}, nil
	}
}

// InputOffset is the number of bytes of the underlying input consumed so far (for progress).
func (r *Reader) InputOffset() int64 { return r.dec.consumed }

// Row is one data line.
type Row struct {
	Line int
	rec  []string
	r    *Reader
}

// Get is the trimmed value of column c, "" when the column is absent. A cell that
// cloudbill's CSV writer neutralised (an apostrophe before what a spreadsheet would take
// as a formula, see package csvout) reads as the value it was written from.
func (row Row) Get(c string) string {
	i, ok := row.r.cols[c]
	if !ok {
		return ""
	}
	return csvout.Restore(strings.TrimSpace(row.rec[i]))
}

// Errorf makes an *Error at this row and column c.
func (row Row) Errorf(c, format string, args ...any) *Error {
	return Errorf(row.r.file, row.Line, c, format, args...)
}

// Raw is the line's fields as read, for reject files.
func (row Row) Raw() []string { return append([]string(nil), row.rec...) }

func fromCSV(file string, err error) *Error {
	var te *Error
	if errors.As(err, &te) {
		return te
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return Coded(file, pe.Line, "", CodeBareQuote)
		case errors.Is(pe.Err, csv.ErrQuote):
			return Coded(file, pe.Line, "", CodeQuote)
		}
		return Coded(file, pe.Line, "", CodeMalformed, "detail", pe.Err.Error())
	}
	return Coded(file, 0, "", CodeReadFailed, "detail", err.Error())
}

// decoder turns the input into UTF-8 line by line with a TextDecoder (one encoding for
// the whole file, decided with evidence); lines split the same way in UTF-8 and GB18030,
// which never uses the byte '\n' inside a character.
type decoder struct {
	file     string
	br       *bufio.Reader
	text     *TextDecoder
	line     int
	pending  []byte
	consumed int64
	// record counts the bytes handed out since the reader last returned a record
	// (reset by Reader): past MaxRecordBytes the file is refused there.
	record int64
	err    error
}

// MaxRecordBytes bounds one record (a line, or the lines of a quoted field that spans
// several), checked while reading: no input file of cloudbill has a record near it, and
// an unclosed quote or a line of a gigabyte is refused instead of held in memory.
const MaxRecordBytes = 1 << 20

func newDecoder(file string, r io.Reader, enc Encoding) *decoder {
	return &decoder{file: file, br: bufio.NewReaderSize(r, 256<<10), text: NewTextDecoder(file, enc)}
}

func (d *decoder) tooLong() error {
	d.err = Coded(d.file, d.line, "", CodeRecordTooLong, "kib", strconv.Itoa(MaxRecordBytes>>10))
	return d.err
}

func (d *decoder) Read(p []byte) (int, error) {
	for len(d.pending) == 0 {
		if d.err != nil {
			return 0, d.err
		}
		line, err := d.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// a very long line: collect it whole (decoding per piece would risk cutting a
			// character)
			buf := append([]byte(nil), line...)
			for err == bufio.ErrBufferFull {
				if d.record+int64(len(buf)) > MaxRecordBytes {
					d.line++
					return 0, d.tooLong()
				}
				line, err = d.br.ReadSlice('\n')
				buf = append(buf, line...)
			}
			line = buf
		}
		d.consumed += int64(len(line))
		d.record += int64(len(line))
		if d.record > MaxRecordBytes {
			d.line++
			return 0, d.tooLong()
		}
		if len(line) == 0 && err != nil {
			return 0, err
		}
		d.line++
		body, end := line, []byte(nil)
		if n := len(body); n > 0 && body[n-1] == '\n' {
			body, end = body[:n-1], body[n-1:]
			if n := len(body); n > 0 && body[n-1] == '\r' {
				body, end = body[:n-1], line[n-1:]
			}
		}
		if !d.text.Decided() && firstNonASCII(body) >= 0 {
			body = append([]byte(nil), body...) // Peek may move the buffer under line
			end = append([]byte(nil), end...)
		}
		out, terr := d.text.Line(d.line, body, func() []byte {
			ahead, _ := d.br.Peek(64 << 10)
			return ahead
		})
		if terr != nil {
			d.err = terr
			return 0, terr
		}
		d.pending = append(append(d.pending[:0:0], out...), end...)
		if err != nil && err != io.EOF {
			d.err = err
		}
	}
	n := copy(p, d.pending)
	d.pending = d.pending[n:]
	return n, nil
}
