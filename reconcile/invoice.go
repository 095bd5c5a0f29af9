package reconcile

import (
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/catalog"
	"cloudbill/internal/calendar"
	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
	"cloudbill/internal/money"
)

// InvoiceSpec returns the columns of a vendor invoice (docs/formats.md): required and
// optional.
func InvoiceSpec() csvin.Spec {
	return csvin.Spec{
		Required: []string{"vendor_id", "period", "order_id", "item_code", "amount"},
		Optional: []string{"quantity", "days"},
	}
}

// Claim is one line of a vendor's invoice: what the vendor claims for one work order and
// catalog item in the month.
type Claim struct {
	Order  catalog.OrderID
	Item   catalog.ItemCode
	Amount decimal.Decimal
	// Quantity and Days are the vendor's figures when the invoice gives them (nil: not
	// given).
	Quantity *decimal.Decimal
	Days     *int
	// Line is the claim's line in the invoice file (the header is line 1).
	Line int
	// Repeats is the line of an earlier claim this one repeats in every column (0: none):
	// the vendor claimed the same thing twice.
	Repeats int
}

// Invoice is a vendor's invoice for one month.
type Invoice struct {
	File   string
	Vendor catalog.VendorID
	Period calendar.Period
	Claims []Claim // in file order
	// Encoding is what the file was read as ("UTF-8", "GB18030", "XLSX").
	Encoding string
}

// Expect is what the invoice being read must be: the vendor and the month reconciled.
type Expect struct {
	Vendor catalog.VendorID
	Period calendar.Period
}

// maxErrors bounds the errors collected from one file.
const maxErrors = 200

var plainDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// ReadInvoice reads a vendor invoice in CSV (UTF-8 with or without BOM, or GB18030) named
// file in errors. Every line must name the expected vendor and period; amounts are plain
// decimals ≥ 0 with at most two decimals; quantity is a decimal ≥ 0; days an integer from
// 1 to the days of the month. A line repeating an earlier line in every column is kept
// with Repeats naming that line (the vendor claimed it twice), and so is a second,
// different line for the same order and item: both reconcile as a duplicate claim. Only
// structural errors (columns, encoding, values, another vendor or month) refuse the file.
//
// On bad input it returns csvin.Errors (every problem found, each naming file, line and
// column) and no invoice.
func ReadInvoice(file string, r io.Reader, want Expect) (Invoice, error) {
	rd, err := csvin.Open(file, r, InvoiceSpec())
	if err != nil {
		var ce *csvin.Error
		if errors.As(err, &ce) {
			return Invoice{}, csvin.Errors{ce}
		}
		return Invoice{}, err
	}
	inv := Invoice{File: file, Vendor: want.Vendor, Period: want.Period}
	var errs csvin.Errors
	add := func(e *csvin.Error) bool {
		errs = append(errs, e)
		return len(errs) < maxErrors
	}
	seen := map[string]int{}
	for {
		row, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ce *csvin.Error
			if !errors.As(err, &ce) {
				return Invoice{}, err
			}
			if !add(ce) {
				break
			}
			continue
		}
		c, rowErrs := parseClaim(row, want)
		stop := false
		for _, e := range rowErrs {
			if !add(e) {
				stop = true
				break
			}
		}
		if stop {
			break
		}
		if len(rowErrs) > 0 {
			continue
		}
		q, d := "", ""
		if c.Quantity != nil {
			q = c.Quantity.String()
		}
		if c.Days != nil {
			d = strconv.Itoa(*c.Days)
		}
		key := strings.Join([]string{string(c.Order), string(c.Item), c.Amount.String(), q, d}, "\x00")
		if first, ok := seen[key]; ok {
			c.Repeats = first
		} else {
			seen[key] = row.Line
		}
		inv.Claims = append(inv.Claims, c)
	}
	if len(errs) > 0 {
		return Invoice{}, errs
	}
	inv.Encoding = rd.Encoding()
	return inv, nil
}

func parseClaim(row csvin.Row, want Expect) (Claim, []*csvin.Error) {
	var errs []*csvin.Error
	c := Claim{Line: row.Line}
	switch v := row.Get("vendor_id"); {
	case v == "":
		errs = append(errs, row.Coded("vendor_id", csvin.CodeVendorEmpty))
	case catalog.VendorID(v) != want.Vendor:
		errs = append(errs, row.Coded("vendor_id", csvin.CodeVendorOther, "vendor", v, "want", string(want.Vendor)))
	}
	switch v := row.Get("period"); {
	case v == "":
		errs = append(errs, row.Coded("period", csvin.CodePeriodEmpty))
	default:
		p, err := calendar.ParsePeriod(v)
		if err != nil {
			errs = append(errs, row.Coded("period", csvin.CodePeriodBad, "value", v))
		} else if p != want.Period {
			errs = append(errs, row.Coded("period", csvin.CodePeriodOther, "period", p.String(), "want", want.Period.String()))
		}
	}
	c.Order = catalog.OrderID(row.Get("order_id"))
	if c.Order == "" {
		errs = append(errs, row.Coded("order_id", csvin.CodeOrderEmpty))
	}
	c.Item = catalog.ItemCode(row.Get("item_code"))
	if c.Item == "" {
		errs = append(errs, row.Coded("item_code", csvin.CodeItemEmpty))
	}
	amount, code, kv := parseAmount(row.Get("amount"))
	if code != "" {
		errs = append(errs, row.Coded("amount", code, kv...))
	}
	c.Amount = amount
	if s := row.Get("quantity"); s != "" {
		q, code := parseDecimal(s)
		switch {
		case code != "":
			errs = append(errs, row.Coded("quantity", code, "value", s))
		case q.IsNegative():
			errs = append(errs, row.Coded("quantity", csvin.CodeNegative, "value", s))
		default:
			c.Quantity = &q
		}
	}
	if s := row.Get("days"); s != "" {
		d, err := strconv.Atoi(s)
		switch {
		case err != nil:
			errs = append(errs, row.Coded("days", csvin.CodeDaysNotWhole, "value", s))
		case d < 1 || d > want.Period.Days():
			errs = append(errs, row.Coded("days", csvin.CodeDaysRange, "value", strconv.Itoa(d), "max", strconv.Itoa(want.Period.Days()), "period", want.Period.String()))
		default:
			c.Days = &d
		}
	}
	for _, e := range errs {
		e.SetKey("order", string(c.Order), "item", string(c.Item))
	}
	return c, errs
}

// parseAmount reads a claimed amount: a plain decimal ≥ 0 with at most two decimals.
// The problem, when there is one, is a code and its values.
func parseAmount(s string) (decimal.Decimal, csvin.Code, []string) {
	if s == "" {
		return decimal.Zero, csvin.CodeAmountEmpty, nil
	}
	value := []string{"value", s}
	d, code := parseDecimal(s)
	switch {
	case code != "":
		return d, code, value
	case d.IsNegative():
		return d, csvin.CodeAmountNeg, value
	case !money.Round(d).Equal(d):
		return d, csvin.CodeAmountFen, value
	}
	return d, "", nil
}

// parseDecimal reads a plain decimal string ("1234.5"), naming the usual mistakes (a
// code whose value is s).
func parseDecimal(s string) (decimal.Decimal, csvin.Code) {
	if !plainDecimal.MatchString(s) {
		switch {
		case strings.Contains(s, ","):
			return decimal.Zero, csvin.CodeSeparator
		case strings.ContainsAny(s, "¥￥$元 "):
			return decimal.Zero, csvin.CodeCurrency
		}
		return decimal.Zero, csvin.CodeNotDecimal
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Zero, csvin.CodeNotDecimal
	}
	return d, ""
}

// WriteInvoiceCSV writes inv in the vendor invoice format (UTF-8, no BOM), the claims in
// their order; quantity and days are left empty where not given.
func WriteInvoiceCSV(w io.Writer, inv Invoice) error {
	cw := csvout.NewWriter(w)
	_ = cw.Write([]string{"vendor_id", "period", "order_id", "item_code", "amount", "quantity", "days"})
	for _, c := range inv.Claims {
		q, d := "", ""
		if c.Quantity != nil {
			q = c.Quantity.String()
		}
		if c.Days != nil {
			d = strconv.Itoa(*c.Days)
		}
		_ = cw.Write([]string{string(inv.Vendor), inv.Period.String(), string(c.Order), string(c.Item), money.Plain(c.Amount), q, d})
	}
	cw.Flush()
	return cw.Error()
}
