package money

import (
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
