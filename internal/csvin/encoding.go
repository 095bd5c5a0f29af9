package csvin

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Encoding is the character encoding of an input file: UTF-8 or GB18030 (GBK is a
// subset), or Auto to decide from the file itself (Detect).
type Encoding int

const (
	// Auto decides from the text: see Detect.
	Auto Encoding = iota
	// UTF8 takes the file as UTF-8 (a leading byte-order mark is dropped).
	UTF8
	// GB18030 takes the file as GB18030 (which includes GBK and GB2312).
	GB18030
)

func (e Encoding) String() string {
	switch e {
	case UTF8:
		return "UTF-8"
	case GB18030:
		return "GB18030"
	}
	return "auto"
}

// ParseEncoding reads the value of an --encoding flag: "auto" (or empty), "utf-8"
// ("utf8"), "gb18030" ("gbk", "gb2312": read as GB18030, which contains them).
func ParseEncoding(s string) (Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "auto":
		return Auto, nil
	case "utf-8", "utf8":
		return UTF8, nil
	case "gb18030", "gbk", "gb2312":
		return GB18030, nil
	}
	return Auto, fmt.Errorf("unknown encoding %q (expected auto, utf-8 or gb18030)", s)
}

// ByteError is a byte that the text cannot hold in the encoding decided: Offset is its
// position in the text given (0-based).
type ByteError struct {
	Offset int
	Byte   byte
	Msg    string
	// Code is why, as data (CodeGBByChance, CodeDamagedUTF8, CodeNeitherText).
	Code Code
}

func (e *ByteError) Error() string {
	return fmt.Sprintf("byte %d (0x%02X): %s", e.Offset+1, e.Byte, e.Msg)
}

// Detect decides the encoding of a piece of text: the one detection rule of cloudbill
// (CSV imports, sample files and requests use it through TextDecoder). The first line
// that holds a non-ASCII byte decides:
//   - a byte-order mark, or valid UTF-8 with a character of three bytes or more (every
//     Chinese character is one): UTF-8;
//   - valid UTF-8 with two-byte characters only ("é", but also a GB18030 "省"): UTF-8
//     unless a later line of b is GB18030 and not UTF-8;
//   - not UTF-8 but valid GB18030: GB18030;
//   - mostly valid UTF-8 (at least 3 of 4 non-ASCII bytes form UTF-8 characters, one of
//     three bytes or more) with bytes that are not: a damaged UTF-8 file, which read as
//     GB18030 would turn every Chinese character into another ("中" → "涓"): undecidable;
//   - neither UTF-8 nor GB18030 (e.g. Latin-1 "café,"): undecidable.
//
// It returns Auto with no error when b is all ASCII (nothing to decide yet). For an
// undecidable text the error names the first offending byte (Offset within b). An
// incomplete character at the very end of b is not held against it when cut is true (b
// is a window cut from a longer text).
func Detect(b []byte, cut bool) (Encoding, *ByteError) {
	if bytes.HasPrefix(b, bom) {
		return UTF8, nil
	}
	for start := 0; start < len(b); {
		end := bytes.IndexByte(b[start:], '\n')
		last := end < 0
		if last {
			end = len(b)
		} else {
			end += start
		}
		c, off := classify(b[start:end], cut && last)
		switch c {
		case ascii:
			start = end + 1
			continue
		case strongUTF8:
			return UTF8, nil
		case gbText:
			if ok, off := looksChinese(b[start:], cut); !ok {
				if off >= end-start { // the line is Chinese, the evidence after it is not
					off = firstNonASCII(b[start:end])
				}
				return Auto, &ByteError{Offset: start + off, Byte: b[start+off], Code: CodeGBByChance, Msg: "is valid GB18030 only by chance: read so, most of the text's characters would not be Chinese (outside GB2312's common ones), as with Latin-1 text such as Müller or café; undecidable"}
			}
			return GB18030, nil
		case weakUTF8:
			for rest := end + 1; rest < len(b); {
				e := bytes.IndexByte(b[rest:], '\n')
				if e < 0 {
					e = len(b)
				} else {
					e += rest
				}
				if c2, _ := classify(b[rest:e], cut && e == len(b)); c2 == gbText {
					if ok, _ := looksChinese(b[start:], cut); ok {
						return GB18030, nil
					}
					return UTF8, nil // Latin-1 further on: that line is refused as not UTF-8
				} else if c2 == strongUTF8 {
					break
				}
				rest = e + 1
			}
			return UTF8, nil
		case damagedUTF8:
			return Auto, &ByteError{Offset: start + off, Byte: b[start+off], Code: CodeDamagedUTF8, Msg: "is not valid UTF-8 in text that is otherwise UTF-8: a damaged file, not GB18030"}
		default:
			return Auto, &ByteError{Offset: start + off, Byte: b[start+off], Code: CodeNeitherText, Msg: "is neither UTF-8 nor GB18030 text"}
		}
	}
	return Auto, nil
}

type class int

const (
	ascii class = iota
	strongUTF8
	weakUTF8
	gbText
	damagedUTF8
	neither
)

// classify says what one line is; off is the offending byte of damagedUTF8 and neither.
func classify(b []byte, cut bool) (c class, off int) {
	first := firstNonASCII(b)
	if first < 0 {
		return ascii, 0
	}
	good, bad, firstBad, long := 0, 0, -1, 0
	for i := first; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			if cut && !utf8.FullRune(b[i:]) {
				break // cut inside a character at the end of the window
			}
			if firstBad < 0 {
				firstBad = i
			}
			bad++
			i++
			continue
		}
		if n >= 3 {
			long++
		}
		good += n
		i += n
	}
	switch {
	case bad == 0 && long > 0:
		return strongUTF8, 0
	case bad == 0:
		return weakUTF8, 0
	case long > 0 && good >= 3*bad:
		return damagedUTF8, firstBad
	}
	if off := invalidGB18030(b, cut); off >= 0 {
		return neither, off
	}
	return gbText, 0
}

// looksUTF8 reports whether a line read as GB18030 is rather UTF-8 text: valid UTF-8
// with at least two characters of three bytes (Chinese in UTF-8), which GB18030 text
// practically never is.
func looksUTF8(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	long := 0
	for i := 0; i < len(b); {
		_, n := utf8.DecodeRune(b[i:])
		if n >= 3 {
			long++
		}
		i += n
	}
	return long >= 2
}

var bom = []byte("\xef\xbb\xbf")

func firstNonASCII(b []byte) int {
	for i, c := range b {
		if c >= utf8.RuneSelf {
			return i
		}
	}
	return -1
}

// invalidGB18030 returns the offset of the first byte that does not start or continue a
// GB18030 character, or -1. cut allows an incomplete character at the end.
func invalidGB18030(b []byte, cut bool) int {
	for i := 0; i < len(b); {
		c := b[i]
		switch {
		case c < 0x80:
			i++
		case c == 0x80 || c == 0xFF:
			return i
		default: // lead 0x81–0xFE
			if i+1 >= len(b) {
				if cut {
					return -1
				}
				return i
			}
			c2 := b[i+1]
			switch {
			case (c2 >= 0x40 && c2 <= 0x7E) || (c2 >= 0x80 && c2 <= 0xFE):
				i += 2
			case c2 >= 0x30 && c2 <= 0x39:
				if i+3 >= len(b) {
					if cut {
						return -1
					}
					return i
				}
				c3, c4 := b[i+2], b[i+3]
				if c3 < 0x81 || c3 > 0xFE || c4 < 0x30 || c4 > 0x39 {
					return i
				}
				if decodesBadly(b[i : i+4]) {
					return i
				}
				i += 4
			default:
				return i
			}
		}
	}
	return -1
}

// looksChinese reports whether text decided to be GB18030 reads as Chinese: at least
// half of its non-ASCII characters are common ones, those of GB2312 (its 6,763 hanzi and
// its punctuation and full-width forms: first byte 0xA1–0xA9 or 0xB0–0xF7, second byte
// 0xA1–0xFE). Chinese text practically always is; Latin-1 text that happens to be valid
// GB18030 practically never is, since an accented letter followed by an ASCII letter
// ("ü" + "l" in "Müller", "ß" + "e" in "Straße") is a GBK extension character (黮, 遝).
// off is the first character that is not common (relative to b), when not ok. cut
// allows an incomplete character at the end.
func looksChinese(b []byte, cut bool) (ok bool, off int) {
	common, other, first := 0, 0, -1
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			i++
			continue
		}
		n := 2
		if i+1 < len(b) && b[i+1] >= 0x30 && b[i+1] <= 0x39 {
			n = 4
		}
		if i+n > len(b) {
			if cut {
				break
			}
			n = len(b) - i
		}
		if n == 2 && ((c >= 0xA1 && c <= 0xA9) || (c >= 0xB0 && c <= 0xF7)) && b[i+1] >= 0xA1 && b[i+1] <= 0xFE {
			common++
		} else {
			other++
			if first < 0 {
				first = i
			}
		}
		i += n
	}
	return common >= other, first
}

// decodesBadly reports whether a structurally valid four-byte GB18030 sequence maps to
// no character (x/text decodes it as U+FFFD, which itself is 84 31 A4 37).
func decodesBadly(seq []byte) bool {
	if bytes.Equal(seq, []byte{0x84, 0x31, 0xA4, 0x37}) {
		return false
	}
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(seq)
	return err != nil || bytes.ContainsRune(out, utf8.RuneError)
}

// TextDecoder decides the encoding of one file and turns its lines into UTF-8. The file
// is one encoding as a whole: the first line that holds a non-ASCII byte decides (with
// the text after it, up to 64 KiB, as further evidence: Detect), and every later line
// must be valid in that encoding, else Line returns an *Error naming the line and the
// byte. With an Encoding other than Auto nothing is guessed.
type TextDecoder struct {
	file      string
	enc       Encoding
	forced    bool
	decidedAt int
	buf       []byte
}

// NewTextDecoder decodes the lines of file (named in errors) in enc.
func NewTextDecoder(file string, enc Encoding) *TextDecoder {
	return &TextDecoder{file: file, enc: enc, forced: enc != Auto}
}

// Encoding is "UTF-8" or "GB18030" (UTF-8 until decided).
func (d *TextDecoder) Encoding() string {
	if d.enc == GB18030 {
		return "GB18030"
	}
	return "UTF-8"
}

// Decided reports whether the encoding is known (given, or decided by the text so far).
func (d *TextDecoder) Decided() bool { return d.enc != Auto }

// Line returns line n (1-based, without its line ending) as UTF-8: b itself when it
// needs no change, else a buffer valid until the next call. A leading byte-order mark
// on line 1 is dropped (and decides UTF-8). ahead, called only while undecided and b is
// not ASCII, returns the text that follows b (evidence for Detect).
func (d *TextDecoder) Line(n int, b []byte, ahead func() []byte) ([]byte, *Error) {
	if n == 1 && bytes.HasPrefix(b, bom) {
		b = b[len(bom):]
		if d.enc == Auto {
			d.enc, d.decidedAt = UTF8, 1
		}
	}
	if d.enc == Auto {
		if firstNonASCII(b) < 0 {
			return b, nil
		}
		var more []byte
		if ahead != nil {
			more = ahead()
		}
		ev := make([]byte, 0, len(b)+1+len(more))
		ev = append(append(append(ev, b...), '\n'), more...)
		enc, berr := Detect(ev, len(more) > 0)
		if berr != nil && berr.Offset >= len(b) {
			// the evidence fails further on: decide on this line; that later line is
			// refused when it is read
			enc, berr = Detect(b, false)
		}
		if berr != nil {
			return nil, Coded(d.file, n, "", berr.Code, byteAt(berr.Offset, berr.Byte)...)
		}
		d.enc, d.decidedAt = enc, n
	}
	switch d.enc {
	case UTF8:
		if utf8.Valid(b) {
			return b, nil
		}
		i := 0
		for i < len(b) {
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			i += size
		}
		return nil, d.coded(n, CodeNotUTF8, CodeNotUTF8Flag, byteAt(i, b[i])...)
	default:
		if firstNonASCII(b) < 0 {
			return b, nil
		}
		if !d.forced && looksUTF8(b) {
			return nil, d.coded(n, CodeUTF8Line, "")
		}
		if off := invalidGB18030(b, false); off >= 0 {
			return nil, d.coded(n, CodeNotGB18030, CodeNotGB18030Flag, byteAt(off, b[off])...)
		}
		out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(b)
		if err != nil {
			return nil, Coded(d.file, n, "", CodeGB18030, "detail", err.Error())
		}
		d.buf = append(d.buf[:0], out...)
		return d.buf, nil
	}
}

// coded is an encoding error at line n: code when the text decided the encoding (the
// line that did is named), flagCode when --encoding did.
func (d *TextDecoder) coded(n int, code, flagCode Code, kv ...string) *Error {
	if d.forced && flagCode != "" {
		return Coded(d.file, n, "", flagCode, kv...)
	}
	return Coded(d.file, n, "", code, append(kv, "decided", strconv.Itoa(d.decidedAt))...)
}

// byteAt names the byte at off (0-based) of a line: its position from 1 and its value.
func byteAt(off int, c byte) []string {
	return []string{"byte", strconv.Itoa(off + 1), "hex", fmt.Sprintf("%02X", c)}
}
