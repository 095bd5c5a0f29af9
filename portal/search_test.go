package portal_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
)

type searchResults struct {
	Results []struct {
		Type           string `json:"type"`
		ID             string `json:"id"`
		Department     string `json:"department_id"`
		DepartmentName string `json:"department_name"`
		URL            string `json:"url"`
	} `json:"results"`
}

// anOrder is a work order of department dep (its latest event), from the store.
func anOrder(t *testing.T, f *fixture, dep catalog.DepartmentID) catalog.Event {
	t.Helper()
	evs, err := f.store.OrderEvents(t.Context())
	require.NoError(t, err)
	for _, e := range evs {
		if e.Department == dep && e.Kind == catalog.EventOpen {
			return e
		}
	}
	t.Fatalf("no order of %s", dep)
	return catalog.Event{}
}

// TestSearch: a work order is found by its number, in scope only; its link opens it.
func TestSearch(t *testing.T) {
	f := setup(t)
	own, foreign := anOrder(t, f, f.depID), anOrder(t, f, f.foreignDep)
	dep := f.signIn(t, f.dep)
	var r searchResults
	getJSON(t, dep, "/api/v1/search?q="+url.QueryEscape(string(own.Order)), &r)
	require.NotEmpty(t, r.Results)
	assert.Equal(t, "order", r.Results[0].Type)
	assert.Equal(t, string(own.Order), r.Results[0].ID, "the exact number first")
	assert.Equal(t, f.org.Departments[own.Department].Name, r.Results[0].DepartmentName, "the department by name")
	status, body := dep.get(t, r.Results[0].URL)
	assert.Equal(t, 200, status, r.Results[0].URL)
	assert.Contains(t, body, `id="level-items"`, "the link opens the work order")
	getJSON(t, dep, "/api/v1/search?q="+url.QueryEscape(string(foreign.Order)), &r)
	for _, h := range r.Results {
		assert.NotEqual(t, string(foreign.Order), h.ID, "another department's order is not found")
	}
	getJSON(t, f.signIn(t, f.fin), "/api/v1/search?q="+url.QueryEscape(string(foreign.Order)), &r)
	require.NotEmpty(t, r.Results, "finance finds every department's order")
	assert.Equal(t, string(foreign.Order), r.Results[0].ID)
	getJSON(t, dep, "/api/v1/search?q=x", &r)
	assert.Empty(t, r.Results, "one character finds nothing")

	// in the browser: the box in the navigation finds the order by number
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.dep)
	require.NoError(t, chromedp.Run(ctx,
		chromedp.SendKeys("#search-q", string(own.Order)),
		chromedp.Click("#search-go"),
	))
	waitFor(t, ctx, "#search-results")
	viewShot(t, ctx, "search-desktop")
	assert.True(t, strings.HasPrefix(text(t, ctx, "#search-results a.hit"), string(own.Order)))
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#search-results a.hit")))
	waitFor(t, ctx, "#level-items")
	require.NoError(t, chromedp.Run(ctx, chromedp.EmulateViewport(390, 844)))
	viewShot(t, ctx, "search-order-phone")
}
