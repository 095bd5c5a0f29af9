package glossary

import (
	"cloudbill/catalog"
	"cloudbill/internal/csvin"
)

// ReconcileNote names one explanation of a reconciled line (reconcile.Row.Explanation):
// what the month's data tells about a claim or a rated line, said in Chinese by
// ReconcileText with its values.
type ReconcileNote string

// The explanations of a reconciliation and their values.
const (
	NoteAdjustmentOnly   ReconcileNote = "adjustment_only"      // periods
	NoteOtherVendor      ReconcileNote = "other_vendor"         // order, vendors
	NoteItemNotRated     ReconcileNote = "item_not_rated"       // order, items, item
	NoteOrderNotRated    ReconcileNote = "order_not_rated"      // order
	NoteUnfundedClaimed  ReconcileNote = "unfunded_claimed"     // projects, unfunded
	NoteUnfundedIncluded ReconcileNote = "unfunded_included"    // unfunded, projects
	NoteUnfundedQuiet    ReconcileNote = "unfunded_not_claimed" // projects, unfunded
	NoteWithinTolerance  ReconcileNote = "within_tolerance"     // difference, tolerance
	NoteDaysMore         ReconcileNote = "days_more"            // vendor, ours, n
	NoteDaysFewer        ReconcileNote = "days_fewer"           // vendor, ours, n
	NoteQuantity         ReconcileNote = "quantity_differs"     // vendor, ours
	NoteSegments         ReconcileNote = "segments"             // difference
	NoteConsistent       ReconcileNote = "consistent"
	NoteZeroQuantity     ReconcileNote = "zero_quantity"      // difference
	NoteUnitPrice        ReconcileNote = "unit_price_differs" // implied, price, version, zone
	NoteOtherPrice       ReconcileNote = "other_price"        // version, zone, price
	NoteImpliedDaysMore  ReconcileNote = "implied_days_more"  // days, ours, n
	NoteImpliedDaysFewer ReconcileNote = "implied_days_fewer" // days, ours, n
	NoteImpliedQuantity  ReconcileNote = "implied_quantity"   // quantity, ours
	NoteRepeated         ReconcileNote = "repeated"           // line
	NoteDuplicate        ReconcileNote = "duplicate"          // line
	NoteNotClaimed       ReconcileNote = "not_claimed"
	// the report's deduction, its warnings and what it was checked against
	NoteNoDeduction   ReconcileNote = "no_deduction"
	NoteNoAcceptance  ReconcileNote = "no_acceptance"
	NoteDeduction     ReconcileNote = "deduction"      // result (an acceptance result's code), rate
	NoteGrossMismatch ReconcileNote = "gross_mismatch" // used, gross
	NoteSourceClosed  ReconcileNote = "source_closed"  // run, closed_at, hash
	NoteSourceOpen    ReconcileNote = "source_open"    // run, rated_at
)

const (
	moreDays  = "可能计入了试用期或更晚的终止日期"
	fewerDays = "可能按更早的终止日期或更晚的开通日期计算"
	notListed = "不在已批准的项目清单上"
)

var reconcileNotes = map[ReconcileNote]string{
	NoteAdjustmentOnly:   "本月只有对已结账月份 {periods} 的调整，没有本月费用",
	NoteOtherVendor:      "工单 {order} 本月计入服务商 {vendors}，不属于本服务商",
	NoteItemNotRated:     "工单 {order} 本月计费的品目为 {items}，不含 {item}",
	NoteOrderNotRated:    "本月没有工单 {order} 的计费：可能是试用期、未经确认的资源或并不存在的工单",
	NoteUnfundedClaimed:  "申报了未纳入项目清单的费用：项目 {projects} " + notListed + "（已计费 {unfunded} 元，资金落实前暂缓支付）",
	NoteUnfundedIncluded: "申报金额包含未纳入项目清单的费用 {unfunded} 元（项目 {projects} " + notListed + "）",
	NoteUnfundedQuiet:    "未申报，正确：项目 {projects} " + notListed + "，已计费 {unfunded} 元（资金落实前暂缓支付）",
	NoteWithinTolerance:  "差额 {difference} 元在容差 {tolerance} 元以内",
	NoteDaysMore:         "天数不同：服务商 {vendor} 天，平台 {ours} 天（多 {n} 天：" + moreDays + "）",
	NoteDaysFewer:        "天数不同：服务商 {vendor} 天，平台 {ours} 天（少 {n} 天：" + fewerDays + "）",
	NoteQuantity:         "数量不同：服务商 {vendor}，平台 {ours}",
	NoteSegments:         "差额 {difference} 元：本月该工单有多个计费段（数量或价格变化），数据无法逐项解释",
	NoteConsistent:       "按服务商的天数和数量、平台单价计算，与申报金额一致",
	NoteZeroQuantity:     "差额 {difference} 元：数量为 0，数据无法解释",
	NoteUnitPrice:        "单价不同：申报金额折合单价 {implied} 元，平台单价 {price} 元（目录版本 {version}，{zone}）",
	NoteOtherPrice:       "与目录版本 {version} {zone}的价格 {price} 元一致（可能用错了目录版本或区域）",
	NoteImpliedDaysMore:  "申报金额相当于 {days} 天的费用，平台 {ours} 天（多 {n} 天：" + moreDays + "）",
	NoteImpliedDaysFewer: "申报金额相当于 {days} 天的费用，平台 {ours} 天（少 {n} 天：" + fewerDays + "）",
	NoteImpliedQuantity:  "申报金额相当于数量 {quantity} 的费用，平台数量 {ours}",
	NoteRepeated:         "重复申报（claimed twice）：与第 {line} 行完全相同，不予支付",
	NoteDuplicate:        "重复申报：第 {line} 行已申报同一工单和品目",
	NoteNotClaimed:       "平台已计费，服务商未申报",
	NoteNoDeduction:      "无验收扣减记录：未扣减",
	NoteNoAcceptance:     "尚无验收记录：未扣减（待验收）",
	NoteDeduction:        "验收结果 {result}，扣减比例 {rate}%",
	NoteGrossMismatch:    "扣减计算所用总额 {used} 与本月计费总额 {gross} 不一致",
	NoteSourceClosed:     "已结账月份的冻结计费：运行 {run}，结账于 {closed_at}，内容哈希 {hash}",
	NoteSourceOpen:       "未结账月份的最新计费运行 {run}（{rated_at}），临时核对",
}

// ReconcileNotes is every explanation.
func ReconcileNotes() []ReconcileNote {
	ns := make([]ReconcileNote, 0, len(reconcileNotes))
	for n := range reconcileNotes {
		ns = append(ns, n)
	}
	return ns
}

// ReconcileText is explanation n in Chinese with its values (key, value pairs; a zone's
// and an acceptance result's value is its code, said in words): "天数不同：服务商 31 天，平台 30 天（多 1 天：…）".
func ReconcileText(n ReconcileNote, kv ...string) string {
	p := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i]] = kv[i+1]
	}
	if z, ok := p["zone"]; ok {
		p["zone"] = Zone(catalog.Zone(z))
	}
	if r, ok := p["result"]; ok {
		p["result"] = Result(catalog.AcceptanceResult(r))
	}
	return csvin.Expand(reconcileNotes[n], p)
}
