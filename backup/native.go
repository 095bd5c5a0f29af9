package backup

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A table's file holds its rows in ClickHouse's Native format (what `FORMAT Native`
// writes and `INSERT … FORMAT Native` reads, revision 0): a sequence of blocks, each
//
//	uvarint columns, uvarint rows, then per column: string name, string type, the values
//
// (string: uvarint length and bytes). Values are column after column: a fixed-width type
// as rows little-endian values, String as rows strings, Array(T) as rows UInt64 end
// offsets then the elements as a column of T, Nullable(T) as rows null flags then a column
// of T.
//
// The content hash of a table needs each row's values: nativeRows splits a block into
// them. It reads the types cloudbill's schema has (TestBackupTypes checks every column of
// the schema) and refuses others.

// nativeBlock is a block split into rows: cells[c][r] is the bytes of column c's value
// in row r, as the Native format writes it (an array: its elements' bytes).
type nativeBlock struct {
	names []string
	types []string
	rows  int
	cells [][][]byte
}

// errNativeEnd: the data ends inside a block.
var errNativeEnd = errors.New("native block cut short")

type nativeReader struct {
	b   []byte
	pos int
}

func (r *nativeReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.pos:])
	if n <= 0 {
		return 0, errNativeEnd
	}
	r.pos += n
	return v, nil
}

func (r *nativeReader) take(n int) ([]byte, error) {
	if n < 0 || r.pos+n > len(r.b) {
		return nil, errNativeEnd
	}
	out := r.b[r.pos : r.pos+n : r.pos+n]
	r.pos += n
	return out, nil
}

func (r *nativeReader) str() (string, error) {
	n, err := r.uvarint()
	if err != nil {
		return "", err
	}
	if n > uint64(len(r.b)) {
		return "", errNativeEnd
	}
	b, err := r.take(int(n))
	return string(b), err
}

// parseNativeBlock splits one block of b (from its start) into rows and returns the
// bytes it used.
func parseNativeBlock(b []byte) (*nativeBlock, int, error) {
	r := &nativeReader{b: b}
	nc, err := r.uvarint()
	if err != nil {
		return nil, 0, err
	}
	nr, err := r.uvarint()
	if err != nil {
		return nil, 0, err
	}
	if nc > 1<<16 || nr > 1<<31 {
		return nil, 0, fmt.Errorf("native block of %d columns and %d rows: not a Native file", nc, nr)
	}
	blk := &nativeBlock{rows: int(nr)}
	for c := 0; c < int(nc); c++ {
		name, err := r.str()
		if err != nil {
			return nil, 0, err
		}
		typ, err := r.str()
		if err != nil {
			return nil, 0, err
		}
		var cells [][]byte
		if nr > 0 {
			if cells, err = r.values(typ, int(nr)); err != nil {
				return nil, 0, fmt.Errorf("column %s (%s): %w", name, typ, err)
			}
		}
		blk.names, blk.types, blk.cells = append(blk.names, name), append(blk.types, typ), append(blk.cells, cells)
	}
	return blk, r.pos, nil
}

// values reads n values of type typ, each as its bytes.
func (r *nativeReader) values(typ string, n int) ([][]byte, error) {
	out := make([][]byte, n)
	switch {
	case typ == "String":
		for i := range out {
			start := r.pos
			l, err := r.uvarint()
			if err != nil {
				return nil, err
			}
			if l > uint64(len(r.b)) {
				return nil, errNativeEnd
			}
			if _, err := r.take(int(l)); err != nil {
				return nil, err
			}
			out[i] = r.b[start:r.pos:r.pos]
		}
		return out, nil
	case strings.HasPrefix(typ, "Array(") && strings.HasSuffix(typ, ")"):
		inner := typ[len("Array(") : len(typ)-1]
		if strings.HasPrefix(inner, "Array(") || strings.HasPrefix(inner, "Nullable(") {
			return nil, fmt.Errorf("type %s: not read by backup", typ)
		}
		offs, err := r.take(8 * n)
		if err != nil {
			return nil, err
		}
		total := binary.LittleEndian.Uint64(offs[8*(n-1):])
		if total > uint64(len(r.b)) {
			return nil, errNativeEnd
		}
		var elems [][]byte
		if total > 0 {
			if elems, err = r.values(inner, int(total)); err != nil {
				return nil, err
			}
		}
		// the elements of a row are consecutive: its bytes run from its first element to
		// its last (each element's length is known from the type, so the span is
		// unambiguous)
		prev := uint64(0)
		for i := range out {
			end := binary.LittleEndian.Uint64(offs[8*i:])
			if end < prev || end > total {
				return nil, fmt.Errorf("array offsets out of order")
			}
			if end > prev {
				first, last := elems[prev], elems[end-1]
				out[i] = spanOf(r.b, first, last)
			} else {
				out[i] = []byte{}
			}
			prev = end
		}
		return out, nil
	case strings.HasPrefix(typ, "Nullable(") && strings.HasSuffix(typ, ")"):
		nulls, err := r.take(n)
		if err != nil {
			return nil, err
		}
		vals, err := r.values(typ[len("Nullable("):len(typ)-1], n)
		if err != nil {
			return nil, err
		}
		for i := range out {
			out[i] = append([]byte{nulls[i]}, vals[i]...)
		}
		return out, nil
	}
	w, err := fixedWidth(typ)
	if err != nil {
		return nil, err
	}
	data, err := r.take(w * n)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i] = data[i*w : (i+1)*w : (i+1)*w]
	}
	return out, nil
}

// spanOf is the bytes of b from first's start to last's end (both slices of b).
func spanOf(b, first, last []byte) []byte {
	start := cap(b) - cap(first)
	end := cap(b) - cap(last) + len(last)
	return b[start:end:end]
}

// fixedWidth is the bytes of one value of a fixed-width type.
func fixedWidth(typ string) (int, error) {
	switch typ {
	case "UInt8", "Int8", "Bool", "Enum8":
		return 1, nil
	case "UInt16", "Int16", "Date", "Enum16":
		return 2, nil
	case "UInt32", "Int32", "Float32", "DateTime", "Date32", "IPv4":
		return 4, nil
	case "UInt64", "Int64", "Float64":
		return 8, nil
	case "UInt128", "Int128", "UUID", "IPv6":
		return 16, nil
	case "UInt256", "Int256":
		return 32, nil
	}
	switch {
	case strings.HasPrefix(typ, "DateTime("):
		return 4, nil
	case strings.HasPrefix(typ, "DateTime64("):
		return 8, nil
	case strings.HasPrefix(typ, "Enum8("):
		return 1, nil
	case strings.HasPrefix(typ, "Enum16("):
		return 2, nil
	case strings.HasPrefix(typ, "FixedString("):
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(typ, "FixedString("), ")"))
		if err == nil && n > 0 {
			return n, nil
		}
	case strings.HasPrefix(typ, "Decimal("):
		p, _, _ := strings.Cut(strings.TrimPrefix(typ, "Decimal("), ",")
		prec, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(p, ")")))
		switch {
		case err != nil:
		case prec <= 9:
			return 4, nil
		case prec <= 18:
			return 8, nil
		case prec <= 38:
			return 16, nil
		case prec <= 76:
			return 32, nil
		}
	}
	return 0, fmt.Errorf("type %s: not read by backup", typ)
}

// add adds the rows of blk to the hash: each row's SHA-256 is over its values in column
// order, each as its length (uvarint) and its bytes.
func (h *rowHash) addBlock(blk *nativeBlock) {
	var line []byte
	for r := 0; r < blk.rows; r++ {
		line = line[:0]
		for c := range blk.cells {
			line = binary.AppendUvarint(line, uint64(len(blk.cells[c][r])))
			line = append(line, blk.cells[c][r]...)
		}
		h.add(line)
	}
}

// hashNative adds every row of the Native blocks in b to h and returns the column names
// of the last block.
func hashNative(b []byte, h *rowHash) ([]string, error) {
	var names []string
	for len(b) > 0 {
		blk, n, err := parseNativeBlock(b)
		if err != nil {
			return nil, err
		}
		h.addBlock(blk)
		names = blk.names
		b = b[n:]
	}
	return names, nil
}

// CheckType reports whether a backup reads values of a column type.
func CheckType(typ string) error {
	switch {
	case typ == "String":
		return nil
	case strings.HasPrefix(typ, "Array(") && strings.HasSuffix(typ, ")"):
		inner := typ[len("Array(") : len(typ)-1]
		if strings.HasPrefix(inner, "Array(") || strings.HasPrefix(inner, "Nullable(") {
			return fmt.Errorf("type %s: not read by backup", typ)
		}
		return CheckType(inner)
	case strings.HasPrefix(typ, "Nullable(") && strings.HasSuffix(typ, ")"):
		return CheckType(typ[len("Nullable(") : len(typ)-1])
	}
	_, err := fixedWidth(typ)
	return err
}
