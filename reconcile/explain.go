package reconcile

import (
	"fmt"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// explainer classifies claims and explains differences from the month's data.
type explainer struct {
	p       Params
	mine    map[key]*ours
	byOrder map[catalog.OrderID][]catalog.ItemCode // this vendor's rated items per order
	others  map[catalog.OrderID][]catalog.VendorID // other vendors rated on an order
}

func (e *explainer) add(row *Row, r Reason, text string) {
	row.Reasons = append(row.Reasons, r)
	row.Explanation = append(row.Explanation, text)
}

func (e *explainer) within(a, b decimal.Decimal) bool {
	return a.Sub(b).Abs().LessThanOrEqual(e.p.Tolerance)
}

// classifyClaim classifies the first claim of a key (o: our side, nil when none).
func (e *explainer) classifyClaim(row *Row, c Claim, o *ours) {
	if o == nil || o.lines == 0 {
		row.Class = OnlyVendor
		switch {
		case o != nil && len(o.adjusted) > 0:
			e.add(row, ReasonAdjustmentOnly, fmt.Sprintf("本月只有对已结账月份 %s 的调整，没有本月费用", joinPeriods(o)))
		case len(e.others[c.Order]) > 0:
			e.add(row, ReasonOtherVendor, fmt.Sprintf("工单 %s 本月计入服务商 %s，不属于本服务商", c.Order, e.joinVendors(e.others[c.Order])))
		case len(e.byOrder[c.Order]) > 0:
			e.add(row, ReasonItemNotRated, fmt.Sprintf("工单 %s 本月计费的目录项为 %s，不含 %s", c.Order, joinItems(e.byOrder[c.Order]), c.Item))
		default:
			e.add(row, ReasonOrderNotRated, fmt.Sprintf("本月没有工单 %s 的计费：可能是试用期、未经确认的资源或并不存在的工单", c.Order))
		}
		return
	}
	row.Ours = o.payable
	if o.payable.IsZero() && !o.unfunded.IsZero() {
		row.Class = OnlyVendor
		e.add(row, ReasonUnfunded, fmt.Sprintf("申报了未纳入项目清单的费用：项目 %s 不在已批准的项目清单上（已计费 %s 元，资金落实前暂缓支付）", joinProjects(o.projects), money.Plain(o.unfunded)))
		return
	}
	if e.within(c.Amount, o.payable) {
		row.Class = Match
		if d := c.Amount.Sub(o.payable); !d.IsZero() {
			e.add(row, ReasonWithinTolerance, fmt.Sprintf("差额 %s 元在容差 %s 元以内", money.Plain(d), money.Plain(e.p.Tolerance)))
		}
		return
	}
	row.Class = AmountDiffers
	e.explainAmount(row, c, o)
}

// explainAmount explains why a claim's amount differs from ours: the vendor's days,
// quantity or unit price, or an unfunded part claimed.
func (e *explainer) explainAmount(row *Row, c Claim, o *ours) {
	if !o.unfunded.IsZero() && e.within(c.Amount, o.payable.Add(o.unfunded)) {
		e.add(row, ReasonUnfunded, fmt.Sprintf("申报金额包含未纳入项目清单的费用 %s 元（项目 %s 不在已批准的项目清单上）", money.Plain(o.unfunded), joinProjects(o.projects)))
		return
	}
	dim := o.dim
	if dim == 0 {
		dim = e.p.Period.Days()
	}
	days := o.days
	if c.Days != nil && !o.metered {
		days = *c.Days
		if n := *c.Days - o.days; n > 0 {
			e.add(row, ReasonDays, fmt.Sprintf("天数不同：服务商 %d 天，平台 %d 天（多 %d 天：可能计入了试用期或更晚的终止日期）", *c.Days, o.days, n))
		} else if n < 0 {
			e.add(row, ReasonDays, fmt.Sprintf("天数不同：服务商 %d 天，平台 %d 天（少 %d 天：可能按更早的终止日期或更晚的开通日期计算）", *c.Days, o.days, -n))
		}
	}
	qty := o.quantity
	if c.Quantity != nil {
		qty = c.Quantity
		if o.quantity != nil && !c.Quantity.Equal(*o.quantity) {
			e.add(row, ReasonQuantity, fmt.Sprintf("数量不同：服务商 %s，平台 %s", c.Quantity.String(), o.quantity.String()))
		}
	}
	if o.unitPrice == nil || qty == nil || o.mixed && o.quantity == nil {
		if len(row.Reasons) == 0 {
			e.add(row, ReasonUnexplained, fmt.Sprintf("差额 %s 元：本月该工单有多个计费段（数量或价格变化），数据无法逐项解释", money.Plain(c.Amount.Sub(o.payable))))
		}
		return
	}
	if e.within(c.Amount, amountFor(o.metered, *o.unitPrice, *qty, days, dim)) {
		if len(row.Reasons) > 0 {
			row.Explanation = append(row.Explanation, "按服务商的天数和数量、平台单价计算，与申报金额一致")
			return
		}
	}
	if len(row.Reasons) == 0 && e.inferFigures(row, c, o, dim) {
		return
	}
	base := rating.Unrounded(o.metered, decimal.NewFromInt(1), *qty, days, dim) // the quantity the price applies to
	if base.IsZero() {
		e.add(row, ReasonUnexplained, fmt.Sprintf("差额 %s 元：数量为 0，数据无法解释", money.Plain(c.Amount.Sub(o.payable))))
		return
	}
	implied := c.Amount.DivRound(base, 4)
	if implied.Abs().GreaterThanOrEqual(decimal.NewFromInt(1)) {
		implied = money.Round(implied)
	}
	text := fmt.Sprintf("单价不同：申报金额折合单价 %s 元，平台单价 %s 元（目录版本 %s，%s）", priceText(implied), priceText(*o.unitPrice), o.version, glossary.Zone(o.zone))
	if hit := e.catalogPrice(row.Item, c.Amount, o, *qty, days, dim); hit != "" {
		text += "；" + hit
	}
	e.add(row, ReasonUnitPrice, text)
}

// inferFigures explains a claim that gives neither days nor quantity when its amount is
// exactly our unit price for another whole number of days (allocated items) or another
// whole quantity, the rest being ours.
func (e *explainer) inferFigures(row *Row, c Claim, o *ours, dim int) bool {
	if o.unitPrice == nil || o.quantity == nil || c.Days != nil || c.Quantity != nil || !o.unitPrice.IsPositive() {
		return false
	}
	if !o.metered {
		for n := 1; n <= dim; n++ {
			if n != o.days && e.within(c.Amount, amountFor(false, *o.unitPrice, *o.quantity, n, dim)) {
				more := "多"
				hint := "可能计入了试用期或更晚的终止日期"
				if n < o.days {
					more, hint = "少", "可能按更早的终止日期或更晚的开通日期计算"
				}
				e.add(row, ReasonDays, fmt.Sprintf("申报金额相当于 %d 天的费用，平台 %d 天（%s %d 天：%s）", n, o.days, more, abs(n-o.days), hint))
				return true
			}
		}
	}
	if o.quantity.IsInteger() {
		limit := o.quantity.IntPart()*10 + 10
		for q := int64(1); q <= limit; q++ {
			dq := decimal.NewFromInt(q)
			if !dq.Equal(*o.quantity) && e.within(c.Amount, amountFor(o.metered, *o.unitPrice, dq, o.days, dim)) {
				e.add(row, ReasonQuantity, fmt.Sprintf("申报金额相当于数量 %d 的费用，平台数量 %s", q, o.quantity.String()))
				return true
			}
		}
	}
	return false
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// catalogPrice names a catalog version and zone whose price of item gives the claimed
// amount with the figures used, other than the one that priced our line.
func (e *explainer) catalogPrice(item catalog.ItemCode, amount decimal.Decimal, o *ours, qty decimal.Decimal, days, dim int) string {
	if e.p.Catalog == nil {
		return ""
	}
	for _, v := range e.p.Catalog.Versions {
		it, ok := v.Items[item]
		if !ok {
			continue
		}
		zones := make([]catalog.Zone, 0, len(it.Prices))
		for z := range it.Prices {
			zones = append(zones, z)
		}
		sort.Slice(zones, func(i, j int) bool { return zones[i] < zones[j] })
		for _, z := range zones {
			if v.Effective == o.version && z == o.zone {
				continue
			}
			price := it.Prices[z]
			if e.within(amount, amountFor(o.metered, price, qty, days, dim)) {
				return fmt.Sprintf("与目录版本 %s %s的价格 %s 元一致（可能用错了目录版本或区域）", v.Effective, glossary.Zone(z), priceText(price))
			}
		}
	}
	return ""
}

func joinPeriods(o *ours) string {
	s := make([]string, len(o.adjusted))
	for i, p := range o.adjusted {
		s[i] = p.String()
	}
	sort.Strings(s)
	return strings.Join(s, "、")
}

// joinVendors lists vendors by name with the code in brackets (by code where no name is
// known), in the order of their codes.
func (e *explainer) joinVendors(vs []catalog.VendorID) string {
	vs = append([]catalog.VendorID(nil), vs...)
	sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = string(v)
		if n := e.p.Vendors[v].Name; n != "" {
			s[i] = n + "（" + string(v) + "）"
		}
	}
	return strings.Join(s, "、")
}

func joinItems(is []catalog.ItemCode) string {
	s := make([]string, len(is))
	for i, v := range is {
		s[i] = string(v)
	}
	sort.Strings(s)
	return strings.Join(s, "、")
}
