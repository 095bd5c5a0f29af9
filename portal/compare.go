package portal

// Comparisons ("compare"): a department's month against the month before and the same
// month a year before (breakdown.Compare), as a page and as JSON; scope as the
// drill-down (the department). The district's (finance and the bureau): the same by
// 主管部门, department, vendor, item and line kind; scope access.District.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
	"cloudbill/internal/xlsxout"
	"cloudbill/statements/breakdown"
)

// comparison compares department dep's month p (the district's when dep is "") with the
// month before and a year before; errNotRated when p itself is not rated.
func (s *Server) comparison(ctx context.Context, p calendar.Period, dep catalog.DepartmentID) (breakdown.Comparison, error) {
	md, err := s.monthLines(ctx, p)
	if err != nil {
		return breakdown.Comparison{}, err
	}
	in := breakdown.CompareInput{Period: p, Department: dep, Org: md.org, Catalog: md.catalog, Current: md.lines}
	if prev, err := s.monthLines(ctx, p.Prev()); err == nil {
		in.Previous, in.HasPrevious = prev.lines, true
	} else if !errors.Is(err, errNotRated) {
		return breakdown.Comparison{}, err
	}
	if ly, err := s.monthLines(ctx, p.YearBefore()); err == nil {
		in.LastYear, in.HasLastYear = ly.lines, true
	} else if !errors.Is(err, errNotRated) {
		return breakdown.Comparison{}, err
	}
	return breakdown.Compare(in), nil
}

// compareRow is a Change as shown and answered: money with two decimals, percentages
// with one ("" when the earlier month is zero or not rated).
type compareRow struct {
	Key      string `json:"id"`
	Name     string `json:"name"`
	Code     string `json:"code"`
	Current  string `json:"current"`
	Previous string `json:"previous"`
	MoM      string `json:"mom"`
	MoMPct   string `json:"mom_pct"`
	LastYear string `json:"last_year"`
	YoY      string `json:"yoy"`
	YoYPct   string `json:"yoy_pct"`

	ch                 breakdown.Change
	momPct, yoyPct     decimal.Decimal
	hasMoMPct, hasYoYP bool
}

func rowOf(c breakdown.Change, hasPrev, hasLY bool) compareRow {
	r := compareRow{Key: c.Key, Name: c.Name, Code: c.Code, Current: money.Plain(c.Current), ch: c}
	pctText := func(d decimal.Decimal, ok bool) string {
		if !ok {
			return ""
		}
		return d.Shift(2).StringFixed(1) + "%"
	}
	if hasPrev {
		p, ok := c.MoMPct()
		r.Previous, r.MoM, r.MoMPct = money.Plain(c.Previous), money.Plain(c.MoM()), pctText(p, ok)
		r.momPct, r.hasMoMPct = p, ok
	}
	if hasLY {
		p, ok := c.YoYPct()
		r.LastYear, r.YoY, r.YoYPct = money.Plain(c.LastYear), money.Plain(c.YoY()), pctText(p, ok)
		r.yoyPct, r.hasYoYP = p, ok
	}
	return r
}

type compareSection struct {
	Key   string       `json:"by"`
	Title string       `json:"title"`
	Rows  []compareRow `json:"rows"`
}

type compareAnswer struct {
	Period      string           `json:"period"`
	Previous    string           `json:"previous"`
	LastYear    string           `json:"last_year"`
	HasPrevious bool             `json:"previous_rated"`
	HasLastYear bool             `json:"last_year_rated"`
	Department  string           `json:"department_id,omitempty"`
	Total       compareRow       `json:"total"`
	Sections    []compareSection `json:"sections"`
	Back        string           `json:"-"`
	BackLabel   string           `json:"-"`
}

type compareSectionOf struct {
	key, title string
	rows       []breakdown.Change
}

// compareAnswerOf is a comparison as answered; dep "" is the district's.
func compareAnswerOf(c breakdown.Comparison, dep catalog.DepartmentID) compareAnswer {
	a := compareAnswer{Period: c.Period.String(), Previous: c.Previous.String(), LastYear: c.LastYear.String(),
		HasPrevious: c.HasPrevious, HasLastYear: c.HasLastYear, Department: string(dep),
		Total: rowOf(c.Total, c.HasPrevious, c.HasLastYear)}
	secs := []compareSectionOf{{"unit", "按单位", c.Units}, {"project", "按项目", c.Projects}, {"vendor", "按服务商", c.Vendors},
		{"item", "按服务目录品目", c.Items}, {"kind", "按费用类型", c.Kinds}}
	if dep == "" {
		secs = []compareSectionOf{{"head", "按主管部门", c.Heads}, {"unit", "按部门", c.Units}, {"vendor", "按服务商", c.Vendors},
			{"item", "按服务目录品目", c.Items}, {"kind", "按费用类型", c.Kinds}}
	}
	for _, sec := range secs {
		cs := compareSection{Key: sec.key, Title: sec.title, Rows: []compareRow{}}
		for _, r := range sec.rows {
			cs.Rows = append(cs.Rows, rowOf(r, c.HasPrevious, c.HasLastYear))
		}
		a.Sections = append(a.Sections, cs)
	}
	return a
}

// compareColumns are the comparison's columns (glossary keys), in order: the ones the
// tables sort on (server-side, ?sort=KEY&dir=asc|desc), and the export's after the section
// and code.
var compareColumns = []string{"name", "month_current", "month_previous", "mom", "mom_pct", "year_ago", "yoy", "yoy_pct"}

// compareSort is a comparison's order: column key and direction; by default the largest
// current amount first.
type compareSort struct{ Key, Dir string }

// readCompareSort reads ?sort= and ?dir=.
func readCompareSort(r *http.Request) (compareSort, error) {
	q := r.URL.Query()
	o := compareSort{Key: q.Get("sort"), Dir: q.Get("dir")}
	if o.Key == "" {
		o.Key = "month_current"
	}
	if !slices.Contains(compareColumns, o.Key) {
		return o, badInput("排序列 %q 不存在", truncate(o.Key))
	}
	switch o.Dir {
	case "":
		o.Dir = "desc"
		if o.Key == "name" {
			o.Dir = "asc"
		}
	case "asc", "desc":
	default:
		return o, badInput("排序方向 %q：应为 asc 或 desc", truncate(o.Dir))
	}
	return o, nil
}

// sortRows sorts each section's rows by o, then by id; a percentage that cannot be
// computed (the earlier month is zero) sorts after every other whichever the direction.
func (a *compareAnswer) sortRows(o compareSort) {
	desc := o.Dir == "desc"
	cmp := func(x, y compareRow) (int, bool) { // order, and whether decided by a missing figure
		switch o.Key {
		case "name":
			return strings.Compare(x.Name, y.Name), false
		case "month_current":
			return x.ch.Current.Cmp(y.ch.Current), false
		case "month_previous":
			return x.ch.Previous.Cmp(y.ch.Previous), false
		case "mom":
			return x.ch.MoM().Cmp(y.ch.MoM()), false
		case "year_ago":
			return x.ch.LastYear.Cmp(y.ch.LastYear), false
		case "yoy":
			return x.ch.YoY().Cmp(y.ch.YoY()), false
		case "mom_pct", "yoy_pct":
			px, okx, py, oky := x.momPct, x.hasMoMPct, y.momPct, y.hasMoMPct
			if o.Key == "yoy_pct" {
				px, okx, py, oky = x.yoyPct, x.hasYoYP, y.yoyPct, y.hasYoYP
			}
			switch {
			case okx && oky:
				return px.Cmp(py), false
			case okx:
				return -1, true
			case oky:
				return 1, true
			}
		}
		return 0, false
	}
	for i := range a.Sections {
		rows := a.Sections[i].Rows
		sort.SliceStable(rows, func(i, j int) bool {
			c, missing := cmp(rows[i], rows[j])
			if desc && !missing {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
			return rows[i].Key < rows[j].Key
		})
	}
}

// compareTables are the comparison's sections as tables (a sheet each): section, name,
// code and the figures, each with the 合计 row.
func compareTables(a compareAnswer, title string) []xlsxout.Table {
	moneyCell := func(s string) xlsxout.Cell {
		if s == "" {
			return xlsxout.Text("")
		}
		return xlsxout.Money(decimal.RequireFromString(s))
	}
	cells := func(r compareRow) []xlsxout.Cell {
		return []xlsxout.Cell{moneyCell(r.Current), moneyCell(r.Previous), moneyCell(r.MoM), xlsxout.Text(r.MoMPct),
			moneyCell(r.LastYear), moneyCell(r.YoY), xlsxout.Text(r.YoYPct)}
	}
	var ts []xlsxout.Table
	for _, sec := range a.Sections {
		t := xlsxout.Table{Sheet: sec.Title, Title: title + " " + sec.Title,
			Headers: glossary.Headers(append([]string{"name", "code"}, compareColumns[1:]...))}
		t.Headers[0] = sec.Title
		for _, r := range sec.Rows {
			t.Rows = append(t.Rows, append([]xlsxout.Cell{xlsxout.Text(r.Name), xlsxout.Text(r.Code)}, cells(r)...))
		}
		t.Total = append([]xlsxout.Cell{xlsxout.Text(glossary.Total), xlsxout.Text("")}, cells(a.Total)...)
		ts = append(ts, t)
	}
	return ts
}

// exportCompare answers the comparison as a workbook (a sheet a section) or, as CSV, the
// section ?by= (the first by default).
func (s *Server) exportCompare(w http.ResponseWriter, r *http.Request, c *call, a compareAnswer, title, format string) {
	ts := compareTables(a, title)
	if format == "csv" {
		by := r.URL.Query().Get("by")
		i := slices.IndexFunc(a.Sections, func(sec compareSection) bool { return sec.Key == by })
		switch {
		case by == "":
			i = 0
		case i < 0:
			writeJSONCode(w, http.StatusBadRequest, "bad_request", fmt.Sprintf("分组 %q 不存在。", truncate(by)))
			return
		}
		title = ts[i].Title
		ts = ts[i : i+1]
	}
	s.exportTables(w, r, c, title, ts, format, r.URL.Query().Get("bom") == "1")
}

// compareHeading is a column heading of the comparison's tables: its sort link.
type compareHeading struct {
	Key, Label, URL, Sort string // Sort: "ascending", "descending" or ""
}

// comparePage is what the compare page shows: the comparison, whose it is, links to the
// months before and after that have figures ("" none), the sort links and the exports.
type comparePage struct {
	compareAnswer
	Name             string
	PrevURL, NextURL string
	Headings         []compareHeading // after the first column (the section's)
	NameHeading      compareHeading
	Query            string // the sort of the page, kept by the month links ("" or "?sort=…")
	XLSX, CSV        string // CSV: the query to which &by=SECTION is added
}

// comparePageOf is a page of comparison a at path, sorted by o, the exports at api
// (its query without format).
func comparePageOf(a compareAnswer, name, path, prev, next, api string, o compareSort) comparePage {
	d := comparePage{compareAnswer: a, Name: name}
	if o.Key != "month_current" || o.Dir != "desc" {
		d.Query = "?" + url.Values{"sort": {o.Key}, "dir": {o.Dir}}.Encode()
	}
	if prev != "" {
		d.PrevURL = prev + d.Query
	}
	if next != "" {
		d.NextURL = next + d.Query
	}
	for _, k := range compareColumns {
		h := compareHeading{Key: k, Label: glossary.Column(k)}
		dir := "desc"
		if k == "name" {
			dir = "asc"
		}
		if k == o.Key {
			h.Sort = map[string]string{"asc": "ascending", "desc": "descending"}[o.Dir]
			dir = map[string]string{"asc": "desc", "desc": "asc"}[o.Dir]
		}
		h.URL = path + "?" + url.Values{"sort": {k}, "dir": {dir}}.Encode()
		if k == "name" {
			d.NameHeading = h
		} else {
			d.Headings = append(d.Headings, h)
		}
	}
	sortQ := ""
	if d.Query != "" {
		sortQ = "&" + d.Query[1:]
	}
	d.XLSX = api + "&format=xlsx" + sortQ
	d.CSV = api + "&format=csv&bom=1" + sortQ
	return d
}

// GET /departments/{department}/{period}/compare[?sort=&dir=]
func (s *Server) comparePage(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	dep := catalog.DepartmentID(r.PathValue("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这个部门。", nil)
		return
	}
	o, err := readCompareSort(r)
	if err != nil {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "), nil)
		return
	}
	cmp, err := s.comparison(r.Context(), p, dep)
	if errors.Is(err, errNotRated) {
		s.fail(w, r, Route{}, http.StatusNotFound, s.notRated(r.Context(), p), nil)
		return
	}
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	a := compareAnswerOf(cmp, dep)
	a.sortRows(o)
	a.Back, a.BackLabel = "/departments/"+esc(string(dep))+"/"+p.String(), "返回费用明细"
	prev, next, err := s.neighbours(r.Context(), p, shown)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	base := "/departments/" + esc(string(dep)) + "/"
	name := c.org.Departments[dep].Name
	api := "/api/v1/compare?" + url.Values{"period": {p.String()}, "department": {string(dep)}}.Encode()
	s.render(w, c, 200, "compare", "同比环比 "+name+" "+p.String(),
		comparePageOf(a, name, base+p.String()+"/compare", monthLink(base, prev, "/compare"), monthLink(base, next, "/compare"), api, o))
}

// GET /api/v1/compare?period=YYYY-MM&department=ID[&sort=&dir=][&format=xlsx|csv[&by=][&bom=1]]
func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	p, _ := parsePeriod(q.Get("period"))
	dep := catalog.DepartmentID(q.Get("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		writeJSONCode(w, http.StatusNotFound, "unknown_department", "没有这个部门。")
		return
	}
	s.answerCompare(w, r, c, p, dep, c.org.Departments[dep].Name)
}

// answerCompare answers the comparison of dep ("" the district's) as JSON or a file.
func (s *Server) answerCompare(w http.ResponseWriter, r *http.Request, c *call, p calendar.Period, dep catalog.DepartmentID, name string) {
	o, err := readCompareSort(r)
	if err != nil {
		writeJSONCode(w, http.StatusBadRequest, "bad_request", "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "))
		return
	}
	format := r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "xlsx" && format != "csv" {
		writeJSONCode(w, http.StatusBadRequest, "bad_format", fmt.Sprintf("format %q：只能是 json、xlsx 或 csv。", truncate(format)))
		return
	}
	cmp, err := s.comparison(r.Context(), p, dep)
	if errors.Is(err, errNotRated) {
		writeJSONCode(w, http.StatusNotFound, "not_rated", p.String()+" 尚未计费。")
		return
	}
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	a := compareAnswerOf(cmp, dep)
	a.sortRows(o)
	if format == "xlsx" || format == "csv" {
		s.exportCompare(w, r, c, a, "同比环比 "+name+" "+p.String(), format)
		return
	}
	writeJSON(w, 200, a)
}

// GET /district/{period}/compare[?sort=&dir=]: the district's month against the month
// before and a year before (finance and the bureau).
func (s *Server) districtComparePage(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	o, err := readCompareSort(r)
	if err != nil {
		s.fail(w, r, Route{}, http.StatusBadRequest, "请求有误："+strings.TrimPrefix(err.Error(), "bad request: "), nil)
		return
	}
	cmp, err := s.comparison(r.Context(), p, "")
	if errors.Is(err, errNotRated) {
		s.fail(w, r, Route{}, http.StatusNotFound, s.notRated(r.Context(), p), nil)
		return
	}
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	a := compareAnswerOf(cmp, "")
	a.sortRows(o)
	a.Back, a.BackLabel = "/", "返回概览"
	prev, next, err := s.neighbours(r.Context(), p, shown)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	api := "/api/v1/district/compare?" + url.Values{"period": {p.String()}}.Encode()
	s.render(w, c, 200, "compare", "同比环比 "+glossary.District+" "+p.String(),
		comparePageOf(a, glossary.District, "/district/"+p.String()+"/compare", monthLink("/district/", prev, "/compare"), monthLink("/district/", next, "/compare"), api, o))
}

// monthLink is prefix+month+suffix, "" when there is no month.
func monthLink(prefix, month, suffix string) string {
	if month == "" {
		return ""
	}
	return prefix + month + suffix
}

// GET /api/v1/district/compare?period=YYYY-MM[&sort=&dir=][&format=xlsx|csv[&by=][&bom=1]]
func (s *Server) apiDistrictCompare(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.URL.Query().Get("period"))
	s.answerCompare(w, r, c, p, "", glossary.District)
}

// periodQueryRule: ?period=YYYY-MM, then act on obj.
func periodQueryRule(act access.Action, obj access.Object) Rule {
	return func(r *http.Request) (access.Action, access.Object, error) {
		if _, err := parsePeriod(r.URL.Query().Get("period")); err != nil {
			return "", access.Object{}, err
		}
		return act, obj, nil
	}
}
