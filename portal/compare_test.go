package portal_test

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
	assert.Contains(t, body, `id="compare-unit-total">`+money.Plain(want)+`<`)
	assert.NotRegexp(t, `<div class="muted">[^<]*/(charge|metered|unfunded|deduction|adjustment)<`, body, "items by name, no CODE/kind keys")
	status, _ = dep.get(t, "/departments/"+url.PathEscape(string(f.foreignDep))+"/"+period.String()+"/compare")
	assert.Contains(t, []int{403, 404}, status)

	ctx := tab(t)
	browserSignIn(t, ctx, f, f.dep)
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/departments/"+url.PathEscape(string(f.depID))+"/"+period.String()+"/compare")))
	waitFor(t, ctx, "#compare-unit-total")
	assert.Equal(t, money.Plain(want), text(t, ctx, "#compare-unit-total"))
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
	assert.Contains(t, body, `id="compare-head-total">`+money.Plain(want)+`<`)
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
	assert.Equal(t, money.Plain(want), text(t, ctx, "#compare-head-total"))
	viewShot(t, ctx, "district-compare-desktop")
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)))
	viewShot(t, ctx, "district-compare-phone")
}
