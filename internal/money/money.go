// Package money is the one place where cloudbill rounds and formats amounts of CNY.
//
// Amounts are decimal.Decimal from input to output. Work is done unrounded; an amount is
// rounded once, half up (away from zero on a tie), to the fen (0.01 CNY) when it becomes a
// statement line, and every total is the sum of the rounded lines it shows.
package money

import (
	"math/big"
	"sort"
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

// Allocate splits total, a whole number of fen, over weights in proportion to them, to
// the fen, by largest remainder: every share is first its exact part truncated to the
// fen, then the fen still to give go one each to the shares with the largest remainders
// (ties: the earlier weight). The shares have total's sign and add up to total exactly.
// A weight of zero or less gets nothing; with no positive weight every share is zero.
// This is cloudbill's one rule for spreading an amount (a vendor's deduction over its
// departments and funding categories); generators call it too.
func Allocate(total decimal.Decimal, weights []decimal.Decimal) []decimal.Decimal {
	shares := make([]decimal.Decimal, len(weights))
	for i := range shares {
		shares[i] = decimal.Zero
	}
	// weights as integers of one common exponent (exact for any decimal)
	exp := int32(0)
	for _, w := range weights {
		if w.Sign() > 0 && w.Exponent() < exp {
			exp = w.Exponent()
		}
	}
	ints := make([]*big.Int, len(weights))
	sum := new(big.Int)
	for i, w := range weights {
		ints[i] = new(big.Int)
		if w.Sign() > 0 {
			ints[i] = w.Shift(-exp).BigInt()
			sum.Add(sum, ints[i])
		}
	}
	if sum.Sign() == 0 {
		return shares
	}
	n := total.Shift(Fen).Abs().BigInt() // fen to give
	q := make([]*big.Int, len(weights))
	r := make([]*big.Int, len(weights))
	left := new(big.Int).Set(n)
	for i := range weights {
		q[i], r[i] = new(big.Int).QuoRem(new(big.Int).Mul(n, ints[i]), sum, new(big.Int))
		left.Sub(left, q[i])
	}
	order := make([]int, 0, len(weights))
	for i := range weights {
		if ints[i].Sign() > 0 {
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return r[order[a]].Cmp(r[order[b]]) > 0 })
	one := big.NewInt(1)
	for k := 0; left.Sign() > 0; k++ {
		q[order[k]].Add(q[order[k]], one)
		left.Sub(left, one)
	}
	for i := range weights {
		s := decimal.NewFromBigInt(q[i], -Fen)
		if total.Sign() < 0 {
			s = s.Neg()
		}
		shares[i] = s
	}
	return shares
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
