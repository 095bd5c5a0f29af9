package portal_test

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/catalog"
	"cloudbill/internal/money"
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
	assert.Contains(t, body, "<th>触发比例</th>")
	assert.Contains(t, body, "<td>100%</td>", "the share in force when it fired (the default over share)")
	assert.NotContains(t, body, "<td>"+string(f.depID)+"</td>", "a unit's 主管部门 by its name, not its code")
	assert.Regexp(t, `(?s)id="budget-warnings".*?<tr><td>[^<]+<div class="muted">[^<]+</div></td><td class="text">[^<]+<div class="muted">`, body, "a warning's project and department by their names, the codes beneath")

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

// paymentsFixture closes the generated month (when no earlier test did) and imports one
// voucher of 100.00 for the account's vendor; it returns that vendor's expected payable
// (its settlement of the month) and outstanding.
func (f *fixture) paymentsFixture(t *testing.T) (payable, outstanding decimal.Decimal) {
	t.Helper()
	_, closed, err := f.store.CloseOf(context.Background(), period)
	require.NoError(t, err)
	if !closed {
		require.NoError(t, f.cli("close", "--period", period.String(), "--allow-pending", "--allow-incomplete"))
		require.NoError(t, f.cli("statements", "--period", period.String(), "--out", f.out))
	}
	file := filepath.Join(tmpDir, "payments.csv")
	require.NoError(t, os.WriteFile(file, []byte(fmt.Sprintf("voucher_no,vendor_id,period,amount,paid_date\nPT-0001,%s,%s,100.00,2026-11-05\n", f.venID, period)), 0o644))
	require.NoError(t, f.cli("payments", "import", file)) // a second run finds it present
	payable = f.statementTotals("vendors")[string(f.venID)]
	return payable, payable.Sub(decimal.RequireFromString("100.00"))
}

// Finance sees every vendor's payable, paid and outstanding; the vendor its own, with the
// voucher; a department is refused.
func TestPaymentsPages(t *testing.T) {
	f := setup(t)
	_, outstanding := f.paymentsFixture(t)
	c := f.signIn(t, f.fin)
	status, body := c.get(t, fmt.Sprintf("/payments?year=%d", period.Year))
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `id="outstanding-`+string(f.venID)+`">`+money.Grouped(outstanding)+`<`)
	assert.Contains(t, body, `id="outstanding-`+string(f.foreignVen)+`"`)
	v := f.signIn(t, f.ven)
	status, body = v.get(t, fmt.Sprintf("/vendors/%s/payments?year=%d", f.venID, period.Year))
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "PT-0001")
	assert.Contains(t, body, money.Grouped(outstanding))
	d := f.signIn(t, f.dep)
	status, _ = d.get(t, "/payments")
	assert.Equal(t, http.StatusForbidden, status)

	// the JSON API: finance every vendor, a vendor itself only, a department nothing
	type ledger struct {
		Year    int `json:"year"`
		Vendors []struct {
			VendorID    string `json:"vendor_id"`
			Outstanding string `json:"outstanding"`
			Vouchers    []struct {
				Voucher string `json:"voucher_no"`
			} `json:"vouchers"`
		} `json:"vendors"`
	}
	var all, own ledger
	getJSON(t, c, fmt.Sprintf("/api/v1/payments?year=%d", period.Year), &all)
	ids := map[string]string{}
	for _, v := range all.Vendors {
		ids[v.VendorID] = v.Outstanding
	}
	assert.Equal(t, money.Plain(outstanding), ids[string(f.venID)])
	assert.Contains(t, ids, string(f.foreignVen))
	getJSON(t, v, fmt.Sprintf("/api/v1/payments?year=%d", period.Year), &own)
	require.Len(t, own.Vendors, 1, "a vendor sees itself only")
	assert.Equal(t, string(f.venID), own.Vendors[0].VendorID)
	assert.Equal(t, money.Plain(outstanding), own.Vendors[0].Outstanding)
	assert.Equal(t, "PT-0001", own.Vendors[0].Vouchers[0].Voucher)
	status, body = d.get(t, fmt.Sprintf("/api/v1/payments?year=%d", period.Year))
	assert.Equal(t, http.StatusForbidden, status)
	assert.NotContains(t, body, money.Plain(outstanding))
	status, _ = c.get(t, "/api/v1/payments?year=abc")
	assert.Equal(t, http.StatusBadRequest, status)
}

// Finance sees the outstanding per vendor in the browser.
func TestBrowserFinanceOutstanding(t *testing.T) {
	f := setup(t)
	_, outstanding := f.paymentsFixture(t)
	ctx := tab(t)
	browserSignIn(t, ctx, f, f.fin)
	require.NoError(t, chromedp.Run(ctx, chromedp.Navigate(f.srv.URL+"/payments")))
	waitFor(t, ctx, "#payments")
	assert.Equal(t, money.Grouped(outstanding), text(t, ctx, "#outstanding-"+string(f.venID)))
	shot(t, ctx, "41-finance-payments")
}

// A department downloads its own declaration draft (CSV and workbook); its lines add up to
// its total row.
func TestDeclarationDownload(t *testing.T) {
	f := setup(t)
	c := f.signIn(t, f.dep)
	status, body := c.get(t, "/budgets")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, `id="declaration-xlsx"`)
	status, body = c.get(t, "/departments/"+string(f.depID)+"/declaration?format=csv")
	require.Equal(t, http.StatusOK, status, body)
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Greater(t, len(recs), 2, "header, lines, total")
	annual := 15
	require.Equal(t, "annual", recs[0][annual])
	sum := decimal.Zero
	for _, r := range recs[1 : len(recs)-1] {
		assert.Equal(t, string(f.depID), r[0])
		sum = sum.Add(decimal.RequireFromString(r[annual]))
	}
	assert.True(t, sum.IsPositive())
	assert.Equal(t, sum.StringFixed(2), recs[len(recs)-1][annual])
	status, body = c.get(t, "/departments/"+string(f.depID)+"/declaration")
	require.Equal(t, http.StatusOK, status)
	assert.True(t, strings.HasPrefix(body, "PK"), "an xlsx workbook")
	status, body = c.get(t, "/departments/"+string(f.depID)+"/declaration?format=pdf")
	require.Equal(t, http.StatusOK, status)
	assert.True(t, strings.HasPrefix(body, "%PDF-"), "a PDF")
	if _, err := exec.LookPath("pdftotext"); err == nil {
		cmd := exec.Command("pdftotext", "-layout", "-", "-")
		cmd.Stdin = strings.NewReader(body)
		text, err := cmd.Output()
		require.NoError(t, err)
		assert.Contains(t, string(text), "测算表")
		assert.Contains(t, strings.Join(strings.Fields(string(text)), ""), "合计"+money.Grouped(sum), "the PDF's total row is the CSV's (a wrapped cell joined)")
	}
	status, _ = c.get(t, "/departments/"+string(f.foreignDep)+"/declaration?format=pdf")
	assert.Contains(t, []int{http.StatusForbidden, http.StatusNotFound}, status)
}
