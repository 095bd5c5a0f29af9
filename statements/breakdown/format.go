package breakdown

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
)

// Yuan is an amount rounded to the fen; JSON writes it as a string with two decimals.
type Yuan struct{ decimal.Decimal }

func (y Yuan) MarshalJSON() ([]byte, error) { return json.Marshal(money.Plain(y.Decimal)) }

// Writer prints a breakdown in format "table", "csv" or "json"; false for another
// format.
func Writer(format string) (func(io.Writer, Report) error, bool) {
	switch format {
	case "table":
		return WriteTable, true
	case "csv":
		return WriteCSV, true
	case "json":
		return WriteJSON, true
	}
	return nil, false
}

func WriteJSON(w io.Writer, b Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(b)
}

// columns are the CSV columns. level=line rows carry amount (rounded; their sum
// is the total); level=day rows carry day_amount (unrounded).
var columns = []string{"level", "period", "department_id", "project_id", "category", "order_id", "vendor_id",
	"item_code", "kind", "zone", "mode", "from", "to", "date", "days", "days_in_month", "quantity", "unit_price",
	"amount", "day_amount", "corrects", "note"}

func WriteCSV(w io.Writer, b Report) error {
	cw := csvout.NewWriter(w)
	_ = cw.Write(columns)
	for _, u := range b.Units {
		for _, p := range u.Projects {
			for _, o := range p.Orders {
				for _, l := range o.Lines {
					row := []string{"line", b.Period, u.ID, p.ID, p.Category, o.ID, o.Vendor, l.Item, l.Kind, l.Zone, l.Mode,
						l.From, l.To, "", strconv.Itoa(l.Days), strconv.Itoa(l.DaysInMonth), orBlank(l.Quantity),
						orBlank(l.UnitPrice), money.Plain(l.Amount.Decimal), "", l.Corrects, l.Note}
					_ = cw.Write(row)
					for _, d := range l.Daily {
						_ = cw.Write([]string{"day", b.Period, u.ID, p.ID, p.Category, o.ID, o.Vendor, l.Item, l.Kind, l.Zone, l.Mode,
							"", "", d.Date, "1", strconv.Itoa(l.DaysInMonth), l.Quantity.String(), l.UnitPrice.String(),
							"", d.Amount.String(), "", ""})
					}
				}
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func WriteTable(w io.Writer, b Report) error {
	var sb strings.Builder
	status := "closed, final"
	switch {
	case b.MonthToDate:
		status = "provisional, month to date through " + b.Through
	case !b.Final():
		status = "provisional"
	}
	fmt.Fprintf(&sb, "Breakdown of %s %s for %s: %s (run %s)\n", b.Department, b.Name, b.Period, status, b.RunID)
	if len(b.Units) > 1 {
		names := make([]string, 0, len(b.Units)-1)
		for _, u := range b.Units[1:] {
			names = append(names, u.ID+" "+u.Name)
		}
		fmt.Fprintf(&sb, "Subordinate units included: %s\n", strings.Join(names, ", "))
	}
	const lineFmt = "      %-14s %-10s %-9s %-10s %-10s %7s %12s %12s %14s\n"
	for _, u := range b.Units {
		fmt.Fprintf(&sb, "\n== %s %s: %s\n", u.ID, u.Name, money.Grouped(u.Total.Decimal))
		if len(u.Projects) == 0 {
			fmt.Fprintf(&sb, "  (no charges)\n")
		}
		for _, p := range u.Projects {
			if p.ID == "" {
				fmt.Fprintf(&sb, "  no project (deductions): %s\n", money.Grouped(p.Total.Decimal))
			} else {
				fmt.Fprintf(&sb, "  project %s %s (%s): %s\n", p.ID, p.Name, p.Category, money.Grouped(p.Total.Decimal))
			}
			for _, o := range p.Orders {
				if o.ID == "" {
					fmt.Fprintf(&sb, "    vendor %s, no work order: %s\n", o.Vendor, money.Grouped(o.Total.Decimal))
				} else {
					fmt.Fprintf(&sb, "    order %s, vendor %s: %s\n", o.ID, o.Vendor, money.Grouped(o.Total.Decimal))
				}
				fmt.Fprintf(&sb, lineFmt, "item", "kind", "zone", "from", "to", "days", "quantity", "unit price", "amount")
				for _, l := range o.Lines {
					days := ""
					if l.Days > 0 {
						days = fmt.Sprintf("%d/%d", l.Days, l.DaysInMonth)
					}
					fmt.Fprintf(&sb, lineFmt, l.Item, l.Kind, l.Zone, l.From, l.To, days, orBlank(l.Quantity),
						orBlank(l.UnitPrice), money.Grouped(l.Amount.Decimal))
					if l.Corrects != "" {
						fmt.Fprintf(&sb, "        corrects %s\n", l.Corrects)
					}
					if l.Note != "" {
						fmt.Fprintf(&sb, "        %s\n", l.Note)
					}
					if l.Explanation != "" {
						fmt.Fprintf(&sb, "        %s\n", l.Explanation)
					}
					writeDays(&sb, l.Daily)
				}
			}
		}
	}
	fmt.Fprintf(&sb, "\nTotal %s %s\n", b.Period, money.Grouped(b.Total.Decimal))
	fmt.Fprintf(&sb, "(line amounts are rounded once to the fen and add up to the totals; daily amounts are unrounded)\n")
	_, err := io.WriteString(w, sb.String())
	return err
}

// orBlank writes a quantity or a price, or nothing for zero (lines without one, such as
// adjustments).
func orBlank(d decimal.Decimal) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}

// writeDays prints daily amounts, a run of consecutive days with the same amount on one
// row ("2026-11-01 … 2026-11-29  29 × 6.666667").
func writeDays(sb *strings.Builder, days []Day) {
	for i := 0; i < len(days); {
		j := i + 1
		for j < len(days) && days[j].Amount.Equal(days[i].Amount) {
			j++
		}
		if j-i == 1 {
			fmt.Fprintf(sb, "        %s %37s\n", days[i].Date, days[i].Amount.StringFixed(6))
		} else {
			fmt.Fprintf(sb, "        %s … %s %9s %14s\n", days[i].Date, days[j-1].Date, fmt.Sprintf("%d ×", j-i), days[i].Amount.StringFixed(6))
		}
		i = j
	}
}
