// Package xlsxout writes tables as Excel workbooks (.xlsx): the statements and the
// portal's on-screen tables as finance staff take them away. Text cells are stored as
// strings (never formulas); numbers as numbers; money with the format #,##0.00.
package xlsxout

import (
	"fmt"
	"io"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"cloudbill/internal/csvout"
)

// Cell is one cell: text, or a number (Num set), shown as money (two decimals, grouped)
// when Money.
type Cell struct {
	Text  string
	Num   *decimal.Decimal
	Money bool
}

// Text is a text cell.
func Text(s string) Cell { return Cell{Text: s} }

// Number is a numeric cell shown as stored.
func Number(d decimal.Decimal) Cell { return Cell{Num: &d} }

// Money is a numeric cell shown with two decimals.
func Money(d decimal.Decimal) Cell { return Cell{Num: &d, Money: true} }

// Table is one sheet: an optional title row, a header row, the rows, and an optional
// total row (set in bold).
type Table struct {
	Sheet   string
	Title   string
	Headers []string
	Rows    [][]Cell
	Total   []Cell
}

// Write writes the tables as one workbook, a sheet each, in order.
func Write(w io.Writer, tables ...Table) error {
	f := excelize.NewFile()
	defer f.Close()
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	boldMoney, err := f.NewStyle(&excelize.Style{NumFmt: 4, Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, t := range tables {
		name := t.Sheet
		if name == "" {
			name = fmt.Sprintf("Sheet%d", i+1)
		}
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		row := 1
		if t.Title != "" {
			if err := f.SetCellStr(name, "A1", t.Title); err != nil {
				return err
			}
			_ = f.SetCellStyle(name, "A1", "A1", bold)
			row = 2
		}
		for c, h := range t.Headers {
			ref, _ := excelize.CoordinatesToCellName(c+1, row)
			if err := f.SetCellStr(name, ref, h); err != nil {
				return err
			}
			_ = f.SetCellStyle(name, ref, ref, bold)
		}
		_ = f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: row, TopLeftCell: fmt.Sprintf("A%d", row+1), ActivePane: "bottomLeft"})
		put := func(r int, cells []Cell, total bool) error {
			for c, cell := range cells {
				ref, _ := excelize.CoordinatesToCellName(c+1, r)
				if cell.Num == nil {
					if err := f.SetCellStr(name, ref, cell.Text); err != nil {
						return err
					}
					if total {
						_ = f.SetCellStyle(name, ref, ref, bold)
					}
					continue
				}
				v, _ := cell.Num.Float64()
				if err := f.SetCellFloat(name, ref, v, -1, 64); err != nil {
					return err
				}
				switch {
				case cell.Money && total:
					_ = f.SetCellStyle(name, ref, ref, boldMoney)
				case cell.Money:
					_ = f.SetCellStyle(name, ref, ref, money)
				case total:
					_ = f.SetCellStyle(name, ref, ref, bold)
				}
			}
			return nil
		}
		for _, cells := range t.Rows {
			row++
			if err := put(row, cells, false); err != nil {
				return err
			}
		}
		if t.Total != nil {
			if err := put(row+1, t.Total, true); err != nil {
				return err
			}
		}
		for c := range t.Headers {
			col, _ := excelize.ColumnNumberToName(c + 1)
			_ = f.SetColWidth(name, col, col, 14)
		}
	}
	return f.Write(w)
}

// WriteCSV writes table t as CSV (title left out): the header, the rows and the total
// row, numbers as plain decimals, every cell neutralised against formulas (csvout).
func WriteCSV(w io.Writer, t Table) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(t.Headers); err != nil {
		return err
	}
	rec := make([]string, 0, len(t.Headers))
	put := func(cells []Cell) error {
		rec = rec[:0]
		for _, c := range cells {
			switch {
			case c.Num == nil:
				rec = append(rec, c.Text)
			case c.Money:
				rec = append(rec, c.Num.StringFixed(2))
			default:
				rec = append(rec, c.Num.String())
			}
		}
		return cw.Write(rec)
	}
	for _, cells := range t.Rows {
		if err := put(cells); err != nil {
			return err
		}
	}
	if t.Total != nil {
		if err := put(t.Total); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
