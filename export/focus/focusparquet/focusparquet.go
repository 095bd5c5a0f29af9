// Package focusparquet writes a FOCUS dataset (package focus) as a Parquet file with
// github.com/parquet-go/parquet-go: costs as DECIMAL(18,2), prices and quantities as
// DECIMAL(38,12), date-times as UTC timestamps in milliseconds, text as UTF-8 strings,
// nulls as Parquet nulls. The cells are those of the CSV (focus.Row.Values), so both
// files hold the same figures; the file is the same bytes for the same rows.
package focusparquet

import (
	"fmt"
	"io"
	"math/big"
	"strconv"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"
	"github.com/shopspring/decimal"

	"cloudbill/export/focus"
)

// Scales of the decimal columns.
const (
	CostScale    = 2
	DecimalScale = 12
)

// Schema is the dataset's Parquet schema.
func Schema() *parquet.Schema {
	g := parquet.Group{}
	for _, name := range focus.Columns() {
		var n parquet.Node
		switch focus.ColumnType(name) {
		case focus.TypeCost:
			n = parquet.Decimal(CostScale, 18, parquet.Int64Type)
		case focus.TypeDecimal:
			n = parquet.Decimal(DecimalScale, 38, parquet.FixedLenByteArrayType(16))
		case focus.TypeDateTime:
			n = parquet.Timestamp(parquet.Millisecond)
		case focus.TypeBool:
			n = parquet.Leaf(parquet.BooleanType)
		case focus.TypeInt:
			n = parquet.Int(32)
		default:
			n = parquet.String()
		}
		if focus.Nullable(name) {
			n = parquet.Optional(n)
		}
		g[name] = parquet.Compressed(n, &zstd.Codec{Level: zstd.SpeedDefault})
	}
	return parquet.NewSchema("focus_cost_and_usage", g)
}

// Write writes rows to w as one Parquet file.
func Write(w io.Writer, rows []focus.Row) error {
	schema := Schema()
	pw := parquet.NewWriter(w, schema, parquet.CreatedBy("cloudbill", focus.Version, ""))
	index := map[string]int{}
	for i, path := range schema.Columns() {
		index[path[0]] = i
	}
	cols := focus.Columns()
	buf := make([]parquet.Row, 0, 1024)
	for n, r := range rows {
		vals := r.Values()
		row := make(parquet.Row, len(cols))
		for i, name := range cols {
			v, err := value(name, vals[i])
			if err != nil {
				return fmt.Errorf("focus parquet: row %d column %s: %w", n+1, name, err)
			}
			col := index[name]
			if v.IsNull() {
				row[col] = v.Level(0, 0, col)
			} else if focus.Nullable(name) {
				row[col] = v.Level(0, 1, col)
			} else {
				row[col] = v.Level(0, 0, col)
			}
		}
		buf = append(buf, row)
		if len(buf) == cap(buf) {
			if _, err := pw.WriteRows(buf); err != nil {
				return fmt.Errorf("focus parquet: %w", err)
			}
			buf = buf[:0]
		}
	}
	if _, err := pw.WriteRows(buf); err != nil {
		return fmt.Errorf("focus parquet: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("focus parquet: %w", err)
	}
	return nil
}

// value converts one CSV cell of column name to its Parquet value ("" is null).
func value(name, cell string) (parquet.Value, error) {
	if cell == "" && focus.Nullable(name) {
		return parquet.NullValue(), nil
	}
	switch focus.ColumnType(name) {
	case focus.TypeCost:
		d, err := decimal.NewFromString(cell)
		if err != nil {
			return parquet.Value{}, err
		}
		u := d.Shift(CostScale)
		if !u.IsInteger() {
			return parquet.Value{}, fmt.Errorf("%s has more than %d decimals", cell, CostScale)
		}
		return parquet.Int64Value(u.IntPart()), nil
	case focus.TypeDecimal:
		d, err := decimal.NewFromString(cell)
		if err != nil {
			return parquet.Value{}, err
		}
		b, err := fixed16(d)
		if err != nil {
			return parquet.Value{}, fmt.Errorf("%s: %w", cell, err)
		}
		return parquet.FixedLenByteArrayValue(b), nil
	case focus.TypeDateTime:
		t, err := time.Parse(focus.TimeLayout, cell)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.Int64Value(t.UnixMilli()), nil
	case focus.TypeBool:
		b, err := strconv.ParseBool(cell)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.BooleanValue(b), nil
	case focus.TypeInt:
		i, err := strconv.ParseInt(cell, 10, 32)
		if err != nil {
			return parquet.Value{}, err
		}
		return parquet.Int32Value(int32(i)), nil
	}
	return parquet.ByteArrayValue([]byte(cell)), nil
}

// fixed16 is d × 10^DecimalScale as a 16-byte big-endian two's complement integer.
func fixed16(d decimal.Decimal) ([]byte, error) {
	u := d.Shift(DecimalScale)
	if !u.IsInteger() {
		return nil, fmt.Errorf("more than %d decimals", DecimalScale)
	}
	n := u.BigInt()
	limit := new(big.Int).Lsh(big.NewInt(1), 127)
	if n.CmpAbs(limit) >= 0 {
		return nil, fmt.Errorf("out of the DECIMAL(38,%d) range", DecimalScale)
	}
	if n.Sign() < 0 {
		n = new(big.Int).Add(n, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	out := make([]byte, 16)
	n.FillBytes(out)
	return out, nil
}

// Decimal16 decodes a DECIMAL(38, scale) 16-byte big-endian two's complement value.
func Decimal16(b []byte, scale int32) decimal.Decimal {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return decimal.NewFromBigInt(n, -scale)
}
