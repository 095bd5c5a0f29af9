package portal_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/fixture/badinvoice"
	"cloudbill/internal/money"
	"cloudbill/reconcile"
	"cloudbill/schedule/jobrun"
)

var wildcard = regexp.MustCompile(`\{([a-z]+)\}`)

// TestAccessMatrix enumerates every route of the router × every role, with ids outside
// the account's scope: a scoped account (department, unit, vendor) gets 403 or 404 on
// every route naming a foreign id or a district-wide object, and no answer of any route
// holds a foreign department's or vendor's figures. A route without a scope rule, or
// with a parameter this test cannot fill, fails the test.
func TestAccessMatrix(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	// an upload of the foreign vendor, to name in {upload}
	foreignUpload := reconcile.Upload{ID: "feedfacefeedface", Vendor: f.foreignVen, Period: period, UploadedAt: time.Now(), UploadedBy: "bureau",
		FileName: "x.csv", Summary: "{}", Claimed: decimal.RequireFromString("98765.43"), Ours: decimal.Zero, Difference: decimal.Zero}
	require.NoError(t, f.store.InsertInvoiceUpload(ctx, foreignUpload))
	// a job run recorded as data (jobrun.Detail), and one of free text from before
	now := time.Now()
	for _, d := range []string{jobrun.Detail(jobrun.DetailClosed, "lines", "1930", "total", "1043194.81", "hash", "ab12", "issued", "1"), "closed: 7 lines, total 1.00, hash cd34"} {
		require.NoError(t, f.store.InsertJobRun(ctx, jobrun.Run{Job: "close", Period: period, Trigger: "schedule", StartedAt: now, FinishedAt: now, Status: jobrun.OK, Detail: d}))
	}
	// the operations page names an upload's vendor, its code beneath; job runs and
	// imports' notes in Chinese, a free-text detail as stored
	status, body := f.signIn(t, f.bur).get(t, "/operations")
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, body, "<td>"+f.org.Vendors[f.foreignVen].Name+`<div class="muted">`+string(f.foreignVen)+"</div></td>")
	assert.Contains(t, body, "已结账：共 1,930 行，合计 1,043,194.81 元，内容哈希 ab12；已出具账单")
	assert.Contains(t, body, "closed: 7 lines, total 1.00, hash cd34")
	assert.Regexp(t, `<td class="text">自 \d{4}-\d{2}-\d{2} 起生效</td>`, body, "a catalog import's note")

	depTotals := f.statementTotals("departments")
	venTotals := f.statementTotals("vendors")
	foreignMarks := func(dep catalog.DepartmentID, ven catalog.VendorID) []string {
		var m []string
		if dep != "" {
			d := depTotals[string(dep)]
			m = append(m, f.org.Departments[dep].Name, money.Grouped(d), money.Plain(d))
		}
		if ven != "" {
			v := venTotals[string(ven)]
			m = append(m, f.org.Vendors[ven].Name, money.Grouped(v), money.Plain(v), "98,765.43", "98765.43")
		}
		return m
	}
	type role struct {
		login      string
		foreignDep catalog.DepartmentID
		foreignVen catalog.VendorID
		// scoped: only its own department or vendor
		scoped bool
		// may: what its role may do outside a scope (finance: view and close)
		mayManage, mayUpload, mayClose bool
	}
	roles := []role{
		{login: f.dep, foreignDep: f.foreignDep, foreignVen: f.foreignVen, scoped: true},
		{login: f.unit, foreignDep: f.depID, foreignVen: f.foreignVen, scoped: true}, // a unit does not see its parent
		{login: f.ven, foreignDep: f.foreignDep, foreignVen: f.foreignVen, scoped: true},
		{login: f.fin, foreignDep: f.foreignDep, foreignVen: f.foreignVen, mayClose: true},
		{login: f.bur, foreignDep: f.foreignDep, foreignVen: f.foreignVen, mayManage: true, mayUpload: true, mayClose: true},
	}
	routes := f.portal.Routes()
	require.NotEmpty(t, routes)
	// sign out last: it ends the session
	for i, rt := range routes {
		if rt.Pattern == "/logout" {
			routes = append(append(routes[:i:i], routes[i+1:]...), rt)
			break
		}
	}
	for _, rt := range routes {
		if !rt.Public && rt.Rule == nil {
			t.Errorf("route %s %s has no scope rule", rt.Method, rt.Pattern)
		}
	}
	for _, ro := range roles {
		t.Run(ro.login, func(t *testing.T) {
			c := f.signIn(t, ro.login)
			for _, rt := range routes {
				if rt.Public {
					continue
				}
				target, obj, ok := fill(rt.Pattern, ro.foreignDep, ro.foreignVen, foreignUpload.ID, period.String())
				if !ok {
					t.Errorf("route %s %s: a parameter the access matrix cannot fill: add it to fill()", rt.Method, rt.Pattern)
					continue
				}
				name := rt.Method + " " + target
				var status int
				var body string
				if rt.Method == "POST" {
					// a valid CSRF token, so that scope is what decides; no confirmation,
					// so that a permitted close changes nothing
					status, body = c.post(t, target, url.Values{"csrf": {c.csrf}})
				} else {
					status, body = c.get(t, target)
				}
				denied := status == http.StatusForbidden || status == http.StatusNotFound
				switch {
				case rt.Pattern == "/logout" || rt.Pattern == "/{$}" || rt.Pattern == "/api/v1/me":
				case ro.scoped && (obj == "idle" || obj == "budgets") && ro.login != f.ven:
					// a department may open the list: the foreign-figure check below holds
				case ro.scoped && obj == "orders":
					// every account may open the work-order list: the check below holds
				case ro.scoped && obj == "payments" && ro.login == f.ven:
					// a vendor may open the ledger (its own vendor only): the foreign-figure check below holds
				case ro.scoped && obj != "self" && obj != "months":
					assert.True(t, denied, "%s as %s: got %d, want 403/404", name, ro.login, status)
				case obj == "accounts" && !ro.mayManage, obj == "upload" && !ro.mayUpload, obj == "close" && !ro.mayClose:
					assert.True(t, denied, "%s as %s: got %d, want 403/404", name, ro.login, status)
				}
				if ro.scoped {
					marks := foreignMarks(ro.foreignDep, ro.foreignVen)
					if obj == "orders" {
						// a department's orders name their vendors, a vendor's orders their
						// departments: the other party's name is not foreign there
						if ro.login == f.ven {
							marks = append(foreignMarks("", ro.foreignVen), foreignMarks(ro.foreignDep, "")[1:]...)
						} else {
							marks = append(foreignMarks(ro.foreignDep, ""), foreignMarks("", ro.foreignVen)[1:3]...)
						}
					}
					for _, mark := range marks {
						if mark != "" && mark != "0.00" {
							assert.NotContains(t, body, mark, "%s as %s (%d): a foreign figure or name in the answer", name, ro.login, status)
						}
					}
				}
				if denied && rt.API {
					assert.Contains(t, body, `"error"`, "%s: API errors are JSON", name)
				}
			}
		})
	}
}

// fill makes a request path of a route pattern with foreign ids, and says what kind of
// object its rule is about ("self", "months", "department", "vendor", "district",
// "accounts", "upload", "close", "operations", "audit", "idle").
func fill(pattern string, dep catalog.DepartmentID, ven catalog.VendorID, upload, p string) (string, string, bool) {
	ok := true
	obj := ""
	path := wildcard.ReplaceAllStringFunc(pattern, func(w string) string {
		switch w {
		case "{period}":
			return p
		case "{department}":
			return url.PathEscape(string(dep))
		case "{vendor}":
			return url.PathEscape(string(ven))
		case "{upload}":
			return upload
		case "{login}":
			return "nobody-here"
		case "{case}":
			return "20261001-" + url.PathEscape(string(dep)) + "-vcpu"
		case "{file}":
			switch {
			case strings.Contains(pattern, "/departments/"):
				return url.PathEscape(string(dep)) + ".pdf"
			case strings.Contains(pattern, "/vendors/") && strings.Contains(pattern, "reconciliations"):
				return "report.csv"
			case strings.Contains(pattern, "/vendors/"):
				return url.PathEscape(string(ven)) + ".csv"
			}
			return "summary.csv"
		}
		ok = false
		return w
	})
	path = strings.TrimSuffix(path, "{$}")
	switch {
	case pattern == "/api/v1/district/compare":
		path += "?period=" + p
		obj = "district"
	case strings.HasPrefix(pattern, "/district/"):
		obj = "district"
	case pattern == "/api/v1/breakdown" || pattern == "/api/v1/compare":
		path += "?period=" + p + "&department=" + url.QueryEscape(string(dep))
		obj = "department"
	case pattern == "/logout" || pattern == "/{$}" || pattern == "/api/v1/me" || pattern == "/search" || pattern == "/api/v1/search":
		obj = "self"
	case pattern == "/months" || pattern == "/api/v1/periods" || strings.HasPrefix(pattern, "/statements/"):
		obj = "months"
	case strings.HasSuffix(pattern, "/close"):
		obj = "close"
	case strings.HasSuffix(pattern, "/invoice"):
		obj = "upload"
	case strings.HasPrefix(pattern, "/accounts"):
		obj = "accounts"
	case strings.HasPrefix(pattern, "/operations"):
		obj = "operations"
	case strings.HasPrefix(pattern, "/audit"):
		obj = "audit"
	case pattern == "/orders" || pattern == "/api/v1/orders":
		obj = "orders" // every account: its own orders only
	case pattern == "/idle" || pattern == "/api/v1/idle/cases":
		obj = "idle" // departments: their own cases only; vendors: refused
	case pattern == "/payments":
		path += "?year=" + p[:4]
		obj = "district"
	case pattern == "/vendors/{vendor}/payments":
		path += "?year=" + p[:4]
		obj = "vendor"
	case pattern == "/api/v1/payments":
		path += "?year=" + p[:4]
		obj = "payments" // vendors: their own only; departments: refused
	case pattern == "/budgets" || pattern == "/api/v1/budgets":
		path += "?year=" + p[:4]
		obj = "budgets" // departments: their own projects only; vendors: refused
	case pattern == "/idle/overdue.csv" || strings.HasPrefix(pattern, "/collection/") || strings.HasPrefix(pattern, "/api/v1/collection/"):
		obj = "district"
	case pattern == "/idle/{case}":
		obj = "department"
	case strings.Contains(pattern, "{department}") || strings.Contains(pattern, "/departments/"):
		obj = "department"
	case strings.Contains(pattern, "{vendor}") || strings.Contains(pattern, "/vendors/"):
		obj = "vendor"
	case strings.HasPrefix(pattern, "/api/v1/statements/"):
		obj = "district"
	default:
		ok = false
	}
	return path, obj, ok
}

// TestFiguresEqualStatements: for every department, the drill-down's totals at every
// level (department, unit, project, order) equal the sums of the issued statement CSV's
// amount column to the fen, through the JSON API; the pages show the same total.
func TestFiguresEqualStatements(t *testing.T) {
	f := setup(t)
	c := f.signIn(t, f.fin)
	totals := f.statementTotals("departments")
	require.NotEmpty(t, totals)
	checked := 0
	for id, want := range totals {
		var rep struct {
			Total string `json:"total"`
			Units []struct {
				ID       string `json:"department_id"`
				Total    string `json:"total"`
				Projects []struct {
					ID     string `json:"project_id"`
					Total  string `json:"total"`
					Orders []struct {
						ID    string `json:"order_id"`
						Total string `json:"total"`
					} `json:"orders"`
				} `json:"projects"`
			} `json:"units"`
			Lines []struct {
				Amount string `json:"amount"`
			} `json:"lines"`
		}
		getJSON(t, c, "/api/v1/breakdown?period="+period.String()+"&department="+url.QueryEscape(id), &rep)
		assert.Equal(t, money.Plain(want), rep.Total, "department %s: breakdown total vs statement CSV", id)
		rows := f.statementCSV("departments", id)
		type key struct{ level, unit, project, order string }
		sums := map[key]decimal.Decimal{}
		add := func(k key, a decimal.Decimal) { sums[k] = sums[k].Add(a) }
		for _, r := range rows {
			a := decimal.RequireFromString(r["amount"])
			add(key{"unit", r["department_id"], "", ""}, a)
			add(key{"project", r["department_id"], r["project_id"], ""}, a)
			add(key{"order", r["department_id"], r["project_id"], r["order_id"]}, a)
		}
		lineSum := decimal.Zero
		for _, l := range rep.Lines {
			lineSum = lineSum.Add(decimal.RequireFromString(l.Amount))
		}
		assert.Equal(t, money.Plain(want), money.Plain(lineSum), "department %s: lines add up", id)
		for _, u := range rep.Units {
			assert.Equal(t, money.Plain(sums[key{"unit", u.ID, "", ""}]), u.Total, "unit %s", u.ID)
			for _, p := range u.Projects {
				assert.Equal(t, money.Plain(sums[key{"project", u.ID, p.ID, ""}]), p.Total, "unit %s project %s", u.ID, p.ID)
				for _, o := range p.Orders {
					// an order's lines of several vendors would sum together in the CSV
					if o.ID != "" {
						assert.Equal(t, money.Plain(sums[key{"order", u.ID, p.ID, o.ID}]), o.Total, "unit %s project %s order %s", u.ID, p.ID, o.ID)
					}
				}
			}
		}
		status, body := c.get(t, "/departments/"+url.PathEscape(id)+"/"+period.String())
		require.Equal(t, 200, status)
		assert.Contains(t, body, `id="dept-total">`+money.Grouped(want)+`<`, "department %s page total", id)
		checked++
	}
	t.Logf("%d departments: breakdown totals equal statement CSVs to the fen at every level", checked)
}

func getJSON(t *testing.T, c *client, path string, v any) {
	t.Helper()
	res, err := c.Get(c.base + path)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, 200, res.StatusCode, path)
	require.NoError(t, jsonDecode(res, v))
}

// TestStatementDownloadsAreTheIssuedBytes: the API serves the archived files byte for byte.
func TestStatementDownloadsAreTheIssuedBytes(t *testing.T) {
	f := setup(t)
	c := f.signIn(t, f.dep)
	for _, ext := range []string{"pdf", "csv"} {
		status, body := c.get(t, "/api/v1/statements/"+period.String()+"/departments/"+string(f.depID)+"."+ext)
		require.Equal(t, 200, status)
		want := readFile(t, f.out, period.String(), "departments", string(f.depID)+"."+ext)
		assert.True(t, body == string(want), "%s.%s: served bytes equal the issued file", f.depID, ext)
	}
	status, _ := c.get(t, "/api/v1/statements/"+period.String()+"/summary.pdf")
	assert.Equal(t, http.StatusForbidden, status, "a department does not get the finance summary")
	// personal token: the API without a session
	nt, err := f.access.CreatePersonalToken(context.Background(), access.Login(f.dep), time.Hour, access.Local("test"))
	require.NoError(t, err)
	req, _ := http.NewRequest("GET", f.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+nt.Secret)
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body := readBody(t, res)
	assert.Equal(t, 200, res.StatusCode)
	assert.Contains(t, body, `"department_id":"`+string(f.depID)+`"`)
	req, _ = http.NewRequest("GET", f.srv.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer cbp_0000000000000000_nope-nope-nope-nope-nope-nope-nope")
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	readBody(t, res)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
	// a collector token reads nothing
	col, err := f.access.CreateCollectorToken(context.Background(), f.venID, 0, access.Local("test"))
	require.NoError(t, err)
	req, _ = http.NewRequest("GET", f.srv.URL+"/api/v1/statements/"+period.String()+"/vendors/"+string(f.venID)+".csv", nil)
	req.Header.Set("Authorization", "Bearer "+col.Secret)
	res, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	readBody(t, res)
	assert.Equal(t, http.StatusForbidden, res.StatusCode)
}

// TestBadInput: malformed periods and ids, missing or wrong CSRF, expired session,
// disabled account, a non-CSV upload and a too-large upload: a clear answer and nothing
// changed.
func TestBadInput(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	fin := f.signIn(t, f.fin)
	for _, p := range []string{
		"/departments/" + string(f.depID) + "/2026-13",
		"/departments/" + string(f.depID) + "/26-10",
		"/departments/" + string(f.depID) + "/2026-10x",
		"/departments/%00bad/" + period.String(),
		"/departments/a%20b/" + period.String(),
		"/api/v1/breakdown?period=2026/10&department=" + string(f.depID),
		"/api/v1/breakdown?period=" + period.String(),
		"/api/v1/statements/2026-1/summary.pdf",
		"/api/v1/statements/" + period.String() + "/summary.exe",
		"/api/v1/statements/" + period.String() + "/departments/" + string(f.depID) + ".docx",
		"/statements/x",
	} {
		status, body := fin.get(t, p)
		assert.Equal(t, http.StatusBadRequest, status, p)
		assert.NotContains(t, body, "panic", p)
	}
	for _, p := range []string{
		"/departments/NO-SUCH/" + period.String(),
		"/departments/" + string(f.depID) + "/" + period.String() + "?unit=NO-SUCH&project=-",
		"/departments/" + string(f.depID) + "/" + period.String() + "?unit=" + string(f.depID) + "&project=NO-SUCH",
		"/departments/" + string(f.depID) + "/" + period.String() + "?unit=" + string(f.depID) + "&project=-&order=-&vendor=NO-SUCH",
		"/vendors/NO-SUCH/" + period.String(),
		"/api/v1/statements/2019-01/summary.csv",
	} {
		status, _ := fin.get(t, p)
		assert.Equal(t, http.StatusNotFound, status, p)
	}

	closeURL := "/months/" + period.String() + "/close"
	status, _ := fin.post(t, closeURL, url.Values{"confirm": {"yes"}})
	assert.Equal(t, http.StatusForbidden, status, "no CSRF token")
	status, _ = fin.post(t, closeURL, url.Values{"confirm": {"yes"}, "csrf": {"wrong" + fin.csrf}})
	assert.Equal(t, http.StatusForbidden, status, "wrong CSRF token")
	_, closed, err := f.store.CloseOf(ctx, period)
	require.NoError(t, err)
	assert.False(t, closed, "nothing closed")
	status, _ = fin.post(t, "/months/2026-13/close", url.Values{"confirm": {"yes"}, "csrf": {fin.csrf}})
	assert.Equal(t, http.StatusBadRequest, status)

	// unauthenticated: pages go to sign-in, the API answers 401
	anon := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := anon.Get(f.srv.URL + "/departments/" + string(f.depID) + "/" + period.String())
	require.NoError(t, err)
	readBody(t, res)
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.True(t, strings.HasPrefix(res.Header.Get("Location"), "/login"))
	res, err = anon.Get(f.srv.URL + "/api/v1/periods")
	require.NoError(t, err)
	readBody(t, res)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)

	// the session cookie: HttpOnly, SameSite=Strict
	u, _ := url.Parse(f.srv.URL)
	_ = u
	res, err = fin.Get(f.srv.URL + "/login")
	require.NoError(t, err)
	readBody(t, res)

	// expired session (idle), then a disabled account
	dep := f.signIn(t, f.dep)
	status, _ = dep.get(t, "/api/v1/me")
	require.Equal(t, 200, status)
	f.clock.Add(31 * time.Minute)
	status, _ = dep.get(t, "/api/v1/me")
	assert.Equal(t, http.StatusUnauthorized, status, "idle session expired")
	f.clock.Add(-31 * time.Minute)

	_, err = f.access.AddUser(ctx, access.AddUserParams{Login: "leaver", Role: access.RoleDepartment, Department: f.depID, Password: password, By: access.Local("test")})
	require.NoError(t, err)
	leaver := f.signIn(t, "leaver")
	status, _ = leaver.get(t, "/api/v1/me")
	require.Equal(t, 200, status)
	bur := f.signIn(t, f.bur)
	status, _ = bur.post(t, "/accounts/leaver/disable", url.Values{"csrf": {bur.csrf}})
	assert.Equal(t, http.StatusBadRequest, status, "not confirmed: nothing done")
	status, _ = leaver.get(t, "/api/v1/me")
	require.Equal(t, 200, status)
	status, _ = bur.post(t, "/accounts/leaver/disable", url.Values{"csrf": {bur.csrf}, "confirm": {"yes"}})
	assert.Equal(t, http.StatusSeeOther, status)
	status, _ = leaver.get(t, "/api/v1/me")
	assert.Equal(t, http.StatusUnauthorized, status, "disabled: the session ends at once")
	res, err = leaver.PostForm(f.srv.URL+"/login", url.Values{"login": {"leaver"}, "password": {password}})
	require.NoError(t, err)
	readBody(t, res)
	assert.NotEqual(t, http.StatusSeeOther, res.StatusCode, "disabled: no sign-in")

	// uploads: not CSV/xlsx, too large; nothing stored
	ven := f.signIn(t, f.ven)
	before, err := f.store.InvoiceUploads(ctx, f.venID)
	require.NoError(t, err)
	action := "/vendors/" + string(f.venID) + "/" + period.String() + "/invoice"
	for _, tc := range []struct {
		name    string
		content []byte
		want    int
	}{
		{"pdf.csv", []byte("%PDF-1.4\n\x00\x01binary"), http.StatusUnsupportedMediaType},
		{"big.csv", []byte(strings.Repeat("vendor_id,period,order_id,item_code,amount\n", 40000)), http.StatusRequestEntityTooLarge},
		{"empty.csv", nil, http.StatusUnsupportedMediaType},
		{"bad.csv", []byte("vendor_id,period,order_id\nx,2026-10,o\n"), http.StatusBadRequest},
	} {
		status, body := upload(t, ven, action, tc.name, tc.content, ven.csrf)
		assert.Equal(t, tc.want, status, tc.name)
		assert.Regexp(t, "发票未受理|文件过大", body, tc.name)
		if tc.name == "bad.csv" { // each error on its line, the place and the fault in Chinese
			assert.Contains(t, body, "共 2 处错误：\n文件 bad.csv 第 1 行，列 “item_code”：表头缺少这一必需的列\n", tc.name)
		}
	}
	// each bad invoice (the same cases as the command line's): the refusal in Chinese,
	// naming file, line, record and column (a .xls is refused before it is read)
	for _, c := range badinvoice.Cases(t, f.venID, period, "O1", "C01") {
		status, body := upload(t, ven, action, c.File, c.Body, ven.csrf)
		if strings.HasSuffix(c.File, ".xls") {
			assert.Equal(t, http.StatusUnsupportedMediaType, status, c.Name)
			assert.Contains(t, body, "只接受 CSV 或 Excel .xlsx 文件", c.Name)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, status, c.Name)
		assert.Contains(t, body, "发票未受理："+html.EscapeString(c.Want), c.Name)
	}
	status, _ = upload(t, ven, action, "ok.csv", []byte("vendor_id,period,order_id,item_code,amount\n"), "")
	assert.Equal(t, http.StatusForbidden, status, "upload without CSRF")
	after, err := f.store.InvoiceUploads(ctx, f.venID)
	require.NoError(t, err)
	assert.Len(t, after, len(before), "no upload stored")
	// each refusal audited by app.UploadInvoice with its reason (the CSRF one never
	// reaches it, nor a body past the bound: the server refuses it before the handler)
	evs, err := f.access.Audit(ctx, access.AuditFilter{Actor: f.ven, Action: "upload"})
	require.NoError(t, err)
	reasons := map[string]bool{}
	for _, e := range evs {
		if _, v, ok := access.ParseDetail(e.Detail); ok && e.Outcome == "refused" {
			reasons[v.Get("reason")] = true
		}
	}
	for _, r := range []string{access.ReasonNotInvoice, access.ReasonBadInvoice} {
		assert.True(t, reasons[r], "an upload refused as %s is audited", r)
	}

	// sign-in throttling: 5 failures, then even the right password waits
	_, err = f.access.AddUser(ctx, access.AddUserParams{Login: "target", Role: access.RoleFinance, Password: password, By: access.Local("test")})
	require.NoError(t, err)
	var last int
	for i := 0; i < 6; i++ {
		last = formSignIn(t, f, "target", "wrong password here")
	}
	assert.Equal(t, http.StatusTooManyRequests, last)
	assert.Equal(t, http.StatusTooManyRequests, formSignIn(t, f, "target", password))
	evs, err = f.access.Audit(ctx, access.AuditFilter{Actor: "target"})
	require.NoError(t, err)
	assert.NotEmpty(t, evs, "failed sign-ins are audited")
}

// formSignIn posts the login form once (with a fresh CSRF cookie) and returns the status.
func formSignIn(t *testing.T, f *fixture, login, pw string) int {
	c := &client{Client: &http.Client{Jar: newJar(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, base: f.srv.URL}
	res, err := c.Get(f.srv.URL + "/login")
	require.NoError(t, err)
	for _, ck := range res.Cookies() {
		assert.True(t, ck.HttpOnly, "cookie %s HttpOnly", ck.Name)
		assert.Equal(t, http.SameSiteStrictMode, ck.SameSite, "cookie %s SameSite=Strict", ck.Name)
	}
	m := csrfRE.FindStringSubmatch(readBody(t, res))
	require.NotNil(t, m)
	res, err = c.PostForm(f.srv.URL+"/login", url.Values{"csrf": {m[1]}, "login": {login}, "password": {pw}})
	require.NoError(t, err)
	readBody(t, res)
	return res.StatusCode
}

// TestSignInRedirectStaysOnSite: /login?next=/%09/evil signs in to "/" of this site, not
// to "/\t/evil", which browsers read as //evil.
func TestSignInRedirectStaysOnSite(t *testing.T) {
	f := setup(t)
	nextRE := regexp.MustCompile(`name="next" value="([^"]*)"`)
	for _, tc := range []struct{ query, want string }{
		{"/%09/evil", "/"},
		{"/%0A/evil", "/"},
		{"//evil", "/"},
		{"/%5Cevil", "/"},
		{"/departments", "/departments"},
	} {
		jar := newJar()
		c := &http.Client{Jar: jar}
		res, err := c.Get(f.srv.URL + "/login?next=" + tc.query)
		require.NoError(t, err)
		body := readBody(t, res)
		m, n := csrfRE.FindStringSubmatch(body), nextRE.FindStringSubmatch(body)
		require.NotNil(t, m)
		require.NotNil(t, n)
		// the form posts back its hidden field; a hand-made post sends the decoded value
		dec, _ := url.QueryUnescape(tc.query)
		for _, next := range []string{html.UnescapeString(n[1]), dec} {
			form := url.Values{"csrf": {m[1]}, "login": {f.fin}, "password": {password}, "next": {next}}
			req, err := http.NewRequest(http.MethodPost, f.srv.URL+"/login", strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			for _, ck := range jar.Cookies(req.URL) {
				req.AddCookie(ck)
			}
			// the transport, not the client: Go's client refuses to parse a Location
			// with a control character, browsers do not
			res, err := http.DefaultTransport.RoundTrip(req)
			require.NoError(t, err)
			readBody(t, res)
			require.Equal(t, http.StatusSeeOther, res.StatusCode, tc.query)
			assert.Equal(t, tc.want, res.Header.Get("Location"), "next=%s, posted %q", tc.query, next)
		}
	}
}
