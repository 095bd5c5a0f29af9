package glossary

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"cloudbill/internal/csvin"
)

// inputErrors says each input error code (csvin.Code) in Chinese; {name} is a value of
// the error's Params (shown as it is, quoted when it holds characters that do not print).
var inputErrors = map[csvin.Code]string{
	csvin.CodeFileEmpty:       "文件为空：第 1 行须为列名（表头）",
	csvin.CodeHeaderEmptyName: "第 {n} 列没有列名",
	csvin.CodeHeaderTwice:     "该列在表头中出现了两次",
	csvin.CodeHeaderUnknown:   "未知的列（应为 {expected}；其他列须以 x_ 开头）",
	csvin.CodeHeaderMissing:   "表头缺少这一必需的列",
	csvin.CodeFieldCount:      "该行有 {got} 个字段，表头有 {want} 列",
	csvin.CodeBareQuote:       "CSV 格式有误：未加引号的字段中出现了引号（\"）",
	csvin.CodeQuote:           "CSV 格式有误：加引号的字段中引号（\"）多余或缺少",
	csvin.CodeMalformed:       "CSV 格式有误（{detail}）",
	csvin.CodeRecordTooLong:   "一条记录超过 {kib} KiB（是否有未闭合的引号？）：拒收，其后内容未读取",
	csvin.CodeReadFailed:      "读取失败（{detail}）",

	csvin.CodeGBByChance:     "第 {byte} 个字节（0x{hex}）：按 GB18030 虽能读，但读出的字符大多不是常用汉字（如 Latin-1 编码的 Müller、café），无法判断编码" + wholeFile,
	csvin.CodeDamagedUTF8:    "第 {byte} 个字节（0x{hex}）：其余内容为 UTF-8，此处却不是有效的 UTF-8：文件已损坏，并非 GB18030" + wholeFile,
	csvin.CodeNeitherText:    "第 {byte} 个字节（0x{hex}）既不是 UTF-8 也不是 GB18030 文本" + wholeFile,
	csvin.CodeNotUTF8:        "第 {byte} 个字节（0x{hex}）不是有效的 UTF-8，而该文件是 UTF-8（由第 {decided} 行及之前的内容判断）" + oneEncoding,
	csvin.CodeNotUTF8Flag:    "第 {byte} 个字节（0x{hex}）不是有效的 UTF-8，而该文件是 UTF-8（--encoding 指定）" + oneEncoding,
	csvin.CodeUTF8Line:       "该行是 UTF-8 文本，而该文件是 GB18030（由第 {decided} 行及之前的内容判断）" + oneEncoding,
	csvin.CodeNotGB18030:     "第 {byte} 个字节（0x{hex}）不是有效的 GB18030，而该文件是 GB18030（由第 {decided} 行及之前的内容判断）" + oneEncoding,
	csvin.CodeNotGB18030Flag: "第 {byte} 个字节（0x{hex}）不是有效的 GB18030，而该文件是 GB18030（--encoding 指定）" + oneEncoding,
	csvin.CodeGB18030:        "不是有效的 GB18030（{detail}）",

	csvin.CodeVendorEmpty:  "为空：每行须写明服务商",
	csvin.CodeVendorOther:  "服务商 {vendor} 不是本次对账的服务商（{want}）：一份发票只能包含一个服务商的明细",
	csvin.CodePeriodEmpty:  "为空：每行须写明月份（YYYY-MM）",
	csvin.CodePeriodBad:    "“{value}”不是 YYYY-MM 格式的月份",
	csvin.CodePeriodOther:  "月份 {period} 不是本次对账的月份（{want}）",
	csvin.CodeOrderEmpty:   "为空：每行须写明工单",
	csvin.CodeItemEmpty:    "为空：每行须写明服务目录品目",
	csvin.CodeAmountEmpty:  "为空：每行须有金额（没有请写 0）",
	csvin.CodeAmountNeg:    "{value} 为负数：发票金额须为 0 或以上",
	csvin.CodeAmountFen:    "{value} 超过两位小数：金额以分（0.01）为单位",
	csvin.CodeSeparator:    "“{value}”含千位分隔符或小数逗号" + plainNumber,
	csvin.CodeCurrency:     "“{value}”带有货币符号或单位" + plainNumber,
	csvin.CodeNotDecimal:   "“{value}”不是数字",
	csvin.CodeNegative:     "{value} 为负数",
	csvin.CodeDaysNotWhole: "“{value}”不是整数天数",
	csvin.CodeDaysRange:    "{value} 不在 1～{max} 之内（{period} 的天数）",

	csvin.CodeXLS:          "是旧版 Excel .xls 文件：请另存为 .xlsx 或 CSV",
	csvin.CodeXLSXTooLarge: "工作簿大于 {mib} MiB：拒收（请改用 CSV，或拆分发票）",
	csvin.CodeXLSXBad:      "不是可读取的 .xlsx 工作簿（{detail}）",
	csvin.CodeXLSXUnzipped: "拒收：工作簿各部分解压后超过 {mib} MiB（工作簿的上限）",
	csvin.CodeXLSXRun:      "拒收：{part} 在第 {offset} 字节附近有超过 {kib} KiB 不含标记的文本（上限：一个单元格最多 {chars} 个字符）",
	csvin.CodeXLSXPart:     "拒收：{part}（{detail}）",
	csvin.CodeXLSXNoSheet:  "工作簿中没有工作表",
	csvin.CodeXLSXSheet:    "工作表“{sheet}”无法读取（{detail}）",
	csvin.CodeMergedHeader: "表头单元格 {range} 是合并单元格：请取消合并，使每列都有自己的列名",
	csvin.CodeMerged:       "单元格 {range} 是合并单元格：请取消合并，使每行都有自己的值",
	csvin.CodeXLSXRows:     "工作表超过 {max} 行（Excel 的上限）：拒收，未截断",
	csvin.CodeXLSXCell:     "单元格超过 {max} 个字符（Excel 的上限）：拒收",
	csvin.CodeXLSXColumns:  "表头行在 {column} 列有单元格，超出发票最多 {max} 列：拒收",
	csvin.CodeXLSXBeyond:   "{column} 列有值，超出表头的最后一列 {last}：每个值须在第 1 行有列名；拒收",
	csvin.CodeXLSXText:     "工作表的文本超过 {mib} MiB：拒收（请改用 CSV，或拆分发票）",
	csvin.CodeXLSXEmpty:    "第一个工作表“{sheet}”为空：第 1 行须写明列名（{required}）",
}

const (
	wholeFile   = "；文件须整体为 UTF-8 或 GB18030（可用 --encoding utf-8|gb18030 指定）"
	oneEncoding = "；一个文件须整体使用同一种编码"
	plainNumber = "：请写成 1234.5 这样的普通小数"
)

// InputText is code's Chinese text with {name} where a value goes ("" for a code
// without one).
func InputText(c csvin.Code) string {
	if t, ok := inputErrors[c]; ok {
		return t
	}
	return importErrors[c]
}

// InputMessage is what an input error says is wrong, in Chinese: its code's words with
// its values; an error without a code (an importer's own message) as written.
func InputMessage(e *csvin.Error) string {
	words := InputText(e.Code)
	if e.Code == "" || words == "" {
		return e.Msg
	}
	p := make(map[string]string, len(e.Params))
	for k, v := range e.Params {
		if name, ok := valueNames[k]; ok {
			v = name(v)
		}
		p[k] = printable(v)
	}
	if _, ok := p["at_line"]; ok {
		p["at"] = placeZh(e.Params)
	}
	return csvin.Expand(words, p)
}

// printable is v as it is when every character prints, else quoted (a file's control
// characters never reach a terminal or a page as such).
func printable(v string) string {
	for _, r := range v {
		if !unicode.IsPrint(r) {
			q := strconv.Quote(v)
			return q[1 : len(q)-1]
		}
	}
	return v
}

// InputError is one input error in Chinese with its place: 文件 F 第 L 行（记录 R），
// 第 N 列 “C”：what is wrong. The line is left out when the error concerns the whole
// file, the record and column when it concerns none.
func InputError(e *csvin.Error) string {
	var b strings.Builder
	b.WriteString("文件 " + printable(e.File))
	if e.Line > 0 {
		fmt.Fprintf(&b, " 第 %d 行", e.Line)
	}
	if r := InputRecord(e); r != "" {
		b.WriteString("（" + r + "）")
	}
	switch {
	case e.Column != "" && e.Field > 0:
		fmt.Fprintf(&b, "，第 %d 列 “%s”", e.Field, printable(e.Column))
	case e.Column != "":
		fmt.Fprintf(&b, "，列 “%s”", printable(e.Column))
	}
	b.WriteString("：" + InputMessage(e))
	return b.String()
}

// recordNouns name the parts of a record's key (csvin.Error.Key).
var recordNouns = map[string]string{
	"order":         "工单",
	"item":          "品目",
	"vendor":        "服务商",
	"period":        "月份",
	"department":    "部门",
	"project":       "项目",
	"year":          "年度",
	"resource type": "资源类型",
	"voucher":       "凭证",
	"effective":     "生效日期",
	"resource kind": "资源",
	"group":         "分组",
	"threshold":     "阈值",
}

// InputRecord names the record an input error concerns: its key in words ("工单 O1，品目
// ECS") when the key is data, else the record as the importer wrote it ("" for none).
func InputRecord(e *csvin.Error) string {
	if len(e.Key) == 0 {
		return printable(e.Record)
	}
	var parts []string
	for i := 0; i+1 < len(e.Key); i += 2 {
		parts = append(parts, Name(recordNouns, e.Key[i])+" "+printable(e.Key[i+1]))
	}
	return strings.Join(parts, "，")
}

// maxListed bounds the errors listed; the rest are counted.
const maxListed = 50

// InputErrors is err's input errors (csvin.Errors or one *csvin.Error, wrapped or not)
// in Chinese, one to a line, "共 N 处错误：" first when there are several; ok is false
// when err holds none.
func InputErrors(err error) (text string, ok bool) {
	var es csvin.Errors
	if !errors.As(err, &es) {
		var e *csvin.Error
		if !errors.As(err, &e) {
			return "", false
		}
		es = csvin.Errors{e}
	}
	if len(es) == 0 {
		return "", false
	}
	var b strings.Builder
	if len(es) > 1 {
		fmt.Fprintf(&b, "共 %d 处错误：", len(es))
	}
	for i, e := range es {
		if i == maxListed {
			fmt.Fprintf(&b, "\n……另有 %d 处", len(es)-maxListed)
			break
		}
		if len(es) > 1 {
			b.WriteString("\n")
		}
		b.WriteString(InputError(e))
	}
	return b.String(), true
}

// RefusedFile is the first line of the list of a refused input file's n errors (the
// command line's import commands; name: the file, or the files of one import): 文件 F
// 未受理，未存储任何内容：共 N 处错误：, the words of the portal's refused upload.
func RefusedFile(name string, n int) string {
	return fmt.Sprintf("文件 %s 未受理，未存储任何内容：共 %d 处错误：", printable(name), n)
}
