package pdf

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/document/sheet"
)

// word is one word of `pdftotext -bbox`, in points from the page's top left.
type word struct {
	XMin float64 `xml:"xMin,attr"`
	YMin float64 `xml:"yMin,attr"`
	XMax float64 `xml:"xMax,attr"`
	YMax float64 `xml:"yMax,attr"`
	Text string  `xml:",chardata"`
}

func words(t *testing.T, pdf []byte) [][]word {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed: run `make deps`")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(f, pdf, 0o644))
	out, err := exec.Command("pdftotext", "-bbox", f, "-").Output()
	require.NoError(t, err)
	var doc struct {
		Pages []struct {
			Words []word `xml:"word"`
		} `xml:"body>doc>page"`
	}
	require.NoError(t, xml.Unmarshal([]byte(strings.ReplaceAll(string(out), "&nbsp;", " ")), &doc))
	var pages [][]word
	for _, p := range doc.Pages {
		pages = append(pages, p.Words)
	}
	return pages
}

// Hostile-input probe, finding 9: a department name of 1,651 characters ran the PDF's running header
// over the mark and a field over the footer. Names are wrapped, then cut with an
// ellipsis in every block that must fit on a page (the CSV keeps them whole).
func TestLongNameStaysInItsBox(t *testing.T) {
	long := strings.Repeat("区大数据发展局政务信息化项目建设与运维管理服务中心", 69)[:1651*3]
	require.Len(t, []rune(long), 1651)
	d := sheet.Doc{Title: "部门月度账单", Header: "部门月度账单 · " + long + " · BD-2026-11-001", Mark: "临时 / PROVISIONAL",
		Created: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	d.Add(sheet.Fields{Pairs: []sheet.Field{{Label: "部门", Value: long}, {Label: "部门编号", Value: "D01"}, {Label: "金额", Value: "160.00"}}})
	d.Add(sheet.Heading{Text: "本部门：" + long + "（D01）"})
	tb := sheet.Table{Columns: []sheet.Column{{Title: "部门", Width: 30}, {Title: "金额（元）", Width: 20, Align: sheet.Right}}}
	tb.Rows = append(tb.Rows, sheet.Row{Cells: []string{long + "（D01）", "160.00"}})
	d.Add(tb)
	b, err := Render(loadFont(t), d)
	require.NoError(t, err)
	pages := words(t, b)
	require.NotEmpty(t, pages)
	mm := 72 / 25.4
	footerTop := (pageH - 15) * mm
	headerBottom := 13 * mm
	headerRight := (marginX + usableW*0.75) * mm
	for i, ws := range pages {
		var footer []string
		for _, w := range ws {
			switch {
			case w.YMax <= headerBottom && w.XMin < headerRight:
				assert.LessOrEqual(t, w.XMax, headerRight+0.5, "page %d: running header word %q runs into the mark", i+1, w.Text)
			case w.YMax <= headerBottom: // the mark, at the right
			case w.YMin >= footerTop:
				footer = append(footer, w.Text)
			default:
				assert.LessOrEqual(t, w.YMax, footerTop, "page %d: word %q runs over the footer", i+1, w.Text)
			}
		}
		assert.Regexp(t, `^第\d+页/共\d+页$`, strings.Join(footer, ""), "page %d: the footer is the page number alone", i+1)
	}
	all := text(t, b)
	assert.Contains(t, all, "建设与...", "cut text ends with an ellipsis (\"...\": the document has no \"…\" of its own)")
}
