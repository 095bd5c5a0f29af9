package portal

import (
	"bytes"
	"encoding/json"
	"fmt"

	"cloudbill/catalog"
	"cloudbill/statements/breakdown"
)

// The API's breakdown (GET /api/v1/breakdown) put together from parts made once per
// month: each unit's entry of "units" and its lines' entries of "lines" (the lines' urls
// name the department page they are asked under: made with jsonBase in its place), so
// that no department's first ask encodes its lines, and each line's JSON is held once
// however deep the organisation (TestComposedBreakdownJSON: the same bytes as encoding
// the department's answer).

// jsonBase stands for the department page in the urls of the parts.
const jsonBase = "\x01cloudbill-department-page\x01"

// jsonBaseEncoded is jsonBase as JSON writes it.
var jsonBaseEncoded = []byte(`\u0001cloudbill-department-page\u0001`)

// unitJSON is a unit's parts: its "units" entry and its lines' "lines" entries, joined
// by commas, without brackets (empty: no lines).
type unitJSON struct {
	unit, lines []byte
}

// encodeJSON is v as the API writes it (HTML escaped), without the final newline.
func encodeJSON(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// unitParts makes u's parts.
func unitParts(u breakdown.Unit) unitJSON {
	ans := breakdownAnswer(breakdown.Report{Units: []breakdown.Unit{u}}, jsonBase)
	lines := encodeJSON(ans.Lines)
	return unitJSON{unit: encodeJSON(ans.Units[0]), lines: lines[1 : len(lines)-1]}
}

// composeJSON is department dep's answer: rep's heading, then its units' parts in order,
// the urls naming dep's page.
func composeJSON(md *monthData, rep breakdown.Report, parts []unitJSON, dep catalog.DepartmentID) ([]byte, error) {
	base := "/departments/" + esc(string(dep)) + "/" + md.key.period.String()
	head := rep
	head.Units = nil
	h := encodeJSON(breakdownAnswer(head, base))
	tail := []byte(`"units":[],"lines":[]}`)
	if !bytes.HasSuffix(h, tail) {
		return nil, fmt.Errorf("breakdown JSON of %s: unexpected heading", dep)
	}
	enc := encodeJSON(base)
	enc = enc[1 : len(enc)-1]
	var out bytes.Buffer
	out.Write(h[:len(h)-len(tail)])
	out.WriteString(`"units":[`)
	for i, p := range parts {
		if i > 0 {
			out.WriteByte(',')
		}
		out.Write(p.unit)
	}
	out.WriteString(`],"lines":[`)
	first := true
	for _, p := range parts {
		if len(p.lines) == 0 {
			continue
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		out.Write(bytes.ReplaceAll(p.lines, jsonBaseEncoded, enc))
	}
	out.WriteString("]}\n")
	return out.Bytes(), nil
}
