package portal_test

import (
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

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
