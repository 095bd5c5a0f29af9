package portal

// An invoice refused: its errors (csvin.Error: file, line, column, record and what is
// wrong) one to a line, the place in Chinese and the known messages in words; a message
// without words here prints as the reader wrote it.

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"cloudbill/internal/csvin"
)

var invoiceMsgs = []struct {
	re    *regexp.Regexp
	words string // with $1… of the match
}{
	{regexp.MustCompile(`^unknown column \(expected (.*); extra columns must start with x_\)$`), "未知的列（应为 $1；其他列须以 x_ 开头）"},
	{regexp.MustCompile(`^required column is missing from the header$`), "表头缺少这一必需的列"},
	{regexp.MustCompile(`^duplicate$`), "重复"},
	{regexp.MustCompile(`^is empty: every line names the vendor$`), "为空：每行须写明服务商"},
	{regexp.MustCompile(`^vendor "(.*)" is not the vendor being reconciled \("(.*)"\): an invoice holds one vendor's claims$`), "服务商 $1 不是本次对账的服务商（$2）：一份发票只能包含一个服务商的明细"},
	{regexp.MustCompile(`^is empty: every line names the month \(YYYY-MM\)$`), "为空：每行须写明月份（YYYY-MM）"},
	{regexp.MustCompile(`^"(.*)" is not a month YYYY-MM$`), "“$1”不是 YYYY-MM 格式的月份"},
	{regexp.MustCompile(`^month (\S+) is not the month being reconciled \((\S+)\)$`), "月份 $1 不是本次对账的月份（$2）"},
	{regexp.MustCompile(`^is empty: every claim names its work order$`), "为空：每行须写明工单"},
	{regexp.MustCompile(`^is empty: every claim names its catalog item$`), "为空：每行须写明服务目录品目"},
	{regexp.MustCompile(`^(\S+) is negative$`), "$1 为负数"},
	{regexp.MustCompile(`^"(.*)" is not a whole number of days$`), "“$1”不是整数天数"},
	{regexp.MustCompile(`^is an old Excel \.xls workbook: save it as \.xlsx or CSV$`), "是旧版 Excel .xls 文件：请另存为 .xlsx 或 CSV"},
}

// invoiceMsgZh is a reader's message in words (as written when unknown).
func invoiceMsgZh(m string) string {
	for _, x := range invoiceMsgs {
		if x.re.MatchString(m) {
			return x.re.ReplaceAllString(m, x.words)
		}
	}
	return m
}

// invoiceErrorZh is a refused invoice's errors, one to a line: 文件 F 第 L 行（记录 R），列
// "C"：what is wrong; an error that is not the reader's as it is.
func invoiceErrorZh(err error) string {
	var es csvin.Errors
	if !errors.As(err, &es) {
		var e *csvin.Error
		if !errors.As(err, &e) {
			return err.Error()
		}
		es = csvin.Errors{e}
	}
	var b strings.Builder
	if len(es) > 1 {
		fmt.Fprintf(&b, "共 %d 处错误：", len(es))
	}
	for i, e := range es {
		if i == 50 {
			fmt.Fprintf(&b, "\n……另有 %d 处", len(es)-50)
			break
		}
		if len(es) > 1 {
			b.WriteString("\n")
		}
		b.WriteString("文件 " + e.File)
		if e.Line > 0 {
			fmt.Fprintf(&b, " 第 %d 行", e.Line)
		}
		if e.Record != "" {
			b.WriteString("（" + e.Record + "）")
		}
		if e.Column != "" {
			fmt.Fprintf(&b, "，列 “%s”", e.Column)
		}
		b.WriteString("：" + invoiceMsgZh(e.Msg))
	}
	return b.String()
}
