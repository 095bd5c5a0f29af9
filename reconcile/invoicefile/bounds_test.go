package invoicefile

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withSheet rebuilds a workbook with xl/worksheets/sheet1.xml written by sheet.
func withSheet(t *testing.T, sheet func(w io.Writer)) []byte {
	t.Helper()
	base := workbook(t, [][]any{head}, nil)
	zr, err := zip.NewReader(bytes.NewReader(base), int64(len(base)))
	require.NoError(t, err)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		require.NoError(t, err)
		if f.Name == "xl/worksheets/sheet1.xml" {
			sheet(w)
			continue
		}
		rc, err := f.Open()
		require.NoError(t, err)
		_, err = io.Copy(w, rc)
		require.NoError(t, err)
		rc.Close()
	}
	require.NoError(t, zw.Close())
	return out.Bytes()
}

const sheetHead = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
	`<row r="1"><c r="A1" t="inlineStr"><is><t>vendor_id</t></is></c><c r="B1" t="inlineStr"><is><t>period</t></is></c><c r="C1" t="inlineStr"><is><t>order_id</t></is></c><c r="D1" t="inlineStr"><is><t>item_code</t></is></c><c r="E1" t="inlineStr"><is><t>amount</t></is></c></row>`

const sheetTail = `</sheetData></worksheet>`

func line(r int, amount string) string {
	return fmt.Sprintf(`<row r="%d"><c r="A%d" t="inlineStr"><is><t>V1</t></is></c><c r="B%d" t="inlineStr"><is><t>2026-11</t></is></c><c r="C%d" t="inlineStr"><is><t>O%d</t></is></c><c r="D%d" t="inlineStr"><is><t>ECS</t></is></c><c r="E%d"><v>%s</v></c></row>`, r, r, r, r, r, r, r, amount)
}

// Hostile-input probe, finding 6: a 2 MB workbook holding 2 GiB of spaces in sheet1.xml took 8 GB of
// memory; 3 M rows were read as 1,048,574. Both are refused, with the bound named.
func TestXLSXBounds(t *testing.T) {
	spaces := bytes.Repeat([]byte(" "), 1<<20)
	cases := []struct {
		name  string
		sheet func(w io.Writer)
		want  string
	}{
		{"decompresses beyond the bound (zip bomb)", func(w io.Writer) {
			io.WriteString(w, sheetHead)
			for i := 0; i < (MaxUnzippedBytes>>20)+1; i++ {
				w.Write(spaces)
			}
			io.WriteString(w, sheetTail)
		}, "inv.xlsx: refused: its parts decompress to more than 256 MiB (bound of a workbook)"},
		{"2 MiB of blank text inside the sheet", func(w io.Writer) {
			io.WriteString(w, sheetHead)
			w.Write(spaces)
			w.Write(spaces)
			io.WriteString(w, sheetTail)
		}, "inv.xlsx: refused: xl/worksheets/sheet1.xml: more than 1024 KiB of text without markup"},
		{"a row past Excel's last row", func(w io.Writer) {
			io.WriteString(w, sheetHead+line(2, "10")+line(MaxRows+1, "10")+sheetTail)
		}, "inv.xlsx:1048577: the sheet has more than 1048576 rows (Excel's limit): refused, not truncated"},
		{"a cell longer than Excel allows", func(w io.Writer) {
			io.WriteString(w, sheetHead+`<row r="2"><c r="A2" t="inlineStr"><is><t>`+strings.Repeat("x", MaxCellChars+1)+`</t></is></c></row>`+sheetTail)
		}, `inv.xlsx:2: column "vendor_id": a cell of more than 32767 characters (Excel's limit): refused`},
		// Hostile input: a value per row in column XFD made 16,384 fields a row (1 GB
		// for 20,000 rows); refused at the first such row
		{"a value under no header, in column XFD", func(w io.Writer) {
			io.WriteString(w, sheetHead+line(2, "10"))
			for r := 3; r < 20_000; r++ {
				fmt.Fprintf(w, `<row r="%d"><c r="XFD%d"><v>1</v></c></row>`, r, r)
			}
			io.WriteString(w, sheetTail)
		}, "inv.xlsx:3: a value in column XFD, beyond the header's last column E: every value needs a column named in row 1; refused"},
		{"a header cell in column XFD", func(w io.Writer) {
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>vendor_id</t></is></c><c r="XFD1" t="inlineStr"><is><t>x_note</t></is></c></row>`+line(2, "10")+sheetTail)
		}, "inv.xlsx:1: the header row has a cell in column XFD, beyond the 256 columns an invoice may have: refused"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := withSheet(t, c.sheet)
			inv, err := ReadFrom("inv.xlsx", bytes.NewReader(data), want)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
			assert.Empty(t, inv.Claims)
		})
	}
	t.Run("rows without numbers past Excel's last row are refused, not truncated", func(t *testing.T) {
		data := withSheet(t, func(w io.Writer) {
			io.WriteString(w, sheetHead)
			row := []byte(`<row><c t="inlineStr"><is><t>V1</t></is></c></row>`)
			for r := 2; r <= MaxRows+1; r++ {
				w.Write(row)
			}
			io.WriteString(w, sheetTail)
		})
		inv, err := ReadFrom("inv.xlsx", bytes.NewReader(data), want)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "inv.xlsx:1048577: the sheet has more than 1048576 rows (Excel's limit): refused, not truncated")
		assert.Empty(t, inv.Claims)
	})
	t.Run("many rows without numbers, counted", func(t *testing.T) {
		data := withSheet(t, func(w io.Writer) {
			io.WriteString(w, sheetHead)
			for r := 2; r <= 5; r++ {
				io.WriteString(w, line(r, "1.5"))
			}
			io.WriteString(w, sheetTail)
		})
		inv, err := ReadFrom("inv.xlsx", bytes.NewReader(data), want)
		require.NoError(t, err)
		assert.Len(t, inv.Claims, 4)
	})
	t.Run("file larger than the bound", func(t *testing.T) {
		big := append([]byte("PK\x03\x04"), make([]byte, MaxXLSXBytes)...)
		_, err := ReadFrom("inv.xlsx", bytes.NewReader(big), want)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "inv.xlsx: the workbook is larger than 64 MiB: refused")
	})
}
