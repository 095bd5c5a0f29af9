package metering

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// jsonLine is the state of reading one NDJSON line: a flat JSON object whose keys are
// the sample columns (and x_* extras, of any JSON type, which are skipped).
type jsonLine struct {
	b   []byte
	i   int
	err string
}

// jsonKeys are the sample columns in the order of Parser.idx.
var jsonKeys = [5]string{colResource, colMetric, colTS, colValue, colSource}

// jsonRow parses one NDJSON line into dst; it returns "", "blank" for a blank line, or
// the column and message of what is wrong.
func (p *Parser) jsonRow(dst *Batch, rec []byte) (col, msg string) {
	rec = bytes.TrimSpace(rec)
	if len(rec) == 0 {
		return "", "blank"
	}
	js := &p.js
	js.b, js.i, js.err = rec, 0, ""
	var (
		vals  [5][]byte
		str   [5]bool
		seen  [5]bool
		isNil [5]bool
	)
	if !js.expect('{') {
		return "", "malformed JSON: a line must be one JSON object {…}"
	}
	js.ws()
	if js.peek() == '}' {
		js.i++
	} else {
		for {
			js.ws()
			key, ok := js.str()
			if !ok {
				return "", js.fail("a key in double quotes")
			}
			js.ws()
			if !js.expect(':') {
				return "", js.fail("':' after a key")
			}
			js.ws()
			k := -1
			switch string(key) {
			case colResource:
				k = 0
			case colMetric:
				k = 1
			case colTS:
				k = 2
			case colValue:
				k = 3
			case colSource:
				k = 4
			}
			switch {
			case k >= 0:
				if seen[k] {
					return jsonKeys[k], "key appears twice in the object"
				}
				seen[k] = true
				switch c := js.peek(); {
				case c == '"':
					v, ok := js.str()
					if !ok {
						return "", js.fail("a closed string")
					}
					vals[k], str[k] = v, true
				case c == 'n':
					if !js.lit("null") {
						return "", js.fail("a value")
					}
					isNil[k] = true
				case c == '-' || (c >= '0' && c <= '9'):
					v, ok := js.num()
					if !ok {
						return "", js.fail("a number")
					}
					vals[k] = v
				default:
					if !js.skip(0) {
						return "", js.fail("a value")
					}
					if k == 3 {
						return jsonKeys[k], "must be a JSON number or a decimal string"
					}
					return jsonKeys[k], "must be a JSON string"
				}
			case bytes.HasPrefix(key, []byte("x_")):
				if !js.skip(0) {
					return "", js.fail("a value")
				}
			default:
				if !js.skip(0) {
					return "", js.fail("a value")
				}
				return string(key), "unknown column (expected resource_id, metric, ts, value, source; extra keys must start with x_)"
			}
			js.ws()
			if js.expect(',') {
				continue
			}
			if js.expect('}') {
				break
			}
			return "", js.fail("',' or '}'")
		}
	}
	js.ws()
	if js.i != len(js.b) {
		return "", "malformed JSON: text after the object (one object a line)"
	}
	for k := 0; k < 4; k++ {
		switch {
		case !seen[k]:
			return jsonKeys[k], "required key is missing"
		case isNil[k]:
			return jsonKeys[k], "is null"
		case k != 3 && !str[k]:
			return jsonKeys[k], "must be a JSON string"
		}
	}
	if seen[4] && !isNil[4] && !str[4] {
		return colSource, "must be a JSON string"
	}
	return p.sample(dst, vals[0], vals[1], vals[2], vals[3], vals[4])
}

func (js *jsonLine) fail(want string) string {
	if js.i >= len(js.b) {
		return "malformed JSON: the line ends where " + want + " was expected (truncated?)"
	}
	return "malformed JSON: " + want + " expected at byte " + strconv.Itoa(js.i+1)
}

func (js *jsonLine) peek() byte {
	if js.i < len(js.b) {
		return js.b[js.i]
	}
	return 0
}

func (js *jsonLine) ws() {
	for js.i < len(js.b) {
		switch js.b[js.i] {
		case ' ', '\t', '\r', '\n':
			js.i++
		default:
			return
		}
	}
}

func (js *jsonLine) expect(c byte) bool {
	if js.i < len(js.b) && js.b[js.i] == c {
		js.i++
		return true
	}
	return false
}

func (js *jsonLine) lit(s string) bool {
	if bytes.HasPrefix(js.b[js.i:], []byte(s)) {
		js.i += len(s)
		return true
	}
	return false
}

// str reads a string and returns its content: a slice of the line when it holds no
// escapes, a decoded copy otherwise.
func (js *jsonLine) str() ([]byte, bool) {
	if !js.expect('"') {
		return nil, false
	}
	start := js.i
	// fast path: no escape before the closing quote (strings are short: a loop beats
	// searching)
	for i := start; i < len(js.b); i++ {
		c := js.b[i]
		if c == '"' {
			js.i = i + 1
			return js.b[start:i], true
		}
		if c == '\\' || c < 0x20 {
			break
		}
	}
	esc := false
	for js.i < len(js.b) {
		c := js.b[js.i]
		switch {
		case c == '"':
			s := js.b[start:js.i]
			js.i++
			if esc {
				return unescape(s)
			}
			return s, true
		case c == '\\':
			esc = true
			js.i += 2
		case c < 0x20:
			return nil, false
		default:
			js.i++
		}
	}
	return nil, false
}

// unescape decodes the escapes of a JSON string's content.
func unescape(s []byte) ([]byte, bool) {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(s) {
			return nil, false
		}
		switch s[i] {
		case '"', '\\', '/':
			out = append(out, s[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s[i+1:])
			if !ok {
				return nil, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if i+6 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
					if r2, ok := hex4(s[i+3:]); ok {
						if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
		default:
			return nil, false
		}
	}
	return out, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// num reads a number per the JSON grammar and returns its text.
func (js *jsonLine) num() ([]byte, bool) {
	start := js.i
	js.expect('-')
	switch {
	case js.expect('0'):
	case js.i < len(js.b) && js.b[js.i] >= '1' && js.b[js.i] <= '9':
		js.digits()
	default:
		return nil, false
	}
	if js.expect('.') {
		if js.digits() == 0 {
			return nil, false
		}
	}
	if js.i < len(js.b) && (js.b[js.i] == 'e' || js.b[js.i] == 'E') {
		js.i++
		if !js.expect('+') {
			js.expect('-')
		}
		if js.digits() == 0 {
			return nil, false
		}
	}
	return js.b[start:js.i], true
}

func (js *jsonLine) digits() int {
	n := 0
	for js.i < len(js.b) && js.b[js.i] >= '0' && js.b[js.i] <= '9' {
		js.i++
		n++
	}
	return n
}

// skip passes over any JSON value.
func (js *jsonLine) skip(depth int) bool {
	if depth > 64 {
		return false
	}
	js.ws()
	switch c := js.peek(); {
	case c == '"':
		_, ok := js.str()
		return ok
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := js.num()
		return ok
	case c == 't':
		return js.lit("true")
	case c == 'f':
		return js.lit("false")
	case c == 'n':
		return js.lit("null")
	case c == '[':
		js.i++
		js.ws()
		if js.expect(']') {
			return true
		}
		for {
			if !js.skip(depth + 1) {
				return false
			}
			js.ws()
			if js.expect(']') {
				return true
			}
			if !js.expect(',') {
				return false
			}
		}
	case c == '{':
		js.i++
		js.ws()
		if js.expect('}') {
			return true
		}
		for {
			js.ws()
			if _, ok := js.str(); !ok {
				return false
			}
			js.ws()
			if !js.expect(':') || !js.skip(depth+1) {
				return false
			}
			js.ws()
			if js.expect('}') {
				return true
			}
			if !js.expect(',') {
				return false
			}
		}
	}
	return false
}
