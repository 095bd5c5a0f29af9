package portal_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/internal/money"
)

// TestCompare: the comparison's current figures are the statement's, by unit, project,
// vendor and item; a month not rated before shows no change rather than a false one.
func TestCompare(t *testing.T) {
	f := setup(t)
	dep := f.signIn(t, f.dep)
	want := f.statementTotals("departments")[string(f.depID)]
	var a struct {
		PreviousRated bool `json:"previous_rated"`
		Total         struct {
			Current, MoM string
		} `json:"total"`
		Sections []struct {
			By   string `json:"by"`
			Rows []struct {
				Current string `json:"current"`
			} `json:"rows"`
		} `json:"sections"`
	}
	getJSON(t, dep, "/api/v1/compare?period="+period.String()+"&department="+url.QueryEscape(string(f.depID)), &a)
	assert.Equal(t, money.Plain(want), a.Total.Current)
	require.Len(t, a.Sections, 5)
	for _, s := range a.Sections {
		sum := mustDec(t, "0")
		for _, r := range s.Rows {
			sum = sum.Add(mustDec(t, r.Current))
		}
		assert.Equal(t, money.Plain(want), money.Plain(sum), "rows by %s add up to the statement", s.By)
	}
	if !a.PreviousRated {
		assert.Empty(t, a.Total.MoM, "no change against a month not rated")
	}
	status, body := dep.get(t, "/departments/"+url.PathEscape(string(f.depID))+"/"+period.String()+"/compare")
	require.Equal(t, 200, status)
	assert.Contains(t, body, `id="compare-unit-total">`+money.Grouped(want)+`<`)
	assert.NotRegexp(t, `<div class="muted">[^<]*/(charge|metered|unfunded|deduction|adjustment)<`, body, "items by name, no CODE/kind keys")
	status, _ = dep.get(t, "/departments/"+url.PathEscape(string(f.foreignDep))+"/"+period.String()+"/compare")
	assert.Contains(t, []int{403, 404}, status)

	ctx := tab(t)
	browserSignIn(t, ctx, f, f.dep)
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/departments/"+url.PathEscape(string(f.depID))+"/"+period.String()+"/compare")))
	waitFor(t, ctx, "#compare-unit-total")
	assert.Equal(t, money.Grouped(want), text(t, ctx, "#compare-unit-total"))
	viewShot(t, ctx, "compare-desktop")
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)))
	viewShot(t, ctx, "compare-phone")
}

// TestDistrictCompare: the district's comparison (finance, bureau) totals the district's
// statements, every section (主管部门, department, vendor, item, kind) adds up to it, items
// read as names with "CODE · kind" beside them (never "CODE/kind"), and a department
// account is refused.
func TestDistrictCompare(t *testing.T) {
	f := setup(t)
	want := mustDec(t, "0")
	for id, d := range f.statementTotals("departments") {
		if f.org.Departments[catalog.DepartmentID(id)].Parent == "" {
			want = want.Add(d) // a 主管部门's statement holds its units
		}
	}
	fin := f.signIn(t, f.fin)
	var a struct {
		Total struct {
			Current string `json:"current"`
		} `json:"total"`
		Sections []struct {
			By   string `json:"by"`
			Rows []struct {
				ID, Name, Code, Current string
			} `json:"rows"`
		} `json:"sections"`
	}
	getJSON(t, fin, "/api/v1/district/compare?period="+period.String(), &a)
	assert.Equal(t, money.Plain(want), a.Total.Current)
	var by []string
	for _, s := range a.Sections {
		by = append(by, s.By)
		sum := mustDec(t, "0")
		for _, r := range s.Rows {
			sum = sum.Add(mustDec(t, r.Current))
			if s.By == "item" {
				assert.NotContains(t, r.Code, "/", "item %s", r.ID)
				assert.NotEmpty(t, r.Name)
			}
			if s.By == "head" {
				assert.Empty(t, f.org.Departments[catalog.DepartmentID(r.ID)].Parent, "%s is a top department", r.ID)
			}
		}
		assert.Equal(t, money.Plain(want), money.Plain(sum), "rows by %s add up to the district", s.By)
	}
	assert.Equal(t, []string{"head", "unit", "vendor", "item", "kind"}, by)

	status, body := fin.get(t, "/district/"+period.String()+"/compare")
	require.Equal(t, 200, status)
	assert.Contains(t, body, `id="compare-head-total">`+money.Grouped(want)+`<`)
	assert.NotRegexp(t, `<div class="muted">[^<]*/(charge|metered|unfunded|deduction|adjustment)<`, body, "no CODE/kind keys")
	status, _ = fin.get(t, "/district/2001-01/compare")
	assert.Equal(t, 404, status, "a month not rated")
	status, _ = f.signIn(t, f.dep).get(t, "/district/"+period.String()+"/compare")
	assert.Contains(t, []int{403, 404}, status)

	ctx := tab(t)
	browserSignIn(t, ctx, f, f.bur)
	waitFor(t, ctx, "#compare-link")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#compare-link", chromedp.ByID)))
	waitFor(t, ctx, "#compare-head-total")
	assert.Equal(t, money.Grouped(want), text(t, ctx, "#compare-head-total"))
	viewShot(t, ctx, "district-compare-desktop")
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)))
	viewShot(t, ctx, "district-compare-phone")
}

// TestCompareExportSort: both comparisons as .xlsx (a sheet a section, opened with
// excelize) and CSV with a BOM: Chinese headers, every section's rows and 合计 equal to
// the statements (the page's total); sorted on the server by any column; bad sorts
// refused; exports audited, and a department's try at the district's refused and audited.
func TestCompareExportSort(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	depWant := f.statementTotals("departments")[string(f.depID)]
	distWant := decimal.Zero
	for id, d := range f.statementTotals("departments") {
		if f.org.Departments[catalog.DepartmentID(id)].Parent == "" {
			distWant = distWant.Add(d)
		}
	}
	dep, fin := f.signIn(t, f.dep), f.signIn(t, f.fin)
	cases := []struct {
		who      *client
		api      string
		want     decimal.Decimal
		sheets   []string
		page     string
		firstCol string
	}{
		{dep, "/api/v1/compare?period=" + period.String() + "&department=" + url.QueryEscape(string(f.depID)), depWant,
			[]string{"按单位", "按项目", "按服务商", "按服务目录品目", "按费用类型"},
			"/departments/" + url.PathEscape(string(f.depID)) + "/" + period.String() + "/compare", "按单位"},
		{fin, "/api/v1/district/compare?period=" + period.String(), distWant,
			[]string{"按主管部门", "按部门", "按服务商", "按服务目录品目", "按费用类型"},
			"/district/" + period.String() + "/compare", "按主管部门"},
	}
	for _, c := range cases {
		_, body := download(t, c.who, c.api+"&format=xlsx")
		wb, err := excelize.OpenReader(bytes.NewReader(body))
		require.NoError(t, err)
		assert.Equal(t, c.sheets, wb.GetSheetList())
		for _, sh := range c.sheets {
			total, header := xlsxTotal(t, body, sh, 2)
			assert.True(t, c.want.Equal(total), "%s %s: 合计 %s, statements %s", c.api, sh, total, c.want)
			assert.Equal(t, []string{sh, "编码", "本月（元）", "上月（元）", "环比变化（元）", "环比", "去年同月（元）", "同比变化（元）", "同比"}, header)
			rows, err := wb.GetRows(sh, excelize.Options{RawCellValue: true})
			require.NoError(t, err)
			sum := decimal.Zero
			for _, r := range rows[2 : len(rows)-1] {
				sum = sum.Add(decimal.RequireFromString(r[2]))
			}
			assert.True(t, c.want.Equal(sum), "%s %s: rows add up to %s", c.api, sh, sum)
		}
		ctype, b := download(t, c.who, c.api+"&format=csv&bom=1&by=vendor")
		assert.Equal(t, "text/csv; charset=utf-8", ctype)
		require.True(t, bytes.HasPrefix(b, []byte("\uFEFF")), "a byte-order mark for Excel")
		rows, err := csv.NewReader(bytes.NewReader(b[3:])).ReadAll()
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(rows), 3)
		assert.Equal(t, "按服务商", rows[0][0])
		assert.Equal(t, []string{"合计", "", c.want.StringFixed(2)}, rows[len(rows)-1][:3])
		status, msg := c.who.get(t, c.api+"&format=csv&by=nothing")
		assert.Equal(t, 400, status, msg)

		// sorted on the server: by name, by month-over-month change, the page's headings
		var a struct {
			Sections []struct {
				By   string                       `json:"by"`
				Rows []struct{ Name, MoM string } `json:"rows"`
			} `json:"sections"`
		}
		getJSON(t, c.who, c.api+"&sort=name&dir=asc", &a)
		for _, sec := range a.Sections {
			for i := 1; i < len(sec.Rows); i++ {
				assert.LessOrEqual(t, sec.Rows[i-1].Name, sec.Rows[i].Name, "%s by name", sec.By)
			}
		}
		getJSON(t, c.who, c.api+"&sort=mom&dir=desc", &a)
		for _, sec := range a.Sections {
			for i := 1; i < len(sec.Rows); i++ {
				if sec.Rows[i].MoM != "" && sec.Rows[i-1].MoM != "" {
					assert.False(t, mustDec(t, sec.Rows[i].MoM).GreaterThan(mustDec(t, sec.Rows[i-1].MoM)), "%s by change, descending", sec.By)
				}
			}
		}
		status, page := c.who.get(t, c.page+"?sort=name&dir=asc")
		require.Equal(t, 200, status)
		assert.Contains(t, page, `aria-sort="ascending"><a class="sort" href="`+c.page+`?dir=desc&amp;sort=name">`+c.firstCol+`</a>`)
		assert.Contains(t, page, `id="compare-xlsx"`)
		for _, q := range []string{"sort=price", "dir=up"} {
			status, body := c.who.get(t, c.api+"&"+q)
			assert.Equal(t, 400, status, q)
			assert.Contains(t, body, `"code":"bad_request"`)
			status, _ = c.who.get(t, c.page+"?"+q)
			assert.Equal(t, 400, status, q)
		}
	}

	// audited: the exports, and a department's try at the district's comparison
	status, _ := dep.get(t, "/api/v1/district/compare?period="+period.String()+"&format=xlsx")
	assert.Contains(t, []int{403, 404}, status)
	evs, err := f.access.Audit(ctx, access.AuditFilter{Action: "export", Limit: 1000})
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, e := range evs {
		for _, c := range cases {
			if strings.HasPrefix(e.Target, c.api+"&format=") {
				seen[c.api] = true
			}
		}
	}
	assert.Len(t, seen, 2, "both comparisons' exports audited")
	evs, err = f.access.Audit(ctx, access.AuditFilter{Action: "denied", Actor: string(f.dep), Limit: 1000})
	require.NoError(t, err)
	denied := false
	for _, e := range evs {
		denied = denied || e.Target == "GET /api/v1/district/compare"
	}
	assert.True(t, denied, "the refused try is audited")
}
