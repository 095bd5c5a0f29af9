package glossary

import (
	"regexp"
	"strings"
)

// jobDetails read the details of recorded job runs (written in English for `cloudbill
// status`) in Chinese on the portal's operations page; a detail that matches none prints
// as stored.
var jobDetails = []struct {
	re    *regexp.Regexp
	words func(m []string) string
}{
	{regexp.MustCompile(`^rated$`), func([]string) string { return "已计费" }},
	{regexp.MustCompile(`^effective (\d{4}-\d{2}-\d{2})$`), func(m []string) string { return "自 " + m[1] + " 起生效" }}, // a catalog import's note
	{regexp.MustCompile(`^closed; not re-rated$`), func([]string) string { return "该月已结账，未重新计费" }},
	{regexp.MustCompile(`^already closed$`), func([]string) string { return "该月此前已结账" }},
	{regexp.MustCompile(`^closed: (\d+) lines, total ([0-9.-]+), hash (\w+)(; statements issued)?$`), func(m []string) string {
		s := "已结账：共 " + m[1] + " 行，合计 " + yuanText(m[2]) + " 元，内容哈希 " + m[3]
		if m[4] != "" {
			s += "；已出具账单"
		}
		return s
	}},
	{regexp.MustCompile(`^analysis of (\S+): (\d+) departments over, monthly saving ([0-9.]+), (\d+) cases opened, (\d+) samples excluded$`), func(m []string) string {
		return "分析日 " + m[1] + "：" + m[2] + " 个部门超出冗余比例，每月可节约 " + yuanText(m[3]) + " 元，新开整改事项 " + m[4] + " 件，剔除样本 " + m[5] + " 个"
	}},
	{regexp.MustCompile(`^follow-up of (\S+): (\d+) resolved, (\d+) overdue$`), func(m []string) string {
		return "跟进日 " + m[1] + "：已整改 " + m[2] + " 件，逾期 " + m[3] + " 件"
	}},
	{regexp.MustCompile(`^(.+): (\d+) tables, (\d+) rows, (\d+) bytes in (\S+); (\d+) old backups removed$`), func(m []string) string {
		return "备份至 " + m[1] + "：" + m[2] + " 张表，" + m[3] + " 行，" + m[4] + " 字节，用时 " + m[5] + "；删除旧备份 " + m[6] + " 份"
	}},
}

// JobDetail is a job run's detail (or an import's note) in Chinese (as stored when it is not one of the known
// forms).
func JobDetail(d string) string {
	d = strings.TrimSpace(d)
	for _, j := range jobDetails {
		if m := j.re.FindStringSubmatch(d); m != nil {
			return j.words(m)
		}
	}
	return d
}

// RulesVersion names a deduction rules version: the built-in rules (default) in words,
// an imported version by its id.
func RulesVersion(v string) string {
	if v == "default" {
		return "默认规则（未导入扣减规则版本）"
	}
	return v
}
