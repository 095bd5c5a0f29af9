package statements

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/internal/xlsxout"
	"cloudbill/rating"
)

// StatementWorkbook writes an issued statement CSV (the archived bytes) as an .xlsx
// workbook with Chinese headers: the same lines in the same order, codes of kinds,
// zones, categories and modes in their glossary names, quantities, prices and amounts as
// numbers, and a 合计 row under the amount column. It returns that total, the sum of the
// amount column: the statement's total. A CSV that is not a statement CSV is an error.
func StatementWorkbook(w io.Writer, statementCSV []byte, title string) (decimal.Decimal, error) {
	r := csv.NewReader(bytes.NewReader(statementCSV))
	recs, err := r.ReadAll()
	if err != nil {
		return decimal.Zero, fmt.Errorf("statement workbook: read CSV: %w", err)
	}
	if len(recs) == 0 {
		return decimal.Zero, fmt.Errorf("statement workbook: empty CSV")
	}
	header := recs[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	amountCol, ok := col["amount"]
	if !ok {
		return decimal.Zero, fmt.Errorf("statement workbook: no amount column")
	}
	names := map[string]func(string) string{
		"kind":     func(s string) string { return glossary.Kind(rating.Kind(s)) },
		"zone":     func(s string) string { return blankOr(s, glossary.Zone(catalog.Zone(s))) },
		"category": func(s string) string { return blankOr(s, glossary.Category(catalog.ProjectCategory(s))) },
		"mode":     func(s string) string { return blankOr(s, glossary.Mode(catalog.Mode(s))) },
	}
	numeric := map[string]bool{"days": true, "days_in_month": true, "quantity": true, "unit_price": true}
	t := xlsxout.Table{Sheet: "明细", Title: title, Headers: glossary.Headers(header)}
	total := decimal.Zero
	for n, rec := range recs[1:] {
		cells := make([]xlsxout.Cell, len(rec))
		for i, v := range rec {
			v = csvout.Restore(v)
			h := header[i]
			switch {
			case i == amountCol:
				d, err := decimal.NewFromString(v)
				if err != nil {
					return decimal.Zero, fmt.Errorf("statement workbook: line %d: amount %q: %w", n+2, v, err)
				}
				total = total.Add(d)
				cells[i] = xlsxout.Money(d)
			case numeric[h] && v != "":
				d, err := decimal.NewFromString(v)
				if err != nil {
					return decimal.Zero, fmt.Errorf("statement workbook: line %d: %s %q: %w", n+2, h, v, err)
				}
				cells[i] = xlsxout.Number(d)
			case names[h] != nil:
				cells[i] = xlsxout.Text(names[h](v))
			default:
				cells[i] = xlsxout.Text(v)
			}
		}
		t.Rows = append(t.Rows, cells)
	}
	t.Total = make([]xlsxout.Cell, len(header))
	t.Total[0] = xlsxout.Text(glossary.Total)
	t.Total[amountCol] = xlsxout.Money(money.Round(total))
	return total, xlsxout.Write(w, t)
}

func blankOr(code, name string) string {
	if code == "" {
		return ""
	}
	return name
}
