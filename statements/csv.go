package statements

import (
	"io"
	"strconv"

	"github.com/shopspring/decimal"

	"cloudbill/glossary"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/rating"
)

// CSVColumns returns the columns every statement CSV starts with (docs/formats.md, "Statement
// files"), one row per statement line.
func CSVColumns() []string {
	return []string{"period", "department_id", "vendor_id", "project_id", "category", "order_id",
		"item_code", "zone", "from", "to", "days", "days_in_month", "quantity", "unit_price", "amount", "kind"}
}

// csvExtra are the columns after them: the item's name and unit, the service mode, the
// month an adjustment corrects, and the line's note.
var csvExtra = []string{"item_name", "unit", "mode", "corrects", "note"}

// WriteCSV writes lines as a statement CSV: UTF-8 without BOM, a header row, one row a
// line, amounts rounded to the fen with a dot and no separators. There is no total row:
// the statement's total is the sum of the amount column.
func (m Month) WriteCSV(w io.Writer, ls []rating.Line) error {
	cw := csvout.NewWriter(w)
	header := append(CSVColumns(), csvExtra...)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	for _, l := range ls {
		row = row[:0]
		var from, to, days, dim string
		if !l.From.IsZero() {
			from, to = l.From.String(), l.To.String()
			days = strconv.Itoa(l.Days)
		}
		if l.DaysInMonth > 0 {
			dim = strconv.Itoa(l.DaysInMonth)
		}
		var corrects string
		if l.Corrects.Year != 0 {
			corrects = l.Corrects.String()
		}
		qty, unitPrice := l.Quantity.String(), price(l.UnitPrice)
		if l.Kind == rating.KindDeduction && l.Quantity.IsZero() && l.UnitPrice.IsZero() {
			qty, unitPrice = "", ""
		}
		row = append(row, l.Period.String(), string(l.Department), string(l.Vendor), string(l.Project),
			string(l.Category), string(l.Order), string(l.Item), string(l.Zone), from, to, days, dim,
			qty, unitPrice, money.Plain(l.Amount), string(l.Kind),
			m.itemName(l), m.itemUnit(l), string(l.Mode), corrects, m.Note(l))
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// Note is line l's note as the statement prints it: for a deduction, the glossary's
// words for its vendor's tiers, rate and the base it applies to; else the rated note's
// remarks in words (glossary.Note; a note stored as text prints as it is).
func (m Month) Note(l rating.Line) string {
	if l.Kind == rating.KindDeduction {
		for _, vd := range m.Deductions {
			if vd.Vendor == l.Vendor {
				return glossary.DeductionNote(vd, l.Quantity, l.Category)
			}
		}
	}
	return glossary.Note(l.Note)
}

// Explain is line l's calculation in one Chinese line (glossary.Explain with its
// catalog item and its vendor's deduction).
func (m Month) Explain(l rating.Line) string {
	var it glossary.Item
	if ci, ok := m.item(l); ok {
		it = glossary.ItemOf(ci)
	}
	var vd *rating.VendorDeduction
	if l.Kind == rating.KindDeduction {
		for i := range m.Deductions {
			if m.Deductions[i].Vendor == l.Vendor {
				vd = &m.Deductions[i]
			}
		}
	}
	return glossary.Explain(l, it, vd)
}

// price prints a unit price with at least two decimals and no trailing zeros beyond
// them (150.00, 109.90, 0.0008), whatever the scale it was stored with.
func price(d decimal.Decimal) string {
	if d.Equal(d.Round(2)) {
		return d.StringFixed(2)
	}
	return d.String()
}
