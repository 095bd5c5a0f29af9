package focusparquet_test

import (
	"bytes"
	"testing"

	"cloudbill/export/focus"
	"cloudbill/export/focus/focusparquet"
)

func BenchmarkWrite(b *testing.B) {
	base := rows()
	var rs []focus.Row
	for i := 0; i < 5000; i++ {
		rs = append(rs, base...)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var buf bytes.Buffer
		if err := focusparquet.Write(&buf, rs); err != nil {
			b.Fatal(err)
		}
	}
}
