package portal

import (
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/internal/calendar"
	"cloudbill/rating"
	"cloudbill/statements/breakdown"
)

// What a month keeps, held compactly: the texts and amounts that repeat by the
// thousand over a city month's lines (department, vendor, item and order ids, prices,
// quantities, explanations, a line's daily amounts) are held once and shared. Shared
// values are never changed: a decimal.Decimal is immutable, and the lines and units
// kept with a month are read only.

// interner hands out one copy of each text and amount it is given.
type interner struct {
	strs map[string]string
	decs map[string]decimal.Decimal
	days map[string][]breakdown.Day
}

func newInterner() *interner {
	return &interner{strs: map[string]string{}, decs: map[string]decimal.Decimal{}, days: map[string][]breakdown.Day{}}
}

// str is s's shared copy (a copy of its own: s may point into a driver's column buffer,
// which sharing it would keep).
func (in *interner) str(s string) string {
	if s == "" {
		return ""
	}
	if t, ok := in.strs[s]; ok {
		return t
	}
	t := strings.Clone(s)
	in.strs[t] = t
	return t
}

// dec is an amount equal to d, with the same digits and exponent (the same text), shared.
func (in *interner) dec(d decimal.Decimal) decimal.Decimal {
	k := decKey(d)
	if e, ok := in.decs[k]; ok {
		return e
	}
	in.decs[k] = d
	return d
}

// compactLines shares the repeated texts and amounts of a month's lines (in place; the
// lines are not yet shared with anyone).
func compactLines(ls []rating.Line) {
	in := newInterner()
	for i := range ls {
		l := &ls[i]
		l.Kind = rating.Kind(in.str(string(l.Kind)))
		l.CorrectsKind = rating.Kind(in.str(string(l.CorrectsKind)))
		l.Department = typed(in, l.Department)
		l.Vendor = typed(in, l.Vendor)
		l.Project = typed(in, l.Project)
		l.Category = typed(in, l.Category)
		l.Order = typed(in, l.Order)
		l.Item = typed(in, l.Item)
		l.Zone = typed(in, l.Zone)
		l.Mode = typed(in, l.Mode)
		l.Note = in.str(l.Note)
		l.Quantity = in.dec(l.Quantity)
		l.UnitPrice = in.dec(l.UnitPrice)
	}
}

func typed[T ~string](in *interner, s T) T { return T(in.str(string(s))) }

// compactUnit shares, in a unit just built (not yet shared with anyone), the explanations
// and the daily amounts of its lines with those of the lines made before with in: a line's
// daily amounts are the same each day but the last (rating.Line.Daily), so lines of the
// same first day, days, daily and last amounts have the same list.
func compactUnit(in *interner, u *breakdown.Unit) {
	for pi := range u.Projects {
		for oi := range u.Projects[pi].Orders {
			ls := u.Projects[pi].Orders[oi].Lines
			for li := range ls {
				l := &ls[li]
				l.Explanation = in.str(l.Explanation)
				if k, ok := dailyKey(l.Daily); ok {
					if d, ok := in.days[k]; ok {
						l.Daily = d
					} else {
						in.days[k] = l.Daily
					}
				}
			}
		}
	}
}

// dailyKey names a list of daily amounts of consecutive days whose every day but the
// last has the very same amount (ok false otherwise): its first and last dates, length,
// and first and last amounts with their exponents.
func dailyKey(ds []breakdown.Day) (string, bool) {
	if len(ds) == 0 {
		return "", false
	}
	for _, d := range ds[:len(ds)-1] {
		if d.Amount != ds[0].Amount {
			return "", false
		}
	}
	first, last := ds[0], ds[len(ds)-1]
	from, err1 := calendar.ParseDate(first.Date)
	to, err2 := calendar.ParseDate(last.Date)
	if err1 != nil || err2 != nil || from.DaysUntil(to)+1 != len(ds) {
		return "", false // not one a day (sorted, one date each: then consecutive)
	}
	return first.Date + "|" + last.Date + "|" + strconv.Itoa(len(ds)) + "|" + decKey(first.Amount) + "|" + decKey(last.Amount), true
}

// decKey is d's text and exponent (two amounts of equal value may be written apart).
func decKey(d decimal.Decimal) string { return d.String() + "e" + strconv.Itoa(int(d.Exponent())) }
