package reconcile

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/document/sheet"
	"cloudbill/internal/calendar"
	"cloudbill/rating"
)

// fakeStore is a hand-written Store over plain values.
type fakeStore struct {
	closed bool
	rated  bool
	lines  []rating.Line
	deds   []rating.VendorDeduction
	org    catalog.Org
}

var closedAt = time.Date(2026, 12, 2, 1, 0, 0, 0, time.UTC)

func (f *fakeStore) CloseOf(_ context.Context, p calendar.Period) (rating.Close, bool, error) {
	if !f.closed {
		return rating.Close{}, false, nil
	}
	return rating.Close{Period: p, ClosedAt: closedAt, RunID: "run-7", ContentHash: "abcdef0123456789"}, true, nil
}

func (f *fakeStore) LatestRun(_ context.Context, p calendar.Period) (rating.Run, error) {
	if !f.rated {
		return rating.Run{}, fmt.Errorf("%s: %w", p, rating.ErrNotRated)
	}
	return rating.Run{ID: "run-8", Period: p, RatedAt: closedAt.Add(time.Hour)}, nil
}

func (f *fakeStore) RatedLines(_ context.Context, p calendar.Period) ([]rating.Line, error) {
	if !f.rated {
		return nil, fmt.Errorf("%s: %w", p, rating.ErrNotRated)
	}
	return f.lines, nil
}

func (f *fakeStore) VendorDeductions(context.Context, calendar.Period) ([]rating.VendorDeduction, error) {
	return f.deds, nil
}
func (f *fakeStore) Org(context.Context) (catalog.Org, error)         { return f.org, nil }
func (f *fakeStore) Catalog(context.Context) (catalog.Catalog, error) { return catalog.Catalog{}, nil }

func TestLoad(t *testing.T) {
	_, p := handBuilt()
	store := func() *fakeStore {
		return &fakeStore{closed: true, rated: true, lines: p.Lines, deds: []rating.VendorDeduction{{Vendor: "V2"}, *p.Deduction},
			org: catalog.Org{Vendors: map[catalog.VendorID]catalog.Vendor{"V1": {ID: "V1", Name: "城市云服务有限公司"}}}}
	}
	ctx := context.Background()
	req := LoadRequest{Vendor: "V1", Period: nov}

	t.Run("closed month uses its frozen lines", func(t *testing.T) {
		ld, err := Load(ctx, store(), req)
		require.NoError(t, err)
		assert.False(t, ld.Params.Provisional)
		assert.Equal(t, closedAt, ld.Meta.Created, "the report is dated by the close")
		assert.Equal(t, "城市云服务有限公司", ld.Meta.VendorName)
		assert.Contains(t, ld.Params.Source, "run-7")
		assert.Contains(t, ld.Params.Source, "abcdef012345")
		require.NotNil(t, ld.Params.Deduction)
		assert.Equal(t, catalog.VendorID("V1"), ld.Params.Deduction.Vendor, "the vendor's own deduction")
	})
	t.Run("open month refused", func(t *testing.T) {
		s := store()
		s.closed = false
		_, err := Load(ctx, s, req)
		assert.ErrorIs(t, err, ErrPeriodOpen)
		assert.EqualError(t, err, "month is open: 2026-11 is not closed, its rated lines may still change: close it first, or reconcile provisionally with --provisional")
	})
	t.Run("open month provisional", func(t *testing.T) {
		s := store()
		s.closed = false
		ld, err := Load(ctx, s, LoadRequest{Vendor: "V1", Period: nov, Provisional: true})
		require.NoError(t, err)
		assert.True(t, ld.Params.Provisional)
		assert.Contains(t, ld.Params.Source, "run-8")
		assert.Equal(t, closedAt.Add(time.Hour), ld.Meta.Created)
	})
	t.Run("never rated", func(t *testing.T) {
		s := store()
		s.closed, s.rated = false, false
		_, err := Load(ctx, s, LoadRequest{Vendor: "V1", Period: nov, Provisional: true})
		assert.ErrorIs(t, err, rating.ErrNotRated)
	})
	t.Run("unknown vendor", func(t *testing.T) {
		_, err := Load(ctx, store(), LoadRequest{Vendor: "V7", Period: nov})
		assert.ErrorIs(t, err, ErrUnknownVendor)
		assert.EqualError(t, err, `unknown vendor "V7": not in the vendors list and not rated in 2026-11`)
	})
	t.Run("vendor rated but not in the list", func(t *testing.T) {
		_, err := Load(ctx, store(), LoadRequest{Vendor: "V2", Period: nov})
		assert.NoError(t, err)
	})
}

func TestDocument(t *testing.T) {
	inv, p := handBuilt()
	res, err := Reconcile(inv, p)
	require.NoError(t, err)
	doc := Document(res, DocMeta{VendorName: "城市云服务有限公司", Created: closedAt})
	assert.Equal(t, "服务商账单核对报告", doc.Title)
	assert.Empty(t, doc.Mark, "a closed month is final")
	text := docText(doc)
	for _, want := range []string{
		"V1 城市云服务有限公司", "2026 年 11 月", "容差", "0.05 元",
		"服务商申报合计", "10,924.59", "验收扣减（验收结果 暂缓通过，扣减比例 5%）",
		"应付净额", "四、差异明细（17 行，按差额绝对值从大到小）",
		"金额不一致 amount_differs", "仅服务商申报 only_vendor", "仅平台计费 only_ours", "重复申报 duplicate_claim",
	} {
		assert.Contains(t, text, want)
	}
	var diffs sheet.Table
	for _, b := range doc.Blocks {
		if t, ok := b.(sheet.Table); ok {
			diffs = t
		}
	}
	require.Len(t, diffs.Rows, 17)
	assert.Equal(t, "O-QTY", diffs.Rows[0].Cells[0], "largest difference first")

	res.Provisional = true
	assert.Equal(t, "临时 / PROVISIONAL", Document(res, DocMeta{}).Mark)

	// many differences: the PDF lists the largest, the CSV has them all
	var big Invoice
	big.Vendor, big.Period = "V1", nov
	for i := 0; i < MaxPrintedDifferences+20; i++ {
		big.Claims = append(big.Claims, claim(i+2, fmt.Sprintf("X-%04d", i), "ECS", fmt.Sprintf("%d.00", i+1), "", 0))
	}
	res, err = Reconcile(big, Params{Vendor: "V1", Period: nov})
	require.NoError(t, err)
	text = docText(Document(res, DocMeta{}))
	assert.Contains(t, text, "另有 20 行差异（差额较小）未列出")
	assert.True(t, strings.Index(text, "X-0319") < strings.Index(text, "X-0318"), "largest first")
	assert.NotContains(t, text, "X-0000 ")
}

func docText(d sheet.Doc) string {
	var b strings.Builder
	for _, blk := range d.Blocks {
		switch x := blk.(type) {
		case sheet.Heading:
			b.WriteString(x.Text + "\n")
		case sheet.Para:
			b.WriteString(x.Text + "\n")
		case sheet.Fields:
			for _, f := range x.Pairs {
				b.WriteString(f.Label + " " + f.Value + "\n")
			}
		case sheet.Table:
			for _, r := range x.Rows {
				b.WriteString(strings.Join(r.Cells, " ") + " \n")
			}
		}
	}
	return b.String()
}
