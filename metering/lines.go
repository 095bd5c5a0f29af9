package metering

import (
	"bufio"
	"errors"
	"io"

	"cloudbill/internal/csvin"
)

// lineReader splits the input into lines without copying them (a line is valid until the
// next call). It drops a leading UTF-8 byte-order mark and decodes GB18030 (GBK) input to
// UTF-8 with csvin.TextDecoder: the file is one encoding as a whole, decided with evidence
// by csvin.Detect (or given); a line that is not valid in it is refused with the byte named
// (GB18030 never uses the byte '\n' inside a character, so lines split the same way in both
// encodings).
type lineReader struct {
	br      *bufio.Reader
	text    *csvin.TextDecoder
	badText *csvin.Error // why the line last returned with errBadText is refused
	line    int          // number of the line last returned (1-based)
	offset  int64        // bytes of input consumed
	max     int
	scratch []byte
	long    []byte
}

// errBadText is returned (with the line) for a line that is neither UTF-8 nor GB18030.
var errBadText = errors.New("line is neither UTF-8 nor GB18030 text")

// errLineTooLong is returned (with the line's number in lineReader.line) for a line longer
// than the maximum; the line has been skipped.
var errLineTooLong = errors.New("line too long")

func newLineReader(name string, r io.Reader, max int, enc csvin.Encoding) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(r, 64<<10), text: csvin.NewTextDecoder(name, enc), max: max}
}

// Encoding is "UTF-8" or "GB18030", as seen so far.
func (lr *lineReader) Encoding() string { return lr.text.Encoding() }

// next returns the next line without its line ending, io.EOF at the end, or
// errLineTooLong for a line over the maximum (skipped; the returned bytes are its start).
func (lr *lineReader) next() (line []byte, err error) {
	line, err = lr.br.ReadSlice('\n')
	lr.line++
	lr.offset += int64(len(line))
	if err == bufio.ErrBufferFull {
		// longer than the buffer: gather it, up to the maximum
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull && len(lr.long) <= lr.max {
			line, err = lr.br.ReadSlice('\n')
			lr.offset += int64(len(line))
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	if len(line) > lr.max+1 || (len(line) == lr.max+1 && line[lr.max] != '\n') {
		head := append(lr.scratch[:0], line[:min(len(line), 200)]...)
		lr.scratch = head
		for err == bufio.ErrBufferFull {
			line, err = lr.br.ReadSlice('\n')
			lr.offset += int64(len(line))
		}
		if len(lr.long) > 4<<20 {
			lr.long = nil // do not keep a huge buffer
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		return head, errLineTooLong
	}
	if len(line) == 0 {
		if err == nil {
			err = io.EOF
		}
		return nil, err
	}
	if err != nil && err != io.EOF {
		return nil, err
	}
	if n := len(line); line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	if isASCII(line) {
		return line, nil // the usual line: nothing to decode
	}
	if !lr.text.Decided() {
		line = append(lr.scratch[:0], line...) // Peek may move the buffer under line
		lr.scratch = line
	}
	out, terr := lr.text.Line(lr.line, line, func() []byte {
		ahead, _ := lr.br.Peek(64 << 10)
		return ahead
	})
	if terr != nil {
		lr.badText = terr
		return line, errBadText
	}
	return out, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
