package portal

import (
	"bytes"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	neturl "net/url"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/idle"
	"cloudbill/internal/money"
	"cloudbill/internal/xlsxout"
	"cloudbill/metering/pull"
	"cloudbill/statements"
	"cloudbill/statements/breakdown"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// apiError is every API error: a machine-readable code and a Chinese message.
type apiError struct {
	Code  string `json:"code"`
	Error string `json:"error"`
}

// errorCodes are the codes of the statuses answered without a more specific one.
var errorCodes = map[int]string{
	http.StatusBadRequest:            "bad_request",
	http.StatusUnauthorized:          "unauthenticated",
	http.StatusForbidden:             "forbidden",
	http.StatusNotFound:              "not_found",
	http.StatusMethodNotAllowed:      "method_not_allowed",
	http.StatusRequestEntityTooLarge: "too_large",
	http.StatusTooManyRequests:       "too_many_requests",
	http.StatusInternalServerError:   "unavailable",
	http.StatusServiceUnavailable:    "unavailable",
}

// writeJSONError answers {"code", "error"}: code names the case for programs (one of
// errorCodes, or a more specific one such as not_rated), msg says it in Chinese.
func writeJSONError(w http.ResponseWriter, status int, msg string) {
	writeJSONCode(w, status, errorCodes[status], msg)
}

func writeJSONCode(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		code = "error"
	}
	writeJSON(w, status, apiError{Code: code, Error: msg})
}

func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func equalSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

var apiRoute = Route{API: true}

// GET /api/v1/me
func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, c *call) {
	ans := map[string]string{"login": string(c.id.Login), "role": string(c.id.Role)}
	if c.id.Department != "" {
		ans["department_id"] = string(c.id.Department)
	}
	if c.id.Vendor != "" {
		ans["vendor_id"] = string(c.id.Vendor)
	}
	writeJSON(w, 200, ans)
}

type apiPeriod struct {
	Period      string     `json:"period"`
	State       string     `json:"state"`
	RatedAt     *time.Time `json:"rated_at,omitempty"`
	ClosedAt    *time.Time `json:"closed_at,omitempty"`
	ContentHash string     `json:"content_hash,omitempty"`
	// Statements: "final", "provisional" or "" (none archived).
	Statements string `json:"statements"`
}

// GET /api/v1/periods
func (s *Server) apiPeriods(w http.ResponseWriter, r *http.Request, c *call) {
	ms, err := s.monthStates(r.Context())
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	out := []apiPeriod{}
	for _, m := range ms {
		ap := apiPeriod{Period: m.Period.String(), State: string(m.State)}
		if !m.RatedAt.IsZero() {
			t := m.RatedAt
			ap.RatedAt = &t
		}
		if m.Close != nil {
			t := m.Close.ClosedAt
			ap.ClosedAt, ap.ContentHash = &t, m.Close.ContentHash
		}
		if m.Issue != nil {
			ap.Statements = m.Issue.Status()
		}
		out = append(out, ap)
	}
	writeJSON(w, 200, out)
}

// apiLine is one breakdown line, flat, with the ids and names of where it sits: the
// tree of units, projects and orders carries totals only, so nothing is said twice.
type apiLine struct {
	ID           string `json:"line_id"`
	Unit         string `json:"department_id"`
	Project      string `json:"project_id"`
	ProjectName  string `json:"project_name"`
	Category     string `json:"category"`
	CategoryName string `json:"category_name"`
	Order        string `json:"order_id"`
	Vendor       string `json:"vendor_id"`
	VendorName   string `json:"vendor_name"`
	Item         string `json:"item_code"`
	ItemName     string `json:"item_name"`
	ItemUnit     string `json:"unit"`
	Kind         string `json:"kind"`
	KindName     string `json:"kind_name"`
	Zone         string `json:"zone"`
	ZoneName     string `json:"zone_name"`
	Mode         string `json:"mode"`
	From         string `json:"from"`
	To           string `json:"to"`
	Days         int    `json:"days"`
	DaysInMonth  int    `json:"days_in_month"`
	Quantity     string `json:"quantity"`
	UnitPrice    string `json:"unit_price"`
	Amount       string `json:"amount"`
	Corrects     string `json:"corrects,omitempty"`
	Explanation  string `json:"explanation"`
	URL          string `json:"url"`
	// Daily are the line's unrounded daily amounts, one a day from From to To in order.
	Daily []string `json:"daily,omitempty"`
}

// DayScale is the number of decimals of the API's unrounded daily amounts.
const DayScale = 8

type apiOrder struct {
	ID         string `json:"order_id"`
	Vendor     string `json:"vendor_id"`
	VendorName string `json:"vendor_name"`
	Total      string `json:"total"`
}

type apiProject struct {
	ID           string     `json:"project_id"`
	Name         string     `json:"name"`
	Category     string     `json:"category"`
	CategoryName string     `json:"category_name"`
	Total        string     `json:"total"`
	Orders       []apiOrder `json:"orders"`
}

type apiUnit struct {
	ID       string       `json:"department_id"`
	Name     string       `json:"name"`
	Parent   string       `json:"parent_id,omitempty"`
	Total    string       `json:"total"`
	Projects []apiProject `json:"projects"`
}

type apiBreakdownAnswer struct {
	Period      string    `json:"period"`
	Department  string    `json:"department_id"`
	Name        string    `json:"department_name"`
	Status      string    `json:"status"`
	StatusName  string    `json:"status_name"`
	Through     string    `json:"through"`
	MonthToDate bool      `json:"month_to_date"`
	RunID       string    `json:"run_id"`
	Total       string    `json:"total"`
	Units       []apiUnit `json:"units"`
	Lines       []apiLine `json:"lines"`
}

// quantity prints a quantity as stored, "" when zero on a line without one.
func quantity(d decimal.Decimal) string { return d.String() }

// breakdownAnswer is a breakdown report as the API answers it.
func breakdownAnswer(rep breakdown.Report, base string) apiBreakdownAnswer {
	out := apiBreakdownAnswer{Period: rep.Period, Department: rep.Department, Name: rep.Name, Status: string(rep.Status),
		StatusName: glossary.Status(string(rep.Status)), Through: rep.Through, MonthToDate: rep.MonthToDate,
		RunID: rep.RunID, Total: money.Plain(rep.Total.Decimal), Units: []apiUnit{}, Lines: []apiLine{}}
	for _, u := range rep.Units {
		au := apiUnit{ID: u.ID, Name: u.Name, Parent: u.Parent, Total: money.Plain(u.Total.Decimal), Projects: []apiProject{}}
		for _, pr := range u.Projects {
			ap := apiProject{ID: pr.ID, Name: pr.Name, Category: pr.Category, CategoryName: pr.CategoryName,
				Total: money.Plain(pr.Total.Decimal), Orders: []apiOrder{}}
			for _, o := range pr.Orders {
				ap.Orders = append(ap.Orders, apiOrder{o.ID, o.Vendor, o.VendorName, money.Plain(o.Total.Decimal)})
				for _, l := range o.Lines {
					al := apiLine{ID: l.ID, Unit: u.ID, Project: pr.ID, ProjectName: pr.Name, Category: pr.Category,
						CategoryName: pr.CategoryName, Order: o.ID, Vendor: o.Vendor, VendorName: o.VendorName,
						Item: l.Item, ItemName: l.ItemName, ItemUnit: l.Unit, Kind: l.Kind, KindName: l.KindName,
						Zone: l.Zone, ZoneName: l.ZoneName, Mode: l.Mode, From: l.From, To: l.To, Days: l.Days,
						DaysInMonth: l.DaysInMonth, Quantity: quantity(l.Quantity), UnitPrice: glossary.Price(l.UnitPrice),
						Amount: money.Plain(l.Amount.Decimal), Corrects: l.Corrects, Explanation: l.Explanation,
						URL: drillURL(base, u.ID, pr.ID, o.ID, o.Vendor, l.ID)}
					if len(l.Daily) > 0 {
						al.Daily = make([]string, len(l.Daily))
					}
					for i, d := range l.Daily {
						if i > 0 && d.Amount == l.Daily[i-1].Amount {
							al.Daily[i] = al.Daily[i-1] // the same amount (a line's days but its last): written once
							continue
						}
						al.Daily[i] = d.Amount.StringFixed(DayScale)
					}
					out.Lines = append(out.Lines, al)
				}
			}
			au.Projects = append(au.Projects, ap)
		}
		out.Units = append(out.Units, au)
	}
	return out
}

// GET /api/v1/breakdown?period=YYYY-MM&department=ID
func (s *Server) apiBreakdown(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	p, _ := parsePeriod(q.Get("period"))
	dep := catalog.DepartmentID(q.Get("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		writeJSONCode(w, http.StatusNotFound, "unknown_department", "没有这个部门。")
		return
	}
	md, err := s.monthLines(r.Context(), p)
	if errors.Is(err, errNotRated) {
		writeJSONCode(w, http.StatusNotFound, "not_rated", p.String()+" 尚未计费。")
		return
	}
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	switch f := q.Get("format"); f {
	case "", "json":
		b, err := s.breakdownJSON(md, dep)
		if err != nil {
			s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(200)
		_, _ = w.Write(b)
	case "xlsx", "csv":
		rep, err := s.breakdownOf(r.Context(), md, dep)
		if err != nil {
			s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
			return
		}
		ans := breakdownAnswer(rep, "/departments/"+esc(string(dep))+"/"+p.String())
		s.exportTable(w, r, c, breakdownTable(ans), f, q.Get("bom") == "1")
	default:
		writeJSONCode(w, http.StatusBadRequest, "bad_format", "format 只能是 json、xlsx 或 csv。")
	}
}

// breakdownColumns are the columns of a breakdown export (glossary names).
var breakdownColumns = []string{"department_name", "project_id", "project_name", "category_name", "order_id", "vendor_name",
	"item_code", "item_name", "unit", "kind", "zone_name", "from", "to", "days", "days_in_month", "quantity", "unit_price",
	"amount", "explanation"}

// breakdownTable is a breakdown as the drill-down's table: one row a line, a 合计 row
// equal to the department's total.
func breakdownTable(a apiBreakdownAnswer) xlsxout.Table {
	names := map[string]string{}
	for _, u := range a.Units {
		names[u.ID] = u.Name
	}
	t := xlsxout.Table{Sheet: "费用明细", Title: fmt.Sprintf("%s %s 费用明细（%s）", a.Name, a.Period, a.StatusName),
		Headers: glossary.Headers(breakdownColumns)}
	dec := func(s string) xlsxout.Cell { return xlsxout.Number(decimal.RequireFromString(s)) }
	for _, l := range a.Lines {
		t.Rows = append(t.Rows, []xlsxout.Cell{xlsxout.Text(names[l.Unit]), xlsxout.Text(l.Project), xlsxout.Text(l.ProjectName),
			xlsxout.Text(l.CategoryName), xlsxout.Text(l.Order), xlsxout.Text(l.VendorName), xlsxout.Text(l.Item),
			xlsxout.Text(l.ItemName), xlsxout.Text(l.ItemUnit), xlsxout.Text(l.KindName), xlsxout.Text(l.ZoneName),
			xlsxout.Text(l.From), xlsxout.Text(l.To), xlsxout.Number(decimal.NewFromInt(int64(l.Days))),
			xlsxout.Number(decimal.NewFromInt(int64(l.DaysInMonth))), dec(l.Quantity), dec(l.UnitPrice),
			xlsxout.Money(decimal.RequireFromString(l.Amount)), xlsxout.Text(l.Explanation)})
	}
	t.Total = make([]xlsxout.Cell, len(breakdownColumns))
	t.Total[0] = xlsxout.Text(glossary.Total)
	t.Total[17] = xlsxout.Money(decimal.RequireFromString(a.Total))
	return t
}

// exportTable answers an on-screen table as an .xlsx workbook or a CSV (UTF-8, with a
// byte-order mark when bom, for Excel on a Chinese Windows), Chinese headers and the
// total row included; the export is audited.
func (s *Server) exportTable(w http.ResponseWriter, r *http.Request, c *call, t xlsxout.Table, format string, bom bool) {
	s.exportTables(w, r, c, t.Title, []xlsxout.Table{t}, format, bom)
}

// exportTables is exportTable of a workbook of several sheets, named title; as CSV, the
// first table only.
func (s *Server) exportTables(w http.ResponseWriter, r *http.Request, c *call, title string, ts []xlsxout.Table, format string, bom bool) {
	var buf bytes.Buffer
	ctype := xlsxType
	t := ts[0]
	if format == "xlsx" {
		if err := xlsxout.Write(&buf, ts...); err != nil {
			s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
			return
		}
	} else {
		ctype = "text/csv; charset=utf-8"
		if bom {
			buf.WriteString("\uFEFF")
		}
		if err := xlsxout.WriteCSV(&buf, t); err != nil {
			s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
			return
		}
	}
	name := sanitizeName(title) + "." + format
	_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "export", Target: r.URL.RequestURI(), Remote: c.remote})
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename*=UTF-8''`+neturl.PathEscape(name))
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(buf.Bytes())
}

// GET /api/v1/statements/{period}/departments|vendors/{file}, /{period}/summary.pdf|csv:
// the archived files, byte for byte; ID.xlsx (summary.xlsx) is the archived CSV as a
// workbook with Chinese headers and a 合计 row (statements.StatementWorkbook).
func (s *Server) apiStatementFile(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	id, ext, _ := parseFile(r.PathValue("file"))
	src := ext
	if ext == "xlsx" {
		src = "csv" // the workbook is made from the issued CSV
	}
	var rel string
	switch {
	case pathHas(r, "/departments/"):
		if _, ok := c.org.Departments[catalog.DepartmentID(id)]; !ok {
			writeJSONCode(w, http.StatusNotFound, "unknown_department", "没有这个部门。")
			return
		}
		rel = "departments/" + statements.FileName(id) + "." + src
	case pathHas(r, "/vendors/"):
		if _, ok := c.org.Vendors[catalog.VendorID(id)]; !ok {
			writeJSONCode(w, http.StatusNotFound, "unknown_vendor", "没有这个服务商。")
			return
		}
		rel = "vendors/" + statements.FileName(id) + "." + src
	default:
		rel = "summary." + src
	}
	body, is, ok, err := s.cfg.Store.ArchivedFileOf(r.Context(), p, rel)
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	if !ok {
		writeJSONCode(w, http.StatusNotFound, "not_issued", p.String()+" 尚未出具结算单："+rel)
		return
	}
	state := is.Status()
	name := rel
	if ext == "xlsx" {
		var buf bytes.Buffer
		title := fmt.Sprintf("%s %s（%s）", p, strings.TrimSuffix(rel, ".csv"), glossary.Status(state))
		if _, err := statements.StatementWorkbook(&buf, body, title); err != nil {
			s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
			return
		}
		body, name = buf.Bytes(), strings.TrimSuffix(rel, ".csv")+".xlsx"
	}
	_ = s.cfg.Access.Record(r.Context(), access.Event{Actor: c.id.Name(), Role: c.id.Role, Action: "download", Target: p.String() + "/" + name, Remote: c.remote, Detail: access.Details(access.DetailStatement, "state", state, "issue", is.IssueID)})
	ctype := "application/pdf"
	switch ext {
	case "csv":
		ctype = "text/csv; charset=utf-8"
	case "xlsx":
		ctype = xlsxType
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="`+p.String()+"-"+sanitizeName(name)+`"`)
	w.Header().Set("X-Statement-Status", state)
	w.Header().Set("Cache-Control", "private, no-store")
	_, _ = w.Write(body)
}

// xlsxType is the media type of an .xlsx workbook.
const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func pathHas(r *http.Request, seg string) bool {
	p := r.URL.Path
	for i := 0; i+len(seg) <= len(p); i++ {
		if p[i:i+len(seg)] == seg {
			return true
		}
	}
	return false
}

// sanitizeName makes a download file name of an archive path.
func sanitizeName(rel string) string {
	b := []rune(rel)
	for i, r := range b {
		if r == '/' || r == '"' || r == '\\' || r < 32 {
			b[i] = '-'
		}
	}
	return string(b)
}

type apiCase struct {
	ID             string `json:"case_id"`
	Department     string `json:"department_id"`
	DepartmentName string `json:"department_name"`
	Kind           string `json:"kind"`
	KindName       string `json:"kind_name"`
	State          string `json:"state"`
	StateName      string `json:"state_name"`
	StateOn        string `json:"state_on"`
	Reminder       string `json:"reminder"`
	Deadline       string `json:"deadline"`
	IdleRatio      string `json:"idle_ratio"`
	Allocated      string `json:"allocated"`
	Target         string `json:"target"`
	MonthlySaving  string `json:"monthly_saving"`
	URL            string `json:"url"`
}

// GET /api/v1/idle/cases?state=open|overdue|resolved: the idle cases of the departments
// the caller may view (as /idle), newest reminder first.
func (s *Server) apiIdleCases(w http.ResponseWriter, r *http.Request, c *call) {
	state := r.URL.Query().Get("state")
	switch idle.State(state) {
	case "", idle.StateOpen, idle.StateOverdue, idle.StateResolved:
	default:
		writeJSONCode(w, http.StatusBadRequest, "bad_state", "state 只能是 open、overdue 或 resolved。")
		return
	}
	cases, err := s.cfg.Store.Cases(r.Context())
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	parents := access.OrgParents(c.org)
	vis := idle.Visible(cases, func(d catalog.DepartmentID) bool { return c.id.May(access.View, access.Department(d), parents) == nil })
	out := []apiCase{}
	for _, cs := range vis {
		if state != "" && string(cs.State) != state {
			continue
		}
		out = append(out, apiCase{ID: string(cs.ID), Department: string(cs.Department), DepartmentName: s.deptName(c, cs.Department),
			Kind: string(cs.Kind), KindName: kindLabel(cs.Kind), State: string(cs.State), StateName: caseStateZh(cs.State),
			StateOn: cs.StateOn.String(), Reminder: cs.Reminder.String(), Deadline: cs.Deadline.String(),
			IdleRatio: cs.IdleRatio.StringFixed(4), Allocated: cs.Allocated.String(), Target: cs.Target.String(),
			MonthlySaving: money.Plain(cs.Saving), URL: "/idle/" + esc(string(cs.ID))})
	}
	writeJSON(w, 200, map[string]any{"cases": out})
}

type apiCollection struct {
	Vendor     string     `json:"vendor_id"`
	VendorName string     `json:"vendor_name"`
	Metric     string     `json:"metric"`
	Window     string     `json:"window"`
	Expected   int        `json:"expected"`
	Collected  int        `json:"collected"`
	Partial    int        `json:"partial"`
	Failed     int        `json:"failed"`
	Missing    int        `json:"missing"`
	Complete   bool       `json:"complete"`
	Gaps       [][]string `json:"missing_ranges"`
}

// GET /api/v1/collection/{period} (district) and /api/v1/vendors/{vendor}/collection/{period}:
// collection completeness as JSON (as the pages).
func (s *Server) apiCollection(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	now := s.now()
	sts, err := pull.Completeness(r.Context(), s.cfg.Store, p, now, r.PathValue("vendor"))
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	out := []apiCollection{}
	for _, st := range sts {
		name := st.Vendor
		if v, ok := c.org.Vendors[catalog.VendorID(st.Vendor)]; ok {
			name = v.Name
		}
		ac := apiCollection{Vendor: st.Vendor, VendorName: name, Metric: st.Metric, Window: st.Window.String(),
			Expected: st.Expected, Collected: st.Collected, Partial: st.Partial, Failed: st.Failed, Missing: st.Missing,
			Complete: st.Complete(), Gaps: [][]string{}}
		for _, g := range st.MissingRanges {
			ac.Gaps = append(ac.Gaps, []string{g.From.UTC().Format(time.RFC3339), g.To.UTC().Format(time.RFC3339)})
		}
		out = append(out, ac)
	}
	writeJSON(w, 200, map[string]any{"period": p.String(), "as_of": now.UTC().Format(time.RFC3339), "missing": pull.Missing(sts), "mappings": out})
}
