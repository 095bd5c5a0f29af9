package csvin

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding/simplifiedchinese"
)

var spec = Spec{Required: []string{"id", "name"}, Optional: []string{"parent_id"}}

func readAll(t *testing.T, r *Reader) (rows [][2]string, errs []error) {
	t.Helper()
	for {
		row, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rows = append(rows, [2]string{row.Get("id"), row.Get("name")})
	}
}

func TestEncodings(t *testing.T) {
	gb, err := simplifiedchinese.GB18030.NewEncoder().String("id,name\nD1,区财政局\nD2,区大数据发展局\n")
	require.NoError(t, err)
	cases := map[string]string{
		"utf8":     "id,name\nD1,区财政局\nD2,区大数据发展局\n",
		"utf8 bom": "\xef\xbb\xbfid,name\r\nD1,区财政局\r\nD2,区大数据发展局\r\n",
		"gb18030":  gb,
		"late gb":  "id,name\n" + strings.Repeat("D0,x\n", 20000) + gb[len("id,name\n"):],
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			r, err := Open("f.csv", strings.NewReader(in), spec)
			require.NoError(t, err)
			rows, errs := readAll(t, r)
			require.Empty(t, errs)
			n := len(rows)
			assert.Equal(t, [2]string{"D1", "区财政局"}, rows[n-2])
			assert.Equal(t, [2]string{"D2", "区大数据发展局"}, rows[n-1])
		})
	}
}

func TestHeaderErrors(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "f.csv: file is empty"},
		{"missing", "id\nD1\n", `f.csv:1: column "name": required column is missing`},
		{"unknown", "id,name,colour\n", `f.csv:1: column "colour": unknown column`},
		{"twice", "id,name,id\n", `f.csv:1: column "id": column appears twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Open("f.csv", strings.NewReader(c.in), spec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	r, err := Open("f.csv", strings.NewReader("ID , Name,x_note\nD1,a,n\n"), spec)
	require.NoError(t, err, "header names are case- and space-insensitive; x_ columns are allowed")
	rows, _ := readAll(t, r)
	assert.Equal(t, [][2]string{{"D1", "a"}}, rows)
}

func TestLineErrorsKeepGoing(t *testing.T) {
	in := "id,name\nD1,a\nD2\n\nD3,\"bad\"quote\nD4,d\n"
	r, err := Open("f.csv", strings.NewReader(in), spec)
	require.NoError(t, err)
	rows, errs := readAll(t, r)
	assert.Equal(t, [][2]string{{"D1", "a"}, {"D4", "d"}}, rows)
	require.Len(t, errs, 2)
	assert.Equal(t, "f.csv:3: has 1 fields, the header has 2", errs[0].Error())
	var e *Error
	require.True(t, errors.As(errs[1], &e))
	assert.Equal(t, 5, e.Line)
}
