package metering

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
	"unsafe"

	"cloudbill/internal/csvin"
	"cloudbill/internal/csvout"
)

// Format is the encoding of a sample stream.
type Format int

const (
	// CSV is a header row naming the columns, then one sample a line.
	CSV Format = iota + 1
	// NDJSON is one JSON object a line.
	NDJSON
)

func (f Format) String() string {
	switch f {
	case CSV:
		return "CSV"
	case NDJSON:
		return "NDJSON"
	}
	return "unknown format"
}

// FormatOf picks the format of a file: by its extension (.csv; .ndjson, .jsonl, .json),
// else by its first non-blank byte ('{' is NDJSON).
func FormatOf(name string, head []byte) Format {
	n := strings.ToLower(name)
	switch {
	case strings.HasSuffix(n, ".csv"):
		return CSV
	case strings.HasSuffix(n, ".ndjson"), strings.HasSuffix(n, ".jsonl"), strings.HasSuffix(n, ".json"):
		return NDJSON
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(head, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return NDJSON
	}
	return CSV
}

// Columns of a sample stream (docs/formats.md).
const (
	colResource = "resource_id"
	colMetric   = "metric"
	colTS       = "ts"
	colValue    = "value"
	colSource   = "source"
)

// SampleColumns returns the CSV header specification of usage samples.
func SampleColumns() csvin.Spec {
	return csvin.Spec{Required: []string{colResource, colMetric, colTS, colValue}, Optional: []string{colSource}}
}

// ParserConfig says what a Parser reads.
type ParserConfig struct {
	// Name is the file name, or "request", used in errors.
	Name   string
	Format Format
	// Source is given to samples that name none.
	Source string
	// MaxLineLen bounds a line; default MaxLineLen.
	MaxLineLen int
	// Ranges are the valid values per metric; nil: DefaultRanges.
	Ranges *Ranges
	// Encoding of the input: csvin.Auto (the default) decides from the text.
	Encoding csvin.Encoding
	// Admit, when set, is asked last about every valid sample (its resource and source,
	// the default filled in): a non-empty message rejects the line, naming column col.
	Admit func(resource, source string) (col, msg string)
	// Strings, if set, is a string table shared with other parsers.
	Strings *Strings
}

// Reject is one input line refused, with why.
type Reject struct {
	Line int
	Err  *csvin.Error
	// Raw is the line as read (decoded to UTF-8); for an over-long line only its first
	// bytes. It is valid until the reject callback returns.
	Raw []byte
}

// Parser reads samples from a CSV or NDJSON stream. It streams: memory does not grow
// with the input. Lines that are not valid samples are passed to a reject callback and
// reading goes on; only a CSV header that cannot be used stops it.
type Parser struct {
	cfg    ParserConfig
	lr     *lineReader
	header []byte
	// CSV: column index of each field we read (-1 when absent), field count
	idx     [5]int
	nfields int
	bounds  []int
	rec     []byte
	unq     []byte
	// NDJSON
	js jsonLine

	strs                                 map[string]string
	lastResource, lastMetric, lastSource string
	// valid range of rangeMetric's values (cfg.Ranges)
	rangeMetric      string
	rangeLo, rangeHi float64
	off              atomic.Int64 // lr.offset as of the end of the last Next, for other goroutines
}

// NewParser reads the start of r: for CSV the header, checked against SampleColumns (the
// error is a csvin.Errors naming every problem). Input with nothing but blank space is
// an error ("file is empty").
func NewParser(r io.Reader, cfg ParserConfig) (*Parser, error) {
	if cfg.MaxLineLen <= 0 {
		cfg.MaxLineLen = MaxLineLen
	}
	if cfg.Format == 0 {
		cfg.Format = CSV
	}
	if cfg.Ranges == nil {
		cfg.Ranges = DefaultRanges()
	}
	p := &Parser{cfg: cfg, lr: newLineReader(cfg.Name, r, cfg.MaxLineLen, cfg.Encoding)}
	if cfg.Strings == nil {
		p.strs = map[string]string{}
	}
	if cfg.Format == NDJSON {
		if blankInput(p.lr) {
			return nil, csvin.Errorf(cfg.Name, 0, "", "file is empty: one JSON object a line was expected")
		}
		return p, nil
	}
	for {
		rec, line, err := p.record()
		if err == io.EOF {
			return nil, csvin.Errorf(cfg.Name, 0, "", "file is empty: a header row naming the columns is required")
		}
		if err != nil {
			return nil, err
		}
		if len(bytes.TrimSpace(rec)) == 0 {
			continue
		}
		buf, msg := p.splitCSV(rec)
		if msg != "" {
			return nil, csvin.Errorf(cfg.Name, line, "", "malformed CSV header: %s", msg)
		}
		names := make([]string, 0, len(p.bounds)/2)
		for i := 0; i < len(p.bounds); i += 2 {
			names = append(names, string(buf[p.bounds[i]:p.bounds[i+1]]))
		}
		cols, names, err := csvin.CheckHeader(cfg.Name, names, SampleColumns())
		if err != nil {
			return nil, err
		}
		p.nfields = len(names)
		for i, c := range []string{colResource, colMetric, colTS, colValue, colSource} {
			p.idx[i] = -1
			if j, ok := cols[c]; ok {
				p.idx[i] = j
			}
		}
		p.header = append([]byte(nil), rec...)
		return p, nil
	}
}

// blankInput reports whether the input holds nothing but blank space (and a BOM); it
// looks at the buffered head only, so a long input with leading blank lines is not blank.
func blankInput(lr *lineReader) bool {
	head, _ := lr.br.Peek(64 << 10)
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	return len(bytes.TrimSpace(head)) == 0 && len(head) < 64<<10
}

// Header is the CSV header line as read (nil for NDJSON), for reject files.
func (p *Parser) Header() []byte { return p.header }

// Offset is the number of input bytes consumed so far (as of the last Next; safe to
// call from another goroutine, for progress).
func (p *Parser) Offset() int64 { return p.off.Load() }

// Encoding is "UTF-8" or "GB18030".
func (p *Parser) Encoding() string { return p.lr.Encoding() }

// Next appends up to max valid samples to dst and passes each refused line to reject.
// It returns the number appended; io.EOF (with n == 0) when the input is done. A read
// error of the underlying reader is returned as is.
func (p *Parser) Next(dst *Batch, max int, reject func(Reject)) (n int, err error) {
	defer func() { p.off.Store(p.lr.offset) }()
	for n < max {
		var rec []byte
		var line int
		rec, line, err = p.record()
		if err == io.EOF {
			if n > 0 {
				return n, nil
			}
			return 0, io.EOF
		}
		if err != nil {
			if ce, ok := err.(*csvin.Error); ok {
				reject(Reject{Line: ce.Line, Err: ce, Raw: rec})
				continue
			}
			return n, err
		}
		var col, msg string
		if p.cfg.Format == CSV {
			col, msg = p.csvRow(dst, rec)
		} else {
			col, msg = p.jsonRow(dst, rec)
		}
		switch msg {
		case "":
			n++
		case "blank":
		default:
			reject(Reject{Line: line, Err: &csvin.Error{File: p.cfg.Name, Line: line, Column: col, Msg: msg}, Raw: rec})
		}
	}
	return n, nil
}

// record returns the next record: a line, or for CSV several lines when a quoted field
// holds line breaks. A record that cannot be read is returned as a *csvin.Error.
func (p *Parser) record() ([]byte, int, error) {
	line, err := p.lr.next()
	start := p.lr.line
	if err == errLineTooLong {
		return line, start, csvin.Errorf(p.cfg.Name, start, "", "line is longer than %d bytes", p.cfg.MaxLineLen)
	}
	if err == errBadText {
		return line, start, p.lr.badText
	}
	if err != nil {
		return nil, start, err
	}
	if p.cfg.Format != CSV || bytes.IndexByte(line, '"') < 0 || !openQuote(line) {
		return line, start, nil
	}
	// a quoted field goes on to the next line
	p.rec = append(p.rec[:0], line...)
	for openQuote(p.rec) {
		line, err = p.lr.next()
		if err == io.EOF {
			return p.rec, start, csvin.Errorf(p.cfg.Name, start, "", "malformed CSV: a quoted field is not closed before the end of the file")
		}
		if err == errBadText {
			return p.rec, start, p.lr.badText
		}
		if err == errLineTooLong || len(p.rec)+len(line) > p.cfg.MaxLineLen {
			return p.rec, start, csvin.Errorf(p.cfg.Name, start, "", "line is longer than %d bytes (a quoted field is not closed?)", p.cfg.MaxLineLen)
		}
		if err != nil {
			return nil, start, err
		}
		p.rec = append(p.rec, '\n')
		p.rec = append(p.rec, line...)
	}
	return p.rec, start, nil
}

// openQuote reports whether rec ends inside a quoted field (which then goes on on the
// next line). A quote inside an unquoted field does not open one (splitCSV refuses it).
func openQuote(rec []byte) bool {
	inQuote, fieldStart := false, true
	for i := 0; i < len(rec); i++ {
		c := rec[i]
		switch {
		case inQuote:
			if c == '"' {
				if i+1 < len(rec) && rec[i+1] == '"' {
					i++
				} else {
					inQuote = false
				}
			}
		case c == ',':
			fieldStart = true
		case c == '"' && fieldStart:
			inQuote = true
			fieldStart = false
		case c == ' ' || c == '\t':
		default:
			fieldStart = false
		}
	}
	return inQuote
}

// splitCSV splits a record into fields: it returns the buffer the fields lie in, with
// p.bounds holding start and end of each, or what is malformed.
func (p *Parser) splitCSV(rec []byte) ([]byte, string) {
	p.bounds = p.bounds[:0]
	// one pass for the usual record without quotes (fields are short: a loop beats
	// searching for each comma)
	start, quoted := 0, false
	for i, c := range rec {
		if c == ',' {
			p.bounds = append(p.bounds, start, i)
			start = i + 1
		} else if c == '"' {
			quoted = true
			break
		}
	}
	if !quoted {
		p.bounds = append(p.bounds, start, len(rec))
		return rec, ""
	}
	p.bounds = p.bounds[:0]
	p.unq = p.unq[:0]
	i := 0
	for {
		s := len(p.unq)
		// leading blanks before an opening quote are allowed
		j := i
		for j < len(rec) && (rec[j] == ' ' || rec[j] == '\t') {
			j++
		}
		if j < len(rec) && rec[j] == '"' {
			i = j + 1
			for {
				k := bytes.IndexByte(rec[i:], '"')
				if k < 0 {
					return nil, `a quoted field is not closed`
				}
				p.unq = append(p.unq, rec[i:i+k]...)
				i += k + 1
				if i < len(rec) && rec[i] == '"' {
					p.unq = append(p.unq, '"')
					i++
					continue
				}
				break
			}
			for i < len(rec) && (rec[i] == ' ' || rec[i] == '\t') {
				i++
			}
			p.bounds = append(p.bounds, s, len(p.unq))
			if i == len(rec) {
				return p.unq, ""
			}
			if rec[i] != ',' {
				return nil, `text after a closing quote; a quote inside a quoted field is written ""`
			}
			i++
			continue
		}
		k := bytes.IndexByte(rec[i:], ',')
		end := len(rec)
		if k >= 0 {
			end = i + k
		}
		if bytes.IndexByte(rec[i:end], '"') >= 0 {
			return nil, `a quote inside a field that does not start with one`
		}
		p.unq = append(p.unq, rec[i:end]...)
		p.bounds = append(p.bounds, s, len(p.unq))
		if k < 0 {
			return p.unq, ""
		}
		i = end + 1
	}
}

// trimSpace is bytes.TrimSpace, quick when there is nothing to trim.
func trimSpace(b []byte) []byte {
	if len(b) == 0 || (b[0] > ' ' && b[0] < utf8.RuneSelf && b[len(b)-1] > ' ' && b[len(b)-1] < utf8.RuneSelf) {
		return b
	}
	return bytes.TrimSpace(b)
}

// csvRow parses one CSV record into dst; it returns "", "blank" for a blank line, or the
// column and message of what is wrong.
func (p *Parser) csvRow(dst *Batch, rec []byte) (col, msg string) {
	buf, bad := p.splitCSV(rec)
	if bad != "" {
		return "", "malformed CSV: " + bad
	}
	nf := len(p.bounds) / 2
	if nf != p.nfields {
		if nf == 1 && len(bytes.TrimSpace(rec)) == 0 {
			return "", "blank"
		}
		return "", fmt.Sprintf("has %d fields, the header has %d", nf, p.nfields)
	}
	field := func(k int) []byte {
		j := p.idx[k]
		if j < 0 {
			return nil
		}
		f := trimSpace(buf[p.bounds[2*j]:p.bounds[2*j+1]])
		if len(f) > 1 && f[0] == '\'' && csvout.Active(string(f[1:])) {
			f = f[1:] // a cell cloudbill's CSV writer neutralised (package csvout)
		}
		return f
	}
	var src []byte
	if p.idx[4] >= 0 {
		src = field(4)
	}
	return p.sample(dst, field(0), field(1), field(2), field(3), src)
}

// sample validates the fields of one sample and appends it to dst.
func (p *Parser) sample(dst *Batch, resource, metric, ts, value, source []byte) (col, msg string) {
	if m := checkID(resource, MaxResourceIDLen); m != "" {
		return colResource, m
	}
	if m := checkID(metric, MaxMetricLen); m != "" {
		return colMetric, m
	}
	if len(ts) == 0 {
		return colTS, "is empty"
	}
	unix, m := parseTS(ts)
	if m != "" {
		return colTS, quote(ts) + ": " + m
	}
	v, m := parseValue(value)
	if m != "" {
		if len(value) == 0 {
			return colValue, m
		}
		return colValue, quote(value) + ": " + m
	}
	met := p.internLast(&p.lastMetric, metric)
	if met != p.rangeMetric || p.rangeHi == 0 {
		p.rangeMetric = met
		p.rangeLo, p.rangeHi = p.cfg.Ranges.Bounds(met)
	}
	if v < p.rangeLo || v > p.rangeHi {
		return colValue, p.cfg.Ranges.Check(met, v)
	}
	src := p.cfg.Source
	if len(source) > 0 {
		if m := checkID(source, MaxSourceLen); m != "" {
			return colSource, m
		}
		src = p.internLast(&p.lastSource, source)
	}
	res := p.internLast(&p.lastResource, resource) // a resource's metrics come line after line
	if p.cfg.Admit != nil {
		if col, msg := p.cfg.Admit(res, src); msg != "" {
			return col, msg
		}
	}
	dst.add(res, met, unix, v, src)
	return "", ""
}

// parseValue reads a decimal number: digits with an optional sign, point and exponent.
func parseValue(b []byte) (float64, string) {
	if len(b) == 0 {
		return 0, "is empty"
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E' {
			s := strings.ToLower(strings.TrimLeft(string(b), "+-"))
			if s == "nan" || s == "inf" || s == "infinity" {
				return 0, "value is not a finite number"
			}
			return 0, "is not a decimal number"
		}
	}
	v, err := strconv.ParseFloat(unsafe.String(&b[0], len(b)), 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			if math.IsInf(v, 0) {
				return 0, "value is not a finite number"
			}
			return v, "" // underflow to zero
		}
		return 0, "is not a decimal number"
	}
	if m := checkValue(v); m != "" {
		return 0, m
	}
	return v, ""
}

// quote shows a value in a message, cut when long.
func quote(b []byte) string {
	if len(b) > 64 {
		return strconv.Quote(string(b[:64])) + "…"
	}
	return strconv.Quote(string(b))
}

// internLast is intern for a field that is mostly the same as on the line before.
func (p *Parser) internLast(last *string, b []byte) string {
	if string(b) == *last {
		return *last
	}
	*last = p.intern(b)
	return *last
}

// intern returns a string equal to b, shared with earlier equal ones: resource ids,
// metrics and sources repeat from line to line, so most lines allocate nothing.
func (p *Parser) intern(b []byte) string {
	if p.cfg.Strings != nil {
		return p.cfg.Strings.get(b)
	}
	if s, ok := p.strs[string(b)]; ok {
		return s
	}
	if len(p.strs) >= 200_000 {
		clear(p.strs)
	}
	s := string(b)
	p.strs[s] = s
	return s
}
