package pull

import (
	"encoding/json"
	"fmt"
	"math"
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
