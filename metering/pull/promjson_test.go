package pull

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// refDecode is what encoding/json makes of an answer (the decoder decodeAnswer replaced).
func refDecode(t *testing.T, text string) (promAnswer, error) {
	var ref struct {
		Status, ErrorType, Error string
		Data                     struct {
			ResultType string
			Result     []struct {
				Metric map[string]string
				Values [][2]json.RawMessage
			}
		}
		Warnings []string
	}
	if err := json.NewDecoder(strings.NewReader(text)).Decode(&ref); err != nil {
		return promAnswer{}, err
	}
	ans := promAnswer{Status: ref.Status, ErrorType: ref.ErrorType, Error: ref.Error, Warnings: ref.Warnings}
	ans.Data.ResultType = ref.Data.ResultType
	for _, r := range ref.Data.Result {
		s := promSeries{Metric: r.Metric}
		for _, p := range r.Values {
			ts, err := strconv.ParseFloat(string(p[0]), 64)
			if err != nil {
				return promAnswer{}, err
			}
			var vs string
			if err := json.Unmarshal(p[1], &vs); err != nil {
				return promAnswer{}, err
			}
			v, err := strconv.ParseFloat(vs, 64)
			if err != nil {
				return promAnswer{}, err
			}
			s.Values = append(s.Values, promPoint{T: int64(math.Round(ts * 1000)), V: v})
		}
		ans.Data.Result = append(ans.Data.Result, s)
	}
	return ans, nil
}

// TestDecodeAnswer: the streaming decoder of query_range answers reads what encoding/json
// reads (escapes, unknown keys of any shape, blank space, NaN and infinite values) and
// refuses what it refuses, naming what is wrong.
func TestDecodeAnswer(t *testing.T) {
	good := []string{
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"instance_id":"vm-1","job":"node"},"values":[[1761955200,"1.5"],[1761955500.25,"2"]]}]}}`,
		" {\n \"status\" : \"success\" ,\t\"data\" : { \"resultType\" : \"matrix\" , \"result\" : [ { \"metric\" : { } , \"values\" : [ [ 1761955200 , \"NaN\" ] , [1761955201,\"+Inf\"],[1761955202,\"-Inf\"] ] } ] } }\n",
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"id":"a\"b\\c\/d\u00e9\ud83d\ude00\n\t","x":"\ud800 lone","y":"é 中文"},"values":[]}]}}`,
		`{"status":"success","infos":["i"],"data":{"stats":{"timings":{"a":1.5e3,"b":[true,false,null,{"c":-0.5E-2}]}},"resultType":"matrix","result":[{"metric":{"a":"b"},"extra":{"n":[1,[2,[3]]]},"values":[[1761955200,"0.000001"]]}]},"warnings":["w1","w2"]}`,
		`{"status":"success","data":{"resultType":"matrix","result":[]}}`,
		`{"status":"success","data":{"resultType":"matrix","result":null}}`,
		`{"status":"error","errorType":"bad_data","error":"parse error at char 3: unexpected \"}\""}`,
		`{"status":"success","data":{"resultType":"vector","result":[]}}` + "\n",
		`{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"a":"1"},"values":[[1.7619552e9,"1e-3"]]},{"metric":{"a":"2"},"values":[[1761955200,"123456789.123456789"]]}]}}`,
	}
	for i, text := range good {
		t.Run(fmt.Sprintf("good %d", i), func(t *testing.T) {
			want, err := refDecode(t, text)
			require.NoError(t, err)
			got, err := decodeAnswer(strings.NewReader(text))
			require.NoError(t, err)
			require.Equal(t, len(want.Data.Result), len(got.Data.Result))
			for k := range want.Data.Result {
				w, g := want.Data.Result[k], got.Data.Result[k]
				assert.Equal(t, w.Metric, g.Metric)
				require.Equal(t, len(w.Values), len(g.Values))
				for j := range w.Values {
					assert.Equal(t, w.Values[j].T, g.Values[j].T)
					if math.IsNaN(w.Values[j].V) {
						assert.True(t, math.IsNaN(g.Values[j].V))
					} else {
						assert.Equal(t, w.Values[j].V, g.Values[j].V)
					}
				}
			}
			want.Data.Result, got.Data.Result = nil, nil
			assert.Equal(t, want, got)
		})
	}
	bad := map[string]string{
		`{"status":"success","data":{"result":[{"values":[[1761955200,"1.5"]`:       "unexpected end of JSON input",
		`{"status":"success","data":{"result":[{"values":[[1761955200,1.5]]}]}}`:    `point value: want a quoted number`,
		`{"status":"success","data":{"result":[{"values":[["1761955200","1"]]}]}}`:  `point time`,
		`{"status":"success","data":{"result":[{"values":[[1761955200,"x"]]}]}}`:    `point value "x"`,
		`{"status":"success","data":{"result":[{"values":[[01,"1"]]}]}}`:            `invalid number "01"`,
		`{"status":"succ` + "\x01" + `ess"}`:                                        `invalid character '\x01' in a string`,
		`{"status":"a\qb"}`:                                                         `invalid escape \q`,
		`{"status":"a\u12G4"}`:                                                      `in a \u escape`,
		`{"status":"success" "data":{}}`:                                            `after an object value`,
		`{"status":"success","data":{"result":[{"metric":{"a":1}}]}}`:               `label "a": invalid character '1', want a string`,
		`{"status":"success","data":{"result":[{"values":[[1,"1"],]}]}}`:            `point: invalid character ']'`,
		`<html>502 Bad Gateway</html>`:                                              `invalid character '<', want an object`,
		``:                                                                          "unexpected end of JSON input",
		`{"x":` + strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) + `}`:   "nests more than 10,000 deep",
		`{"status":"success","data":{"result":[{"values":[[1e999999,"1"]]}]}}`:      "point time",
		`{"status":"success","data":{"result":[{"values":[[1761955200,"1"]]}]}}xyz`: "", // what follows is not read
	}
	for text, msg := range bad {
		_, refErr := refDecode(t, text)
		_, err := decodeAnswer(strings.NewReader(text))
		if msg == "" {
			assert.NoError(t, refErr, "%q", text)
			assert.NoError(t, err, "%q", text)
			continue
		}
		assert.Error(t, refErr, "encoding/json refuses %q", text)
		if assert.Error(t, err, "%q", text) {
			assert.Contains(t, err.Error(), msg, "%q", text)
		}
	}
}

// BenchmarkDecodeAnswer: one answer of a district day's query, 2,000 series × 288 points,
// by one decoder (as a pass reads its answers: the buffers reused).
func BenchmarkDecodeAnswer(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for s := 0; s < 2000; s++ {
		if s > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"metric":{"instance_id":"vm-%05d","job":"node"},"values":[`, s)
		for p := 0; p < 288; p++ {
			if p > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `[%d,"%g"]`, 1761955200+p*300, float64(s*p)/7)
		}
		sb.WriteString("]}")
	}
	sb.WriteString("]}}")
	text := sb.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var d jsonDecoder
	for b.Loop() {
		if _, err := d.decodeAnswer(strings.NewReader(text)); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDecodeAnswerPointForms: the points read straight from the buffer (as Prometheus
// writes them) and those read by the general path give what encoding/json and
// strconv give, bit for bit, for every form a time and a value take: whole and decimal
// times, values of up to 15 digits (the exact path) and longer, signs, exponents,
// leading zeros, NaN and infinities; and refuse what encoding/json refuses.
func TestDecodeAnswerPointForms(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	values := []string{"0", "-0", "+5", "300", "50.5", "0.000001", "123456789012345", "1234567890123456", "12345678.1234567",
		"-17.25", "007.5", "1e-3", "2.5E+10", "NaN", "+Inf", "-Inf", "0.1", "0.3", "9007199254740993", "4.35", "999999999999999.9"}
	for i := 0; i < 3000; i++ {
		f := rng.NormFloat64() * math.Pow(10, float64(rng.IntN(30)-15))
		switch rng.IntN(4) {
		case 0:
			values = append(values, strconv.FormatFloat(f, 'f', -1, 64))
		case 1:
			values = append(values, strconv.FormatFloat(f, 'f', rng.IntN(8), 64))
		case 2:
			values = append(values, strconv.FormatFloat(f, 'g', -1, 64))
		default:
			values = append(values, strconv.FormatFloat(float64(rng.IntN(1_000_000))/4, 'f', -1, 64))
		}
	}
	times := []string{"1761955200", "1761955200.5", "1761955200.25", "1761955200.125", "1761955200.1255", "1.7619552e9", "1761955200.0"}
	var sb strings.Builder
	sb.WriteString(`{"status":"success","data":{"resultType":"matrix","result":[`)
	for s := 0; s*100 < len(values); s++ {
		if s > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"metric":{"id":"r%d"},"values":[`, s)
		for p := s * 100; p < min(len(values), s*100+100); p++ {
			if p > s*100 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `[%s,"%s"]`, times[p%len(times)], values[p])
		}
		sb.WriteString("]}")
	}
	sb.WriteString("]}}")
	text := sb.String()
	want, err := refDecode(t, text)
	require.NoError(t, err)
	var d jsonDecoder
	for round := 0; round < 2; round++ { // the second with the slabs of the first
		got, err := d.decodeAnswer(strings.NewReader(text))
		require.NoError(t, err)
		require.Equal(t, len(want.Data.Result), len(got.Data.Result))
		n := 0
		for k := range want.Data.Result {
			w, g := want.Data.Result[k].Values, got.Data.Result[k].Values
			require.Equal(t, len(w), len(g))
			for j := range w {
				assert.Equal(t, w[j].T, g[j].T, "time %s", times[n%len(times)])
				assert.Equal(t, math.Float64bits(w[j].V), math.Float64bits(g[j].V), "value %q", values[n])
				n++
			}
		}
		assert.Equal(t, len(values), n)
	}
	// and what encoding/json or strconv refuses is refused from the buffer too
	for _, p := range []string{`[01,"1"]`, `[1761955200,"1.2.3"]`, `[1761955200,"x"]`, `[1761955200.,"1"]`, `[1761955200,"1"`, `[1761955200,"1\u0001"]`} {
		text := `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[` + p + `,[1761955200,"` + strings.Repeat("1", 80) + `"]]}]}}`
		_, refErr := refDecode(t, text)
		_, err := d.decodeAnswer(strings.NewReader(text))
		assert.Error(t, refErr, p)
		assert.Error(t, err, p)
	}
}
