package catalog

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
)

// File is one input file: the name used in error messages and provenance, and its bytes.
type File struct {
	Name string
	R    io.Reader
	// Encoding of the file: csvin.Auto (the default) decides from the text.
	Encoding csvin.Encoding
}

// Import records one accepted input file (a row of the imports table).
type Import struct {
	ID     string
	Kind   string // "catalog", "adaptations", "org", "orders", "acceptance"
	File   string // for org imports: the files, comma separated
	SHA256 string
	Rows   int // facts stored by this import
	At     time.Time
	// Note says more about the import as data, a code and its values (package coded:
	// NoteEffective, NoteOrg, NoteLate); glossary.JobDetail says it in Chinese. A note
	// stored before notes were data prints as stored.
	Note string
}

// The codes of an import's Note.
const (
	// NoteEffective: a catalog version's import. Values: date (effective), replaces=1
	// (it replaces the version of the same date).
	NoteEffective = "effective"
	// NoteOrg: an organisation import. Values: departments, projects, vendors (counts).
	NoteOrg = "org"
	// NoteLate: work-order events that arrived late. Values: events.
	NoteLate = "late"
)

// Seq orders imports: the later import has the larger Seq (nanoseconds of At).
func (im Import) Seq() uint64 { return uint64(im.At.UnixNano()) }

// newImport names an import of kind made at now from files with the given digest.
func newImport(kind, file, sum string, now time.Time) Import {
	short := sum
	if len(short) > 8 {
		short = short[:8]
	}
	return Import{
		ID:     fmt.Sprintf("%s-%s-%s", kind, now.UTC().Format("20060102T150405.000000000"), short),
		Kind:   kind,
		File:   file,
		SHA256: sum,
		At:     now.UTC(),
	}
}

// Report says what an import did. A refused file returns csvin.Errors and no Report.
type Report struct {
	Import Import
	// Read is the number of data rows read.
	Read int
	// Accepted facts were stored by this import; Present ones were already stored
	// (identical) and skipped; Replaced counts accepted facts that supersede a stored
	// one with the same key (org entries, adaptations, acceptance records, a catalog
	// version of the same effective date).
	Accepted, Present, Replaced int
	// Late counts accepted events dated in a month already closed.
	Late int
}

// Stored reports whether the import stored anything (an import that stores nothing is not
// recorded: importing the same file twice changes nothing).
func (r Report) Stored() bool { return r.Accepted > 0 }

// rowReader walks the rows of one file, collecting every error.
type rowReader struct {
	file string
	// key names a row's record in its errors as noun and value pairs ("order", "O-1";
	// csvin.Error.SetKey); nil when the key is missing.
	key  func(row csvin.Row) []string
	errs csvin.Errors
	sum  hash.Hash
	rows int
}

// read opens f with spec and calls each for every row; every error (header, malformed
// lines, and those each appends) is collected in rr.errs.
func (rr *rowReader) read(f File, spec csvin.Spec, each func(row csvin.Row)) {
	rr.file = f.Name
	rr.sum = sha256.New()
	r, err := csvin.OpenEncoding(f.Name, io.TeeReader(f.R, rr.sum), spec, f.Encoding)
	if err != nil {
		rr.add(err)
		return
	}
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			rr.add(err)
			continue
		}
		rr.rows++
		each(row)
	}
	_, _ = io.Copy(io.Discard, io.TeeReader(f.R, rr.sum))
}

func (rr *rowReader) digest() string { return hex.EncodeToString(rr.sum.Sum(nil)) }

// add collects err: an *csvin.Error, csvin.Errors, or another error (reported against the file).
func (rr *rowReader) add(err error) {
	var one *csvin.Error
	var many csvin.Errors
	switch {
	case err == nil:
	case errors.As(err, &many):
		rr.errs = append(rr.errs, many...)
	case errors.As(err, &one):
		rr.errs = append(rr.errs, one)
	default:
		rr.errs = append(rr.errs, csvin.Coded(rr.file, 0, "", csvin.CodeReadFailed, "detail", err.Error()))
	}
}

// coded collects the error code (with its values, key and value pairs) at row and
// column col, naming the row's record.
func (rr *rowReader) coded(row csvin.Row, col string, code csvin.Code, kv ...string) {
	rr.keyed(row, row.Coded(col, code, kv...))
}

// keyed collects e, naming row's record.
func (rr *rowReader) keyed(row csvin.Row, e *csvin.Error) {
	if rr.key != nil {
		e.SetKey(rr.key(row)...)
	}
	rr.errs = append(rr.errs, e)
}

// keyOf names a record by one key column ("order", "O-1"), nil when the column is empty.
func keyOf(noun, col string) func(row csvin.Row) []string {
	return func(row csvin.Row) []string {
		if v := row.Get(col); v != "" {
			return []string{noun, v}
		}
		return nil
	}
}

// at is the values of the place s for an error's {at} (csvin.At).
func (rr *rowReader) at(s Source) []string { return csvin.At(rr.file, s.File, s.Line) }

// required is the value of a column that must not be empty.
func (rr *rowReader) required(row csvin.Row, col string) (string, bool) {
	v := row.Get(col)
	if v == "" {
		rr.coded(row, col, csvin.CodeEmpty)
		return "", false
	}
	return v, true
}

var plainDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// maxScale is the number of decimal places stored for prices and quantities.
const maxScale = 6

// Bounds of prices and quantities at import (docs/security.md): beyond them a figure is a
// typing error or an attack, and price × quantity × days would leave the range rating
// and ClickHouse's Decimal(38, …) columns compute in.
var (
	// maxPrice is the largest monthly unit price of a catalog item, in CNY.
	maxPrice = decimal.New(1, 8) // 100,000,000
	// maxQuantity is the largest quantity of a work order.
	maxQuantity = decimal.New(1, 8) // 100,000,000
)

// atMost checks v ≤ max for column col, naming the bound (code: price or quantity).
func (rr *rowReader) atMost(row csvin.Row, col string, v, max decimal.Decimal, code csvin.Code) bool {
	if v.GreaterThan(max) {
		rr.coded(row, col, code, "value", v.String(), "max", max.String())
		return false
	}
	return true
}

// decimalValue reads a non-negative plain decimal (1234.5; never 1,234.5, 1e3 or −1).
func (rr *rowReader) decimalValue(row csvin.Row, col, v string) (decimal.Decimal, bool) {
	if !plainDecimal.MatchString(v) {
		code := csvin.CodeDecimalBad
		if strings.Contains(v, ",") {
			code = csvin.CodeDecimalSep
		}
		rr.coded(row, col, code, "value", v)
		return decimal.Decimal{}, false
	}
	if _, frac, ok := strings.Cut(v, "."); ok && len(frac) > maxScale {
		rr.coded(row, col, csvin.CodeDecimalScale, "value", v, "max", strconv.Itoa(maxScale))
		return decimal.Decimal{}, false
	}
	return decimal.RequireFromString(v), true
}

func (rr *rowReader) date(row csvin.Row, col, v string) (calendar.Date, bool) {
	d, err := calendar.ParseDate(v)
	if err != nil {
		rr.coded(row, col, csvin.CodeDateBad, "value", v)
		return calendar.Date{}, false
	}
	if d.Year < 1971 || d.Year > 2105 {
		rr.coded(row, col, csvin.CodeDateRange, "value", v)
		return calendar.Date{}, false
	}
	return d, true
}

// oneOf checks v against the allowed values.
func (rr *rowReader) oneOf(row csvin.Row, col, v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	rr.coded(row, col, csvin.CodeOneOf, "value", v, "allowed", strings.Join(allowed, ", "))
	return false
}

// id reads a required identifier in the safe alphabet (package safeid, docs/security.md):
// an id becomes a file name, a spreadsheet cell and a URL path element, so "Q/1",
// "x/../y" and "=cmd|…" are refused here, with the rule named.
func (rr *rowReader) id(row csvin.Row, col string) (string, bool) {
	v, ok := rr.required(row, col)
	if !ok {
		return "", false
	}
	if e := row.IDError(col, v); e != nil {
		rr.keyed(row, e)
		return "", false
	}
	return v, true
}

func (rr *rowReader) source(row csvin.Row) Source { return Source{File: rr.file, Line: row.Line} }

func setImport(s *Source, id string) { s.ImportID = id }

// commit ends the import of one file of rows of kind: it refuses the file when any row was
// in error (nothing stored), records nothing when no row is new (importing the same file
// again changes nothing), and otherwise stamps the new rows with a fresh import and stores
// them with insert.
func commit[T any](rr *rowReader, rep Report, kind, file string, now time.Time, rows []T,
	source func(*T) *Source, insert func(Import, []T) error) (Report, error) {
	rep.Read = rr.rows
	if len(rr.errs) > 0 {
		return Report{}, rr.errs
	}
	if len(rows) == 0 {
		return rep, nil
	}
	imp := newImport(kind, file, rr.digest(), now)
	imp.Rows = len(rows)
	for i := range rows {
		setImport(source(&rows[i]), imp.ID)
	}
	if err := insert(imp, rows); err != nil {
		return Report{}, fmt.Errorf("store %s: %w", kind, err)
	}
	rep.Import = imp
	rep.Accepted = len(rows)
	return rep, nil
}
