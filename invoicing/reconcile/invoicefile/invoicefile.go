// Package invoicefile reads a vendor invoice file in either format vendors send: CSV
// (FORMATS.md; read by reconcile.ReadInvoice) or an Excel workbook (.xlsx, read with
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
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
	"cloudbill/invoicing/reconcile"
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

// ReadXLSX reads the first sheet of an .xlsx workbook as an invoice.
func ReadXLSX(name string, r io.Reader, want reconcile.Expect) (reconcile.Invoice, error) {
	bad := func(row int, col, format string, args ...any) (reconcile.Invoice, error) {
		return reconcile.Invoice{}, csvin.Errors{csvin.Errorf(name, row, col, format, args...)}
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return reconcile.Invoice{}, fmt.Errorf("read %s: %w", name, err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return bad(0, "", "is not a readable .xlsx workbook: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return bad(0, "", "the workbook has no sheet")
	}
	sheet := sheets[0]
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return bad(0, "", "sheet %q: %v", sheet, err)
	}
	if len(rows) == 0 {
		return bad(0, "", "the first sheet %q is empty: row 1 must name the columns (%s)", sheet, strings.Join(reconcile.InvoiceSpec.Required, ", "))
	}
	var merged []excelize.MergeCell
	if mayMerge(data) { // GetMergeCells parses the whole sheet: only when there may be some
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

	header := rows[0]
	names := make([]string, len(header))
	for i, h := range header {
		names[i] = strings.ToLower(strings.TrimSpace(h))
	}
	var buf bytes.Buffer
	w := csvout.NewWriter(&buf)
	w.UseCRLF = false
	for i, row := range rows {
		if len(row) == 0 {
			buf.WriteString("\n") // keeps the row number as the line number
			continue
		}
		rec := make([]string, 0, max(len(row), len(header)))
		for j, v := range row {
			if i > 0 && j < len(names) {
				v = cellValue(v, names[j])
			}
			rec = append(rec, v)
		}
		for i > 0 && len(rec) < len(header) {
			rec = append(rec, "")
		}
		if allBlank(rec) {
			buf.WriteString("\n")
			continue
		}
		if err := w.Write(rec); err != nil {
			return bad(i+1, "", "%v", err)
		}
		w.Flush()
	}
	w.Flush()
	inv, err := reconcile.ReadInvoice(name, &buf, want)
	inv.Encoding = "XLSX"
	return inv, err
}

// mayMerge reports whether any worksheet of the workbook may hold merged cells: a cheap
// scan of the sheets' XML for a mergeCell element.
func mayMerge(xlsx []byte) bool {
	zr, err := zip.NewReader(bytes.NewReader(xlsx), int64(len(xlsx)))
	if err != nil {
		return true
	}
	for _, zf := range zr.File {
		if !strings.HasPrefix(zf.Name, "xl/worksheets/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return true
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || bytes.Contains(b, []byte("<mergeCell")) || bytes.Contains(b, []byte(":mergeCell")) {
			return true
		}
	}
	return false
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
