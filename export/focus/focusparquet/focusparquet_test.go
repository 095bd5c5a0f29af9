package focusparquet_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/export/focus"
	"cloudbill/export/focus/focusparquet"
	"cloudbill/internal/calendar"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func rows() []focus.Row {
	nov := calendar.MustPeriod("2026-11")
	q, p := dec("333.333333333333"), dec("0.39")
	neg := dec("-0.000000000001")
	return []focus.Row{
		{BilledCost: dec("130.00"), BillingAccountID: "V1", BillingAccountName: "中国电信 政务云结算账户", BillingAccountType: "服务商结算账户",
			BillingCurrency: "CNY", BillingPeriodStart: nov.Start(), BillingPeriodEnd: nov.End(), ChargeCategory: "Usage",
			ChargeDescription: "块存储 高效云盘（GB·月）", ChargeFrequency: "Recurring",
			ChargePeriodStart: calendar.MustDate("2026-11-11").Start(), ChargePeriodEnd: nov.End(),
			ConsumedQuantity: &q, ConsumedUnit: "GB·月", ContractedCost: dec("130.00"), ContractedUnitPrice: &p,
			EffectiveCost: dec("130.00"), InvoiceID: "JS202611-V1", InvoiceIssuerName: "中国电信", ListCost: dec("130.00"),
			ListUnitPrice: &p, PricingCategory: "Standard", PricingQuantity: &q, PricingUnit: "GB·月", ProviderName: "中国电信",
			PublisherName: "中国电信", RegionID: "internet", RegionName: "互联网业务区", ResourceID: "d-2", ResourceName: "d-2",
			ResourceType: "S01", ServiceCategory: "Storage", ServiceName: "块存储", SkuID: "S01", SkuPriceID: "S01@2026-01-01/internet",
			SubAccountID: "D01", SubAccountName: "区财政局", SubAccountType: "一级部门", XDepartmentID: "D01", XLineKind: "charge",
			XDays: 20, XDaysInMonth: 30, XZone: string(catalog.ZoneInternet)},
		{BilledCost: dec("-8.90"), BillingAccountID: "V1", BillingAccountName: "中国电信 政务云结算账户", BillingAccountType: "服务商结算账户",
			BillingCurrency: "CNY", BillingPeriodStart: nov.Start(), BillingPeriodEnd: nov.End(), ChargeCategory: "Credit",
			ChargeDescription: "验收扣减", ChargeFrequency: "Recurring", ChargePeriodStart: nov.Start(), ChargePeriodEnd: nov.End(),
			ContractedCost: dec("-8.90"), EffectiveCost: dec("-8.90"), ListCost: dec("-8.90"), ListUnitPrice: &neg,
			InvoiceIssuerName: "中国电信", ProviderName: "中国电信", PublisherName: "中国电信", ServiceCategory: "Other",
			ServiceName: "验收扣减", SubAccountID: "D01", SubAccountName: "区财政局", SubAccountType: "一级部门", XUnfunded: true},
	}
}

// TestParquetEqualsCSV reads the Parquet file back with parquet-go's generic reader (by
// the file's own schema, not cloudbill's types) and compares every cell with the CSV.
func TestParquetEqualsCSV(t *testing.T) {
	rs := rows()
	var pq, cs bytes.Buffer
	require.NoError(t, focusparquet.Write(&pq, rs))
	require.NoError(t, focus.WriteCSV(&cs, rs))

	f, err := parquet.OpenFile(bytes.NewReader(pq.Bytes()), int64(pq.Len()))
	require.NoError(t, err)
	schema := f.Schema()
	names := map[int]string{}
	for i, path := range schema.Columns() {
		names[i] = path[0]
	}
	leaf := map[string]parquet.Node{}
	for _, fld := range schema.Fields() {
		leaf[fld.Name()] = fld
	}
	r := parquet.NewReader(bytes.NewReader(pq.Bytes()))
	var got []map[string]string
	buf := make([]parquet.Row, 10)
	for {
		n, err := r.ReadRows(buf)
		for _, row := range buf[:n] {
			m := map[string]string{}
			for _, v := range row {
				name := names[v.Column()]
				m[name] = cell(t, leaf[name], v)
			}
			got = append(got, m)
		}
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
	}
	all, err := csv.NewReader(&cs).ReadAll()
	require.NoError(t, err)
	require.Len(t, got, len(all)-1)
	for i, rec := range all[1:] {
		for j, name := range all[0] {
			want := rec[j]
			if focus.ColumnType(name) == focus.TypeCost || focus.ColumnType(name) == focus.TypeDecimal {
				if want != "" {
					want = dec(want).String()
				}
			}
			assert.Equal(t, want, got[i][name], "row %d column %s", i+1, name)
		}
	}

	// The same rows give the same bytes.
	var again bytes.Buffer
	require.NoError(t, focusparquet.Write(&again, rs))
	assert.Equal(t, pq.Bytes(), again.Bytes())
}

// cell renders a Parquet value as the CSV does.
func cell(t *testing.T, n parquet.Node, v parquet.Value) string {
	t.Helper()
	if v.IsNull() {
		return ""
	}
	var lv format.LogicalTypeValue
	if lt := n.Type().LogicalType(); lt != nil {
		lv = lt.Value
	}
	dt, isDecimal := lv.(*format.DecimalType)
	_, isTime := lv.(*format.TimestampType)
	switch {
	case isDecimal:
		if v.Kind() == parquet.Int64 {
			return decimal.New(v.Int64(), -dt.Scale).String()
		}
		return focusparquet.Decimal16(v.ByteArray(), dt.Scale).String()
	case isTime:
		return time.UnixMilli(v.Int64()).UTC().Format(focus.TimeLayout)
	case v.Kind() == parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case v.Kind() == parquet.Int32:
		return strconv.Itoa(int(v.Int32()))
	}
	return string(v.ByteArray())
}
