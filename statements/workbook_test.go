package statements

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"testing"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
)

// TestStatementWorkbook: each golden statement CSV as .xlsx opens with excelize, has the
// Chinese headers, the same number of lines, and a 合计 equal to the CSV's amount column.
func TestStatementWorkbook(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.csv"))
	require.NoError(t, err)
	more, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.csv"))
	files = append(files, more...)
	require.NotEmpty(t, files)
	for _, path := range files {
		t.Run(path, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			recs, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
			require.NoError(t, err)
			want := decimal.Zero
			for _, r := range recs[1:] {
				want = want.Add(decimal.RequireFromString(r[14])) // amount
			}
			var buf bytes.Buffer
			total, err := StatementWorkbook(&buf, raw, "测试账单")
			require.NoError(t, err)
			assert.True(t, want.Equal(total), "total %s, want %s", total, want)

			f, err := excelize.OpenReader(&buf)
			require.NoError(t, err)
			rows, err := f.GetRows("明细")
			require.NoError(t, err)
			require.Len(t, rows, len(recs)+2, "title, header, lines, total")
			assert.Equal(t, "账期", rows[1][0])
			assert.Equal(t, "金额（元）", rows[1][14])
			last := rows[len(rows)-1]
			assert.Equal(t, "合计", last[0])
			// the shown total (#,##0.00) read back equals the statement's
			cell, err := f.GetCellValue("明细", "O"+itoa(len(rows)), excelize.Options{RawCellValue: true})
			require.NoError(t, err)
			assert.True(t, decimal.RequireFromString(cell).Equal(want), "xlsx total %s, want %s", cell, want)
			for i, r := range recs[1:] {
				if r[15] == "deduction" {
					assert.Equal(t, "验收扣减", rows[i+2][15])
				}
			}
		})
	}
	_, err = StatementWorkbook(&bytes.Buffer{}, []byte("a,b\n1,2\n"), "")
	assert.EqualError(t, err, "statement workbook: no amount column")
}

func itoa(n int) string { return decimal.NewFromInt(int64(n)).String() }
