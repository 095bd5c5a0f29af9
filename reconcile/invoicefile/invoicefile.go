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
		return reconcile.Invoice{}, csvin.Errors{csvin.Coded(name, 0, "", csvin.CodeXLS)}
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
	bad := func(row int, col string, code csvin.Code, kv ...string) (reconcile.Invoice, error) {
		return reconcile.Invoice{}, csvin.Errors{csvin.Coded(name, row, col, code, kv...)}
	}
	itoa := strconv.Itoa
	data, err := io.ReadAll(io.LimitReader(r, MaxXLSXBytes+1))
	if err != nil {
		return reconcile.Invoice{}, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > MaxXLSXBytes {
		return bad(0, "", csvin.CodeXLSXTooLarge, "mib", itoa(MaxXLSXBytes>>20))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return bad(0, "", csvin.CodeXLSXBad, "detail", err.Error())
	}
	merges, perr := checkParts(zr)
	if perr != nil {
		perr.File = name
		return reconcile.Invoice{}, csvin.Errors{perr}
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: MaxUnzippedBytes, UnzipXMLSizeLimit: 16 << 20})
	if err != nil {
		return bad(0, "", csvin.CodeXLSXBad, "detail", err.Error())
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return bad(0, "", csvin.CodeXLSXNoSheet)
	}
	sheet := sheets[0]
	var merged []excelize.MergeCell
	if merges { // GetMergeCells parses the whole sheet: only when there may be some
		if merged, err = f.GetMergeCells(sheet, true); err != nil {
			return bad(0, "", csvin.CodeXLSXSheet, "sheet", sheet, "detail", err.Error())
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
			errs = append(errs, csvin.Coded(name, 1, "", csvin.CodeMergedHeader, "range", rng))
		} else {
			errs = append(errs, csvin.Coded(name, row, "", csvin.CodeMerged, "range", rng))
		}
	}
	if len(errs) > 0 {
		return reconcile.Invoice{}, errs
	}

	rows, err := f.Rows(sheet)
	if err != nil {
		return bad(0, "", csvin.CodeXLSXSheet, "sheet", sheet, "detail", err.Error())
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
			return bad(MaxRows+1, "", csvin.CodeXLSXRows, "max", itoa(MaxRows))
		}
		row, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			if errors.Is(err, excelize.ErrMaxRows) {
				return bad(MaxRows+1, "", csvin.CodeXLSXRows, "max", itoa(MaxRows))
			}
			return bad(n, "", csvin.CodeXLSXSheet, "sheet", sheet, "detail", err.Error())
		}
		for j, v := range row {
			if len(v) > MaxCellChars && utf8.RuneCountInString(v) > MaxCellChars {
				col := ""
				if j < len(names) {
					col = names[j]
				}
				return bad(n, col, csvin.CodeXLSXCell, "max", itoa(MaxCellChars))
			}
		}
		if n == 1 {
			if len(row) == 0 {
				break
			}
			if len(row) > MaxColumns {
				return bad(1, "", csvin.CodeXLSXColumns, "column", columnName(len(row)), "max", itoa(MaxColumns))
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
					return bad(n, "", csvin.CodeXLSXBeyond, "column", columnName(j+1), "last", columnName(len(names)))
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
			return reconcile.Invoice{}, csvin.Errors{csvin.Coded(name, n, "", csvin.CodeReadFailed, "detail", err.Error())}
		}
		w.Flush()
		last = n
		if buf.Len() > MaxTextBytes {
			return bad(n, "", csvin.CodeXLSXText, "mib", itoa(MaxTextBytes>>20))
		}
	}
	if err := rows.Error(); err != nil {
		if errors.Is(err, excelize.ErrMaxRows) {
			return bad(MaxRows+1, "", csvin.CodeXLSXRows, "max", itoa(MaxRows))
		}
		return bad(n, "", csvin.CodeXLSXSheet, "sheet", sheet, "detail", err.Error())
	}
	if len(names) == 0 || last == 0 {
		return bad(0, "", csvin.CodeXLSXEmpty, "sheet", sheet, "required", strings.Join(reconcile.InvoiceSpec().Required, ", "))
	}
	w.Flush()
	inv, err := reconcile.ReadInvoice(name, &buf, want)
	inv.Encoding = "XLSX"
	return inv, err
}

// checkParts checks the workbook's parts against the bounds before excelize reads them:
// their decompressed sizes (as the zip declares them; archive/zip refuses an entry that
// holds more), and in the worksheets and shared strings, streamed, no piece of text or
// tag longer than MaxXMLRun. It reports whether a worksheet may hold merged cells; a
// refusal is an *csvin.Error without its file.
func checkParts(zr *zip.Reader) (merges bool, err *csvin.Error) {
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if total > MaxUnzippedBytes {
			return false, csvin.Coded("", 0, "", csvin.CodeXLSXUnzipped, "mib", strconv.Itoa(MaxUnzippedBytes>>20))
		}
	}
	for _, zf := range zr.File {
		sheet := strings.HasPrefix(zf.Name, "xl/worksheets/")
		if !sheet && zf.Name != "xl/sharedStrings.xml" {
			continue
		}
		m, off, err := scanXML(zf)
		switch {
		case errors.Is(err, errXMLRun):
			return false, csvin.Coded("", 0, "", csvin.CodeXLSXRun, "part", zf.Name, "kib", strconv.Itoa(MaxXMLRun>>10),
				"offset", strconv.FormatInt(off, 10), "chars", strconv.Itoa(MaxCellChars))
		case err != nil:
			return false, csvin.Coded("", 0, "", csvin.CodeXLSXPart, "part", zf.Name, "detail", err.Error())
		}
		merges = merges || (sheet && m)
	}
	return merges, nil
}

// errXMLRun is a run of more than MaxXMLRun bytes without markup.
var errXMLRun = errors.New("text without markup past the bound")

// scanXML streams one part: it fails with errXMLRun on a run of more than MaxXMLRun
// bytes without '<' or '>' (off: near which byte), and reports whether the part
// mentions mergeCell.
func scanXML(zf *zip.File) (merges bool, off int64, err error) {
	rc, err := zf.Open()
	if err != nil {
		return false, 0, err
	}
	defer rc.Close()
	buf := make([]byte, 64<<10)
	var tail []byte
	run := 0
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
				return false, off, errXMLRun
			}
		}
		if !merges {
			look := append(tail, chunk...)
			merges = bytes.Contains(look, []byte("mergeCell"))
			tail = append(tail[:0], look[max(0, len(look)-16):]...)
		}
		off += int64(n)
		if rerr == io.EOF {
			return merges, off, nil
		}
		if rerr != nil {
			return false, off, rerr
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
