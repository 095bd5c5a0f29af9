package metering

import (
	"time"

	"cloudbill/internal/calendar"
)

// parseTS reads an RFC 3339 timestamp, "2026-11-03T08:00:00Z", "2026-11-03T08:00:00.5+08:00",
// or without an offset "2026-11-03T08:00:00", which is Asia/Shanghai time; 'T' may also be
// 't' or a space. It returns Unix seconds (a fraction is dropped) and "" or what is wrong.
// It does not allocate.
func parseTS(b []byte) (int64, string) {
	const bad = "timestamp is not RFC 3339 (2026-11-03T08:00:00+08:00; without an offset, Asia/Shanghai)"
	if len(b) < 19 {
		return 0, bad
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	min, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' ||
		(b[10] != 'T' && b[10] != 't' && b[10] != ' ') {
		return 0, bad
	}
	if month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || min > 59 || sec > 59 {
		return 0, "timestamp is not a valid date and time"
	}
	rest := b[19:]
	if len(rest) > 0 && rest[0] == '.' {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 {
			return 0, bad
		}
		rest = rest[i:]
	}
	local := daysFromCivil(year, month, day)*86400 + int64(hour*3600+min*60+sec)
	var unix int64
	switch {
	case len(rest) == 0:
		if year >= 1992 {
			unix = local - 8*3600 // Asia/Shanghai has kept UTC+8 without summer time since 1991
		} else {
			unix = time.Date(year, time.Month(month), day, hour, min, sec, 0, calendar.Shanghai()).Unix()
		}
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
		unix = local
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':':
		oh, ok1 := digits(rest[1:3])
		om, ok2 := digits(rest[4:6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, bad
		}
		off := int64(oh*3600 + om*60)
		if rest[0] == '-' {
			off = -off
		}
		unix = local - off
	default:
		return 0, bad
	}
	if unix < minTS || unix > maxTS {
		return 0, "timestamp is outside 1970-01-02 … 2106-02-06, the range stored"
	}
	return unix, ""
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is the number of days from 1970-01-01 to the given proleptic Gregorian
// date (H. Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}
