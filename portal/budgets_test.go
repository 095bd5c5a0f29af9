package portal_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
)

// writeBudgets writes a budgets file giving every approved project of the generated
// year a budget of 1.00: whatever a project spends, it is over (the first rating fires
// the warnings, the department's overview shows the banner).
func writeBudgets(projects, out string) (string, error) {
	f, err := os.Open(projects)
	if err != nil {
		return "", err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return "", err
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	var b strings.Builder
	b.WriteString("project_id,year,amount\n")
	for _, r := range recs[1:] {
		if r[col["approved"]] == "true" && r[col["year"]] == strconv.Itoa(period.Year) {
			fmt.Fprintf(&b, "%s,%s,1.00\n", r[col["id"]], r[col["year"]])
		}
	}
	return out, os.WriteFile(out, []byte(b.String()), 0o644)
}

type budgetsJSON struct {
	Year     int `json:"year"`
	Projects []struct {
		ProjectID    string `json:"project_id"`
		DepartmentID string `json:"department_id"`
		Budget       string `json:"budget"`
		Spent        string `json:"spent"`
		Forecast     string `json:"forecast"`
		State        string `json:"state"`
		StateLabel   string `json:"state_label"`
	} `json:"projects"`
}

// GET /api/v1/budgets?year=: a department gets its own projects (its units' included),
// whose spent adds up to its statement of the year's only rated month; finance gets every
// department's and the warnings list; a vendor is refused.
func TestBudgetsAPI(t *testing.T) {
	f := setup(t)
	get := func(login string) budgetsJSON {
		c := f.signIn(t, login)
		status, body := c.get(t, fmt.Sprintf("/api/v1/budgets?year=%d", period.Year))
		require.Equal(t, http.StatusOK, status, body)
		var out budgetsJSON
		require.NoError(t, json.Unmarshal([]byte(body), &out), body)
		return out
	}
	dep := get(f.dep)
	require.NotEmpty(t, dep.Projects)
	spent := decimal.Zero
	over := 0
	for _, p := range dep.Projects {
		d := catalog.DepartmentID(p.DepartmentID)
		assert.True(t, d == f.depID || f.org.Departments[d].Parent == f.depID, "project %s of %s outside the department", p.ProjectID, d)
		spent = spent.Add(decimal.RequireFromString(p.Spent))
		if p.State == "over" {
			over++
			assert.Equal(t, "超预算", p.StateLabel)
		}
	}
	assert.Positive(t, over, "a budget of 1.00 is over: %+v", dep.Projects)
	want := f.statementTotals("departments")[string(f.depID)]
	assert.True(t, want.Equal(spent), "Σ spent %s = the department's statement total %s (units included)", spent, want)

	fin := get(f.fin)
	assert.Greater(t, len(fin.Projects), len(dep.Projects))
	c := f.signIn(t, f.fin)
	status, body := c.get(t, "/budgets")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `id="budget-warnings"`)
	assert.Contains(t, body, "已用超出预算")

	v := f.signIn(t, f.ven)
	status, _ = v.get(t, "/api/v1/budgets?year=2026")
	assert.Equal(t, http.StatusForbidden, status)
	status, _ = c.get(t, "/api/v1/budgets?year=20x6")
	assert.Equal(t, http.StatusBadRequest, status)
}

// A department sees its budget banner on the overview.
func TestBrowserBudgetBanner(t *testing.T) {
	f := setup(t)
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.dep)
	waitFor(t, ctx, "#budget-banner")
	banner := text(t, ctx, "#budget-banner")
	assert.Contains(t, banner, "项目预算提醒")
	assert.Contains(t, banner, "超预算")
	shot(t, ctx, "40-department-budget-banner")
	require.NoError(t, chromedp.Run(ctx, chromedp.Click("#budget-banner a")))
	waitFor(t, ctx, "#budgets")
	assert.Contains(t, text(t, ctx, "#budgets"), "超预算")
}
