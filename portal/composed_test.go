package portal_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/statements/breakdown"
)

// TestComposedBreakdown: every department's breakdown, put together from the units made
// when the month was loaded (each department's own lines once), is the report
// breakdown.Build makes from the department's and its units' lines: the same tree, ids,
// names, explanations, daily amounts and totals.
func TestComposedBreakdown(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	withUnits := 0
	for id := range f.org.Departments {
		composed, built, err := f.portal.Breakdowns(ctx, period, id)
		require.NoError(t, err, "department %s", id)
		require.Equal(t, built, composed, "department %s", id)
		if len(breakdown.Units(f.org, id)) > 1 && !built.Total.IsZero() {
			withUnits++
		}
	}
	assert.Positive(t, withUnits, "departments with units and charges checked")
}

// TestComposedBreakdownJSON: every department's JSON breakdown, as the portal answers it
// (encoded from the breakdown put together from the units made when the month was
// loaded, and kept), is the bytes that encoding breakdown.Build's report makes.
func TestComposedBreakdownJSON(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	checked := 0
	for id := range f.org.Departments {
		composed, encoded, err := f.portal.BreakdownJSONs(ctx, period, id)
		require.NoError(t, err, "department %s", id)
		require.Equal(t, string(encoded), string(composed), "department %s", id)
		if strings.Contains(string(encoded), `"line_id"`) {
			checked++
		}
	}
	assert.Positive(t, checked, "departments with lines checked")
}

// TestDrillPageKept: a drill-down page's content is made once per month's run and level
// and kept; each user still gets its own menu and identity around it, and the kept
// content is the page made the first time.
func TestDrillPageKept(t *testing.T) {
	f := setup(t)
	dep, fin := f.signIn(t, f.dep), f.signIn(t, f.fin)
	main := func(body string) string {
		i, j := strings.Index(body, "<main>"), strings.Index(body, "</main>")
		require.True(t, i >= 0 && j > i, "a page with <main>")
		return body[i:j]
	}
	for _, path := range []string{
		"/departments/" + url.PathEscape(string(f.depID)) + "/" + period.String(),
		"/departments/" + url.PathEscape(string(f.depID)) + "/" + period.String() + "?unit=" + url.QueryEscape(string(f.unitID)) + "&project=-",
	} {
		st1, first := dep.get(t, path)
		st2, again := dep.get(t, path)
		st3, other := fin.get(t, path)
		if st1 == 404 && strings.Contains(path, "project=-") {
			continue // the unit has no lines without a project
		}
		require.Equal(t, 200, st1, path)
		require.Equal(t, 200, st2, path)
		require.Equal(t, 200, st3, path)
		assert.Equal(t, first, again, "the kept page is the page made the first time: %s", path)
		assert.Equal(t, main(first), main(other), "the same content for every user who may see it: %s", path)
		assert.Contains(t, first, `id="who">`+f.dep+`<`)
		assert.Contains(t, other, `id="who">`+f.fin+`<`)
		assert.NotContains(t, other, `id="who">`+f.dep+`<`)
	}
}
