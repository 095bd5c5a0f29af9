package money

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
)

func TestCapitals(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"issue example", "1234.56", "壹仟贰佰叁拾肆元伍角陆分"},
		{"zero inside, whole yuan", "10005", "壹万零伍元整"},
		{"zero jiao", "100.05", "壹佰元零伍分"},
		{"zero", "0", "零元整"},
		{"zero with decimals", "0.00", "零元整"},
		{"negative", "-1234.56", "负壹仟贰佰叁拾肆元伍角陆分"},
		{"negative whole", "-3", "负叁元整"},
		{"only fen", "0.05", "伍分"},
		{"only jiao", "0.5", "伍角整"},
		{"jiao and fen", "0.56", "伍角陆分"},
		{"yuan and jiao", "1.10", "壹元壹角整"},
		{"ten", "10", "壹拾元整"},
		{"eleven ten-thousands", "110000", "壹拾壹万元整"},
		{"one million", "1000000", "壹佰万元整"},
		{"wan group then thousands", "1001000", "壹佰万壹仟元整"},
		{"wan then tens", "10010", "壹万零壹拾元整"},
		{"zeros between digits", "1001", "壹仟零壹元整"},
		{"two zero runs", "10101", "壹万零壹佰零壹元整"},
		{"trailing zeros in group", "1200", "壹仟贰佰元整"},
		{"yi", "100000000", "壹亿元整"},
		{"yi zero wan", "100010000", "壹亿零壹万元整"},
		{"yi and units", "100000001", "壹亿零壹元整"},
		{"yi full", "123456789.01", "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元零壹分"},
		{"wan yi", "1000000000001", "壹万亿零壹元整"},
		{"hundred thousand and a fen", "100000.01", "壹拾万元零壹分"},
		{"rounds half up first", "0.005", "壹分"},
		{"rounds negative half away from zero", "-0.005", "负壹分"},
		{"wan and jiao", "20000.30", "贰万元叁角整"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Capitals(decimal.RequireFromString(tt.in))
			assert.Equal(t, tt.want, got, "Capitals(%s): got %s, want %s", tt.in, got, tt.want)
		})
	}
}

// parseCapitals reads an amount written by Capitals back, in fen; it is strict enough to
// catch a misplaced or missing unit.
func parseCapitals(t testing.TB, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "负")
	s = strings.TrimPrefix(s, "负")
	digit := map[rune]int64{'零': 0, '壹': 1, '贰': 2, '叁': 3, '肆': 4, '伍': 5, '陆': 6, '柒': 7, '捌': 8, '玖': 9}
	small := map[rune]int64{'拾': 10, '佰': 100, '仟': 1000}
	var total, section, group, cur int64 // total: done ×亿 groups; section: ×万; group: < 10⁴
	var fen int64
	yuanSeen := false
	for _, r := range s {
		switch {
		case r == '整':
		case r == '元':
			yuanSeen = true
			group += cur
			total += section + group
			section, group, cur = 0, 0, 0
		case r == '角' || r == '分':
			f := int64(10)
			if r == '分' {
				f = 1
			}
			fen += cur * f
			cur = 0
		case r == '亿':
			group += cur
			total = (total + section + group) * 100_000_000
			section, group, cur = 0, 0, 0
		case r == '万':
			group += cur
			section = (section + group) * 10_000
			group, cur = 0, 0
		case small[r] > 0:
			group += cur * small[r]
			cur = 0
		default:
			d, ok := digit[r]
			if !ok {
				t.Fatalf("unexpected %q in %s", r, s)
			}
			cur = d
		}
	}
	if !yuanSeen && cur != 0 {
		t.Fatalf("digits left over in %s", s)
	}
	v := total*100 + fen
	if neg {
		v = -v
	}
	return v
}

func checkRoundTrip(t testing.TB, fen int64) {
	d := decimal.New(fen, -2)
	s := Capitals(d)
	if got := parseCapitals(t, s); got != fen {
		t.Fatalf("Capitals(%s) = %s, which reads back as %d fen", d, s, got)
	}
	if strings.Contains(s, "零零") || strings.HasSuffix(s, "零元整") && fen != 0 {
		t.Fatalf("Capitals(%s) = %s: a doubled or dangling 零", d, s)
	}
}

func TestCapitalsRoundTrip(t *testing.T) {
	for _, base := range []int64{0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 100_000_000_000} {
		for _, add := range []int64{0, 1, 5, 10, 50, 100, 101, 1_000, 1_005, 10_000, 100_001, 1_000_000, 10_000_000, 100_000_100} {
			checkRoundTrip(t, base*100+add)
			checkRoundTrip(t, -(base*100 + add))
		}
	}
}

func FuzzCapitals(f *testing.F) {
	for _, seed := range []int64{0, 123456, 1000500, 10005, -99, 1_000_000_000_001} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, fen int64) {
		if fen > 1e17 || fen < -1e17 {
			t.Skip()
		}
		checkRoundTrip(t, fen)
	})
}
