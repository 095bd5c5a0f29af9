package csvin

import (
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// endless is a reader of n bytes of one byte b after a prefix, allocating nothing.
type endless struct {
	prefix string
	b      byte
	n      int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.prefix != "" {
		k := copy(p, e.prefix)
		e.prefix = e.prefix[k:]
		return k, nil
	}
	if e.n <= 0 {
		return 0, io.EOF
	}
	k := int64(len(p))
	if k > e.n {
		k = e.n
	}
	for i := range p[:k] {
		p[i] = e.b
	}
	e.n -= k
	return int(k), nil
}

// Hostile input: memory bounded by design: a record is at most MaxRecordBytes, checked while
// reading, so a line of 256 MiB, or a quote never closed, is refused with a bounded
// amount of memory (the file's line named), not read whole.
func TestRecordBound(t *testing.T) {
	spec := Spec{Required: []string{"id", "name"}}
	read := func(r io.Reader) (n int, err error) {
		cr, err := Open("f.csv", r, spec)
		if err != nil {
			return 0, err
		}
		for {
			_, err := cr.Next()
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			n++
		}
	}
	cases := []struct {
		name string
		in   func() io.Reader
		want string
	}{
		{"a line of 256 MiB", func() io.Reader { return &endless{prefix: "id,name\nD1,ok\nD2,", b: 'x', n: 256 << 20} },
			"f.csv:3: a record of more than 1024 KiB (a quoted field not closed?): refused"},
		{"a quote never closed, over 256 MiB of short lines", func() io.Reader {
			return &endless{prefix: "id,name\nD1,ok\nD2,\"", b: '\n', n: 256 << 20}
		}, "a record of more than 1024 KiB (a quoted field not closed?): refused"},
		{"a header of 256 MiB", func() io.Reader { return &endless{prefix: "id,", b: 'y', n: 256 << 20} },
			"f.csv:1: a record of more than 1024 KiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := read(c.in())
			runtime.ReadMemStats(&after)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("allocated %d KiB", alloc>>10)
			assert.Less(t, alloc, uint64(32<<20), "bytes allocated to refuse it (of 256 MiB read)")
		})
	}
	t.Run("a record just under the bound is read", func(t *testing.T) {
		n, err := read(strings.NewReader("id,name\nD1," + strings.Repeat("z", (1<<20)-100) + "\nD2,ok\n"))
		require.NoError(t, err)
		assert.Equal(t, 2, n)
	})
}
