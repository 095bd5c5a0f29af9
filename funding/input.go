package funding

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/csvin"
)

// reader walks the rows of one input file, collecting every error (file, line, column
// and record), and hashes the bytes for the imports table.
type reader struct {
	file string
	// key names a row's record as noun and value pairs (csvin.Error.SetKey).
	key  func(row csvin.Row) []string
	errs csvin.Errors
	sum  hash.Hash
	rows int
}

func (r *reader) read(f catalog.File, spec csvin.Spec, each func(row csvin.Row)) {
	r.file = f.Name
	r.sum = sha256.New()
	cr, err := csvin.OpenEncoding(f.Name, io.TeeReader(f.R, r.sum), spec, f.Encoding)
	if err != nil {
		r.add(err)
		return
	}
	for {
		row, err := cr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			r.add(err)
			continue
		}
		r.rows++
		each(row)
	}
	_, _ = io.Copy(io.Discard, io.TeeReader(f.R, r.sum))
}

func (r *reader) add(err error) {
	switch e := err.(type) {
	case nil:
	case csvin.Errors:
		r.errs = append(r.errs, e...)
	case *csvin.Error:
		r.errs = append(r.errs, e)
	default:
		r.errs = append(r.errs, csvin.Coded(r.file, 0, "", csvin.CodeReadFailed, "detail", err.Error()))
	}
}

// coded collects the error code (with its values, key and value pairs) at row and
// column col, naming the row's record.
func (r *reader) coded(row csvin.Row, col string, code csvin.Code, kv ...string) {
	r.keyed(row, row.Coded(col, code, kv...))
}

// keyed collects e, naming row's record.
func (r *reader) keyed(row csvin.Row, e *csvin.Error) {
	if r.key != nil {
		e.SetKey(r.key(row)...)
	}
	r.errs = append(r.errs, e)
}

// at is the values of line of this file for an error's {at} (csvin.At).
func (r *reader) at(line int) []string { return csvin.At(r.file, "", line) }

func (r *reader) required(row csvin.Row, col string) (string, bool) {
	v := row.Get(col)
	if v == "" {
		r.coded(row, col, csvin.CodeEmpty)
		return "", false
	}
	return v, true
}

func (r *reader) id(row csvin.Row, col string) (string, bool) {
	v, ok := r.required(row, col)
	if !ok {
		return "", false
	}
	if e := row.IDError(col, v); e != nil {
		r.keyed(row, e)
		return "", false
	}
	return v, true
}

var amountPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]{1,2})?$`)

// maxAmount bounds an amount at import: beyond it a figure is a typing error.
var maxAmount = decimal.New(1, 12) // 1,000,000,000,000 CNY

// amount reads a decimal amount in CNY with at most two decimals (to the fen); negative
// only when allowNegative.
func (r *reader) amount(row csvin.Row, col string, allowNegative bool) (decimal.Decimal, bool) {
	v, ok := r.required(row, col)
	if !ok {
		return decimal.Decimal{}, false
	}
	if !amountPattern.MatchString(v) {
		code := csvin.CodeMoneyBad
		if strings.Contains(v, ",") {
			code = csvin.CodeMoneySep
		}
		r.coded(row, col, code, "value", v)
		return decimal.Decimal{}, false
	}
	d := decimal.RequireFromString(v)
	if d.Sign() < 0 && !allowNegative {
		r.coded(row, col, csvin.CodeMoneyNegative, "value", v)
		return decimal.Decimal{}, false
	}
	if d.Abs().GreaterThan(maxAmount) {
		r.coded(row, col, csvin.CodeMoneyTooLarge, "value", v, "max", maxAmount.String())
		return decimal.Decimal{}, false
	}
	return d, true
}

func (r *reader) year(row csvin.Row, col string) (int, bool) {
	v, ok := r.required(row, col)
	if !ok {
		return 0, false
	}
	y, err := strconv.Atoi(v)
	if err != nil || y < 2000 || y > 2200 {
		r.coded(row, col, csvin.CodeYearBad, "value", v)
		return 0, false
	}
	return y, true
}

func (r *reader) digest() string { return hex.EncodeToString(r.sum.Sum(nil)) }

// newImport names an accepted file of kind, imported at now.
func (r *reader) newImport(kind string, rows int, now time.Time) catalog.Import {
	sum := r.digest()
	return catalog.Import{
		ID:     fmt.Sprintf("%s-%s-%s", kind, now.UTC().Format("20060102T150405.000000000"), sum[:8]),
		Kind:   kind,
		File:   r.file,
		SHA256: sum,
		Rows:   rows,
		At:     now.UTC(),
	}
}
