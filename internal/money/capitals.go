package money

import (
	"strings"

	"github.com/shopspring/decimal"
)

var (
	capDigits = [10]string{"零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"}
	capUnits  = [4]string{"", "拾", "佰", "仟"}
)

// Capitals writes an amount in Chinese capital numerals (大写金额) as printed on
// statements and vouchers: 1234.56 → 壹仟贰佰叁拾肆元伍角陆分, 10005 → 壹万零伍元整,
// 100.05 → 壹佰元零伍分, 0 → 零元整, −3 → 负叁元整. The amount is rounded to the fen
// first (money.Round). Groups of four digits take 万 and 亿; a run of zeros inside the
// number is written as one 零; an amount ending at 元 or 角 ends with 整.
func Capitals(d decimal.Decimal) string {
	d = Round(d)
	var b strings.Builder
	if d.IsNegative() {
		b.WriteString("负")
		d = d.Neg()
	}
	fen := d.Shift(Fen).BigInt() // exact: d has at most two decimals
	s := fen.String()
	for len(s) < 3 {
		s = "0" + s
	}
	intPart, jiao, fenDigit := s[:len(s)-2], s[len(s)-2]-'0', s[len(s)-1]-'0'
	intPart = strings.TrimLeft(intPart, "0")
	if intPart != "" {
		b.WriteString(capInteger(intPart))
		b.WriteString("元")
	}
	switch {
	case jiao == 0 && fenDigit == 0:
		if intPart == "" {
			b.WriteString("零元")
		}
		b.WriteString("整")
	case fenDigit == 0:
		b.WriteString(capDigits[jiao] + "角整")
	case jiao == 0:
		if intPart != "" {
			b.WriteString("零")
		}
		b.WriteString(capDigits[fenDigit] + "分")
	default:
		b.WriteString(capDigits[jiao] + "角" + capDigits[fenDigit] + "分")
	}
	return b.String()
}

// capInteger writes a positive integer given as decimal digits without leading zeros.
// It splits at 亿 (10^8), then at 万 (10^4); the lower part gets a leading 零 when its
// highest digit is zero.
func capInteger(digits string) string {
	for _, split := range []struct {
		n    int
		unit string
	}{{8, "亿"}, {4, "万"}} {
		if len(digits) <= split.n {
			continue
		}
		high, low := digits[:len(digits)-split.n], digits[len(digits)-split.n:]
		out := capInteger(high) + split.unit
		trimmed := strings.TrimLeft(low, "0")
		if trimmed == "" {
			return out
		}
		if low[0] == '0' {
			out += "零"
		}
		return out + capInteger(trimmed)
	}
	// At most four digits.
	var b strings.Builder
	zero := false
	for i := 0; i < len(digits); i++ {
		dgt := digits[i] - '0'
		unit := len(digits) - 1 - i
		if dgt == 0 {
			zero = true
			continue
		}
		if zero {
			b.WriteString("零")
			zero = false
		}
		b.WriteString(capDigits[dgt] + capUnits[unit])
	}
	return b.String()
}
