// Package money is the one place where cloudbill rounds and formats amounts of CNY.
//
// Amounts are decimal.Decimal from input to output. Work is done unrounded; an amount is
// rounded once, half up (away from zero on a tie), to the fen (0.01 CNY) when it becomes a
// statement line, and every total is the sum of the rounded lines it shows.
package money

import (
	"strings"

	"github.com/shopspring/decimal"
)

// Fen is the number of decimal places of a rounded amount.
const Fen = 2

// Round rounds d half up to the fen: 0.005 → 0.01, −0.005 → −0.01.
func Round(d decimal.Decimal) decimal.Decimal { return d.Round(Fen) }

// Sum adds amounts exactly.
func Sum(ds ...decimal.Decimal) decimal.Decimal {
	s := decimal.Zero
	for _, d := range ds {
		s = s.Add(d)
	}
	return s
}

// Plain formats d with two decimals and no separators ("1234.50"), the form of CSV files.
func Plain(d decimal.Decimal) string { return d.StringFixed(Fen) }

// Grouped formats d with two decimals and thousands separators ("1,234,567.80"), the
// form of printed statements.
func Grouped(d decimal.Decimal) string {
	s := d.StringFixed(Fen)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	b.WriteByte('.')
	b.WriteString(frac)
	return b.String()
}
