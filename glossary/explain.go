package glossary

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// Percent prints a rate (0.1) as a percentage (10%).
func Percent(rate decimal.Decimal) string {
	return rate.Shift(2).String() + "%"
}

// Price prints a unit price with at least two decimals (36.00, 0.0008).
func Price(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}

// Qty prints a quantity without trailing zeros (8, 2042.922).
func Qty(d decimal.Decimal) string { return d.String() }

// VendorResult is a vendor month's acceptance result in words: the result that counted,
// with the recorded one when the security rule changed it; known false (no deduction was
// recorded at rating) or a pending month: 待验收（无验收记录）.
func VendorResult(vd rating.VendorDeduction, known bool) string {
	switch {
	case !known || vd.Pending:
		return Pending + "（无验收记录）"
	case vd.Acceptance != nil && vd.EffectiveResult != vd.Acceptance.Result:
		return Result(vd.EffectiveResult) + "（" + Result(vd.Acceptance.Result) + "，安全评估无效）"
	}
	return Result(vd.EffectiveResult)
}

// security is why a recorded result counts as failed.
func security(t rating.Tier) string {
	switch t.Security {
	case rating.SecurityMissing:
		return "安全评估缺失"
	case rating.SecurityExpired:
		if t.SecurityUntil != nil {
			return "安全评估已于 " + t.SecurityUntil.String() + " 过期"
		}
		return "安全评估已过期"
	}
	return ""
}

// bandName is the value a score or availability band measures.
func bandName(g rating.TierGroup) string {
	if g == rating.TierAvailability {
		return "可用率(%)"
	}
	return "得分"
}

// TierText is the band a tier matched, in words (the statements' 适用档位 column):
// 不通过; 通过，安全评估已于 2026-11-29 过期，视为不通过; 80 ≤ 得分 85 < 90; 得分 95 ≥ 90;
// 得分 40 低于各档; 得分未提供.
func TierText(t rating.Tier) string {
	if t.Label != "" {
		return t.Label // a run stored before tiers were data
	}
	if t.Group == rating.TierResult {
		if why := security(t); why != "" {
			return Result(t.Recorded) + "，" + why + "，视为" + Result(t.Effective)
		}
		return Result(t.Effective)
	}
	what := bandName(t.Group)
	switch {
	case t.Value == nil:
		return what + "未提供"
	case t.Min == nil:
		return fmt.Sprintf("%s %s 低于各档", what, t.Value)
	case t.Below == nil:
		return fmt.Sprintf("%s %s ≥ %s", what, t.Value, t.Min)
	}
	return fmt.Sprintf("%s ≤ %s %s < %s", t.Min, what, t.Value, t.Below)
}

// tierShort is a tier and its rate in a few words: 暂缓通过，安全评估过期按不通过 30%;
// 评价得分 2%.
func tierShort(t rating.Tier) string {
	if t.Label != "" {
		return t.Label + " " + Percent(t.Rate)
	}
	if t.Group == rating.TierResult {
		s := Result(t.Effective)
		switch t.Security {
		case rating.SecurityMissing:
			s = Result(t.Recorded) + "，安全评估缺失按" + Result(t.Effective)
		case rating.SecurityExpired:
			s = Result(t.Recorded) + "，安全评估过期按" + Result(t.Effective)
		}
		return s + " " + Percent(t.Rate)
	}
	s := TierGroup(t.Group) + " " + Percent(t.Rate)
	if t.Value == nil {
		s = TierGroup(t.Group) + "未提供 " + Percent(t.Rate)
	}
	return s
}

// DeductionReason is how a vendor month's acceptance became its rate, in one line:
// 暂缓通过，安全评估过期按不通过 30%，评价得分 2%，月度可用率 5%，合计 37%，封顶 50%.
func DeductionReason(vd rating.VendorDeduction) string {
	if vd.Pending {
		return Pending + "（无验收记录），暂不扣减"
	}
	var parts []string
	for _, t := range vd.Tiers {
		parts = append(parts, tierShort(t))
	}
	s := strings.Join(parts, "，")
	if vd.RateUncapped.GreaterThan(vd.Cap) {
		return s + fmt.Sprintf("，合计 %s 超过封顶 %s，按 %s 扣减", Percent(vd.RateUncapped), Percent(vd.Cap), Percent(vd.Rate))
	}
	return s + fmt.Sprintf("，合计 %s（封顶 %s）", Percent(vd.Rate), Percent(vd.Cap))
}

// DeductionNote is a deduction line in one line: the reason, the rate and the base it
// applies to (the line's quantity: the unit's gross with the vendor in category cat,
// named when not empty).
func DeductionNote(vd rating.VendorDeduction, base decimal.Decimal, cat catalog.ProjectCategory) string {
	if vd.Pending {
		return DeductionReason(vd)
	}
	s := DeductionReason(vd) + "；"
	if !base.IsZero() {
		what := "本单位"
		if cat != "" {
			what += Category(cat) + "类"
		}
		s += fmt.Sprintf("按%s应收 %s 元分摊", what, money.Grouped(base))
	} else {
		s += "按应收分摊"
	}
	return s + fmt.Sprintf("（服务商本月应收合计 %s 元，扣减 %s 元）", money.Grouped(vd.Gross), money.Grouped(vd.Deduction.Neg()))
}

// Item is what a line's explanation needs of its catalog item; the zero Item (not
// found) explains the line by its kind alone.
type Item struct {
	Name    string
	Unit    string
	Billing catalog.Billing
	Agg     catalog.Agg
}

// ItemOf is the explanation's view of a catalog item.
func ItemOf(it catalog.Item) Item {
	return Item{Name: it.Name, Unit: it.Unit, Billing: it.Billing, Agg: it.MeterAgg}
}

// Explain is a line's calculation in one Chinese line, true for its kind:
//   - allocated (charge): 单价 80.00 元/vCPU·月 × 数量 8 × 天数 30 ÷ 当月天数 30
//   - metered: 用量 2,042.922 GB（合计，计量 2026-11-01 至 2026-11-30 共 30 天）× 单价 0.80 元
//   - unfunded: the calculation of its billing, then why it is outside the list
//   - deduction: DeductionNote (vd nil: the rate and base alone)
//   - adjustment: the closed month and kind it corrects, and the difference
//
// l's Days, From and To may be cut (month to date); Amount is the amount shown.
func Explain(l rating.Line, it Item, vd *rating.VendorDeduction) string {
	switch l.Kind {
	case rating.KindDeduction:
		if vd != nil {
			return DeductionNote(*vd, l.Quantity, l.Category)
		}
		return fmt.Sprintf("验收扣减 %s，按本单位应收 %s 元分摊", Percent(l.UnitPrice.Neg()), money.Grouped(l.Quantity))
	case rating.KindAdjustment:
		return fmt.Sprintf("更正 %s 已结账月份的%s：重新计费后差额 %s 元", l.Corrects, Kind(l.CorrectsKind), money.Grouped(l.Amount))
	}
	metered := l.Kind == rating.KindMetered || it.Billing == catalog.Metered
	var s string
	if metered {
		unit := it.Unit
		agg := ""
		if it.Agg != "" {
			agg = Agg(it.Agg) + "，"
		}
		s = fmt.Sprintf("用量 %s %s（%s计量 %s 至 %s 共 %d 天）× 单价 %s 元", Qty(l.Quantity), unit, agg, l.From, l.To, l.Days, Price(l.UnitPrice))
		s = strings.Replace(s, "  ", " ", 1)
	} else {
		per := ""
		if it.Unit != "" {
			per = "/" + it.Unit
		}
		s = fmt.Sprintf("单价 %s 元%s × 数量 %s × 天数 %d ÷ 当月天数 %d", Price(l.UnitPrice), per, Qty(l.Quantity), l.Days, l.DaysInMonth)
	}
	s += " = " + money.Grouped(l.Amount) + " 元"
	if l.Kind == rating.KindUnfunded {
		s += "；项目未列入 " + fmt.Sprint(l.Period.Year) + " 年批准的项目清单"
	}
	return s
}
