package pdf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/document/sheet"
)

var (
	fontOnce sync.Once
	testFont *Font
	fontErr  error
)

func loadFont(t *testing.T) *Font {
	t.Helper()
	fontOnce.Do(func() { testFont, fontErr = LoadFont("") })
	require.NoError(t, fontErr, "the CJK font is installed by `make deps`")
	return testFont
}

func text(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("pdftotext (poppler-utils) not installed: run `make deps`")
	}
	f := filepath.Join(t.TempDir(), "doc.pdf")
	require.NoError(t, os.WriteFile(f, pdf, 0o644))
	out, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	require.NoError(t, err)
	return string(out)
}

// longDoc has a table long enough for three pages, with a name too long for its cell.
func longDoc() sheet.Doc {
	d := sheet.Doc{Title: "测试账单", Header: "测试账单 · 页眉", Mark: "临时 / PROVISIONAL",
		Created: time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)}
	d.Add(sheet.Fields{Pairs: []sheet.Field{{Label: "部门", Value: "区财政局"}, {Label: "账期", Value: "2026年11月"}}})
	d.Add(sheet.Heading{Text: "明细"})
	t := sheet.Table{Columns: []sheet.Column{{Title: "序号", Width: 10}, {Title: "名称", Width: 30}, {Title: "金额（元）", Width: 20, Align: sheet.Right}}}
	for i := 1; i <= 120; i++ {
		name := fmt.Sprintf("资源%03d", i)
		if i == 7 {
			name = "区大数据发展局政务信息化项目建设与运维管理服务中心视频会商系统扩容第二期工程尾款结算"
		}
		t.Rows = append(t.Rows, sheet.Row{Cells: []string{fmt.Sprint(i), name, "1,234.56"}})
	}
	t.Rows = append(t.Rows, sheet.Row{Cells: []string{"合计", "", "148,147.20"}, Style: sheet.Total})
	d.Add(t)
	return d
}

func TestRenderPages(t *testing.T) {
	b, err := Render(loadFont(t), longDoc())
	require.NoError(t, err)
	txt := text(t, b)
	pages := strings.Split(strings.TrimRight(txt, "\f\n"), "\f")
	require.Len(t, pages, 3, "the table runs over three pages")
	for i, p := range pages {
		assert.Contains(t, p, fmt.Sprintf("第 %d 页 / 共 3 页", i+1), "page %d numbering", i+1)
		assert.Contains(t, p, "临时 / PROVISIONAL", "page %d mark", i+1)
		assert.Contains(t, p, "测试账单 · 页眉", "page %d running header", i+1)
		assert.Regexp(t, `序号\s+名称\s+金额（元）`, p, "page %d repeats the table header", i+1)
	}
	t.Run("a long name is wrapped, not cut", func(t *testing.T) {
		flat := strings.Join(strings.Fields(strings.ReplaceAll(pages[0], "\n", " ")), "")
		assert.Contains(t, flat, "区大数据发展局政务信息化")
		assert.Contains(t, txt, "二期工程尾款结算")
		var n int
		for _, l := range strings.Split(pages[0], "\n") {
			if strings.Contains(l, "区大数据") || strings.Contains(l, "尾款结算") || strings.Contains(l, "运维管理") {
				n++
			}
		}
		assert.GreaterOrEqual(t, n, 2, "the name takes several lines")
	})
	t.Run("amounts are right-aligned", func(t *testing.T) {
		var ends []int
		for _, l := range strings.Split(pages[1], "\n") {
			if strings.HasSuffix(l, "1,234.56") {
				ends = append(ends, len([]rune(l)))
			}
		}
		require.NotEmpty(t, ends)
		for _, e := range ends {
			assert.Equal(t, ends[0], e)
		}
	})
}

// TestDeterministic: the same document gives the same bytes, typeset alone or within a
// batch whose font cut holds other characters too.
func TestDeterministic(t *testing.T) {
	f := loadFont(t)
	d := longDoc()
	alone, err := Render(f, d)
	require.NoError(t, err)
	again, err := Render(f, d)
	require.NoError(t, err)
	assert.True(t, bytes.Equal(alone, again), "two renders differ")

	other := sheet.Doc{Title: "另一份：服务商结算单", Blocks: []sheet.Block{sheet.Para{Text: "天翼政务云 壹仟陆佰叁拾柒元捌角整 ÷×"}}}
	docs := []sheet.Doc{other, d, other}
	out := make([][]byte, len(docs))
	err = Typesetter{Font: f, Workers: 2}.Typeset(context.Background(), len(docs), func(i int) sheet.Doc { return docs[i] }, func(i int, b []byte) error {
		out[i] = b
		return nil
	})
	require.NoError(t, err)
	assert.True(t, bytes.Equal(alone, out[1]), "typeset in a batch differs from typeset alone")
	assert.Contains(t, string(alone), "/CreationDate (D:20261201")
}

func TestLoadFontRefusesNonTrueType(t *testing.T) {
	p := filepath.Join(t.TempDir(), "font.otf")
	require.NoError(t, os.WriteFile(p, []byte("OTTO\x00\x01\x02\x03 not a ttf"), 0o644))
	_, err := LoadFont(p)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "not a TrueType font")
	_, err = LoadFont(filepath.Join(t.TempDir(), "missing.ttf"))
	assert.ErrorContains(t, err, "fonts-arphic-gbsn00lp")
}

func TestTypesetStopsOnError(t *testing.T) {
	docs := []sheet.Doc{longDoc(), longDoc(), longDoc()}
	err := Typesetter{Font: loadFont(t), Workers: 2}.Typeset(context.Background(), len(docs), func(i int) sheet.Doc { return docs[i] }, func(i int, b []byte) error {
		return fmt.Errorf("disk full")
	})
	assert.ErrorContains(t, err, "disk full")
}
