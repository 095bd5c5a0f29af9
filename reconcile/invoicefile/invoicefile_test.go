package invoicefile

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	"cloudbill/reconcile"
)

var want = reconcile.Expect{Vendor: "V1", Period: calendar.MustPeriod("2026-11")}

// workbook builds an .xlsx in memory: rows from A1 on the first sheet, then edit.
func workbook(t *testing.T, rows [][]any, edit func(f *excelize.File, sheet string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sheet := f.GetSheetList()[0]
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		require.NoError(t, err)
		require.NoError(t, f.SetSheetRow(sheet, cell, &r))
	}
	if edit != nil {
		edit(f, sheet)
	}
	var buf bytes.Buffer
	require.NoError(t, f.Write(&buf))
	return buf.Bytes()
}

var head = []any{"vendor_id", "period", "order_id", "item_code", "amount", "quantity", "days", "x_备注"}

func TestReadXLSX(t *testing.T) {
	data := workbook(t, [][]any{
		head,
		{"V1", "2026-11", "工单-001", "ECS-4C8G", 1234.5, 2, 30, "云主机"},
		{},
		{"V1", 46327, "工单-002", "ECS-4C8G", 0, nil, nil, nil}, // period typed as a date: 2026-11-01
		{"V1", "2026-11", "工单-003", "EVS-SSD", "99.90"},
	}, func(f *excelize.File, sheet string) {
		// a number as Excel stores a sum with binary noise (17 digits)
		require.NoError(t, f.SetCellDefault(sheet, "E4", "1234.4999999999998"))
		// an order id typed as a number is taken as stored, never rounded
		require.NoError(t, f.SetCellDefault(sheet, "C5", "20260000000000123"))
		style, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00: displayed 1,234.50
		require.NoError(t, err)
		require.NoError(t, f.SetCellStyle(sheet, "E2", "E4", style))
		dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 17}) // mmm-yy
		require.NoError(t, err)
		require.NoError(t, f.SetCellStyle(sheet, "B4", "B4", dateStyle))
	})
	path := filepath.Join(t.TempDir(), "发票.xlsx")
	require.NoError(t, os.WriteFile(path, data, 0o644))

	inv, err := Read(path, want)
	require.NoError(t, err)
	assert.Equal(t, "XLSX", inv.Encoding)
	require.Len(t, inv.Claims, 3)
	got := make([]string, len(inv.Claims))
	for i, c := range inv.Claims {
		got[i] = strings.Join([]string{string(c.Order), c.Amount.String()}, " ")
	}
	assert.Equal(t, []string{"工单-001 1234.5", "工单-002 1234.5", "20260000000000123 99.9"}, got)
	assert.Equal(t, []int{2, 4, 5}, []int{inv.Claims[0].Line, inv.Claims[1].Line, inv.Claims[2].Line}, "row numbers are line numbers")
	require.NotNil(t, inv.Claims[0].Days)
	assert.Equal(t, 30, *inv.Claims[0].Days)
	assert.Nil(t, inv.Claims[1].Days)
}

func TestReadCSVByContent(t *testing.T) {
	inv, err := ReadFrom("inv.xlsx", strings.NewReader("vendor_id,period,order_id,item_code,amount\nV1,2026-11,O1,ECS,10\n"), want)
	require.NoError(t, err, "a CSV named .xlsx is read as CSV")
	assert.Len(t, inv.Claims, 1)
}

func TestReadXLSXBadInput(t *testing.T) {
	cases := []struct {
		name string
		data func(t *testing.T) []byte
		want []string
	}{
		{"merged header cells", func(t *testing.T) []byte {
			return workbook(t, [][]any{head, {"V1", "2026-11", "O1", "ECS", 10}}, func(f *excelize.File, s string) {
				require.NoError(t, f.MergeCell(s, "E1", "F1"))
			})
		}, []string{`inv.xlsx:1: header cells E1:F1 are merged: unmerge them so that every column has its own header cell`}},
		{"merged data cells", func(t *testing.T) []byte {
			return workbook(t, [][]any{head, {"V1", "2026-11", "O1", "ECS", 10}, {"V1", "2026-11", "O2", "ECS", 10}}, func(f *excelize.File, s string) {
				require.NoError(t, f.MergeCell(s, "A2", "A3"))
			})
		}, []string{`inv.xlsx:2: cells A2:A3 are merged: unmerge them so that every line has its own values`}},
		{"empty sheet", func(t *testing.T) []byte { return workbook(t, nil, nil) },
			[]string{`inv.xlsx: the first sheet "Sheet1" is empty: row 1 must name the columns (vendor_id, period, order_id, item_code, amount)`}},
		{"only the first sheet counts", func(t *testing.T) []byte {
			return workbook(t, nil, func(f *excelize.File, s string) {
				_, err := f.NewSheet("账单")
				require.NoError(t, err)
				require.NoError(t, f.SetSheetRow("账单", "A1", &head))
			})
		}, []string{`inv.xlsx: the first sheet "Sheet1" is empty: row 1 must name the columns (vendor_id, period, order_id, item_code, amount)`}},
		{"amount typed as text with a separator", func(t *testing.T) []byte {
			return workbook(t, [][]any{head, {"V1", "2026-11", "O1", "ECS", 10}, {"V1", "2026-11", "O2", "ECS", "1,234.5"}}, nil)
		}, []string{`inv.xlsx:3: order O2, item ECS: column "amount": "1,234.5" has a thousands separator or decimal comma: write a plain decimal such as 1234.5`}},
		{"wrong vendor and month", func(t *testing.T) []byte {
			return workbook(t, [][]any{head, {}, {"V9", "2026-12", "O1", "ECS", 10}}, nil)
		}, []string{`inv.xlsx:3: order O1, item ECS: column "vendor_id": vendor "V9" is not the vendor being reconciled ("V1"): an invoice holds one vendor's claims`,
			`inv.xlsx:3: order O1, item ECS: column "period": month 2026-12 is not the month being reconciled (2026-11)`}},
		{"negative amount", func(t *testing.T) []byte {
			return workbook(t, [][]any{head, {"V1", "2026-11", "O1", "ECS", -3.5}}, nil)
		}, []string{`inv.xlsx:2: order O1, item ECS: column "amount": -3.5 is negative: an invoice claims amounts of 0 or more`}},
		{"missing column", func(t *testing.T) []byte {
			return workbook(t, [][]any{{"vendor_id", "period", "order_id", "item_code"}, {"V1", "2026-11", "O1", "ECS"}}, nil)
		}, []string{`inv.xlsx:1: column "amount": required column is missing from the header`}},
		{"old xls", func(t *testing.T) []byte {
			return append([]byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"), make([]byte, 512)...)
		},
			[]string{`inv.xlsx: is an old Excel .xls workbook: save it as .xlsx or CSV`}},
		{"broken workbook", func(t *testing.T) []byte { return []byte("PK\x03\x04 not really a zip") },
			nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := ReadFrom("inv.xlsx", bytes.NewReader(c.data(t)), want)
			require.Error(t, err)
			assert.Empty(t, inv.Claims)
			var errs csvin.Errors
			require.ErrorAs(t, err, &errs, "input errors are csvin.Errors (exit status 2)")
			if c.want == nil {
				assert.Contains(t, err.Error(), "inv.xlsx: is not a readable .xlsx workbook")
				return
			}
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			assert.Equal(t, c.want, got)
		})
	}
}
