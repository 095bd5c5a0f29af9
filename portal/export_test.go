package portal_test

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// xlsxTotal opens a workbook with excelize and returns its 合计 row's amount (the raw
// cell value in column col) and the header row.
func xlsxTotal(t *testing.T, body []byte, sheet string, col int) (decimal.Decimal, []string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(body))
	require.NoError(t, err)
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(rows), 3)
	last := rows[len(rows)-1]
	require.Equal(t, "合计", last[0])
	require.Greater(t, len(last), col)
	return decimal.RequireFromString(last[col]), rows[1]
}

func download(t *testing.T, c *client, path string) (string, []byte) {
	t.Helper()
	res, err := c.Get(c.base + path)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode, "%s: %s", path, b)
	return res.Header.Get("Content-Type"), b
}

// TestStatementXLSX: every department statement (and a vendor's, and the summary) as
// .xlsx opens with excelize, has Chinese headers, and its total equals the statement's.
func TestStatementXLSX(t *testing.T) {
	f := setup(t)
	fin := f.signIn(t, f.fin)
	for kind, totals := range map[string]map[string]decimal.Decimal{"departments": f.statementTotals("departments"), "vendors": f.statementTotals("vendors")} {
		n := 0
		for id, want := range totals {
			ctype, body := download(t, fin, "/api/v1/statements/"+period.String()+"/"+kind+"/"+url.PathEscape(id)+".xlsx")
			assert.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ctype)
			got, header := xlsxTotal(t, body, "明细", 14)
			assert.True(t, want.Equal(got), "%s %s: xlsx total %s, statement %s", kind, id, got, want)
			assert.Equal(t, "金额（元）", header[14])
			if n++; n == 8 {
				break
			}
		}
	}
	_, body := download(t, fin, "/api/v1/statements/"+period.String()+"/summary.xlsx")
	got, _ := xlsxTotal(t, body, "明细", 14)
	sum := decimal.Zero
	for _, r := range f.statementCSV("", "summary") {
		sum = sum.Add(decimal.RequireFromString(r["amount"]))
	}
	assert.True(t, sum.Equal(got), "summary xlsx total %s, summary statement %s", got, sum)
	// a department gets its own, not another's
	dep := f.signIn(t, f.dep)
	status, _ := dep.get(t, "/api/v1/statements/"+period.String()+"/departments/"+url.PathEscape(string(f.foreignDep))+".xlsx")
	assert.Contains(t, []int{403, 404}, status)
}

// TestBreakdownExport: the on-screen breakdown as .xlsx and as CSV with a BOM, Chinese
// headers, a total equal to the department statement.
func TestBreakdownExport(t *testing.T) {
	f := setup(t)
	dep := f.signIn(t, f.dep)
	want := f.statementTotals("departments")[string(f.depID)]
	q := "/api/v1/breakdown?period=" + period.String() + "&department=" + url.QueryEscape(string(f.depID))
	_, body := download(t, dep, q+"&format=xlsx")
	got, header := xlsxTotal(t, body, "费用明细", 17)
	assert.True(t, want.Equal(got), "xlsx total %s, statement %s", got, want)
	assert.Equal(t, "计算说明", header[18])
	ctype, csv := download(t, dep, q+"&format=csv&bom=1")
	assert.Equal(t, "text/csv; charset=utf-8", ctype)
	require.True(t, bytes.HasPrefix(csv, []byte("\uFEFF")), "a byte-order mark for Excel")
	lines := strings.Split(strings.TrimSpace(string(csv[3:])), "\n")
	assert.True(t, strings.HasPrefix(lines[0], "部门,项目编号,项目,"), lines[0])
	assert.True(t, strings.HasPrefix(lines[len(lines)-1], "合计,"), "a total row")
	assert.Contains(t, lines[len(lines)-1], ","+want.StringFixed(2)+",")
	_, plain := download(t, dep, q+"&format=csv")
	assert.False(t, bytes.HasPrefix(plain, []byte("\uFEFF")), "no BOM unless asked")
	status, body2 := dep.get(t, q+"&format=docx")
	assert.Equal(t, 400, status)
	assert.Contains(t, body2, `"code":"bad_format"`)
}
