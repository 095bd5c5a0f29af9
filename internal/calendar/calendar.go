// Package calendar holds the local dates and billing periods of cloudbill. All dates are
// civil dates in Asia/Shanghai; a period is a calendar month.
package calendar

import (
	"fmt"
	"time"
)

// Shanghai is the billing time zone. It is loaded from the system zone database and falls
// back to a fixed UTC+8 zone (China has no daylight saving time since 1991).
func Shanghai() *time.Location { return shanghai }

var shanghai = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Shanghai"); err == nil {
		return loc
	}
	return time.FixedZone("CST", 8*3600)
}()

// Date is a civil date. The zero Date is not a valid date.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses YYYY-MM-DD; it rejects impossible dates such as 2026-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.ParseInLocation("2006-01-02", s, time.UTC)
	if err != nil {
		return Date{}, fmt.Errorf("date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// MustDate is ParseDate for literals in tests and tables; it panics on a bad date.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// DateOf is the date of t read in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// LocalDate is the Asia/Shanghai date of instant t.
func LocalDate(t time.Time) Date { return DateOf(t.In(shanghai)) }

// Time is midnight of d in UTC (a stable key for storage as a ClickHouse Date).
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// Start is the instant of midnight Asia/Shanghai that begins d.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, shanghai) }

// AddDays returns d shifted by n days.
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Before, After and Equal compare dates.
func (d Date) Before(o Date) bool { return d.Compare(o) < 0 }
func (d Date) After(o Date) bool  { return d.Compare(o) > 0 }

// Compare returns -1, 0 or +1.
func (d Date) Compare(o Date) int {
	switch {
	case d.Year != o.Year:
		return sign(d.Year - o.Year)
	case d.Month != o.Month:
		return sign(int(d.Month) - int(o.Month))
	default:
		return sign(d.Day - o.Day)
	}
}

// DaysUntil is the number of days from d to o (o − d); negative when o is before d.
func (d Date) DaysUntil(o Date) int { return int(o.Time().Sub(d.Time()).Hours() / 24) }

// IsZero reports the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// Period is the month that d falls in.
func (d Date) Period() Period { return Period{d.Year, d.Month} }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day) }

// MinDate and MaxDate return the earlier and the later of two dates.
func MinDate(a, b Date) Date {
	if b.Before(a) {
		return b
	}
	return a
}

func MaxDate(a, b Date) Date {
	if b.After(a) {
		return b
	}
	return a
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// Period is a billing period: a calendar month.
type Period struct {
	Year  int
	Month time.Month
}

// ParsePeriod parses YYYY-MM.
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil || len(s) != 7 {
		return Period{}, fmt.Errorf("period %q is not YYYY-MM", s)
	}
	return Period{t.Year(), t.Month()}, nil
}

// MustPeriod is ParsePeriod for literals; it panics on a bad period.
func MustPeriod(s string) Period {
	p, err := ParsePeriod(s)
	if err != nil {
		panic(err)
	}
	return p
}

// PeriodOfKey is the inverse of Key.
func PeriodOfKey(k uint32) Period { return Period{int(k / 100), time.Month(k % 100)} }

// Key is the period as YYYYMM, the form stored in ClickHouse.
func (p Period) Key() uint32 { return uint32(p.Year*100 + int(p.Month)) }

func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// First and Last are the first and the last day of the month.
func (p Period) First() Date { return Date{p.Year, p.Month, 1} }
func (p Period) Last() Date  { return p.Next().First().AddDays(-1) }

// Days is the number of calendar days of the month (28–31).
func (p Period) Days() int { return p.Last().Day }

// Next and Prev are the following and the preceding month.
func (p Period) Next() Period { return p.add(1) }
func (p Period) Prev() Period { return p.add(-1) }

// YearBefore is the same month a year before (a comparison's "year on year").
func (p Period) YearBefore() Period { return p.add(-12) }

func (p Period) add(n int) Period {
	t := time.Date(p.Year, p.Month+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	return Period{t.Year(), t.Month()}
}

// Before reports whether p is an earlier month than o.
func (p Period) Before(o Period) bool { return p.Key() < o.Key() }

// Contains reports whether d falls in the month.
func (p Period) Contains(d Date) bool { return d.Year == p.Year && d.Month == p.Month }

// Start and End are the instants (Asia/Shanghai) that begin and end the month: [Start, End).
func (p Period) Start() time.Time { return p.First().Start() }
func (p Period) End() time.Time   { return p.Next().First().Start() }
