package reconcile

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
	"cloudbill/internal/safeid"
)

// reportColumns are the columns of reconcile-<vendor>-<period>.csv.
var reportColumns = []string{
	"vendor_id", "period", "order_id", "item_code", "invoice_line", "class",
	"vendor_amount", "our_amount", "difference",
	"vendor_quantity", "our_quantity", "vendor_days", "our_days", "our_unit_price",
	"unfunded_amount", "reasons", "explanation",
}

// FileName is the base name of the reconciliation's files without extension:
// reconcile-<vendor>-<period>, the vendor id mapped by safeid.FileName (one path element,
// injective: a vendor id such as "x/../../y" cannot lead outside the output folder).
func FileName(r Result) string {
	return fmt.Sprintf("reconcile-%s-%s", safeid.FileName(string(r.Vendor)), r.Period)
}

// WriteCSV writes one row per line of r in r.Rows order (UTF-8, no BOM): amounts with
// two decimals; reasons are codes separated by ";"; the explanation is Chinese text, its
// sentences separated by "；". The same result always gives the same bytes.
func WriteCSV(w io.Writer, r Result) error {
	cw := csvout.NewWriter(w)
	if err := cw.Write(reportColumns); err != nil {
		return err
	}
	for _, row := range r.Rows {
		line := ""
		if row.InvoiceLine > 0 {
			line = strconv.Itoa(row.InvoiceLine)
		}
		reasons := make([]string, len(row.Reasons))
		for i, x := range row.Reasons {
			reasons[i] = string(x)
		}
		unfunded := ""
		if !row.Unfunded.IsZero() {
			unfunded = money.Plain(row.Unfunded)
		}
		rec := []string{
			string(r.Vendor), r.Period.String(), string(row.Order), string(row.Item), line, string(row.Class),
			money.Plain(row.Vendor), money.Plain(row.Ours), money.Plain(row.Difference),
			decPtr(row.VendorQuantity), decPtr(row.OurQuantity), intPtr(row.VendorDays), intZero(row.OurDays), pricePtr(row.OurUnitPrice),
			unfunded, strings.Join(reasons, ";"), strings.Join(row.Explanation, "；"),
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func decPtr(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return d.String()
}

func pricePtr(d *decimal.Decimal) string {
	if d == nil {
		return ""
	}
	return priceText(*d)
}

// priceText formats a unit price with two decimals, or more when it has more.
func priceText(d decimal.Decimal) string {
	if money.Round(d).Equal(d) {
		return money.Plain(d)
	}
	return d.String()
}

func intPtr(n *int) string {
	if n == nil {
		return ""
	}
	return strconv.Itoa(*n)
}

func intZero(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// ClassZh is a class's name in the Chinese report.
func ClassZh(c Class) string {
	switch c {
	case Match:
		return "一致"
	case AmountDiffers:
		return "金额不一致"
	case OnlyVendor:
		return "仅服务商申报"
	case OnlyOurs:
		return "仅平台计费"
	case DuplicateClaim:
		return "重复申报"
	}
	return string(c)
}
