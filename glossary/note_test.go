package glossary_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// TestNote: rating's remarks are stored as codes and values and read in Chinese; a note
// stored as text (English, from before remarks were data) prints as it is.
func TestNote(t *testing.T) {
	w := rating.UsageWindow{Agg: catalog.AggSum, Metric: "traffic_gb", From: calendar.MustDate("2026-10-01"), To: calendar.MustDate("2026-10-31")}
	for _, tt := range []struct {
		name    string
		remarks []rating.Remark
		want    string
	}{
		{"metered window", []rating.Remark{rating.WindowRemark(w)}, "计量 2026-10-01 至 2026-10-31 的 traffic_gb（合计）"},
		{"adapted and unfunded", []rating.Remark{rating.AdaptedRemark("ecs.g6.large; x=y&z"),
			rating.UnfundedRemark(rating.KindCharge, "P9", 2026, rating.UnfundedNotListed)},
			"由非目录资源类型 ecs.g6.large; x=y&z 适配；项目 P9 未列入 2026 年项目清单（资源费用），作为例外另行报告"},
		{"not approved", []rating.Remark{rating.UnfundedRemark(rating.KindMetered, "P9", 2026, rating.UnfundedNotApproved)},
			"项目 P9 未获 2026 年批准（计量费用），作为例外另行报告"},
		{"adjustment", []rating.Remark{rating.AdjustsRemark(calendar.MustPeriod("2026-09"), rating.KindCharge, "WO1", "1234.50", "120.00", 30, 25)},
			"更正 2026-09 已结账月份的资源费用（工单 WO1）：原记 1,234.50 元，重新计费 120.00 元（原 30 天，现 25 天）"},
		{"deduction adjustment", []rating.Remark{rating.AdjustsRemark(calendar.MustPeriod("2026-09"), rating.KindDeduction, "", "-10.00", "-12.00", 0, 0)},
			"更正 2026-09 已结账月份的验收扣减：原记 -10.00 元，重新计费 -12.00 元"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			note := rating.EncodeNote(tt.remarks)
			assert.NotRegexp(t, `\p{Han}`, note, "stored as codes and values")
			assert.Equal(t, tt.remarks, rating.ParseNote(note), "read back as stored")
			assert.Equal(t, tt.want, glossary.Note(note))
		})
	}
	for _, legacy := range []string{
		"sum of traffic_gb over 2026-10-01..2026-10-31",
		"adapted from resource type ecs.g6.large; unfunded (charge): project P9 is not on the 2026 list",
		"adjusts 2026-09 charge of order WO1: 100.00 booked, 120.00 on re-rating (30 days booked, 25 now)",
		"迟报终止：10-29 起不再计费",
		"window?agg=sum; 手写",
	} {
		assert.Equal(t, legacy, glossary.Note(legacy), "text prints as stored")
	}
	assert.Empty(t, glossary.Note(""))
}
