package pull

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// decodeAnswer reads a query_range answer with buffers of its own.
func decodeAnswer(r io.Reader) (promAnswer, error) {
	var d jsonDecoder
	return d.decodeAnswer(r)
}

// decodeAnswer reads a query_range answer as it streams in: one pass over the bytes,
// each point written straight into the decoder's slabs of points (the series'
// Values are windows of them) and each label into its series' Metric, every key it does
// not know skipped without being kept (no tree of the document, no reflection, no
// allocation per point; the buffers are the decoder's, reused by its next answer, so
// the answer returned is valid until then). r carries the answer's size bound
// (boundedReader); the decoder bounds each string (maxJSONString). It reads JSON as
// strictly as encoding/json does: a malformed answer is an error.
func (d *jsonDecoder) decodeAnswer(r io.Reader) (promAnswer, error) {
	if d.buf == nil {
		d.buf = make([]byte, 64<<10)
	}
	d.r, d.pos, d.end, d.err = r, 0, 0, nil
	d.result = d.result[:0]
	// the slabs of the answer before are free again
	for _, sl := range d.full {
		d.spare = append(d.spare, sl[:0])
	}
	d.full = d.full[:0]
	if cap(d.slab) > 0 {
		d.spare = append(d.spare, d.slab[:0])
	}
	d.slab = nil
	var ans promAnswer
	err := d.object(func(key []byte) error {
		switch string(key) {
		case "status":
			return d.stringInto(&ans.Status)
		case "errorType":
			return d.stringInto(&ans.ErrorType)
		case "error":
			return d.stringInto(&ans.Error)
		case "warnings":
			return d.array(func() error {
				var w string
				if err := d.stringInto(&w); err != nil {
					return err
				}
				ans.Warnings = append(ans.Warnings, w)
				return nil
			})
		case "data":
			return d.object(func(key []byte) error {
				switch string(key) {
				case "resultType":
					return d.stringInto(&ans.Data.ResultType)
				case "result":
					return d.array(func() error {
						var s promSeries
						if err := d.series(&s); err != nil {
							return err
						}
						d.result = append(d.result, s)
						return nil
					})
				}
				return d.skip()
			})
		}
		return d.skip()
	})
	if len(d.result) > 0 {
		ans.Data.Result = d.result
	}
	return ans, err // what follows the answer is not read (as encoding/json's Decode)
}

// series reads {"metric": {labels}, "values": [[t, "v"], …]}, the points into the
// decoder's slabs (s.Values is a window of one).
func (d *jsonDecoder) series(s *promSeries) error {
	d.lo = len(d.slab)
	defer func() { s.Values = d.slab[d.lo:len(d.slab):len(d.slab)] }()
	return d.object(func(key []byte) error {
		switch string(key) {
		case "metric":
			s.Metric = make(map[string]string, 2)
			return d.object(func(name []byte) error {
				n := d.labelName(name)
				var v string
				if err := d.stringInto(&v); err != nil {
					return fmt.Errorf("label %.40q: %w", n, err)
				}
				s.Metric[n] = v
				return nil
			})
		case "values":
			return d.values()
		}
		return d.skip()
	})
}

// labelName is name as a string, the same string for the same name (a few names
// repeat in every series); at most 256 names are kept.
func (d *jsonDecoder) labelName(name []byte) string {
	if n, ok := d.names[string(name)]; ok {
		return n
	}
	n := string(name)
	if d.names == nil {
		d.names = map[string]string{}
	}
	if len(d.names) < 256 {
		d.names[n] = n
	}
	return n
}

// slabPoints is the size of a slab of points (1 MiB).
const slabPoints = 64 << 10

// add appends a point of the series being read to the current slab; a full slab is
// left as it is (the series before point into it) and the series' points so far move to
// the next one (a slab of the answer before, or a new one; a series longer than a slab
// gets a slab of its own size).
func (d *jsonDecoder) add(p promPoint) {
	if len(d.slab) == cap(d.slab) {
		part := d.slab[d.lo:]
		var next []promPoint
		if n := len(d.spare); n > 0 && cap(d.spare[n-1]) > 2*len(part) {
			next, d.spare = d.spare[n-1], d.spare[:n-1]
		} else {
			next = make([]promPoint, 0, max(slabPoints, 4*len(part)))
		}
		next = append(next, part...)
		if cap(d.slab) > 0 {
			d.full = append(d.full, d.slab)
		}
		d.slab, d.lo = next, 0
	}
	d.slab = append(d.slab, p)
}

// values reads [[t, "v"], …] onto the slab. A null is no points.
func (d *jsonDecoder) values() error {
	return d.array(func() error {
		if d.plainPoint() {
			return nil
		}
		var p promPoint
		if err := d.point(&p); err != nil {
			return err
		}
		d.add(p)
		return nil
	})
}

// plainPoint reads a point written as Prometheus writes it, [1761955200,"1.5"] (no
// blank space, the time as millis reads it, the value without escapes), straight from
// the buffer onto the slab, and reports whether it did; anything else is left for point,
// which reads every form (and names what is wrong). Both give the same values.
func (d *jsonDecoder) plainPoint() bool {
	const room = 64 // more than the time, the separators and a usual value
	if d.end-d.pos < room && !d.ensure(room) {
		return false
	}
	b := d.buf[d.pos:d.end]
	if b[0] != '[' || b[1] < '1' || b[1] > '9' { // JSON numbers have no leading zero
		return false
	}
	// the time as millis reads it: at most 15 characters, at most 3 decimals
	i := 1
	var ms int64
	for i < 17 && b[i] >= '0' && b[i] <= '9' {
		ms = ms*10 + int64(b[i]-'0')
		i++
	}
	frac := 0
	if b[i] == '.' {
		i++
		for frac < 3 && b[i] >= '0' && b[i] <= '9' {
			ms = ms*10 + int64(b[i]-'0')
			frac++
			i++
		}
		if frac == 0 {
			return false
		}
	}
	if i-1 > 15 || b[i] != ',' || b[i+1] != '"' {
		return false
	}
	for ; frac < 3; frac++ {
		ms *= 10
	}
	i += 2
	j := i
	for j < len(b) && b[j] != '"' {
		if b[j] == '\\' || b[j] < 0x20 {
			return false
		}
		j++
	}
	if j+1 >= len(b) || b[j+1] != ']' {
		return false
	}
	v, ok := plainDecimal(b[i:j])
	if !ok {
		var err error
		if v, err = strconv.ParseFloat(unsafe.String(unsafe.SliceData(b[i:j]), j-i), 64); err != nil {
			return false
		}
	}
	d.add(promPoint{T: ms, V: v})
	d.pos += j + 2
	return true
}

// pow10 are the powers of ten a float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// plainDecimal reads [+-]digits[.digits] of at most 15 digits as strconv.ParseFloat
// does on its exact path (the digits are an integer below 2^53 and 10^k is exact, so
// one division rounds correctly: the same float64); ok is false for any other form.
func plainDecimal(b []byte) (float64, bool) {
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i++
	}
	var mant uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			mant = mant*10 + uint64(c-'0')
			digits++
			if dot {
				frac++
			}
		case c == '.' && !dot && digits > 0:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 || digits > 15 || (dot && frac == 0) {
		return 0, false
	}
	v := float64(mant) / pow10[frac]
	if neg {
		v = -v
	}
	return v, true
}

// point reads [1700000000.5, "1.25"]: the time in seconds (kept in milliseconds) and
// the value as Prometheus writes it (NaN, +Inf and -Inf included).
func (d *jsonDecoder) point(p *promPoint) error {
	if err := d.expect('['); err != nil {
		return fmt.Errorf("point: %w", err)
	}
	num, err := d.number()
	if err != nil {
		return fmt.Errorf("point time: %w", err)
	}
	if ms, ok := millis(num); ok {
		p.T = ms
	} else {
		ts, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
		if err != nil {
			return fmt.Errorf("point time %.40q: %v", num, err)
		}
		p.T = int64(math.Round(ts * 1000))
	}
	if err := d.expect(','); err != nil {
		return fmt.Errorf("point: %w", err)
	}
	if err := d.expect('"'); err != nil {
		return fmt.Errorf("point value: want a quoted number: %w", err)
	}
	vs, err := d.stringBody()
	if err != nil {
		return err
	}
	if p.V, err = strconv.ParseFloat(unsafe.String(unsafe.SliceData(vs), len(vs)), 64); err != nil {
		return fmt.Errorf("point value %.40q: %v", vs, err)
	}
	if err := d.expect(']'); err != nil {
		return fmt.Errorf("point: %w", err)
	}
	return nil
}

// millis reads the usual time of a point, whole seconds with at most three decimals
// (1761955200, 1761955200.5), as milliseconds; ok is false for any other form (then
// read as a float, rounded to the millisecond: the same value).
func millis(num []byte) (ms int64, ok bool) {
	if len(num) == 0 || len(num) > 15 {
		return 0, false
	}
	i := 0
	for i < len(num) && num[i] >= '0' && num[i] <= '9' {
		ms = ms*10 + int64(num[i]-'0')
		i++
	}
	if i == 0 {
		return 0, false
	}
	frac := 0
	if i < len(num) && num[i] == '.' {
		i++
		for i < len(num) && num[i] >= '0' && num[i] <= '9' && frac < 3 {
			ms = ms*10 + int64(num[i]-'0')
			frac++
			i++
		}
		if frac == 0 {
			return 0, false
		}
	}
	if i != len(num) {
		return 0, false
	}
	for ; frac < 3; frac++ {
		ms *= 10
	}
	return ms, true
}

// jsonDecoder is the small JSON reader of decodeAnswer, over a buffer of its own.
type jsonDecoder struct {
	r        io.Reader
	buf      []byte
	pos, end int
	str      []byte        // the string or number last read (valid until the next)
	slab     []promPoint   // the points being written, series after series
	lo       int           // where the series being read starts in slab
	full     [][]promPoint // the answer's slabs before slab
	spare    [][]promPoint // slabs free for the answer (the answer before's)
	result   []promSeries  // the series of the answer
	names    map[string]string
	err      error // the reader's error, once met
}

var errUnexpectedEOF = errors.New("unexpected end of JSON input")

// more reads more input into the buffer; false at the end or on an error (d.err).
func (d *jsonDecoder) more() bool {
	if d.pos < d.end {
		return true
	}
	for d.err == nil {
		n, err := d.r.Read(d.buf)
		d.pos, d.end, d.err = 0, n, err
		if n > 0 {
			return true
		}
	}
	return false
}

// ensure reads until at least n bytes are buffered, moving what is left to the
// buffer's start; false if the input ends (or fails) first.
func (d *jsonDecoder) ensure(n int) bool {
	if d.end-d.pos >= n {
		return true
	}
	d.end = copy(d.buf, d.buf[d.pos:d.end])
	d.pos = 0
	for d.end < n && d.err == nil {
		k, err := d.r.Read(d.buf[d.end:])
		d.end += k
		d.err = err
	}
	return d.end >= n
}

// fail is the error of a read that ended early.
func (d *jsonDecoder) fail() error {
	if d.err == nil || d.err == io.EOF {
		return errUnexpectedEOF
	}
	return d.err
}

// peek returns the next byte that is not blank space, without consuming it.
func (d *jsonDecoder) peek() (byte, bool) {
	for d.more() {
		c := d.buf[d.pos]
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c, true
		}
		d.pos++
	}
	return 0, false
}

// next consumes the next byte that is not blank space.
func (d *jsonDecoder) next() (byte, error) {
	c, ok := d.peek()
	if !ok {
		return 0, d.fail()
	}
	d.pos++
	return c, nil
}

func (d *jsonDecoder) expect(want byte) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c != want {
		return fmt.Errorf("invalid character %q, want %q", c, want)
	}
	return nil
}

// object reads {"key": value, …}, calling field for each key (field consumes the
// value). A null is an empty object.
func (d *jsonDecoder) object(field func(key []byte) error) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("ull")
	}
	if c != '{' {
		return fmt.Errorf("invalid character %q, want an object", c)
	}
	if c, ok := d.peek(); ok && c == '}' {
		d.pos++
		return nil
	}
	for {
		if err := d.expect('"'); err != nil {
			return err
		}
		key, err := d.stringBody()
		if err != nil {
			return err
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		c, err := d.next()
		if err != nil {
			return err
		}
		if c == '}' {
			return nil
		}
		if c != ',' {
			return fmt.Errorf("invalid character %q after an object value", c)
		}
	}
}

// array reads [value, …], calling elem for each (elem consumes it). A null is an empty
// array.
func (d *jsonDecoder) array(elem func() error) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("ull")
	}
	if c != '[' {
		return fmt.Errorf("invalid character %q, want an array", c)
	}
	if c, ok := d.peek(); ok && c == ']' {
		d.pos++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		c, err := d.next()
		if err != nil {
			return err
		}
		if c == ']' {
			return nil
		}
		if c != ',' {
			return fmt.Errorf("invalid character %q after an array element", c)
		}
	}
}

// literal consumes the rest of true, false or null.
func (d *jsonDecoder) literal(rest string) error {
	for i := 0; i < len(rest); i++ {
		if !d.more() {
			return d.fail()
		}
		if c := d.buf[d.pos]; c != rest[i] {
			return fmt.Errorf("invalid character %q in a literal", c)
		}
		d.pos++
	}
	return nil
}

// stringInto reads a string into dst (a null leaves dst as it is).
func (d *jsonDecoder) stringInto(dst *string) error {
	c, err := d.next()
	if err != nil {
		return err
	}
	if c == 'n' {
		return d.literal("ull")
	}
	if c != '"' {
		return fmt.Errorf("invalid character %q, want a string", c)
	}
	s, err := d.stringBody()
	if err != nil {
		return err
	}
	*dst = string(s)
	return nil
}

// stringBody reads the rest of a string whose opening quote is consumed, unescaped into
// d.str; invalid UTF-8 becomes U+FFFD, as with encoding/json.
func (d *jsonDecoder) stringBody() ([]byte, error) {
	d.str = d.str[:0]
	ascii := true
	for {
		if len(d.str) > maxJSONString {
			return nil, boundError{fmt.Sprintf("a string of more than %d KiB in the answer", maxJSONString>>10)}
		}
		if !d.more() {
			return nil, d.fail()
		}
		// the plain run up to a quote, a backslash or a control character
		run := d.buf[d.pos:d.end]
		i := 0
		for i < len(run) && run[i] != '"' && run[i] != '\\' && run[i] >= 0x20 {
			if run[i] >= utf8.RuneSelf {
				ascii = false
			}
			i++
		}
		d.str = append(d.str, run[:i]...)
		d.pos += i
		if i == len(run) {
			continue
		}
		switch c := run[i]; {
		case c == '"':
			d.pos++
			if !ascii && !utf8.Valid(d.str) {
				d.str = []byte(string([]rune(string(d.str))))
			}
			return d.str, nil
		case c < 0x20:
			return nil, fmt.Errorf("invalid character %q in a string", c)
		}
		d.pos++ // the backslash
		if err := d.escape(); err != nil {
			return nil, err
		}
	}
}

// escape reads an escape after its backslash into d.str.
func (d *jsonDecoder) escape() error {
	if !d.more() {
		return d.fail()
	}
	c := d.buf[d.pos]
	d.pos++
	switch c {
	case '"', '\\', '/':
		d.str = append(d.str, c)
	case 'b':
		d.str = append(d.str, '\b')
	case 'f':
		d.str = append(d.str, '\f')
	case 'n':
		d.str = append(d.str, '\n')
	case 'r':
		d.str = append(d.str, '\r')
	case 't':
		d.str = append(d.str, '\t')
	case 'u':
		r, err := d.hex4()
		if err != nil {
			return err
		}
		if utf16.IsSurrogate(r) {
			// a pair \uD83D\uDE00 is one character; a lone half is U+FFFD
			if d.more() && d.buf[d.pos] == '\\' {
				d.pos++
				if !d.more() {
					return d.fail()
				}
				if d.buf[d.pos] != 'u' {
					d.str = utf8.AppendRune(d.str, utf8.RuneError)
					return d.escape()
				}
				d.pos++
				r2, err := d.hex4()
				if err != nil {
					return err
				}
				if pair := utf16.DecodeRune(r, r2); pair != utf8.RuneError {
					d.str = utf8.AppendRune(d.str, pair)
					return nil
				}
				d.str = utf8.AppendRune(d.str, utf8.RuneError)
				r = r2
				if utf16.IsSurrogate(r) {
					r = utf8.RuneError
				}
			} else {
				r = utf8.RuneError
			}
		}
		d.str = utf8.AppendRune(d.str, r)
	default:
		return fmt.Errorf("invalid escape \\%c in a string", c)
	}
	return nil
}

func (d *jsonDecoder) hex4() (rune, error) {
	var r rune
	for k := 0; k < 4; k++ {
		if !d.more() {
			return 0, d.fail()
		}
		c := d.buf[d.pos]
		d.pos++
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, fmt.Errorf("invalid character %q in a \\u escape", c)
		}
		r = r<<4 | rune(c)
	}
	return r, nil
}

// number reads a JSON number into d.str.
func (d *jsonDecoder) number() ([]byte, error) {
	if _, ok := d.peek(); !ok {
		return nil, d.fail()
	}
	d.str = d.str[:0]
	for d.more() {
		c := d.buf[d.pos]
		if (c < '0' || c > '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E' {
			break
		}
		d.str = append(d.str, c)
		d.pos++
		if len(d.str) > 64 {
			return nil, fmt.Errorf("a number of more than 64 characters")
		}
	}
	if len(d.str) == 0 || !validNumber(d.str) {
		return nil, fmt.Errorf("invalid number %.40q", d.str)
	}
	return d.str, nil
}

// validNumber checks JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func validNumber(b []byte) bool {
	i := 0
	if i < len(b) && b[i] == '-' {
		i++
	}
	digits := func() int {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i - s
	}
	if i < len(b) && b[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(b)
}

// skip consumes one value of any kind, keeping nothing (nesting bounded, as encoding/json).
func (d *jsonDecoder) skip() error { return d.skipDepth(0) }

func (d *jsonDecoder) skipDepth(depth int) error {
	if depth > 10000 { // as encoding/json
		return errors.New("the answer nests more than 10,000 deep")
	}
	c, ok := d.peek()
	if !ok {
		return d.fail()
	}
	switch {
	case c == '{':
		return d.object(func([]byte) error { return d.skipDepth(depth + 1) })
	case c == '[':
		return d.array(func() error { return d.skipDepth(depth + 1) })
	case c == '"':
		d.pos++
		_, err := d.stringBody()
		return err
	case c == 't':
		d.pos++
		return d.literal("rue")
	case c == 'f':
		d.pos++
		return d.literal("alse")
	case c == 'n':
		d.pos++
		return d.literal("ull")
	}
	_, err := d.number()
	return err
}
