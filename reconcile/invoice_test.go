package reconcile

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"

	"cloudbill/internal/csvin"
	"cloudbill/rating"
)

var want = Expect{Vendor: "V1", Period: nov}

const header = "vendor_id,period,order_id,item_code,amount,quantity,days\n"

func TestReadInvoice(t *testing.T) {
	in := "\xef\xbb\xbf" + header +
		"V1,2026-11,O1,ECS-4C8G,1000.00,2,30\r\n" +
		"V1,2026-11,O2,ECS-4C8G,12.5,,\r\n" +
		"\r\n" +
		"V1,2026-11,O2,ECS-4C8G,12.5,1,\r\n"
	inv, err := ReadInvoice("inv.csv", strings.NewReader(in), want)
	require.NoError(t, err)
	require.Len(t, inv.Claims, 3)
	assert.Equal(t, "V1", string(inv.Vendor))
	assert.Equal(t, "UTF-8", inv.Encoding)
	c := inv.Claims[0]
	assert.Equal(t, 2, c.Line)
	assert.Equal(t, "1000", c.Amount.String())
	require.NotNil(t, c.Quantity)
	require.NotNil(t, c.Days)
	assert.Equal(t, "2", c.Quantity.String())
	assert.Equal(t, 30, *c.Days)
	assert.Nil(t, inv.Claims[1].Quantity)
	assert.Nil(t, inv.Claims[1].Days)
	assert.Equal(t, 5, inv.Claims[2].Line, "blank lines keep their line numbers")

	t.Run("round trip", func(t *testing.T) {
		var buf bytes.Buffer
		require.NoError(t, WriteInvoiceCSV(&buf, inv))
		again, err := ReadInvoice("again.csv", &buf, want)
		require.NoError(t, err)
		require.Len(t, again.Claims, 3)
		for i := range inv.Claims {
			assert.True(t, inv.Claims[i].Amount.Equal(again.Claims[i].Amount))
		}
	})
}

func TestReadInvoiceGB18030(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().String("vendor_id,period,order_id,item_code,amount,x_备注\n" +
		"V1,2026-11,工单-001,ECS-4C8G,500.00,云主机\n" +
		"V1,2026-11,工单-002,ECS-4C8G,五百,云主机\n")
	require.NoError(t, err)
	_, err = ReadInvoice("发票.csv", strings.NewReader(gb), want)
	require.Error(t, err, "the amount of line 3 is not a number")
	assert.EqualError(t, err, `发票.csv:3: order 工单-002, item ECS-4C8G: column "amount": "五百" is not a decimal number`)

	good := strings.Join(strings.Split(gb, "\n")[:2], "\n") + "\n"
	inv, err := ReadInvoice("发票.csv", strings.NewReader(good), want)
	require.NoError(t, err)
	require.Len(t, inv.Claims, 1)
	assert.Equal(t, "工单-001", string(inv.Claims[0].Order))
	assert.Equal(t, "GB18030", inv.Encoding)
}

func TestReadInvoiceBadInput(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string // every message, in order
	}{
		{"wrong vendor id", header + "V2,2026-11,O1,ECS,10,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "vendor_id": vendor "V2" is not the vendor being reconciled ("V1"): an invoice holds one vendor's claims`}},
		{"period mismatch", header + "V1,2026-10,O1,ECS,10,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "period": month 2026-10 is not the month being reconciled (2026-11)`}},
		{"period not a month", header + "V1,2026/11,O1,ECS,10,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "period": "2026/11" is not a month YYYY-MM`}},
		{"non-decimal amount", header + "V1,2026-11,O1,ECS,abc,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "amount": "abc" is not a decimal number`}},
		{"thousands separator", header + "V1,2026-11,O1,ECS,\"1,234.5\",,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "amount": "1,234.5" has a thousands separator or decimal comma: write a plain decimal such as 1234.5`}},
		{"currency sign", header + "V1,2026-11,O1,ECS,¥100,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "amount": "¥100" carries a currency sign or unit: write a plain decimal such as 1234.5`}},
		{"negative amount", header + "V1,2026-11,O1,ECS,-5.00,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "amount": -5.00 is negative: an invoice claims amounts of 0 or more`}},
		{"empty amount", header + "V1,2026-11,O1,ECS,,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "amount": is empty: every claim has an amount (write 0 for none)`}},
		{"sub-fen amount", header + "V1,2026-11,O1,ECS,1.005,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "amount": 1.005 has more than two decimals: amounts are in fen (0.01)`}},
		{"missing required column", "vendor_id,period,order_id,amount\nV1,2026-11,O1,10\n",
			[]string{`inv.csv:1: column "item_code": required column is missing from the header`}},
		{"unknown column", "vendor_id,period,order_id,item_code,amount,remark\n",
			[]string{`inv.csv:1: column "remark": unknown column (expected vendor_id, period, order_id, item_code, amount, quantity, days; extra columns must start with x_)`}},
		{"empty file", "", []string{`inv.csv: file is empty: a header row naming the columns is required`}},
		{"empty keys", header + "V1,2026-11,,,10,,\n",
			[]string{`inv.csv:2: column "order_id": is empty: every claim names its work order`,
				`inv.csv:2: column "item_code": is empty: every claim names its catalog item`}},
		{"bad quantity and days", header + "V1,2026-11,O1,ECS,10,two,31\nV1,2026-11,O2,ECS,10,-1,1.5\n",
			[]string{`inv.csv:2: order O1, item ECS: column "quantity": "two" is not a decimal number`,
				`inv.csv:2: order O1, item ECS: column "days": 31 is outside 1…30 (the days of 2026-11)`,
				`inv.csv:3: order O2, item ECS: column "quantity": -1 is negative`,
				`inv.csv:3: order O2, item ECS: column "days": "1.5" is not a whole number of days`}},
		{"wrong field count", header + "V1,2026-11,O1,ECS,10\n",
			[]string{`inv.csv:2: has 5 fields, the header has 7`}},
		{"every bad line reported", header + "V2,2026-11,O1,ECS,10,,\nV1,2026-11,O2,ECS,10,,\nV1,2026-12,O3,ECS,x,,\n",
			[]string{`inv.csv:2: order O1, item ECS: column "vendor_id": vendor "V2" is not the vendor being reconciled ("V1"): an invoice holds one vendor's claims`,
				`inv.csv:4: order O3, item ECS: column "period": month 2026-12 is not the month being reconciled (2026-11)`,
				`inv.csv:4: order O3, item ECS: column "amount": "x" is not a decimal number`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := ReadInvoice("inv.csv", strings.NewReader(c.in), want)
			require.Error(t, err)
			assert.Empty(t, inv.Claims, "nothing is returned from a bad invoice")
			var errs csvin.Errors
			require.ErrorAs(t, err, &errs, "input errors are csvin.Errors (exit status 2)")
			var got []string
			for _, e := range errs {
				got = append(got, e.Error())
			}
			assert.Equal(t, c.want, got)
		})
	}
}

// FuzzReadInvoice: any input either reads, with claims that obey the format's rules and
// survive a write and a re-read, or fails with input errors naming the file.
func FuzzReadInvoice(f *testing.F) {
	f.Add(header + "V1,2026-11,O1,ECS,1000.00,2,30\n")
	f.Add(header + "V1,2026-11,O1,ECS,\"1,234.5\",,\n")
	f.Add("\xef\xbb\xbfvendor_id,period,order_id,item_code,amount\nV1,2026-11,O,I,0\n")
	f.Add(header + "V1,2026-11,O1,ECS,10,1,30\nV1,2026-11,O1,ECS,10,1,30\n")
	f.Fuzz(func(t *testing.T, in string) {
		inv, err := ReadInvoice("f.csv", strings.NewReader(in), want)
		if err != nil {
			var errs csvin.Errors
			require.ErrorAs(t, err, &errs)
			for _, e := range errs {
				assert.Equal(t, "f.csv", e.File)
			}
			return
		}
		for _, c := range inv.Claims {
			assert.False(t, c.Amount.IsNegative())
			assert.True(t, c.Amount.Equal(c.Amount.Round(2)))
			assert.NotEmpty(t, c.Order)
			assert.NotEmpty(t, c.Item)
		}
		var buf bytes.Buffer
		require.NoError(t, WriteInvoiceCSV(&buf, inv))
		again, err := ReadInvoice("again.csv", &buf, want)
		require.NoError(t, err, "a written invoice reads back")
		require.Len(t, again.Claims, len(inv.Claims))
		for i := range inv.Claims {
			assert.True(t, inv.Claims[i].Amount.Equal(again.Claims[i].Amount))
			assert.Equal(t, inv.Claims[i].Order, again.Claims[i].Order)
		}
	})
}

// A vendor that repeats a line exactly has claimed it twice: the invoice is read (the
// bureau cannot edit it), the copy names the line it repeats, and reconciliation counts
// it in what is claimed as a duplicate claim, never in what is payable.
func TestRepeatedInvoiceLineIsADuplicateClaim(t *testing.T) {
	in := header + "V1,2026-11,O1,ECS,10,1,30\nV1,2026-11,O2,ECS,10,1,30\nV1,2026-11,O1,ECS,10.00,1.0,30\n"
	inv, err := ReadInvoice("inv.csv", strings.NewReader(in), want)
	require.NoError(t, err, "an exact repeat is a claim, not a structural error")
	require.Len(t, inv.Claims, 3)
	assert.Equal(t, []int{0, 0, 2}, []int{inv.Claims[0].Repeats, inv.Claims[1].Repeats, inv.Claims[2].Repeats})

	lines := []rating.Line{
		ln(rating.KindCharge, "O1", "ECS", "1", "10", 1, 30),
		ln(rating.KindCharge, "O2", "ECS", "1", "10", 1, 30),
	}
	res, err := Reconcile(inv, Params{Vendor: "V1", Period: nov, Lines: lines})
	require.NoError(t, err)
	var dups []Row
	for _, r := range res.Rows {
		if r.Class == DuplicateClaim {
			dups = append(dups, r)
		} else {
			assert.Equal(t, Match, r.Class, "line %d", r.InvoiceLine)
		}
	}
	require.Len(t, dups, 1)
	assert.Equal(t, 4, dups[0].InvoiceLine)
	assert.Equal(t, []Reason{ReasonDuplicate}, dups[0].Reasons)
	assert.Contains(t, strings.Join(dups[0].Explanation, "；"), "claimed twice")
	assert.Contains(t, strings.Join(dups[0].Explanation, "；"), "第 2 行")
	assert.Equal(t, "30", res.Claimed.String(), "claimed counts the copy")
	assert.Equal(t, "20", res.Ours.String(), "accepted excludes the copy")
	assert.Equal(t, "10", res.Difference.String())
	assert.Equal(t, "20", res.Net.String(), "payable excludes the copy")
}
