package csvin

import (
	"sort"
	"strconv"
	"strings"
)

// Code names what is wrong in an input error, as data: an *Error with a Code carries the
// code's values in Params, and its Msg is the code's English text with them (the text of
// logs, JSON answers and Error()). Package glossary says each code in Chinese for the
// portal and the command line (glossary.InputError). An error without a Code (an
// importer's own message) prints its Msg as written.
type Code string

// The codes of cloudbill's input errors and their English texts: {name} is a value of
// Params as it is, {name:q} the value quoted as Go quotes it (%q).
const (
	// the file and its header (every CSV importer)
	CodeFileEmpty       Code = "file.empty"
	CodeHeaderEmptyName Code = "header.empty_name" // n
	CodeHeaderTwice     Code = "header.twice"
	CodeHeaderUnknown   Code = "header.unknown" // expected
	CodeHeaderMissing   Code = "header.missing"
	CodeFieldCount      Code = "fields.count"    // got, want
	CodeBareQuote       Code = "csv.bare_quote"  // a quote inside a field not quoted
	CodeQuote           Code = "csv.quote"       // a quoted field not closed right
	CodeMalformed       Code = "csv.malformed"   // detail (encoding/csv's words)
	CodeRecordTooLong   Code = "record.too_long" // kib
	CodeReadFailed      Code = "read.failed"     // detail
	// the encoding (byte: 1-based position in the line, hex: its value; decided: the line
	// that decided the encoding)
	CodeGBByChance     Code = "encoding.gb_by_chance"  // byte, hex
	CodeDamagedUTF8    Code = "encoding.damaged_utf8"  // byte, hex
	CodeNeitherText    Code = "encoding.neither"       // byte, hex
	CodeNotUTF8        Code = "encoding.not_utf8"      // byte, hex, decided
	CodeNotUTF8Flag    Code = "encoding.not_utf8_flag" // byte, hex
	CodeUTF8Line       Code = "encoding.utf8_line"     // decided
	CodeNotGB18030     Code = "encoding.not_gb18030"   // byte, hex, decided
	CodeNotGB18030Flag Code = "encoding.not_gb18030_flag"
	CodeGB18030        Code = "encoding.gb18030" // detail
	// a vendor invoice's values (reconcile.ReadInvoice)
	CodeVendorEmpty  Code = "invoice.vendor_empty"
	CodeVendorOther  Code = "invoice.vendor_other" // vendor, want
	CodePeriodEmpty  Code = "invoice.period_empty"
	CodePeriodBad    Code = "invoice.period_bad"   // value
	CodePeriodOther  Code = "invoice.period_other" // period, want
	CodeOrderEmpty   Code = "invoice.order_empty"
	CodeItemEmpty    Code = "invoice.item_empty"
	CodeAmountEmpty  Code = "amount.empty"
	CodeAmountNeg    Code = "amount.negative" // value
	CodeAmountFen    Code = "amount.decimals" // value
	CodeSeparator    Code = "number.separator"
	CodeCurrency     Code = "number.currency" // value
	CodeNotDecimal   Code = "number.bad"      // value
	CodeNegative     Code = "number.negative" // value
	CodeDaysNotWhole Code = "days.bad"        // value
	CodeDaysRange    Code = "days.range"      // value, max, period
	// a vendor invoice workbook (reconcile/invoicefile)
	CodeXLS          Code = "xlsx.old"
	CodeXLSXTooLarge Code = "xlsx.too_large"  // mib
	CodeXLSXBad      Code = "xlsx.unreadable" // detail
	CodeXLSXUnzipped Code = "xlsx.unzipped"   // mib
	CodeXLSXRun      Code = "xlsx.xml_run"    // part, kib, offset, chars
	CodeXLSXPart     Code = "xlsx.part"       // part, detail
	CodeXLSXNoSheet  Code = "xlsx.no_sheet"
	CodeXLSXSheet    Code = "xlsx.sheet"         // sheet, detail
	CodeMergedHeader Code = "xlsx.merged_header" // range
	CodeMerged       Code = "xlsx.merged"        // range
	CodeXLSXRows     Code = "xlsx.rows"          // max
	CodeXLSXCell     Code = "xlsx.cell"          // max
	CodeXLSXColumns  Code = "xlsx.columns"       // column, max
	CodeXLSXBeyond   Code = "xlsx.beyond"        // column, last
	CodeXLSXText     Code = "xlsx.text"          // mib
	CodeXLSXEmpty    Code = "xlsx.empty"         // sheet, required
)

const (
	encodingWholeFile = "; a file must be UTF-8 or GB18030 as a whole (--encoding utf-8|gb18030 says which)"
	oneEncoding       = "; a file must be one encoding as a whole"
	plainDecimal      = ": write a plain decimal such as 1234.5"
)

var english = map[Code]string{
	CodeFileEmpty:       "file is empty: a header row naming the columns is required",
	CodeHeaderEmptyName: "column {n} has an empty name",
	CodeHeaderTwice:     "column appears twice in the header",
	CodeHeaderUnknown:   "unknown column (expected {expected}; extra columns must start with x_)",
	CodeHeaderMissing:   "required column is missing from the header",
	CodeFieldCount:      "has {got} fields, the header has {want}",
	CodeBareQuote:       `malformed CSV: bare " in non-quoted-field`,
	CodeQuote:           `malformed CSV: extraneous or missing " in quoted-field`,
	CodeMalformed:       "malformed CSV: {detail}",
	CodeRecordTooLong:   "a record of more than {kib} KiB (a quoted field not closed?): refused, nothing after it read",
	CodeReadFailed:      "{detail}",

	CodeGBByChance:     "byte {byte} (0x{hex}): is valid GB18030 only by chance: read so, most of the text's characters would not be Chinese (outside GB2312's common ones), as with Latin-1 text such as Müller or café; undecidable" + encodingWholeFile,
	CodeDamagedUTF8:    "byte {byte} (0x{hex}): is not valid UTF-8 in text that is otherwise UTF-8: a damaged file, not GB18030" + encodingWholeFile,
	CodeNeitherText:    "byte {byte} (0x{hex}): is neither UTF-8 nor GB18030 text" + encodingWholeFile,
	CodeNotUTF8:        "byte {byte} (0x{hex}) is not valid UTF-8, and the file is UTF-8 (as its text up to line {decided} shows)" + oneEncoding,
	CodeNotUTF8Flag:    "byte {byte} (0x{hex}) is not valid UTF-8, and the file is UTF-8 (as --encoding says)" + oneEncoding,
	CodeUTF8Line:       "the line is UTF-8 text, and the file is GB18030 (as its text up to line {decided} shows)" + oneEncoding,
	CodeNotGB18030:     "byte {byte} (0x{hex}) is not valid GB18030, and the file is GB18030 (as its text up to line {decided} shows)" + oneEncoding,
	CodeNotGB18030Flag: "byte {byte} (0x{hex}) is not valid GB18030, and the file is GB18030 (as --encoding says)" + oneEncoding,
	CodeGB18030:        "not valid GB18030: {detail}",

	CodeVendorEmpty:  "is empty: every line names the vendor",
	CodeVendorOther:  "vendor {vendor:q} is not the vendor being reconciled ({want:q}): an invoice holds one vendor's claims",
	CodePeriodEmpty:  "is empty: every line names the month (YYYY-MM)",
	CodePeriodBad:    "{value:q} is not a month YYYY-MM",
	CodePeriodOther:  "month {period} is not the month being reconciled ({want})",
	CodeOrderEmpty:   "is empty: every claim names its work order",
	CodeItemEmpty:    "is empty: every claim names its catalog item",
	CodeAmountEmpty:  "is empty: every claim has an amount (write 0 for none)",
	CodeAmountNeg:    "{value} is negative: an invoice claims amounts of 0 or more",
	CodeAmountFen:    "{value} has more than two decimals: amounts are in fen (0.01)",
	CodeSeparator:    "{value:q} has a thousands separator or decimal comma" + plainDecimal,
	CodeCurrency:     "{value:q} carries a currency sign or unit" + plainDecimal,
	CodeNotDecimal:   "{value:q} is not a decimal number",
	CodeNegative:     "{value} is negative",
	CodeDaysNotWhole: "{value:q} is not a whole number of days",
	CodeDaysRange:    "{value} is outside 1…{max} (the days of {period})",

	CodeXLS:          "is an old Excel .xls workbook: save it as .xlsx or CSV",
	CodeXLSXTooLarge: "the workbook is larger than {mib} MiB: refused (send CSV, or split the invoice)",
	CodeXLSXBad:      "is not a readable .xlsx workbook: {detail}",
	CodeXLSXUnzipped: "refused: its parts decompress to more than {mib} MiB (bound of a workbook)",
	CodeXLSXRun:      "refused: {part}: more than {kib} KiB of text without markup near byte {offset} (bound: a cell holds at most {chars} characters)",
	CodeXLSXPart:     "refused: {part}: {detail}",
	CodeXLSXNoSheet:  "the workbook has no sheet",
	CodeXLSXSheet:    "sheet {sheet:q}: {detail}",
	CodeMergedHeader: "header cells {range} are merged: unmerge them so that every column has its own header cell",
	CodeMerged:       "cells {range} are merged: unmerge them so that every line has its own values",
	CodeXLSXRows:     "the sheet has more than {max} rows (Excel's limit): refused, not truncated",
	CodeXLSXCell:     "a cell of more than {max} characters (Excel's limit): refused",
	CodeXLSXColumns:  "the header row has a cell in column {column}, beyond the {max} columns an invoice may have: refused",
	CodeXLSXBeyond:   "a value in column {column}, beyond the header's last column {last}: every value needs a column named in row 1; refused",
	CodeXLSXText:     "the sheet holds more than {mib} MiB of text: refused (send the invoice as CSV, or split it)",
	CodeXLSXEmpty:    "the first sheet {sheet:q} is empty: row 1 must name the columns ({required})",
}

// Codes is every code, sorted.
func Codes() []Code {
	cs := make([]Code, 0, len(english)+len(importEnglish))
	for c := range english {
		cs = append(cs, c)
	}
	for c := range importEnglish {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	return cs
}

// English is code's English text, with {name} where a value goes ("" for an unknown
// code).
func English(c Code) string {
	if t, ok := english[c]; ok {
		return t
	}
	return importEnglish[c]
}

// Expand writes text with each {name} replaced by params' value and each {name:q} by the
// value quoted (strconv.Quote); a name without a value is left empty.
func Expand(text string, params map[string]string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			b.WriteString(text)
			return b.String()
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			b.WriteString(text)
			return b.String()
		}
		b.WriteString(text[:i])
		name, quote := strings.CutSuffix(text[i+1:i+j], ":q")
		if quote {
			b.WriteString(strconv.Quote(params[name]))
		} else {
			b.WriteString(params[name])
		}
		text = text[i+j+1:]
	}
}

// Placeholders are the names text's {name} and {name:q} refer to, sorted, each once.
func Placeholders(text string) []string {
	seen := map[string]bool{}
	var names []string
	for {
		i := strings.IndexByte(text, '{')
		if i < 0 {
			break
		}
		j := strings.IndexByte(text[i:], '}')
		if j < 0 {
			break
		}
		name, _ := strings.CutSuffix(text[i+1:i+j], ":q")
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
		text = text[i+j+1:]
	}
	sort.Strings(names)
	return names
}

// Coded makes an *Error of code at file, line and column with its values (key, value
// pairs); its Msg is the code's English text. The values at_line and at_file (At) give
// the value at, a place in English ("line 7", "other.csv:7").
func Coded(file string, line int, column string, code Code, kv ...string) *Error {
	p := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	if _, ok := p["at_line"]; ok {
		p["at"] = englishPlace(p)
	}
	return &Error{File: file, Line: line, Column: column, Code: code, Params: p, Msg: Expand(English(code), p)}
}

// Coded makes an *Error of code at this row and column c.
func (row Row) Coded(c string, code Code, kv ...string) *Error {
	return Coded(row.r.file, row.Line, c, code, kv...)
}
