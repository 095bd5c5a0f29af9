package backup

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// A row is written as a JSON array of its values. JSON strings are UTF-8, and a
// ClickHouse String holds any bytes (a PDF in statement_files): such a value is written
// as {"b64": "<base64>"} and read back byte for byte.

type b64 struct {
	B64 []byte `json:"b64"`
}

// encodeRow is the JSON line of a row (values as scanned: pointers).
func encodeRow(row []any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('[')
	for i, v := range row {
		if i > 0 {
			buf.WriteByte(',')
		}
		if s, ok := v.(*string); ok && !utf8.ValidString(*s) {
			v = b64{B64: []byte(*s)}
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
	}
	buf.WriteByte(']')
	return buf.Bytes(), nil
}

// decodeValue reads one value of a row into dst (a pointer to the column's Go type).
func decodeValue(raw json.RawMessage, dst any) error {
	if s, ok := dst.(*string); ok && len(raw) > 0 && raw[0] == '{' {
		var v b64
		if err := json.Unmarshal(raw, &v); err != nil {
			return err
		}
		*s = string(v.B64)
		return nil
	}
	return json.Unmarshal(raw, dst)
}
