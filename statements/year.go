package statements

import (
	"context"
	"fmt"
	"sort"

	"github.com/shopspring/decimal"

	"cloudbill/funding"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// YearSource is what a source that keeps the year's money (chstore.Store) adds to
// Source: the December estimate in force, for January's 上年12月预估差额 lines, and the
// payment vouchers, for the vendor settlement's payments section (§21). A Source without
// it gives statements without either.
type YearSource interface {
	EstimateOf(ctx context.Context, p calendar.Period) (funding.EstimateInfo, funding.Estimate, bool, error)
	Payments(ctx context.Context) ([]funding.Payment, error)
}

// loadYear fills m.TrueUp and m.Vouchers from ys.
//
// The true-up (final − estimate of the previous December, funding.TrueUpLines) is booked
// in January: January's vendor settlements carry its lines, and the year-to-date of
// every month of the year counts it. It applies once that December is closed and its
// estimate in force (an estimate cannot be withdrawn after the close), and, so that a
// closed month re-issues the same bytes, only when December closed no later than January
// (a January closed first has no true-up on its files: close months in order); for a
// closed month other than January, only when January is closed.
//
// The vouchers are those of the year's service months up to this one, imported by the
// statement's date (a closed month's: its close), by paid date.
func (m *Month) loadYear(ctx context.Context, src Source, ys YearSource) error {
	prevDec := calendar.Period{Year: m.Period.Year - 1, Month: 12}
	jan := calendar.Period{Year: m.Period.Year, Month: 1}
	dec, decClosed, err := src.CloseOf(ctx, prevDec)
	if err != nil {
		return err
	}
	applies := decClosed
	if decClosed {
		switch {
		case m.Period == jan:
			applies = !m.Final() || !dec.ClosedAt.After(m.Close.ClosedAt)
		default:
			janClose, janClosed, err := src.CloseOf(ctx, jan)
			if err != nil {
				return err
			}
			applies = (janClosed && !dec.ClosedAt.After(janClose.ClosedAt)) || (!janClosed && !m.Final())
		}
	}
	if applies {
		_, est, ok, err := ys.EstimateOf(ctx, prevDec)
		if err != nil {
			return fmt.Errorf("estimate of %s: %w", prevDec, err)
		}
		if ok {
			final, err := src.RatedLines(ctx, prevDec)
			if err != nil {
				return fmt.Errorf("true-up of %s: %w", prevDec, err)
			}
			m.TrueUp = funding.TrueUpLines(jan, final, est)
		}
	}
	pays, err := ys.Payments(ctx)
	if err != nil {
		return err
	}
	for _, p := range pays {
		if p.Period.Year != m.Period.Year || m.Period.Before(p.Period) || p.ImportedAt.After(m.IssuedAt) {
			continue
		}
		m.Vouchers = append(m.Vouchers, p)
	}
	sort.SliceStable(m.Vouchers, func(i, j int) bool {
		a, b := m.Vouchers[i], m.Vouchers[j]
		if a.PaidDate != b.PaidDate {
			return a.PaidDate.Before(b.PaidDate)
		}
		return a.Voucher < b.Voucher
	})
	return nil
}

// trueUpOf is vendor v's true-up lines and their sum.
func (m Month) trueUpOf(v string) ([]rating.Line, decimal.Decimal) {
	var out []rating.Line
	total := decimal.Zero
	for _, l := range m.TrueUp {
		if string(l.Vendor) == v {
			out = append(out, l)
			total = total.Add(l.Amount)
		}
	}
	return out, total
}
