package csvin

import (
	"errors"
	"fmt"
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

// TestCodedPlace: a place in a file ({at}) in English: the line in the error's own file,
// file:line in another, the file alone for line 0; the key names the record.
func TestCodedPlace(t *testing.T) {
	e := Coded("o.csv", 7, "order_id", CodeItemTwice, append([]string{"item", "C01"}, At("o.csv", "o.csv", 3)...)...).SetKey("item", "C01")
	assert.Equal(t, `o.csv:7: item C01: column "order_id": item C01 appears twice (also line 3)`, e.Error())
	e = Coded("o.csv", 7, "order_id", CodeItemTwice, append([]string{"item", "C01"}, At("o.csv", "old.csv", 3)...)...)
	assert.Equal(t, `o.csv:7: column "order_id": item C01 appears twice (also old.csv:3)`, e.Error())
	e = Coded("o.csv", 7, "order_id", CodeItemTwice, append([]string{"item", "C01"}, At("o.csv", "old.csv", 0)...)...)
	assert.Equal(t, "item C01 appears twice (also old.csv)", e.Msg)
	assert.Equal(t, map[string]string{"item": "C01", "at_file": "old.csv", "at_line": "0", "at": "old.csv"}, e.Params)
	assert.Equal(t, CodeItemTwice, e.Code)
}

// TestIDError: an identifier outside the safe alphabet, too long or empty is a coded
// error at its row and column; a safe one is none.
func TestIDError(t *testing.T) {
	r, err := Open("v.csv", strings.NewReader("id,name\nV1,a\n../x,b\n"+strings.Repeat("a", 65)+",c\n,d\n"), Spec{Required: []string{"id", "name"}})
	require.NoError(t, err)
	var got []*Error
	for {
		row, err := r.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, row.IDError("id", row.Get("id")))
	}
	require.Len(t, got, 4)
	assert.Nil(t, got[0])
	assert.Equal(t, `v.csv:3: column "id": identifier "../x" is not safe: use only letters A–Z a–z, digits, '-', '_' and '.', starting with a letter or digit, at most 64 characters`, got[1].Error())
	assert.Equal(t, CodeIDUnsafe, got[1].Code)
	assert.Equal(t, CodeIDTooLong, got[2].Code)
	assert.Equal(t, "identifier is longer than 64 characters", got[2].Msg)
	assert.Equal(t, CodeEmpty, got[3].Code)
	assert.Equal(t, 5, got[3].Line)
}

// TestErrorUnwrap: an input error is the refusal it stands for (errors.Is).
func TestErrorUnwrap(t *testing.T) {
	closed := errors.New("rules cannot take effect in a closed month")
	e := Coded("r.csv", 0, "", CodeRulesClosed, "effective", "2026-11", "closed", "2026-11", "next", "2026-12")
	assert.NotErrorIs(t, e, closed)
	e.Err = closed
	assert.ErrorIs(t, fmt.Errorf("rules import: %w", e), closed)
	assert.Equal(t, "r.csv: rules effective 2026-11: 2026-11 is closed, its deductions are frozen; the earliest month new rules can take effect is 2026-12", e.Error())
}
