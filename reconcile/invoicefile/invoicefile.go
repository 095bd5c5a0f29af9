// Package invoicefile reads a vendor invoice file in either format vendors send: CSV
// (docs/formats.md; read by reconcile.ReadInvoice) or an Excel workbook (.xlsx, read with
// excelize). It is the adapter that keeps the spreadsheet library out of package
// reconcile.
//
// A workbook is read from its first sheet: row 1 is the header naming the columns (the
// same columns as the CSV), every later row a line, blank rows skipped. Cell values are
// read raw (not as displayed): a number formatted "#,##0.00" still reads 1234.5; a
// number stored with binary noise (1234.4999999999998) is read to Excel's 15 significant
// digits; a period typed as a date (Excel turns 2026-11 into a date) reads as that month.
// Merged cells, an empty first sheet and the old .xls format are errors. Errors name the
// file, the row (as the line) and the column, as for CSV.
package invoicefile

import (
	"archive/zip"
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
	"cloudbill/reconcile"
)

// Read reads the invoice at path, CSV or .xlsx (told by content, not by name).
func Read(path string, want reconcile.Expect) (reconcile.Invoice, error) {
	f, err := os.Open(path)
	if err != nil {
		return reconcile.Invoice{}, fmt.Errorf("invoice: %w", err)
	}
	defer f.Close()
	return ReadFrom(path, f, want)
}

var (
	zipMagic = []byte("PK\x03\x04")
	oleMagic = []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
)

// ReadFrom reads an invoice from r, named name in errors: an .xlsx workbook when r
// starts like one, CSV otherwise.
func ReadFrom(name string, r io.Reader, want reconcile.Expect) (reconcile.Invoice, error) {
	br := bufio.NewReader(r)
	head, _ := br.Peek(8)
	switch {
	case bytes.HasPrefix(head, zipMagic):
		return ReadXLSX(name, br, want)
	case bytes.HasPrefix(head, oleMagic):
		return reconcile.Invoice{}, csvin.Errors{csvin.Errorf(name, 0, "", "is an old Excel .xls workbook: save it as .xlsx or CSV")}
	}
	return reconcile.ReadInvoice(name, br, want)
}

// Bounds of a workbook (docs/security.md): a vendor's file is read only when it stays
// within them, checked before reading (the zip's sizes, which archive/zip holds each entry
// to while it is read) and while reading (each piece of sheet XML, each row, each cell);
// beyond them the invoice is refused with the bound named, never truncated.
const (
	// MaxXLSXBytes bounds the workbook file.
	MaxXLSXBytes = 64 << 20
	// MaxUnzippedBytes bounds the sum of the workbook's parts once decompressed.
	MaxUnzippedBytes = 256 << 20
	// MaxXMLRun bounds one piece of text or one tag in the sheet's XML (a cell holds at
	// most 32,767 characters in Excel: 128 KiB of UTF-8).
	MaxXMLRun = 1 << 20
	// MaxRows is Excel's row limit: an invoice with more rows cannot come from Excel.
	MaxRows = 1_048_576
	// MaxCellChars is Excel's limit of characters in a cell.
	MaxCellChars = 32_767
	// MaxColumns bounds the header row (an invoice has a handful of columns, x_* notes
	// included); a later row may hold values only under the header's columns.
	MaxColumns = 256
	// MaxTextBytes bounds the invoice's text once read from the sheet (the CSV the lines
	// are read from): checked while reading, row by row.
	MaxTextBytes = 64 << 20
)

// ReadXLSX reads the first sheet of an .xlsx workbook as an invoice, within the bounds
// above: the sheet is streamed row by row.
func ReadXLSX(name string, r io.Reader, want reconcile.Expect) (reconcile.Invoice, error) {
	bad := func(row int, col, format string, args ...any) (reconcile.Invoice, error) {
		return reconcile.Invoice{}, csvin.Errors{csvin.Errorf(name, row, col, format, args...)}
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxXLSXBytes+1))
	if err != nil {
		return reconcile.Invoice{}, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxXLSXBytes {
		return bad(0, "", "the workbook is larger than %d MiB: refused (send CSV, or split the invoice)", MaxXLSXBytes>>20)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return bad(0, "", "is not a readable .xlsx workbook: %v", err)
	}
	merges, err := checkParts(zr)
	if err != nil {
		return bad(0, "", "refused: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnzippedBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return bad(0, "", "is not a readable .xlsx workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return bad(0, "", "the workbook has no sheet")
	}
	sheet := sheets[0]
	var merged []excelize.MergeCell
	if merges { // GetMergeCells parses the whole sheet: only when there may be some
		if merged, err = f.GetMergeCells(sheet, true); err != nil {
			return bad(0, "", "sheet %q: %v", sheet, err)
		}
	}
	var errs csvin.Errors
	for _, m := range merged {
		_, row, err := excelize.CellNameToCoordinates(m.GetStartAxis())
		if err != nil {
			continue
		}
		rng := m.GetStartAxis() + ":" + m.GetEndAxis()
		if row == 1 {
			errs = append(errs, csvin.Errorf(name, 1, "", "header cells %s are merged: unmerge them so that every column has its own header cell", rng))
		} else {
			errs = append(errs, csvin.Errorf(name, row, "", "cells %s are merged: unmerge them so that every line has its own values", rng))
		}
	}
	if len(errs) > 0 {
		return reconcile.Invoice{}, errs
	}

	rows, err := f.Rows(sheet)
	if err != nil {
		return bad(0, "", "sheet %q: %v", sheet, err)
	}
	defer rows.Close()
	var (
		names []string
		buf   bytes.Buffer
		n     int // rows read, blank ones included: the line number of the row
		last  int // the last row that was not blank
	)
	w := csvout.NewWriter(&buf)
	w.UseCRLF = false
	for rows.Next() {
		n++
		if n > MaxRows {
			return bad(MaxRows+1, "", "the sheet has more than %d rows (Excel's limit): refused, not truncated", MaxRows)
		}
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				return bad(MaxRows+1, "", "the sheet has more than %d rows (Excel's limit): refused, not truncated", MaxRows)
			}
			return bad(n, "", "sheet %q: %v", sheet, err)
		}
		for j, v := range row {
			if len(v) > MaxCellChars && utf8.RuneCountInString(v) > MaxCellChars {
				col := ""
				if j < len(names) {
					col = names[j]
				}
				return bad(n, col, "a cell of more than %d characters (Excel's limit): refused", MaxCellChars)
			}
		}
		if n == 1 {
			if len(row) == 0 {
				break
			}
			if len(row) > MaxColumns {
				return bad(1, "", "the header row has a cell in column %s, beyond the %d columns an invoice may have: refused", columnName(len(row)), MaxColumns)
			}
			for _, h := range row {
				names = append(names, strings.ToLower(strings.TrimSpace(h)))
			}
		}
		if len(row) == 0 {
			buf.WriteString("\n") // keeps the row number as the line number
			continue
		}
		if n > 1 && len(row) > len(names) {
			// a value under no header: refused at the first such row, so that cells far
			// to the right (one in column XFD makes 16,384 fields) are never carried on
			for j := len(names); j < len(row); j++ {
				if strings.TrimSpace(row[j]) != "" {
					return bad(n, "", "a value in column %s, beyond the header's last column %s: every value needs a column named in row 1; refused", columnName(j+1), columnName(len(names)))
				}
			}
			row = row[:len(names)]
		}
		rec := make([]string, 0, max(len(row), len(names)))
		for j, v := range row {
			if n > 1 && j < len(names) {
				v = cellValue(v, names[j])
			}
			rec = append(rec, v)
		}
		for n > 1 && len(rec) < len(names) {
			rec = append(rec, "")
		}
		if allBlank(rec) {
			buf.WriteString("\n")
			continue
		}
		if err := w.Write(rec); err != nil {
			return bad(n, "", "%v", err)
		}
		w.Flush()
		last = n
		if buf.Len() > MaxTextBytes {
			return bad(n, "", "the sheet holds more than %d MiB of text: refused (send the invoice as CSV, or split it)", MaxTextBytes>>20)
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return bad(MaxRows+1, "", "the sheet has more than %d rows (Excel's limit): refused, not truncated", MaxRows)
		}
		return bad(n, "", "sheet %q: %v", sheet, err)
	}
	if len(names) == 0 || last == 0 {
		return bad(0, "", "the first sheet %q is empty: row 1 must name the columns (%s)", sheet, strings.Join(reconcile.InvoiceSpec().Required, ", "))
	}
	w.Flush()
	inv, err := reconcile.ReadInvoice(name, &buf, want)
	inv.Encoding = "XLSX"
	return inv, err
}

// checkParts checks the workbook's parts against the bounds before excelize reads them:
// their decompressed sizes (as the zip declares them; archive/zip refuses an entry that
// holds more), and in the worksheets and shared strings, streamed, no piece of text or
// tag longer than MaxXMLRun. It reports whether a worksheet may hold merged cells.
func checkParts(zr *zip.Reader) (merges bool, err error) {
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if total > MaxUnzippedBytes {
			return false, fmt.Errorf("its parts decompress to more than %d MiB (bound of a workbook)", MaxUnzippedBytes>>20)
		}
	}
	for _, zf := range zr.File {
		sheet := strings.HasPrefix(zf.Name, "xl/worksheets/")
		if !sheet && zf.Name != "xl/sharedStrings.xml" {
			continue
		}
		m, err := scanXML(zf)
		if err != nil {
			return false, fmt.Errorf("%s: %v", zf.Name, err)
		}
		merges = merges || (sheet && m)
	}
	return merges, nil
}

// scanXML streams one part: it fails on a run of more than MaxXMLRun bytes without '<'
// or '>', and reports whether the part mentions mergeCell.
func scanXML(zf *zip.File) (merges bool, err error) {
	rc, err := zf.Open()
	if err != nil {
		return false, err
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	var tail []byte
	run, off := 0, int64(0)
	for {
		n, rerr := rc.Read(buf)
		chunk := buf[:n]
		for _, c := range chunk {
			if c == '<' || c == '>' {
				run = 0
				continue
			}
			run++
			if run > MaxXMLRun {
				return false, fmt.Errorf("more than %d KiB of text without markup near byte %d (bound: a cell holds at most %d characters)", MaxXMLRun>>10, off, MaxCellChars)
			}
		}
		if !merges {
			look := append(tail, chunk...)
			merges = bytes.Contains(look, []byte("mergeCell"))
			tail = append(tail[:0], look[max(0, len(look)-16):]...)
		}
		off += int64(n)
		if rerr == io.EOF {
			return merges, nil
		}
		if rerr != nil {
			return false, rerr
		}
	}
}

// columnName is the letter name of column n (1-based): 1 → A, 16384 → XFD.
func columnName(n int) string {
	name, err := excelize.ColumnNumberToName(n)
	if err != nil {
		return strconv.Itoa(n)
	}
	return name
}

func allBlank(rec []string) bool {
	for _, v := range rec {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

var rawNumber = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

// cellValue turns a raw cell value of column col into the text the CSV rules read: a
// date serial in the period column becomes YYYY-MM; in the number columns (amount,
// quantity, days) a number in exponent form or with binary noise is read to 15
// significant digits, as Excel shows it. Other columns (ids) are left as stored.
func cellValue(v string, col string) string {
	s := strings.TrimSpace(v)
	if !rawNumber.MatchString(s) {
		return v
	}
	switch col {
	case "amount", "quantity", "days":
	case "period":
		if f, err := strconv.ParseFloat(s, 64); err == nil && f > 1 && f < 2958466 && !strings.ContainsAny(s, "-") {
			if t, err := excelize.ExcelDateToTime(f, false); err == nil {
				return fmt.Sprintf("%04d-%02d", t.Year(), int(t.Month()))
			}
		}
		return v
	default:
		return v
	}
	if strings.ContainsAny(s, "eE") || significant(s) > 15 {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return v
		}
		d, err := decimal.NewFromString(strconv.FormatFloat(f, 'g', 15, 64))
		if err != nil {
			return v
		}
		return d.String()
	}
	return v
}

// significant counts the significant digits of a plain decimal string.
func significant(s string) int {
	s = strings.TrimLeft(strings.TrimPrefix(s, "-"), "0.")
	return len(strings.ReplaceAll(s, ".", ""))
}
