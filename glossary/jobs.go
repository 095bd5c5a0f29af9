package glossary

import (
	"strings"

	"cloudbill/catalog"
	"cloudbill/internal/coded"
	"cloudbill/schedule/jobrun"
)

// JobDetail is a job run's detail (jobrun.Detail: a code and its values) or an import's note
// (catalog.Import.Note, coded the same way) in Chinese on the portal's operations page; a
// detail stored before details were data prints as stored.
//   - closed: 已结账：共 1,930 行，合计 1,043,194.81 元，内容哈希 …；已出具账单
//   - idle_analysis: 分析日 2026-11-30：55 个部门超出冗余比例，每月可节约 …
//   - effective (a catalog import): 自 2026-11-16 起生效
func JobDetail(d string) string {
	d = strings.TrimSpace(d)
	code, v, ok := jobrun.ParseDetail(d)
	if !ok {
		return d
	}
	get := v.Get
	switch code {
	case jobrun.DetailRated:
		return "已计费"
	case jobrun.DetailRateClosed:
		return "该月已结账，未重新计费"
	case jobrun.DetailAlreadyClosed:
		return "该月此前已结账"
	case jobrun.DetailNothingDue:
		p := get("period")
		return "未结账：尚无已结账的月份，且 " + p + " 没有计费明细（请手工结账：cloudbill close --period " + p + "）"
	case jobrun.DetailClosed:
		s := "已结账：共 " + groupedCount(get("lines")) + " 行，合计 " + yuanText(get("total")) + " 元，内容哈希 " + get("hash")
		if get("issued") == "1" {
			s += "；已出具账单"
		}
		return s
	case jobrun.DetailIdleAnalysis:
		return "分析日 " + get("date") + "：" + get("over") + " 个部门超出冗余比例，每月可节约 " + yuanText(get("saving")) + " 元，新开整改事项 " +
			get("opened") + " 件，剔除样本 " + get("excluded") + " 个"
	case jobrun.DetailIdleFollow:
		return "跟进日 " + get("date") + "：已整改 " + get("resolved") + " 件，逾期 " + get("overdue") + " 件"
	case jobrun.DetailBackup:
		return "备份至 " + get("dir") + "：" + get("tables") + " 张表，" + groupedCount(get("rows")) + " 行，" + groupedCount(get("bytes")) + " 字节，用时 " +
			get("took") + "；删除旧备份 " + get("removed") + " 份"
	case jobrun.DetailCollect:
		return "采集窗口 " + get("windows") + " 个：完整 " + get("collected") + " 个，部分 " + get("partial") + " 个，失败 " + get("failed") + " 个；样本 " +
			groupedCount(get("samples")) + " 个（其中 " + groupedCount(get("duplicates")) + " 个已存且值相同）"
	}
	return importNote(d)
}

// importNote is an import's note (catalog.Note*) in Chinese, as stored when not one.
func importNote(d string) string {
	code, v, _ := coded.Parse(d)
	get := v.Get
	switch code {
	case catalog.NoteEffective:
		s := "自 " + get("date") + " 起生效"
		if get("replaces") == "1" {
			s += "（替换同日生效的版本）"
		}
		return s
	case catalog.NoteOrg:
		return "部门 " + get("departments") + " 个，项目 " + get("projects") + " 个，服务商 " + get("vendors") + " 家"
	case catalog.NoteLate:
		return "迟到的工单事件 " + get("events") + " 条"
	}
	return d
}

// groupedCount is a whole number with thousands separators (as stored when not one).
func groupedCount(n string) string {
	if n == "" || strings.Trim(n, "0123456789") != "" {
		return n
	}
	var b strings.Builder
	for i, c := range n {
		if i > 0 && (len(n)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// JobDetailCodes is every code JobDetail says in words: the job runs' and the imports'
// notes.
func JobDetailCodes() []string {
	var cs []string
	for _, c := range jobrun.DetailCodes() {
		cs = append(cs, string(c))
	}
	return append(cs, catalog.NoteEffective, catalog.NoteOrg, catalog.NoteLate)
}

// RulesVersion names a deduction rules version: the built-in rules (default) in words,
// an imported version by its id.
func RulesVersion(v string) string {
	if v == "default" {
		return "默认规则（未导入扣减规则版本）"
	}
	return v
}
