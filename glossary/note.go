package glossary

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// Note is a rated line's stored note in Chinese: each of its remarks (rating.ParseNote)
// in words, joined by "；". A note stored as free text (before remarks were data, or
// written by hand) prints as it is, so a month rendered again reads as it did.
func Note(note string) string {
	rs := rating.ParseNote(note)
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, Remark(r))
	}
	return strings.Join(parts, "；")
}

// Remark is one remark in words:
//   - adapted: 由非目录资源类型 ecs.g6.large 适配
//   - window: 计量 2026-10-01 至 2026-10-31 的 traffic_gb（合计）
//   - unfunded: 项目 P9 未列入 2026 年项目清单（资源费用），作为例外另行报告
//   - adjusts: 更正 2026-09 已结账月份的资源费用（工单 WO1）：原记 100.00 元，重新计费 120.00 元（原 30 天，现 25 天）
//
// A code without words prints as it is stored.
func Remark(r rating.Remark) string {
	switch r.Code {
	case rating.RemarkText:
		return r.Get("text")
	case rating.RemarkAdapted:
		return "由非目录资源类型 " + r.Get("resource_type") + " 适配"
	case rating.RemarkWindow:
		return fmt.Sprintf("计量 %s 至 %s 的 %s（%s）", r.Get("from"), r.Get("to"), r.Get("metric"), Agg(catalog.Agg(r.Get("agg"))))
	case rating.RemarkUnfunded:
		s := fmt.Sprintf("项目 %s 未列入 %s 年项目清单", r.Get("project"), r.Get("year"))
		if r.Get("why") == rating.UnfundedNotApproved {
			s = fmt.Sprintf("项目 %s 未获 %s 年批准", r.Get("project"), r.Get("year"))
		}
		return s + "（" + Kind(rating.Kind(r.Get("kind"))) + "），作为例外另行报告"
	case rating.RemarkAdjusts:
		s := "更正 " + r.Get("period") + " 已结账月份的" + Kind(rating.Kind(r.Get("kind")))
		if o := r.Get("order"); o != "" {
			s += "（工单 " + o + "）"
		}
		s += "：原记 " + yuanText(r.Get("booked")) + " 元，重新计费 " + yuanText(r.Get("rerated")) + " 元"
		if b, n := r.Get("days_booked"), r.Get("days_now"); b != "" && n != "" {
			s += "（原 " + b + " 天，现 " + n + " 天）"
		}
		return s
	}
	return string(r.Code) + "?" + r.Values.Encode()
}

// yuanText is an amount with two decimals and thousands separators (as stored when it
// does not read as a number).
func yuanText(s string) string {
	d, err := decimal.NewFromString(s)
	if err != nil {
		return s
	}
	return money.Grouped(d)
}
