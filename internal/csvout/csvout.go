// Package csvout writes every CSV file cloudbill produces (statements, breakdowns,
// reconciliation reports, catalog show, reject files, generated fixtures), so that no cell
// can act as a formula when finance opens the file in Excel or WPS.
//
// The rule (one home, here): a text cell is "active" when, after any leading apostrophes,
// it starts with '=', '+', '-', '@', a tab or a carriage return. An active cell is
// written with one more apostrophe in front ("=1+1" → "'=1+1", "'=x" → "”=x"), which
// spreadsheets show as text. A plain decimal number ("-21.38", "+5", "0.50") is not
// active and stays a number. Restore undoes Neutral exactly, and cloudbill's CSV readers
// (package csvin, the sample parser) apply it to every field they read, so a file written
// by cloudbill reads back to the same values: Restore(Neutral(s)) == s for every s.
package csvout

import (
	"encoding/csv"
	"io"
)

// Writer is encoding/csv's Writer with every cell passed through Neutral.
type Writer struct {
	w   *csv.Writer
	rec []string
	// UseCRLF ends lines with \r\n (set before the first Write).
	UseCRLF bool
}

// NewWriter writes CSV to w (comma-separated, \n line ends).
func NewWriter(w io.Writer) *Writer { return &Writer{w: csv.NewWriter(w)} }

// Write writes one record, each cell neutralised; record is not changed.
func (w *Writer) Write(record []string) error {
	w.w.UseCRLF = w.UseCRLF
	w.rec = w.rec[:0]
	for _, c := range record {
		w.rec = append(w.rec, Neutral(c))
	}
	return w.w.Write(w.rec)
}

// WriteAll writes records and flushes.
func (w *Writer) WriteAll(records [][]string) error {
	for _, r := range records {
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.w.Flush()
	return w.w.Error()
}

// Flush writes buffered data to the underlying writer.
func (w *Writer) Flush() { w.w.Flush() }

// Error reports any error of a previous Write or Flush.
func (w *Writer) Error() error { return w.w.Error() }

// Neutral returns the cell as written: s, or s with an apostrophe in front when s is
// active (see the package comment).
func Neutral(s string) string {
	if Active(s) {
		return "'" + s
	}
	return s
}

// Restore returns the value of a cell as read: s without its first apostrophe when what
// follows it is active (a cell Neutral wrote), else s.
func Restore(s string) string {
	if len(s) > 1 && s[0] == '\'' && Active(s[1:]) {
		return s[1:]
	}
	return s
}

// Active reports whether a spreadsheet could take s as a formula: after its leading
// apostrophes it starts with = + - @ tab or carriage return, and s is not a plain decimal
// number.
func Active(s string) bool {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	if i == len(s) {
		return false
	}
	switch s[i] {
	case '=', '@', '\t', '\r':
		return true
	case '+', '-':
		return i > 0 || !isNumber(s)
	}
	return false
}

// isNumber reports whether s is a plain decimal number: an optional sign, digits, and
// an optional point with digits.
func isNumber(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	digits, point := 0, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !point && digits > 0 && i+1 < len(s):
			point = true
		default:
			return false
		}
	}
	return digits > 0
}
