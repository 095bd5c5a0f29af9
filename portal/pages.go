package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	neturl "net/url"
	"path"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/app"
	"cloudbill/catalog"
	"cloudbill/funding"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/monthclose"
	"cloudbill/rating"
	"cloudbill/reconcile"
	"cloudbill/schedule/jobrun"
	"cloudbill/statements"
	"cloudbill/statements/breakdown"
)

// pageData is what every page template gets.
type pageData struct {
	Title   string
	ID      access.Identity
	CSRF    string
	Nav     []navItem
	Status  int
	Message string
	Back    string // an error page's way back: the page the user came from (same site)
	Data    any
}

type navItem struct {
	Label, Href string
}

var pageNames = []string{"login", "error", "overview", "months", "close", "closed", "statements", "drill", "vendor", "reconciliation", "operations", "audit", "accounts", "account", "idle", "idlecase", "collection", "budgets", "search", "payments", "compare", "orders"}

func (s *Server) parseTemplates() error {
	s.pages = map[string]*template.Template{}
	for _, n := range pageNames {
		t, err := template.New("layout").Funcs(funcs).ParseFS(assets, "templates/layout.html", "templates/"+n+".html")
		if err != nil {
			return fmt.Errorf("portal template %s: %w", n, err)
		}
		s.pages[n] = t
	}
	// the layout around a page's content made before (pageData.Data is the content,
	// template.HTML): renderContent
	shell, err := template.New("layout").Funcs(funcs).ParseFS(assets, "templates/layout.html")
	if err == nil {
		shell, err = shell.Parse(`{{define "content"}}{{.Data}}{{end}}`)
	}
	if err != nil {
		return fmt.Errorf("portal template shell: %w", err)
	}
	s.shell = shell
	return nil
}

var funcs = template.FuncMap{
	"yuan":  func(d decimal.Decimal) string { return money.Grouped(money.Round(d)) },
	"plain": func(d decimal.Decimal) string { return money.Plain(d) },
	"dec":   func(d decimal.Decimal) string { return d.String() },
	"ytime": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(calendar.Shanghai()).Format("2006-01-02 15:04")
	},
	"stateZh":     stateZh,
	"roleZh":      func(r access.Role) string { return r.Label() },
	"kindZh":      kindZh,
	"classZh":     func(c reconcile.Class) string { return reconcile.ClassZh(c) },
	"chart":       trendSVG,
	"add":         func(a, b int) int { return a + b },
	"short":       func(s string) string { return shortHash(s) },
	"periodStr":   func(p calendar.Period) string { return p.String() },
	"deref":       func(d *decimal.Decimal) decimal.Decimal { return *d },
	"payableZh":   func(k funding.PayableKind) string { return funding.PayableLabel(k) },
	"pct":         pct,
	"kindLabel":   kindLabel,
	"caseStateZh": caseStateZh,
	"statusZh":    statusZh,
	"resultZh":    glossary.Result,
	"zoneZh":      func(z string) string { return glossary.Zone(catalog.Zone(z)) },
	"categoryZh":  func(c string) string { return glossary.Category(catalog.ProjectCategory(c)) },
	"modeZh":      func(m string) string { return glossary.Mode(catalog.Mode(m)) },
	"tierGroupZh": func(g rating.TierGroup) string { return glossary.TierGroup(g) },
	"tierZh":      glossary.TierText,
	"percent":     glossary.Percent,
	"jobZh":       func(v any) string { return glossary.Job(fmt.Sprint(v)) },
	"jobStatusZh": nameOf(glossary.JobStatus),
	"triggerZh":   nameOf(glossary.Trigger),
	"actionZh":    nameOf(glossary.AuditAction),
	"outcomeZh":   nameOf(glossary.Outcome),
	"importZh":    nameOf(glossary.Import),
	"auditTarget": glossary.AuditTarget,
	"actorZh":     glossary.Actor,
	"tokenKindZh": func(k access.TokenKind) string { return glossary.TokenKind(string(k)) },
	"tokenState":  glossary.TokenState,
	"jobDetail":   glossary.JobDetail,
	"rulesZh":     glossary.RulesVersion,
	// grouped: an amount answered as a plain string ("-1234.50") with thousands
	// separators as the other pages print money; "" stays ""
	"grouped": func(s string) string {
		d, err := decimal.NewFromString(s)
		if err != nil {
			return s
		}
		return money.Grouped(d)
	},
}

// nameOf looks a code of any string type up with a glossary lookup.
func nameOf(name func(string) string) func(any) string {
	return func(v any) string { return name(fmt.Sprint(v)) }
}

// stateZh is a month state's name (glossary.States).
func stateZh(s app.State) string { return glossary.State(string(s)) }

// kindZh is a line kind's name, as the statements print it (glossary.Kinds).
func kindZh(k string) string { return glossary.Kind(rating.Kind(k)) }

func shortHash(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// nav is the menu of what the identity may open.
func (s *Server) nav(c *call) []navItem {
	parents := access.OrgParents(c.org)
	may := func(act access.Action, obj access.Object) bool {
		return c.id.Allows(act, obj, parents)
	}
	items := []navItem{{"概览", "/"}}
	p, issued := s.latestPeriods(c)
	if c.id.Role == access.RoleDepartment {
		items = append(items, navItem{"费用明细", "/departments/" + esc(string(c.id.Department)) + "/" + p})
	}
	if c.id.Role == access.RoleVendor {
		items = append(items, navItem{"结算与对账", "/vendors/" + esc(string(c.id.Vendor)) + "/" + p})
	}
	if may(access.View, access.Orders()) {
		items = append(items, navItem{"工单", "/orders"})
	}
	items = append(items, navItem{"账单下载", "/statements/" + issued})
	if may(access.View, access.Idle()) {
		items = append(items, navItem{"闲置资源", "/idle"})
	}
	if may(access.View, access.Budgets()) {
		items = append(items, navItem{"项目预算", "/budgets"})
	}
	if may(access.View, access.District()) {
		items = append(items, navItem{"付款情况", "/payments"})
	} else if c.id.Role == access.RoleVendor {
		items = append(items, navItem{"付款情况", "/vendors/" + esc(string(c.id.Vendor)) + "/payments"})
	}
	if may(access.View, access.District()) {
		items = append(items, navItem{"采集完整性", "/collection/" + p})
	} else if c.id.Role == access.RoleVendor {
		items = append(items, navItem{"采集完整性", "/vendors/" + esc(string(c.id.Vendor)) + "/collection/" + p})
	}
	if may(access.View, access.District()) {
		items = append(items, navItem{"月份与结账", "/months"})
	}
	if may(access.View, access.Operations()) {
		items = append(items, navItem{"任务与导入", "/operations"})
	}
	if may(access.View, access.Audit()) {
		items = append(items, navItem{"审计日志", "/audit"})
	}
	if may(access.Manage, access.Accounts()) {
		items = append(items, navItem{"账户", "/accounts"})
	}
	return items
}

// latestPeriods are, for menu links (a menu never leads to a month with nothing to show),
// the latest rated or closed month and the latest month with issued statements
// (app.LatestShown, app.LatestIssued).
func (s *Server) latestPeriods(c *call) (shownP, issuedP string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ms, err := s.monthStates(ctx)
	if err != nil {
		ms = nil // none known: the month before this one
	}
	now := s.now()
	return app.LatestShown(ms, now).String(), app.LatestIssued(ms, now).String()
}

func esc(s string) string { return neturl.PathEscape(s) }

func (s *Server) render(w http.ResponseWriter, c *call, status int, name, title string, data any) {
	pd := pageData{Title: title, ID: c.id, CSRF: c.session.CSRF, Data: data}
	if c.id.Login != "" || c.id.Via != "" {
		pd.Nav = s.nav(c)
	}
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.cfg.Logf("portal: render %s: %v", name, err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderContent renders page name with content, the HTML its "content" template made
// of the page's data before (contentOf): the same page, the content not made again.
func (s *Server) renderContent(w http.ResponseWriter, c *call, title string, content template.HTML) {
	pd := pageData{Title: title, ID: c.id, CSRF: c.session.CSRF, Data: content}
	if c.id.Login != "" || c.id.Via != "" {
		pd.Nav = s.nav(c)
	}
	var buf bytes.Buffer
	buf.Grow(len(content) + 8<<10) // the content and the layout around it
	if err := s.shell.ExecuteTemplate(&buf, "layout", pd); err != nil {
		s.cfg.Logf("portal: render: %v", err)
		http.Error(w, "render error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(200)
	_, _ = w.Write(buf.Bytes())
}

// contentOf is the HTML of page name's "content" template for data (which reads only
// its data, never the identity: the same for every user who may see the page).
func (s *Server) contentOf(name string, data any) (template.HTML, error) {
	var buf bytes.Buffer
	if err := s.pages[name].ExecuteTemplate(&buf, "content", pageData{Data: data}); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}

// pageError renders a page-level error for a route (not found, refused, failure).
func (s *Server) pageError(w http.ResponseWriter, r *http.Request, c *call, status int, msg string, err error) {
	if err != nil {
		s.cfg.Logf("portal: %s %s: %v", r.Method, r.URL.Path, err)
	}
	s.render(w, c, status, "error", "出错了", nil)
	_ = msg
}

// --- sign-in ---------------------------------------------------------------------------

const loginCSRFCookie = "cloudbill_login"

func (s *Server) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteStrictMode, MaxAge: maxAge})
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request, c *call) {
	tok := randomToken()
	s.setCookie(w, loginCSRFCookie, tok, 3600)
	s.renderLogin(w, http.StatusOK, tok, safeNext(r.URL.Query().Get("next")), "")
}

func (s *Server) renderLogin(w http.ResponseWriter, status int, csrf, next, msg string) {
	var buf bytes.Buffer
	_ = s.pages["login"].ExecuteTemplate(&buf, "layout", pageData{Title: "登录", CSRF: csrf, Message: msg, Data: next})
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) login(w http.ResponseWriter, r *http.Request, c *call) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	ck, err := r.Cookie(loginCSRFCookie)
	form := r.PostFormValue("csrf")
	next := safeNext(r.PostFormValue("next"))
	fresh := randomToken()
	s.setCookie(w, loginCSRFCookie, fresh, 3600)
	if err != nil || form == "" || !equalSecret(ck.Value, form) {
		_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: r.PostFormValue("login"), Action: "sign-in-failed", Outcome: "refused", Remote: c.remote, Detail: access.Details(access.DetailRefused, "reason", access.ReasonCSRF)})
		s.renderLogin(w, http.StatusForbidden, fresh, next, "登录页面已过期，请重新输入。")
		return
	}
	res, err := s.cfg.Access.SignIn(r.Context(), r.PostFormValue("login"), r.PostFormValue("password"), c.remote)
	switch {
	case errors.Is(err, access.ErrThrottled):
		w.Header().Set("Retry-After", "900")
		s.renderLogin(w, http.StatusTooManyRequests, fresh, next, "登录失败次数过多，请 15 分钟后再试。")
		return
	case errors.Is(err, access.ErrBusy):
		w.Header().Set("Retry-After", "5")
		s.renderLogin(w, http.StatusServiceUnavailable, fresh, next, "登录的人太多，请稍后再试。")
		return
	case errors.Is(err, access.ErrBadCredentials):
		s.renderLogin(w, http.StatusUnauthorized, fresh, next, "账号或密码错误，或账号已停用。")
		return
	case err != nil:
		s.cfg.Logf("portal: sign in: %v", err)
		s.renderLogin(w, http.StatusInternalServerError, fresh, next, "服务暂不可用，请稍后再试。")
		return
	}
	s.setCookie(w, loginCSRFCookie, "", -1)
	s.setCookie(w, sessionCookie, res.Cookie, 0)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// safeNext keeps a redirect target inside the portal: a path of this site, "/" followed
// by a character that is neither "/" nor "\\", with no control character (tab, newline,
// DEL, C1), neither as given nor once percent-decoded (browsers drop a tab, so "/\t/evil"
// would be "//evil", another host); anything else, and the login page itself, is "/".
func safeNext(n string) string {
	ok := func(s string) bool {
		if len(s) < 2 || s[0] != '/' || s[1] == '/' || s[1] == '\\' {
			return s == "/"
		}
		return !strings.ContainsFunc(s, unicode.IsControl)
	}
	dec, err := neturl.PathUnescape(n)
	if err != nil || !ok(n) || !ok(dec) || strings.HasPrefix(n, "/login") || strings.HasPrefix(dec, "/login") {
		return "/"
	}
	return n
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *call) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if err := s.cfg.Access.SignOut(r.Context(), ck.Value, c.remote); err != nil {
			s.cfg.Logf("portal: sign out: %v", err)
		}
	}
	s.setCookie(w, sessionCookie, "", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (s *Server) static(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PathValue("file")
	b, err := fs.ReadFile(staticFS(), name)
	if err != nil || strings.Contains(name, "..") {
		http.NotFound(w, r)
		return
	}
	switch path.Ext(name) {
	case ".css":
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
	case ".js":
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	}
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, _ = w.Write(b)
}

// --- overview --------------------------------------------------------------------------

type overviewData struct {
	Trend []TrendPoint
	// Latest is the latest rated or closed month; Open the current month when rated.
	Latest      *MonthState
	LatestTotal decimal.Decimal
	// MonthToDate: the open month's figure so far (临时); Through its last day counted.
	MonthToDate *decimal.Decimal
	Through     string
	OpenPeriod  string
	// District figures (finance, bureau).
	Departments []statements.Subtotal
	Vendors     []vendorRow
	DeptLink    string
	VendorLink  string
	// CompareLink: the district's comparison of the latest month (finance, bureau).
	CompareLink string
	// Budget: the department's projects at warning, over or forecast over this year.
	Budget []budgetRow
}

type vendorRow struct {
	ID, Name              string
	Gross, Deduction, Net decimal.Decimal
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	ms, err := s.monthStates(ctx)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d := overviewData{}
	if d.Trend, err = s.trend(ctx, c, ms); err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	cur := currentPeriod(s.now())
	for i := range ms {
		m := ms[i]
		if !m.Rated() {
			continue
		}
		if m.Period == cur && !m.State.Closed() {
			// the open month to date
			if c.id.Role == access.RoleDepartment {
				if md, err := s.monthLines(ctx, m.Period); err == nil {
					if rep, err := s.monthToDate(ctx, md, c.id.Department); err == nil {
						t := rep.Total.Decimal
						d.MonthToDate, d.Through, d.OpenPeriod = &t, rep.Through, m.Period.String()
					}
				}
			} else {
				for _, tp := range d.Trend {
					if tp.Period == cur {
						t := tp.Amount
						d.MonthToDate, d.Through, d.OpenPeriod = &t, "按最新计费", m.Period.String()
					}
				}
			}
			continue
		}
		if d.Latest == nil {
			d.Latest = &m
		}
	}
	if d.Latest != nil {
		for _, tp := range d.Trend {
			if tp.Period == d.Latest.Period {
				d.LatestTotal = tp.Amount
			}
		}
		p := d.Latest.Period
		switch c.id.Role {
		case access.RoleDepartment:
			d.DeptLink = "/departments/" + esc(string(c.id.Department)) + "/" + p.String()
		case access.RoleVendor:
			d.VendorLink = "/vendors/" + esc(string(c.id.Vendor)) + "/" + p.String()
		default:
			d.CompareLink = "/district/" + p.String() + "/compare"
			if md, err := s.month(ctx, p); err == nil {
				d.Departments = md.st.ByDepartment
				for _, v := range md.st.Vendors {
					d.Vendors = append(d.Vendors, vendorRow{string(v.Vendor.ID), v.Vendor.Name, v.Gross, v.Deduction, v.Net})
				}
			} else if !errors.Is(err, errNotRated) {
				s.fail(w, r, Route{}, 500, "服务暂不可用", err)
				return
			}
		}
	}
	d.Budget = s.budgetBanner(ctx, c)
	s.render(w, c, 200, "overview", "概览", d)
}

// monthToDate is dep's breakdown of an open month up to today (the `breakdown` rule),
// built from the month's cached lines and days.
func (s *Server) monthToDate(ctx context.Context, md *monthData, dep catalog.DepartmentID) (breakdown.Report, error) {
	dr, err := s.deptOf(md, dep)
	if err != nil {
		return breakdown.Report{}, err
	}
	today := calendar.LocalDate(s.now())
	dr.mtdMu.Lock()
	defer dr.mtdMu.Unlock()
	if dr.mtd != nil && dr.mtdDay == today {
		return *dr.mtd, nil
	}
	in := md.input(dep)
	in.Today = today
	rep, err := breakdown.Build(in)
	if err != nil {
		return rep, err
	}
	dr.mtd, dr.mtdDay = &rep, today
	return rep, nil
}

// --- months and close ------------------------------------------------------------------

type monthsData struct {
	Months   []MonthState
	MayClose bool
	Now      time.Time
}

func (s *Server) monthsPage(w http.ResponseWriter, r *http.Request, c *call) {
	ms, err := s.monthStates(r.Context())
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	s.render(w, c, 200, "months", "月份与结账", monthsData{Months: ms, MayClose: c.id.May(access.Close, access.Months(), access.OrgParents(c.org)) == nil, Now: s.now()})
}

type closeData struct {
	Month  MonthState
	Ended  bool
	Result *app.CloseResult
	// Missing lists the month's missing collector windows (vendor, metric, ranges): a
	// close needs the override (allow_incomplete), which is recorded.
	Missing *app.IncompleteError
	Issued  string
	Error   string
}

// closeData is what the confirmation page shows of month p.
func (s *Server) closeData(ctx context.Context, p calendar.Period) (closeData, error) {
	m, err := s.stateOf(ctx, p)
	if err != nil {
		return closeData{}, err
	}
	missing, err := s.cfg.App.MissingWindows(ctx, p)
	if err != nil {
		return closeData{}, err
	}
	return closeData{Month: m, Ended: monthclose.Ended(p, s.now()), Missing: missing}, nil
}

func (s *Server) closeConfirm(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	d, err := s.closeData(r.Context(), p)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	s.render(w, c, 200, "close", "结账确认 "+p.String(), d)
}

// closeMonth closes the month through the use case (app.App.Close): the refusals and
// records of `cloudbill close`, then the final statements are issued and archived.
func (s *Server) closeMonth(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	p, _ := parsePeriod(r.PathValue("period"))
	d, err := s.closeData(ctx, p)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	if r.PostFormValue("confirm") != "yes" {
		d.Error = "请勾选确认后再结账。"
		s.render(w, c, http.StatusBadRequest, "close", "结账确认 "+p.String(), d)
		return
	}
	res, err := s.cfg.App.Close(ctx, app.CloseRequest{
		Period:          p,
		AllowPending:    r.PostFormValue("allow_pending") == "yes",
		AllowIncomplete: r.PostFormValue("allow_incomplete") == "yes",
		By:              "portal:" + c.id.Name(),
		Who:             access.Event{Actor: c.id.Name(), Role: c.id.Role, Remote: c.remote},
		Issue:           true,
	})
	if err != nil {
		status := http.StatusConflict
		switch {
		case errors.Is(err, app.ErrIncomplete):
			d.Error = "有采集窗口缺失，不能结账：请先补采，或勾选“采集不完整仍结账”（将被记录）。"
		case errors.Is(err, monthclose.ErrNotEnded):
			d.Error = "该月尚未结束，不能结账。"
		case errors.Is(err, monthclose.ErrNotRated):
			d.Error = "该月尚未计费，请先计费（cloudbill rate）。"
		case errors.Is(err, monthclose.ErrPending):
			d.Error = "有服务商的验收结果尚未导入；导入后重新计费，或勾选“验收待定仍结账”（将被记录）。"
		case errors.Is(err, monthclose.ErrBeingClosed):
			d.Error = "该月正在由其他操作结账，请稍后刷新查看。"
		default:
			status = http.StatusInternalServerError
			d.Error = "结账失败。"
			s.cfg.Logf("portal: close %s: %v", p, err)
		}
		s.render(w, c, status, "close", "结账确认 "+p.String(), d)
		return
	}
	s.forget(p)
	d.Result = &res
	switch {
	case res.IssueErr != nil:
		s.cfg.Logf("portal: issue statements of %s: %v", p, res.IssueErr)
		d.Issued = "结算单出具失败，请运行 cloudbill statements --period " + p.String()
	case res.Statements != nil:
		d.Issued = "正式结算单已出具并归档。"
	}
	d.Month, _ = s.stateOf(ctx, p)
	s.render(w, c, 200, "closed", "已结账 "+p.String(), d)
}

// --- statements ------------------------------------------------------------------------

type statementFile struct {
	Label, Kind, ID, Name, Base string
}

type statementsData struct {
	Period string
	Issue  *statements.IssueInfo
	Files  []statementFile // the page shown
	Prev   string          // the nearest months with statements, "" when none
	Next   string
	Kind   string // filter: summary, department, vendor
	Q      string // filter: part of an id or name
	Kinds  []option
	Pager  pager
}

// statementsPageSize is how many statement files a page lists.
const statementsPageSize = 50

func (s *Server) statementsPage(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	p, _ := parsePeriod(r.PathValue("period"))
	d := statementsData{Period: p.String(), Kind: r.URL.Query().Get("kind"), Q: strings.TrimSpace(r.URL.Query().Get("q")),
		Kinds: []option{{"summary", "财政月度汇总"}, {"department", "部门月度账单"}, {"vendor", "服务商结算单"}}}
	if len(d.Q) > 128 || len(d.Kind) > 16 {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误：筛选条件过长。", nil)
		return
	}
	m, err := s.stateOf(ctx, p)
	if err == nil {
		d.Prev, d.Next, err = s.neighbours(ctx, p, func(m MonthState) bool { return m.Issue != nil })
	}
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d.Issue = m.Issue
	par := access.OrgParents(c.org)
	base := "/api/v1/statements/" + p.String() + "/"
	if m.Issue != nil {
		if c.id.May(access.View, access.District(), par) == nil {
			d.Files = append(d.Files, statementFile{"财政月度汇总", "summary", "", "全区", base + "summary"})
		}
		ids := make([]catalog.DepartmentID, 0, len(c.org.Departments))
		for id := range c.org.Departments {
			ids = append(ids, id)
		}
		sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
		for _, id := range ids {
			if c.id.May(access.View, access.Department(id), par) == nil {
				d.Files = append(d.Files, statementFile{"部门月度账单", "department", string(id), c.org.Departments[id].Name, base + "departments/" + esc(statements.FileName(string(id)))})
			}
		}
		vs := make([]catalog.VendorID, 0, len(c.org.Vendors))
		for id := range c.org.Vendors {
			vs = append(vs, id)
		}
		sort.Slice(vs, func(i, j int) bool { return vs[i] < vs[j] })
		for _, id := range vs {
			if c.id.May(access.View, access.Vendor(id), par) == nil {
				d.Files = append(d.Files, statementFile{"服务商结算单", "vendor", string(id), c.org.Vendors[id].Name, base + "vendors/" + esc(statements.FileName(string(id)))})
			}
		}
	}
	var shown []statementFile
	for _, f := range d.Files {
		if (d.Kind == "" || f.Kind == d.Kind) && (d.Q == "" || strings.Contains(f.ID, d.Q) || strings.Contains(f.Name, d.Q)) {
			shown = append(shown, f)
		}
	}
	d.Pager = pageOf(r, len(shown), statementsPageSize)
	d.Files = cut(shown, d.Pager)
	s.render(w, c, 200, "statements", "账单下载 "+p.String(), d)
}

// --- drill-down ------------------------------------------------------------------------

type drillData struct {
	Period, Department, Name, Status, Through string
	Final                                     bool
	Total                                     decimal.Decimal
	Base                                      string
	Crumbs                                    []navItem
	Level                                     string // department, project, order, item
	Units                                     []breakdown.Unit
	Unit                                      *breakdown.Unit
	Project                                   *breakdown.Project
	Order                                     *breakdown.Order
	Line                                      *breakdown.Line
	// Links to the projects of Units (by unit and project id), the orders of Project
	// and the lines of Order: stable ids, never row positions.
	ProjectLinks map[string]string
	OrderLinks   []string
	LineLinks    []string
	// LineDays are Line's days to the fen (breakdown.Line.DaysToFen): they add up to
	// its amount.
	LineDays                   []breakdown.Day
	Prev, Next                 string
	StatementPDF, StatementCSV string
	StatementXLSX              string
	// ExportXLSX and ExportCSV export this breakdown's lines (the table on screen).
	ExportXLSX, ExportCSV string
}

// noID stands in a drill-down URL for an empty id (deductions have no project or work
// order).
const noID = "-"

func idParam(id string) string {
	if id == "" {
		return noID
	}
	return id
}

// drillURL is the drill-down link of a unit's project, order (of a vendor) and line, each
// by its id; empty trailing parts are left out.
func drillURL(base string, parts ...string) string {
	names := []string{"unit", "project", "order", "vendor", "line"}
	var b strings.Builder
	for i, v := range parts {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(names[i] + "=" + neturl.QueryEscape(idParam(v)))
	}
	return base + "?" + b.String()
}

func (s *Server) drillPage(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	p, _ := parsePeriod(r.PathValue("period"))
	dep := catalog.DepartmentID(r.PathValue("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这个部门。", nil)
		return
	}
	md, err := s.monthLines(ctx, p)
	if errors.Is(err, errNotRated) {
		s.fail(w, r, Route{}, http.StatusNotFound, s.notRated(ctx, p), nil)
		return
	}
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	rep, err := s.breakdownOf(ctx, md, dep)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	base := "/departments/" + esc(string(dep)) + "/" + p.String()
	d := drillData{Period: p.String(), Department: rep.Department, Name: rep.Name, Status: string(rep.Status), Through: rep.Through,
		Final: rep.Final(), Total: rep.Total.Decimal, Base: base, Level: "department", Units: rep.Units,
		ProjectLinks:  map[string]string{},
		StatementPDF:  "/api/v1/statements/" + p.String() + "/departments/" + esc(statements.FileName(string(dep))) + ".pdf",
		StatementCSV:  "/api/v1/statements/" + p.String() + "/departments/" + esc(statements.FileName(string(dep))) + ".csv",
		StatementXLSX: "/api/v1/statements/" + p.String() + "/departments/" + esc(statements.FileName(string(dep))) + ".xlsx"}
	if !s.issued(ctx, p) { // no statement of the month yet: no link to one
		d.StatementPDF, d.StatementCSV, d.StatementXLSX = "", "", ""
	}
	export := "/api/v1/breakdown?period=" + p.String() + "&department=" + neturl.QueryEscape(string(dep))
	d.ExportXLSX, d.ExportCSV = export+"&format=xlsx", export+"&format=csv&bom=1"
	if prev, next, err := s.neighbours(ctx, p, shown); err == nil {
		if prev != "" {
			d.Prev = "/departments/" + esc(string(dep)) + "/" + prev
		}
		if next != "" {
			d.Next = "/departments/" + esc(string(dep)) + "/" + next
		}
	}
	// the page's content is the month's run's figures of the department at the level
	// asked, and its neighbour months: made once, kept with the month (drillPages)
	title := "费用明细 " + rep.Name + " " + p.String()
	key := string(dep) + "\x00" + r.URL.RawQuery + "\x00" + d.Prev + "\x00" + d.Next
	if html, ok := md.drillPage(key); ok {
		s.renderContent(w, c, title, html)
		return
	}
	render := func() {
		html, err := s.contentOf("drill", d)
		if err != nil {
			s.cfg.Logf("portal: render drill: %v", err)
			http.Error(w, "render error", http.StatusInternalServerError)
			return
		}
		md.keepDrillPage(key, html)
		s.renderContent(w, c, title, html)
	}
	for _, u := range rep.Units {
		for _, pr := range u.Projects {
			d.ProjectLinks[u.ID+"/"+pr.ID] = drillURL(base, u.ID, pr.ID)
		}
	}
	d.Crumbs = []navItem{{rep.Name + "（" + rep.Department + "）", base}}
	q := r.URL.Query()
	want := func(name string) (string, bool) {
		if !q.Has(name) {
			return "", false
		}
		v := q.Get(name)
		if v == noID {
			v = ""
		}
		return v, true
	}
	missing := func(what string, v string) {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这一项："+what+" "+truncate(v)+"（该月重新计费后可能已不存在）。", nil)
	}
	uid, okU := want("unit")
	if !okU {
		render()
		return
	}
	var unit *breakdown.Unit
	for i := range rep.Units {
		if rep.Units[i].ID == uid {
			unit = &rep.Units[i]
		}
	}
	if unit == nil {
		missing("单位", uid)
		return
	}
	pid, _ := want("project")
	var pr *breakdown.Project
	for i := range unit.Projects {
		if unit.Projects[i].ID == pid {
			pr = &unit.Projects[i]
		}
	}
	if pr == nil {
		missing("项目", pid)
		return
	}
	d.Unit, d.Project, d.Level = unit, pr, "project"
	label := pr.Name
	if pr.ID == "" {
		label = glossary.NoProject
	}
	d.Crumbs = append(d.Crumbs, navItem{unit.Name + " · " + label, drillURL(base, unit.ID, pr.ID)})
	for _, o := range pr.Orders {
		d.OrderLinks = append(d.OrderLinks, drillURL(base, unit.ID, pr.ID, o.ID, o.Vendor))
	}
	oid, okO := want("order")
	if okO {
		vid, _ := want("vendor")
		var o *breakdown.Order
		for i := range pr.Orders {
			if pr.Orders[i].ID == oid && pr.Orders[i].Vendor == vid {
				o = &pr.Orders[i]
			}
		}
		if o == nil {
			missing("工单", oid)
			return
		}
		d.Order, d.Level = o, "order"
		orderLabel := "工单 " + o.ID
		if o.ID == "" {
			orderLabel = o.VendorName + " " + glossary.NoProject
		}
		d.Crumbs = append(d.Crumbs, navItem{orderLabel, drillURL(base, unit.ID, pr.ID, o.ID, o.Vendor)})
		for _, l := range o.Lines {
			d.LineLinks = append(d.LineLinks, drillURL(base, unit.ID, pr.ID, o.ID, o.Vendor, l.ID))
		}
		if lid, okL := want("line"); okL {
			var l *breakdown.Line
			for i := range o.Lines {
				if o.Lines[i].ID == lid {
					l = &o.Lines[i]
				}
			}
			if l == nil {
				missing("明细行", lid)
				return
			}
			d.Line, d.Level = l, "item"
			d.LineDays = l.DaysToFen()
			name := l.ItemName
			if name == "" {
				name = l.KindName
			}
			d.Crumbs = append(d.Crumbs, navItem{name + " " + l.From + "–" + l.To, drillURL(base, unit.ID, pr.ID, o.ID, o.Vendor, l.ID)})
		}
	}
	render()
}

// issued says whether month p's statements have been issued (final or provisional): the
// pages link to statement files only then.
func (s *Server) issued(ctx context.Context, p calendar.Period) bool {
	m, err := s.stateOf(ctx, p)
	return err == nil && m.Issue != nil
}

// --- vendor settlement and invoices ----------------------------------------------------

type vendorData struct {
	Period, Vendor, Name string
	Found                bool
	Final                bool
	S                    statements.VendorSettlement
	Uploads              []reconcile.Upload
	MayUpload            bool // may upload, and the month is rated
	Rated                bool
	MaxUploadMiB         int64
	Action               string
	Prev, Next           string
	StatementPDF         string
}

func (s *Server) vendorPage(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	p, _ := parsePeriod(r.PathValue("period"))
	v := catalog.VendorID(r.PathValue("vendor"))
	ven, ok := c.org.Vendors[v]
	if !ok {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这个服务商。", nil)
		return
	}
	d := vendorData{Period: p.String(), Vendor: string(v), Name: ven.Name, MaxUploadMiB: s.cfg.MaxUpload >> 20,
		MayUpload:    c.id.May(access.Upload, access.Vendor(v), access.OrgParents(c.org)) == nil,
		Action:       "/vendors/" + esc(string(v)) + "/" + p.String() + "/invoice",
		StatementPDF: "/api/v1/statements/" + p.String() + "/vendors/" + esc(statements.FileName(string(v))) + ".pdf"}
	if !s.issued(ctx, p) { // no statement of the month yet: no link to one
		d.StatementPDF = ""
	}
	md, err := s.month(ctx, p)
	switch {
	case errors.Is(err, errNotRated):
	case err != nil:
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	default:
		d.S, d.Found = md.vendorSettlement(v)
		d.Final = md.key.closed
	}
	d.Rated = err == nil
	d.MayUpload = d.MayUpload && d.Rated // an invoice of a month not rated would be refused
	if prev, next, err := s.neighbours(ctx, p, shown); err == nil {
		if prev != "" {
			d.Prev = "/vendors/" + esc(string(v)) + "/" + prev
		}
		if next != "" {
			d.Next = "/vendors/" + esc(string(v)) + "/" + next
		}
	}
	ups, err := s.cfg.Store.InvoiceUploads(ctx, v)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d.Uploads = ups
	s.render(w, c, 200, "vendor", "服务商结算 "+ven.Name+" "+p.String(), d)
}

func (s *Server) uploadInvoice(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	p, _ := parsePeriod(r.PathValue("period"))
	v := catalog.VendorID(r.PathValue("vendor"))
	if _, ok := c.org.Vendors[v]; !ok {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这个服务商。", nil)
		return
	}
	req := app.UploadRequest{Vendor: v, Period: p, MaxBytes: s.cfg.MaxUpload, By: c.id.Name(),
		Who: access.Event{Actor: c.id.Name(), Role: c.id.Role, Remote: c.remote}}
	if f, hdr, err := r.FormFile("invoice"); err == nil { // else no file: refused (app.ErrNoFile)
		defer f.Close()
		req.Invoice, req.Name = f, hdr.Filename
	}
	// app.UploadInvoice refuses and audits; the page says why in Chinese
	up, _, err := s.cfg.App.UploadInvoice(ctx, req)
	var notInvoice *app.NotInvoiceError
	refused := func(status int, msg string) { s.fail(w, r, Route{}, status, "发票未受理："+msg, nil) }
	switch {
	case errors.Is(err, app.ErrNoFile):
		refused(http.StatusBadRequest, "请选择发票文件（CSV 或 xlsx）")
	case errors.Is(err, app.ErrTooLarge):
		refused(http.StatusRequestEntityTooLarge, fmt.Sprintf("文件过大（上限 %d MiB）", s.cfg.MaxUpload>>20))
	case errors.As(err, &notInvoice) && notInvoice.Empty:
		refused(http.StatusUnsupportedMediaType, "文件为空")
	case errors.As(err, &notInvoice):
		refused(http.StatusUnsupportedMediaType, "只接受 CSV 或 Excel .xlsx 文件")
	case errors.Is(err, app.ErrNotRated):
		refused(http.StatusConflict, p.String()+" 尚未计费，暂不能对账")
	case errors.Is(err, reconcile.ErrPeriodOpen), errors.Is(err, reconcile.ErrUnknownVendor):
		refused(http.StatusConflict, err.Error())
	case errors.Is(err, app.ErrBadInvoice):
		refused(http.StatusBadRequest, app.InvoiceErrorText(err))
	case err != nil:
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
	default:
		http.Redirect(w, r, "/vendors/"+esc(string(v))+"/reconciliations/"+up.ID, http.StatusSeeOther)
	}
}

type reconData struct {
	U           reconcile.Upload
	R           reconcile.Result
	Differences []reconcile.Row
	More        int
	Base        string
	Back        string
	Name        string // the vendor's name
	// Items are the catalog's names of the differences' items (in force in the month).
	Items map[catalog.ItemCode]string
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request) (reconcile.Upload, bool) {
	u, ok, err := s.cfg.Store.InvoiceUploadOf(r.Context(), r.PathValue("upload"))
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return u, false
	}
	if !ok || string(u.Vendor) != r.PathValue("vendor") {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这份对账记录。", nil)
		return u, false
	}
	return u, true
}

func (s *Server) reconciliationPage(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.upload(w, r)
	if !ok {
		return
	}
	d := reconData{U: u, Base: "/vendors/" + esc(string(u.Vendor)) + "/reconciliations/" + u.ID, Back: "/vendors/" + esc(string(u.Vendor)) + "/" + u.Period.String()}
	if err := json.Unmarshal([]byte(u.Summary), &d.R); err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d.Name = string(u.Vendor)
	if v, ok := c.org.Vendors[u.Vendor]; ok && v.Name != "" {
		d.Name = v.Name
	}
	d.Differences = d.R.Differences()
	if len(d.Differences) > 200 {
		d.More = len(d.Differences) - 200
		d.Differences = d.Differences[:200]
	}
	cat, err := s.cfg.Store.Catalog(r.Context())
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	d.Items = map[catalog.ItemCode]string{}
	for _, row := range d.Differences {
		if it, ok := cat.Priced(row.Item, calendar.Date{}, u.Period.Last()); ok {
			d.Items[row.Item] = it.Name
		}
	}
	s.render(w, c, 200, "reconciliation", "对账报告 "+d.Name+" "+u.Period.String(), d)
}

func (s *Server) reconciliationFile(w http.ResponseWriter, r *http.Request, c *call) {
	u, ok := s.upload(w, r)
	if !ok {
		return
	}
	var body []byte
	var ctype, name string
	base := reconcile.FileName(reconcile.Result{Vendor: u.Vendor, Period: u.Period})
	switch r.PathValue("file") {
	case "report.pdf":
		body, ctype, name = u.ReportPDF, "application/pdf", base+".pdf"
	case "report.csv":
		body, ctype, name = u.ReportCSV, "text/csv; charset=utf-8", base+".csv"
	default:
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这个文件。", nil)
		return
	}
	_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "download", Target: "reconciliation " + u.ID + " " + name, Remote: c.remote})
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	_, _ = w.Write(body)
}

// --- operations, audit, accounts -------------------------------------------------------

type opsData struct {
	Jobs    []jobrun.Run
	Imports []catalog.Import
	Issues  []MonthState
	Uploads []reconcile.Upload
	// Vendors names each upload's vendor (the code is shown beneath).
	Vendors map[catalog.VendorID]catalog.Vendor
}

func (s *Server) operationsPage(w http.ResponseWriter, r *http.Request, c *call) {
	ctx := r.Context()
	jobs, err := s.cfg.Store.JobRuns(ctx, "")
	if err == nil {
		var imps []catalog.Import
		imps, err = s.cfg.Store.Imports(ctx, "")
		if err == nil {
			var ups []reconcile.Upload
			ups, err = s.cfg.Store.InvoiceUploads(ctx, "")
			if err == nil {
				reverse(jobs)
				reverse(imps)
				if len(jobs) > 200 {
					jobs = jobs[:200]
				}
				if len(imps) > 200 {
					imps = imps[:200]
				}
				ms, _ := s.monthStates(ctx)
				s.render(w, c, 200, "operations", "任务与导入", opsData{Jobs: jobs, Imports: imps, Issues: ms, Uploads: ups, Vendors: c.org.Vendors})
				return
			}
		}
	}
	s.fail(w, r, Route{}, 500, "服务暂不可用", err)
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
