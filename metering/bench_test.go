package metering

import (
	"bytes"
	"fmt"
	"io"
	"testing"
)

func benchInput(f Format, n int) []byte {
	var b bytes.Buffer
	if f == CSV {
		b.WriteString("resource_id,metric,ts,value,source\n")
	}
	for i := 0; i < n; i++ {
		ts := fmt.Sprintf("2026-11-%02dT%02d:%02d:00Z", 1+i/4000/288%28, i/4000/12%24, i/4000%12*5)
		if f == CSV {
			fmt.Fprintf(&b, "vm-%05d,cpu_util,%s,%d.%03d,bench\n", i%4000, ts, i%100, i%1000)
		} else {
			fmt.Fprintf(&b, `{"resource_id":"vm-%05d","metric":"cpu_util","ts":"%s","value":%d.%03d,"source":"bench"}`+"\n", i%4000, ts, i%100, i%1000)
		}
	}
	return b.Bytes()
}

func benchmarkParse(b *testing.B, f Format) {
	in := benchInput(f, 100_000)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	var dst Batch
	for i := 0; i < b.N; i++ {
		p, err := NewParser(bytes.NewReader(in), ParserConfig{Name: "b", Format: f})
		if err != nil {
			b.Fatal(err)
		}
		for {
			dst.Reset()
			if _, err := p.Next(&dst, 10_000, func(r Reject) { b.Fatal(r.Err) }); err == io.EOF {
				break
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*100_000), "ns/row")
}

func BenchmarkParseCSV(b *testing.B)    { benchmarkParse(b, CSV) }
func BenchmarkParseNDJSON(b *testing.B) { benchmarkParse(b, NDJSON) }
