package metering

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// lineReader splits the input into lines without copying them (a line is valid until the
// next call). It drops a leading UTF-8 byte-order mark and decodes GB18030 (GBK) input to
// UTF-8: the encoding is taken as GB18030 when the first 64 KiB are not valid UTF-8, and any
// later line that is not valid UTF-8 is decoded as GB18030 too (GB18030 never uses the byte
// '\n' inside a character, so lines split the same way in both encodings).
type lineReader struct {
	br      *bufio.Reader
	gb      bool
	first   bool
	line    int   // number of the line last returned (1-based)
	offset  int64 // bytes of input consumed
	max     int
	scratch []byte
	long    []byte
}

// errBadText is returned (with the line) for a line that is neither UTF-8 nor GB18030.
var errBadText = errors.New("line is neither UTF-8 nor GB18030 text")

// errLineTooLong is returned (with the line's number in lineReader.line) for a line longer
// than the maximum; the line has been skipped.
var errLineTooLong = errors.New("line too long")

func newLineReader(r io.Reader, max int) *lineReader {
	lr := &lineReader{br: bufio.NewReaderSize(r, 64<<10), first: true, max: max}
	if head, _ := lr.br.Peek(64 << 10); len(head) > 0 {
		h := bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
		if !validPrefix(h) {
			lr.gb = true
		}
	}
	return lr
}

// validPrefix is utf8.Valid allowing one character cut at the end of the buffer.
func validPrefix(b []byte) bool {
	for i := 0; i < 4 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

// Encoding is "UTF-8" or "GB18030", as seen so far.
func (lr *lineReader) Encoding() string {
	if lr.gb {
		return "GB18030"
	}
	return "UTF-8"
}

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
	if lr.first {
		lr.first = false
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	if (lr.gb && !isASCII(line)) || (!lr.gb && !utf8.Valid(line)) {
		lr.gb = true
		out, derr := simplifiedchinese.GB18030.NewDecoder().Bytes(line)
		if derr != nil || !utf8.Valid(out) {
			return line, errBadText
		}
		lr.scratch = append(lr.scratch[:0], out...)
		line = lr.scratch
	}
	return line, nil
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}
