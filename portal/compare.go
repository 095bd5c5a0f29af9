package portal

// Comparisons ("compare"): a department's month against the month before and the same
// month a year before (breakdown.Compare), as a page and as JSON; scope as the
// drill-down (the department). The district's (finance and the bureau): the same by
// 主管部门, department, vendor, item and line kind; scope access.District.

import (
	"context"
	"errors"
	"net/http"

	"github.com/shopspring/decimal"

	"cloudbill/access"
	"cloudbill/catalog"
	"cloudbill/glossary"
	"cloudbill/internal/calendar"
	"cloudbill/internal/money"
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
	if ly, err := s.monthLines(ctx, calendar.Period{Year: p.Year - 1, Month: p.Month}); err == nil {
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
}

func rowOf(c breakdown.Change, hasPrev, hasLY bool) compareRow {
	r := compareRow{Key: c.Key, Name: c.Name, Code: c.Code, Current: money.Plain(c.Current)}
	pctText := func(d decimal.Decimal, ok bool) string {
		if !ok {
			return ""
		}
		return d.Shift(2).StringFixed(1) + "%"
	}
	if hasPrev {
		p, ok := c.MoMPct()
		r.Previous, r.MoM, r.MoMPct = money.Plain(c.Previous), money.Plain(c.MoM()), pctText(p, ok)
	}
	if hasLY {
		p, ok := c.YoYPct()
		r.LastYear, r.YoY, r.YoYPct = money.Plain(c.LastYear), money.Plain(c.YoY()), pctText(p, ok)
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

// GET /departments/{department}/{period}/compare
func (s *Server) comparePage(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
	dep := catalog.DepartmentID(r.PathValue("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		s.fail(w, r, Route{}, http.StatusNotFound, "没有这个部门。", nil)
		return
	}
	cmp, err := s.comparison(r.Context(), p, dep)
	if errors.Is(err, errNotRated) {
		s.fail(w, r, Route{}, http.StatusNotFound, p.String()+" 尚未计费。", nil)
		return
	}
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	a := compareAnswerOf(cmp, dep)
	a.Back, a.BackLabel = "/departments/"+esc(string(dep))+"/"+p.String(), "返回费用明细"
	prev, next, err := s.neighbours(r.Context(), p, shown)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	base := "/departments/" + esc(string(dep)) + "/"
	s.render(w, c, 200, "compare", "同比环比 "+c.org.Departments[dep].Name+" "+p.String(),
		comparePage{a, c.org.Departments[dep].Name, monthLink(base, prev, "/compare"), monthLink(base, next, "/compare")})
}

// comparePage is what the compare page shows: the comparison, whose it is, and links to
// the months before and after that have figures ("" none).
type comparePage struct {
	compareAnswer
	Name             string
	PrevURL, NextURL string
}

// GET /api/v1/compare?period=YYYY-MM&department=ID
func (s *Server) apiCompare(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	p, _ := parsePeriod(q.Get("period"))
	dep := catalog.DepartmentID(q.Get("department"))
	if _, ok := c.org.Departments[dep]; !ok {
		writeJSONCode(w, http.StatusNotFound, "unknown_department", "没有这个部门。")
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
	writeJSON(w, 200, compareAnswerOf(cmp, dep))
}

// GET /district/{period}/compare: the district's month against the month before and a
// year before (finance and the bureau).
func (s *Server) districtComparePage(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.PathValue("period"))
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
	a.Back, a.BackLabel = "/", "返回概览"
	prev, next, err := s.neighbours(r.Context(), p, shown)
	if err != nil {
		s.fail(w, r, Route{}, 500, "服务暂不可用", err)
		return
	}
	s.render(w, c, 200, "compare", "同比环比 "+glossary.District+" "+p.String(),
		comparePage{a, glossary.District, monthLink("/district/", prev, "/compare"), monthLink("/district/", next, "/compare")})
}

// monthLink is prefix+month+suffix, "" when there is no month.
func monthLink(prefix, month, suffix string) string {
	if month == "" {
		return ""
	}
	return prefix + month + suffix
}

// GET /api/v1/district/compare?period=YYYY-MM
func (s *Server) apiDistrictCompare(w http.ResponseWriter, r *http.Request, c *call) {
	p, _ := parsePeriod(r.URL.Query().Get("period"))
	cmp, err := s.comparison(r.Context(), p, "")
	if errors.Is(err, errNotRated) {
		writeJSONCode(w, http.StatusNotFound, "not_rated", p.String()+" 尚未计费。")
		return
	}
	if err != nil {
		s.fail(w, r, apiRoute, 500, "服务暂不可用", err)
		return
	}
	writeJSON(w, 200, compareAnswerOf(cmp, ""))
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
