package portal

// An invoice refused: its errors (csvin.Error: file, line, column, record and a code
// with its values) one to a line in Chinese, as the glossary says them
// (glossary.InputErrors); an error that is not the reader's as it is.

import "cloudbill/glossary"

// invoiceErrorZh is a refused invoice's errors, one to a line: 文件 F 第 L 行（记录 R），列
// "C"：what is wrong.
func invoiceErrorZh(err error) string {
	if s, ok := glossary.InputErrors(err); ok {
		return s
	}
	return err.Error()
}
